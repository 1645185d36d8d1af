"""Typed limits where people use them: the admin notation field, the computed alignment
on comparison rows and pair pages, and the editors' consistency page."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from standards.alignment import compute_alignment
from standards.models import Clause, ClauseMapping, Limit
from tests.factories import make_clause, make_limit, make_mapping, make_parameter, make_standard

pytestmark = pytest.mark.django_db


def _limit_post(clause, parameter, notation, **extra):
    data = {
        "clause": clause.pk,
        "parameter": parameter.pk,
        "notation": notation,
        "kind": "",
        "value": "",
        "upper_value": "",
        "unit": "",
        "basis": "",
        "qualifier": "",
        "matrix": "",
        "plan_n": "",
        "plan_c": "",
        "plan_m": "",
        "plan_big_m": "",
        "note": "",
        "evidence": "read",
        "evidence_note": "",
        "position": "0",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(
    ("notation", "expected"),
    [
        ("≤ 0.5 mg/kg", ("maximum", Decimal("0.5"), None, "mg/kg", None, None)),
        ("1×10⁵ КОЕ/г", ("maximum", Decimal("100000"), None, "CFU/g", None, None)),
        ("не допускается в 25 г", ("absent", Decimal("25"), None, "g", None, None)),
        ("不得检出/25g", ("absent", Decimal("25"), None, "g", None, None)),
        ("n=5, c=2, m=10^4, M=10^5 CFU/g", ("maximum", Decimal("10000"), None, "CFU/g", 5, 2)),
        ("−1.5…+4 °C", ("range", Decimal("-1.5"), Decimal("4"), "°C", None, None)),
    ],
)
def test_editor_enters_a_limit_by_notation(client_for, editor, notation, expected):
    # A parameter whose unit the limit's fits (lead in CFU/g is refused: the unit tests).
    unit = {"g": "CFU/g"}.get(expected[3], expected[3])
    clause, parameter = make_clause(), make_parameter(unit=unit)
    response = client_for(editor).post(
        reverse("admin:standards_limit_add"), _limit_post(clause, parameter, notation)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    limit = Limit.objects.get()
    assert (
        limit.kind,
        limit.value,
        limit.upper_value,
        limit.unit,
        limit.plan_n,
        limit.plan_c,
    ) == expected


def test_combined_temperature_and_time_creates_two_limits(client_for, editor):
    clause = make_clause()
    temperature = make_parameter(key="core-temperature", unit="°C")
    time = make_parameter(key="holding-time", unit="min")
    response = client_for(editor).post(
        reverse("admin:standards_limit_add"),
        _limit_post(clause, temperature, "≥70 °C for ≥30 min"),
    )
    assert response.status_code == 302
    limits = {lim.parameter: (lim.kind, lim.value, lim.unit) for lim in clause.limits.all()}
    assert limits == {
        temperature: ("minimum", Decimal("70"), "°C"),
        time: ("minimum", Decimal("30"), "min"),
    }


@pytest.mark.parametrize("notation", ["≤ 0.5 mg/kgg", "less than a lot", "n=5, c=6, m=1 CFU/g"])
def test_a_notation_that_cannot_be_parsed_is_refused_with_a_message(client_for, editor, notation):
    clause, parameter = make_clause(), make_parameter()
    response = client_for(editor).post(
        reverse("admin:standards_limit_add"), _limit_post(clause, parameter, notation)
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "notation" in errors and errors["notation"][0]
    assert not Limit.objects.exists()


def test_the_change_form_shows_the_canonical_notation(client_for, editor):
    limit = make_limit(kind="maximum", value=Decimal("0.2"), unit="mg/kg")
    response = client_for(editor).get(reverse("admin:standards_limit_change", args=[limit.pk]))
    assert response.context["adminform"].form["notation"].value() == "≤ 0.2 mg/kg"


def test_clause_inline_accepts_a_notation(client_for, editor):
    clause = make_clause()
    parameter = make_parameter()
    prefix = "limits"
    data = {
        "standard": clause.standard.pk,
        "reference": clause.reference,
        "parent": "",
        "heading": clause.heading,
        "text_en": clause.text_en,
        "text_original": "",
        "original_language": "",
        "product_scope": "both",
        "species": "",
        "topic": "contaminants",
        "confidence": "high",
        "citation": "",
        "source_url": "",
        "loaded_version": clause.updated_at.isoformat(),
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-parameter": parameter.pk,
        f"{prefix}-0-notation": "<= 0.05 mg/kg",
        f"{prefix}-0-evidence": "read",
        f"{prefix}-0-position": "0",
    }
    response = client_for(editor).post(
        reverse("admin:standards_clause_change", args=[clause.pk]), data
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert [(lim.kind, lim.value) for lim in clause.limits.all()] == [("maximum", Decimal("0.05"))]
    clause.refresh_from_db()
    assert parameter.name_en.casefold() in clause.search_text


# --- computed alignment -------------------------------------------------------------


@pytest.fixture
def lead_pair():
    lead = make_parameter(key="lead", name_en="Lead (Pb)")
    kz = make_clause(make_standard())
    cn = make_clause(make_standard(jurisdiction="cn"))
    make_limit(kz, lead, value=Decimal("0.5"), matrix="meat")
    make_limit(cn, lead, value=Decimal("0.2"), matrix="meat")
    make_limit(cn, lead, value=Decimal("0.5"), matrix="offal")
    return make_mapping(key="KZCN-001", title="Lead", kz=[kz], cn=[cn], alignment="cn_stricter")


def test_compare_row_shows_the_computed_verdict_and_fold(client_for, regulator, lead_pair):
    text = client_for(regulator).get(reverse("standards:compare")).text
    assert "Computed from the limits" in text
    assert "China stricter, 2.5×" in text
    assert "agrees with the recorded alignment" in text


def test_pair_page_flags_a_disagreement(client_for, regulator, lead_pair):
    ClauseMapping.objects.filter(pk=lead_pair.pk).update(alignment="kz_stricter")
    text = client_for(regulator).get(lead_pair.get_absolute_url()).text
    assert "differs from the recorded alignment" in text


def test_consistency_page_lists_disagreements_for_editors_only(
    client_for, editor, regulator, lead_pair
):
    url = reverse("standards:consistency")
    assert client_for(regulator).get(url).status_code == 403
    client = client_for(editor)
    assert client.get(url).context["unsupported"] == []
    ClauseMapping.objects.filter(pk=lead_pair.pk).update(alignment="equivalent")
    response = client.get(url)
    assert [e.mapping.key for e in response.context["unsupported"]] == ["KZCN-001"]
    assert "KZCN-001" in response.text


def test_reference_data_computed_verdicts_agree_with_the_recorded_ones():
    call_command("load_reference_data", stdout=io.StringIO())
    mappings = {m.key: compute_alignment(m) for m in ClauseMapping.objects.for_list()}
    disagreements = {
        k: (c.human, c.verdict, c.result.reason) for k, c in mappings.items() if c.disagrees
    }
    assert disagreements == {}
    # Meat 2.5x, offal 1.2x (the offal figure from the second review): the smaller fold.
    assert (mappings["KZCN-001"].verdict, mappings["KZCN-001"].result.fold) == (
        "cn_stricter",
        Decimal("1.2"),
    )
    assert (mappings["KZCN-052"].verdict, mappings["KZCN-052"].result.fold) == (
        "kz_stricter",
        Decimal("5"),
    )
    # Cs-137 200 vs 800 Bq/kg (GB 14882-1994); Sr-90 set by China alone is an extra.
    assert (mappings["KZCN-006"].verdict, mappings["KZCN-006"].result.fold) == (
        "kz_stricter",
        Decimal(4),
    )
    nitrosamines = mappings["KZCN-053"]  # NDMA+NDEA (KZ) vs NDMA (CN): never compared
    assert not nitrosamines.comparable
    assert "different_definition" in [pair.result.code for pair in nitrosamines.result.pairs]
    assert Clause.objects.filter(limits__isnull=False).exists()
