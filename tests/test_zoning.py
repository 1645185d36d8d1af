"""Disease zones: decisions change what is open (a ban closes, a later recognition or
the lifting of the ban reopens, on dates), the pages, and the seeded zones."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from standards import zoning
from standards.models import CatalogueEntry, Pathway, Zone, ZoneDecision, ZoneUnit
from standards.reference import load_reference_data

pytestmark = pytest.mark.django_db

D = datetime.date


def make_zone(key, units=(), whole_country=False):
    zone = Zone.objects.create(key=key, name=f"Zone {key}", whole_country=whole_country)
    for region in units:
        ZoneUnit.objects.create(zone=zone, region=region)
    return zone


def decide(zone, kind, disease="fmd", **fields):
    fields.setdefault("source", "test")
    decision = ZoneDecision(zone=zone, kind=kind, disease=disease, **fields)
    decision.full_clean()
    decision.save()
    return decision


def test_a_ban_closes_and_a_later_recognition_reopens_on_dates():
    country = make_zone("kz", whole_country=True)
    south = make_zone("south", units=["almaty_region", "zhambyl"])
    recognised = decide(south, "china_recognition", decided_on=D(2018, 5, 1))
    ban = decide(country, "ban", year=2022, citation="署办动植函〔2022〕4号")
    reopened = decide(south, "china_recognition", decided_on=D(2024, 2, 7))
    z = zoning.Zoning.load()

    before = z.unit_verdict("almaty_region", "cattle", D(2019, 1, 1))
    assert before.state == zoning.OPEN and before.decision == recognised
    during = z.unit_verdict("almaty_region", "cattle", D(2023, 6, 1))
    assert during.state == zoning.CLOSED and during.decision == ban
    assert "署办动植函〔2022〕4号" in str(during.reason)
    after = z.unit_verdict("almaty_region", "sheep", D(2024, 2, 7))
    assert after.state == zoning.OPEN and after.decision == reopened
    # A unit outside the recognised zone stays closed by the ban.
    assert z.unit_verdict("karaganda", "cattle", D(2024, 3, 1)).state == zoning.CLOSED
    assert z.open_units("cattle", D(2024, 3, 1)) == ["almaty_region", "zhambyl"]
    assert zoning.open_zones("cattle", D(2024, 3, 1)) == [south]
    assert zoning.open_zones("cattle", D(2023, 3, 1)) == []


def test_an_fmd_ban_does_not_close_poultry_and_a_lifting_reopens():
    country = make_zone("kz", whole_country=True)
    decide(country, "ban", year=2022)
    decide(
        country,
        "ban",
        disease="hpai",
        year=2005,
        lifted_on=D(2024, 2, 7),
        lifted_by="Announcement 2024 No. 20",
    )
    z = zoning.Zoning.load()
    assert z.unit_verdict("pavlodar", "poultry", D(2020, 1, 1)).state == zoning.CLOSED
    lifted = z.unit_verdict("pavlodar", "poultry", D(2024, 2, 7))
    assert lifted.state == zoning.OPEN and lifted.lifted
    assert "Announcement 2024 No. 20" in str(lifted.reason)
    assert z.unit_verdict("pavlodar", "cattle", D(2024, 2, 7)).state == zoning.CLOSED
    # Horses: no decision speaks for them.
    assert z.unit_verdict("pavlodar", "horse", D(2024, 2, 7)).state == zoning.NOT_RECOGNISED


def test_woah_status_alone_does_not_open_a_zone():
    zone = make_zone("z", units=["abai"])
    decide(zone, "woah_status", decided_on=D(2017, 5, 25), status="FMD free")
    assert zoning.open_units("cattle", D(2020, 1, 1)) == []


def test_a_ban_of_the_same_day_wins_over_a_recognition():
    zone = make_zone("z", units=["abai"])
    decide(zone, "china_recognition", decided_on=D(2024, 1, 1))
    decide(zone, "ban", decided_on=D(2024, 1, 1))
    assert zoning.open_units("cattle", D(2024, 1, 1)) == []


@pytest.mark.parametrize(
    "fields, field",
    [
        ({}, "decided_on"),
        ({"decided_on": D(2020, 1, 1), "year": 2019}, "year"),
        ({"year": 2022, "lifted_on": D(2021, 1, 1)}, "lifted_on"),
    ],
)
def test_decision_rules(fields, field):
    zone = make_zone("z")
    with pytest.raises(ValidationError) as exc:
        ZoneDecision(zone=zone, kind="ban", disease="fmd", source="s", **fields).full_clean()
    assert field in exc.value.message_dict


def test_only_a_ban_is_lifted():
    zone = make_zone("z")
    with pytest.raises(ValidationError) as exc:
        ZoneDecision(
            zone=zone,
            kind="china_recognition",
            disease="fmd",
            source="s",
            year=2020,
            lifted_on=D(2021, 1, 1),
        ).full_clean()
    assert "lifted_on" in exc.value.message_dict


def test_the_seeded_zones_open_the_2024_areas_only():
    load_reference_data()
    z = zoning.Zoning.load()
    assert set(z.open_units("cattle", D(2024, 3, 1))) == {
        "almaty_region",
        "zhetysu",
        "east_kazakhstan",
        "abai",
        "zhambyl",
        "turkistan",
        "kyzylorda",
        "almaty_city",
        "shymkent",
    }
    assert z.unit_verdict("karaganda", "sheep", D(2024, 3, 1)).state == zoning.CLOSED
    assert z.open_units("cattle", D(2023, 1, 1)) == []
    unnamed = Zone.objects.get(key="fmd-9-regions-2016")
    assert unnamed.name == "9 regions (not named by the source)"
    assert not unnamed.units.exists()
    beef = CatalogueEntry.objects.get(key="beef-frozen-boneless")
    verdicts = dict(
        (zone.key, v.state) for zone, v in zoning.entry_eligibility(beef, D(2024, 3, 1))
    )
    assert verdicts == {
        "fmd-9-regions-2016": "closed",
        "fmd-5-regions-2018": "closed",
        "fmd-9-areas-2024": "open",
    }
    pathway = Pathway.objects.get(key="beef-frozen")
    assert [z.key for z in pathway.zones.all()] == ["fmd-9-areas-2024"]


def test_zone_page_and_pathway_page_show_open_and_closed(client_for, regulator):
    load_reference_data()
    client = client_for(regulator)
    html = client.get(reverse("standards:zone-list") + "?on=2024-03-01").content.decode()
    assert "9 areas of GACC/MARA Announcement 2024 No. 20" in html
    assert 'id="region-karaganda"' in html and 'id="region-shymkent"' in html
    assert "Ban in force since" in html and "Recognised by China on 2024-02-07" in html
    # The species one decision decides alike are read together, its citation once.
    zones = html[: html.index('id="region-')]
    assert "Cattle, Sheep, Goats, Pigs: " in zones and "Cattle: " not in zones
    assert zones.count("Recognised by China on 2024-02-07") == 1
    html = client.get(reverse("standards:pathway-detail", args=["beef-frozen"])).content.decode()
    assert "Recognised by China on 2024-02-07" in html


def test_zone_page_bad_date_is_400(client_for, regulator):
    response = client_for(regulator).get(reverse("standards:zone-list") + "?on=2024-13-40")
    assert response.status_code == 400
    assert b"YYYY-MM-DD" in response.content


def test_zone_page_query_count_is_pinned(client_for, regulator, django_assert_num_queries):
    country = make_zone("kz", whole_country=True)
    decide(country, "ban", year=2022)
    for i in range(500):
        zone = make_zone(f"z-{i:03}", units=["abai"])
        ZoneDecision.objects.create(
            zone=zone, kind="china_recognition", disease="fmd", year=2024, source="s"
        )
    client = client_for(regulator)
    # session, user, permissions (2); zones, their units, their decisions; the reader's
    # unread notifications: 8 however many zones
    with django_assert_num_queries(8):
        response = client.get(reverse("standards:zone-list"))
    assert response.status_code == 200
    assert response.content.decode().count('id="zone-z-') == 500


def test_anonymous_is_redirected_and_readers_see_the_zones(
    client, client_for, regulator, negotiator
):
    url = reverse("standards:zone-list")
    assert client.get(url).status_code == 302
    assert client_for(regulator).get(url).status_code == 200
    assert client_for(negotiator).get(url).status_code == 200
