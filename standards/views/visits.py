"""Site visits and audits: the list (status, dates, inspecting body, open findings and
overdue corrective actions) and one visit with its scope, team, sites, checklist,
findings, corrective actions, report dates and outcome."""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from standards.models import ChecklistItem, Finding, SiteVisit
from standards.views import reader_required
from standards.visits import visits_counted


@reader_required
def visit_list(request):
    visits = visits_counted(today=timezone.localdate())
    return render(request, "standards/visit_list.html", {"visits": list(visits)})


@reader_required
def visit_detail(request, key):
    findings = Finding.objects.select_related("site").prefetch_related(
        "clauses__standard", "mappings", "actions"
    )
    checklist = ChecklistItem.objects.select_related("clause__standard")
    visit = (
        SiteVisit.objects.filter(key=key)
        .select_related("milestone__pathway", "follow_up_of")
        .prefetch_related(
            "team",
            "sites",
            Prefetch("checklist", queryset=checklist),
            Prefetch("findings", queryset=findings),
            "pathways",
            "rounds",
            "follow_ups",
        )
        .first()
    )
    if visit is None:
        raise Http404
    today = timezone.localdate()
    findings = [
        (finding, [(a, a.is_overdue(today)) for a in finding.actions.all()])
        for finding in visit.findings.all()
    ]
    return render(
        request,
        "standards/visit_detail.html",
        {"visit": visit, "findings": findings, "today": today},
    )
