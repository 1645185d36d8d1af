"""Disease zones (the zone table and the list per administrative unit) and the export
catalogue (the list with its filters and changed-since marks, and one entry). What is
open is standards.zoning's answer; what changed is standards.catalogue's."""

from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from standards.catalogue import BadChangedSince, changes_since, parse_day
from standards.models import (
    CatalogueEntry,
    CatalogueStatus,
    KazakhRegion,
    PathwaySpecies,
    ProcessingForm,
)
from standards.views import reader_required
from standards.zoning import DISEASE_SPECIES, Zoning

# The species the zone decisions speak for, in the order of the choices.
ZONED_SPECIES = [s for s in PathwaySpecies if any(s in c for c in DISEASE_SPECIES.values())]


def _day(request):
    """The `on` day of the query (today by default), or a 400 response."""
    text = request.GET.get("on", "").strip()
    if not text:
        return timezone.localdate(), None
    try:
        return parse_day(text), None
    except BadChangedSince as exc:
        return None, HttpResponseBadRequest(escape(str(exc)))


def _grouped(verdicts):
    """[(species labels, verdict)]: the species one decision decides alike, together, so
    that a decision's citation is read once."""
    groups = {}
    for species, verdict in verdicts:
        key = (verdict.state, verdict.decision and verdict.decision.pk, verdict.lifted)
        groups.setdefault(key, ([], verdict))[0].append(species.label)
    return list(groups.values())


@reader_required
def zone_list(request):
    on, error = _day(request)
    if error:
        return error
    zoning = Zoning.load()
    zones = [
        (
            zone,
            zoning.units_of(zone),
            _grouped(
                [(species, zoning.zone_verdict(zone, species, on)) for species in ZONED_SPECIES]
            ),
        )
        for zone in zoning.zones
    ]
    regions = [
        (
            region,
            [z for z in zoning.zones_of_unit(region.value)],
            [(s, zoning.unit_verdict(region.value, s, on)) for s in ZONED_SPECIES],
        )
        for region in KazakhRegion
    ]
    return render(
        request,
        "standards/zone_list.html",
        {"zones": zones, "regions": regions, "on": on, "species": ZONED_SPECIES},
    )


FILTERS = {
    "status": CatalogueStatus.values,
    "species": PathwaySpecies.values,
    "form": [v for v in ProcessingForm.values if v],
}


@reader_required
def catalogue_list(request):
    entries = CatalogueEntry.objects.prefetch_related("zones")
    chosen = {}
    for name, allowed in FILTERS.items():
        value = request.GET.get(name, "").strip()
        if not value:
            continue
        if value not in allowed:
            return HttpResponseBadRequest(
                escape(
                    _("“%(value)s” is not a %(name)s the catalogue knows.")
                    % {"value": value, "name": name}
                )
            )
        chosen[name] = value
    field = {"status": "status", "species": "species", "form": "processing_form"}
    entries = entries.filter(**{field[k]: v for k, v in chosen.items()})
    since_text = request.GET.get("changed_since", "").strip()
    since, changes = None, {}
    if since_text:
        try:
            since = parse_day(since_text)
        except BadChangedSince as exc:
            return HttpResponseBadRequest(escape(str(exc)))
        changes = {c.entry.pk: c for c in changes_since(since, entries)}
    rows = [(entry, changes.get(entry.pk)) for entry in entries]
    return render(
        request,
        "standards/catalogue_list.html",
        {
            "rows": rows,
            "since": since,
            "chosen": chosen,
            "statuses": CatalogueStatus.choices,
            "species_choices": PathwaySpecies.choices,
            "forms": [c for c in ProcessingForm.choices if c[0]],
        },
    )


@reader_required
def catalogue_detail(request, key):
    entry = (
        CatalogueEntry.objects.filter(key=key)
        .select_related("pathway")
        .prefetch_related("zones", "conditions__parameter")
        .first()
    )
    if entry is None:
        raise Http404
    on, error = _day(request)
    if error:
        return error
    zoning = Zoning.load()
    return render(
        request,
        "standards/catalogue_detail.html",
        {
            "entry": entry,
            "on": on,
            "eligibility": zoning.zones_verdicts(list(entry.zones.all()), entry.species, on),
            "revisions": entry.history.all().order_by("-history_date")[:50],
        },
    )
