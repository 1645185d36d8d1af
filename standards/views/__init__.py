"""Portal pages. Every view goes through reader_required: the role check cannot be forgotten."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.views.decorators.http import require_http_methods

SAFE = ("GET", "HEAD")


def reader_required(view=None, *, methods=SAFE):
    """A logged-in user whose role may read the requirements (every portal role), using
    one of `methods` (read-only by default: anything else is a 405)."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.has_perm("standards.view_clausemapping"):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return require_http_methods(list(methods))(wrapper)

    return decorate(view) if view is not None else decorate
