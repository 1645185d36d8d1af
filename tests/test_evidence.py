"""Verdicts no firmer than their evidence: the limit comparison's evidence level and
wording, prohibitions with a limit of detection, and the comparisons refused at root."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from limits.compare import (
    ABSENCE_UNCHECKED,
    ABSENCE_VERIFIED,
    NOT_READ,
    READ,
    SECONDARY,
    LimitSpec,
    Verdict,
    compare_limits,
    compare_sides,
    describe,
)
from limits.notation import format_parsed, parse_notation


def spec(kind="maximum", value="0.5", unit="mg/kg", evidence=READ, parameter="lead", **extra):
    return LimitSpec(
        parameter=parameter,
        kind=kind,
        value=Decimal(value) if value is not None else None,
        unit=unit,
        evidence=evidence,
        **extra,
    )


# (Kazakh evidence, Chinese evidence) of a KZ 0.1 against a CN 0.5 maximum.
TWO_FIGURES = {
    (READ, READ): ("kz_stricter", READ, False, "KZ stricter, 5×"),
    (READ, SECONDARY): (
        "kz_stricter",
        SECONDARY,
        False,
        "KZ stricter, 5×",
    ),
    (SECONDARY, SECONDARY): ("kz_stricter", SECONDARY, False, "KZ stricter, 5×"),
    (NOT_READ, READ): (
        "kz_stricter",
        NOT_READ,
        True,
        "provisional: KZ stricter, 5× (the Kazakh figure was not read in the legal text)",
    ),
    (SECONDARY, NOT_READ): (
        "kz_stricter",
        NOT_READ,
        True,
        "provisional: KZ stricter, 5× (the Chinese figure was not read in the legal text)",
    ),
    (NOT_READ, NOT_READ): (
        "kz_stricter",
        NOT_READ,
        True,
        "provisional: KZ stricter, 5× (the Kazakh figure was not read in the legal text; "
        "the Chinese figure was not read in the legal text)",
    ),
}


@pytest.mark.parametrize(("kz", "cn"), TWO_FIGURES)
def test_every_evidence_combination_of_two_figures(kz, cn):
    verdict, evidence, provisional, words = TWO_FIGURES[(kz, cn)]
    result = compare_sides([spec(value="0.1", evidence=kz)], [spec(evidence=cn)])
    assert (result.verdict, result.evidence, result.provisional) == (verdict, evidence, provisional)
    assert describe(result) == words


# (figure's evidence, the other side's absence) of a Kazakh figure the Chinese side lacks.
ONE_FIGURE = {
    (READ, ABSENCE_VERIFIED): ("Only Kazakhstan sets a limit", False),
    (SECONDARY, ABSENCE_VERIFIED): ("Only Kazakhstan sets a limit", False),
    (READ, ABSENCE_UNCHECKED): ("provisional: No Chinese figure found (not checked)", True),
    (NOT_READ, ABSENCE_VERIFIED): (
        "provisional: Only Kazakhstan sets a limit (the Kazakh figure was not read in the "
        "legal text)",
        True,
    ),
    (NOT_READ, ABSENCE_UNCHECKED): (
        "provisional: No Chinese figure found (not checked) (the Kazakh figure was not read "
        "in the legal text)",
        True,
    ),
}


@pytest.mark.parametrize(("evidence", "absence"), ONE_FIGURE)
def test_x_only_needs_the_other_sides_verified_absence(evidence, absence):
    words, provisional = ONE_FIGURE[(evidence, absence)]
    result = compare_sides([spec(evidence=evidence)], [], cn_absence=absence)
    assert result.verdict == Verdict.KZ_ONLY
    assert result.provisional is provisional
    assert describe(result) == words
    if absence == ABSENCE_UNCHECKED:
        assert "Only" not in result.reason and "not checked" in result.reason


def test_a_verdict_is_as_weak_as_its_weakest_deciding_pair():
    result = compare_sides(
        [spec(value="0.1"), spec(parameter="cadmium", value="0.05", evidence=NOT_READ)],
        [spec(), spec(parameter="cadmium", value="0.1")],
    )
    assert result.verdict == Verdict.KZ_STRICTER
    assert result.provisional and result.weak_inputs == (("kz", NOT_READ),)


LOD = spec(kind="prohibited_lod", value="0.0003", parameter="chloramphenicol")
BAN = spec(kind="prohibited", value=None, unit="", parameter="chloramphenicol")


@pytest.mark.parametrize(
    ("kz", "cn", "verdict", "note"),
    [
        (LOD, BAN, Verdict.EQUIVALENT, "Kazakhstan enforces its ban with a limit of detection"),
        (BAN, LOD, Verdict.EQUIVALENT, "China enforces its ban with a limit of detection"),
        (LOD, LOD, Verdict.EQUIVALENT, "an enforcement threshold, not a tolerance"),
        (
            LOD,
            spec(value="0.01", parameter="chloramphenicol"),
            Verdict.KZ_STRICTER,
            "limit of detection of 0.0003 mg/kg",
        ),
    ],
)
def test_a_prohibition_with_a_detection_limit(kz, cn, verdict, note):
    result = compare_limits(kz, cn)
    assert result.verdict == verdict
    assert result.fold is None  # a detection limit is never a stricter/weaker figure
    assert any(note in text for text in result.notes)


def test_two_detection_limits_never_make_one_side_stricter():
    other = spec(kind="prohibited_lod", value="0.0001", parameter="chloramphenicol")
    assert compare_limits(LOD, other).verdict == Verdict.EQUIVALENT


@pytest.mark.parametrize(
    "text",
    [
        "не допускается (<0,0003 мг/кг)",
        "не допускается (не более 0,0003 мг/кг)",
        "不得检出 (检出限 0.0003 mg/kg)",
        "not permitted, LOD 0.0003 mg/kg",
        "prohibited; limit of detection 0.0003 mg/kg",
    ],
)
def test_the_notation_reads_a_ban_with_its_detection_limit(text):
    [parsed] = parse_notation(text)
    assert (parsed.kind, parsed.value, parsed.unit) == (
        "prohibited_lod",
        Decimal("0.0003"),
        "mg/kg",
    )
    assert format_parsed(parsed) == "prohibited; limit of detection 0.0003 mg/kg"


def test_not_detected_in_a_quantity_stays_an_absence():
    [parsed] = parse_notation("不得检出（25g）")
    assert (parsed.kind, parsed.value, parsed.unit) == ("absent", Decimal("25"), "g")


@pytest.mark.parametrize(
    ("kz", "cn", "code"),
    [
        # Storage against product temperature: different bases.
        (
            spec(
                kind="maximum", value="-12", unit="°C", parameter="t", basis="product temperature"
            ),
            spec(
                kind="maximum", value="-18", unit="°C", parameter="t", basis="storage temperature"
            ),
            "different_basis",
        ),
        # A lower bound against an upper bound.
        (
            spec(kind="minimum", value="0", unit="°C", parameter="t"),
            spec(kind="maximum", value="4", unit="°C", parameter="t"),
            "different_kind",
        ),
        # Different products.
        (
            spec(matrix="offal"),
            spec(matrix="meat"),
            "different_matrix",
        ),
    ],
)
def test_mismatched_limits_are_refused_and_say_why(kz, cn, code):
    result = compare_limits(kz, cn)
    assert result.verdict == Verdict.NOT_COMPARABLE
    assert result.code == code and result.reason


# --- the reference dataset -----------------------------------------------------------------


@pytest.fixture
def reference(reference_data):
    from standards.alignment import compute_alignment
    from standards.models import ClauseMapping

    return {m.key: (m, compute_alignment(m)) for m in ClauseMapping.objects.for_list()}


def pair_of(computed, parameter, matrix=None):
    [pair] = [
        p
        for p in computed.result.pairs
        if p.parameter == parameter and (matrix is None or p.matrix == matrix)
    ]
    return pair


def test_no_firm_x_only_without_a_verified_absence(reference):
    for key, (_mapping, computed) in reference.items():
        for pair in computed.result.pairs:
            if pair.result.code == "one_side_only":
                missing = "cn" if pair.kz is not None else "kz"
                assert computed.absences[missing] == ABSENCE_VERIFIED, (key, pair.parameter)
        if computed.comparable and computed.verdict in ("kz_only", "cn_only"):
            assert computed.result.code != "one_side_only" or not computed.provisional, key


def test_the_corrected_pairs_show_the_verdicts_of_the_review(reference):
    for key in ("KZCN-006", "KZCN-065"):
        _mapping, computed = reference[key]
        cs137 = pair_of(computed, "cs-137")
        assert (cs137.result.verdict, cs137.result.fold) == (Verdict.KZ_STRICTER, Decimal(4))
        sr90 = pair_of(computed, "sr-90")
        assert sr90.result.verdict == Verdict.CN_ONLY
        assert sr90.result.code == "one_side_only"  # the EAEU text was read: none set
    _mapping, lead = reference["KZCN-001"]
    offal = [
        p
        for p in lead.result.pairs
        if p.kz is not None and p.cn is not None and "offal" in p.matrix
    ]
    assert [(p.result.verdict, p.result.fold) for p in offal] == [
        (Verdict.CN_STRICTER, Decimal("1.2"))
    ]
    mapping, chloramphenicol = reference["KZCN-008"]
    [pair] = chloramphenicol.result.pairs
    assert pair.result.verdict == Verdict.EQUIVALENT and pair.result.code == "both_prohibited"
    assert {pair.kz.kind, pair.cn.kind} == {"prohibited_lod", "prohibited"}
    assert mapping.confidence == "medium"


def test_no_mapping_claims_more_confidence_than_its_weakest_side(reference):
    assert [key for key, (m, _c) in reference.items() if m.confidence_too_high()] == []


def test_background_figures_give_provisional_verdicts_only(reference):
    for key in ("KZCN-043", "KZCN-047"):
        _mapping, computed = reference[key]
        assert not computed.comparable or computed.provisional, key
    for key in ("KZCN-023", "KZCN-024"):
        _mapping, computed = reference[key]
        firm = [
            p
            for p in computed.result.pairs
            if p.kz
            and p.cn
            and p.result.verdict in (Verdict.KZ_STRICTER, Verdict.CN_STRICTER)
            and not p.provisional
        ]
        assert firm == [], key


PROVENANCE = ("github", "scribd", "5678hub", "consultant.ru", "docs.cntd.ru", "mydoc123")


def test_no_report_format_carries_provenance(reference, client_for, negotiator):
    client = client_for(negotiator)
    query = "?gaps=0&originals=on"
    html = client.get(reverse("standards:report-html") + query).text.casefold()
    pdf = client.get(reverse("standards:report-pdf") + query).content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).casefold()
    csv_text = client.get(reverse("standards:report-csv") + query).content.decode().casefold()
    sheet = load_workbook(io.BytesIO(client.get(reverse("standards:report-xlsx") + query).content))
    cells = " ".join(str(c.value or "") for row in sheet.active.iter_rows() for c in row).casefold()
    assert "official citation" in html and "gb 14882" in html
    for rendered in (html, text, csv_text, cells):
        assert [word for word in PROVENANCE if word in rendered] == []


def test_provisional_verdicts_say_so_in_every_format(reference, client_for, negotiator):
    client = client_for(negotiator)
    query = "?gaps=0"
    html = client.get(reverse("standards:report-html") + query).text
    csv_text = client.get(reverse("standards:report-csv") + query).content.decode()
    assert "provisional: " in html and "provisional: " in csv_text
    assert "No Kazakh figure found (not checked)" in html
