"""Gap reports: selection, PDF text and fonts, reproducibility, cache, background
rendering, permissions, fetching, spreadsheets and verification."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.http import QueryDict
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from standards.models import ClauseMapping, ReportFile
from standards.reports.fingerprint import data_version
from standards.reports.render import StaticOnlyFetcher, produce, render_pdf
from standards.reports.selection import selection_from
from tests.factories import make_clause, make_limit, make_mapping, make_parameter, make_standard

pytestmark = pytest.mark.django_db

KAZAKH = "Қазақстан Республикасы: ә ғ қ ң ө ұ ү һ і"
RUSSIAN = "Сальмонеллы не допускаются в 25 г"
CHINESE = "沙门氏菌不得检出"
HOSTILE = (
    '<img src="http://127.0.0.1:1/x"> file:///etc/passwd '
    '<link rel="attachment" href="file:///etc/passwd"> =HYPERLINK("http://evil")'
)


@pytest.fixture
def data():
    salmonella = make_parameter(key="salmonella", name_en="Salmonella", unit="g")
    kz = make_clause(
        make_standard(code="TR CU 034/2013", title_original=KAZAKH, title_language="kk"),
        reference="Annex 1",
        text_en="Salmonella not allowed in 25 g.",
        text_original=RUSSIAN,
        original_language="ru",
        topic="microbiology",
    )
    cn = make_clause(
        make_standard(code="GB 29921-2021", jurisdiction="cn"),
        reference="Table 1",
        text_en=f"Salmonella absent in 25 g. {HOSTILE}",
        text_original=CHINESE,
        original_language="zh",
        topic="microbiology",
    )
    make_limit(kz, salmonella, kind="absent", value="25", unit="g")
    make_limit(cn, salmonella, kind="absent", value="25", unit="g", plan_n=5, plan_c=0)
    gap = make_mapping(
        key="KZCN-045",
        title="Salmonella",
        kz=[kz],
        cn=[cn],
        topic="microbiology",
        product_group="heat_treated",
        alignment="different",
        rationale="=1+1 looks like a formula",
    )
    settled = make_mapping(
        key="KZCN-046", title="Listeria", kz=[kz], alignment="equivalent", topic="microbiology"
    )
    return {"gap": gap, "settled": settled}


def report(query):
    _form, selection = selection_from(QueryDict(query))
    assert selection is not None
    _version, as_of = data_version()
    return produce(selection, "pdf", as_of)


def pdf_text(content):
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_html_report_selects_gaps_by_default(client_for, regulator, data):
    response = client_for(regulator).get(reverse("standards:report-html"), {"lang": "en"})
    assert response.status_code == 200
    assert [m.key for m, _c in response.context["report"]["rows"]] == ["KZCN-045"]
    every = client_for(regulator).get(reverse("standards:report-html"), {"gaps": "0"})
    assert [m.key for m, _c in every.context["report"]["rows"]] == ["KZCN-045", "KZCN-046"]
    chilled = client_for(regulator).get(
        reverse("standards:report-html"), {"gaps": "0", "product": "chilled"}
    )
    assert [m.key for m, _c in chilled.context["report"]["rows"]] == ["KZCN-046"]


def test_bad_selection_is_a_400_with_a_message(client_for, regulator, data):
    response = client_for(regulator).get(reverse("standards:report-html"), {"status": "done"})
    assert response.status_code == 400
    assert "Some choices are not valid" in response.text


def test_pdf_text_glyphs_fonts_and_structure(data):
    content, fingerprint, count = report("gaps=1&lang=en&originals=on")
    reader, text = pdf_text(content)
    compact = re.sub(r"\s+", "", text)
    for expected in (KAZAKH, RUSSIAN, CHINESE):
        assert re.sub(r"\s+", "", expected) in compact, expected
    assert fingerprint in compact and count == 1
    assert "DRAFT" in text
    assert len(reader.pages) >= 4
    pages = [int(n) for n in re.findall(r"page (\d+)", text.split("Contents", 1)[1][:400])]
    assert pages and all(n > 0 for n in pages)
    assert re.search(r"Page \d+ of \d+", text)
    # Every font is embedded (as a subset).
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            assert re.match(r"^/[A-Z]{6}\+", font["/BaseFont"])
    metadata = reader.metadata
    assert metadata["/fingerprint"] == fingerprint
    assert metadata["/Author"] == "KZ–CN Meat Requirements Portal"
    assert "gaps=1" in metadata["/selection"]
    assert [item.title for item in reader.outline if not isinstance(item, list)][:2] == [
        "Gap report: veterinary and sanitary requirements for meat",
        "Executive summary",
    ]


def test_report_in_kazakh_uses_kazakh_wording(data):
    content, _fingerprint, _count = report("gaps=1&lang=kk")
    _reader, text = pdf_text(content)
    assert "Қазақстан" in text


def test_same_data_same_bytes(data):
    first, fingerprint, _ = report("gaps=0&lang=en")
    second, again, _ = report("gaps=0&lang=en")
    assert first == second and fingerprint == again


def test_hostile_text_is_escaped_and_nothing_is_fetched(data):
    _form, selection = selection_from(QueryDict("gaps=1&lang=en"))
    from django.template.loader import render_to_string

    from standards.reports.content import build_report

    html = render_to_string(
        "reports/gap_pdf.html",
        {**build_report(selection), "title": "t", "subject": "s", "lang": "en", "query": ""},
    )
    assert '<img src="http://127.0.0.1:1/x">' not in html
    fetcher = StaticOnlyFetcher()
    content = render_pdf(html, identifier=b"x" * 32, fetcher=fetcher)
    assert fetcher.refused == []
    reader, text = pdf_text(content)
    assert "127.0.0.1:1/x" in text and "/etc/passwd" in text
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get_object())


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/x",
        "https://example.org/x.css",
        "file:///etc/passwd",
        "https://portal.invalid/static/../../etc/passwd",
        "https://portal.invalid/static/no-such-file.css",
    ],
)
def test_fetcher_refuses_everything_but_static_files(url):
    fetcher = StaticOnlyFetcher()
    with pytest.raises(ValueError):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_fetcher_serves_static_files_and_data_uris():
    fetcher = StaticOnlyFetcher()
    assert b"@page" in fetcher.fetch("https://portal.invalid/static/portal/report.css").read()
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"


@pytest.mark.parametrize("fmt", ["pdf", "csv", "xlsx"])
def test_export_permissions(
    client_for, client, regulator, negotiator, editor, administrator, data, fmt
):
    url = reverse(f"standards:report-{fmt}") + "?gaps=1&lang=en"
    assert client.get(url).status_code == 302
    assert client_for(regulator).get(url).status_code == 403
    for user in (negotiator, editor, administrator):
        response = client_for(user).get(url)
        assert response.status_code == 200, user
        assert response["Content-Disposition"].startswith("attachment")


def test_repeat_download_is_served_from_the_cache_until_an_edit(client_for, negotiator, data):
    client = client_for(negotiator)
    url = reverse("standards:report-pdf") + "?gaps=1&lang=en"
    first = client.get(url)
    assert ReportFile.objects.count() == 1
    again = client.get(url)
    assert again.content == first.content and ReportFile.objects.count() == 1
    mapping = data["gap"]
    mapping.rationale = "Changed after the first report."
    mapping.save()
    changed = client.get(url)
    assert ReportFile.objects.count() == 2
    assert changed["X-Report-Fingerprint"] != first["X-Report-Fingerprint"]


# Transactional: the worker closes its database connection between tasks, which a
# test wrapped in a transaction would not survive on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_large_pdf_is_rendered_in_the_background(client_for, negotiator, data, settings):
    settings.REPORT_BACKGROUND_THRESHOLD = 0
    client = client_for(negotiator)
    response = client.get(reverse("standards:report-pdf") + "?gaps=0&lang=en")
    assert response.status_code == 302
    job = ReportFile.objects.get()
    assert job.status == ReportFile.Status.QUEUED
    status_page = client.get(response["Location"])
    assert 'http-equiv="refresh"' in status_page.text
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    job.refresh_from_db()
    assert job.status == ReportFile.Status.DONE and job.fingerprint
    done_page = client.get(response["Location"])
    assert "http-equiv" not in done_page.text
    download = client.get(reverse("standards:report-download", args=[job.pk]))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")


def test_reports_past_the_hard_cap_are_refused(client_for, negotiator, data, settings):
    settings.REPORT_MAX_MAPPINGS = 1
    response = client_for(negotiator).get(reverse("standards:report-pdf") + "?gaps=0&lang=en")
    assert response.status_code == 400
    assert "reports are limited to 1" in response.text
    assert not ReportFile.objects.exists()


def test_csv_is_utf8_with_bom_and_formula_safe(client_for, negotiator, data):
    content = client_for(negotiator).get(reverse("standards:report-csv") + "?gaps=1").content
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    record = dict(zip(header, row, strict=True))
    assert record["rationale"] == "'=1+1 looks like a formula"
    assert record["cn_text_original"] == CHINESE
    for cell in (c for r in rows for c in r):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_xlsx_cells_are_text_not_formulas(client_for, negotiator, data):
    content = client_for(negotiator).get(reverse("standards:report-xlsx") + "?gaps=1").content
    sheet = load_workbook(io.BytesIO(content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "'=1+1 looks like a formula" in values
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row if cell.value)


def test_verify_by_fingerprint_and_by_pdf(client_for, negotiator, data):
    client = client_for(negotiator)
    pdf = client.get(reverse("standards:report-pdf") + "?gaps=1&lang=en")
    fingerprint = pdf["X-Report-Fingerprint"]
    url = reverse("standards:report-verify")
    assert "It matches" in client.post(url, {"fingerprint": fingerprint}).text
    upload = SimpleUploadedFile("r.pdf", pdf.content, content_type="application/pdf")
    assert "It matches" in client.post(url, {"document": upload}).text
    ClauseMapping.objects.filter(key="KZCN-045").update(title="Edited")
    assert "It does not match" in client.post(url, {"fingerprint": fingerprint}).text
    assert "was not issued" in client.post(url, {"fingerprint": "0" * 64}).text
    junk = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    response = client.post(url, {"document": junk})
    assert response.status_code == 400 and "not a readable PDF" in response.text
    assert client.post(url, {"fingerprint": "xyz"}).status_code == 400


def test_fonts_are_subset_with_harfbuzz():
    from django.core.checks import run_checks

    assert not [m for m in run_checks() if m.id == "standards.W001"]


def test_negotiation_notes_appear_in_the_pdf_only_when_asked(data, negotiator):
    from datetime import date

    from standards.models import NegotiationNote

    first = NegotiationNote.objects.create(
        mapping=data["gap"], side="cn", meeting="Round 2, Beijing", date=date(2026, 5, 12),
        text="China proposes n=5, c=0 for Salmonella.", author=negotiator,
    )  # fmt: skip
    NegotiationNote.objects.create(
        mapping=data["gap"], side="joint", meeting="Round 3, Astana", date=date(2026, 9, 3),
        text=f"Sampling plan accepted. {CHINESE}", corrects=first, author=negotiator,
    )  # fmt: skip
    without, fingerprint_without, _ = report("gaps=1&lang=en")
    assert "Round 2, Beijing" not in pdf_text(without)[1]

    with_notes, fingerprint_with, _ = report("gaps=1&lang=en&notes=on")
    text = pdf_text(with_notes)[1]
    assert "Negotiation notes" in text
    assert "2026-05-12 · China · Round 2, Beijing" in text
    assert "China proposes n=5, c=0 for Salmonella." in text
    assert "corrects the note of 2026-05-12" in text
    assert CHINESE in text
    assert fingerprint_with != fingerprint_without
    # A new note is new data: the report's fingerprint changes.
    NegotiationNote.objects.create(
        mapping=data["gap"], side="kz", meeting="Round 4", date=date(2026, 11, 20),
        text="Kazakhstan agrees.", author=negotiator,
    )  # fmt: skip
    assert report("gaps=1&lang=en&notes=on")[1] != fingerprint_with


def test_parameter_names_follow_the_language_of_the_report(data):
    from standards.models import Parameter

    Parameter.objects.filter(key="salmonella").update(name_ru="Бактерии рода Сальмонелла")
    assert "Бактерии рода Сальмонелла" in pdf_text(report("gaps=1&lang=ru")[0])[1]
    assert "Бактерии рода Сальмонелла" not in pdf_text(report("gaps=1&lang=en")[0])[1]
