"""The site visits of the reference dataset (`data/reference/visits.yaml`, `visits:`):
each review mission or audit with what the sources say of it, its source and confidence.

The loader reads them with the rest (`read_visits`) and writes them after the pathways
(`write_visits`): a visit is created or updated by its key, its pathways and rounds set
from the keys and numbers named. What an editor saved in the admin is the editor's (its
`from_dataset` is cleared there): such a visit is left as it is and counted as "kept",
and nothing is deleted. Team, sites, checklist, findings and corrective actions are
entered in the admin: the dataset records none the sources do not publish.
"""

from django.core.exceptions import ValidationError

from standards.models import SiteVisit
from standards.pathway_data import _assign, _list_of, _sync
from standards.round_data import refused, saved, text_or_date

VISIT_FIELDS = (
    "key",
    "title",
    "legal_basis",
    "purpose",
    "scope",
    "diseases",
    "products",
    "zones",
    "format",
    "requesting_body",
    "inspecting_body",
    "host_authority",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "dates_note",
    "status",
    "findings_state",
    "report_draft_date",
    "report_comments_date",
    "report_final_date",
    "outcome",
    "outcome_citation",
    "source",
    "confidence",
)
VISIT_REQUIRED = ("key", "title", "purpose", "inspecting_body", "status", "source", "confidence")
DATES = (
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "report_draft_date",
    "report_comments_date",
    "report_final_date",
)
LINKS = ("pathways", "rounds")
# What a field left out of the file means.
DEFAULTS = {"findings_state": SiteVisit.Findings.NO_REPORT_YET}


class VisitDataError(ValueError):
    pass


def _read_one(raw):
    if not isinstance(raw, dict):
        raise VisitDataError("expected a mapping of fields")
    unknown = sorted(set(raw) - {*VISIT_FIELDS, *LINKS})
    if unknown:
        raise VisitDataError(f"unknown field {unknown[0]!r}")
    values = {
        name: text_or_date(name, raw.get(name), DATES, VisitDataError) for name in VISIT_FIELDS
    }
    for name, default in DEFAULTS.items():
        values[name] = values[name] or default
    missing = [name for name in VISIT_REQUIRED if values[name] in ("", None)]
    if missing:
        raise VisitDataError(f"field {missing[0]!r}: must not be empty")
    try:
        SiteVisit(**values).full_clean(validate_unique=False)
    except ValidationError as exc:
        raise refused(exc, VisitDataError) from None
    try:
        values["pathways"] = _list_of(raw, "pathways", str)
        values["rounds"] = _list_of(raw, "rounds", int)
    except ValueError as exc:
        raise VisitDataError(str(exc)) from None
    return values


def read_visits(raw_visits, file):
    """{key: field values (with "pathways" and "rounds")} of a `visits:` list;
    VisitDataError naming the record at fault."""
    visits = {}
    for position, raw in enumerate(raw_visits or []):
        where = f"{file}, visits[{position}]"
        try:
            values = _read_one(raw)
        except VisitDataError as exc:
            raise VisitDataError(f"{where}: {exc}") from None
        if values["key"] in visits:
            raise VisitDataError(f"{where}: duplicate key {values['key']!r}")
        visits[values["key"]] = values
    return visits


def _save(obj, changed, created):
    return saved(obj, changed, created, VisitDataError)


def write_visits(visits, pathways, rounds):
    """Create or update the dataset's visits by key, their pathways from `pathways`
    ({key: Pathway}) and rounds from `rounds` ({number: Round}); counts (created,
    updated, unchanged, kept)."""
    existing = {v.key: v for v in SiteVisit.objects.prefetch_related("pathways", "rounds")}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    for key, raw in visits.items():
        values = {name: raw[name] for name in VISIT_FIELDS}
        visit = existing.get(key)
        if visit is not None and not visit.from_dataset:
            counts["kept"] += 1  # an editor's visit, or one an editor changed
            continue
        if visit is None:
            visit = SiteVisit(**values, from_dataset=True)
            outcome = _save(visit, [], True)
        else:
            outcome = _save(visit, _assign(visit, values), False)
        linked = _sync(visit.pathways, [pathways[k] for k in raw["pathways"] if k in pathways])
        linked |= _sync(visit.rounds, [rounds[n] for n in raw["rounds"] if n in rounds])
        if linked and outcome == "unchanged":
            outcome = "updated"
        counts[outcome] += 1
    return counts
