"""What a regulator clicks, in a real browser, with axe-core checking every page."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from standards.roles import REGULATOR, sync_roles
from standards.services import assign_role
from tests.factories import make_clause, make_limit, make_mapping, make_parameter, make_standard

# The live server needs committed data. pytest-django runs these transactional tests after
# the others; each flush empties the role groups, so the fixture recreates them.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def data(django_user_model):
    sync_roles()
    user = django_user_model.objects.create_user(username="regulator", password="S3cure-pass!")
    assign_role(user, REGULATOR)
    temp = make_parameter(key="core-temperature", name_en="Core temperature", unit="°C")
    kz_std = make_standard(key="tr-cu-034-2013", code="TR CU 034/2013")
    cn_std = make_standard(
        key="gacc-2023-64", code="GACC Announcement 2023 No. 64", jurisdiction="cn"
    )
    kz = make_clause(
        kz_std,
        reference="Sect. X",
        text_en="Heat treatment set by the manufacturer's technological documentation.",
        text_original="Режим термической обработки устанавливается изготовителем.",
        original_language="ru",
        topic="heat_treatment",
    )
    cn = make_clause(
        cn_std,
        reference="Art. 3",
        text_en="Core heated to at least 70 °C for at least 30 minutes.",
        text_original="肉块中心温度至少达到70℃并保持至少30分钟。",
        original_language="zh",
        topic="heat_treatment",
    )
    make_limit(cn, temp, kind="minimum", value="70", unit="°C")
    heat = make_mapping(
        key="KZCN-038",
        title="FMD virus inactivation",
        kz=[kz],
        cn=[cn],
        product_group="heat_treated",
        topic="heat_treatment",
        status="negotiation",
        alignment="different",
    )
    make_mapping(
        key="KZCN-041",
        title="Raw-material restrictions",
        cn=[cn],
        product_group="heat_treated",
        topic="heat_treatment",
        status="not_started",
        alignment="cn_only",
    )
    make_mapping(key="KZCN-001", title="Lead (Pb)", kz=[kz], product_group="chilled")
    return {"mapping": heat, "standard": cn_std}


def log_in(page, live_server, username="regulator"):
    page.goto(f"{live_server.url}{reverse('standards:home')}")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("S3cure-pass!")
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Harmonization dashboard")).to_be_visible()


def test_regulator_filters_opens_a_pair_toggles_text_and_switches_language(
    page, live_server, data, assert_accessible
):
    page.goto(f"{live_server.url}{reverse('login')}")
    assert_accessible(page)
    log_in(page, live_server)
    assert_accessible(page)

    page.get_by_role("link", name="Comparison").click()
    page.get_by_role("checkbox", name="Heat-treated meat").check()
    filters = page.locator("#compare-filters")
    filters.locator('input[name="status"][value="negotiation"]').check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"product=heat_treated.*status=negotiation"))
    expect(page.locator("#row-count")).to_contain_text("1 clause mapping")
    assert_accessible(page)

    row = page.locator("#row-KZCN-038")
    english = row.get_by_text("Core heated to at least 70 °C")
    original = row.get_by_text("肉块中心温度至少达到70℃")
    expect(english).to_be_visible()
    expect(original).to_be_hidden()
    toggle = row.get_by_role("button", name="Original text")
    toggle.click()
    expect(original).to_be_visible()
    expect(english).to_be_hidden()
    expect(toggle).to_have_attribute("aria-pressed", "true")

    row.get_by_role("link", name="KZCN-038 · FMD virus inactivation").click()
    expect(page.get_by_role("heading", name="KZCN-038 · FMD virus inactivation")).to_be_visible()
    expect(page.get_by_text("≥ 70 °C").first).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    main_nav = page.locator("#nav-main")
    expect(main_nav.get_by_role("link", name="比较")).to_be_visible()
    assert_accessible(page)
    main_nav.get_by_role("link", name="比较").click()
    expect(page.get_by_role("heading", name="条款比较")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize(
    "path",
    [
        "standards:home",
        "standards:standard-list",
        "standards:search",
        "standards:compare",
        "standards:reports",
        "standards:report-html",
        "standards:report-verify",
        "standards:watches",
        "standards:notifications",
        "standards:establishment-list",  # the empty register
        "password_change",
    ],
)
def test_pages_have_no_accessibility_violations(page, live_server, data, assert_accessible, path):
    log_in(page, live_server)
    page.goto(f"{live_server.url}{reverse(path)}")
    assert_accessible(page)


def test_standard_and_search_pages_are_accessible(page, live_server, data, assert_accessible):
    log_in(page, live_server)
    page.goto(f"{live_server.url}{data['standard'].get_absolute_url()}")
    expect(page.get_by_role("heading", name="GACC Announcement 2023 No. 64")).to_be_visible()
    assert_accessible(page)
    # "70 °C", not "70": builders number headings "Clause <n>" from a shared counter.
    page.goto(f"{live_server.url}{reverse('standards:search')}?q=70%20%C2%B0C")
    expect(page.get_by_text("1 clause found")).to_be_visible()
    assert_accessible(page)


def test_regulator_changes_the_password_from_the_header(page, live_server, data, assert_accessible):
    log_in(page, live_server)
    page.locator("#nav-main").get_by_role("link", name="Change password").click()
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Old password").fill("S3cure-pass!")
    page.get_by_label(re.compile(r"^\s*New password\W*$")).fill("An0ther-s3cure-pass")
    page.get_by_label("New password confirmation").fill("An0ther-s3cure-pass")
    page.locator("main").get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page.get_by_role("heading", name="Harmonization dashboard")).to_be_visible()


def test_skip_link_moves_focus_to_the_content(page, live_server, data):
    log_in(page, live_server)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))


def test_editor_pages_are_accessible(page, live_server, data, assert_accessible, django_user_model):
    from standards.roles import EDITOR

    editor = django_user_model.objects.create_user(username="editor", password="S3cure-pass!")
    assign_role(editor, EDITOR)
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("S3cure-pass!")
    page.locator("main").get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}{reverse('standards:consistency')}")
    expect(page.get_by_role("heading", name="Evidence and consistency")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}{data['mapping'].get_absolute_url()}")
    expect(page.get_by_role("link", name="Edit in admin")).to_be_visible()
    assert_accessible(page)


def test_editor_re_reviews_a_settled_pair_from_the_queue(
    page, live_server, data, assert_accessible, django_user_model
):
    from standards.models import ReviewFlag
    from standards.roles import EDITOR

    editor = django_user_model.objects.create_user(username="editor", password="S3cure-pass!")
    assign_role(editor, EDITOR)
    mapping = data["mapping"]
    mapping.status = "agreed"
    mapping.save()
    clause = mapping.cn_side[0]
    clause.text_en = "Core heated to at least 72 °C for at least 30 minutes."
    clause.save()

    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("S3cure-pass!")
    page.locator("main").get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Re-review").click()
    expect(page.get_by_role("heading", name="Re-review", exact=True)).to_be_visible()
    expect(page.get_by_text("1 pair needs re-review. Open flags: 1.")).to_be_visible()
    expect(page.locator(".redline del")).to_have_text("70")
    expect(page.locator(".redline ins")).to_have_text("72")
    assert_accessible(page)
    page.get_by_role("button", name="Clear the flags").click()  # no outcome: refused
    expect(page.get_by_text("1 pair needs re-review")).to_be_visible()  # still in the queue
    page.get_by_label("Outcome of the re-review").fill("72 °C is stricter; still agreed.")
    page.get_by_role("button", name="Clear the flags").click()
    expect(page.get_by_text("1 flag cleared.")).to_be_visible()
    expect(page.get_by_text("Nothing to re-review")).to_be_visible()
    assert ReviewFlag.objects.get().clear_reason == "72 °C is stricter; still agreed."
    page.goto(f"{live_server.url}{mapping.get_absolute_url()}")
    expect(page.get_by_text("72 °C is stricter; still agreed.")).to_be_visible()
    assert_accessible(page)


def test_regulator_watches_a_pair_and_reads_a_notification(
    page, live_server, data, assert_accessible, django_user_model
):
    from django.utils import timezone

    from standards.models import Notification

    log_in(page, live_server)
    page.goto(f"{live_server.url}{data['mapping'].get_absolute_url()}")
    page.locator("main").get_by_role("button", name="Watch", exact=True).click()
    expect(page.locator("main").get_by_role("button", name="Unwatch")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}{reverse('standards:watches')}")
    expect(page.get_by_role("link", name="KZCN-038 FMD virus inactivation")).to_be_visible()
    assert_accessible(page)
    now = timezone.now()
    Notification.objects.create(
        user=django_user_model.objects.get(username="regulator"),
        subject="What changed in what you watch",
        body="KZCN-038: Under negotiation → Agreed",
        period_start=now,
        period_end=now,
        link="/changes/",
    )
    page.goto(f"{live_server.url}{reverse('standards:notifications')}")
    expect(page.locator("#unread-count")).to_contain_text("1")
    assert_accessible(page)
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#unread-count")).to_have_count(0)


def test_negotiator_reaches_the_heat_treated_beef_pathway_blockers_from_the_dashboard(
    page, live_server, data, assert_accessible, django_user_model
):
    from standards.models import ClauseMapping, Milestone, Pathway

    pathway = Pathway.objects.create(
        key="beef-heat-treated",
        title="Heat-treated beef",
        species="cattle",
        processing_form="heat_treated",
        source="https://interfax.com/newsroom/top-stories/96320/",
    )
    pathway.mappings.set(ClauseMapping.objects.filter(key__in=["KZCN-038", "KZCN-041"]))
    Milestone.objects.create(pathway=pathway, stage=Milestone.Stage.GACC_ANNOUNCEMENT)
    frozen = Pathway.objects.create(
        key="beef-frozen", title="Frozen boneless beef", species="cattle"
    )
    Milestone.objects.create(
        pathway=frozen,
        stage=Milestone.Stage.PROTOCOL_SIGNED,
        status="done",
        actual_date="2018-06-07",
        evidence="Protocol",
    )
    from standards.roles import NEGOTIATOR

    negotiator = django_user_model.objects.create_user(
        username="negotiator", password="S3cure-pass!"
    )
    assign_role(negotiator, NEGOTIATOR)
    log_in(page, live_server, "negotiator")
    timeline = page.locator("#chart-pathway-timeline")
    expect(timeline).to_be_visible()
    assert_accessible(page)

    # Click 1: the pathway's row of the timeline.
    timeline.locator("a.timeline-link", has_text="Heat-treated beef").click()
    expect(page.get_by_role("heading", name="Heat-treated beef", level=1)).to_be_visible()
    blocking = page.locator("#blocking-mappings")
    expect(blocking.get_by_role("link")).to_have_count(2)
    assert_accessible(page)

    # Click 2: one of the mappings that block it.
    blocking.get_by_role("link", name=re.compile("KZCN-038")).click()
    expect(page.get_by_role("heading", name="KZCN-038 · FMD virus inactivation")).to_be_visible()

    page.goto(f"{live_server.url}{reverse('standards:pathway-list')}")
    expect(page.locator("#pathway-beef-heat-treated")).to_contain_text("0 of 11 stages done")
    assert_accessible(page)


def test_establishment_register_and_renewals_are_accessible(
    page, live_server, data, assert_accessible
):
    import datetime

    from django.utils import timezone

    from standards.establishments import add_months
    from standards.models import Establishment

    today = timezone.localdate()
    due = Establishment.objects.create(
        key="almaty-meat",
        name="Almaty Meat LLP",
        kz_approval_number="KZ-0001",
        cn_registration_number="CKAZ0001",
        region="almaty_region",
        activities="slaughter cutting",
        products="cattle:frozen sheep:frozen",
        review_method="video",
        listing_date=add_months(today, -56),
        source="https://example.org/cifer",
    )
    due.status = Establishment.Status.SUSPENDED
    due.status_since = today - datetime.timedelta(days=3)
    due._change_reason = "Suspended by GACC"
    due.save()
    Establishment.objects.create(key="old", name="Old Plant", listing_date=add_months(today, -70))
    log_in(page, live_server)
    renewals = page.locator("#renewals-due-list")
    expect(renewals).to_contain_text("Almaty Meat LLP")
    assert_accessible(page)
    renewals.get_by_role("link", name="Almaty Meat LLP").click()
    expect(page.get_by_role("heading", name="Almaty Meat LLP")).to_be_visible()
    expect(page.locator("#status-history + .table-responsive")).to_contain_text("Suspended by GACC")
    assert_accessible(page)
    page.get_by_role("link", name="Establishment register").first.click()
    expect(page.locator("table")).to_contain_text("Old Plant")
    expect(page.locator("table")).to_contain_text("recorded: Listed")
    assert_accessible(page)
    page.get_by_label("Status today").select_option("expired")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("1 establishment", exact=True)).to_be_visible()
    assert_accessible(page)


def test_the_market_access_report_opens_from_the_dashboard_timeline(
    page, live_server, data, assert_accessible
):
    from standards.models import ClauseMapping, Milestone, Pathway

    pathway = Pathway.objects.create(
        key="beef-heat-treated",
        title="Heat-treated beef",
        species="cattle",
        processing_form="heat_treated",
        source="https://interfax.com/newsroom/top-stories/96320/",
    )
    pathway.mappings.set(ClauseMapping.objects.filter(key__in=["KZCN-038", "KZCN-041"]))
    Milestone.objects.create(pathway=pathway, stage=Milestone.Stage.GACC_ANNOUNCEMENT)
    log_in(page, live_server)
    page.locator("#pathway-timeline").locator("xpath=..").get_by_role(
        "link", name="Market-access report"
    ).click()
    expect(page.get_by_role("heading", name="1. Pathways")).to_be_visible()
    expect(page.locator("#section-pathway_gaps")).to_contain_text("KZCN-038")
    expect(page.locator("#section-renewals_due")).to_contain_text(
        "No registered establishment is due for renewal."
    )
    expect(page.locator("#report-pathway-timeline")).to_be_visible()
    assert_accessible(page)


def test_visit_pages_and_the_overdue_corrective_actions_are_accessible(
    page, live_server, data, assert_accessible
):
    import datetime

    from django.utils import timezone

    from standards.models import Pathway, SiteVisit

    today = timezone.localdate()
    pathway = Pathway.objects.create(key="beef-frozen", title="Frozen beef", species="cattle")
    visit = SiteVisit.objects.create(
        key="gacc-review",
        title="GACC review of the veterinary service",
        purpose="country_review",
        inspecting_body="GACC; MARA",
        status="report_pending",
        findings_state="recorded",
        dates_note="Dec 2023",
        source="https://el.kz/en/kazakhstan-resumes-beef-exports-to-china_122688/",
    )
    visit.pathways.set([pathway])
    site = visit.sites.create(site_type="border_post", name="Dostyk", region="abai")
    visit.team.create(name="Expert", organisation="GACC", role="lead", side="cn")
    visit.checklist.create(requirement="Movement control", topic="animal_health")
    finding = visit.findings.create(text="Permits not recorded", severity="systemic", site=site)
    finding.mappings.set([data["mapping"]])
    finding.actions.create(
        action="Record every permit",
        owner_side="kz",
        deadline=today - datetime.timedelta(days=3),
    )
    SiteVisit.objects.create(
        key="not-published",
        title="Review with unpublished findings",
        purpose="country_review",
        inspecting_body="GACC",
        status="closed",
        findings_state="not_published",
        source="test",
    )
    log_in(page, live_server)
    expect(page.locator("#overdue-corrective-list")).to_contain_text("Record every permit")
    assert_accessible(page)
    page.goto(f"{live_server.url}{reverse('standards:visit-list')}")
    expect(page.locator("#visit-gacc-review")).to_be_visible()
    assert_accessible(page)
    page.locator("#visit-gacc-review").get_by_role("link").click()
    expect(page.get_by_role("heading", name=visit.title, level=1)).to_be_visible()
    expect(page.locator(".overdue")).to_have_count(1)
    assert_accessible(page)
    page.goto(f"{live_server.url}{reverse('standards:visit-detail', args=['not-published'])}")
    expect(page.locator("#findings-not-published")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}{pathway.get_absolute_url()}")
    expect(page.locator("#pathway-visits").get_by_role("link")).to_have_count(1)
    assert_accessible(page)


def test_zones_and_catalogue_pages_are_accessible(
    page, live_server, django_user_model, assert_accessible
):
    from standards.reference import load_reference_data

    sync_roles()
    user = django_user_model.objects.create_user(username="regulator", password="S3cure-pass!")
    assign_role(user, REGULATOR)
    load_reference_data()
    log_in(page, live_server)
    page.goto(f"{live_server.url}{reverse('standards:zone-list')}?on=2024-03-01")
    expect(page.locator("#region-karaganda")).to_contain_text("Closed")
    assert_accessible(page)
    page.goto(f"{live_server.url}{reverse('standards:catalogue-list')}?changed_since=2020-01-01")
    expect(page.locator("#entry-beef-frozen-boneless .changed-mark")).to_be_visible()
    assert_accessible(page)
    page.locator("#entry-beef-frozen-boneless a").click()
    expect(page.get_by_role("heading", name="Frozen boneless beef", level=1)).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}{reverse('standards:pathway-detail', args=['beef-frozen'])}")
    assert_accessible(page)


def _shown(name):
    """The count a chart segment's name gives: "Heat-treated meat: Different: 1 (50%)"."""
    return int(re.search(r": (\d+) \(\d+%\)$", name).group(1))


def test_regulator_drills_down_from_three_chart_segments(
    page, live_server, data, assert_accessible
):
    log_in(page, live_server)
    home = page.url
    for chart, segment in (
        ("chart-group-status", "Heat-treated meat: Under negotiation"),
        ("chart-group-alignment", "Heat-treated meat: China only"),
        ("chart-topic-status", "Heat treatment: Not started"),
    ):
        page.goto(home)
        link = page.locator(f"#{chart} a.chart-segment[aria-label^='{segment}']")
        expected = _shown(link.get_attribute("aria-label"))
        link.click()
        expect(page.get_by_role("heading", name="Clause comparison")).to_be_visible()
        count = "clause mapping" if expected == 1 else "clause mappings"
        expect(page.locator("#row-count")).to_contain_text(f"{expected} {count}")
        assert page.locator("article.mapping-row").count() == expected
    assert_accessible(page)
    page.goto(home)
    page.locator("#card-gaps").click()
    expect(page).to_have_url(re.compile(r"alignment=kz_only&alignment=cn_only"))
    expect(page.locator("#row-count")).to_contain_text("1 clause mapping")


def test_regulator_filters_by_several_values_and_builds_a_report_from_them(
    page, live_server, data, assert_accessible
):
    log_in(page, live_server)
    page.goto(f"{live_server.url}{reverse('standards:compare')}")
    filters = page.locator("#compare-filters")
    for value in ("cn_only", "different"):
        filters.locator(f'input[name="alignment"][value="{value}"]').check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"alignment=different&alignment=cn_only"))
    expect(page.locator("#row-count")).to_contain_text("2 clause mappings")
    assert_accessible(page)
    page.reload()  # bookmarkable: the same address shows the same selection
    expect(filters.locator('input[name="alignment"][value="cn_only"]')).to_be_checked()

    page.get_by_role("link", name="Build a report from this selection").click()
    expect(page.get_by_role("heading", name="Gap reports")).to_be_visible()
    form = page.locator("#report-form")
    expect(form.locator('input[name="alignment"][value="cn_only"]')).to_be_checked()
    expect(form.locator('input[name="alignment"][value="different"]')).to_be_checked()
    expect(form.locator('input[name="alignment"][value="equivalent"]')).not_to_be_checked()
    expect(form.get_by_label("Language of the report")).to_have_value("en")
    assert form.locator("select[multiple]").count() == 0
    assert_accessible(page)
    page.get_by_role("button", name="Show the report").click()
    expect(page).to_have_url(re.compile(r"alignment=different&alignment=cn_only"))
    expect(page.get_by_text("KZCN-041").first).to_be_visible()
    expect(page.get_by_text("KZCN-038").first).to_be_visible()
    assert_accessible(page)


# Every portal page at 390 px: the pages come from the URL configuration (the security
# matrix's expectations), each reversed with the objects of the matrix's world (shared in
# conftest.py), and each
# opened as the first role that may read it. Files (PDF, CSV, XLSX) and the health check
# are not pages.
from tests.test_security_matrix import EXPECTED  # noqa: E402

NOT_PAGES = ("healthz",)
PAGE_ROLES = ("regulator", "editor", "negotiator")


def _portal_pages():
    pages = []
    for name, expected in sorted(EXPECTED.items()):
        if name in NOT_PAGES or name.endswith(("-pdf", "-csv", "-xlsx", "-download")):
            continue
        role = next((r for r in PAGE_ROLES if expected["GET"][r] == 200), None)
        if role:
            pages.append((name, role))
    return pages


def _open_as(page, live_server, user, language, width):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.set_viewport_size({"width": width, "height": 900})
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )


# The rendered size of each text of the SVG charts: its font size times the chart's scale.
SVG_TEXT_SIZES = """() => Array.from(document.querySelectorAll('svg text')).map(
  (t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""


@pytest.mark.parametrize("language", ["en", "zh-hans", "ru", "kk"])
def test_no_portal_page_scrolls_sideways_at_390_px(page, live_server, world, language):
    args, users = world
    pages = _portal_pages()
    assert {"standards:home", "standards:compare", "standards:mapping-detail"} <= {
        name for name, _role in pages
    }
    assert ("standards:consistency", "editor") in pages
    wide = []
    for role in PAGE_ROLES:
        _open_as(page, live_server, users[role], language, 390)
        for name, page_role in pages:
            if page_role != role:
                continue
            response = page.goto(f"{live_server.url}{reverse(name, args=args.get(name, []))}")
            assert response.status == 200, name
            expect(page.locator("html")).to_have_attribute("lang", language)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                wide.append((name, width))
    assert wide == []


def test_chart_text_stays_legible_at_390_px(page, live_server, world):
    _args, users = world
    _open_as(page, live_server, users["regulator"], "en", 390)
    page.goto(f"{live_server.url}{reverse('standards:home')}")
    sizes = page.evaluate(SVG_TEXT_SIZES)
    assert len(sizes) > 10
    assert min(sizes) >= 10, sorted(sizes)[:5]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The chart scrolls in its own region, which takes the keyboard focus.
    region = page.locator(".chart-scroll[role=region][tabindex='0']").first
    region.focus()
    expect(region).to_be_focused()


def test_the_russian_header_keeps_the_language_switcher_on_the_brand_line(page, live_server, world):
    _args, users = world
    for role in ("regulator", "editor"):
        _open_as(page, live_server, users[role], "ru", 1366)
        page.goto(f"{live_server.url}{reverse('standards:home')}")
        brand = page.locator(".navbar-brand").bounding_box()
        switcher = page.locator("#language-switcher").bounding_box()
        assert switcher["y"] < brand["y"] + brand["height"], role
        assert switcher["x"] + switcher["width"] <= 1366
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    # The regulator's navigation and account buttons share the line below.
    _open_as(page, live_server, users["regulator"], "ru", 1366)
    page.goto(f"{live_server.url}{reverse('standards:home')}")
    tops = page.evaluate(
        "Array.from(document.querySelectorAll('#nav-main > *')).map("
        "(e) => e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2)"
    )
    assert max(tops) - min(tops) < 8, tops
