"""The establishment register: five-year expiry and the renewal window, the renewals
due, the status and its history, the spreadsheet import and export, the pages and who
reads them, the dashboard's renewals."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from standards import establishments
from standards.establishments import (
    add_months,
    expiry_of,
    registration_dates,
    renewal_window,
    renewals_due,
)
from standards.exchange import CSVFormat, EstablishmentResource, XLSXFormat, read_upload
from standards.models import Establishment, PendingImport
from tests import workbooks

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = datetime.timedelta(days=1)
CSV_INDEX, XLSX_INDEX = "0", "1"
HEADER = EstablishmentResource.column_names()


def plant(key="plant-a", **fields):
    fields.setdefault("name", f"Plant {key}")
    fields.setdefault("source", "test")
    establishment = Establishment(key=key, **fields)
    establishment.full_clean()
    establishment.save()
    return establishment


def change_status(establishment, status, reason="", **fields):
    establishment.status = status
    for name, value in fields.items():
        setattr(establishment, name, value)
    establishment._change_reason = reason
    establishment.save()
    return establishment


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listing", "expiry"),
    [
        (D(2021, 6, 15), D(2026, 6, 15)),
        (D(2024, 2, 29), D(2029, 2, 28)),  # 2029 has no 29 February
        (D(2023, 2, 28), D(2028, 2, 28)),
        (D(2022, 12, 31), D(2027, 12, 31)),
    ],
)
def test_a_registration_expires_five_years_after_listing(listing, expiry):
    assert expiry_of(listing) == expiry
    saved = plant(listing_date=listing)
    saved.refresh_from_db()
    assert saved.expires_on == expiry
    assert (saved.renewal_opens_on, saved.renewal_closes_on) == renewal_window(expiry)


@pytest.mark.parametrize(
    ("expiry", "window"),
    [
        (D(2029, 6, 15), (D(2028, 12, 15), D(2029, 3, 15))),
        (D(2029, 8, 31), (D(2029, 2, 28), D(2029, 5, 31))),  # no 31 February
        (D(2028, 8, 31), (D(2028, 2, 29), D(2028, 5, 31))),  # a leap year
        (D(2029, 11, 30), (D(2029, 5, 30), D(2029, 8, 30))),
        (D(2029, 12, 31), (D(2029, 6, 30), D(2029, 9, 30))),  # no 31 June, 31 September
        (D(2030, 1, 15), (D(2029, 7, 15), D(2029, 10, 15))),  # across the new year
    ],
)
def test_the_renewal_window_runs_from_six_to_three_months_before_expiry(expiry, window):
    assert renewal_window(expiry) == window


def test_month_arithmetic():
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2024, 3, 31), -1) == D(2024, 2, 29)
    assert add_months(D(2024, 11, 30), 2) == D(2025, 1, 30)
    assert add_months(D(2024, 1, 1), -13) == D(2022, 12, 1)
    assert registration_dates(None) == (None, None, None)


def test_changing_the_listing_date_moves_the_expiry_and_clearing_it_clears_them():
    establishment = plant(listing_date=D(2020, 1, 10))
    establishment.listing_date = D(2021, 3, 1)
    establishment.save()
    establishment.refresh_from_db()
    assert establishment.expires_on == D(2026, 3, 1)
    establishment.listing_date = None
    establishment.save()
    establishment.refresh_from_db()
    assert (establishment.expires_on, establishment.renewal_opens_on) == (None, None)


# --- renewals due ---------------------------------------------------------------------

LISTED = D(2021, 6, 15)  # expires 2026-06-15, window 2025-12-15 .. 2026-03-15
EXPIRY, OPENS, CLOSES = D(2026, 6, 15), D(2025, 12, 15), D(2026, 3, 15)


def states(today):
    return {due.name: due.state for due in renewals_due(today)}


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (OPENS - DAY, None),  # not open yet
        (OPENS, "open"),
        (CLOSES - 31 * DAY, "open"),
        (CLOSES - 30 * DAY, "closing"),  # closes within 30 days
        (CLOSES, "closing"),  # the last day of the window
        (CLOSES + DAY, "late"),
        (EXPIRY, "late"),  # the registration holds through its expiry day
        (EXPIRY + DAY, "lapsed"),
    ],
)
def test_renewal_state_at_the_boundaries(today, state):
    plant(name="Plant", listing_date=LISTED)
    assert states(today) == ({"Plant": state} if state else {})


def test_what_is_not_due():
    plant("filed", name="Filed", listing_date=LISTED, renewal_filed_on=D(2026, 1, 5))
    plant("old-filing", name="Old filing", listing_date=LISTED, renewal_filed_on=D(2021, 3, 1))
    plant("expired", name="Recorded expired", listing_date=LISTED, status="expired")
    plant("suspended", name="Suspended", listing_date=LISTED, status="suspended")
    plant("no-date", name="No listing date")
    # A filing before the listing date belongs to an earlier registration.
    assert states(D(2026, 1, 20)) == {"Old filing": "open", "Suspended": "open"}


def test_renewals_due_is_one_query_of_plain_values(django_assert_num_queries):
    for i in range(15):
        plant(f"p-{i}", name=f"Plant {i:02}", listing_date=LISTED + i * DAY, region="almaty_region")
    with django_assert_num_queries(1):
        due = renewals_due(D(2026, 1, 1))
    assert [d.name for d in due] == [f"Plant {i:02}" for i in range(15)]  # earliest close first
    first = due[0]
    assert first.url == reverse("standards:establishment-detail", args=[first.pk])
    assert (first.opens_on, first.closes_on, first.expires_on) == (OPENS, CLOSES, EXPIRY)
    assert (first.state, first.days_to_close, first.days_to_expiry) == ("open", 73, 165)
    assert first.region_label == "Almaty region" and first.status == "listed"
    assert first.state_label == "Renewal window open"


# --- status and its history -----------------------------------------------------------


def test_every_status_change_is_kept_with_its_reason(editor):
    establishment = plant(listing_date=LISTED)
    first = establishment.status_changes.get()
    assert (first.previous_status, first.status, first.reason) == ("", "listed", "")

    establishment._history_user = editor
    change_status(
        establishment,
        "suspended",
        reason="GACC suspended imports from the plant",
        status_since=D(2025, 3, 2),
        status_evidence="GACC list of suspended plants",
        status_citation="GACC notice of 2 Mar 2025",
    )
    suspended = establishment.status_changes.order_by("-pk").first()
    assert (suspended.previous_status, suspended.status) == ("listed", "suspended")
    assert suspended.reason == "GACC suspended imports from the plant"
    assert suspended.date == D(2025, 3, 2) and suspended.recorded_by == editor
    assert suspended.citation == "GACC notice of 2 Mar 2025"
    assert establishment.history.first().history_change_reason == suspended.reason

    # Another field changed, the status not: no status change.
    establishment.name = "Renamed"
    establishment.save()
    assert establishment.status_changes.count() == 2
    change_status(establishment, "listed", reason="Resumed")
    assert list(establishment.status_changes.values_list("status", flat=True)) == [
        "listed",
        "suspended",
        "listed",
    ]


def test_a_status_change_without_a_reason_is_refused_and_nothing_is_written():
    establishment = plant()
    with pytest.raises(ValidationError):
        change_status(establishment, "suspended", reason="  ")
    establishment.refresh_from_db()
    assert establishment.status == "listed"
    assert establishment.status_changes.count() == 1


def test_expired_is_derived_from_the_expiry_date():
    listed = plant("old", name="Old", listing_date=D(2019, 1, 10))  # expired 2024-01-10
    today = D(2024, 1, 10)
    current = Establishment.objects.with_state(today).get(pk=listed.pk)
    assert current.current_status == "listed"  # valid through its expiry day
    current = Establishment.objects.with_state(today + DAY).get(pk=listed.pk)
    assert current.current_status == "expired" and current.status == "listed"
    assert current.get_current_status_display() == "Expired"
    suspended = plant("s", name="S", listing_date=D(2019, 1, 10), status="suspended")
    assert Establishment.objects.with_state(today + DAY).get(pk=suspended.pk).current_status == (
        "expired"
    )


def test_numbers_are_unique_when_given():
    plant("a", kz_approval_number="KZ-1", cn_registration_number="CKAZ01")
    plant("b")  # blank numbers never clash
    plant("c")
    for fields in ({"kz_approval_number": "KZ-1"}, {"cn_registration_number": "CKAZ01"}):
        with pytest.raises(ValidationError) as caught:
            plant("d", **fields)
        assert "Another establishment already has this" in str(caught.value)


def test_activities_and_products_are_validated_and_normalised():
    establishment = plant(activities="cold_store slaughter", products="sheep frozen, cattle")
    assert establishment.activities == "slaughter cold_store"
    assert establishment.products == "cattle sheep:frozen"
    assert establishment.activity_labels == ["Slaughter", "Cold store"]
    assert establishment.product_labels == ["Cattle", "Sheep, frozen"]
    # Species without a form, side by side, as stored and as the admin writes them.
    assert plant("w", products="horse:offal sheep cattle").products == "cattle sheep horse:offal"
    assert plant("v", products="cattle\nsheep frozen").products == "cattle sheep:frozen"
    establishment.full_clean()  # a stored value reads back as itself
    assert establishment.products == "cattle sheep:frozen"
    with pytest.raises(ValidationError, match="“smoking” is not an activity; valid activities"):
        plant("x", activities="slaughter smoking")
    with pytest.raises(ValidationError, match="“camel” is not a species"):
        plant("y", products="camel:frozen")
    with pytest.raises(ValidationError, match="“dried” is not a processing form"):
        plant("z", products="cattle:dried")


# --- the admin ------------------------------------------------------------------------


def admin_form(establishment, **changes):
    data = {
        "key": establishment.key,
        "name": establishment.name,
        "kz_approval_number": establishment.kz_approval_number,
        "cn_registration_number": establishment.cn_registration_number,
        "region": establishment.region,
        "activities": establishment.activities.split(),
        "products": establishment.products.split(),
        "recommended_on": "",
        "review_method": establishment.review_method,
        "listing_date": str(establishment.listing_date or ""),
        "renewal_filed_on": "",
        "status": establishment.status,
        "status_since": "",
        "status_evidence": "",
        "status_citation": "",
        "dates_note": "",
        "source": establishment.source,
        "confidence": establishment.confidence,
        "change_reason": "",
        "loaded_version": establishment.updated_at.isoformat(),
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
        "status_changes-MIN_NUM_FORMS": "0",
        "status_changes-MAX_NUM_FORMS": "0",
    }
    data.update(changes)
    return data


def test_a_status_change_in_the_admin_needs_a_reason(client_for, editor):
    establishment = plant(listing_date=LISTED, activities="slaughter")
    client = client_for(editor)
    url = reverse("admin:standards_establishment_change", args=[establishment.pk])
    response = client.post(url, admin_form(establishment, status="suspended"))
    assert response.status_code == 200
    assert "Say why the recorded status changed." in response.text
    establishment.refresh_from_db()
    assert establishment.status == "listed"

    response = client.post(
        url,
        admin_form(
            establishment,
            status="suspended",
            status_since="2025-04-01",
            change_reason="Suspended by GACC",
            activities=["slaughter", "cutting"],
            products=["cattle:frozen", "sheep", "horse"],
        ),
    )
    assert response.status_code == 302, response.content
    establishment.refresh_from_db()
    assert establishment.status == "suspended"
    assert establishment.activities == "slaughter cutting"
    assert establishment.products == "cattle:frozen sheep horse"
    change = establishment.status_changes.order_by("-pk").first()
    assert (change.status, change.reason, change.recorded_by) == (
        "suspended",
        "Suspended by GACC",
        editor,
    )
    assert change.date == D(2025, 4, 1)
    # The change page shows the status history.
    page = client.get(url).text
    assert "Suspended by GACC" in page


# --- import and export ----------------------------------------------------------------


def row(**cells):
    values = dict.fromkeys(HEADER, "")
    values.update(status="listed", confidence="low")
    values.update(cells)
    return [values[column] for column in HEADER]


def csv_bytes(rows):
    return workbooks.csv_bytes([HEADER, *rows])


def xlsx_bytes(rows):
    return workbooks.xlsx_bytes([HEADER, *rows])


ENCODE = {CSV_INDEX: csv_bytes, XLSX_INDEX: xlsx_bytes}


def post_import(client, content, fmt=CSV_INDEX, reason="From the GACC list"):
    return client.post(
        reverse("admin:standards_establishment_import"),
        {"resource": "0", "format": fmt, "import_file": io.BytesIO(content), "reason": reason},
    )


def confirm(client, preview):
    form = preview.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(reverse("admin:standards_establishment_process_import"), data)


GOOD = row(
    key="almaty-meat",
    kz_approval_number="KZ-0001",
    cn_registration_number="CKAZ0001",
    name="Almaty Meat LLP",
    region="almaty_region",
    activities="slaughter\ncutting",
    products="cattle frozen\nsheep frozen",
    review_method="video",
    listing_date="2024-02-29",
    source="https://example.org/cifer",
    confidence="medium",
)


@pytest.mark.parametrize("fmt", [CSV_INDEX, XLSX_INDEX])
def test_import_previews_then_writes_all_with_the_reason(client_for, editor, fmt):
    client = client_for(editor)
    second = row(key="kostanay", name="Kostanay Plant", region="kostanay", status="suspended")
    preview = post_import(client, ENCODE[fmt]([GOOD, second]), fmt)
    assert preview.status_code == 200
    assert "2 new, 0 changed, 0 unchanged, 0 deleted, 0 errors." in preview.text
    assert not Establishment.objects.exists()  # a dry run writes nothing

    assert confirm(client, preview).status_code == 302
    imported = Establishment.objects.get(key="almaty-meat")
    assert imported.expires_on == D(2029, 2, 28)
    assert imported.activities == "slaughter cutting"
    assert imported.products == "cattle:frozen sheep:frozen"
    assert imported.history.first().history_change_reason == "From the GACC list"
    assert imported.history.first().history_user == editor
    change = Establishment.objects.get(key="kostanay").status_changes.get()
    assert change.status == "suspended" and change.recorded_by == editor
    assert not PendingImport.objects.exists()

    # A status changed by a later import enters the history with that import's reason.
    third = row(key="kostanay", name="Kostanay Plant", region="kostanay", status="listed")
    preview = post_import(client, ENCODE[fmt]([GOOD, third]), fmt, reason="Resumed per GACC")
    assert "0 new, 1 changed, 1 unchanged, 0 deleted, 0 errors." in preview.text
    confirm(client, preview)
    latest = Establishment.objects.get(key="kostanay").status_changes.order_by("-pk").first()
    assert (latest.previous_status, latest.status, latest.reason) == (
        "suspended",
        "listed",
        "Resumed per GACC",
    )


BAD_CELLS = [
    ("region", "almaty", "“almaty” is not a valid region; valid: abai, akmola"),
    ("activities", "slaughter\nsmoking", "“smoking” is not an activity; valid activities: "
     "slaughter, cutting, processing, cold_store"),
    ("products", "camel frozen", "valid species: cattle, sheep"),
    ("status", "delisted", "“delisted” is not a valid recorded status; valid: listed, "
     "suspended, expired"),
    ("review_method", "phone", "“phone” is not a valid GACC review method; valid: document, "
     "video, on_site."),
    ("listing_date", "29.02.2024", "“29.02.2024” is not a date; write it as YYYY-MM-DD"),
    ("renewal_filed_on", "2024-02-30", "“2024-02-30” is not a date"),
    ("confidence", "certain", "valid: high, medium, low"),
]  # fmt: skip


@pytest.mark.parametrize("fmt", [CSV_INDEX, XLSX_INDEX])
@pytest.mark.parametrize(("column", "value", "message"), BAD_CELLS)
def test_a_bad_cell_refuses_the_whole_import_naming_row_column_value(
    client_for, editor, fmt, column, value, message
):
    bad = dict(zip(HEADER, row(key="bad", name="Bad"), strict=True))
    bad[column] = value
    response = post_import(client_for(editor), ENCODE[fmt]([GOOD, list(bad.values())]), fmt)
    assert response.status_code == 400
    invalid = {
        (r.number + 1, field): " ".join(str(e) for e in errors)
        for r in response.context["result"].invalid_rows
        for field, errors in r.field_specific_errors.items()
    }
    assert list(invalid) == [(3, column)], invalid
    assert message in invalid[(3, column)]
    assert message.split(";")[0] in response.content.decode().replace("&quot;", '"')
    assert not Establishment.objects.exists()
    assert not PendingImport.objects.exists()


@pytest.mark.parametrize("fmt", [CSV_INDEX, XLSX_INDEX])
def test_duplicate_numbers_are_refused_in_the_file_and_against_the_register(
    client_for, editor, fmt
):
    plant("existing", name="Existing", cn_registration_number="CKAZ0099")
    twin = row(key="twin", name="Twin", kz_approval_number="KZ-0001")
    clash = row(key="clash", name="Clash", cn_registration_number="CKAZ0099")
    response = post_import(client_for(editor), ENCODE[fmt]([GOOD, twin, clash]), fmt)
    assert response.status_code == 400
    invalid = {
        (r.number + 1, field): " ".join(str(e) for e in errors)
        for r in response.context["result"].invalid_rows
        for field, errors in r.field_specific_errors.items()
    }
    assert set(invalid) == {(3, "kz_approval_number"), (4, "cn_registration_number")}
    assert (
        "“KZ-0001”: Another establishment already has this Kazakh approval number."
        in (invalid[(3, "kz_approval_number")])
    )
    assert "“CKAZ0099”" in invalid[(4, "cn_registration_number")]
    assert list(Establishment.objects.values_list("key", flat=True)) == ["existing"]


def import_file(data, fmt):
    dataset = read_upload(data, fmt(), EstablishmentResource)
    return EstablishmentResource(reason="Round trip").import_data(
        dataset, dry_run=False, rollback_on_validation_errors=True
    )


def xlsx_cells(data):
    return [[c.value for c in r] for r in load_workbook(io.BytesIO(data)).active.iter_rows()]


@pytest.mark.parametrize(("fmt", "read"), [(CSVFormat, lambda d: d), (XLSXFormat, xlsx_cells)])
def test_export_import_into_an_empty_register_and_export_again_is_identical(fmt, read):
    plant(
        "a",
        name="=Plant A",  # formula-safe
        kz_approval_number="KZ-1",
        cn_registration_number="CKAZ1",
        region="zhambyl",
        activities="slaughter processing",
        products="cattle:heat_treated cattle:frozen horse",
        recommended_on=D(2023, 5, 1),
        review_method="on_site",
        listing_date=D(2024, 2, 29),
        renewal_filed_on=D(2028, 10, 1),
        status_since=D(2024, 2, 29),
        status_evidence="CIFER",
        dates_note="listed Feb 2024",
        confidence="high",
    )
    plant("b", name="Plant B", status="suspended")
    first = fmt().export_data(EstablishmentResource().export())
    Establishment.objects.all().delete()
    result = import_file(first if fmt is XLSXFormat else first.encode("utf-8"), fmt)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 2
    second = fmt().export_data(EstablishmentResource().export())
    assert read(second) == read(first)
    restored = Establishment.objects.get(key="a")
    assert restored.name == "=Plant A" and restored.expires_on == D(2029, 2, 28)
    if fmt is CSVFormat:
        assert "'=Plant A" in first and "cattle frozen\ncattle heat_treated\nhorse" in first
    else:
        cells = xlsx_cells(first)
        assert cells[1][HEADER.index("name")] == "'=Plant A"
        assert cells[1][HEADER.index("listing_date")] == "2024-02-29"


def test_an_xlsx_date_cell_reads_as_its_day(client_for, editor):
    cells = row(key="dated", name="Dated")
    cells[HEADER.index("listing_date")] = datetime.datetime(2024, 2, 29)  # noqa: DTZ001
    client = client_for(editor)
    preview = post_import(client, xlsx_bytes([cells]), XLSX_INDEX)
    assert preview.status_code == 200, preview.content
    confirm(client, preview)
    assert Establishment.objects.get(key="dated").expires_on == D(2029, 2, 28)


# --- pages ----------------------------------------------------------------------------


def test_the_register_is_for_readers_only(client, client_for, regulator, negotiator):
    establishment = plant(listing_date=LISTED)
    urls = [reverse("standards:establishment-list"), establishment.get_absolute_url()]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for user in (regulator, negotiator):
        reader = client_for(user)
        for url in urls:
            assert reader.get(url).status_code == 200
        admin_url = reverse("admin:standards_establishment_changelist")
        assert reader.get(admin_url)["Location"].startswith(reverse("admin:login"))
        assert reader.get(reverse("admin:standards_establishment_import")).status_code == 302


def test_editors_maintain_the_register_in_the_admin(client_for, editor):
    establishment = plant()
    client = client_for(editor)
    for name, args in (
        ("changelist", []),
        ("add", []),
        ("import", []),
        ("change", [establishment.pk]),
        ("history", [establishment.pk]),
    ):
        url = reverse(f"admin:standards_establishment_{name}", args=args)
        assert client.get(url).status_code == 200, name


def test_the_admin_list_filters_by_activity_status_and_region(client_for, editor):
    plant("a", name="Alpha", activities="slaughter cutting", region="zhambyl")
    plant("b", name="Beta", activities="cold_store", status="suspended")
    client = client_for(editor)
    url = reverse("admin:standards_establishment_changelist")

    def names(params):
        return {e.name for e in client.get(url, params).context["cl"].result_list}

    assert names({"activity": "cutting"}) == {"Alpha"}
    assert names({"activity": "cold_store"}) == {"Beta"}
    assert names({"status__exact": "suspended"}) == {"Beta"}
    assert names({"region__exact": "zhambyl"}) == {"Alpha"}
    assert names({"q": "Alp"}) == {"Alpha"}


def test_an_empty_register_says_why_and_how_to_import(client_for, regulator, editor):
    url = reverse("standards:establishment-list")
    page = client_for(regulator).get(url).text
    assert "No plant is listed." in page
    assert "name no Kazakh meat plant reliably" in page
    assert "Editors import the register from a spreadsheet" in page
    assert reverse("admin:standards_establishment_import") not in page
    # The sourced counts and the one plant a source names, as notes, not records.
    assert "5 plants qualified for mutton, 3 for beef." in page
    assert "Meat Processing and Service LLP" in page
    assert "http://www.jccief.org.cn/v-1-13322.aspx" in page

    page = client_for(editor).get(url).text
    assert reverse("admin:standards_establishment_import") in page
    assert reverse("admin:standards_establishment_add") in page


def test_the_register_lists_and_filters(client_for, regulator):
    today = timezone.localdate()
    due_listing = add_months(today, -56)  # window opened two months ago
    plant(
        "a",
        name="Alpha",
        region="almaty_region",
        activities="slaughter",
        products="cattle:frozen",
        listing_date=due_listing,
    )
    plant(
        "b",
        name="Beta",
        region="kostanay",
        activities="cold_store",
        products="sheep:heat_treated",
        listing_date=add_months(today, -12),
    )
    plant("c", name="Gamma", region="kostanay", listing_date=add_months(today, -61))
    client = client_for(regulator)
    url = reverse("standards:establishment-list")

    def names(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return [e.name for e in response.context["page"].object_list]

    assert names() == ["Alpha", "Beta", "Gamma"]
    assert names(region="kostanay") == ["Beta", "Gamma"]
    assert names(activity="slaughter") == ["Alpha"]
    assert names(activity="cold_store") == ["Beta"]
    assert names(species="sheep") == ["Beta"]
    assert names(processing="frozen") == ["Alpha"]
    assert names(species="cattle", processing="heat_treated") == []
    assert names(status="expired") == ["Gamma"]
    assert names(status="listed") == ["Alpha", "Beta"]
    assert names(renewal="due") == ["Alpha", "Gamma"]
    assert names(renewal="lapsed") == ["Gamma"]
    page = client.get(url).text
    assert "No establishment matches" not in page
    assert "Renewal window open" in page and "(recorded: Listed)" in page
    assert "No establishment matches these filters." in client.get(url, {"region": "abai"}).text
    assert client.get(url, {"status": "gone"}).status_code == 400
    assert client.get(url, {"region": "<script>"}).status_code == 400


def test_the_detail_page_shows_the_record_and_its_status_history(client_for, regulator, editor):
    establishment = plant(
        name="Almaty <Meat>",
        cn_registration_number="CKAZ0001",
        listing_date=D(2024, 2, 29),
        source="https://el.kz/x",
    )
    change_status(
        establishment,
        "suspended",
        reason="Suspended <by GACC>",
        status_citation="GACC notice",
    )
    page = client_for(regulator).get(establishment.get_absolute_url()).text
    assert "Almaty &lt;Meat&gt;" in page and "<Meat>" not in page
    assert "2029-02-28" in page and "2028-08-28" in page and "2028-11-28" in page
    assert "Suspended &lt;by GACC&gt;" in page and "GACC notice" in page
    assert "Listed → Suspended" in page and "(first recorded)" in page
    assert "Not known" in page  # the Kazakh approval number
    assert "Edit in admin" not in page
    assert "Edit in admin" in client_for(editor).get(establishment.get_absolute_url()).text
    assert client_for(regulator).get("/establishments/999999/").status_code == 404


def test_register_query_count_is_pinned_at_500_records(
    client_for, regulator, django_assert_num_queries
):
    Establishment.objects.bulk_create(
        Establishment(
            key=f"p-{i}",
            name=f"Plant {i:03}",
            region="almaty_region",
            activities="slaughter cutting",
            products="cattle:frozen",
            listing_date=LISTED,
            expires_on=EXPIRY,
            renewal_opens_on=OPENS,
            renewal_closes_on=CLOSES,
        )
        for i in range(500)
    )
    client = client_for(regulator)
    # session, user, permissions (2); the count and the page of establishments; the
    # reader's unread notifications (the header's badge)
    with django_assert_num_queries(7):
        response = client.get(
            reverse("standards:establishment-list"), {"activity": "slaughter", "page": "3"}
        )
    assert response.context["page"].paginator.count == 500


# --- the dashboard --------------------------------------------------------------------


def test_the_dashboard_lists_renewals_due(client_for, regulator):
    today = timezone.localdate()
    html = client_for(regulator).get(reverse("standards:home")).text
    assert "Renewals due" in html and "No establishment is due for renewal." in html
    assert "?renewal=due" not in html and "All 0 renewals" not in html  # no empty link
    due = plant(name="Due Plant", listing_date=add_months(today, -56))
    plant("later", name="Later Plant", listing_date=add_months(today, -12))
    html = client_for(regulator).get(reverse("standards:home")).text
    assert "No establishment is due for renewal." not in html
    assert due.get_absolute_url() in html and "Later Plant" not in html
    assert "Renewal window open" in html
    assert f"{reverse('standards:establishment-list')}?renewal=due" in html


def test_source_notes_cite_their_sources():
    for note in establishments.SOURCE_NOTES:
        assert note.url.startswith("http") and note.when and str(note.text)


@pytest.mark.parametrize("n", [5, 500])
def test_the_dashboard_renewals_cost_one_query_whatever_their_number(
    client_for, regulator, django_assert_num_queries, n
):
    Establishment.objects.bulk_create(
        Establishment(
            key=f"p-{i}",
            name=f"Plant {i:03}",
            listing_date=LISTED,
            expires_on=EXPIRY,
            renewal_opens_on=OPENS,
            renewal_closes_on=CLOSES,
        )
        for i in range(n)
    )
    client = client_for(regulator)
    # as tests/test_views.py counts the dashboard without pathways or limits: 15, one of
    # them the renewals due
    with django_assert_num_queries(15):
        response = client.get(reverse("standards:home"))
    assert response.context["renewals_total"] == n
    assert len(response.context["renewals"]) == min(n, 10)
