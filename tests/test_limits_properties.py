"""limits: properties of the comparison over every figure the notation accepts.

Figures run over the whole range `limits.notation` reads (at most MAX_DIGITS significant
digits, between 10^-MAX_EXPONENT and 10^MAX_EXPONENT, zero, negative figures), in every unit
family the portal knows, for every kind of limit against every kind, with and without
sampling plans, bases and matrices, and with every kind of evidence. No combination may
raise; every label stays short; a fold is a finite Decimal of at least 1.
"""

import re
from decimal import Context, Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from limits import units
from limits.compare import (
    ABSENCE_UNCHECKED,
    ABSENCE_VERIFIED,
    KINDS,
    NOT_READ,
    READ,
    SECONDARY,
    SWAPPED,
    LimitComparison,
    LimitSpec,
    SidesComparison,
    Verdict,
    compare_limits,
    compare_sides,
    describe,
)
from limits.notation import MAX_DIGITS, MAX_EXPONENT, ParsedLimit, format_number, parse_notation

D = Decimal
V = Verdict

# Reproducible in CI: the same examples on every run, no example database needed.
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None)

MAX_LABEL = 500
MAX_REASON = 3000
# Figures this close (relative) are the same to the comparison.
SAME = D("1e-24")
# A fold this close to 1 is shown to 20 digits at most: 1.0000000000000000001.
NEAR_ONE = D("1e-19")

# Every unit family the portal knows, in canonical spelling (limits.units).
FAMILIES = {
    "mass ratio": ["mg/kg", "µg/kg", "ppm", "ppb", "mg/100 g", "g/kg", "ng/g", "pg/kg", "kg/pg"],
    "count": ["CFU/g", "CFU/kg", "CFU/mL", "CFU/cm²", "log CFU/g", "log CFU/kg", "log CFU/mL"],
    "most probable number": ["MPN/g", "MPN/100 g", "MPN/mL", "log MPN/g"],
    "activity": ["Bq/kg", "Bq/g", "Bq/L"],
    "temperature": ["°C", "°F", "K"],
    "time": ["s", "min", "h", "days", "months", "years"],
    "percent": ["%"],
    "index": ["pH", "index"],
    "no unit": [""],
}
QUANTITY_UNITS = ["g", "kg", "mg", "mL", "L", "cm²", "m²"]
EVIDENCE = [READ, SECONDARY, NOT_READ]
ABSENCE = [ABSENCE_VERIFIED, ABSENCE_UNCHECKED]
BASES = ["", "", "whole product", "fat basis", "as NaNO2"]
MATRICES = ["", "", "meat", "offal"]

# The edges of what the notation accepts, and figures close to one another.
TOP = D(10) ** MAX_EXPONENT
EDGES = [
    D(0),
    D(1),
    D(29),
    D(30),
    D("2.5"),
    TOP,
    -TOP,
    D(1).scaleb(-MAX_EXPONENT),
    -D(1).scaleb(-MAX_EXPONENT),
    D("9" * (MAX_EXPONENT + 1) + "." + "9" * (MAX_DIGITS - MAX_EXPONENT - 1)),
    D("1." + "0" * (MAX_DIGITS - 2) + "1"),
    D("1234567890" * 3).scaleb(-MAX_EXPONENT - MAX_DIGITS + 1).normalize(Context(prec=24)),
]


def _accepted(sign, coefficient, adjusted):
    """sign × coefficient with its first digit at 10^adjusted, as the parser returns it."""
    value = D(sign * coefficient).scaleb(adjusted - len(str(coefficient)) + 1)
    value = value.normalize(Context(prec=MAX_DIGITS))
    if value.as_tuple().exponent > 0:
        value = value.quantize(D(1), context=Context(prec=MAX_DIGITS))
    return value


figures = st.one_of(
    st.sampled_from(EDGES),
    st.builds(
        _accepted,
        st.sampled_from([1, -1]),
        st.integers(1, 10**MAX_DIGITS - 1),
        st.integers(-MAX_EXPONENT, MAX_EXPONENT),
    ),
    st.builds(_accepted, st.sampled_from([1, -1]), st.integers(1, 999), st.integers(-3, 6)),
)
positive_figures = figures.map(abs).filter(bool)

# The finding: two log counts 29 apart, a fold of 10^29.
TVC_30_LOG = LimitSpec("tvc", "maximum", D(30), unit="log CFU/g")
TVC_1_LOG = LimitSpec("tvc", "maximum", D(1), unit="log CFU/g")


@st.composite
def plans(draw, value, absence=False):
    """A sampling plan for a maximum of `value` or an absence, or none."""
    if not draw(st.booleans()):
        return {}
    n = draw(st.integers(1, 9999))
    plan = {"n": n, "c": draw(st.sampled_from([None, 0, draw(st.integers(0, n))]))}
    if absence:
        return plan | {"m": draw(st.sampled_from([None, D(0)]))}
    big_m = draw(st.one_of(st.none(), figures))
    if big_m is not None and value is not None and big_m < value:
        big_m = value
    return plan | {"m": draw(st.sampled_from([None, value])), "big_m": big_m}


@st.composite
def limit_specs(draw, family=None, parameter=None, kinds=KINDS, basis=None, matrix=None):
    kind = draw(st.sampled_from(kinds))
    common = {
        "parameter": parameter or draw(st.sampled_from(["p", "q"])),
        "basis": draw(st.sampled_from(BASES)) if basis is None else basis,
        "matrix": draw(st.sampled_from(MATRICES)) if matrix is None else matrix,
        "family": draw(st.sampled_from(["", "f"])),
        "evidence": draw(st.sampled_from(EVIDENCE)),
        "strict": draw(st.booleans()),
    }
    if kind in ("prohibited", "no_limit"):
        return LimitSpec(kind=kind, **common)
    unit = draw(st.sampled_from(FAMILIES[family or draw(st.sampled_from(sorted(FAMILIES)))]))
    if kind == "prohibited_lod":
        return LimitSpec(kind=kind, value=draw(positive_figures), unit=unit, **common)
    if kind == "absent":
        quantity = draw(positive_figures)
        plan = draw(plans(quantity, absence=True))
        return LimitSpec(
            kind=kind, value=quantity, unit=draw(st.sampled_from(QUANTITY_UNITS)), **common, **plan
        )
    value = draw(figures)
    if kind == "range":
        low, high = sorted([value, draw(figures)])
        return LimitSpec(kind=kind, value=low, upper=high, unit=unit, **common)
    plan = draw(plans(value)) if kind == "maximum" else {}
    if plan.get("m") is not None and draw(st.booleans()):
        value = None  # a maximum given only by its plan's m
    return LimitSpec(kind=kind, value=value, unit=unit, **common, **plan)


@st.composite
def spec_pairs(draw):
    """Two limits, mostly of one parameter and unit family so that most pairs compare."""
    family = draw(st.sampled_from([*sorted(FAMILIES), None]))
    parameter = draw(st.sampled_from(["p", None]))
    return draw(limit_specs(family, parameter)), draw(limit_specs(family, parameter))


def check_fold(fold):
    if fold is not None:
        assert isinstance(fold, Decimal)
        assert fold.is_finite()
        assert fold >= 1


def check_label(result):
    label = describe(result)
    assert isinstance(label, str)
    assert 0 < len(label) <= MAX_LABEL, label
    return label


def check_comparison(result):
    assert isinstance(result, LimitComparison)
    assert result.verdict in set(Verdict)
    check_fold(result.fold)
    assert isinstance(result.difference, str)
    assert len(result.difference) <= MAX_LABEL
    assert isinstance(result.reason, str)
    assert len(result.reason) <= MAX_REASON
    assert all(isinstance(note, str) and len(note) <= MAX_REASON for note in result.notes)
    check_label(result)
    if result.fold is not None:
        # The label shows the fold as format_number writes it.
        assert f"{format_number(result.fold)}×" in describe(result)


def test_the_unit_spellings_are_canonical():
    for unit in [u for family in FAMILIES.values() for u in family if u] + QUANTITY_UNITS:
        assert units.normalise_unit(unit) == unit


@PROPERTY
@given(figures, st.sampled_from(["mg/kg", "CFU/g", "°C", "log CFU/g"]))
def test_the_figures_are_those_the_notation_accepts(value, unit):
    """The figures these properties run over are the ones the notation reads, and
    format_number writes each of them exactly."""
    text = f"≤ {format_number(value)} {unit}"
    assert parse_notation(text) == [ParsedLimit(kind="maximum", value=value, unit=unit)]


@PROPERTY
@given(spec_pairs())
@example((TVC_30_LOG, TVC_30_LOG))
@example((TVC_30_LOG, TVC_1_LOG))
@example((LimitSpec("p", "maximum", TOP, unit="kg/pg"), LimitSpec("p", "maximum", TOP, "pg/kg")))
@example(
    (LimitSpec("p", "minimum", TOP, unit="log CFU/g"), LimitSpec("p", "minimum", TOP, "CFU/g"))
)
def test_any_two_limits_compare_without_raising(pair):
    kz, cn = pair
    result = compare_limits(kz, cn)
    check_comparison(result)
    swapped = compare_limits(cn, kz)
    check_comparison(swapped)
    assert swapped.verdict == SWAPPED.get(result.verdict, result.verdict)
    assert (swapped.code, swapped.fold) == (result.code, result.fold)


@pytest.mark.parametrize("kz_kind", KINDS)
@pytest.mark.parametrize("cn_kind", KINDS)
@settings(PROPERTY, max_examples=30)
@given(data=st.data())
def test_every_kind_against_every_kind(kz_kind, cn_kind, data):
    family = data.draw(st.sampled_from(sorted(FAMILIES)), label="family")
    kz = data.draw(limit_specs(family, "p", kinds=(kz_kind,)), label="kz")
    cn = data.draw(limit_specs(family, "p", kinds=(cn_kind,)), label="cn")
    check_comparison(compare_limits(kz, cn))
    absence = data.draw(st.sampled_from(ABSENCE), label="absence")
    check_label(compare_sides([kz], [cn], kz_absence=absence, cn_absence=absence))


@PROPERTY
@given(limit_specs())
def test_a_limit_against_itself_is_equivalent(limit):
    result = compare_limits(limit, limit)
    check_comparison(result)
    assert result.verdict == V.EQUIVALENT
    assert result.fold is None


@PROPERTY
@given(
    st.sampled_from([u for family in FAMILIES.values() for u in family if u]),
    figures,
    figures,
    st.sampled_from(["maximum", "minimum"]),
)
def test_a_fold_is_the_ratio_of_the_figures(unit, a, b, kind):
    """Two bounds in the same unit: a fold only between positive figures (never against
    zero or a negative figure, no ratio there), within the digits it is shown to, unless
    it is too close to 1 to be shown; a difference for temperatures and log counts."""
    result = compare_limits(LimitSpec("p", kind, a, unit=unit), LimitSpec("p", kind, b, unit=unit))
    check_comparison(result)
    if abs(a - b) <= max(abs(a), abs(b)) * SAME:
        assert (result.verdict, result.fold, result.difference) == (V.EQUIVALENT, None, "")
        return
    assert result.verdict in (V.KZ_STRICTER, V.CN_STRICTER)
    low, high = sorted([a, b])
    if units.is_temperature(unit):
        assert result.fold is None
        assert result.difference.endswith(f" {unit}")
    elif units.is_log(unit):
        assert result.difference.endswith(" log")
        if high - low <= MAX_EXPONENT:
            check_ratio(result.fold, Context(prec=40).power(10, high - low))
    elif low <= 0:
        assert (result.fold, result.difference) == (None, "")
    else:
        check_ratio(result.fold, Context(prec=40).divide(high, low))


def check_ratio(fold, ratio):
    if fold is None:
        assert ratio - 1 < NEAR_ONE  # "1×" would say the figures are the same
    else:
        assert abs(fold - ratio) <= ratio * D("1e-3")


# Kinds that often meet in one clause: most pairs then compare figures.
KIND_MIXES = [KINDS, ("maximum",), ("minimum", "range"), ("maximum", "range", "absent")]


@st.composite
def clauses(draw):
    """The limits of two clauses, mostly of one unit family and a few parameters, and
    often of one basis and matrix."""
    family = draw(st.sampled_from([*sorted(FAMILIES), None]))
    same = draw(st.booleans())
    limits = limit_specs(
        family,
        draw(st.sampled_from(["p", None])),
        kinds=draw(st.sampled_from(KIND_MIXES)),
        basis="" if same else None,
        matrix="" if same else None,
    )
    kz, cn = (draw(st.lists(limits, min_size=1, max_size=4)) for _side in "kz")
    # One side without limits at times: "X only", its absence verified or not.
    return draw(st.sampled_from([(kz, cn), (kz, cn), (kz, cn), (kz, []), ([], cn)]))


@PROPERTY
@given(clauses(), st.sampled_from(ABSENCE), st.sampled_from(ABSENCE))
@example(([TVC_30_LOG], [TVC_1_LOG]), ABSENCE_VERIFIED, ABSENCE_VERIFIED)
@example(([TVC_30_LOG, TVC_1_LOG], [TVC_1_LOG]), ABSENCE_UNCHECKED, ABSENCE_VERIFIED)
def test_any_two_clauses_compare_without_raising(sides, kz_absence, cn_absence):
    kz, cn = sides
    result = compare_sides(kz, cn, kz_absence=kz_absence, cn_absence=cn_absence)
    assert isinstance(result, SidesComparison)
    check_fold(result.fold)
    assert len(result.reason) <= MAX_REASON * 4
    check_label(result)
    for pair in result.pairs:
        check_comparison(pair.result)
        check_label(pair)
    swapped = compare_sides(cn, kz, kz_absence=cn_absence, cn_absence=kz_absence)
    assert swapped.verdict == SWAPPED.get(result.verdict, result.verdict)


SCIENTIFIC = re.compile(r"-?(?:[1-9](?:\.[0-9]{1,3})?×)?10\^-?[0-9]+")


@PROPERTY
@given(st.decimals(allow_nan=False, allow_infinity=False))
@example(D(10) ** 29)
@example(D("1e999999"))
@example(D("-1.23456789e-999999"))
@example(D("-0E-999999"))
def test_format_number_writes_any_figure(value):
    """Exactly where the notation would read it back, else in scientific form with at
    most four significant digits; never at length."""
    text = format_number(value)
    if value != 0 and not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
        assert SCIENTIFIC.fullmatch(text), text
        assert len(text) <= len("-1.234×10^-") + len(str(abs(value.adjusted())))
    else:
        assert D(text) == value
        assert len(text) <= len(value.as_tuple().digits) + MAX_EXPONENT + len("-0.")
