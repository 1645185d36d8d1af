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
from standards.reports.pdf import StaticOnlyFetcher
from standards.reports.render import produce, render_pdf
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
    refused = []
    content = render_pdf(html, identifier=b"x" * 32, refused=refused)
    assert refused == []
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
    header, row = rows[1], rows[2]  # the column names, their codes, the first mapping
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


# --- verification of crafted PDFs ----------------------------------------------------------


def build_pdf(objects, trailer):
    """A PDF of the numbered `objects` (their bodies as bytes) with a correct
    cross-reference table and the `trailer` dictionary."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, objects[number]))
    xref, size = out.tell(), max(objects) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets.get(number, 0))
    out.write(b"trailer\n%s\nstartxref\n%d\n%%%%EOF\n" % (trailer, xref))
    return out.getvalue()


CATALOG = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [] /Count 0 >>"}
FINGERPRINT = b"(" + b"a" * 64 + b")"


def with_info(info, *more, trailer=b""):
    """A PDF whose /Info is object 3, `info`; `more` objects are numbered from 4."""
    objects = {**CATALOG, 3: info, **dict(enumerate(more, start=4))}
    size = len(objects) + 1
    return build_pdf(objects, b"<< /Size %d /Root 1 0 R /Info 3 0 R %s>>" % (size, trailer))


def looping_prev():
    pdf = with_info(b"<< /fingerprint " + FINGERPRINT + b" >>")
    return pdf.replace(b"/Info 3 0 R >>", b"/Info 3 0 R /Prev %d >>" % pdf.rindex(b"xref\n0 "))


AES_256 = (
    b"<< /Filter /Standard /V 5 /R 6 /Length 256 /P -4 /O <%s> /U <%s> /OE <%s> /UE <%s> "
    b"/Perms <%s> /CF << /StdCF << /CFM /AESV3 /AuthEvent /DocOpen /Length 32 >> >> "
    b"/StmF /StdCF /StrF /StdCF >>"
) % (b"00" * 48, b"00" * 48, b"00" * 32, b"00" * 32, b"00" * 16)

NOT_A_PDF, NOT_A_REPORT = "not a readable PDF", "it was not produced by the portal"
CRAFTED_PDFS = {
    "an /Info that points at itself": (with_info(b"3 0 R"), NOT_A_PDF),
    "an /Info in a reference cycle": (with_info(b"4 0 R", b"3 0 R"), NOT_A_PDF),
    "values in a reference cycle": (
        with_info(b"<< /fingerprint 4 0 R /selection 5 0 R >>", b"5 0 R", b"4 0 R"),
        NOT_A_PDF,
    ),
    "values that point back at the /Info": (
        with_info(b"<< /fingerprint 3 0 R /selection 3 0 R >>"),
        NOT_A_REPORT,
    ),
    "a selection nested 2,000 dictionaries deep": (
        with_info(
            b"<< /fingerprint " + FINGERPRINT + b" /selection "
            + b"<< /a " * 2000 + b"(x)" + b" >>" * 2000 + b" >>"
        ),
        NOT_A_REPORT,
    ),
    "arrays nested 5,000 deep": (
        with_info(b"<< /fingerprint " + b"[" * 5000 + b"]" * 5000 + b" >>"), NOT_A_PDF
    ),
    "an /Info that is an array": (with_info(b"[1 2 3]"), NOT_A_PDF),
    "an /Info that does not exist": (
        build_pdf(CATALOG, b"<< /Size 3 /Root 1 0 R /Info 9 0 R >>"), NOT_A_REPORT
    ),
    "a cross-reference table that is not there": (
        b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << /Info 1 0 R >>\nstartxref\n99999\n%%EOF",
        NOT_A_REPORT,
    ),
    "a truncated file": (with_info(b"<< /fingerprint " + FINGERPRINT + b" >>")[:150], NOT_A_PDF),
    "a /Prev that loops": (looping_prev(), NOT_A_REPORT),
    "no PDF header": (b"<html>" + b" " * 2000 + b"%PDF-1.7", NOT_A_PDF),
    "AES-256 encryption": (
        with_info(
            b"<< /fingerprint " + FINGERPRINT + b" >>", AES_256,
            trailer=b"/Encrypt 4 0 R /ID [<00> <00>] ",
        ),
        NOT_A_PDF,
    ),
    "a fingerprint that is not one": (
        with_info(b"<< /fingerprint (not hexadecimal) /selection (gaps=1) >>"), NOT_A_REPORT
    ),
    "a selection that is a number": (
        with_info(b"<< /fingerprint " + FINGERPRINT + b" /selection 5 >>"), NOT_A_REPORT
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CRAFTED_PDFS)
def test_a_crafted_pdf_is_a_400_with_a_clear_message(client_for, negotiator, case):
    content, message = CRAFTED_PDFS[case]
    client = client_for(negotiator)
    client.raise_request_exception = False
    upload = SimpleUploadedFile("report.pdf", content, content_type="application/pdf")
    response = client.post(reverse("standards:report-verify"), {"document": upload})
    assert response.status_code == 400
    assert message in response.text


@pytest.mark.parametrize(
    "error",
    [
        RecursionError, KeyError, IndexError, TypeError, ValueError, AttributeError,
        OverflowError, AssertionError, NotImplementedError,
        "PdfReadError", "PdfStreamError", "DependencyError", "LimitReachedError",
        "struct.error", "zlib.error",
    ],
    ids=str,
)  # fmt: skip
def test_whatever_pypdf_raises_on_a_file_is_a_400(client_for, negotiator, monkeypatch, error):
    import struct
    import zlib

    import pypdf
    from pypdf import errors

    if isinstance(error, str):
        named = {"struct.error": struct.error, "zlib.error": zlib.error}
        error = named[error] if error in named else getattr(errors, error)

    def fail(*args, **kwargs):
        raise error("crafted")

    monkeypatch.setattr(pypdf, "PdfReader", fail)
    upload = SimpleUploadedFile("report.pdf", with_info(b"<< >>"), content_type="application/pdf")
    response = client_for(negotiator).post(reverse("standards:report-verify"), {"document": upload})
    assert response.status_code == 400
    assert NOT_A_PDF in response.text


def test_a_pdf_larger_than_any_report_is_refused_unread(client_for, negotiator, monkeypatch):
    import pypdf

    monkeypatch.setattr(pypdf, "PdfReader", None)  # never reached
    content = with_info(b"<< >>") + b"%" * (20 * 2**20)
    upload = SimpleUploadedFile("report.pdf", content, content_type="application/pdf")
    response = client_for(negotiator).post(reverse("standards:report-verify"), {"document": upload})
    assert response.status_code == 400
    assert "larger than 20 MB" in response.text


def test_fonts_are_subset_with_harfbuzz():
    from django.core.checks import run_checks

    assert not [m for m in run_checks() if m.id == "standards.W001"]


def test_negotiation_notes_appear_in_the_pdf_only_when_asked(data, negotiator):
    from datetime import date

    from standards.models import NegotiationNote

    first = NegotiationNote.objects.create(
        mapping=data["gap"], side="cn", meeting="Round 2, Beijing", date=date(2026, 5, 12),
        visibility="shared",
        text="China proposes n=5, c=0 for Salmonella.", author=negotiator,
    )  # fmt: skip
    NegotiationNote.objects.create(
        mapping=data["gap"], side="joint", meeting="Round 3, Astana", date=date(2026, 9, 3),
        visibility="shared",
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
        visibility="shared",
        text="Kazakhstan agrees.", author=negotiator,
    )  # fmt: skip
    assert report("gaps=1&lang=en&notes=on")[1] != fingerprint_with


def test_parameter_names_follow_the_language_of_the_report(data):
    from standards.models import Parameter

    Parameter.objects.filter(key="salmonella").update(name_ru="Бактерии рода Сальмонелла")
    assert "Бактерии рода Сальмонелла" in pdf_text(report("gaps=1&lang=ru")[0])[1]
    assert "Бактерии рода Сальмонелла" not in pdf_text(report("gaps=1&lang=en")[0])[1]
