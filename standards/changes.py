"""What changed between two moments (`/changes/?since=round-3`): every difference
between two states of the data (standards.baselines), matched on the records' ids, which
never change, and told by their stable keys.

Only the records saved in between are read: the history rows of the window say which
ones, and the two states are read for those alone. So the work grows with the number of
changes, not with the number of mappings, and the number of queries is constant
(bench/changes_since.py measures it against diffing two full exports).

What is found, per mapping:
- status and alignment transitions, each with who, when and the reason given;
- the other fields whose value differs, and clauses added to or removed from a side;
- the mapping added or removed;
- changes of the limits its clauses set, old and new value, and the computed verdict
  before and after;
- changes of its clauses' texts (original language and English), for a redline;
and apart from mappings, the standards superseded (a new edition, or a status).
"""

from collections import OrderedDict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from limits.notation import format_limit
from standards.admin_forms import FIGURE_FIELDS
from standards.alignment import compute_alignment
from standards.baselines import hydrate, instance_of, state_rows
from standards.history import CLAUSE_SETS, DECISIVE, clause_set_snapshots
from standards.models import Clause, ClauseMapping, Limit, Parameter, Standard, Topic
from standards.wording import parameter_name

# The mapping's fields reported as changed (besides the decisive ones), by their labels.
MAPPING_FIELDS = (
    "title",
    "product_group",
    "topic",
    "rationale",
    "proposed_action",
    "responsible_side",
    "target_date",
    "confidence",
    "kz_evidence",
    "cn_evidence",
)
# A clause's text: its heading and text, in the original language and in English.
TEXT_FIELDS = ("heading", "text_original", "text_en")
# What a limit requires: its figures (the admin's), its parameter and its evidence.
LIMIT_FIELDS = ("parameter_id", *FIGURE_FIELDS, "evidence")
STANDARD_FIELDS = ("status", "edition", "code", "title_en", "adopted", "effective")
# The filters of the comparison that a list of changes takes, by the mapping's fields.
FILTERS = (("product", "product_group"), ("topic", "topic"), ("status", "status"))
FILTERS += (("alignment", "alignment"),)


def _who(row):
    return row.history_user.get_username() if row.history_user_id and row.history_user else ""


def _label(model, name):
    return str(model._meta.get_field(name.removesuffix("_id")).verbose_name)


def _display(model, name, value):
    choices = dict(model._meta.get_field(name).choices or ())
    return str(choices.get(value, value if value not in (None, "") else "—"))


@dataclass
class Transition:
    field: str
    old: str
    new: str
    who: str
    when: object
    reason: str


@dataclass
class LimitChange:
    clause: str
    parameter: str
    old: str  # "" when created
    new: str  # "" when deleted
    who: str
    when: object

    @property
    def kind(self):
        return "added" if not self.old else "removed" if not self.new else "changed"


@dataclass
class TextChange:
    clause: str
    field: str  # the label
    code: str  # heading / text_original / text_en
    language: str  # the language of the text ("zh", "ru", "en"…)
    old: str
    new: str
    who: str
    when: object


@dataclass
class MappingChange:
    key: str
    title: str
    topic: str
    product_group: str
    status: str
    alignment: str
    url: str
    added: bool = False
    removed: bool = False
    transitions: list = field(default_factory=list)
    fields: list = field(default_factory=list)  # [(label, old, new)]
    clause_sets: list = field(default_factory=list)  # [(label, added, removed)]
    limits: list = field(default_factory=list)
    texts: list = field(default_factory=list)
    verdict: tuple = ()  # (before, after) computed from the limits, when it moved

    @property
    def empty(self):
        return not (
            self.added
            or self.removed
            or self.transitions
            or self.fields
            or self.clause_sets
            or self.limits
            or self.texts
        )


@dataclass
class StandardChange:
    code: str
    title: str
    url: str
    superseded_by: list = field(default_factory=list)  # codes of the new editions
    fields: list = field(default_factory=list)  # [(label, old, new)]
    added: bool = False
    who: str = ""
    when: object = None


@dataclass
class Changes:
    since: object  # baselines.Moment
    until: object  # baselines.Moment or None: now
    mappings: list  # [MappingChange], by topic then key
    standards: list  # [StandardChange]

    @property
    def topics(self):
        """[(topic label, [MappingChange])] in the topics' declared order."""
        labels = dict(Topic.choices)
        groups = OrderedDict((value, []) for value, _label in Topic.choices)
        for change in self.mappings:
            groups.setdefault(change.topic, []).append(change)
        return [(labels.get(t, t), items) for t, items in groups.items() if items]

    @property
    def counts(self):
        mappings = self.mappings
        return {
            "mappings": len(mappings),
            "added": sum(m.added for m in mappings),
            "removed": sum(m.removed for m in mappings),
            "transitions": sum(len(m.transitions) for m in mappings),
            "limits": sum(len(m.limits) for m in mappings),
            "texts": sum(len(m.texts) for m in mappings),
            "standards": len(self.standards),
        }

    @property
    def empty(self):
        return not self.mappings and not self.standards


def _window(since, until):
    window = Q(history_date__gt=since)
    if until is not None:
        window &= Q(history_date__lte=until)
    return window


class _Side:
    """One model's records saved in the window: their states before and after, and the
    window's rows themselves, oldest first."""

    def __init__(self, model, since, until, related=()):
        history = model.history.model
        window = history.objects.filter(_window(since, until))
        ids = window.values("id")
        self.before = {r.id: r for r in state_rows(model, since, ids).select_related(*related)}
        self.after = {r.id: r for r in state_rows(model, until, ids).select_related(*related)}
        self.rows = {}
        for row in window.select_related("history_user").order_by("history_date", "history_id"):
            self.rows.setdefault(row.id, []).append(row)

    def ids(self):
        return list(self.rows)


def between(since, until=None, filters=None):
    """Changes between the Moments `since` and `until` (None: now). `filters`
    ({"topic": [...], "product": [...], "status": [...], "alignment": [...]}) keep the
    mappings whose state (after, or before for a removed one) matches, as the
    comparison's filters do."""
    since_at, until_at = since.at, until.at if until else None
    mappings = _Side(ClauseMapping, since_at, until_at)
    clauses = _Side(Clause, since_at, until_at, related=("standard",))
    limits = _Side(Limit, since_at, until_at)
    standards = _Side(Standard, since_at, until_at)

    entries = {}
    for pk in mappings.ids():
        entry = _mapping_entry(mappings, pk)
        if entry is not None:
            entries[pk] = entry
    _clause_sets(entries, mappings)

    # The mappings that cite a clause whose text or limits changed, as they stood after.
    texts = _text_changes(clauses)
    limit_changes = _limit_changes(limits)
    touched = set(texts) | set(limit_changes)
    citing = _citing(touched, until_at) if touched else {}
    rows_after = {}
    if citing:
        ids = sorted(set().union(*citing.values()))
        missing = [pk for pk in ids if pk not in mappings.after]
        rows_after = {**mappings.after}
        rows_after.update({r.id: r for r in state_rows(ClauseMapping, until_at, missing)})
    for clause_id, mapping_ids in citing.items():
        for pk in mapping_ids:
            entry = entries.get(pk)
            if entry is None:
                row = rows_after.get(pk)
                if row is None:
                    continue
                entry = entries[pk] = _entry(row)
            entry.texts += texts.get(clause_id, [])
            entry.limits += limit_changes.get(clause_id, [])
    _verdicts(
        {pk: e for pk, e in entries.items() if e.limits and not (e.added or e.removed)},
        since_at,
        until_at,
    )

    kept = [e for e in entries.values() if not e.empty and _matches(e, filters or {})]
    kept.sort(key=lambda e: e.key)
    return Changes(since, until, kept, _standard_changes(standards, since_at, until_at))


def _entry(row):
    mapping = instance_of(row)
    return MappingChange(
        key=mapping.key,
        title=mapping.title,
        topic=mapping.topic,
        product_group=mapping.product_group,
        status=mapping.status,
        alignment=mapping.alignment,
        url=mapping.get_absolute_url(),
    )


def _mapping_entry(side, pk):
    before, after = side.before.get(pk), side.after.get(pk)
    if before is None and after is None:
        return None  # created and deleted in between
    entry = _entry(after or before)
    entry.added, entry.removed = before is None, after is None
    # Each transition in turn, from the state before through every save in between.
    previous = before
    for row in side.rows[pk]:
        if row.history_type == "-":
            previous = None
            continue
        if previous is not None:
            for name in DECISIVE:
                old, new = getattr(previous, name), getattr(row, name)
                if old != new:
                    entry.transitions.append(
                        Transition(
                            _label(ClauseMapping, name),
                            _display(ClauseMapping, name, old),
                            _display(ClauseMapping, name, new),
                            _who(row),
                            row.history_date,
                            row.history_change_reason or "",
                        )
                    )
        previous = row
    if before is not None and after is not None:
        for name in MAPPING_FIELDS:
            old, new = getattr(before, name), getattr(after, name)
            if old != new:
                entry.fields.append(
                    (
                        _label(ClauseMapping, name),
                        _display(ClauseMapping, name, old),
                        _display(ClauseMapping, name, new),
                    )
                )
    return entry


def _clause_sets(entries, side):
    """Clauses added to or removed from each mapping's sides, before against after."""
    pairs = [
        (entry, side.before[pk], side.after[pk])
        for pk, entry in entries.items()
        if pk in side.before and pk in side.after
    ]
    if not pairs:
        return
    sets = clause_set_snapshots([row for _e, b, a in pairs for row in (b, a)])
    moved = []
    for entry, before, after in pairs:
        for name in CLAUSE_SETS:
            old, new = sets[before.history_id][name], sets[after.history_id][name]
            if old != new:
                moved.append((entry, name, new - old, old - new))
    ids = {pk for _e, _n, added, removed in moved for pk in (*added, *removed)}
    names = {c.pk: str(c) for c in Clause.objects.filter(pk__in=ids).select_related("standard")}
    for entry, name, added, removed in moved:
        entry.clause_sets.append(
            (
                _label(ClauseMapping, name),
                sorted(names.get(pk, f"#{pk}") for pk in added),
                sorted(names.get(pk, f"#{pk}") for pk in removed),
            )
        )


def _text_changes(side):
    """{clause id: [TextChange]}: the texts that differ before against after."""
    changes = {}
    for pk in side.ids():
        before, after = side.before.get(pk), side.after.get(pk)
        if before is None or after is None:
            continue  # a clause added or removed shows in its mappings' clause sets
        last = side.rows[pk][-1]
        label = f"{after.standard.code} {after.reference}"
        for name in TEXT_FIELDS:
            old, new = getattr(before, name) or "", getattr(after, name) or ""
            if old != new:
                language = after.original_language if name != "text_en" else "en"
                changes.setdefault(pk, []).append(
                    TextChange(
                        label,
                        _label(Clause, name),
                        name,
                        language or "",
                        old,
                        new,
                        _who(last),
                        last.history_date,
                    )
                )
    return changes


def _limit_changes(side):
    """{clause id: [LimitChange]}: limits added, removed or changed, old and new value."""
    parameters = Parameter.objects.in_bulk()
    clause_names = {}
    changes = {}
    for pk in side.ids():
        before, after = side.before.get(pk), side.after.get(pk)
        if before is None and after is None:
            continue
        if (
            before is not None
            and after is not None
            and all(getattr(before, n) == getattr(after, n) for n in LIMIT_FIELDS)
        ):
            continue
        last = side.rows[pk][-1]
        shown = after or before
        clause_names.setdefault(shown.clause_id, None)
        changes.setdefault(shown.clause_id, []).append(
            LimitChange(
                clause=shown.clause_id,
                parameter=parameter_name(parameters[shown.parameter_id]),
                old=_limit_text(before, parameters),
                new=_limit_text(after, parameters),
                who=_who(last),
                when=last.history_date,
            )
        )
    names = {
        c.pk: str(c) for c in Clause.objects.filter(pk__in=clause_names).select_related("standard")
    }
    for clause_id, items in changes.items():
        for item in items:
            item.clause = names.get(clause_id, f"#{clause_id}")
    return changes


def _limit_text(row, parameters):
    if row is None:
        return ""
    limit = instance_of(row)
    limit.parameter = parameters[limit.parameter_id]
    return format_limit(limit)


def _citing(clause_ids, at):
    """{clause id: {mapping id}}: the mappings citing these clauses at `at` (None: now),
    from the clause sets their history rows carry. One query per clause set."""
    history = ClauseMapping.history.model
    current = state_rows(ClauseMapping, at).values("history_id")
    citing = {}
    for name in CLAUSE_SETS:
        through = history._meta.get_field(f"historicalclausemapping_{name}").related_model
        rows = through.objects.filter(
            history_id__in=current, clause_id__in=sorted(clause_ids)
        ).values_list("clause_id", "history__id")
        for clause_id, mapping_id in rows:
            citing.setdefault(clause_id, set()).add(mapping_id)
    return citing


def _verdicts(entries, since, until):
    """The verdict computed from the limits before and after, on these mappings
    ({id: MappingChange}, their limits changed); set where it moved."""
    if not entries:
        return
    wanted = sorted(entries)
    before = {m.pk: m for m in hydrate(state_rows(ClauseMapping, since, wanted), since)}
    after = {m.pk: m for m in hydrate(state_rows(ClauseMapping, until, wanted), until)}
    labels = dict(ClauseMapping.Alignment.choices)
    for pk, entry in entries.items():
        old, new = before.get(pk), after.get(pk)
        if old is None or new is None:
            continue
        was, now = _verdict(old), _verdict(new)
        if was != now:
            entry.verdict = (
                str(labels.get(was, _("not comparable"))),
                str(labels.get(now, _("not comparable"))),
            )


def _verdict(mapping):
    computed = compute_alignment(mapping)
    return computed.verdict if computed.comparable else None


def _matches(entry, filters):
    for name, attribute in FILTERS:
        values = [v for v in filters.get(name) or () if v]
        if values and getattr(entry, attribute) not in values:
            return False
    return True


def _standard_changes(side, since, until):
    """Standards superseded (a new edition naming them in `supersedes`, or their status
    becoming superseded) and the other changes of a document's edition."""
    from standards.models import StandardStatus

    history = Standard.history.model
    through = history._meta.get_field("historicalstandard_supersedes").related_model
    # Which documents each changed one supersedes, before and after.
    row_ids = [r.history_id for r in (*side.before.values(), *side.after.values())]
    supersedes = {}
    for history_id, old_id in through.objects.filter(history_id__in=row_ids).values_list(
        "history_id", "to_standard_id"
    ):
        supersedes.setdefault(history_id, set()).add(old_id)
    newly = {}  # {superseded standard id: [codes of the documents superseding it]}
    for pk in side.ids():
        after = side.after.get(pk)
        if after is None:
            continue
        before = side.before.get(pk)
        old = supersedes.get(before.history_id, set()) if before else set()
        for superseded in supersedes.get(after.history_id, set()) - old:
            newly.setdefault(superseded, []).append(after.code)
    changes = {}
    for pk in side.ids():
        before, after = side.before.get(pk), side.after.get(pk)
        if after is None:
            continue
        fields = []
        if before is not None:
            fields = [
                (
                    _label(Standard, n),
                    _display(Standard, n, getattr(before, n)),
                    _display(Standard, n, getattr(after, n)),
                )
                for n in STANDARD_FIELDS
                if getattr(before, n) != getattr(after, n)
            ]
        status_superseded = (
            before is not None
            and before.status != after.status
            and after.status == StandardStatus.SUPERSEDED
        )
        if fields or status_superseded or pk in newly:
            last = side.rows[pk][-1]
            changes[pk] = _standard_entry(after, fields, _who(last), last.history_date)
    # Documents superseded by a new edition without a save of their own.
    others = [pk for pk in newly if pk not in changes]
    for row in state_rows(Standard, until, others):
        changes[row.id] = _standard_entry(row, [], "", None)
    codes = {}
    for superseded, by in newly.items():
        codes[superseded] = sorted(by)
    for pk, change in changes.items():
        change.superseded_by = codes.get(pk, [])
    return sorted(changes.values(), key=lambda c: c.code)


def _standard_entry(row, fields, who, when):
    standard = instance_of(row)
    return StandardChange(
        code=standard.code,
        title=standard.title_en,
        url=standard.get_absolute_url(),
        fields=fields,
        who=who,
        when=when,
    )
