"""Portal pages. Every view goes through reader_required: the role check cannot be forgotten."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.views.decorators.http import require_http_methods

SAFE = ("GET", "HEAD")


def is_editor(user):
    """Staff who may change mappings (editors and administrators): they see what is
    internal, such as where the team read a copy of a text."""
    return user.is_staff and user.has_perm("standards.change_clausemapping")


def reader_required(view=None, *, methods=SAFE, editors_only=False):
    """A logged-in user whose role may read the requirements (every portal role), using
    one of `methods` (read-only by default: anything else is a 405). `editors_only`
    narrows it to staff who may change mappings (editors and administrators)."""

    def allowed(user):
        if not user.has_perm("standards.view_clausemapping"):
            return False
        return not editors_only or is_editor(user)

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        checked = require_http_methods(list(methods))(wrapper)
        checked.role_checked = True  # tests/test_roles.py walks the URLs for this mark
        return checked

    return decorate(view) if view is not None else decorate
