"""The data as it stood at a moment, read from the history, and the baselines that freeze
a round's moment.

Nothing is copied when a round is closed. django-simple-history keeps a row for every
save of a standard, clause, mapping (with its clause sets) and limit; the state at a
moment is, for each record, its newest history row up to that moment unless that row
records a deletion (simple-history's `as_of`, done for a whole table in one query).
A Baseline keeps the moment, who took it, and a digest and counts of that state, which
`verify` recomputes. bench/changes_since.py measures this against copying the tables
(bench/README.md, "Baselines").

Records written in bulk (the synthetic data) have no history; taking a baseline first
gives each of them the history row it lacks, dated when the record last changed, so
that the state is exact.
"""

import datetime
import hashlib
import json
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from standards.history import CLAUSE_SETS, clause_set_snapshots
from standards.models import Baseline, Clause, ClauseMapping, Limit, Parameter, Round, Standard

TRACKED = (Standard, Clause, ClauseMapping, Limit)
BACKFILL_REASON = "History started when a baseline was taken"


# --- the state at a moment -----------------------------------------------------------------


def history_model(model):
    return model.history.model


def state_rows(model, at=None, ids=None):
    """The history rows that make up `model`'s records at `at` (None: now): each record's
    newest row up to then, records deleted by then left out. `ids`: only these records (a
    list or a subquery of ids). One query, whatever the number of records."""
    history = history_model(model)
    rows = history.objects.all()
    if at is not None:
        rows = rows.filter(history_date__lte=at)
    if ids is not None:
        rows = rows.filter(id__in=ids)
    newest = rows.values("id").annotate(newest=Max("history_id")).values("newest")
    return history.objects.filter(history_id__in=newest).exclude(history_type="-")


def instance_of(row):
    """The model instance a history row describes (not saved, not to be saved). Built
    from the row's own fields: simple-history's `instance` would read the fields it does
    not keep (a clause's search text) from today's table, one query per record."""
    model = row.instance_type
    instance = model(**{f.attname: getattr(row, f.attname) for f in row.tracked_fields})
    instance._state.adding = False
    instance._state.db = row._state.db
    return instance


def hydrate(rows, at):
    """ClauseMapping instances as they stood at `at`, from their history rows: each with
    its sides (kz_list, cn_list, reference_list, as ClauseMapping.for_list() gives them),
    each clause with its standard and its limits (limit_list) as they stood then. What a
    gap report or a comparison of limits reads works on them unchanged. A constant number
    of queries."""
    rows = list(rows)
    sets = clause_set_snapshots(rows)
    clause_ids = set()
    for by_field in sets.values():
        for ids in by_field.values():
            clause_ids |= ids
    clauses = _clauses_at(clause_ids, at)
    mappings = []
    for row in rows:
        mapping = instance_of(row)
        for name in CLAUSE_SETS:
            side = name.removesuffix("_clauses")
            ids = sets[row.history_id][name]
            side_clauses = [clauses[pk] for pk in ids if pk in clauses]
            side_clauses.sort(key=lambda c: (c.standard.code, c.reference))
            setattr(mapping, f"{side}_list", side_clauses)
        mappings.append(mapping)
    return mappings


def _clauses_at(clause_ids, at):
    """{clause id: Clause as it stood at `at`, with its standard and limits then}."""
    if not clause_ids:
        return {}
    ids = sorted(clause_ids)
    clauses = {row.id: instance_of(row) for row in state_rows(Clause, at, ids)}
    standard_ids = sorted({c.standard_id for c in clauses.values()})
    standards = {row.id: instance_of(row) for row in state_rows(Standard, at, standard_ids)}
    # A document has no history only if it was never saved through the ORM; show it as
    # it is now rather than lose the clause.
    missing = set(standard_ids) - set(standards)
    standards.update(Standard.objects.in_bulk(missing) if missing else {})
    parameters = Parameter.objects.in_bulk()
    limits = {pk: [] for pk in clauses}
    limit_rows = state_rows(Limit, at).filter(clause_id__in=ids).order_by("position", "id")
    for row in limit_rows:
        limit = instance_of(row)
        limit.parameter = parameters[limit.parameter_id]
        limits[limit.clause_id].append(limit)
    for pk, clause in clauses.items():
        clause.standard = standards[clause.standard_id]
        clause.limit_list = limits[pk]
    return clauses


def mappings_at(at, narrow=None):
    """Every mapping as it stood at `at`, ordered by topic and key; `narrow(rows)` may
    filter the history rows first (by the mappings' own fields)."""
    rows = state_rows(ClauseMapping, at)
    if narrow is not None:
        rows = narrow(rows)
    return hydrate(rows.order_by("topic", "key"), at)


# --- baselines -----------------------------------------------------------------------------


def backfill_history(at):
    """Give every standard, clause, mapping and limit without a history row one ("+",
    dated when it last changed, never later than `at`), with its clause sets for
    mappings: without it the record would be missing from every state."""
    created = 0
    for model in TRACKED:
        history = history_model(model)
        objects = list(model.objects.exclude(pk__in=history.objects.values("id")))
        if not objects:
            continue
        for obj in objects:
            changed = getattr(obj, "updated_at", None) or at
            obj._history_date = min(changed, at)
        rows = model.history.bulk_history_create(
            objects, default_change_reason=BACKFILL_REASON, batch_size=500
        )
        created += len(rows)
        if model is ClauseMapping:
            _backfill_clause_sets(objects)
    return created


def _backfill_clause_sets(mappings):
    """Give each history row of these mappings their clause sets as they are now."""
    history = history_model(ClauseMapping)
    rows = list(
        history.objects.filter(id__in=[m.pk for m in mappings]).values_list("id", "history_id")
    )
    for name in CLAUSE_SETS:
        through = getattr(ClauseMapping, name).through
        historical = history._meta.get_field(f"historicalclausemapping_{name}").related_model
        links = {}
        for link_id, mapping_id, clause_id in through.objects.filter(
            clausemapping_id__in=[m.pk for m in mappings]
        ).values_list("id", "clausemapping_id", "clause_id"):
            links.setdefault(mapping_id, []).append((link_id, clause_id))
        historical.objects.bulk_create(
            [
                historical(id=link_id, history_id=history_id, clause_id=clause_id)
                for mapping_id, history_id in rows
                for link_id, clause_id in links.get(mapping_id, ())
            ],
            batch_size=1000,
        )


def state_digest(at):
    """(SHA-256 of every record's fields at `at`, {model: number of records}): the
    canonical form of a state, which a baseline keeps and `verify` recomputes."""
    digest = hashlib.sha256()
    counts = {}
    for model in TRACKED:
        history = history_model(model)
        names = [f.attname for f in history.tracked_fields]
        rows = list(state_rows(model, at).order_by("id"))
        sets = clause_set_snapshots(rows) if model is ClauseMapping else {}
        for row in rows:
            record = [model._meta.label, *(_canonical(getattr(row, n)) for n in names)]
            if sets:
                record += [sorted(sets[row.history_id][name]) for name in CLAUSE_SETS]
            digest.update(json.dumps(record, ensure_ascii=False).encode("utf-8"))
        counts[model] = len(rows)
    return digest.hexdigest(), counts


def _canonical(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    return str(value)  # dates, decimals (their exact digits)


def take_baseline(round, user=None, reason=""):
    """Freeze the state now as a baseline of `round`: the first, or a correction (which
    needs a reason). Raises ValidationError when the reason is missing, or when another
    baseline of the round was taken at the same moment."""
    reason = reason.strip()
    with transaction.atomic():
        Round.objects.select_for_update().filter(pk=round.pk).first()
        sequence = (round.baselines.aggregate(n=Max("sequence"))["n"] or 0) + 1
        if sequence > 1 and not reason:
            raise ValidationError(
                {"reason": _("This round already has a baseline: say why it is corrected.")},
                code="baseline_correction_has_reason",
            )
        at = timezone.now()
        backfill_history(at)
        digest, counts = state_digest(at)
        try:
            with transaction.atomic():
                return Baseline.objects.create(
                    round=round,
                    sequence=sequence,
                    taken_at=at,
                    taken_by=user,
                    reason=reason,
                    digest=digest,
                    mapping_count=counts[ClauseMapping],
                    clause_count=counts[Clause],
                    limit_count=counts[Limit],
                    standard_count=counts[Standard],
                )
        except IntegrityError:
            raise ValidationError(
                _("Another baseline of this round was taken at the same moment; reload."),
                code="baseline_taken_meanwhile",
            ) from None


def verify(baseline):
    """Whether the state read from the history today is the one the baseline froze."""
    digest, _counts = state_digest(baseline.taken_at)
    return digest == baseline.digest


# --- addressing a moment ---------------------------------------------------------------------

LABEL = re.compile(r"^round-(?P<number>\d{1,6})(?:\.(?P<sequence>\d{1,4}))?$")


class BadMoment(ValueError):
    """A "since", "until" or "as_of" value that names no moment; its message says why."""


def baseline_for(label):
    """The Baseline a label names: "round-3" (its newest baseline) or "round-3.2"."""
    match = LABEL.match(label.strip())
    if not match:
        raise BadMoment(
            _("“%(value)s” is not a baseline: write round-3, or round-3.2 for a correction.")
            % {"value": label}
        )
    baselines = Baseline.objects.select_related("round", "taken_by").filter(
        round__number=int(match["number"])
    )
    if match["sequence"]:
        baselines = baselines.filter(sequence=int(match["sequence"]))
    baseline = baselines.order_by("-sequence").first()
    if baseline is None:
        raise BadMoment(
            _("Round %(number)s has no baseline%(which)s yet.")
            % {
                "number": match["number"],
                "which": f" {match['sequence']}" if match["sequence"] else "",
            }
        )
    return baseline


class Moment:
    """A point in time a reader named: a baseline, a day or a date and time."""

    def __init__(self, at, baseline=None, text=""):
        self.at = at
        self.baseline = baseline
        self.text = text

    @property
    def label(self):
        return self.baseline.label if self.baseline else self.text

    def __str__(self):
        if self.baseline:
            return str(self.baseline.title)
        return timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M %Z")


TICK = datetime.timedelta(microseconds=1)


def _start_of(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def moment(value, end_of_day=False):
    """The Moment of "round-3", "round-3.2", "2024-02-01" (the start of that day in the
    portal's time zone, or its end with `end_of_day`) or an ISO date and time. Raises
    BadMoment with a message for the reader."""
    value = (value or "").strip()
    if value.startswith("round-"):
        baseline = baseline_for(value)
        return Moment(baseline.taken_at, baseline, value)
    try:
        day = parse_date(value)
        stamp = None if day else parse_datetime(value)
    except ValueError:
        day = stamp = None
    if day is not None:
        if end_of_day:  # the last instant of the day: "until 2024-02-01" includes it
            return Moment(_start_of(day + datetime.timedelta(days=1)) - TICK, None, value)
        return Moment(_start_of(day), None, value)
    if stamp is not None:
        if timezone.is_naive(stamp):
            stamp = timezone.make_aware(stamp)
        return Moment(stamp, None, value)
    raise BadMoment(
        _(
            "“%(value)s” is not a moment: write a baseline (round-3), a day (2024-02-01) "
            "or a date and time (2024-02-01T09:30)."
        )
        % {"value": value[:40]}
    )
