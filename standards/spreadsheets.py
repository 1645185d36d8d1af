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


def write_xlsx(header, rows, *, title, properties=None):
    """XLSX bytes of one sheet named `title`, header row frozen; every cell escaped and
    stored as text. `properties` (created, modified, creator, title, keywords) are set
    on the workbook: fixed values give the same file for the same data."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in (header, *rows):
        sheet.append(
            [ILLEGAL_CHARACTERS_RE.sub("\ufffd", _text(escape_cell(cell))) for cell in row]
        )
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.data_type = TYPE_STRING  # never a formula, whatever the text
    sheet.freeze_panes = "A2"
    for name, value in (properties or {}).items():
        setattr(workbook.properties, name, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
