"""What changed in a record and who changed it, read from django-simple-history.

One diff for every reader of the history: the pair page's timeline (status and alignment
transitions with their reasons, field changes, clause-set changes, limit changes) and the
admin's "someone else saved this" message. Each record is compared with the one before
it by simple-history's `diff_against`, which also diffs the clause links (m2m fields).
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from standards.models import ClauseMapping, Limit

# The changes that settle where a pair stands: each needs a reason.
DECISIVE = ("status", "alignment")
# Bookkeeping: a save always changes them.
BOOKKEEPING = ("updated_at", "updated_by")
CLAUSE_SETS = ("kz_clauses", "cn_clauses", "reference_clauses")


@dataclass
class Change:
    """One saved version of a record and what it changed against the version before."""

    record: object
    who: str
    created: bool = False
    deleted: bool = False
    subject: str = ""
    transitions: list = field(default_factory=list)  # [{"field", "old", "new", "reason"}]
    fields: list = field(default_factory=list)  # verbose names of the other fields changed
    clause_sets: list = field(default_factory=list)  # [{"field", "added", "removed"}]
    previous: object = None  # the version before, for an edit


def _who(record):
    return record.history_user.get_username() if record.history_user else ""


def _label(model, name):
    return model._meta.get_field(name).verbose_name


def _choice(model, name, value):
    return dict(model._meta.get_field(name).choices or ()).get(value, value)


def changed_fields(record, previous, excluded=BOOKKEEPING):
    """The names of the fields `record` changed against `previous` (m2m included)."""
    return [c.field for c in record.diff_against(previous, excluded_fields=excluded).changes]


def describe(record, previous, model=ClauseMapping, clause_sets=None):
    """A Change: what `record` changed against `previous` (None: it created the record).
    `clause_sets` ({history_id: {field: set of clause ids}}, from `clause_set_snapshots`)
    spares the queries that diffing the clause links record by record would cost."""
    change = Change(record=record, who=_who(record), created=previous is None)
    if previous is None:
        return change
    excluded = (*BOOKKEEPING, *CLAUSE_SETS) if clause_sets is not None else BOOKKEEPING
    for diff in record.diff_against(previous, excluded_fields=excluded).changes:
        name = diff.field
        if name in DECISIVE:
            change.transitions.append(
                {
                    "field": _label(model, name),
                    "old": _choice(model, name, diff.old),
                    "new": _choice(model, name, diff.new),
                    "reason": record.history_change_reason or "",
                }
            )
        elif name in CLAUSE_SETS:
            _add_clause_set(
                change,
                model,
                name,
                {row["clause"] for row in diff.old or []},
                {row["clause"] for row in diff.new or []},
            )
        else:
            change.fields.append(_label(model, name))
    for name in CLAUSE_SETS if clause_sets is not None else ():
        old = clause_sets[previous.history_id][name]
        new = clause_sets[record.history_id][name]
        if old != new:
            _add_clause_set(change, model, name, old, new)
    return change


def _add_clause_set(change, model, name, old, new):
    change.clause_sets.append(
        {"field": _label(model, name), "added": new - old, "removed": old - new}
    )


def clause_set_snapshots(records):
    """{history_id: {clause-set field: set of clause ids}} of these mapping history
    records: one query per clause set, however many records."""
    snapshots = {record.history_id: {name: set() for name in CLAUSE_SETS} for record in records}
    history = ClauseMapping.history.model
    for name in CLAUSE_SETS:
        through = history._meta.get_field(f"historicalclausemapping_{name}").related_model
        rows = through.objects.filter(history_id__in=list(snapshots)).values_list(
            "history_id", "clause_id"
        )
        for history_id, clause_id in rows:
            snapshots[history_id][name].add(clause_id)
    return snapshots


def mapping_changes(mapping, limit=100):
    """The mapping's changes, newest first, at most `limit`: each a Change. Mappings
    created in bulk (synthetic data) have no history at all."""
    records = list(
        mapping.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    snapshots = clause_set_snapshots(records)
    # One record more than shown: the change the oldest shown record made.
    return [
        describe(
            record,
            records[index + 1] if index + 1 < len(records) else None,
            clause_sets=snapshots,
        )
        for index, record in enumerate(records[:limit])
    ]


def _previous_versions(records):
    """{history_id: the version before} of these limit history records that edited a
    limit ("~"): one query for all of them, where simple-history's `prev_record` costs
    one a record."""
    edited = {record.id for record in records if record.history_type == "~"}
    if not edited:
        return {}
    versions = {}
    for version in (
        Limit.history.filter(id__in=edited)
        .select_related("parameter")
        .order_by("id", "history_date", "history_id")
    ):
        versions.setdefault(version.id, []).append(version)
    previous = {}
    for record in records:
        if record.history_type != "~":
            continue
        earlier = [
            v
            for v in versions.get(record.id, ())
            if (v.history_date, v.history_id) < (record.history_date, record.history_id)
        ]
        previous[record.history_id] = earlier[-1] if earlier else None
    return previous


def limit_changes(clause_ids, limit=100, since=None):
    """Changes of the limits of these clauses, newest first, at most `limit` (and, with
    `since`, none older): each a Change whose `subject` names the limit ("Lead (Pb) ≤
    0.5 mg/kg"). Two queries, however many changes."""
    from limits.notation import format_limit

    history = Limit.history.filter(clause_id__in=list(clause_ids))
    if since is not None:
        history = history.filter(history_date__gte=since)
    records = list(
        history.select_related("history_user", "parameter").order_by(
            "-history_date", "-history_id"
        )[:limit]
    )
    versions = _previous_versions(records)
    changes = []
    for record in records:
        kind = record.history_type
        previous = versions.get(record.history_id) if kind == "~" else None
        change = describe(record, previous, model=Limit)
        change.created, change.deleted = kind == "+", kind == "-"
        change.previous = previous
        change.subject = f"{record.parameter} {format_limit(record)}"
        if kind == "~" and not change.fields:
            continue  # saved without a change of its own
        changes.append(change)
    return changes


def _spec(limit, like):
    """The comparison spec of a limit version; its parameter read from `like` (a version
    of the same limit whose parameter is loaded) when it is the same one."""
    from limits.compare import LimitSpec

    if like is not None and limit.parameter_id == like.parameter_id:
        return LimitSpec.from_limit(
            limit, parameter=like.parameter.key, family=like.parameter.family or ""
        )
    return LimitSpec.from_limit(limit)


def verdict_changes(mapping, changes):
    """{history_id: (verdict before, verdict after)} for the limit edits `changes`
    (newest first, from limit_changes) that changed the verdict the limits engine
    computes for the mapping: the edits are undone one by one from the limits as they
    are now. Verdicts as labels ("China stricter")."""
    from limits.compare import Verdict, compare_sides
    from standards.alignment import absence_evidence

    sides = {
        side: {
            limit.pk: _spec(limit, limit)
            for clause in getattr(mapping, f"{side}_side")
            for limit in clause.limit_rows
        }
        for side in ("kz", "cn")
    }
    clause_side = {
        clause.pk: side for side in ("kz", "cn") for clause in getattr(mapping, f"{side}_side")
    }
    absences = {side: absence_evidence(mapping, side) for side in ("kz", "cn")}
    labels = dict(ClauseMapping.Alignment.choices) | {
        Verdict.NOT_COMPARABLE.value: _("not comparable")
    }

    def verdict():
        return compare_sides(
            list(sides["kz"].values()),
            list(sides["cn"].values()),
            kz_absence=absences["kz"],
            cn_absence=absences["cn"],
        ).verdict.value

    found = {}
    for change in changes:
        side = clause_side.get(change.record.clause_id)
        if side is None:
            continue
        record, limits = change.record, sides[side]
        after = verdict()
        if change.created:
            limits.pop(record.id, None)
        elif change.deleted:
            limits[record.id] = _spec(record, record)
        elif change.previous is not None:
            limits[record.id] = _spec(change.previous, record)
        before = verdict()
        if before != after:
            found[record.history_id] = (
                str(labels.get(before, before)),
                str(labels.get(after, after)),
            )
    return found


def _clause_names(changes):
    from standards.models import Clause

    ids = {pk for c in changes for s in c.clause_sets for pk in (*s["added"], *s["removed"])}
    clauses = Clause.objects.filter(pk__in=ids).select_related("standard") if ids else []
    return {clause.pk: str(clause) for clause in clauses}


def timeline(mapping, limit=100):
    """(transitions, changes) for the pair page, newest first: status and alignment
    transitions with who, when and why; then every other change of the mapping (fields,
    clause sets) and of the limits its clauses set."""
    changes = mapping_changes(mapping, limit)
    names = _clause_names(changes)
    transitions, others = [], []
    for change in changes:
        base = {"record": change.record, "who": change.who}
        transitions += [{**base, **transition} for transition in change.transitions]
        labels = [str(label) for label in change.fields]
        for clause_set in change.clause_sets:
            moved = [f"+ {names.get(pk, pk)}" for pk in sorted(clause_set["added"])]
            moved += [f"− {names.get(pk, pk)}" for pk in sorted(clause_set["removed"])]
            labels.append(f"{clause_set['field']} ({'; '.join(moved)})")
        if labels or change.created:
            others.append({**base, "fields": labels, "created": change.created, "subject": ""})
    clause_ids = [c.pk for c in (*mapping.kz_side, *mapping.cn_side, *mapping.reference_side)]
    limit_edits = limit_changes(clause_ids, limit) if clause_ids else []
    verdicts = verdict_changes(mapping, limit_edits)
    for change in limit_edits:
        others.append(
            {
                "record": change.record,
                "who": change.who,
                "fields": [str(label) for label in change.fields],
                "created": change.created,
                "deleted": change.deleted,
                "subject": change.subject,
                "verdict": verdicts.get(change.record.history_id),
            }
        )
    others.sort(key=lambda c: c["record"].history_date, reverse=True)
    return transitions, others[:limit]


def changes_since(instance, loaded, model):
    """(who, field labels) of the saves of `instance` after the time `loaded`."""
    since = list(
        instance.history.filter(history_date__gt=loaded)
        .select_related("history_user")
        .order_by("history_date")
    )
    who = sorted({_who(record) for record in since if record.history_user})
    labels = set()
    for record in since:
        previous = record.prev_record
        if previous is not None:
            labels |= {
                str(_label(model, name))
                for name in changed_fields(record, previous, excluded=(*BOOKKEEPING, *CLAUSE_SETS))
            }
    return who, sorted(labels)


# What a reader of an older report asks first: which mappings moved, and how.
SINCE_FIELDS = ("title", *ClauseMapping.ASSESSMENT_FIELDS, "confidence")


def differences_since(mappings, as_of):
    """{mapping key: [what changed]} for the mappings of a selection between the data
    version `as_of` (a report's "data as of": the latest `updated_at` it included) and
    now: the mapping's fields that differ from its state then (status, alignment,
    rationale…, by their labels), "added since" for a mapping that did not exist then,
    and whether limits or texts of its clauses were saved or deleted since. Versions are
    told apart by the records' own `updated_at`, the clock the report's version is made
    of. Mappings with no difference are left out. Three queries whatever the selection."""
    from django.db.models import Q

    from standards.models import Clause

    ids = {m.pk: m for m in mappings}
    then = {}
    for record in ClauseMapping.history.filter(id__in=list(ids), updated_at__lte=as_of).order_by(
        "id", "updated_at", "history_id"
    ):
        then[record.id] = record  # the last one of each mapping wins
    clause_ids = {
        m.pk: {c.pk for c in (*m.kz_side, *m.cn_side, *m.reference_side)} for m in mappings
    }
    every_clause = set().union(*clause_ids.values()) if clause_ids else set()
    since = Q(updated_at__gt=as_of) | Q(history_type="-", history_date__gt=as_of)
    limits_saved = set(
        Limit.history.filter(since, clause_id__in=every_clause).values_list("clause_id", flat=True)
    )
    texts_saved = set(
        Clause.history.filter(since, id__in=every_clause).values_list("id", flat=True)
    )
    differences = {}
    for pk, mapping in ids.items():
        old = then.get(pk)
        if old is None:
            # No version then: created since (a record loaded in bulk has no history).
            words = [str(_("added since"))] if mapping.updated_at > as_of else []
        else:
            words = [
                str(_label(ClauseMapping, name))
                for name in SINCE_FIELDS
                if getattr(old, name) != getattr(mapping, name)
            ]
        if clause_ids[pk] & limits_saved:
            words.append(str(_("limits")))
        if clause_ids[pk] & texts_saved:
            words.append(str(_("clause texts")))
        if words:
            differences[mapping.key] = words
    return differences
