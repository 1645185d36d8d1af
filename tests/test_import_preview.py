"""The import preview a person can read (counts, only the rows that change with each
changing cell before and after, labels beside codes, unchanged rows collapsed), error
messages that name the valid values and the date format, times shown with their zone,
and export file names dated in the portal's time zone."""

import csv
import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from standards.exchange import MappingResource, StandardResource
from standards.models import ClauseMapping, Standard
from standards.times import dated_file_name, local_time
from tests.factories import make_mapping, make_standard
from tests.test_exchange import XLSX_INDEX, confirm, csv_text, export_csv, import_file, post_import
from tests.workbooks import xlsx_bytes

pytestmark = pytest.mark.django_db


def mapping_rows(count=6):
    for number in range(1, count + 1):
        make_mapping(key=f"KZCN-{number:03d}", title=f"Pair {number}")
    return list(csv.reader(io.StringIO(export_csv(MappingResource).lstrip("\ufeff"))))


def one_status_changed(rows):
    header = rows[0]
    rows[3][header.index("status")] = "negotiation"
    return rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_preview_lists_only_the_changed_row_with_before_after_and_labels(client_for, editor, fmt):
    rows = one_status_changed(mapping_rows())
    if fmt == "csv":
        response = post_import(client_for(editor), "clausemapping", csv_text(rows))
    else:
        response = post_import(
            client_for(editor), "clausemapping", xlsx_bytes(rows), fmt=XLSX_INDEX, name="m.xlsx"
        )
    assert response.status_code == 200
    page = response.content.decode()
    preview = response.context["preview"]
    assert (preview["new"], preview["update"], preview["skip"]) == (0, 1, 5)
    assert "0 new, 1 changed, 5 unchanged, 0 deleted, 0 errors." in page
    [row] = preview["changed"]
    assert row["number"] == 4 and "KZCN-003" in row["label"]
    assert [(c.column, c.old, c.new) for c in row["cells"]] == [
        ("status", "not_started", "negotiation")
    ]
    # Only that cell, highlighted with both values and their labels.
    assert page.count('class="import-changed-cell"') == 1
    assert "<del>not_started</del>" in page and "(Not started)" in page
    assert "<ins>negotiation</ins>" in page and "(Under negotiation)" in page
    # The unchanged rows are collapsed, counted, and not shown as table rows.
    assert re.search(r"<details class=\"import-unchanged\">\s*<summary>5 unchanged rows", page)
    assert "Pair 1" in page.split('<details class="import-unchanged">')[1]
    assert 'class="import-preview"' not in page  # no full-width table of every column
    assert ClauseMapping.objects.get(key="KZCN-003").status == "not_started"


def test_confirm_imports_exactly_what_the_preview_showed(client_for, editor):
    rows = one_status_changed(mapping_rows())
    client = client_for(editor)
    preview = post_import(client, "clausemapping", csv_text(rows))
    assert confirm(client, "clausemapping", preview).status_code == 302
    statuses = dict(ClauseMapping.objects.values_list("key", "status"))
    assert statuses.pop("KZCN-003") == "negotiation"
    assert set(statuses.values()) == {"not_started"}


def test_a_new_row_shows_its_filled_cells_as_new(client_for, editor):
    rows = mapping_rows(1)
    header = rows[0]
    new = list(rows[1])
    new[header.index("key")] = "KZCN-777"
    new[header.index("title")] = "Brand new pair"
    response = post_import(client_for(editor), "clausemapping", csv_text([header, rows[1], new]))
    [row] = response.context["preview"]["changed"]
    assert row["kind"] == "new"
    cells = {c.column: c for c in row["cells"]}
    assert cells["title"].old == "" and cells["title"].new == "Brand new pair"
    assert cells["status"].new_label == "Not started"


def test_an_unknown_choice_names_the_valid_codes():
    rows = mapping_rows(1)
    rows[1][rows[0].index("status")] = "in_progress"
    result = import_file(MappingResource, csv_text(rows))
    [invalid] = result.invalid_rows
    [message] = invalid.field_specific_errors["status"]
    valid = ", ".join(ClauseMapping.Status.values)
    assert message == f"“in_progress” is not a valid negotiation status; valid: {valid}."
    assert "not_started, technical_review" in message


def test_every_choice_field_of_every_resource_is_checked_the_same_way():
    from standards.exchange import RESOURCES, ChoiceText

    for resource_class in RESOURCES.values():
        resource = resource_class()
        model = resource._meta.model
        for field in resource.get_import_fields():
            names = {f.name for f in model._meta.get_fields()}
            if field.attribute in names and getattr(
                model._meta.get_field(field.attribute), "choices", None
            ):
                assert isinstance(field.widget, ChoiceText), (resource_class, field.attribute)


def test_a_bad_date_names_the_expected_format():
    make_standard(key="gb-1")
    rows = list(csv.reader(io.StringIO(export_csv(StandardResource).lstrip("\ufeff"))))
    rows[1][rows[0].index("adopted")] = "03.12.2026"
    result = import_file(StandardResource, csv_text(rows))
    [invalid] = result.invalid_rows
    assert invalid.field_specific_errors["adopted"] == [
        "“03.12.2026” is not a date; write it as YYYY-MM-DD (for example 2026-12-03)."
    ]
    assert Standard.objects.get(key="gb-1").adopted is None


def test_times_are_shown_in_the_portal_zone_with_the_zone(settings):
    assert settings.TIME_ZONE == "Asia/Almaty"
    moment = datetime.datetime(2026, 12, 3, 9, 5, tzinfo=datetime.UTC)
    assert local_time(moment) == "2026-12-03 14:05 UTC+05:00"
    rendered = Template("{% load portal %}{{ moment|local_time }}").render(
        Context({"moment": moment})
    )
    assert rendered == "2026-12-03 14:05 UTC+05:00"
    with timezone.override(ZoneInfo("Europe/Berlin")):
        assert local_time(moment) == "2026-12-03 10:05 CET"
    assert local_time(None) == ""


def test_the_pair_page_shows_its_last_change_with_the_zone(client_for, regulator):
    mapping = make_mapping(key="KZCN-050", title="Lead")
    page = client_for(regulator).get(mapping.get_absolute_url()).content.decode()
    assert local_time(ClauseMapping.objects.get(pk=mapping.pk).updated_at) in page
    assert "UTC+05:00" in page


def test_export_file_name_carries_the_local_date(client_for, editor, monkeypatch):
    # 20:30 UTC on 3 December is already 4 December in Almaty.
    frozen = datetime.datetime(2026, 12, 3, 20, 30, tzinfo=datetime.UTC)
    make_mapping(key="KZCN-060", title="Lead")
    client = client_for(editor)
    # Only the date is frozen (the session's expiry still reads the real clock).
    real_localdate = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda value=None, tz=None: real_localdate(frozen))
    assert dated_file_name("Limit", "csv") == "Limit-2026-12-04.csv"
    response = client.post(
        reverse("admin:standards_clausemapping_export"),
        {"format": "0", "resource": "0", **{
            f"mappingresource_{c}": "on" for c in MappingResource.column_names()
        }},
    )  # fmt: skip
    assert response.status_code == 200
    assert 'filename="ClauseMapping-2026-12-04.csv"' in response["Content-Disposition"]
