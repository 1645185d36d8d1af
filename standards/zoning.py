"""Which zones and administrative units are open to China for a species on a date, and
why: the one place that reads the zone decisions (models.ZoneDecision).

The rule (MARKET_ACCESS.md §2.1, §3.2): China recognises zones by its own announcement,
so a WOAH status or a self-declaration is shown but decides nothing. For a species, the
decisions on the diseases that cover it (FMD: cattle, sheep, goats, pigs; HPAI: poultry)
are read in date order up to the day asked: China's recognition opens, a ban closes, and
the lifting of a ban opens again. The latest wins; on one day a ban wins over an opening.
A decision given with its year only counts from 1 January of that year. A place is

- a unit: the decisions on every zone it belongs to, and on the whole-country zones;
- a zone: its own decisions and the whole-country zones'.

Nothing recorded for the species leaves the place "not recognised": no decision shows
China admits it.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from standards.models import (
    Disease,
    KazakhRegion,
    PathwaySpecies,
    Zone,
    ZoneDecision,
    ZoneDecisionKind,
)

# The species each disease's decisions cover.
DISEASE_SPECIES = {
    Disease.FMD: (
        PathwaySpecies.CATTLE,
        PathwaySpecies.SHEEP,
        PathwaySpecies.GOAT,
        PathwaySpecies.PIG,
    ),
    Disease.HPAI: (PathwaySpecies.POULTRY,),
}

OPEN = "open"
CLOSED = "closed"
NOT_RECOGNISED = "not_recognised"
STATE_LABELS = {
    OPEN: _("Open"),
    CLOSED: _("Closed"),
    NOT_RECOGNISED: _("Not recognised"),
}


def diseases_of(species):
    return [d for d, covered in DISEASE_SPECIES.items() if species in covered]


@dataclass(frozen=True)
class Verdict:
    """Whether a place is open for a species on a day; `decision` decided it (None when
    nothing recorded decides) and `lifted` says the ban's lifting reopened it."""

    state: str
    decision: ZoneDecision | None = None
    lifted: bool = False

    @property
    def is_open(self):
        return self.state == OPEN

    @property
    def label(self):
        return STATE_LABELS[self.state]

    @property
    def reason(self):
        d = self.decision
        if d is None:
            return _("No recognition or ban by China is recorded for this species.")
        if self.lifted:
            return _("%(ban)s lifted on %(day)s by %(by)s.") % {
                "ban": d.citation or d.get_kind_display(),
                "day": d.lifted_on.isoformat(),
                "by": d.lifted_by or _("an unnamed act"),
            }
        when = d.decided_on.isoformat() if d.decided_on else d.dates_note or str(d.year)
        if d.kind == ZoneDecisionKind.BAN:
            return _("Ban in force since %(when)s: %(citation)s (%(zone)s).") % {
                "when": when,
                "citation": d.citation or _("no citation given"),
                "zone": d.zone.name,
            }
        return _("Recognised by China on %(when)s: %(citation)s (%(zone)s).") % {
            "when": when,
            "citation": d.citation or _("no citation given"),
            "zone": d.zone.name,
        }


def _events(decisions, species, on):
    """(day, closes, decision, lifted) of the decisions that decide for `species` up to `on`."""
    diseases = set(diseases_of(species))
    for d in decisions:
        if d.disease not in diseases:
            continue
        start = d.starts_on
        if start is None or start > on:
            continue
        if d.kind == ZoneDecisionKind.CHINA_RECOGNITION:
            yield (start, False, d, False)
        elif d.kind == ZoneDecisionKind.BAN:
            yield (start, True, d, False)
            if d.lifted_on is not None and d.lifted_on <= on:
                yield (d.lifted_on, False, d, True)


def verdict(decisions, species, on):
    """The Verdict of the decisions that apply to one place, for `species` on `on`."""
    # Latest day last; on one day an opening sorts first, so a ban of that day wins.
    events = sorted(_events(decisions, species, on), key=lambda e: (e[0], e[1]))
    if not events:
        return Verdict(NOT_RECOGNISED)
    _day, closes, decision, lifted = events[-1]
    return Verdict(CLOSED if closes else OPEN, decision, lifted)


@dataclass
class Zoning:
    """The zones with their units and decisions, read once (3 queries), answering for
    any unit, zone, species and day without further queries."""

    zones: list

    @classmethod
    def load(cls):
        zones = list(Zone.objects.prefetch_related("units", "decisions__zone").order_by("key"))
        return cls(zones)

    @property
    def whole_country(self):
        return [z for z in self.zones if z.whole_country]

    def units_of(self, zone):
        if zone.whole_country:
            return list(KazakhRegion.values)
        return [u.region for u in zone.units.all()]

    def zones_of_unit(self, region):
        return [z for z in self.zones if z.whole_country or region in self.units_of(z)]

    def _decisions(self, zones):
        return [d for z in zones for d in z.decisions.all()]

    def unit_verdict(self, region, species, on):
        return verdict(self._decisions(self.zones_of_unit(region)), species, on)

    def zone_verdict(self, zone, species, on):
        zones = {z.pk: z for z in [zone, *self.whole_country]}
        return verdict(self._decisions(zones.values()), species, on)

    def open_units(self, species, on):
        return [r for r in KazakhRegion.values if self.unit_verdict(r, species, on).is_open]

    def open_zones(self, species, on):
        return [z for z in self.zones if self.zone_verdict(z, species, on).is_open]

    def zones_verdicts(self, zones, species, on):
        """[(zone, Verdict)] for the given zones (a catalogue entry's or a pathway's)."""
        by_pk = {z.pk: z for z in self.zones}
        return [
            (by_pk.get(z.pk, z), self.zone_verdict(by_pk.get(z.pk, z), species, on)) for z in zones
        ]


def open_zones(species, on):
    """The zones open to China for `species` on the day `on`."""
    return Zoning.load().open_zones(species, on)


def open_units(species, on):
    """The KazakhRegion values open to China for `species` on the day `on`."""
    return Zoning.load().open_units(species, on)


def entry_eligibility(entry, on, zoning=None):
    """[(zone, Verdict)] for each permitted zone of a catalogue entry (or a pathway: any
    object with `species` and `zones`) on the day `on`."""
    zoning = zoning or Zoning.load()
    return zoning.zones_verdicts(list(entry.zones.all()), entry.species, on)


pathway_eligibility = entry_eligibility
