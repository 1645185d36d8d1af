"""Site visits and audits in figures: the corrective actions past their deadline and the
findings still open, as plain rows for the dashboard, the market-access report and the
watch digests; and the visits with their counts for the list page.

The rules live on the models (standards.models.CorrectiveAction): done needs evidence;
verified needs evidence, the verification method, who verified it and the closing day;
an action is overdue when its deadline has passed and it is neither done nor verified
(`CorrectiveAction.is_overdue`, `CorrectiveAction.objects.overdue`). A finding is open
while one of its corrective actions is neither done nor verified.

Every function here costs the same queries whatever the number of rows: one each.
"""

import datetime
from dataclasses import asdict, dataclass

from django.db.models import Count, F, Q
from django.utils import timezone

from standards.models import CorrectiveAction, Finding, SiteVisit

UNFINISHED = CorrectiveAction.UNFINISHED


@dataclass(frozen=True)
class OverdueAction:
    """One corrective action past its deadline, with its finding, visit and owner."""

    action_id: int
    action: str
    status: str
    status_label: str
    owner_side: str
    owner_side_label: str
    owner_body: str
    owner_person: str
    owner: str  # "Kazakhstan — body, person", with what is known
    deadline: datetime.date
    days_overdue: int
    finding_id: int
    finding: str
    severity: str
    severity_label: str
    visit_key: str
    visit_title: str
    visit_url: str

    def as_dict(self):
        return asdict(self)


@dataclass(frozen=True)
class OpenFinding:
    """One finding with corrective actions neither done nor verified."""

    finding_id: int
    finding: str
    severity: str
    severity_label: str
    raised_on: datetime.date | None
    report_reference: str
    site: str
    open_actions: int
    overdue_actions: int
    visit_key: str
    visit_title: str
    visit_url: str

    def as_dict(self):
        return asdict(self)


def overdue_actions(today=None):
    """[OverdueAction] of the corrective actions past their deadline and neither done
    nor verified, the longest overdue first: one query."""
    today = today or timezone.localdate()
    actions = (
        CorrectiveAction.objects.overdue(today)
        .select_related("finding__visit")
        .order_by("deadline", "pk")
    )
    return [
        OverdueAction(
            action_id=a.pk,
            action=a.action,
            status=a.status,
            status_label=str(a.get_status_display()),
            owner_side=a.owner_side,
            owner_side_label=str(a.get_owner_side_display()),
            owner_body=a.owner_body,
            owner_person=a.owner_person,
            owner=a.owner_display(),
            deadline=a.deadline,
            days_overdue=(today - a.deadline).days,
            finding_id=a.finding_id,
            finding=a.finding.text,
            severity=a.finding.severity,
            severity_label=str(a.finding.get_severity_display()),
            visit_key=a.finding.visit.key,
            visit_title=a.finding.visit.title,
            visit_url=a.finding.visit.get_absolute_url(),
        )
        for a in actions
    ]


@dataclass(frozen=True)
class UnfinishedAction:
    """One corrective action neither done nor verified, with its finding, what the
    finding concerns and its visit's source."""

    action: str
    status_label: str
    owner: str
    deadline: datetime.date | None
    overdue: bool
    finding: str
    severity_label: str
    concerns: list  # the keys of the mappings, then the clauses, the finding concerns
    visit_title: str
    visit_url: str
    source: str
    confidence_label: str


def unfinished_actions(today=None):
    """[UnfinishedAction] of every corrective action neither done nor verified, by visit,
    finding and deadline: three queries (the actions, the findings' mappings and their
    clauses)."""
    today = today or timezone.localdate()
    actions = (
        CorrectiveAction.objects.unfinished()
        .select_related("finding__visit")
        .prefetch_related("finding__mappings", "finding__clauses__standard")
        .order_by("finding__visit__key", "finding_id", F("deadline").asc(nulls_last=True), "pk")
    )
    return [
        UnfinishedAction(
            action=a.action,
            status_label=str(a.get_status_display()),
            owner=a.owner_display(),
            deadline=a.deadline,
            overdue=a.is_overdue(today),
            finding=a.finding.text,
            severity_label=str(a.finding.get_severity_display()),
            concerns=[m.key for m in a.finding.mappings.all()]
            + [str(c) for c in a.finding.clauses.all()],
            visit_title=a.finding.visit.title,
            visit_url=a.finding.visit.get_absolute_url(),
            source=a.finding.visit.source,
            confidence_label=str(a.finding.visit.get_confidence_display()),
        )
        for a in actions
    ]


def open_findings(today=None):
    """[OpenFinding] of the findings with a corrective action neither done nor verified,
    by visit and then by the day raised: one query."""
    today = today or timezone.localdate()
    unfinished = Q(actions__status__in=UNFINISHED)
    findings = (
        Finding.objects.annotate(
            open_count=Count("actions", filter=unfinished),
            overdue_count=Count("actions", filter=unfinished & Q(actions__deadline__lt=today)),
        )
        .filter(open_count__gt=0)
        .select_related("visit", "site")
        .order_by("visit__key", "raised_on", "pk")
    )
    return [
        OpenFinding(
            finding_id=f.pk,
            finding=f.text,
            severity=f.severity,
            severity_label=str(f.get_severity_display()),
            raised_on=f.raised_on,
            report_reference=f.report_reference,
            site=f.site.name if f.site else "",
            open_actions=f.open_count,
            overdue_actions=f.overdue_count,
            visit_key=f.visit.key,
            visit_title=f.visit.title,
            visit_url=f.visit.get_absolute_url(),
        )
        for f in findings
    ]


def visits_counted(queryset=None, today=None):
    """The visits with `open_findings` (findings with an unfinished action) and
    `overdue_actions` (actions past their deadline) counted: one query."""
    today = today or timezone.localdate()
    queryset = SiteVisit.objects.all() if queryset is None else queryset
    unfinished = Q(findings__actions__status__in=UNFINISHED)
    return queryset.annotate(
        open_findings=Count("findings", filter=unfinished, distinct=True),
        overdue_actions=Count(
            "findings__actions",
            filter=unfinished & Q(findings__actions__deadline__lt=today),
            distinct=True,
        ),
    )
