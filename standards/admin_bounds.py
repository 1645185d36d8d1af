"""Bounds on every page of the back office, whichever app registered the model: the
portal's ModelAdmins and those of django.contrib.auth, django-axes and django-tasks alike.
`bound_site` applies them once to the whole admin site (StandardsConfig.ready), to the
ModelAdmins registered by then and to every one registered later.

- Search: on the first MAX_QUERY_LENGTH characters, without NUL, as the portal's own
  search. Every word of an admin search is a condition on every search field: a pasted
  page of text made a query SQLite refuses ("Expression tree is too large") and
  PostgreSQL plans for seconds.
- Changelist lookups: the admin takes any lookup on a model's own fields from the query
  string (`?updated_at__year=99999`, `?key__regex=(`) and checks only that it can build
  the filter. Some values fail later, when the query is compiled (a year outside 1-9999)
  or run (a bad regular expression, a NUL byte for PostgreSQL), and the date drill-down
  computes the end of year 9999 as the start of year 10000. Those failures are the
  admin's IncorrectLookupParameters: a redirect to the changelist with ?e=1, as for any
  other lookup it cannot use. The query runs in a savepoint inside a transaction, so
  that PostgreSQL can go on after it.
- Ids: simple-history's history pages look the object and the version up with the ids
  of the URL as they are; an id its field cannot hold ("%FF", "abc") is a 404, as a
  missing object is. The admin's own pages already treat it as a missing object; the
  site's "view on site" redirect does for every id but a malformed UUID, now a 404 too.
"""

import functools
from contextlib import contextmanager, nullcontext

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, transaction
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from standards.search import MAX_QUERY_LENGTH

# What a query built from the request's own parameters raises when a value cannot be
# used: when compiled (a year out of range, a lookup the database lacks) or run.
QUERY_ERRORS = (DatabaseError, FieldError, OverflowError, TypeError, ValueError)
# What the date drill-down raises for its bounds (datetime(9999, 12, 1) + 32 days).
DATE_ERRORS = (OverflowError, ValueError)


def bounded_search_term(search_term):
    return (search_term or "").replace("\x00", "")[:MAX_QUERY_LENGTH]


@contextmanager
def lookups_of_the_request(using, asked=True, errors=QUERY_ERRORS):
    """`errors` of the queries inside as IncorrectLookupParameters when the request asked
    for lookups (`asked`); without any, an error is not the request's and goes through."""
    in_transaction = connections[using].in_atomic_block
    try:
        with transaction.atomic(using=using) if in_transaction else nullcontext():
            yield
    except errors as error:
        if not asked:
            raise
        raise IncorrectLookupParameters(error) from error


class BoundedChangeList:
    """Mixed into a ModelAdmin's ChangeList class (BoundedAdmin.get_changelist)."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except DATE_ERRORS as error:
            raise IncorrectLookupParameters(error) from error

    def get_results(self, request):
        # The count runs the filters and the search: they fail here if they fail at all.
        asked = bool(self.query) or bool(self.get_filters_params())
        with lookups_of_the_request(self.root_queryset.db, asked):
            super().get_results(request)


@functools.cache
def bounded_changelist(changelist_class):
    if issubclass(changelist_class, BoundedChangeList):
        return changelist_class
    return type(changelist_class)(
        changelist_class.__name__,
        (BoundedChangeList, changelist_class),
        {"__module__": changelist_class.__module__},
    )


def valid_or_404(field, value):
    """`value` if `field` can hold it, else Http404."""
    try:
        return field.to_python(value)
    except (ValidationError, ValueError, TypeError):
        raise Http404(f"Not a valid {field.name}") from None


class BoundedAdmin:
    """Mixed into every ModelAdmin of the site (bound_site)."""

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, bounded_search_term(search_term))

    def get_changelist(self, request, **kwargs):
        return bounded_changelist(super().get_changelist(request, **kwargs))


class BoundedHistoryAdmin(BoundedAdmin):
    """Mixed into every SimpleHistoryAdmin: ids the model or its history cannot hold are
    a 404 on the history list (the object's id) and the version page (both ids)."""

    def history_view(self, request, object_id, extra_context=None):
        valid_or_404(self.model._meta.pk, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        valid_or_404(self.model._meta.pk, object_id)
        valid_or_404(history.model._meta.get_field("history_id"), version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


@functools.cache
def bounded_class(admin_class):
    """The ModelAdmin class with the bounds, under its own name and module (its checks
    and messages name it as before)."""
    if issubclass(admin_class, BoundedAdmin):
        return admin_class
    mixin = BoundedHistoryAdmin if issubclass(admin_class, SimpleHistoryAdmin) else BoundedAdmin
    return type(admin_class)(
        admin_class.__name__,
        (mixin, admin_class),
        {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
    )


def bound(model_admin):
    model_admin.__class__ = bounded_class(type(model_admin))
    return model_admin


class BoundedRegistry(dict):
    """An admin site's registry that bounds each ModelAdmin as it is registered."""

    def __setitem__(self, model, model_admin):
        super().__setitem__(model, bound(model_admin))


def malformed_id_is_404(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ValidationError as error:  # an id its primary key cannot hold (a UUID)
            raise Http404("Not a valid id") from error

    return wrapper


def bound_site(site):
    """Bound every ModelAdmin of `site`, now and when registered later, and the site's
    "view on site" redirect. Idempotent."""
    if isinstance(site._registry, BoundedRegistry):
        return site
    for model_admin in site._registry.values():
        bound(model_admin)
    site._registry = BoundedRegistry(site._registry)
    get_urls = site.get_urls

    def bounded_urls():
        urls = get_urls()
        for pattern in urls:
            if getattr(pattern, "name", None) == "view_on_site":
                pattern.callback = malformed_id_is_404(pattern.callback)
        return urls

    site.get_urls = bounded_urls
    return site
