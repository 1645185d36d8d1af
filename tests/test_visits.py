"""Site visits and audits: the corrective-action rules (done needs evidence, verified
needs the whole closure), overdue derivation, the plain rows for the dashboard and the
reports, the pages, the pathway's visits, the dashboard section, the seed and the
admin."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from standards.models import (
    ChecklistItem,
    CorrectiveAction,
    Finding,
    Pathway,
    SiteVisit,
    VisitedSite,
    VisitTeamMember,
)
from standards.reference import load_reference_data
from standards.visits import OpenFinding, OverdueAction, open_findings, overdue_actions
from tests.factories import make_clause, make_mapping

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
Status = CorrectiveAction.Status
SEED_KEY = "gacc-mara-2023-12-vet-service-review"


def make_visit(key="audit-2026", **fields):
    fields.setdefault("title", f"Audit {key}")
    fields.setdefault("purpose", SiteVisit.Purpose.COUNTRY_REVIEW)
    fields.setdefault("inspecting_body", "GACC")
    fields.setdefault("status", SiteVisit.Status.REPORT_PENDING)
    fields.setdefault("findings_state", SiteVisit.Findings.RECORDED)
    fields.setdefault("source", "test")
    return SiteVisit.objects.create(key=key, **fields)


def make_finding(visit, **fields):
    fields.setdefault("text", "Movement controls not recorded at the border post")
    fields.setdefault("severity", Finding.Severity.SYSTEMIC)
    finding = Finding(visit=visit, **fields)
    finding.full_clean()
    finding.save()
    return finding


def make_action(finding, **fields):
    fields.setdefault("action", "Record every movement permit")
    fields.setdefault("owner_side", "kz")
    fields.setdefault("owner_body", "Veterinary Control Committee")
    action = CorrectiveAction(finding=finding, **fields)
    action.full_clean()
    action.save()
    return action


@pytest.fixture
def audit():
    """A visit with a site, a finding on it concerning a mapping and a clause, and three
    corrective actions: one overdue, one due later, one verified past its deadline."""
    visit = make_visit()
    site = VisitedSite.objects.create(
        visit=visit,
        site_type=VisitedSite.Type.BORDER_POST,
        name="Dostyk border post",
        region="abai",
        visited_on=TODAY - 40 * DAY,
    )
    VisitTeamMember.objects.create(
        visit=visit, name="Expert One", organisation="GACC", role="lead", side="cn"
    )
    clause = make_clause()
    mapping = make_mapping(key="KZCN-901", kz=[clause], title="Movement control")
    ChecklistItem.objects.create(
        visit=visit,
        requirement="Animal movement control",
        topic="animal_health",
        pvs_competency="II-13",
        clause=clause,
    )
    finding = make_finding(visit, site=site, raised_on=TODAY - 40 * DAY, report_reference="5.2")
    finding.mappings.set([mapping])
    finding.clauses.set([clause])
    late = make_action(finding, deadline=TODAY - 10 * DAY, owner_person="Head of unit")
    later = make_action(finding, action="Train the staff", deadline=TODAY + 10 * DAY)
    closed = make_action(
        finding,
        action="Fix the register",
        deadline=TODAY - 20 * DAY,
        status=Status.VERIFIED,
        evidence="Register scans",
        verification_method="document",
        verified_by="GACC",
        closed_on=TODAY - 15 * DAY,
    )
    return {
        "visit": visit,
        "site": site,
        "finding": finding,
        "late": late,
        "later": later,
        "closed": closed,
        "mapping": mapping,
        "clause": clause,
    }


# --- the rules ------------------------------------------------------------------------


def test_finding_to_corrective_action_to_done_to_verified_closure():
    finding = make_finding(make_visit())
    action = make_action(finding, deadline=TODAY + 30 * DAY)
    assert action.status == Status.OPEN
    action.status = Status.IN_PROGRESS
    action.full_clean()
    action.save()

    action.status = Status.DONE
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    assert error.value.message_dict["evidence"] == [
        "A corrective action that is done or verified needs its evidence."
    ]
    action.evidence = "Permit register for 2026"
    action.full_clean()
    action.save()

    action.status = Status.VERIFIED
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    errors = error.value.message_dict
    assert errors["verification_method"] == [
        "A verified corrective action needs its verification method."
    ]
    assert errors["verified_by"] == ["A verified corrective action needs who verified it."]
    assert errors["closed_on"] == ["A verified corrective action needs the day it was closed."]
    action.verification_method = "video"
    action.verified_by = "GACC BIEFS"
    action.closed_on = TODAY
    action.full_clean()
    action.save()
    assert [h.status for h in action.history.order_by("history_date")] == [
        "open",
        "in_progress",
        "done",
        "verified",
    ]
    assert open_findings() == []


def test_verified_without_evidence_is_refused():
    action = make_action(make_finding(make_visit()))
    action.status = Status.VERIFIED
    action.verification_method = "on_site"
    action.verified_by = "MARA"
    action.closed_on = TODAY
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    assert "evidence" in error.value.message_dict


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "done"},
        {"status": "verified", "evidence": "x"},
        {"status": "verified", "evidence": "x", "verification_method": "video"},
        {"status": "closed"},
        {"owner_side": "xx"},
    ],
)
def test_the_database_holds_the_rules_of_one_row(fields):
    finding = make_finding(make_visit())
    values = {"action": "Act", "owner_side": "kz", **fields}
    with pytest.raises(IntegrityError), transaction.atomic():
        CorrectiveAction.objects.create(finding=finding, **values)


def test_visit_dates_in_order_and_not_its_own_follow_up():
    visit = make_visit()
    visit.actual_start, visit.actual_end = TODAY, TODAY - DAY
    visit.follow_up_of = visit
    with pytest.raises(ValidationError) as error:
        visit.full_clean()
    assert error.value.message_dict["actual_end"] == ["The end is before the start."]
    assert error.value.message_dict["follow_up_of"] == ["A visit cannot be a follow-up of itself."]
    with pytest.raises(IntegrityError), transaction.atomic():
        make_visit("reversed", actual_start=TODAY, actual_end=TODAY - DAY)


def test_no_finding_on_a_visit_whose_findings_are_not_published():
    visit = make_visit(findings_state=SiteVisit.Findings.NOT_PUBLISHED)
    with pytest.raises(ValidationError) as error:
        make_finding(visit)
    assert "not published" in error.value.message_dict["text"][0]


def test_a_finding_site_is_one_of_its_visit():
    other = make_visit("other")
    site = VisitedSite.objects.create(visit=other, site_type="farm", name="Farm")
    with pytest.raises(ValidationError) as error:
        make_finding(make_visit(), site=site)
    assert error.value.message_dict["site"] == ["The site is one of another visit."]


# --- overdue --------------------------------------------------------------------------


def test_overdue_is_derived_from_the_deadline_and_the_status(audit):
    late, later, closed = audit["late"], audit["later"], audit["closed"]
    assert late.is_overdue(TODAY) and not later.is_overdue(TODAY) and not closed.is_overdue(TODAY)
    # The deadline day itself is not overdue; the day after is.
    assert not later.is_overdue(later.deadline)
    assert later.is_overdue(later.deadline + DAY)
    # Done is not overdue, even past the deadline.
    late.status, late.evidence = Status.DONE, "Permits"
    assert not late.is_overdue(TODAY)
    # No deadline, never overdue.
    assert not make_action(audit["finding"]).is_overdue(TODAY + 1000 * DAY)
    # The queryset filter and the method agree.
    assert set(CorrectiveAction.objects.overdue(TODAY)) == {audit["late"]}
    assert set(CorrectiveAction.objects.overdue(TODAY + 11 * DAY)) == {
        audit["late"],
        audit["later"],
    }


def test_overdue_actions_rows(audit, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = overdue_actions(TODAY)
    assert rows == [
        OverdueAction(
            action_id=audit["late"].pk,
            action="Record every movement permit",
            status="open",
            status_label="Open",
            owner_side="kz",
            owner_side_label="Kazakhstan",
            owner_body="Veterinary Control Committee",
            owner_person="Head of unit",
            owner="Kazakhstan — Veterinary Control Committee, Head of unit",
            deadline=TODAY - 10 * DAY,
            days_overdue=10,
            finding_id=audit["finding"].pk,
            finding=audit["finding"].text,
            severity="systemic",
            severity_label="Systemic",
            visit_key="audit-2026",
            visit_title="Audit audit-2026",
            visit_url="/visits/audit-2026/",
        )
    ]
    assert rows[0].as_dict()["days_overdue"] == 10
    assert [r.action_id for r in overdue_actions(TODAY + 11 * DAY)] == [
        audit["late"].pk,
        audit["later"].pk,
    ]


def test_open_findings_rows(audit, django_assert_num_queries):
    resolved = make_finding(audit["visit"], text="Resolved", severity="isolated")
    make_action(resolved, status=Status.DONE, evidence="Done")
    with django_assert_num_queries(1):
        rows = open_findings(TODAY)
    assert rows == [
        OpenFinding(
            finding_id=audit["finding"].pk,
            finding=audit["finding"].text,
            severity="systemic",
            severity_label="Systemic",
            raised_on=TODAY - 40 * DAY,
            report_reference="5.2",
            site="Dostyk border post",
            open_actions=2,
            overdue_actions=1,
            visit_key="audit-2026",
            visit_title="Audit audit-2026",
            visit_url="/visits/audit-2026/",
        )
    ]


def test_the_rows_cost_one_query_whatever_their_number(audit, django_assert_num_queries):
    for n in range(20):
        visit = make_visit(f"v-{n}")
        make_action(make_finding(visit), deadline=TODAY - DAY)
    with django_assert_num_queries(1):
        assert len(overdue_actions(TODAY)) == 21
    with django_assert_num_queries(1):
        assert len(open_findings(TODAY)) == 21


# --- the pages ------------------------------------------------------------------------


def test_visit_list_shows_status_dates_body_and_counts(client_for, regulator, audit):
    make_visit("planned-one", status="planned", dates_note="Spring 2027", inspecting_body="MARA")
    response = client_for(regulator).get(reverse("standards:visit-list"))
    assert response.status_code == 200
    html = response.content.decode()
    rows = {v.key: v for v in response.context["visits"]}
    assert rows["audit-2026"].open_findings == 1 and rows["audit-2026"].overdue_actions == 1
    assert rows["planned-one"].open_findings == 0 and rows["planned-one"].overdue_actions == 0
    assert 'id="visit-audit-2026"' in html and "Report pending" in html
    assert "Spring 2027" in html and "MARA" in html


def test_visit_list_empty_state(client_for, regulator):
    html = client_for(regulator).get(reverse("standards:visit-list")).content.decode()
    assert "No site visits are recorded yet" in html


def test_visit_list_query_count_is_pinned_at_500_visits(
    client_for, regulator, django_assert_num_queries
):
    SiteVisit.objects.bulk_create(
        SiteVisit(
            key=f"v-{n}",
            title=f"Visit {n}",
            purpose="country_review",
            inspecting_body="GACC",
            status="closed",
            source="test",
        )
        for n in range(500)
    )
    client = client_for(regulator)
    client.get(reverse("standards:visit-list"))  # the session is read once per test
    # session, user, permissions (2); the visits with their counts (one query); the
    # reader's unread notifications (the header's badge)
    with django_assert_num_queries(6):
        response = client.get(reverse("standards:visit-list"))
    assert len(response.context["visits"]) == 500


def test_visit_page_shows_scope_team_sites_checklist_findings_and_actions(
    client_for, regulator, audit
):
    pathway = Pathway.objects.create(key="beef-frozen", title="Frozen beef", species="cattle")
    audit["visit"].pathways.set([pathway])
    SiteVisit.objects.filter(pk=audit["visit"].pk).update(
        scope="FMD control",
        outcome="Ban lifted",
        outcome_citation="Announcement 2024 No. 20",
        report_final_date=TODAY - 5 * DAY,
    )
    response = client_for(regulator).get(audit["visit"].get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "FMD control",
        "Expert One",
        "Dostyk border post",
        "Border post",
        "Abai region",
        "II-13",
        "Systemic",
        "Record every movement permit",
        "Head of unit",
        "Ban lifted",
        "Announcement 2024 No. 20",
        (TODAY - 5 * DAY).isoformat(),
    ):
        assert text in html, text
    assert audit["mapping"].get_absolute_url() in html
    assert audit["clause"].get_absolute_url() in html
    assert pathway.get_absolute_url() in html
    late = html.split(f'id="action-{audit["late"].pk}"')[1].split("</tr>")[0]
    assert "Overdue" in late and "table-warning" in html
    later = html.split(f'id="action-{audit["later"].pk}"')[1].split("</tr>")[0]
    assert "Overdue" not in later


def test_visit_page_query_count_does_not_grow(
    client_for, regulator, audit, django_assert_max_num_queries
):
    client = client_for(regulator)
    url = audit["visit"].get_absolute_url()
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for n in range(10):
        finding = make_finding(audit["visit"], text=f"Finding {n}", site=audit["site"])
        finding.mappings.set([audit["mapping"]])
        make_action(finding, deadline=TODAY - DAY)
    with django_assert_max_num_queries(40) as many:
        response = client.get(url)
    assert response.content.decode().count('class="border rounded p-2 mb-3"') == 11
    assert len(many.captured_queries) == len(few.captured_queries)


def test_unknown_visit_is_404(client_for, regulator):
    assert client_for(regulator).get("/visits/nothing-here/").status_code == 404


@pytest.mark.parametrize("url_name", ["standards:visit-list", "standards:visit-detail"])
def test_anonymous_is_sent_to_log_in_and_readers_see_the_pages(
    client, client_for, regulator, negotiator, outsider, audit, url_name
):
    args = [audit["visit"].key] if url_name == "standards:visit-detail" else []
    url = reverse(url_name, args=args)
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(regulator).get(url).status_code == 200
    assert client_for(negotiator).get(url).status_code == 200
    assert client_for(outsider).get(url).status_code == 403


def test_pathway_page_lists_its_visits(client_for, regulator, audit):
    pathway = Pathway.objects.create(key="beef-frozen", title="Frozen beef", species="cattle")
    client = client_for(regulator)
    html = client.get(pathway.get_absolute_url()).content.decode()
    assert "No site visits are linked to this pathway." in html
    audit["visit"].pathways.set([pathway])
    html = client.get(pathway.get_absolute_url()).content.decode()
    listed = html.split('id="pathway-visits"')[1].split("</ul>")[0]
    assert audit["visit"].get_absolute_url() in listed and "Report pending" in listed


# --- the dashboard --------------------------------------------------------------------


def test_dashboard_lists_the_overdue_corrective_actions(client_for, regulator, audit):
    html = client_for(regulator).get(reverse("standards:home")).content.decode()
    section = html.split('id="overdue-corrective-list"')[1].split("</ul>")[0]
    assert f"/visits/audit-2026/#action-{audit['late'].pk}" in section
    assert "10 days overdue" in section
    assert "Train the staff" not in section and "Fix the register" not in section


def test_dashboard_without_overdue_corrective_actions(client_for, regulator):
    html = client_for(regulator).get(reverse("standards:home")).content.decode()
    assert "No corrective action is overdue." in html


def test_dashboard_query_count_does_not_grow_with_corrective_actions(
    client_for, regulator, audit, django_assert_max_num_queries
):
    client = client_for(regulator)
    client.get(reverse("standards:home"))
    with django_assert_max_num_queries(60) as few:
        client.get(reverse("standards:home"))
    for n in range(30):
        make_action(make_finding(make_visit(f"d-{n}")), deadline=TODAY - DAY)
    with django_assert_max_num_queries(60) as many:
        response = client.get(reverse("standards:home"))
    assert len(response.context["overdue_corrective_actions"]) == 31
    assert len(many.captured_queries) == len(few.captured_queries)


# --- the seed -------------------------------------------------------------------------


def test_the_december_2023_review_is_seeded_with_what_the_sources_say():
    summary = load_reference_data()
    assert summary.counts[("visits", "created")] == 1
    visit = SiteVisit.objects.get(key=SEED_KEY)
    assert visit.from_dataset and visit.confidence == "medium"
    assert visit.dates_note == "Dec 2023"
    assert visit.inspecting_body == "GACC; MARA"
    assert "FMD" in visit.diseases and "avian influenza" in visit.diseases
    assert visit.outcome_citation == "GACC/MARA Announcement 2024 No. 20"
    assert "9 areas" in visit.outcome and "2005" in visit.outcome
    assert "https://el.kz/" in visit.source and "https://szepz.com/" in visit.source
    # Nothing the sources do not give: no day, no team, sites, checklist or findings.
    assert visit.findings_state == SiteVisit.Findings.NOT_PUBLISHED
    for name in ("planned_start", "planned_end", "actual_start", "actual_end"):
        assert getattr(visit, name) is None, name
    for name in ("report_draft_date", "report_comments_date", "report_final_date"):
        assert getattr(visit, name) is None, name
    assert visit.legal_basis == "" and visit.format == "" and visit.host_authority == ""
    assert not visit.team.exists() and not visit.sites.exists()
    assert not visit.checklist.exists() and not visit.findings.exists()
    assert set(visit.pathways.values_list("key", flat=True)) == {
        "beef-frozen",
        "mutton-frozen",
        "poultry-meat",
    }
    assert set(visit.rounds.values_list("number", flat=True)) == {2}


def test_the_seeded_visit_page_says_its_findings_are_not_published(client_for, regulator):
    load_reference_data()
    html = client_for(regulator).get(f"/visits/{SEED_KEY}/").content.decode()
    assert 'id="findings-not-published"' in html
    assert "The sources name no team members." in html
    beef = client_for(regulator).get("/pathways/beef-frozen/").content.decode()
    assert f"/visits/{SEED_KEY}/" in beef.split('id="pathway-visits"')[1]


def test_the_loader_is_idempotent_and_keeps_an_editors_visit(capsys):
    from django.core.management import call_command

    call_command("load_reference_data")
    capsys.readouterr()
    call_command("load_reference_data")
    out = capsys.readouterr().out
    assert "already up to date" in out and "visits: 1 unchanged" in out
    SiteVisit.objects.filter(key=SEED_KEY).update(from_dataset=False, title="Edited")
    assert load_reference_data().counts[("visits", "kept")] == 1
    assert SiteVisit.objects.get(key=SEED_KEY).title == "Edited"


def test_a_malformed_visit_stops_the_load_with_a_message(tmp_path):
    from standards.reference import DATA_DIR, ReferenceDataError

    for path in DATA_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "visits.yaml").write_text(
        "visits:\n  - key: x\n    title: X\n    purpose: inspection\n    inspecting_body: GACC\n"
        "    status: closed\n    source: s\n    confidence: low\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError) as error:
        load_reference_data(tmp_path)
    assert "visits.yaml" in str(error.value) and "purpose" in str(error.value)
    (tmp_path / "visits.yaml").write_text(
        "visits:\n  - key: x\n    title: X\n    purpose: follow_up\n    inspecting_body: GACC\n"
        "    status: closed\n    source: s\n    confidence: low\n    pathways: [nowhere]\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError) as error:
        load_reference_data(tmp_path)
    assert "no pathway 'nowhere'" in str(error.value)
    assert not SiteVisit.objects.exists()


# --- the admin ------------------------------------------------------------------------


def _form_data(obj, **changes):
    data = {k: ("" if v is None else v) for k, v in model_to_dict(obj).items()}
    data = {k: ([o.pk for o in v] if isinstance(v, list) else v) for k, v in data.items()}
    data["loaded_version"] = obj.updated_at.isoformat()
    data.update(changes)
    return data


def test_admin_asks_why_a_corrective_action_status_or_deadline_changed(audit):
    from standards.admin_forms import CorrectiveActionForm

    action = audit["later"]
    form = CorrectiveActionForm(instance=action, data=_form_data(action, deadline=TODAY))
    assert not form.is_valid() and "change_reason" in form.errors
    form = CorrectiveActionForm(
        instance=action, data=_form_data(action, deadline=TODAY, change_reason="Agreed delay")
    )
    assert form.is_valid(), form.errors


def test_editor_closes_an_action_in_the_admin_with_its_reason(client_for, editor, audit):
    action = audit["later"]
    url = reverse("admin:standards_correctiveaction_change", args=[action.pk])
    client = client_for(editor)
    data = _form_data(action, status="verified", change_reason="Verified by video")
    response = client.post(url, data)
    assert response.status_code == 200  # refused, with the model's messages
    html = response.content.decode()
    assert "A verified corrective action needs its verification method." in html
    assert "A corrective action that is done or verified needs its evidence." in html
    data.update(
        evidence="Training records",
        verification_method="video",
        verified_by="GACC",
        closed_on=TODAY.isoformat(),
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    action.refresh_from_db()
    assert action.status == "verified"
    assert action.history.first().history_change_reason == "Verified by video"


@pytest.mark.parametrize(
    "changes",
    [
        {"deadline": "31.02.2026", "change_reason": "x"},
        {"status": "nonsense", "change_reason": "x"},
        {"finding": str(10**6)},
        {"verification_method": "fax"},
        {"loaded_version": "not a version"},
    ],
)
def test_bad_input_in_the_admin_is_refused_without_a_500(client_for, editor, audit, changes):
    action = audit["later"]
    url = reverse("admin:standards_correctiveaction_change", args=[action.pk])
    response = client_for(editor).post(url, _form_data(action, **changes))
    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    action.refresh_from_db()
    assert action.status == "open" and action.deadline == TODAY + 10 * DAY


def test_bad_visit_dates_in_the_admin_are_refused(client_for, editor):
    client = client_for(editor)
    data = {
        "key": "new-visit",
        "title": "New visit",
        "purpose": "country_review",
        "inspecting_body": "GACC",
        "status": "planned",
        "findings_state": "no_report_yet",
        "confidence": "low",
        "actual_start": TODAY.isoformat(),
        "actual_end": (TODAY - DAY).isoformat(),
        "loaded_version": "",
    }
    for prefix in ("team", "sites", "checklist", "findings"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(reverse("admin:standards_sitevisit_add"), data)
    assert response.status_code == 200
    assert "The end is before the start." in response.content.decode()
    assert not SiteVisit.objects.exists()
    data["actual_end"] = TODAY.isoformat()
    response = client.post(reverse("admin:standards_sitevisit_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not SiteVisit.objects.get(key="new-visit").from_dataset
