"""The export catalogue: HS code and date rules, conditions through the shared limit
rules, the revision record and its changed-since marks, the pages and the seed."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from simple_history.utils import bulk_create_with_history

from standards.catalogue import changes_since
from standards.models import CatalogueCondition, CatalogueEntry, Limit, Parameter, Zone
from standards.reference import load_reference_data

pytestmark = pytest.mark.django_db

D = datetime.date


def make_entry(key="beef", **fields):
    fields.setdefault("product", f"Product {key}")
    fields.setdefault("species", "cattle")
    fields.setdefault("processing_form", "frozen")
    fields.setdefault("status", "under_negotiation")
    fields.setdefault("source", "test")
    return CatalogueEntry.objects.create(key=key, **fields)


@pytest.mark.parametrize("code", ["0202", "0202.30", "020230", "0202.30.00.10", ""])
def test_valid_hs_codes(code):
    CatalogueEntry(
        key="e", product="p", species="cattle", status="admitted", source="s", hs_code=code
    ).full_clean()


@pytest.mark.parametrize("code", ["020", "02023000001", "0202-30", "abcd", "0202.", ".0202"])
def test_bad_hs_codes_are_refused(code):
    with pytest.raises(ValidationError) as exc:
        CatalogueEntry(
            key="e", product="p", species="cattle", status="admitted", source="s", hs_code=code
        ).full_clean()
    assert "hs_code" in exc.value.message_dict


def test_closing_before_effective_is_refused():
    with pytest.raises(ValidationError) as exc:
        CatalogueEntry(
            key="e",
            product="p",
            species="cattle",
            status="admitted",
            source="s",
            effective_on=D(2024, 2, 7),
            closing_on=D(2024, 2, 6),
        ).full_clean()
    assert "closing_on" in exc.value.message_dict


def test_conditions_use_the_limit_rules():
    entry = make_entry()
    age = Parameter.objects.create(key="animal-age", name_en="Age", unit="months")
    ok = CatalogueCondition(
        entry=entry, parameter=age, kind="maximum", value=Decimal(30), unit="months", strict=True
    )
    ok.full_clean()
    ok.save()
    assert "30" in ok.display()
    with pytest.raises(ValidationError) as exc:
        CatalogueCondition(
            entry=entry, parameter=age, kind="maximum", value=30, unit="mg/kg"
        ).full_clean()
    assert exc.value.error_dict["unit"][0].code == "unit_does_not_fit"
    with pytest.raises(ValidationError) as exc:
        CatalogueCondition(
            entry=entry, parameter=age, kind="maximum", value=30, unit="furlongs"
        ).full_clean()
    assert exc.value.error_dict["unit"][0].code == "unknown_unit"
    # The shared figure rules: a range needs its bounds in order.
    with pytest.raises(ValidationError) as exc:
        CatalogueCondition(
            entry=entry, parameter=age, kind="range", value=30, upper_value=10, unit="months"
        ).full_clean()
    assert exc.value.error_dict["__all__"][0].code == "limit_range_ordered"


def test_limit_and_condition_share_the_rules():
    names = {c.name for c in Limit._meta.constraints}
    assert "limit_range_ordered" in names and "limit_evidence_valid" in names
    assert "cataloguecondition_range_ordered" in {
        c.name for c in CatalogueCondition._meta.constraints
    }


def _backdate(entry, day):
    """Move the entry's (and its zones' and conditions') history to `day`."""
    when = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    entry.history.all().update(history_date=when)
    CatalogueCondition.history.filter(entry_id=entry.pk).update(history_date=when)


def test_changes_since_reports_status_zones_and_conditions(django_assert_num_queries):
    zone_a = Zone.objects.create(key="a", name="Zone A")
    zone_b = Zone.objects.create(key="b", name="Zone B")
    entry = make_entry(status="admitted")
    entry.zones.set([zone_a])
    untouched = make_entry(key="other")
    _backdate(entry, D(2022, 1, 1))
    _backdate(untouched, D(2022, 1, 1))
    entry.status = "suspended"
    entry.save()
    entry.zones.set([zone_a, zone_b])
    age = Parameter.objects.create(key="animal-age", name_en="Age", unit="months")
    CatalogueCondition.objects.create(
        entry=entry, parameter=age, kind="maximum", value=30, unit="months"
    )
    fresh = make_entry(key="fresh")
    with django_assert_num_queries(10):
        changes = changes_since(D(2023, 1, 1))
    by_key = {c.entry.key: c for c in changes}
    assert set(by_key) == {"beef", "fresh"}
    assert by_key["fresh"].new
    fields = {f[0]: (f[2], f[3]) for f in by_key["beef"].fields}
    assert fields["status"] == ("Admitted", "Suspended")
    assert fields["zones"] == ("Zone A", "Zone A, Zone B")
    assert fields["conditions"][0] == "—" and "30" in fields["conditions"][1]
    assert by_key["beef"].revision_code == "KZ-CN-2"
    assert fresh.revision == 1


def test_catalogue_page_marks_changed_entries(client_for, regulator):
    old = make_entry(key="old")
    _backdate(old, D(2020, 1, 1))
    make_entry(key="new-one")
    html = (
        client_for(regulator)
        .get(reverse("standards:catalogue-list") + "?changed_since=2021-01-01")
        .content.decode()
    )
    row_new = html[html.index('id="entry-new-one"') :]
    row_new = row_new[: row_new.index("</tr>")]
    row_old = html[html.index('id="entry-old"') :]
    row_old = row_old[: row_old.index("</tr>")]
    assert "changed-mark" in row_new and "entered in the portal" in row_new
    assert "changed-mark" not in row_old


@pytest.mark.parametrize(
    "query",
    [
        "changed_since=yesterday",
        "changed_since=2024-02-30",
        "status=banned",
        "species=dragon",
        "form=raw",
    ],
)
def test_bad_query_params_are_400(client_for, regulator, query):
    response = client_for(regulator).get(reverse("standards:catalogue-list") + "?" + query)
    assert response.status_code == 400
    assert response.content


def test_filters(client_for, regulator):
    make_entry(key="a", status="admitted")
    make_entry(key="b", status="suspended", species="sheep")
    html = (
        client_for(regulator)
        .get(reverse("standards:catalogue-list") + "?status=admitted")
        .content.decode()
    )
    assert 'id="entry-a"' in html and 'id="entry-b"' not in html
    html = (
        client_for(regulator)
        .get(reverse("standards:catalogue-list") + "?species=sheep&form=frozen")
        .content.decode()
    )
    assert 'id="entry-b"' in html and 'id="entry-a"' not in html


def _many(n):
    zone = Zone.objects.create(key="z", name="Z")
    bulk_create_with_history(
        [
            CatalogueEntry(
                key=f"e-{i:03}", product=f"P {i}", species="cattle", status="admitted", source="s"
            )
            for i in range(n)
        ],
        CatalogueEntry,
    )
    zone.catalogue_entries.set(CatalogueEntry.objects.all())


def test_catalogue_list_query_count_is_pinned(client_for, regulator, django_assert_num_queries):
    _many(500)
    client = client_for(regulator)
    # session, user, permissions (2); entries, their zones; unread notifications: 7
    with django_assert_num_queries(7):
        response = client.get(reverse("standards:catalogue-list"))
    assert response.content.decode().count('id="entry-e-') == 500
    # With changed-since marks: changes_since's queries, however many entries (8 here:
    # no entry existed before the day, so there is no earlier zone history to read).
    with django_assert_num_queries(15):
        response = client.get(reverse("standards:catalogue-list") + "?changed_since=2020-01-01")
    assert response.content.decode().count("changed-mark") == 500


def test_detail_page(client_for, regulator):
    load_reference_data()
    client = client_for(regulator)
    html = client.get(
        reverse("standards:catalogue-detail", args=["beef-frozen-boneless"]) + "?on=2024-03-01"
    ).content.decode()
    assert "7 Jun 2018" in html and "Apr 2019" in html
    assert "Bone (meat deboned)" in html
    assert "Recognised by China on 2024-02-07" in html and "Ban in force since" in html
    assert client.get(reverse("standards:catalogue-detail", args=["nope"])).status_code == 404
    bad = client.get(reverse("standards:catalogue-detail", args=["beef-frozen-boneless"]) + "?on=x")
    assert bad.status_code == 400


def test_seed_is_sourced_and_the_loader_idempotent():
    load_reference_data()
    entries = {e.key: e for e in CatalogueEntry.objects.all()}
    assert entries["mutton-frozen"].status == "admitted"
    assert entries["beef-frozen-boneless"].status == "admitted"
    assert entries["beef-mutton-frozen-2022-ban"].status == "suspended"
    assert entries["beef-heat-treated"].status == "under_negotiation"
    assert not entries["beef-heat-treated"].conditions.exists()
    assert entries["beef-chilled"].status == "under_negotiation"
    assert "listing not confirmed" in entries["poultry-meat"].status_note
    assert all(e.source and e.confidence for e in entries.values())
    assert all(e.hs_code == "" for e in entries.values())
    assert all(e.from_dataset for e in entries.values())
    revisions = {e.key: e.revision for e in entries.values()}
    summary = load_reference_data()
    assert not summary.changed()
    assert {e.key: e.revision for e in CatalogueEntry.objects.all()} == revisions
    call_command("load_reference_data", verbosity=0)


def test_anonymous_is_redirected_and_readers_see_the_catalogue(
    client, client_for, regulator, negotiator
):
    make_entry()
    urls = (
        reverse("standards:catalogue-list"),
        reverse("standards:catalogue-detail", args=["beef"]),
    )
    for url in urls:
        assert client.get(url).status_code == 302
    for url in urls:
        assert client_for(regulator).get(url).status_code == 200
        assert client_for(negotiator).get(url).status_code == 200


@pytest.mark.parametrize(
    "bad, message",
    [
        ("zones: [nowhere]", "no zone 'nowhere' defined"),
        ("hs_code: '02x2'", "HS code"),
        (
            "conditions: [{parameter: animal-age, kind: maximum, value: '30', unit: mg/kg}]",
            "does not fit animal-age",
        ),
        ("conditions: [{parameter: animal-age, kind: maximum, value: 30, unit: months}]", "quoted"),
    ],
)
def test_the_loader_refuses_bad_catalogue_records(tmp_path, bad, message):
    import shutil

    from standards.reference import DATA_DIR, ReferenceDataError

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "catalogue.yaml").write_text(
        "catalogue:\n  - key: x\n    product: X\n    species: cattle\n    status: admitted\n"
        f"    source: s\n    confidence: low\n    {bad}\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError) as exc:
        load_reference_data(data)
    assert message in str(exc.value)
    assert not CatalogueEntry.objects.exists()
