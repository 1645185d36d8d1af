"""The market-access report: its sections with their real data and empty states, every
format (HTML, PDF, CSV, XLSX) in every report language, the page furniture and
reproducibility of the PDF, parameter validation, roles, classification, formula-safe
spreadsheets and the page's query count."""

import csv
import dataclasses
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from pypdf import PdfReader

from standards.models import DelegationMember, Milestone, NegotiationNote, Pathway, Round
from standards.reports import market_access
from standards.reports.market_access import SECTIONS, Params, build, produce
from standards.reports.selection import REPORT_LANGUAGES
from tests.factories import make_clause, make_mapping

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
Stage = Milestone.Stage
Status = Milestone.Status
LANGUAGES = [code for code, _name in REPORT_LANGUAGES]
FORMULA = '=HYPERLINK("http://evil.invalid","x")'
INTERNAL = "Internal fallback position: accept 65 °C"


def milestone(pathway, stage, status=Status.PLANNED, **fields):
    found = Milestone(pathway=pathway, stage=stage, status=status, **fields)
    found.full_clean()
    found.save()
    return found


@pytest.fixture
def world(negotiator):
    """Heat-treated beef: application done, the certificate in progress past its target,
    two linked mappings of which one is open (with an internal note); a pathway whose
    title a spreadsheet would run as a formula; round 3 with its first day, round 4
    without one."""
    beef = Pathway.objects.create(
        key="beef-heat-treated",
        title="Heat-treated beef",
        species="cattle",
        processing_form="heat_treated",
        zone="Whole territory",
        source="https://example.invalid/protocol",
        confidence="medium",
    )
    milestone(
        beef,
        Stage.APPLICATION,
        Status.DONE,
        actual_date=TODAY - 200 * DAY,
        evidence="Letter of application",
        citation="MoA letter No. 1",
    )
    milestone(beef, Stage.CERTIFICATE_AGREED, Status.IN_PROGRESS, target_date=TODAY - 5 * DAY)
    core = make_mapping(
        key="KZCN-901",
        kz=[make_clause()],
        title="Core temperature of heat-treated meat",
        title_ru="Температура в толще продукта",
        status="negotiation",
        alignment="cn_stricter",
    )
    labels = make_mapping(key="KZCN-902", kz=[make_clause()], title="Labels", status="agreed")
    beef.mappings.set([core, labels])
    NegotiationNote.objects.create(
        mapping=core,
        side="kz",
        meeting="Round 3",
        date=TODAY - 10 * DAY,
        text=INTERNAL,
        visibility=NegotiationNote.Visibility.INTERNAL,
        author=negotiator,
    )
    hostile = Pathway.objects.create(key="formula", title=FORMULA, species="sheep", source="t")
    milestone(hostile, Stage.APPLICATION, target_date=TODAY + 30 * DAY)
    Round.objects.create(number=3, title="Round 3, Astana", starts_on=datetime.date(2024, 2, 1))
    Round.objects.create(number=4, title="Round 4, Beijing", dates_note="2025")
    return {"beef": beef, "core": core}


def section(report, key):
    [found] = [s for s in report["sections"] if s.key == key]
    return found


def in_language(lang, text):
    """`text` (a msgid, or a lazy translation) in `lang`."""
    with translation.override(lang):
        return _(text) if isinstance(text, str) else str(text)


# --- the sections ----------------------------------------------------------------------


def test_sections_hold_the_real_data_and_the_missing_registers_say_so(world):
    with translation.override("en"):
        report = build(Params(today=TODAY))
    assert [s.key for s in report["sections"]] == [s.key for s in SECTIONS]
    pathways = section(report, "pathways")
    rows = [dict(zip(pathways.codes, row, strict=True)) for row in pathways.rows]
    assert [r["pathway"] for r in rows] == ["Heat-treated beef", FORMULA]
    beef = rows[0]
    assert beef["progress"] == "1 of 11 stages done"
    assert beef["current_stage"] == "Certificate agreed"
    assert beef["overdue_milestones"] == "Certificate agreed"
    assert beef["blocking_mappings"] == "1"
    assert 'id="report-pathway-timeline"' in pathways.figure and "<a " not in pathways.figure
    stones = section(report, "milestones")
    first = dict(zip(stones.codes, stones.rows[0], strict=True))
    assert first["stage"] == "Application" and first["evidence"] == "Letter of application"
    assert first["actual_date"] == (TODAY - 200 * DAY).isoformat()
    assert [r[stones.codes.index("overdue")] for r in stones.rows] == ["", "Overdue", ""]
    gaps = section(report, "pathway_gaps")
    assert [(r[0], r[1]) for r in gaps.rows] == [("Heat-treated beef", "KZCN-901")]


def test_the_default_catalogue_window_starts_with_the_last_round_held(world):
    with translation.override("en"):
        default = build(Params(today=TODAY))
        since = build(Params(today=TODAY, since=datetime.date(2025, 1, 2)))
    assert default["since_words"] == "2024-02-01 (round 3: Round 3, Astana)"
    assert since["since_words"] == "2025-01-02"
    assert default["fingerprint"] != since["fingerprint"]
    # A later round held moves the default window, and with it the fingerprint.
    Round.objects.create(number=5, title="Round 5, Almaty", starts_on=TODAY - DAY)
    with translation.override("en"):
        later = build(Params(today=TODAY))
    assert later["since_words"].endswith("(round 5: Round 5, Almaty)")
    assert later["fingerprint"] != default["fingerprint"]


def test_empty_states_when_nothing_is_recorded():
    with translation.override("en"):
        report = build(Params(today=TODAY))
    assert all(not s.rows for s in report["sections"])
    assert section(report, "pathways").message == "No pathways are recorded yet."
    assert section(report, "pathways").figure == ""
    assert section(report, "pathway_gaps").message == (
        "No pathway depends on a mapping still open."
    )
    assert report["since_words"] == "every change recorded"


def test_a_provider_plugs_in_by_its_section(world, monkeypatch):
    """A register added later fills its section through the same code: the rows reach
    every format, keyed by the section's column codes."""
    renewals = next(s for s in SECTIONS if s.key == "renewals_due")
    plugged = dataclasses.replace(
        renewals,
        provide=lambda scope: [
            {"establishment": "Plant No. 7", "expires_on": (scope.today + 90 * DAY).isoformat()}
        ],
    )
    monkeypatch.setattr(
        market_access, "SECTIONS", [plugged if s is renewals else s for s in SECTIONS]
    )
    content, _fingerprint = produce(Params(today=TODAY), "csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    codes = rows[1]
    [record] = [dict(zip(codes, r, strict=True)) for r in rows[2:] if "Plant No. 7" in r]
    assert record["section"] == "4. Establishments due for renewal"
    assert record["expires_on"] == (TODAY + 90 * DAY).isoformat() and record["note"] == ""


def test_the_catalogue_section_lists_the_revisions_since_the_day(world):
    """An entry admitted before the day and suspended after it: one row for the status
    change, old and new, with its revision; an entry created after the day: one row
    "entered in the portal"; nothing before the day."""
    from standards.models import CatalogueEntry

    day = TODAY - 3 * DAY
    beef = CatalogueEntry.objects.create(
        key="beef", product="Frozen beef", species="cattle", status="admitted",
        protocol="Protocol of 7 Jun 2018", source="https://example.invalid/beef",
    )  # fmt: skip
    beef.history.update(history_date=timezone.now() - 10 * DAY)
    beef.status = "suspended"
    beef.save()
    CatalogueEntry.objects.create(
        key="mutton", product="Chilled mutton", species="sheep", status="under_negotiation",
        source="https://example.invalid/mutton",
    )  # fmt: skip
    with translation.override("en"):
        report = build(Params(today=TODAY, since=day))
        found = section(report, "catalogue_changes")
    rows = [dict(zip(found.codes, row, strict=True)) for row in found.rows]
    by_product = {row["product"]: row for row in rows}
    assert len(rows) == 2
    assert (by_product["Frozen beef"]["old"], by_product["Frozen beef"]["new"]) == (
        "Admitted",
        "Suspended",
    )
    assert by_product["Frozen beef"]["legal_basis"] == "Protocol of 7 Jun 2018"
    assert by_product["Frozen beef"]["revision"]
    assert by_product["Chilled mutton"]["change"] == "entered in the portal"


def test_the_findings_section_lists_every_unfinished_corrective_action(world):
    """An open action past its deadline (marked overdue), one due later, and a verified
    one (not listed), each with its finding and what the finding concerns."""
    from standards.models import CorrectiveAction, Finding, SiteVisit

    visit = SiteVisit.objects.create(
        key="review", title="GACC review", purpose="country_review", status="closed",
        findings_state="recorded", source="https://example.invalid/review",
    )  # fmt: skip
    finding = Finding.objects.create(visit=visit, text="Movement records", severity="systemic")
    finding.mappings.set(Pathway.objects.get(key="beef-heat-treated").mappings.all())
    CorrectiveAction.objects.create(
        finding=finding, action="Keep records", owner_side="kz", deadline=TODAY - 2 * DAY
    )
    CorrectiveAction.objects.create(
        finding=finding, action="Train staff", owner_side="kz", deadline=TODAY + 9 * DAY
    )
    CorrectiveAction.objects.create(
        finding=finding, action="Fix register", owner_side="kz", status="verified",
        evidence="Register", verification_method="document", verified_by="GACC",
        closed_on=TODAY - DAY,
    )  # fmt: skip
    with translation.override("en"):
        report = build(Params(today=TODAY))
        found = section(report, "findings_actions")
    rows = {
        r[found.codes.index("action")]: dict(zip(found.codes, r, strict=True)) for r in found.rows
    }
    assert set(rows) == {"Keep records", "Train staff"}
    assert rows["Keep records"]["overdue"] == "Overdue" and rows["Train staff"]["overdue"] == ""
    assert rows["Keep records"]["grade"] == "Systemic"
    assert rows["Keep records"]["concerns"] == "KZCN-901, KZCN-902"
    assert rows["Keep records"]["source"] == "https://example.invalid/review"


def test_the_renewals_section_lists_the_registers_establishments_due(world):
    """The register's renewals due reach the report: a plant listed 4 years and 8 months
    ago (window open) with its numbers and window; one listed a year ago is not due."""
    from standards.establishments import add_months, renewal_window
    from standards.models import Establishment

    listed = add_months(TODAY, -56)
    Establishment.objects.create(
        key="almaty-meat",
        name="Almaty Meat LLP",
        kz_approval_number="KZ-0001",
        cn_registration_number="CKAZ0001",
        region="almaty_region",
        listing_date=listed,
        source="https://example.invalid/cifer",
        confidence="medium",
    )
    Establishment.objects.create(
        key="new-plant", name="New Plant", listing_date=add_months(TODAY, -12)
    )
    with translation.override("en"):
        report = build(Params(today=TODAY))
    [row] = section(report, "renewals_due").rows
    cells = dict(zip(section(report, "renewals_due").codes, row, strict=True))
    expires = add_months(listed, 60)
    opens, closes = renewal_window(expires)
    assert cells["establishment"] == "Almaty Meat LLP"
    assert cells["approval_number"] == "KZ-0001" and cells["region"] == "Almaty region"
    assert cells["expires_on"] == expires.isoformat()
    assert (cells["renewal_due_from"], cells["renewal_due_by"]) == (
        opens.isoformat(),
        closes.isoformat(),
    )
    assert cells["establishment_status"] == "Listed"
    assert cells["source"] == "https://example.invalid/cifer"


# --- the page --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_page_in_every_report_language(client_for, regulator, world, lang):
    response = client_for(regulator).get(reverse("standards:market-access-report"), {"lang": lang})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Heat-treated beef" in page and "KZCN-901" in page and "KZCN-902" not in page
    assert in_language(lang, "Certificate agreed") in page
    assert in_language(lang, "For the joint working group") in page
    report = response.context["report"]
    # The same SVG as the PDF's: drawn once, without links.
    assert section(report, "pathways").figure in page
    if lang == "ru":
        assert "Температура в толще продукта †" in page
    assert INTERNAL not in page
    # A regulator reads the report but gets no download links.
    assert "/reports/market-access.pdf" not in page


def test_user_text_is_escaped_on_the_page(client_for, regulator, world):
    Pathway.objects.filter(key="formula").update(title='<script>alert("x")</script>')
    page = client_for(regulator).get(reverse("standards:market-access-report")).content.decode()
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page


def test_the_page_links_the_downloads_for_negotiators(client_for, negotiator, world):
    page = client_for(negotiator).get(reverse("standards:market-access-report")).content.decode()
    for fmt in ("pdf", "csv", "xlsx"):
        assert f"/reports/market-access.{fmt}?lang=en" in page


def test_linked_from_the_pathways_and_the_dashboard_timeline(client_for, regulator, world):
    client = client_for(regulator)
    url = reverse("standards:market-access-report")
    assert url in client.get(reverse("standards:pathway-list")).content.decode()
    dashboard = client.get(reverse("standards:home")).content.decode()
    timeline = dashboard.split('id="pathway-timeline"', 1)[1].split("</section>", 1)[0]
    assert url in timeline


# --- parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "2024-13-01"}, "“Since” is a day written as YYYY-MM-DD"),
        ({"since": "last week"}, "“Since” is a day written as YYYY-MM-DD"),
        ({"round": "three"}, "“Round” is a round&#x27;s number"),
        ({"round": "0"}, "“Round” is a round&#x27;s number"),
        ({"round": "9" * 30}, "“Round” is a round&#x27;s number"),
        ({"since": "2024-02-01\x00"}, "“Since” is a day written as YYYY-MM-DD"),
        ({"round": "99"}, "No round 99 is recorded."),
        ({"round": "4"}, "Round 4 has no first day recorded"),
        ({"round": "3", "since": "2024-02-01"}, "Give either “since” or “round”, not both."),
        ({"lang": "fr"}, "Select a valid choice"),
        ({"audience": "internal-cn"}, "Select a valid choice"),
    ],
)
def test_bad_parameters_are_a_400_with_a_message(client_for, negotiator, world, query, message):
    client = client_for(negotiator)
    for name in ("market-access-report", "market-access-csv"):
        response = client.get(reverse(f"standards:{name}"), query)
        assert response.status_code == 400, name
        assert message in response.content.decode(), name


def test_since_a_round_starts_with_its_first_day(client_for, regulator, world):
    response = client_for(regulator).get(reverse("standards:market-access-report"), {"round": "3"})
    assert response.status_code == 200
    assert "2024-02-01 (round 3: Round 3, Astana)" in response.content.decode()
    assert response.context["report"]["query"] == "lang=en&round=3"


# --- roles and classification ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pdf", "csv", "xlsx"])
def test_readers_cannot_export(client, client_for, regulator, world, fmt):
    url = reverse(f"standards:market-access-{fmt}")
    assert client.get(url).status_code == 302  # to the login page
    response = client_for(regulator).get(url)
    assert response.status_code == 403
    assert "may read reports but not export them" in response.content.decode()


def test_an_internal_report_for_a_delegation_member_carries_no_internal_note(
    client_for, negotiator, world
):
    DelegationMember.objects.create(user=negotiator, delegation="kz")
    client = client_for(negotiator)
    page = client.get(
        reverse("standards:market-access-report"), {"audience": "internal-kz"}
    ).content.decode()
    assert "Internal — Kazakh delegation" in page and INTERNAL not in page
    csv_file = client.get(reverse("standards:market-access-csv"), {"audience": "internal-kz"})
    assert csv_file.status_code == 200
    assert INTERNAL not in csv_file.content.decode("utf-8-sig")


# --- PDF -------------------------------------------------------------------------------


def pdf_text(content):
    reader = PdfReader(io.BytesIO(content))
    return reader, [page.extract_text() for page in reader.pages]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_pdf_in_every_report_language(client_for, negotiator, world, lang):
    """One render per language, every assertion on it."""
    response = client_for(negotiator).get(reverse("standards:market-access-pdf"), {"lang": lang})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    fingerprint = response["X-Report-Fingerprint"]
    assert response["Content-Disposition"] == (
        f'attachment; filename="market-access-{fingerprint[:12]}.pdf"'
    )
    reader, pages = pdf_text(response.content)
    text = "\n".join(pages)
    squeezed = re.sub(r"\s+", "", text)
    page_word, of_word = in_language(lang, "Page"), in_language(lang, "of")
    assert f"{page_word} 1 {of_word} {len(pages)}" in pages[0]
    assert all(fingerprint in page for page in pages)
    classification = in_language(lang, "For the joint working group")
    assert all(re.sub(r"\s+", "", classification) in re.sub(r"\s+", "", p) for p in pages)
    for expected in ("Heat-treated beef", "KZCN-901", in_language(lang, "Certificate agreed")):
        assert re.sub(r"\s+", "", expected) in squeezed, expected
    assert "KZCN-902" not in text and INTERNAL not in text
    # The timeline is drawn in the PDF: its legend's words are on the first section's page.
    assert re.sub(r"\s+", "", in_language(lang, "Actual date")) in squeezed
    metadata = reader.metadata
    assert metadata["/fingerprint"] == fingerprint
    assert metadata["/selection"] == f"lang={lang}"
    with translation.override(lang):
        titles = [str(market_access.TITLE), *(f"{n}. {s.title}" for n, s in enumerate(SECTIONS, 1))]
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[0] == titles[0]
    assert all(title in outline for title in titles[1:]), outline


def test_the_same_data_gives_the_same_pdf_and_an_edit_a_new_fingerprint(world):
    first, fingerprint = produce(Params(today=TODAY), "pdf")
    again, same = produce(Params(today=TODAY), "pdf")
    assert first == again and fingerprint == same
    Milestone.objects.filter(stage=Stage.CERTIFICATE_AGREED).update(responsible_body="GACC")
    _content, changed = produce(Params(today=TODAY), "csv")
    assert changed != fingerprint


def test_the_same_timeline_svg_in_the_html_and_the_pdf(world):
    from django.template.loader import render_to_string

    with translation.override("en"):
        report = build(Params(today=TODAY))
        html = render_to_string("reports/market_access_pdf.html", report)
        body = render_to_string("reports/_market_access_body.html", report)
    figure = section(report, "pathways").figure
    assert figure and figure in html and figure in body


# --- CSV and XLSX ------------------------------------------------------------------------


def read_csv(content):
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_csv_in_every_report_language(client_for, negotiator, world, lang):
    response = client_for(negotiator).get(reverse("standards:market-access-csv"), {"lang": lang})
    assert response.status_code == 200
    rows = read_csv(response.content)
    labels, codes = rows[0], rows[1]
    assert codes[0] == "section" and codes[-3:] == ["note", "report_fingerprint", "report_date"]
    assert labels[codes.index("species")] == in_language(lang, "Species")
    records = [dict(zip(codes, row, strict=True)) for row in rows[2:]]
    with translation.override(lang):
        names = [f"{n}. {s.title}" for n, s in enumerate(SECTIONS, 1)]
    # Every section is there, in order: its rows, or one row saying why it has none.
    assert list(dict.fromkeys(r["section"] for r in records)) == names
    by_section = {name: [r for r in records if r["section"] == name] for name in names}
    assert [r["pathway"] for r in by_section[names[0]]] == ["Heat-treated beef", "'" + FORMULA]
    assert [r["key"] for r in by_section[names[5]]] == ["KZCN-901"]
    for index in (2, 3, 4):
        [row] = by_section[names[index]]
        assert row["note"] == in_language(lang, SECTIONS[index].empty)
    assert {r["report_fingerprint"] for r in records} == {response["X-Report-Fingerprint"]}
    assert {r["report_date"] for r in records} == {TODAY.isoformat()}
    # Formula-safe: no cell a spreadsheet would run.
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for c in r)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_xlsx_in_every_report_language(client_for, negotiator, world, lang):
    response = client_for(negotiator).get(reverse("standards:market-access-xlsx"), {"lang": lang})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheets = workbook.worksheets
    assert len(sheets) == len(SECTIONS) + 1
    assert sheets[-1].title == in_language(lang, "About this report")[:31]
    pathways = [[c.value for c in row] for row in sheets[0].iter_rows()]
    assert pathways[0][pathways[1].index("species")] == in_language(lang, "Species")
    assert pathways[1][0] == "pathway" and sheets[0].freeze_panes == "A3"
    assert [row[0] for row in pathways[2:]] == ["Heat-treated beef", "'" + FORMULA]
    gaps = [[c.value for c in row] for row in sheets[5].iter_rows()]
    assert [row[1] for row in gaps[2:]] == ["KZCN-901"]
    for index in (2, 3, 4):
        values = [[c.value for c in row] for row in sheets[index].iter_rows()]
        assert values[2][0] == in_language(lang, SECTIONS[index].empty)
    # Every cell is text, never a formula.
    for sheet in sheets:
        assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)


def test_the_spreadsheets_are_the_same_bytes_for_the_same_data(world):
    assert produce(Params(today=TODAY), "xlsx") == produce(Params(today=TODAY), "xlsx")
    assert produce(Params(today=TODAY), "csv") == produce(Params(today=TODAY), "csv")


# --- query count -----------------------------------------------------------------------


def _many(n, start=0):
    mapping = make_mapping(key=f"KZCN-{start:04}", kz=[make_clause()], status="negotiation")
    for i in range(start, start + n):
        pathway = Pathway.objects.create(key=f"p-{i:03}", title=f"Pathway {i}", species="cattle")
        Milestone.objects.create(pathway=pathway, stage=Stage.APPLICATION, target_date=TODAY)
        Milestone.objects.create(
            pathway=pathway, stage=Stage.REVIEW, status="slipped", slip_reason="late"
        )
        pathway.mappings.set([mapping])


def test_the_page_costs_the_same_queries_for_5_and_500_records(
    client_for, regulator, django_assert_num_queries
):
    client = client_for(regulator)
    url = reverse("standards:market-access-report")
    _many(2)  # 2 pathways, 4 milestones, 1 mapping
    # session, user, permissions (2); the last round held; pathways, their milestones,
    # their open mappings; the catalogue's revision record (6 with no entry:
    # tests/test_catalogue.py pins it with entries); the establishments due for renewal;
    # the unfinished corrective actions (their findings' mappings and clauses are two
    # more when there are actions); the reader's delegation (the classification
    # choices); the reader's unread notifications (the header's badge)
    with django_assert_num_queries(18):
        assert client.get(url).status_code == 200
    _many(165, start=2)  # 167 pathways, 334 milestones, 2 mappings: 500 records and more
    with django_assert_num_queries(18):
        response = client.get(url)
    assert len(section(response.context["report"], "pathways").rows) == 167
