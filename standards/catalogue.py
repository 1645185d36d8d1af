"""The export catalogue's revision record: what changed in each entry since a day, like
the FSIS Export Library's "changed since" marks. Read from the history (simple-history)
of the entries, their permitted zones and their conditions, in a constant number of
queries (at most 10) whatever the number of entries or revisions."""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from limits.notation import format_limit
from standards.models import CatalogueCondition, CatalogueEntry, Zone

# The fields whose change is reported, with the name shown.
TRACKED = {
    "status": _("status"),
    "product": _("product"),
    "hs_code": _("HS code"),
    "processing_form": _("processing form"),
    "protocol": _("protocol"),
    "announcement": _("GACC announcement"),
    "certificate": _("certificate model"),
    "effective_on": _("effective date"),
    "closing_on": _("closing date"),
}


class BadChangedSince(ValueError):
    pass


def parse_day(text):
    """A YYYY-MM-DD day, or BadChangedSince with a message to show."""
    try:
        return datetime.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise BadChangedSince(
            _("“%(value)s” is not a date: give the day as YYYY-MM-DD, e.g. 2024-02-07.")
            % {"value": text}
        ) from None


@dataclass
class Change:
    """One entry's changes since the day: `fields` is [(field, name, old, new)]; `new`
    says the entry did not exist then."""

    entry: CatalogueEntry
    revised_on: datetime.date
    revision_code: str
    new: bool = False
    fields: list = field(default_factory=list)

    @property
    def what(self):
        if self.new:
            return [str(_("entered in the portal"))]
        return [str(name) for _f, name, _o, _n in self.fields]


def _as_of(model, day):
    """The history rows of `model` as they stood at the start of `day` (the latest
    record before it of each object), deletions included."""
    history = model.history.model
    latest = (
        history.objects.filter(id=OuterRef("id"), history_date__date__lt=day)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return history.objects.filter(history_date__date__lt=day, history_id=Subquery(latest))


def condition_text(condition):
    """A condition as one line, the same for a stored condition and a history row."""
    return f"{condition.parameter.name_en}: {format_limit(condition)}"


def _display(model, name, value):
    if value in (None, ""):
        return "—"
    f = model._meta.get_field(name)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    return str(value)


def changes_since(day, entries=None):
    """[Change] of the entries (all by default) changed on or after `day`: status,
    fields, permitted zones and conditions, old → new, plain values."""
    if entries is None:
        entries = CatalogueEntry.objects.all()
    entries = list(entries.prefetch_related("zones", "conditions__parameter"))  # 3 queries
    entry_history = CatalogueEntry.history.model
    changed_ids = set(
        entry_history.objects.filter(history_date__date__gte=day).values_list("id", flat=True)
    ) | set(
        CatalogueCondition.history.model.objects.filter(history_date__date__gte=day).values_list(
            "entry_id", flat=True
        )
    )  # 1 query
    old = {h.id: h for h in _as_of(CatalogueEntry, day).exclude(history_type="-")}  # 1 query
    zone_rows = (
        apps.get_model("standards", "HistoricalCatalogueEntry_zones")
        .objects.filter(history_id__in=[h.history_id for h in old.values()])
        .values_list("history_id", "zone_id")
    )  # 1 query
    old_zones = {}
    for history_id, zone_id in zone_rows:
        old_zones.setdefault(history_id, set()).add(zone_id)
    old_conditions = {}
    for c in (
        _as_of(CatalogueCondition, day).exclude(history_type="-").select_related("parameter")
    ):  # 1 query
        old_conditions.setdefault(c.entry_id, set()).add(condition_text(c))
    zone_names = dict(Zone.objects.values_list("pk", "name"))  # 1 query
    changes = []
    for entry in entries:
        if entry.pk not in changed_ids:
            continue
        change = Change(entry, entry.revised_on, entry.revision_code)
        before = old.get(entry.pk)
        if before is None:
            change.new = True
            changes.append(change)
            continue
        for name, label in TRACKED.items():
            was, now = getattr(before, name), getattr(entry, name)
            if was != now:
                change.fields.append(
                    (
                        name,
                        label,
                        _display(CatalogueEntry, name, was),
                        _display(CatalogueEntry, name, now),
                    )
                )
        zones_then = old_zones.get(before.history_id, set())
        zones_now = {z.pk for z in entry.zones.all()}
        if zones_then != zones_now:
            change.fields.append(
                (
                    "zones",
                    _("permitted zones"),
                    ", ".join(sorted(zone_names.get(z, "?") for z in zones_then)) or "—",
                    ", ".join(sorted(zone_names.get(z, "?") for z in zones_now)) or "—",
                )
            )
        conditions_then = old_conditions.get(entry.pk, set())
        conditions_now = {condition_text(c) for c in entry.conditions.all()}
        if conditions_then != conditions_now:
            change.fields.append(
                (
                    "conditions",
                    _("conditions"),
                    "; ".join(sorted(conditions_then)) or "—",
                    "; ".join(sorted(conditions_now)) or "—",
                )
            )
        if change.fields:
            changes.append(change)
    return changes
