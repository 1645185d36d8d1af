"""Portal pages. Every view goes through reader_required: the role check cannot be forgotten."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def reader_required(view):
    """A logged-in user whose role may read the requirements (every portal role)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.has_perm("standards.view_clausemapping"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
