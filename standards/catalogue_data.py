"""The disease zones and the export catalogue of the reference dataset
(`data/reference/zones.yaml`, `zones:`; `catalogue.yaml`, `catalogue:`).

Read with the rest (`read_zones`, `read_catalogue`) and written by key (`write_zones`
before the pathways, `write_catalogue` after them): a zone with its units and dated
decisions, an entry with its permitted zones and conditions. What an editor saved in the
admin is the editor's (its `from_dataset` is cleared there): left as it is and counted as
"kept". Nothing is deleted. A second run changes nothing.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from standards.models import (
    CatalogueCondition,
    CatalogueEntry,
    Parameter,
    Zone,
    ZoneDecision,
    ZoneUnit,
)
from standards.round_data import assigned, refused, saved, text_or_date

ZONE_FIELDS = ("key", "name", "description", "whole_country", "source", "confidence")
DECISION_FIELDS = (
    "disease",
    "kind",
    "status",
    "citation",
    "decided_on",
    "year",
    "dates_note",
    "lifted_on",
    "lifted_by",
    "note",
    "source",
    "confidence",
)
ENTRY_FIELDS = (
    "key",
    "product",
    "hs_code",
    "species",
    "processing_form",
    "status",
    "status_note",
    "protocol",
    "announcement",
    "certificate",
    "effective_on",
    "closing_on",
    "dates_note",
    "source",
    "confidence",
)
CONDITION_FIELDS = ("kind", "value", "upper_value", "unit", "strict", "qualifier", "source")
DATES = ("decided_on", "lifted_on", "effective_on", "closing_on")
BOOLEANS = ("whole_country", "strict")
NUMBERS = ("year", "value", "upper_value")


class CatalogueDataError(ValueError):
    pass


def _value(name, raw):
    value = raw.get(name)
    if name in BOOLEANS:
        if value is None:
            return False
        if not isinstance(value, bool):
            raise CatalogueDataError(f"field {name!r}: expected true or false")
        return value
    if name in NUMBERS:
        if value is None:
            return None
        if name == "year":
            if isinstance(value, bool) or not isinstance(value, int):
                raise CatalogueDataError("field 'year': expected a whole number")
            return value
        # Figures are quoted decimal strings, so that none goes through a float.
        if not isinstance(value, str):
            raise CatalogueDataError(f"field {name!r}: expected a quoted decimal string")
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise CatalogueDataError(f"field {name!r}: {value!r} is not a number") from None
        if not number.is_finite():
            raise CatalogueDataError(f"field {name!r}: {value!r} is not a number")
        return number
    return text_or_date(name, value, DATES, CatalogueDataError)


def _values(raw, fields, extra=()):
    if not isinstance(raw, dict):
        raise CatalogueDataError("expected a mapping of fields")
    unknown = sorted(set(raw) - {*fields, *extra})
    if unknown:
        raise CatalogueDataError(f"unknown field {unknown[0]!r}")
    return {name: _value(name, raw) for name in fields}


def _list_of(raw, name):
    items = raw.get(name) or []
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise CatalogueDataError(f"field {name!r}: expected a list of keys")
    return [i.strip() for i in items]


def _check(model, values, exclude):
    try:
        model(**values).full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        raise refused(exc, CatalogueDataError) from None


def _records(raw_list, file, name, read_one):
    records = {}
    for position, raw in enumerate(raw_list or []):
        where = f"{file}, {name}[{position}]"
        try:
            values = read_one(raw)
        except CatalogueDataError as exc:
            raise CatalogueDataError(f"{where}: {exc}") from None
        if values["key"] in records:
            raise CatalogueDataError(f"{where}: duplicate key {values['key']!r}")
        records[values["key"]] = values
    return records


def _read_zone(raw):
    values = _values(raw, ZONE_FIELDS, ("units", "decisions"))
    _check(Zone, values, [])
    values["units"] = _list_of(raw, "units")
    if len(set(values["units"])) != len(values["units"]):
        raise CatalogueDataError("field 'units': a unit is named twice")
    for region in values["units"]:
        _check(ZoneUnit, {"region": region}, ["zone"])
    decisions = []
    for position, item in enumerate(raw.get("decisions") or []):
        try:
            decision = _values(item, DECISION_FIELDS)
            _check(ZoneDecision, decision, ["zone"])
        except CatalogueDataError as exc:
            raise CatalogueDataError(f"decisions[{position}]: {exc}") from None
        decisions.append(decision)
    values["decisions"] = decisions
    return values


def _read_entry(raw):
    values = _values(raw, ENTRY_FIELDS, ("zones", "conditions", "pathway"))
    _check(CatalogueEntry, values, [])
    values["zones"] = _list_of(raw, "zones")
    values["pathway"] = _value("pathway", raw)
    conditions = []
    for position, item in enumerate(raw.get("conditions") or []):
        try:
            condition = _values(item, CONDITION_FIELDS, ("parameter",))
            condition["parameter"] = _value("parameter", item)
        except CatalogueDataError as exc:
            raise CatalogueDataError(f"conditions[{position}]: {exc}") from None
        conditions.append(condition)
    values["conditions"] = conditions
    return values


def read_zones(raw_zones, file):
    """{key: zone values (with "units" and "decisions")}; CatalogueDataError naming the
    record at fault."""
    return _records(raw_zones, file, "zones", _read_zone)


def read_catalogue(raw_entries, file):
    """{key: entry values (with "zones", "pathway" and "conditions")}."""
    return _records(raw_entries, file, "catalogue", _read_entry)


def _save(obj, changed, created):
    return saved(obj, changed, created, CatalogueDataError)


def _assign(obj, values):
    return assigned(obj, values)


def _decision_key(values):
    return (values["disease"], values["kind"], values["citation"], values["status"])


def write_zones(zones):
    """Create or update the dataset's zones by key, their units and their decisions
    (matched by disease, kind, citation and status); counts, and {key: Zone}."""
    existing = {z.key: z for z in Zone.objects.prefetch_related("units", "decisions")}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    for key, raw in zones.items():
        values = {name: raw[name] for name in ZONE_FIELDS}
        zone = existing.get(key)
        if zone is not None and not zone.from_dataset:
            counts["kept"] += 1
            continue
        if zone is None:
            zone = Zone(**values, from_dataset=True)
            outcome = _save(zone, [], True)
            units, decisions = set(), {}
        else:
            outcome = _save(zone, _assign(zone, values), False)
            units = {u.region for u in zone.units.all()}
            decisions = {_decision_key(d.__dict__): d for d in zone.decisions.all()}
        touched = False
        for region in raw["units"]:
            if region not in units:
                ZoneUnit.objects.create(zone=zone, region=region)
                touched = True
        for wanted in raw["decisions"]:
            decision = decisions.get(_decision_key(wanted))
            if decision is None:
                decision = ZoneDecision(zone=zone, **wanted, from_dataset=True)
                _save(decision, [], True)
                touched = True
            elif decision.from_dataset and _save(decision, _assign(decision, wanted), False) != (
                "unchanged"
            ):
                touched = True
        if touched and outcome == "unchanged":
            outcome = "updated"
        counts[outcome] += 1
        existing[key] = zone
    return counts, existing


def _condition_key(values):
    return (values["parameter"], values["kind"], values["qualifier"])


def write_catalogue(entries, zones, pathways):
    """Create or update the dataset's catalogue entries by key; `zones` and `pathways`
    by key. Counts (created, updated, unchanged, kept)."""
    existing = {
        e.key: e for e in CatalogueEntry.objects.prefetch_related("zones", "conditions__parameter")
    }
    parameters = {p.key: p for p in Parameter.objects.all()}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    for key, raw in entries.items():
        values = {name: raw[name] for name in ENTRY_FIELDS}
        values["pathway"] = pathways.get(raw["pathway"]) if raw["pathway"] else None
        entry = existing.get(key)
        if entry is not None and not entry.from_dataset:
            counts["kept"] += 1
            continue
        if entry is None:
            entry = CatalogueEntry(**values, from_dataset=True)
            outcome = _save(entry, [], True)
            present = {}
        else:
            outcome = _save(entry, _assign(entry, values), False)
            present = {(c.parameter.key, c.kind, c.qualifier): c for c in entry.conditions.all()}
        wanted_zones = [zones[k] for k in raw["zones"]]
        touched = False
        if {z.pk for z in entry.zones.all()} != {z.pk for z in wanted_zones}:
            entry.zones.set(wanted_zones)
            touched = True
        for position, wanted in enumerate(raw["conditions"]):
            fields = {name: wanted[name] for name in CONDITION_FIELDS}
            condition = present.get(_condition_key(wanted))
            if condition is None:
                condition = CatalogueCondition(
                    entry=entry,
                    parameter=parameters[wanted["parameter"]],
                    position=position,
                    **fields,
                )
                _save(condition, [], True)
                touched = True
        if touched and outcome == "unchanged":
            outcome = "updated"
        counts[outcome] += 1
    return counts
