"""Each clause's `search_text`, kept true by one mechanism.

A clause's search text is its document code, reference, heading, English and original
texts and the names of the parameters its limits set (English, Russian, Chinese),
case-folded (`build`). It changes when the clause itself is saved (computed in
`Clause.save`), and when something it is made of changes elsewhere:

- a limit is saved, moved to another clause or deleted (one at a time or in bulk:
  Django sends `post_delete` for every row of a queryset delete when anyone listens);
- a standard's code changes;
- a parameter's names change.

The receivers below catch each of these and call `refresh`, which recomputes the
texts of the clauses concerned in a fixed number of queries and writes only those that
differ. Bulk writes (the reference loader, imports, synthetic data) wrap their work in
`batched()`: the clauses touched inside it are refreshed once, together, at the end.
Writes that bypass signals (`bulk_create`, `QuerySet.update`) call `refresh` with the
clause ids they touched, or pass the parameters to `build` as synthetic data does.
"""

import threading
from contextlib import contextmanager

from django.db.models.signals import post_delete, post_save

# Clause ids refreshed per query: well under SQLite's limit on query parameters.
CHUNK = 500

_pending = threading.local()


def build(clause, parameters):
    """The search text of `clause` whose limits set `parameters` (in name order)."""
    from standards.translated import field_names

    parts = [clause.standard.code, clause.reference]
    parts += [getattr(clause, name) for name in field_names("heading")]
    parts += [getattr(clause, name) for name in ("text_en", "text_ru", "text_kk", "text_zh")]
    parts.append(clause.text_original)
    for parameter in parameters:
        parts += [getattr(parameter, name) for name in parameter.NAME_FIELDS]
    return "\n".join(part for part in parts if part).casefold()


def parameters_of(clause_ids):
    """{clause id: [Parameter, ...]}: the parameters each clause's limits set, once
    each, in name order (one query)."""
    from standards.models import Limit

    by_clause = {}
    limits = Limit.objects.filter(clause_id__in=clause_ids).select_related("parameter")
    for limit in limits.order_by("parameter__name_en", "parameter_id"):
        found = by_clause.setdefault(limit.clause_id, [])
        if limit.parameter not in found:
            found.append(limit.parameter)
    return by_clause


def refresh(clause_ids):
    """Recompute the search text of these clauses and write those that changed. Inside
    `batched()` the ids are only collected."""
    ids = {pk for pk in clause_ids if pk is not None}
    if not ids:
        return
    pending = getattr(_pending, "ids", None)
    if pending is not None:
        pending |= ids
        return
    _refresh_now(sorted(ids))


def _refresh_now(ids):
    from standards.models import Clause

    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        parameters = parameters_of(chunk)
        changed = []
        for clause in Clause.objects.filter(pk__in=chunk).select_related("standard"):
            text = build(clause, parameters.get(clause.pk, []))
            if text != clause.search_text:
                clause.search_text = text
                changed.append(clause)
        Clause.objects.bulk_update(changed, ["search_text"])


@contextmanager
def batched():
    """Collect the clauses touched inside the block and refresh them once at its end
    (not at all when the block raises: its transaction is rolled back anyway)."""
    if getattr(_pending, "ids", None) is not None:
        yield  # an enclosing block refreshes
        return
    _pending.ids = set()
    try:
        yield
        ids = _pending.ids
    finally:
        _pending.ids = None
    if ids:
        _refresh_now(sorted(ids))


# --- what a clause's search text is made of --------------------------------------------


def _limit_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    refresh({instance.clause_id, getattr(instance, "_loaded_clause_id", None)})
    instance._loaded_clause_id = instance.clause_id


def _limit_deleted(sender, instance, **kwargs):
    refresh({instance.clause_id})


def _standard_saved(sender, instance, raw=False, **kwargs):
    if raw or getattr(instance, "_loaded_code", None) == instance.code:
        return
    instance._loaded_code = instance.code
    refresh(instance.clauses.values_list("pk", flat=True))


def _parameter_saved(sender, instance, raw=False, **kwargs):
    names = tuple(getattr(instance, name) for name in instance.NAME_FIELDS)
    if raw or getattr(instance, "_loaded_names", None) == names:
        return
    instance._loaded_names = names
    refresh(instance.limits.values_list("clause_id", flat=True))


def connect():
    """Connect the receivers (StandardsConfig.ready)."""
    from standards.models import Limit, Parameter, Standard

    post_save.connect(_limit_saved, sender=Limit, dispatch_uid="search_text_limit_saved")
    post_delete.connect(_limit_deleted, sender=Limit, dispatch_uid="search_text_limit_deleted")
    post_save.connect(_standard_saved, sender=Standard, dispatch_uid="search_text_standard")
    post_save.connect(_parameter_saved, sender=Parameter, dispatch_uid="search_text_parameter")
