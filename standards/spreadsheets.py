"""The one way the portal writes spreadsheets: formula-safe CSV and XLSX.

Gap reports (standards.reports) and the data exchange (standards.exchange) both write
through here, so both follow one rule:

- a cell that a spreadsheet would run as a formula (starting with = + - @, tab or
  carriage return), or that starts with an apostrophe, gets a leading apostrophe
  (OWASP CSV injection); `unescape_cell` takes it off again, so an exchange file
  imports back exactly as it was exported;
- CSV is UTF-8 with a byte-order mark (Excel then opens Chinese and Cyrillic text
  correctly) and CRLF line ends;
- XLSX cells are always text, never formulas, and the C0 control characters XML cannot
  hold (pasted from Word or a PDF) become U+FFFD.
"""

import csv
import io
import re
import unicodedata
import zipfile

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ESCAPED_START = (*FORMULA_START, "'")


def escape_cell(value):
    """The text a spreadsheet shows but never runs; `unescape_cell` gives it back.
    Anything other than text is returned as it is."""
    return f"'{value}" if isinstance(value, str) and value.startswith(ESCAPED_START) else value


def unescape_cell(value):
    return value[1:] if isinstance(value, str) and value.startswith("'") else value


def _text(value):
    return "" if value is None else str(value)


def write_csv(header, rows):
    """CSV bytes of a header and rows; every cell escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_text(escape_cell(cell)) for cell in header])
    for row in rows:
        writer.writerow([_text(escape_cell(cell)) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(header, rows, *, title, properties=None, frozen_rows=1, widths=False, sheets=()):
    """XLSX bytes of one sheet named `title`, its first `frozen_rows` rows frozen; every
    cell escaped and stored as text. `widths` sizes each column to its text (within
    COLUMN_WIDTHS); `sheets` are further (title, rows) sheets, their first row frozen, or
    (title, rows, frozen_rows).
    `properties` (created, modified, creator, title, keywords) are set on the workbook:
    fixed values give the same file for the same data."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook()
    _fill(workbook.active, title, [header, *rows], frozen_rows, widths)
    for sheet_title, sheet_rows, *frozen in sheets:
        _fill(workbook.create_sheet(), sheet_title, sheet_rows, frozen[0] if frozen else 1, widths)
    for name, value in (properties or {}).items():
        setattr(workbook.properties, name, value)
    buffer = io.BytesIO()
    # The writer itself, not Workbook.save, which sets `modified` to the time of saving.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    return _fixed_dates(buffer.getvalue())


# The date of every member of a workbook's archive (the earliest a zip can hold): the
# writer stamps the time of writing, which would make two saves of the same data differ.
ARCHIVE_DATE = (1980, 1, 1, 0, 0, 0)


def _fixed_dates(data):
    """The same archive, its members in the same order, each dated ARCHIVE_DATE."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=ARCHIVE_DATE)
            info.compress_type, info.external_attr = member.compress_type, member.external_attr
            target.writestr(info, source.read(member))
    return out.getvalue()


# Column widths in characters: at least the first, at most the second.
COLUMN_WIDTHS = (8, 60)
# Characters a sheet name may not hold, and its longest length.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_LENGTH = 31


def sheet_name(title):
    """A title a workbook accepts as a sheet name."""
    return SHEET_NAME_FORBIDDEN.sub(" ", str(title)).strip()[:SHEET_NAME_LENGTH] or "Sheet"


def _fill(sheet, title, rows, frozen_rows, widths):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING

    sheet.title = sheet_name(title)
    for row in rows:
        sheet.append(
            [ILLEGAL_CHARACTERS_RE.sub("\ufffd", _text(escape_cell(cell))) for cell in row]
        )
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.data_type = TYPE_STRING  # never a formula, whatever the text
    sheet.freeze_panes = f"A{frozen_rows + 1}"
    if widths:
        _size_columns(sheet)


def _display_width(text, cap):
    """The width of the longest line of `text`, wide (CJK) characters counting two; a
    line is measured up to `cap` characters, past which it is as wide as a column gets."""
    lines = str(text).splitlines() or [""]
    return max(
        sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line[:cap])
        for line in lines
    )


def _size_columns(sheet):
    from openpyxl.utils import get_column_letter

    low, high = COLUMN_WIDTHS
    for index, column in enumerate(sheet.iter_cols(), start=1):
        widest = max((_display_width(cell.value or "", high) for cell in column), default=0)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(widest + 2, low), high)
