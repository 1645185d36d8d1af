"""The "what changed" page and its report files, and closing a round from its page."""

import csv
import io

import openpyxl
import pdfplumber
import pytest
from django.test import Client

from standards import baselines
from standards.models import Baseline
from tests.test_baselines import script_edits, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def changed(world):  # noqa: F811
    baselines.take_baseline(world["round"], world["editor"])
    script_edits(world)
    return world


def test_the_page_without_a_baseline_says_how_to_get_one(regulator):
    response = client_of(regulator).get("/changes/")
    assert response.status_code == 200
    assert "No round has a baseline yet" in response.content.decode()


def test_the_page_lists_the_changes_since_a_baseline(changed, regulator):
    response = client_of(regulator).get("/changes/?since=round-3")
    assert response.status_code == 200
    page = response.content.decode()
    assert "KZCN-001" in page and "KZCN-002" in page and "KZCN-003" in page
    assert "Agreed at the working group, minutes item 4" in page
    assert "≤ 0.2 mg/kg" in page
    assert "Computed from the limits: Equivalent → China stricter" in page
    assert "<del>0.5</del>" in page and "<ins>0.2</ins>" in page
    assert "superseded by GB 2762-2025" in page
    # A reader without the export permission gets no download links.
    assert "/changes/report.pdf" not in page


def test_filters_narrow_the_page(changed, regulator):
    page = client_of(regulator).get("/changes/?since=round-3&topic=labelling").content.decode()
    assert "KZCN-002" in page and "KZCN-001" not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=round-9", "Round 9 has no baseline yet."),
        ("since=last+week", "is not a moment"),
        ("since=2026-01-02&until=2026-01-01", "comes after"),
        ("since=round-3&topic=nonsense", "Select a valid choice"),
    ],
)
def test_a_bad_moment_or_filter_is_a_400_with_a_message(changed, regulator, query, message):
    response = client_of(regulator).get(f"/changes/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_pdf_report_lists_the_changes_with_the_page_furniture(changed, negotiator):
    response = client_of(negotiator).get("/changes/report.pdf?since=round-3")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    fingerprint = response["X-Report-Fingerprint"]
    with pdfplumber.open(io.BytesIO(response.content)) as pdf:
        pages = [page.extract_text() for page in pdf.pages]
    text = "\n".join(pages)
    assert "KZCN-001" in text and "≤ 0.2 mg/kg" in text and "GB 2762-2025" in text
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert all(fingerprint in page for page in pages)
    # The same changes give the same bytes.
    again = client_of(negotiator).get("/changes/report.pdf?since=round-3")
    assert again.content == response.content


def test_the_csv_report_has_one_row_per_change_with_a_plain_redline(changed, negotiator):
    response = client_of(negotiator).get("/changes/report.csv?since=round-3")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][:4] == ["key", "title", "topic", "change"]
    changes = {(row[0], row[3]) for row in rows[2:]}
    assert {("KZCN-001", "transition"), ("KZCN-001", "limit"), ("KZCN-001", "text")} <= changes
    assert ("KZCN-002", "removed") in changes and ("KZCN-003", "added") in changes
    [text] = [row for row in rows[2:] if row[3] == "text"]
    assert "0.5" in text[7] and "0.2" in text[7]


def test_the_xlsx_report_opens_with_the_same_rows(changed, negotiator):
    response = client_of(negotiator).get("/changes/report.xlsx?since=round-3")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    keys = {row[0] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert {"KZCN-001", "KZCN-002", "KZCN-003"} <= keys


def test_report_files_need_the_export_permission(changed, regulator):
    for fmt in ("pdf", "csv", "xlsx"):
        assert client_of(regulator).get(f"/changes/report.{fmt}?since=round-3").status_code == 403


def test_user_text_is_escaped_on_the_page_and_in_the_spreadsheet(changed, regulator):
    mapping = changed["agreed_later"]
    mapping.status = "harmonized"
    mapping._change_reason = '<script>alert(1)</script>=HYPERLINK("x")'
    mapping.save()
    page = client_of(regulator).get("/changes/?since=round-3").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- closing a round ---------------------------------------------------------------------------


def test_an_editor_closes_a_round_and_corrects_its_baseline_with_a_reason(world, editor):  # noqa: F811
    client = client_of(editor)
    response = client.post("/rounds/3/baseline/")
    assert response.status_code == 302
    assert Baseline.objects.filter(round__number=3).count() == 1
    refused = client.post("/rounds/3/baseline/", {"reason": "  "})
    assert refused.status_code == 400
    assert "say why it is corrected" in refused.content.decode()
    assert Baseline.objects.count() == 1
    assert client.post("/rounds/3/baseline/", {"reason": "Minutes corrected"}).status_code == 302
    page = client.get("/rounds/3/").content.decode()
    assert "Round 3 baseline, correction 1" in page and "Minutes corrected" in page


def test_only_editors_close_a_round(world, regulator, negotiator):  # noqa: F811
    for user in (regulator, negotiator):
        assert client_of(user).post("/rounds/3/baseline/").status_code == 403
    assert not Baseline.objects.exists()


def test_closing_a_round_that_does_not_exist_is_a_404(editor):
    assert client_of(editor).post("/rounds/99/baseline/").status_code == 404
