"""Market-access pathways: the list (progress, current stage, overdue and blocking
counts) and one pathway with its milestones, blocking mappings, rounds and site visits."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from standards.models import Pathway
from standards.pathways import measure, measured, pathways_measured
from standards.views import reader_required
from standards.zoning import pathway_eligibility


@reader_required
def pathway_list(request):
    return render(
        request, "standards/pathway_list.html", {"pathways": measured(today=timezone.localdate())}
    )


@reader_required
def pathway_detail(request, key):
    pathway = pathways_measured(Pathway.objects.filter(key=key), with_rounds=True).first()
    if pathway is None:
        raise Http404
    today = timezone.localdate()
    return render(
        request,
        "standards/pathway_detail.html",
        {
            "pathway": pathway,
            "measure": measure(pathway, today),
            "linked_total": pathway.mappings.count(),
            "rounds": sorted(pathway.rounds.all(), key=lambda r: r.number),
            "visits": list(pathway.visits.order_by("key")),
            "today": today,
            "eligibility": pathway_eligibility(pathway, today),
        },
    )
