"""Market-access pathways: the milestones' stage rules, the figures (progress, time in
stage, overdue, blocking mappings), the pages, the dashboard timeline and the seeded
pathways."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from standards.models import ClauseMapping, Milestone, Pathway, Round
from standards.pathways import days_in_stage, measure, measured, pathways_measured
from standards.reference import load_reference_data
from tests.factories import make_clause, make_mapping

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
Stage = Milestone.Stage
Status = Milestone.Status


def make_pathway(key="beef-heat-treated", **fields):
    fields.setdefault("title", f"Pathway {key}")
    fields.setdefault("species", "cattle")
    fields.setdefault("processing_form", "heat_treated")
    fields.setdefault("source", "test")
    return Pathway.objects.create(key=key, **fields)


def add(pathway, stage, status=Status.PLANNED, **fields):
    """A milestone, validated as the admin validates it."""
    milestone = Milestone(pathway=pathway, stage=stage, status=status, **fields)
    milestone.full_clean()
    milestone.save()
    return milestone


@pytest.fixture
def pathway():
    """Protocol signed 100 days after the application; certificate in progress, its
    target passed; two linked mappings, one still open."""
    pathway = make_pathway()
    add(
        pathway,
        Stage.APPLICATION,
        Status.DONE,
        actual_date=TODAY - 130 * DAY,
        evidence="Letter of application",
    )
    add(
        pathway,
        Stage.PROTOCOL_SIGNED,
        Status.DONE,
        actual_date=TODAY - 30 * DAY,
        evidence="Signed protocol",
        citation="Protocol of 2025",
    )
    add(pathway, Stage.CERTIFICATE_AGREED, Status.IN_PROGRESS, target_date=TODAY - 5 * DAY)
    add(pathway, Stage.GACC_ANNOUNCEMENT, target_date=TODAY + 60 * DAY)
    open_ = make_mapping(key="KZCN-801", kz=[make_clause()], title="Core temperature")
    settled = make_mapping(key="KZCN-802", kz=[make_clause()], status="agreed", title="Labels")
    pathway.mappings.set([open_, settled])
    return pathway


# --- the stage rules ------------------------------------------------------------------


def test_done_needs_evidence_and_a_date():
    pathway = make_pathway()
    with pytest.raises(ValidationError) as refused:
        add(pathway, Stage.APPLICATION, Status.DONE, actual_date=TODAY)
    assert "evidence" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        add(pathway, Stage.APPLICATION, Status.DONE, evidence="Letter")
    assert "actual_date" in refused.value.message_dict
    # A month the source gives is enough.
    add(pathway, Stage.APPLICATION, Status.DONE, evidence="Letter", dates_note="Apr 2019")


def test_slipped_needs_a_reason():
    pathway = make_pathway()
    with pytest.raises(ValidationError) as refused:
        add(pathway, Stage.RISK_ASSESSMENT, Status.SLIPPED, target_date=TODAY - DAY)
    assert "slip_reason" in refused.value.message_dict
    add(pathway, Stage.RISK_ASSESSMENT, Status.SLIPPED, slip_reason="Questionnaire late")


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "done", "actual_date": TODAY},
        {"status": "done", "evidence": "Letter"},
        {"status": "slipped"},
        {"status": "cancelled"},
        {"stage": 12},
    ],
)
def test_the_database_holds_the_rules_of_one_row(fields):
    pathway = make_pathway()
    values = {"stage": Stage.APPLICATION, **fields}
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.create(pathway=pathway, **values)


def test_one_milestone_per_stage():
    pathway = make_pathway()
    add(pathway, Stage.APPLICATION)
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.create(pathway=pathway, stage=Stage.APPLICATION)


@pytest.mark.parametrize("earlier", [Status.PLANNED, Status.IN_PROGRESS, Status.SLIPPED])
def test_a_stage_is_not_done_before_an_earlier_recorded_one(earlier):
    pathway = make_pathway()
    add(pathway, Stage.APPLICATION, earlier, slip_reason="late")
    with pytest.raises(ValidationError) as refused:
        add(pathway, Stage.PROTOCOL_SIGNED, Status.DONE, evidence="Protocol", actual_date=TODAY)
    assert refused.value.error_dict["status"][0].code == "milestone_order"


def test_a_stage_is_not_set_back_while_a_later_one_is_done():
    pathway = make_pathway()
    application = add(pathway, Stage.APPLICATION, Status.DONE, evidence="Letter", actual_date=TODAY)
    add(pathway, Stage.PROTOCOL_SIGNED, Status.DONE, evidence="Protocol", actual_date=TODAY)
    application.status = Status.IN_PROGRESS
    with pytest.raises(ValidationError):
        application.full_clean()


def test_stages_not_recorded_do_not_hold_the_others_back():
    pathway = make_pathway()
    add(pathway, Stage.PROTOCOL_SIGNED, Status.DONE, evidence="Protocol", dates_note="2017")
    add(pathway, Stage.CERTIFICATE_AGREED, Status.DONE, evidence="Cert", actual_date=TODAY)


def test_a_slip_keeps_its_history():
    pathway = make_pathway()
    milestone = add(pathway, Stage.RISK_ASSESSMENT, target_date=TODAY - DAY)
    milestone.status = Status.SLIPPED
    milestone.slip_reason = "GACC experts' visit postponed"
    milestone._change_reason = "Target passed"
    milestone.save()
    history = list(milestone.history.order_by("history_date"))
    assert [h.status for h in history] == ["planned", "slipped"]
    assert history[-1].history_change_reason == "Target passed"


# --- the figures ----------------------------------------------------------------------


def test_progress_current_stage_overdue_and_blocking(pathway):
    (loaded,) = pathways_measured()
    figures = measure(loaded, TODAY)
    assert (figures.done, figures.total, figures.percent) == (2, 11, 18)
    assert figures.current_stage == Stage.CERTIFICATE_AGREED
    assert [m.stage for m in figures.overdue] == [Stage.CERTIFICATE_AGREED]
    assert [m.key for m in figures.blocking] == ["KZCN-801"]


def test_time_in_stage_from_the_actual_dates(pathway):
    milestones = list(pathway.milestones.order_by("stage"))
    days = days_in_stage(milestones, TODAY)
    by_stage = {m.stage: days[m.pk] for m in milestones}
    assert by_stage[Stage.APPLICATION] is None  # nothing recorded before it
    assert by_stage[Stage.PROTOCOL_SIGNED] == 100
    assert by_stage[Stage.CERTIFICATE_AGREED] == 30  # in progress: until today
    assert by_stage[Stage.GACC_ANNOUNCEMENT] is None  # planned, the stage before not done


def test_time_in_stage_is_not_computed_from_a_month():
    pathway = make_pathway()
    add(pathway, Stage.PROTOCOL_SIGNED, Status.DONE, evidence="P", dates_note="Apr 2019")
    cert = add(pathway, Stage.CERTIFICATE_AGREED, Status.DONE, evidence="C", actual_date=TODAY)
    assert days_in_stage(list(pathway.milestones.order_by("stage")))[cert.pk] is None


def test_current_stage_follows_the_furthest_done_and_ends_with_the_last():
    pathway = make_pathway()
    assert measure(pathways_measured().get()).current_stage == Stage.APPLICATION
    add(pathway, Stage.PROTOCOL_SIGNED, Status.DONE, evidence="P", dates_note="2017")
    assert measure(pathways_measured().get()).current_stage == Stage.CERTIFICATE_AGREED
    add(pathway, Stage.FIRST_SHIPMENT, Status.DONE, evidence="20 t", dates_note="Jun 2024")
    figures = measure(pathways_measured().get())
    assert figures.current_stage is None and figures.current_label == ""


def test_a_done_milestone_is_never_overdue():
    pathway = make_pathway()
    done = add(
        pathway, Stage.APPLICATION, Status.DONE, evidence="L", actual_date=TODAY,
        target_date=TODAY - 10 * DAY,
    )  # fmt: skip
    assert not done.is_overdue(TODAY)
    assert add(pathway, Stage.REVIEW, target_date=TODAY - DAY).is_overdue(TODAY)
    assert not add(pathway, Stage.RISK_ASSESSMENT, target_date=TODAY).is_overdue(TODAY)


# --- the pages ------------------------------------------------------------------------


def test_pathway_list_shows_progress_stage_and_counts(client_for, regulator, pathway):
    response = client_for(regulator).get(reverse("standards:pathway-list"))
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(r'<tr id="pathway-beef-heat-treated">(.*?)</tr>', html, re.S).group(1)
    assert pathway.get_absolute_url() in row
    assert 'value="2" max="11"' in row
    assert "2 of 11 stages done" in row
    assert "Certificate agreed" in row
    cells = re.findall(r'<td class="text-end">(\d+)', row)
    assert cells == ["1", "1"]  # one overdue milestone, one blocking mapping


def test_pathway_page_shows_milestones_blocking_mappings_and_rounds(client_for, regulator, pathway):
    round_ = Round.objects.create(number=7, title="Round 7, Beijing", source="test")
    pathway.rounds.set([round_])
    response = client_for(regulator).get(pathway.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Letter of application",
        "Signed protocol",
        "Protocol of 2025",
        "100 days",
        "Round 7, Beijing",
        round_.get_absolute_url(),
    ):
        assert text in html, text
    certificate = re.search(r'<tr id="milestone-8" class="table-warning">(.*?)</tr>', html, re.S)
    assert certificate and "Overdue" in certificate.group(1)
    blocking = re.search(r'<ul id="blocking-mappings">(.*?)</ul>', html, re.S).group(1)
    assert reverse("standards:mapping-detail", args=["KZCN-801"]) in blocking
    assert "KZCN-802" not in blocking
    assert "1 of 2 mappings that must be settled are still open." in html


def test_unknown_pathway_is_404(client_for, regulator):
    response = client_for(regulator).get(reverse("standards:pathway-detail", args=["nope"]))
    assert response.status_code == 404


def _many_pathways(n, start=0):
    mapping = ClauseMapping.objects.first() or make_mapping(key="KZCN-900", kz=[make_clause()])
    for i in range(start, start + n):
        pathway = make_pathway(key=f"p-{i:03}")
        Milestone.objects.create(pathway=pathway, stage=Stage.APPLICATION, target_date=TODAY)
        Milestone.objects.create(
            pathway=pathway, stage=Stage.REVIEW, status="slipped", slip_reason="late"
        )
        pathway.mappings.set([mapping])


def _query_count(client, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(50) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


@pytest.mark.parametrize("url_name", ["standards:pathway-list", "standards:home"])
def test_query_count_is_the_same_for_5_and_50_pathways(
    client_for, regulator, django_assert_max_num_queries, url_name
):
    client = client_for(regulator)
    _many_pathways(5)
    few, html = _query_count(client, reverse(url_name), django_assert_max_num_queries)
    assert len(set(re.findall(r"/pathways/p-\d+/", html))) == 5
    _many_pathways(45, start=5)
    many, html = _query_count(client, reverse(url_name), django_assert_max_num_queries)
    assert len(set(re.findall(r"/pathways/p-\d+/", html))) == 50
    assert many == few


def test_pathway_list_query_count_is_pinned(client_for, regulator, django_assert_num_queries):
    _many_pathways(5)
    client = client_for(regulator)
    # session, user, permissions (2); pathways, their milestones, their open mappings;
    # the reader's unread notifications (the header's badge)
    with django_assert_num_queries(8):
        client.get(reverse("standards:pathway-list"))


def test_pathway_links_from_the_dashboard_and_the_rounds(client_for, regulator):
    client = client_for(regulator)
    list_url = reverse("standards:pathway-list")
    assert list_url in client.get(reverse("standards:home")).content.decode()
    assert list_url in client.get(reverse("standards:round-list")).content.decode()


# --- the dashboard timeline -----------------------------------------------------------


def test_dashboard_timeline_has_a_row_per_pathway(client_for, regulator, pathway):
    other = make_pathway(key="poultry-meat", title="Poultry meat", species="poultry")
    add(other, Stage.PROTOCOL_SIGNED, Status.DONE, evidence="P", actual_date=TODAY - 9 * DAY)
    html = client_for(regulator).get(reverse("standards:home")).content.decode()
    svg = re.search(r'<svg[^>]*id="chart-pathway-timeline".*?</svg>', html, re.S).group(0)
    # With links a named group (an image's content is hidden from assistive technology).
    assert 'role="group"' in svg and 'aria-labelledby="chart-pathway-timeline-title"' in svg
    links = re.findall(r'<a href="(/pathways/[^"]+)" class="timeline-link">', svg)
    assert links == [pathway.get_absolute_url(), other.get_absolute_url()]
    # Target dates (diamonds) against actual dates (circles).
    assert svg.count('class="timeline-target"') == 2
    assert svg.count('class="timeline-actual"') == 3
    assert f"Actual date {TODAY - 9 * DAY:%Y-%m-%d}" in svg
    # The table alternative.
    assert "Milestones as a table" in html and "Poultry meat" in html


def test_dashboard_without_pathways(client_for, regulator):
    html = client_for(regulator).get(reverse("standards:home")).content.decode()
    assert "chart-pathway-timeline" not in html
    assert "No pathways are recorded yet." in html


def test_timeline_without_links_for_the_pdf(pathway):
    from standards.pathways import timeline_svg

    svg = timeline_svg(pathways_measured(), TODAY, links=False)
    assert "<a " not in svg and svg.startswith("<svg") and "Pathway beef-heat-treated" in svg
    assert 'role="img"' in svg and "<title" in svg


# --- the seed -------------------------------------------------------------------------


def test_seeded_pathways_and_milestones():
    summary = load_reference_data()
    assert summary.counts[("pathways", "created")] == 5
    pathways = {p.key: p for p in Pathway.objects.all()}
    assert set(pathways) == {
        "mutton-frozen",
        "beef-frozen",
        "beef-heat-treated",
        "poultry-meat",
        "pork-heat-treated",
    }
    assert all(p.source and p.confidence and p.from_dataset for p in pathways.values())
    milestones = Milestone.objects.all()
    assert milestones.count() == summary.counts[("milestones", "created")] == 12
    assert all(m.source and m.confidence for m in milestones)
    # No target or baseline date is invented; a day only where the source gives one.
    assert not milestones.exclude(target_date=None).exists()
    assert not milestones.exclude(baseline_date=None).exists()
    beef = {m.stage: m for m in pathways["beef-frozen"].milestones.all()}
    assert beef[Stage.PROTOCOL_SIGNED].actual_date == datetime.date(2018, 6, 7)
    assert beef[Stage.CERTIFICATE_AGREED].actual_date is None
    assert beef[Stage.CERTIFICATE_AGREED].dates_note == "Apr 2019"
    assert beef[Stage.GACC_ANNOUNCEMENT].actual_date == datetime.date(2024, 2, 7)
    assert beef[Stage.GACC_ANNOUNCEMENT].citation == "GACC/MARA Announcement 2024 No. 20"
    assert beef[Stage.FIRST_SHIPMENT].dates_note == "Jun 2024"
    mutton = {m.stage: m for m in pathways["mutton-frozen"].milestones.all()}
    assert mutton[Stage.CERTIFICATE_AGREED].actual_date == datetime.date(2018, 3, 20)
    assert mutton[Stage.PROTOCOL_SIGNED].actual_date is None
    poultry = pathways["poultry-meat"].milestones.get()
    assert poultry.actual_date == datetime.date(2025, 5, 22)
    pork = pathways["pork-heat-treated"].milestones.get()
    assert pork.actual_date is None and "15 Oct 2025" in pork.dates_note
    # Heat-treated beef is not admitted: nothing done; the mappings that must be settled.
    heat_treated = pathways["beef-heat-treated"]
    assert not heat_treated.milestones.filter(status="done").exists()
    keys = set(heat_treated.mappings.values_list("key", flat=True))
    assert {"KZCN-038", "KZCN-041", "KZCN-060", "KZCN-061"} <= keys
    assert set(heat_treated.rounds.values_list("number", flat=True)) == {1}
    assert set(pathways["beef-frozen"].rounds.values_list("number", flat=True)) == {2, 3}
    figures = dict(measured())
    assert figures[heat_treated].blocking  # its mappings are open in the dataset


def test_seed_loads_once(capsys):
    from django.core.management import call_command

    call_command("load_reference_data")
    capsys.readouterr()
    call_command("load_reference_data")
    out = capsys.readouterr().out
    assert "already up to date" in out
    assert "pathways: 5 unchanged" in out and "milestones: 12 unchanged" in out


def test_loader_keeps_what_an_editor_changed():
    load_reference_data()
    milestone = Milestone.objects.get(pathway__key="beef-heat-treated")
    milestone.status = Status.IN_PROGRESS
    milestone.from_dataset = False  # as the admin's save does
    milestone.save()
    Pathway.objects.filter(key="poultry-meat").update(from_dataset=False, title="Poultry")
    summary = load_reference_data()
    assert summary.counts[("milestones", "kept")] == 1
    assert summary.counts[("pathways", "kept")] == 1
    milestone.refresh_from_db()
    assert milestone.status == Status.IN_PROGRESS
    assert Pathway.objects.get(key="poultry-meat").title == "Poultry"


# --- the admin ------------------------------------------------------------------------


def _form_data(milestone, **changes):
    from django.forms.models import model_to_dict

    data = {k: ("" if v is None else v) for k, v in model_to_dict(milestone).items()}
    data["loaded_version"] = milestone.updated_at.isoformat()
    data.update(changes)
    return data


def test_admin_asks_why_a_status_or_target_changed():
    from standards.admin_forms import MilestoneForm

    milestone = add(make_pathway(), Stage.RISK_ASSESSMENT, target_date=TODAY)
    form = MilestoneForm(
        instance=milestone, data=_form_data(milestone, status="slipped", slip_reason="late")
    )
    assert not form.is_valid() and "change_reason" in form.errors
    form = MilestoneForm(
        instance=milestone,
        data=_form_data(milestone, status="slipped", slip_reason="late", change_reason="Late"),
    )
    assert form.is_valid(), form.errors


def test_an_editors_save_in_the_admin_takes_the_milestone_from_the_loader(client_for, editor):
    load_reference_data()
    milestone = Milestone.objects.get(pathway__key="beef-heat-treated")
    url = reverse("admin:standards_milestone_change", args=[milestone.pk])
    data = _form_data(
        milestone, status="in_progress", change_reason="GACC asked for the questionnaire"
    )
    data["pathway"] = milestone.pathway_id
    response = client_for(editor).post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    milestone.refresh_from_db()
    assert milestone.status == "in_progress" and not milestone.from_dataset
    assert milestone.history.first().history_change_reason == "GACC asked for the questionnaire"
    assert load_reference_data().counts[("milestones", "kept")] == 1
