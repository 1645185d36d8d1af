"""The market-access pathways of the reference dataset (`data/reference/pathways.yaml`,
`pathways:`): each product line toward China with the milestones the sources support,
each with its source and confidence.

The loader reads them with the rest (`read_pathways`) and writes them after the rounds
(`write_pathways`): a pathway is created or updated by its key, its mappings and rounds
set from the keys and numbers named, its milestones created or updated by stage. What an
editor saved in the admin is the editor's (its `from_dataset` is cleared there): such a
pathway or milestone is left as it is and counted as "kept", and nothing is deleted.
"""

from django.core.exceptions import ValidationError

from standards.models import Milestone, Pathway
from standards.round_data import assigned, refused, saved, text_or_date

PATHWAY_FIELDS = (
    "key",
    "title",
    "species",
    "processing_form",
    "zone",
    "summary",
    "source",
    "confidence",
)
PATHWAY_REQUIRED = ("key", "title", "species", "source", "confidence")
MILESTONE_FIELDS = (
    "stage",
    "status",
    "owner_side",
    "responsible_body",
    "baseline_date",
    "target_date",
    "actual_date",
    "dates_note",
    "evidence",
    "citation",
    "slip_reason",
    "source",
    "confidence",
)
MILESTONE_REQUIRED = ("stage", "source", "confidence")
DATES = ("baseline_date", "target_date", "actual_date")
# Stages by the names the data file uses: "protocol_signed" and so on.
STAGES = {stage.name.lower(): stage.value for stage in Milestone.Stage}


class PathwayDataError(ValueError):
    pass


def _value(name, raw):
    value = raw.get(name)
    if name == "stage":
        if value not in STAGES:
            raise PathwayDataError(f"field 'stage': {value!r} is not one of {', '.join(STAGES)}")
        return STAGES[value]
    return text_or_date(name, value, DATES, PathwayDataError)


def _values(raw, fields, required, extra):
    if not isinstance(raw, dict):
        raise PathwayDataError("expected a mapping of fields")
    unknown = sorted(set(raw) - {*fields, *extra})
    if unknown:
        raise PathwayDataError(f"unknown field {unknown[0]!r}")
    values = {name: _value(name, raw) for name in fields}
    missing = [name for name in required if values[name] in ("", None)]
    if missing:
        raise PathwayDataError(f"field {missing[0]!r}: must not be empty")
    return values


def _refused(exc):
    return refused(exc, PathwayDataError)


def _list_of(raw, name, kind):
    items = raw.get(name) or []
    if not isinstance(items, list) or not all(
        isinstance(i, kind) and not isinstance(i, bool) for i in items
    ):
        raise PathwayDataError(f"field {name!r}: expected a list")
    return [i.strip() if isinstance(i, str) else i for i in items]


def _read_milestones(raw):
    milestones = {}
    for position, item in enumerate(raw.get("milestones") or []):
        try:
            values = _values(item, MILESTONE_FIELDS, MILESTONE_REQUIRED, ())
            Milestone(**values).full_clean(exclude=["pathway"], validate_unique=False)
        except ValidationError as exc:
            raise PathwayDataError(f"milestones[{position}]: {_refused(exc)}") from None
        except PathwayDataError as exc:
            raise PathwayDataError(f"milestones[{position}]: {exc}") from None
        if values["stage"] in milestones:
            raise PathwayDataError(f"milestones[{position}]: duplicate stage")
        milestones[values["stage"]] = values
    return milestones


def _read_one(raw):
    values = _values(
        raw, PATHWAY_FIELDS, PATHWAY_REQUIRED, ("mappings", "rounds", "zones", "milestones")
    )
    try:
        Pathway(**values).full_clean(validate_unique=False)
    except ValidationError as exc:
        raise _refused(exc) from None
    values["mappings"] = _list_of(raw, "mappings", str)
    values["rounds"] = _list_of(raw, "rounds", int)
    values["zones"] = _list_of(raw, "zones", str)
    values["milestones"] = _read_milestones(raw)
    return values


def read_pathways(raw_pathways, file):
    """{key: field values (with "mappings", "rounds" and "milestones" by stage)} of a
    `pathways:` list; PathwayDataError naming the record at fault."""
    pathways = {}
    for position, raw in enumerate(raw_pathways or []):
        where = f"{file}, pathways[{position}]"
        try:
            values = _read_one(raw)
        except PathwayDataError as exc:
            raise PathwayDataError(f"{where}: {exc}") from None
        if values["key"] in pathways:
            raise PathwayDataError(f"{where}: duplicate key {values['key']!r}")
        pathways[values["key"]] = values
    return pathways


def _save(obj, changed, created):
    return saved(obj, changed, created, PathwayDataError)


def _assign(obj, values):
    return assigned(obj, values)


def _write_milestones(pathway, wanted, counts):
    existing = {m.stage: m for m in pathway.milestones.all()}
    # In stage order, so that the order rule sees the earlier stages first.
    for stage in sorted(wanted):
        values = {name: wanted[stage][name] for name in MILESTONE_FIELDS}
        milestone = existing.get(stage)
        if milestone is None:
            milestone = Milestone(pathway=pathway, **values, from_dataset=True)
            counts[_save(milestone, [], True)] += 1
        elif not milestone.from_dataset:
            counts["kept"] += 1
        else:
            counts[_save(milestone, _assign(milestone, values), False)] += 1


def _sync(manager, wanted):
    if {o.pk for o in manager.all()} != {o.pk for o in wanted}:
        manager.set(wanted)
        return True
    return False


def write_pathways(pathways, mappings, rounds, zones=None):
    """Create or update the dataset's pathways by key, their mappings from `mappings`
    ({key: ClauseMapping}), rounds from `rounds` ({number: Round}) and zones from `zones`
    ({key: Zone}); counts of pathways and of milestones (created, updated, unchanged,
    kept)."""
    zones = zones or {}
    existing = {p.key: p for p in Pathway.objects.prefetch_related("mappings", "rounds", "zones")}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    milestone_counts = dict.fromkeys(counts, 0)
    for key, raw in pathways.items():
        values = {name: raw[name] for name in PATHWAY_FIELDS}
        pathway = existing.get(key)
        if pathway is not None and not pathway.from_dataset:
            counts["kept"] += 1  # an editor's pathway, or one an editor changed
            continue
        if pathway is None:
            pathway = Pathway(**values, from_dataset=True)
            outcome = _save(pathway, [], True)
        else:
            outcome = _save(pathway, _assign(pathway, values), False)
        linked = _sync(pathway.mappings, [mappings[k] for k in raw["mappings"]])
        linked |= _sync(pathway.rounds, [rounds[n] for n in raw["rounds"] if n in rounds])
        linked |= _sync(pathway.zones, [zones[k] for k in raw.get("zones", []) if k in zones])
        if linked and outcome == "unchanged":
            outcome = "updated"
        counts[outcome] += 1
        _write_milestones(pathway, raw["milestones"], milestone_counts)
    return counts, milestone_counts
