"""Spreadsheet import and export in the back office: preview, all-or-nothing import,
round trip into an empty portal, formula safety and refusal of malformed files."""

import csv
import datetime
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from standards.exchange import (
    RESOURCES,
    ClauseResource,
    CSVFormat,
    MappingResource,
    ParameterResource,
    XLSXFormat,
)
from standards.models import (
    CatalogueCondition,
    Clause,
    ClauseMapping,
    Establishment,
    GlossaryTerm,
    Limit,
    Parameter,
    PendingImport,
    Standard,
)
from tests.factories import make_clause, make_mapping, make_parameter, make_standard
from tests.workbooks import rewrite_member, with_dimension, without_dimension, xlsx_bytes

pytestmark = pytest.mark.django_db

CSV_INDEX, XLSX_INDEX = "0", "1"  # the order of standards.exchange.FORMATS


def export_csv(resource_class):
    return CSVFormat().export_data(resource_class().export())


def export_xlsx(resource_class):
    return XLSXFormat().export_data(resource_class().export())


def xlsx_cells(data):
    sheet = load_workbook(io.BytesIO(data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def import_file(resource_class, data, fmt=CSVFormat, reason="Imported in a test"):
    file_format = fmt()
    text = data if fmt is XLSXFormat else data.encode("utf-8")
    from standards.exchange import read_upload

    dataset = read_upload(text, file_format, resource_class)
    return resource_class(reason=reason).import_data(
        dataset, dry_run=False, rollback_on_validation_errors=True
    )


def csv_text(rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


PARAMETER_HEADER = ParameterResource.column_names()


def parameter_csv(*rows):
    return csv_text([PARAMETER_HEADER, *rows])


def upload(name, content, content_type="text/csv"):
    if isinstance(content, str):
        content = content.encode("utf-8")
    return SimpleUploadedFile(name, content, content_type=content_type)


def post_import(client, model, content, *, fmt=CSV_INDEX, name="data.csv", reason="Round 3"):
    return client.post(
        reverse(f"admin:standards_{model}_import"),
        {
            "resource": "0",
            "format": fmt,
            "import_file": upload(name, content),
            "reason": reason,
        },
    )


def confirm(client, model, preview):
    form = preview.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(reverse(f"admin:standards_{model}_process_import"), data)


# --- round trip --------------------------------------------------------------------------


def empty_portal():
    ClauseMapping.objects.all().delete()
    Limit.objects.all().delete()
    Clause.objects.all().delete()
    Standard.objects.all().delete()
    CatalogueCondition.objects.all().delete()  # they protect their parameters
    Parameter.objects.all().delete()
    GlossaryTerm.objects.all().delete()
    Establishment.objects.all().delete()


@pytest.mark.parametrize(
    ("fmt", "read"), [(CSVFormat, lambda data: data), (XLSXFormat, xlsx_cells)]
)
def test_export_import_into_an_empty_portal_and_export_again_is_identical(fmt, read):
    call_command("load_reference_data", verbosity=0)
    # Parents and superseded editions refer to records further down the file.
    newer, older = Standard.objects.order_by("key")[:2]
    newer.supersedes.add(older)
    child, parent = Clause.objects.filter(parent__isnull=True).order_by("standard__key")[:2]
    child_of_same = Clause.objects.filter(standard=parent.standard).exclude(pk=parent.pk).first()
    if child_of_same:
        child = child_of_same
    child.parent = parent
    child.save()
    # The reference data holds no establishment (no source names one reliably).
    Establishment.objects.create(
        key="almaty-meat",
        name="Almaty Meat",
        region="almaty_region",
        activities="slaughter cutting",
        products="cattle:frozen",
        listing_date=datetime.date(2024, 2, 29),
    )
    first = {name: fmt().export_data(resource().export()) for name, resource in RESOURCES.items()}
    models = (Parameter, Standard, Clause, Limit, ClauseMapping, GlossaryTerm, Establishment)
    counts = {m: m.objects.count() for m in models}
    assert counts[GlossaryTerm] > 100  # the glossary goes round as well

    empty_portal()
    for name, resource in RESOURCES.items():
        result = import_file(resource, first[name], fmt)
        assert not result.has_errors() and not result.has_validation_errors(), name
        assert result.totals["new"] == len(resource().export()), name

    second = {name: fmt().export_data(resource().export()) for name, resource in RESOURCES.items()}
    for name in RESOURCES:
        assert read(second[name]) == read(first[name]), name
    assert {m: m.objects.count() for m in counts} == counts
    assert (
        Standard.objects.get(pk=Standard.objects.get(key=newer.key).pk)
        .supersedes.filter(key=older.key)
        .exists()
    )
    restored = Clause.objects.get(standard__key=child.standard.key, reference=child.reference)
    assert restored.parent.reference == parent.reference
    # Derived search text is rebuilt, parameter names included.
    lead = Limit.objects.filter(parameter__key="lead").select_related("clause").first()
    assert "lead" in lead.clause.search_text


def test_a_second_import_of_the_same_file_changes_nothing():
    call_command("load_reference_data", verbosity=0)
    data = export_csv(MappingResource)
    before = ClauseMapping.history.count()
    result = import_file(MappingResource, data)
    assert result.totals["skip"] == ClauseMapping.objects.count()
    assert result.totals["new"] == result.totals["update"] == 0
    assert ClauseMapping.history.count() == before


# --- formula safety ----------------------------------------------------------------------


def test_exported_cells_never_run_as_formulas_and_import_gives_them_back():
    standard = make_standard(key="gb-1")
    make_clause(standard, reference="1", text_en='=HYPERLINK("http://x","y")', heading="@SUM(A1)")
    make_clause(standard, reference="2", text_en="'quoted", heading="-2+3")
    data = export_csv(ClauseResource)
    rows = list(csv.reader(io.StringIO(data.lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://x","y")' in cells and "'@SUM(A1)" in cells
    assert "''quoted" in cells and "'-2+3" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)

    workbook = load_workbook(io.BytesIO(export_xlsx(ClauseResource))).active
    for row in workbook.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type == "s" or cell.value is None
            assert not str(cell.value or "").startswith(("=", "+", "-", "@"))

    Clause.objects.all().delete()
    assert not import_file(ClauseResource, data).has_validation_errors()
    assert Clause.objects.get(reference="1").text_en == '=HYPERLINK("http://x","y")'
    assert Clause.objects.get(reference="2").text_en == "'quoted"
    assert Clause.objects.get(reference="2").heading == "-2+3"


# --- the admin: preview, confirm, history ------------------------------------------------


def test_preview_counts_rows_and_writes_nothing_until_confirmed(client_for, editor):
    make_parameter(key="lead", name_en="Lead", unit="mg/kg")
    make_parameter(key="cadmium", name_en="Cadmium", unit="mg/kg")
    content = parameter_csv(
        ["lead", "Lead", "", "铅", "mg/kg", ""],  # update: Chinese name added
        ["cadmium", "Cadmium", "", "", "mg/kg", ""],  # unchanged
        ["mercury", "Mercury", "Ртуть", "汞", "mg/kg", ""],  # new
    )
    client = client_for(editor)
    preview = post_import(client, "parameter", content, reason="Names from round 3")
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "1 new, 1 changed, 1 unchanged, 0 deleted, 0 errors." in page
    assert not Parameter.objects.filter(key="mercury").exists()
    assert Parameter.objects.get(key="lead").name_zh == ""

    done = confirm(client, "parameter", preview)
    assert done.status_code == 302
    assert Parameter.objects.get(key="mercury").name_ru == "Ртуть"
    lead = Parameter.objects.get(key="lead")
    assert lead.name_zh == "铅"
    latest = lead.history.first()
    assert latest.history_change_reason == "Names from round 3"
    assert latest.history_user == editor
    assert not PendingImport.objects.exists()  # the upload is gone once imported


def test_mapping_status_change_by_import_is_recorded_with_reason_and_user(client_for, editor):
    standard = make_standard(key="tr-cu-034")
    make_clause(standard, reference="I.1")
    mapping = make_mapping(key="KZCN-900", title="Lead")
    rows = list(csv.reader(io.StringIO(export_csv(MappingResource).lstrip("\ufeff"))))
    header, row = rows[0], rows[1]
    row[header.index("status")] = "negotiation"
    row[header.index("kz_clauses")] = "tr-cu-034 I.1"
    client = client_for(editor)
    preview = post_import(
        client, "clausemapping", csv_text([header, row]), reason="Agreed in round 4"
    )
    assert "0 new, 1 changed, 0 unchanged, 0 deleted, 0 errors." in preview.content.decode()
    confirm(client, "clausemapping", preview)
    mapping.refresh_from_db()
    assert mapping.status == "negotiation"
    assert [c.reference for c in mapping.kz_clauses.all()] == ["I.1"]
    assert mapping.updated_by == editor
    assert mapping.history.filter(history_change_reason="Agreed in round 4").exists()


def test_a_reason_is_required(client_for, editor):
    response = post_import(client_for(editor), "parameter", parameter_csv(), reason="")
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors


def test_row_errors_name_row_and_column_and_nothing_is_written(client_for, editor):
    standard = make_standard(key="gb-2762")
    clause = make_clause(standard, reference="4.1")
    make_parameter(key="lead")
    header = [f.column_name for f in RESOURCES["limits"]().get_export_fields()]
    good = dict.fromkeys(header, "")
    good.update(
        standard="gb-2762", clause="4.1", position="0", parameter="lead", kind="maximum",
        value="0.2", unit="mg/kg", strict="0",
    )  # fmt: skip
    bad_number = {**good, "position": "1", "value": "zero point two"}
    bad_parameter = {**good, "position": "2", "parameter": "unobtainium"}
    content = csv_text(
        [header] + [[r[h] for h in header] for r in (good, bad_number, bad_parameter)]
    )
    response = post_import(client_for(editor), "limit", content)
    assert response.status_code == 400
    page = response.content.decode()
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    invalid = {(row.number + 1, field) for row in response.context["result"].invalid_rows
               for field in row.field_specific_errors}  # fmt: skip
    assert invalid == {(3, "value"), (4, "parameter")}
    assert "“zero point two” is not a number." in page
    assert "There is no parameter “unobtainium”." in page
    assert not clause.limits.exists()


def test_confirm_after_the_data_changed_imports_nothing(client_for, editor):
    make_standard(key="gb-1")
    header = ClauseResource.column_names()
    row = dict.fromkeys(header, "")
    row.update(standard="gb-1", reference="1", topic="labelling", confidence="high")
    row2 = {**row, "reference": "2"}
    content = csv_text([header, [row[h] for h in header], [row2[h] for h in header]])
    client = client_for(editor)
    preview = post_import(client, "clause", content)
    assert preview.status_code == 200
    Standard.objects.filter(key="gb-1").delete()  # someone removes the standard meanwhile
    response = confirm(client, "clause", preview)
    assert response.status_code == 409
    assert "nothing was changed" in response.content.decode()
    assert not Clause.objects.exists()


def test_export_from_the_admin_is_a_formula_safe_download(client_for, editor):
    make_parameter(key="ph", name_en="=cmd|' /C calc'!A0")
    response = client_for(editor).post(
        reverse("admin:standards_parameter_export"),
        {"format": CSV_INDEX, "resource": "0", **{
            f"parameterresource_{c}": "on" for c in PARAMETER_HEADER
        }},
    )  # fmt: skip
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in text


@pytest.mark.parametrize("role", ["regulator", "negotiator"])
def test_non_staff_cannot_import_or_export(client_for, role, request):
    client = client_for(request.getfixturevalue(role))
    for name in ("import", "export", "process_import"):
        response = client.get(reverse(f"admin:standards_clausemapping_{name}"))
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


# --- malformed files ---------------------------------------------------------------------


def zip_bomb(member_size):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * member_size)
    return buffer.getvalue()


def a_plain_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


def declaring(dimension):
    """A two-row parameter workbook whose sheet declares the size `dimension`."""
    header = ParameterResource.column_names()
    return with_dimension(xlsx_bytes([header, ["lead", "Lead", "", "", "", ""]]), dimension)


def far_cell(row):
    """A parameter workbook with a header and one cell `row` rows down."""
    workbook = Workbook()
    workbook.active.append(ParameterResource.column_names())
    workbook.active.cell(row=row, column=1, value="lead")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


MALFORMED = {
    "wrong encoding": (
        CSV_INDEX, "latin1.csv",
        parameter_csv(["lead", "Plomb é", "", "", "", ""]).encode("latin-1"),
        "not UTF-8 text",
    ),
    "missing columns": (
        CSV_INDEX, "short.csv", "key,name_en\nlead,Lead\n", "missing columns: name_ru",
    ),
    "unknown columns": (
        CSV_INDEX, "extra.csv",
        csv_text([[*PARAMETER_HEADER, "secret"], ["lead", "Lead", "", "", "", "", "x"]]),
        "unknown columns: secret",
    ),
    "50,000 rows": (
        CSV_INDEX, "big.csv",
        parameter_csv(*[[f"p{i}", f"P{i}", "", "", "", ""] for i in range(50_000)]),
        "The file has more than 2000 rows",
    ),
    "a 20 MB cell": (
        CSV_INDEX, "huge.csv", parameter_csv(["lead", "x" * (20 * 2**20), "", "", "", ""]),
        "larger than 10 MB",
    ),
    "a long cell": (
        CSV_INDEX, "long.csv", parameter_csv(["lead", "x" * 120_000, "", "", "", ""]),
        "Row 2, column name_en: the cell holds 120000 characters",
    ),
    "NUL bytes": (CSV_INDEX, "nul.csv", parameter_csv(["le\0ad", "Lead", "", "", "", ""]), "NUL"),
    "empty file": (CSV_INDEX, "empty.csv", b"", "empty"),
    "zip bomb": (XLSX_INDEX, "bomb.xlsx", zip_bomb(101 * 2**20), "would unpack to 101 MB"),
    "not a zip": (XLSX_INDEX, "fake.xlsx", b"PK\x03\x04 not really", "not a valid XLSX"),
    "zip, not xlsx": (XLSX_INDEX, "other.xlsx", a_plain_zip(), "not an XLSX workbook"),
    "a header of 200,000 columns": (
        CSV_INDEX, "wide.csv", csv_text([[*PARAMETER_HEADER, *(f"c{i}" for i in range(200_000))]]),
        "The header line is longer than 1700 characters",
    ),
    "a header of 30 columns": (
        CSV_INDEX, "wide.csv", csv_text([[*PARAMETER_HEADER, *(f"c{i}" for i in range(23))]]),
        "The sheet has 30 columns; a file for this list has at most 17.",
    ),
    "an xlsx declaring 40,000 rows of 1,000 columns": (
        XLSX_INDEX, "sparse.xlsx", declaring(b"A1:ALL40000"), "more than 2000 rows",
    ),
    "an xlsx declaring 1,000 columns": (
        XLSX_INDEX, "wide.xlsx", declaring(b"A1:ALL2"), "The sheet has 1000 columns",
    ),
    "an xlsx header of 5,000 columns": (
        XLSX_INDEX, "wide.xlsx",
        without_dimension(xlsx_bytes([[*PARAMETER_HEADER, *(f"c{i}" for i in range(5_000))]])),
        "The sheet has 5007 columns",
    ),
    "an xlsx with a cell a million rows down": (
        XLSX_INDEX, "far.xlsx", without_dimension(far_cell(1_000_000)), "more than 2000 rows",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_files_get_a_clear_error_and_change_nothing(client_for, editor, case):
    fmt, name, content, message = MALFORMED[case]
    make_parameter(key="lead", name_en="Lead")
    response = post_import(client_for(editor), "parameter", content, fmt=fmt, name=name)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get("import_file", []))
    assert message in errors
    assert list(Parameter.objects.values_list("key", "name_en")) == [("lead", "Lead")]
    assert not PendingImport.objects.exists()


LAUGHS = b"lol"
LEVELS = 4  # 10**4 copies of "lol" in one cell: 30,000 characters from a 1 KB workbook


def billion_laughs(cell_text):
    """An XLSX whose sheet declares entities nested LEVELS deep, ten of each in the next,
    and puts the last in place of `cell_text`."""
    entities = [b'<!ENTITY lol0 "%s">' % LAUGHS] + [
        b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10)
        for level in range(1, LEVELS + 1)
    ]
    doctype = b"<!DOCTYPE worksheet [%s]>" % b"".join(entities)

    def laugh(xml):
        declaration, _sep, body = xml.rpartition(b"?>")  # openpyxl writes none
        body = body.replace(b"<t>%s</t>" % cell_text.encode(), b"<t>&lol%d;</t>" % LEVELS)
        return declaration + _sep + doctype + body

    header = ParameterResource.column_names()
    workbook = xlsx_bytes([header, ["lead", cell_text, "", "", "", ""]])
    return rewrite_member(workbook, "xl/worksheets/sheet1.xml", laugh)


def test_an_xlsx_with_nested_entities_is_refused_unexpanded(client_for, editor, monkeypatch):
    from standards import exchange

    read, sheet_dataset = [], exchange._sheet_dataset

    def spy(rows, *args):
        read.append(True)
        return sheet_dataset(rows, *args)

    monkeypatch.setattr(exchange, "_sheet_dataset", spy)
    content = billion_laughs("Lead")
    response = post_import(client_for(editor), "parameter", content, fmt=XLSX_INDEX, name="l.xlsx")
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get("import_file", []))
    assert "The workbook declares XML entities" in errors
    assert not read  # refused as the sheet began to be parsed, before any row was read
    assert not Parameter.objects.exists() and not PendingImport.objects.exists()


def test_the_laughs_would_be_expanded_without_defusedxml(monkeypatch):
    """What the refusal prevents: the standard library's parser expands the entities."""
    from xml.etree.ElementTree import iterparse as expanding

    import openpyxl.worksheet._reader

    monkeypatch.setattr(openpyxl.worksheet._reader, "iterparse", expanding)
    dataset = XLSXFormat().create_dataset(billion_laughs("Lead"))
    assert dataset[0][1] == LAUGHS.decode() * 10**LEVELS


def test_openpyxl_reads_uploads_with_defusedxml(monkeypatch):
    import defusedxml.ElementTree
    import openpyxl.worksheet._reader
    import openpyxl.xml
    from django.core.checks import run_checks

    from standards.checks import xlsx_xml_defused

    assert openpyxl.xml.DEFUSEDXML
    assert openpyxl.worksheet._reader.iterparse is defusedxml.ElementTree.iterparse
    assert not [m for m in run_checks() if m.id == "standards.E001"]
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    [error] = xlsx_xml_defused(None)
    assert error.id == "standards.E001" and error.is_serious()


def test_wrong_types_in_an_xlsx_are_row_errors(client_for, editor):
    header = ParameterResource.column_names()
    content = xlsx_bytes([header, ["lead", None, "", "", "", ""]])  # name_en is required
    response = post_import(client_for(editor), "parameter", content, fmt=XLSX_INDEX, name="p.xlsx")
    assert response.status_code == 400
    [row] = response.context["result"].invalid_rows
    assert row.number + 1 == 2 and "name_en" in row.field_specific_errors
    assert not Parameter.objects.exists()


def test_unknown_parent_and_superseded_keys_are_row_errors():
    make_standard(key="gb-1")
    header = ClauseResource.column_names()
    row = dict.fromkeys(header, "")
    row.update(standard="gb-1", reference="2", parent="1", topic="labelling", confidence="high")
    result = import_file(ClauseResource, csv_text([header, [row[h] for h in header]]))
    [invalid] = result.invalid_rows
    assert "parent" in invalid.field_specific_errors
    assert not Clause.objects.exists()

    from standards.exchange import StandardResource

    rows = list(csv.reader(io.StringIO(export_csv(StandardResource).lstrip("\ufeff"))))
    rows[1][rows[0].index("supersedes")] = "gb-0\nno-such-standard"
    result = import_file(StandardResource, csv_text(rows))
    [invalid] = result.invalid_rows
    assert invalid.field_specific_errors["supersedes"] == [
        "There is no standard “gb-0, no-such-standard”."
    ]


def test_a_new_standard_code_reaches_its_clauses_search_text():
    from standards.exchange import StandardResource

    standard = make_standard(key="gb-2707", code="GB 2707-2005")
    clause = make_clause(standard, reference="3.3")
    rows = list(csv.reader(io.StringIO(export_csv(StandardResource).lstrip("\ufeff"))))
    rows[1][rows[0].index("code")] = "GB 2707-2016"
    assert not import_file(StandardResource, csv_text(rows)).has_validation_errors()
    clause.refresh_from_db()
    assert "gb 2707-2016" in clause.search_text and "2005" not in clause.search_text


def test_a_mapping_row_with_a_value_outside_the_choices_is_a_row_error():
    make_mapping(key="KZCN-901", title="Lead")
    rows = list(csv.reader(io.StringIO(export_csv(MappingResource).lstrip("\ufeff"))))
    rows[1][rows[0].index("status")] = "settled-by-phone"
    rows[1][rows[0].index("topic")] = "astrology"
    result = import_file(MappingResource, csv_text(rows))
    [invalid] = result.invalid_rows
    assert set(invalid.field_specific_errors) == {"status", "topic"}
    assert ClauseMapping.objects.get(key="KZCN-901").status == "not_started"


# --- CSV separators ----------------------------------------------------------------------


def semicolon_csv(rows, delimiter=";"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue()


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_csv_with_semicolons_or_tabs_imports_like_one_with_commas(client_for, editor, delimiter):
    """Excel in Russian and Kazakh locales writes semicolons; a comma inside a cell (a
    decimal comma, a list) must not split it."""
    content = semicolon_csv(
        [PARAMETER_HEADER, ["lead", "Lead, total", "Свинец", "铅", "mg/kg", ""]], delimiter
    )
    client = client_for(editor)
    preview = post_import(client, "parameter", content)
    assert preview.status_code == 200, preview.content[:500]
    confirm(client, "parameter", preview)
    assert Parameter.objects.get(key="lead").name_en == "Lead, total"


def test_a_row_longer_than_the_header_is_a_400_naming_the_row(client_for, editor):
    columns = len(PARAMETER_HEADER)
    fitting = ["lead", "Lead", *[""] * (columns - 2)]
    content = semicolon_csv([PARAMETER_HEADER, fitting, ["tin", "Tin", *[""] * (columns - 1)]])
    response = post_import(client_for(editor), "parameter", content)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get("import_file", []))
    expected = f"Row 3 has {columns + 1} cells but the header has {columns} columns"
    assert f"{expected} (separated by a semicolon)" in errors
    assert not Parameter.objects.exists()


def test_an_unknown_separator_is_a_400_naming_the_problem(client_for, editor):
    content = "|".join(PARAMETER_HEADER) + "\nlead|Lead|||mg/kg|\n"
    response = post_import(client_for(editor), "parameter", content)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get("import_file", []))
    assert "separate the columns with commas, semicolons or tabs" in errors
    assert not Parameter.objects.exists()
