"""Spreadsheet files for the import tests: CSV and XLSX bytes, and XLSX files edited
inside their zip archive (a sheet without its declared size, or declaring another)."""

import csv
import io
import re
import zipfile

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"


def csv_bytes(rows, delimiter=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite_member(data, member, edit):
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, edit(content) if info.filename == member else content)
    return buffer.getvalue()


def without_dimension(data):
    """An XLSX whose sheet does not declare its size, as some writers make them: its rows
    then read with as many cells as each holds."""
    return rewrite_member(data, SHEET, lambda xml: re.sub(rb"<dimension[^>]*/>", b"", xml))


def with_dimension(data, dimension):
    """An XLSX whose sheet declares the size `dimension` (b"A1:ALL40000")."""
    return rewrite_member(
        data,
        SHEET,
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="%s"' % dimension, xml),
    )
