"""Verdicts no firmer than their evidence: the limit comparison's evidence level and
wording, prohibitions with a limit of detection, and the comparisons refused at root."""

from decimal import Decimal

import pytest

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
    (READ, ABSENCE_UNCHECKED): (
        "provisional: No Chinese figure found (not checked) (the Chinese absence of a figure "
        "was not checked)",
        True,
    ),
    (NOT_READ, ABSENCE_VERIFIED): (
        "provisional: Only Kazakhstan sets a limit (the Kazakh figure was not read in the "
        "legal text)",
        True,
    ),
    (NOT_READ, ABSENCE_UNCHECKED): (
        "provisional: No Chinese figure found (not checked) (the Kazakh figure was not read "
        "in the legal text; the Chinese absence of a figure was not checked)",
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
