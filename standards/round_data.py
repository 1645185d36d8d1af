"""The rounds of the reference dataset (`data/reference/rounds.yaml`, `rounds:`): the
meetings, audits and signings the sources support, each with its source and confidence.

The loader reads them with the rest (`read_rounds`) and writes them (`write_rounds`):
a round is created or updated by its number, its agenda set to the mappings named by
key. Rounds editors record in the admin are never deleted, and never overwritten: where
an editor's round (or one moved from the notes' meetings) already has a dataset round's
number, that dataset round is left out and counted as "kept", so that the load, which
every upgrade runs, never stops on it; renumbering the editor's round lets it in.
"""

import datetime

from django.core.exceptions import ValidationError

from standards.models import Round

FIELDS = (
    "number",
    "title",
    "starts_on",
    "ends_on",
    "dates_note",
    "place",
    "format",
    "kz_head",
    "cn_head",
    "kz_delegation",
    "cn_delegation",
    "summary",
    "source",
    "confidence",
)
DATES = ("starts_on", "ends_on")
REQUIRED = ("number", "title", "source", "confidence")


class RoundDataError(ValueError):
    pass


def text_or_date(name, value, dates, error):
    """A dataset field's value: a date (or None) for the names in `dates`, else its text,
    stripped; `error`, the dataset's exception class, says what is wrong."""
    if name in dates:
        if value in (None, ""):
            return None
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            raise error(f"field {name!r}: {value!r} is not a date YYYY-MM-DD") from None
    if value is not None and not isinstance(value, str):
        raise error(f"field {name!r}: expected text")
    return (value or "").strip()


def refused(exc, error):
    """A model's ValidationError as the dataset's `error`, naming the first field."""
    name, messages = next(iter(exc.message_dict.items()))
    return error(f"field {name!r}: {' '.join(messages)}")


def assigned(obj, values):
    """Set the `values` that differ on `obj`; the names of those that did."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


def saved(obj, changed, created, error):
    """Save a dataset record that is new or `changed`, checked by its model first (a
    refusal is the dataset's `error`); its outcome: created, updated or unchanged."""
    if not (created or changed):
        return "unchanged"
    try:
        obj.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise error(f"{obj}: {refused(exc, error)}") from None
    obj.save()
    return "created" if created else "updated"


def _value(name, raw):
    value = raw.get(name)
    if name == "number":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RoundDataError(f"field 'number': {value!r} is not a positive whole number")
        return value
    return text_or_date(name, value, DATES, RoundDataError)


def _agenda(raw):
    agenda = raw.get("agenda") or []
    if not isinstance(agenda, list) or not all(isinstance(k, str) for k in agenda):
        raise RoundDataError("field 'agenda': expected a list of mapping keys")
    return [key.strip() for key in agenda]


def _read_one(raw):
    if not isinstance(raw, dict):
        raise RoundDataError("expected a mapping of fields")
    unknown = sorted(set(raw) - {*FIELDS, "agenda"})
    if unknown:
        raise RoundDataError(f"unknown field {unknown[0]!r}")
    values = {name: _value(name, raw) for name in FIELDS}
    missing = [name for name in REQUIRED if not values[name]]
    if missing:
        raise RoundDataError(f"field {missing[0]!r}: must not be empty")
    try:
        Round(**values).full_clean(validate_unique=False)
    except ValidationError as exc:
        raise refused(exc, RoundDataError) from None
    values["agenda"] = _agenda(raw)
    return values


def read_rounds(raw_rounds, file):
    """{number: field values (with "agenda", a list of mapping keys)} of a `rounds:`
    list; RoundDataError naming the record at fault."""
    rounds = {}
    for position, raw in enumerate(raw_rounds or []):
        where = f"{file}, rounds[{position}]"
        try:
            values = _read_one(raw)
        except RoundDataError as exc:
            raise RoundDataError(f"{where}: {exc}") from None
        if values["number"] in rounds:
            raise RoundDataError(f"{where}: duplicate number {values['number']}")
        rounds[values["number"]] = values
    return rounds


def write_rounds(rounds, mappings):
    """Create or update the dataset's rounds by number, their agenda from `mappings`
    ({key: ClauseMapping}); counts of created, updated, unchanged and kept (left out:
    the number is an editor's round's)."""
    existing = {r.number: r for r in Round.objects.prefetch_related("agenda")}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    for number, raw in rounds.items():
        values = {name: raw[name] for name in FIELDS}
        agenda = [mappings[key] for key in raw["agenda"]]
        round_ = existing.get(number)
        if round_ is None:
            round_ = Round.objects.create(**values, from_dataset=True)
            round_.agenda.set(agenda)
            counts["created"] += 1
            continue
        if not round_.from_dataset:
            counts["kept"] += 1  # the editor's round keeps the number
            continue
        changed = [name for name, value in values.items() if getattr(round_, name) != value]
        for name in changed:
            setattr(round_, name, values[name])
        if changed:
            round_.save()
        if {m.pk for m in round_.agenda.all()} != {m.pk for m in agenda}:
            round_.agenda.set(agenda)
            changed.append("agenda")
        counts["updated" if changed else "unchanged"] += 1
    return counts
