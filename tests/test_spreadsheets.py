"""One spreadsheet writer, one rule: the gap reports and the data exchange escape the
same cells the same way, and every escaped cell reads back as the text it was."""

import csv
import datetime
import io
import types

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from standards.exchange import CSVFormat, MappingResource, XLSXFormat
from standards.spreadsheets import escape_cell, unescape_cell, write_csv, write_xlsx
from tests.factories import make_clause, make_mapping, make_standard

pytestmark = pytest.mark.django_db

TRICKY = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\tTab first",
    "\rCarriage return",
    "'quoted already",
    "plain text",
    "Свинец ≤ 0,5 мг/кг",
    "铅≤0.2 mg/kg",
]


@pytest.mark.parametrize("text", TRICKY)
def test_escape_and_unescape_round_trip(text):
    escaped = escape_cell(text)
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert unescape_cell(escaped) == text


def csv_cells(content):
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def xlsx_cells(content):
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows())
    assert all(cell.data_type == "s" for row in rows for cell in row if cell.value)
    # XML reads a carriage return as a line feed (line-end normalisation): an XLSX cell
    # cannot keep one, so compare with that applied.
    return [["" if cell.value is None else cell.value for cell in row] for row in rows]


def as_xlsx_keeps(text):
    return text.replace("\r", "\n")


def test_writers_escape_every_cell_and_keep_text():
    header, rows = ["a", "b"], [[text, None] for text in TRICKY]
    cells = csv_cells(write_csv(header, rows))
    assert [unescape_cell(row[0]) for row in cells[1:]] == TRICKY
    sheet = xlsx_cells(write_xlsx(header, rows, title="T"))
    assert [unescape_cell(row[0]) for row in sheet[1:]] == [as_xlsx_keeps(t) for t in TRICKY]
    assert all(row[1] == "" for row in cells[1:] + sheet[1:])


@pytest.fixture
def tricky_mappings():
    clause = make_clause(make_standard(), text_en=TRICKY[0])
    return [
        make_mapping(key=f"T-{n:03d}", kz=[clause], rationale=text, alignment="kz_only")
        for n, text in enumerate(TRICKY)
    ]


def test_the_gap_report_and_the_exchange_write_the_same_cells(
    client_for, negotiator, tricky_mappings
):
    client = client_for(negotiator)
    report = {
        "csv": csv_cells(client.get(reverse("standards:report-csv") + "?gaps=0").content),
        "xlsx": xlsx_cells(client.get(reverse("standards:report-xlsx") + "?gaps=0").content),
    }
    exchange = {
        "csv": csv_cells(CSVFormat().export_data(MappingResource().export())),
        "xlsx": xlsx_cells(XLSXFormat().export_data(MappingResource().export())),
    }
    for fmt, keeps in (("csv", str), ("xlsx", as_xlsx_keeps)):
        # The report names its columns in the report's language first, then gives their
        # codes; the exchange has the codes alone.
        for cells in (report[fmt][1:], exchange[fmt]):
            column = cells[0].index("rationale")
            written = {row[0]: row[column] for row in cells[1:]}
            assert {key: unescape_cell(value) for key, value in written.items()} == {
                m.key: keeps(m.rationale) for m in tricky_mappings
            }
            assert written == {m.key: keeps(escape_cell(m.rationale)) for m in tricky_mappings}


def test_a_workbook_is_the_same_bytes_whatever_the_clock(monkeypatch):
    """The archive's member dates are fixed, not the time of writing, and the workbook's
    dates are the ones given: two saves of the same data seconds apart give the same file.
    The clock moves for the zip writer and for openpyxl's own "now" alike."""
    import time
    import zipfile

    from openpyxl.packaging import core as openpyxl_core

    clock = iter([1_700_000_000.0, 1_700_000_007.0])
    stamps = []
    real_localtime = time.localtime

    def write():
        now = next(clock)

        class Clock(datetime.datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.datetime.fromtimestamp(now, tz)

        monkeypatch.setattr(time, "time", lambda: now)
        monkeypatch.setattr(time, "localtime", lambda secs=None: real_localtime(now))
        monkeypatch.setattr(
            openpyxl_core,
            "datetime",
            types.SimpleNamespace(datetime=Clock, timezone=datetime.timezone),
        )
        data = write_xlsx(
            ["a"], [["1"]], title="Data", properties={"created": stamp, "modified": stamp}
        )
        stamps.append({i.date_time for i in zipfile.ZipFile(io.BytesIO(data)).infolist()})
        return data

    stamp = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC).replace(tzinfo=None)
    first, second = write(), write()
    assert first == second
    assert stamps[0] == stamps[1] == {(1980, 1, 1, 0, 0, 0)}
    # The dates given, not the time of saving.
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode()
    assert "2026-01-02T03:04:05Z</dcterms:created>" in core
    assert "2026-01-02T03:04:05Z</dcterms:modified>" in core
