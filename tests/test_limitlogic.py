"""limits.compare: which side's limit is stricter, rule by rule."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from limits.compare import (
    SWAPPED,
    LimitComparison,
    LimitSpec,
    PairResult,
    SidesComparison,
    Verdict,
    compare_limits,
    compare_sides,
    describe,
)
from limits.notation import format_number

D = Decimal
V = Verdict


def spec(parameter="lead", kind="maximum", value=None, unit="mg/kg", **fields):
    if value is not None:
        value = D(value)
    for name in ("upper", "m", "big_m"):
        if fields.get(name) is not None:
            fields[name] = D(fields[name])
    return LimitSpec(parameter=parameter, kind=kind, value=value, unit=unit, **fields)


def maximum(value, unit="mg/kg", parameter="lead", **fields):
    return spec(parameter, "maximum", value, unit, **fields)


def minimum(value, unit, parameter="core-temperature", **fields):
    return spec(parameter, "minimum", value, unit, **fields)


def range_(low, high, unit="°C", parameter="storage-temperature", **fields):
    return spec(parameter, "range", low, unit, upper=high, **fields)


def absent(quantity, unit="g", parameter="salmonella", **fields):
    return spec(parameter, "absent", quantity, unit, **fields)


def prohibited(parameter="chloramphenicol"):
    return LimitSpec(parameter=parameter, kind="prohibited")


def no_limit(parameter="lead"):
    return LimitSpec(parameter=parameter, kind="no_limit")


# (id, kz, cn, verdict, code, fold, difference)
RULES = [
    # Definitions: never compare figures whose definitions differ.
    (
        "different parameters",
        maximum("0.5"),
        maximum("0.05", parameter="cadmium"),
        V.NOT_COMPARABLE,
        "different_parameter",
        None,
        "",
    ),
    (
        "same family, different definition: NDMA+NDEA vs NDMA",
        maximum(4, "µg/kg", parameter="ndma-ndea", family="nitrosamines"),
        maximum(3, "µg/kg", parameter="ndma", family="nitrosamines"),
        V.NOT_COMPARABLE,
        "different_definition",
        None,
        "",
    ),
    (
        "dioxins on fat basis vs whole product",
        maximum("0.000003", parameter="dioxins", basis="fat basis"),
        maximum("0.000003", parameter="dioxins"),
        V.NOT_COMPARABLE,
        "different_basis",
        None,
        "",
    ),
    (
        "basis compared case- and space-insensitively",
        maximum("0.000003", parameter="dioxins", basis="Fat  Basis"),
        maximum("0.000003", parameter="dioxins", basis="fat basis"),
        V.EQUIVALENT,
        "same_limit",
        None,
        "",
    ),
    (
        "“whole product” is the empty basis",
        maximum("0.5", basis="whole product"),
        maximum("0.5"),
        V.EQUIVALENT,
        "same_limit",
        None,
        "",
    ),
    (
        "different matrices",
        maximum("0.5", matrix="offal"),
        maximum("0.2", matrix="meat"),
        V.NOT_COMPARABLE,
        "different_matrix",
        None,
        "",
    ),
    (
        "an empty matrix matches any matrix",
        maximum("0.5"),
        maximum("0.2", matrix="meat"),
        V.CN_STRICTER,
        "lower_maximum",
        D("2.5"),
        "",
    ),
    # Units
    (
        "incompatible units",
        maximum("0.5"),
        maximum("0.2", "°C"),
        V.NOT_COMPARABLE,
        "incompatible_units",
        None,
        "",
    ),
    (
        "unknown unit",
        maximum("0.5"),
        maximum("0.2", "mg/kgg"),
        V.NOT_COMPARABLE,
        "unknown_unit",
        None,
        "",
    ),
    (
        "one figure without unit",
        maximum("0.5"),
        maximum("0.2", ""),
        V.NOT_COMPARABLE,
        "incompatible_units",
        None,
        "",
    ),
    (
        "benzo(a)pyrene: KZ ≤ 0.001 mg/kg vs CN ≤ 5.0 µg/kg → KZ 5×",
        maximum("0.001", parameter="benzo-a-pyrene"),
        maximum("5.0", "µg/kg", parameter="benzo-a-pyrene"),
        V.KZ_STRICTER,
        "lower_maximum",
        D(5),
        "",
    ),
    (
        "ppm against mg/kg",
        maximum("0.1"),
        maximum("0.1", "ppm"),
        V.EQUIVALENT,
        "same_limit",
        None,
        "",
    ),
    # maximum vs maximum
    (
        "lead: KZ ≤ 0.5 mg/kg vs CN ≤ 0.2 mg/kg → CN 2.5×",
        maximum("0.5"),
        maximum("0.2"),
        V.CN_STRICTER,
        "lower_maximum",
        D("2.5"),
        "",
    ),
    ("equal maxima", maximum("0.5"), maximum("0.50"), V.EQUIVALENT, "same_limit", None, ""),
    (
        "equal maxima, only China strict (<)",
        maximum(7, "°C", parameter="chilled-temperature"),
        maximum(7, "°C", parameter="chilled-temperature", strict=True),
        V.CN_STRICTER,
        "strict_inequality",
        None,
        "",
    ),
    (
        "equal maxima, both strict",
        maximum(7, "°C", strict=True),
        maximum(7, "°C", strict=True),
        V.EQUIVALENT,
        "same_limit",
        None,
        "",
    ),
    (
        "chilled storage ≤ 4 °C vs ≤ 7 °C: a difference, no fold",
        maximum(4, "°C", parameter="chilled-temperature"),
        maximum(7, "°C", parameter="chilled-temperature"),
        V.KZ_STRICTER,
        "lower_maximum",
        None,
        "3 °C",
    ),
    (
        "temperatures in °C and °F",
        maximum(7, "°C", parameter="chilled-temperature"),
        maximum("39.2", "°F", parameter="chilled-temperature"),
        V.CN_STRICTER,
        "lower_maximum",
        None,
        "3 °C",
    ),
    (
        "a zero maximum has no fold",
        maximum(0),
        maximum(10),
        V.KZ_STRICTER,
        "lower_maximum",
        None,
        "",
    ),
    (
        "log counts against counts",
        maximum(5, "log CFU/g", parameter="tvc"),
        maximum(10000, "CFU/g", parameter="tvc"),
        V.CN_STRICTER,
        "lower_maximum",
        D(10),
        "",
    ),
    (
        "log counts against log counts",
        maximum(5, "log CFU/g", parameter="tvc"),
        maximum(4, "log CFU/g", parameter="tvc"),
        V.CN_STRICTER,
        "lower_maximum",
        D(10),
        "1 log",
    ),
    # minimum vs minimum
    (
        "core temperature ≥ 70 °C vs ≥ 72 °C: a difference, no fold",
        minimum(70, "°C"),
        minimum(72, "°C"),
        V.CN_STRICTER,
        "higher_minimum",
        None,
        "2 °C",
    ),
    (
        "holding time ≥ 60 min vs ≥ 30 min → 2×",
        minimum(60, "min", parameter="holding-time"),
        minimum(30, "min", parameter="holding-time"),
        V.KZ_STRICTER,
        "higher_minimum",
        D(2),
        "",
    ),
    (
        "holding time in h and min",
        minimum(1, "h", parameter="holding-time"),
        minimum(30, "min", parameter="holding-time"),
        V.KZ_STRICTER,
        "higher_minimum",
        D(2),
        "",
    ),
    (
        "equal minima, only Kazakhstan strict (>)",
        minimum(70, "°C", strict=True),
        minimum(70, "°C"),
        V.KZ_STRICTER,
        "strict_inequality",
        None,
        "",
    ),
    # Kinds that do not compare
    (
        "maximum vs minimum",
        maximum(7, "°C", parameter="t"),
        minimum(4, "°C", parameter="t"),
        V.NOT_COMPARABLE,
        "different_kind",
        None,
        "",
    ),
    (
        "absence vs minimum",
        absent(25),
        minimum(1, "g", parameter="salmonella"),
        V.NOT_COMPARABLE,
        "different_kind",
        None,
        "",
    ),
    # Ranges
    (
        "identical ranges",
        range_(0, 4),
        range_("0.0", "4.0"),
        V.EQUIVALENT,
        "same_range",
        None,
        "",
    ),
    (
        "chilled −1.5…+7 °C vs 0…4 °C: China's range lies inside",
        range_("-1.5", 7),
        range_(0, 4),
        V.CN_STRICTER,
        "narrower_range",
        None,
        "4 °C wide vs 8.5 °C",
    ),
    (
        "overlapping ranges",
        range_(0, 7),
        range_(-2, 4),
        V.DIFFERENT,
        "ranges_overlap",
        None,
        "",
    ),
    ("disjoint ranges", range_(0, 2), range_(3, 4), V.DIFFERENT, "ranges_disjoint", None, ""),
    (
        "CN 0…4 °C vs KZ ≤ 7 °C: CN stricter on the upper bound",
        maximum(7, "°C", parameter="storage-temperature"),
        range_(0, 4),
        V.CN_STRICTER,
        "range_vs_maximum",
        None,
        "3 °C",
    ),
    (
        "KZ ≤ 2 °C vs CN 0…4 °C: KZ stricter on the upper bound",
        maximum(2, "°C", parameter="storage-temperature"),
        range_(0, 4),
        V.KZ_STRICTER,
        "range_vs_maximum",
        None,
        "2 °C",
    ),
    (
        "same upper bound: the range's lower bound has nothing to compare with",
        maximum(4, "°C", parameter="storage-temperature"),
        range_(0, 4),
        V.NOT_COMPARABLE,
        "unmatched_bound",
        None,
        "",
    ),
    (
        "KZ ≥ 2 °C vs CN 0…4 °C: KZ stricter on the lower bound",
        minimum(2, "°C", parameter="storage-temperature"),
        range_(0, 4),
        V.KZ_STRICTER,
        "range_vs_minimum",
        None,
        "2 °C",
    ),
    # Absence in a quantity
    (
        "not detected in 25 g vs in 1 g → 25×",
        absent(25),
        absent(1),
        V.KZ_STRICTER,
        "larger_sample",
        D(25),
        "",
    ),
    ("same quantity", absent(25), absent(25), V.EQUIVALENT, "same_limit", None, ""),
    (
        "same quantity in g and kg",
        absent(25),
        absent("0.025", "kg"),
        V.EQUIVALENT,
        "same_limit",
        None,
        "",
    ),
    (
        "Salmonella absent in 25 g vs n=5, c=0, m=0/25 g",
        absent(25),
        absent(25, n=5, c=0, m=0),
        V.EQUIVALENT,
        "same_limit_more_samples",
        None,
        "",
    ),
    (
        "KZ not detected in 1 g vs CN m=10 CFU/g → KZ 10×",
        absent(1, parameter="s-aureus"),
        maximum(10, "CFU/g", parameter="s-aureus", n=5, c=1, m=10, big_m=100),
        V.KZ_STRICTER,
        "absent_vs_maximum",
        D(10),
        "",
    ),
    (
        "not detected in 0.01 g (< 100 CFU/g) vs ≤ 10 CFU/g → the maximum is 10× stricter",
        absent("0.01", parameter="s-aureus"),
        maximum(10, "CFU/g", parameter="s-aureus"),
        V.CN_STRICTER,
        "absent_vs_maximum",
        D(10),
        "",
    ),
    (
        "absence in grams vs a mass fraction cannot be related",
        absent(25, parameter="lead"),
        maximum("0.1", parameter="lead"),
        V.NOT_COMPARABLE,
        "incompatible_units",
        None,
        "",
    ),
    # Prohibited
    (
        "prohibited vs a maximum",
        prohibited(),
        maximum("0.1", "µg/kg", parameter="chloramphenicol"),
        V.KZ_STRICTER,
        "prohibited_vs_limit",
        None,
        "",
    ),
    (
        "an absence vs prohibited",
        absent(25, parameter="chloramphenicol"),
        prohibited(),
        V.CN_STRICTER,
        "prohibited_vs_limit",
        None,
        "",
    ),
    (
        "prohibited on both sides",
        prohibited(),
        prohibited(),
        V.EQUIVALENT,
        "both_prohibited",
        None,
        "",
    ),
    # No limit
    (
        "no limit vs a limit: a gap",
        no_limit(),
        maximum("0.2"),
        V.CN_STRICTER,
        "one_side_no_limit",
        None,
        "",
    ),
    ("no limit on both sides", no_limit(), no_limit(), V.EQUIVALENT, "both_no_limit", None, ""),
    # Sampling plans on maxima: m is compared, the plans are noted.
    (
        "same m, plans differ in c and M",
        maximum(10000, "CFU/g", parameter="tvc", n=5, c=2, m=10000, big_m=100000),
        maximum(10000, "CFU/g", parameter="tvc", n=5, c=3, m=10000, big_m=1000000),
        V.EQUIVALENT,
        "same_limit_different_plan",
        None,
        "",
    ),
    (
        "same m, China tests more units",
        maximum(100, "CFU/g", parameter="coliforms"),
        maximum(100, "CFU/g", parameter="coliforms", n=5, c=1, m=100, big_m=1000),
        V.EQUIVALENT,
        "same_limit_more_samples",
        None,
        "",
    ),
    (
        "m compared: 10^4 vs 10^5",
        maximum(10000, "CFU/g", parameter="tvc", n=5, c=2, m=10000, big_m=100000),
        maximum(100000, "CFU/g", parameter="tvc", n=5, c=2, m=100000, big_m=1000000),
        V.KZ_STRICTER,
        "lower_maximum",
        D(10),
        "",
    ),
    (
        "a maximum given only by its plan's m",
        maximum(None, "CFU/g", parameter="tvc", n=5, c=2, m=10000),
        maximum(1000, "CFU/g", parameter="tvc"),
        V.CN_STRICTER,
        "lower_maximum",
        D(10),
        "",
    ),
    (
        "a maximum without a figure",
        maximum(None),
        maximum("0.2"),
        V.NOT_COMPARABLE,
        "missing_value",
        None,
        "",
    ),
]


@pytest.mark.parametrize(
    ("kz", "cn", "verdict", "code", "fold", "difference"),
    [case[1:] for case in RULES],
    ids=[case[0] for case in RULES],
)
def test_compare_limits(kz, cn, verdict, code, fold, difference):
    result = compare_limits(kz, cn)
    assert isinstance(result, LimitComparison)
    assert (result.verdict, result.code, result.fold, result.difference) == (
        verdict,
        code,
        fold,
        difference,
    )
    assert result.reason.endswith(".")
    # Swapping the sides swaps the verdict and keeps fold and code.
    swapped = compare_limits(cn, kz)
    assert swapped.verdict == SWAPPED.get(verdict, verdict)
    assert (swapped.code, swapped.fold) == (code, fold)


def test_fold_is_a_normalised_decimal():
    fold = compare_limits(maximum("0.5"), maximum("0.2")).fold
    assert str(fold) == "2.5"
    assert str(compare_limits(maximum("0.001"), maximum("5.0", "µg/kg")).fold) == "5"


def test_unending_fold_is_shown_to_four_digits():
    assert compare_limits(maximum("0.7"), maximum("0.3")).fold == D("2.333")


def test_strict_reason_says_so():
    result = compare_limits(maximum(7, "°C"), maximum(7, "°C", strict=True))
    assert "< rather than ≤" in result.reason
    assert result.fold is None


def test_converted_figure_is_shown_in_the_reason():
    result = compare_limits(maximum("0.001"), maximum("5.0", "µg/kg"))
    assert "≤ 5 µg/kg, i.e. 0.005 mg/kg" in result.reason


def test_temperature_reason_gives_the_difference():
    result = compare_limits(maximum(4, "°C"), maximum(7, "°C"))
    assert result.reason == (
        "Kazakhstan's maximum (≤ 4 °C) is 3 °C lower than China's (≤ 7 °C): Kazakhstan is stricter."
    )


def test_salmonella_more_samples_note():
    result = compare_limits(absent(25), absent(25, n=5, c=0, m=0))
    assert result.notes == (
        "China tests 5 sample units (n=5, c=0, m=0/25 g); Kazakhstan a single sample",
    )


def test_plan_notes_name_both_plans():
    result = compare_limits(
        maximum(10000, "CFU/g", n=5, c=2, m=10000, big_m=100000),
        maximum(10000, "CFU/g", n=5, c=3, m=10000, big_m=1000000),
    )
    assert result.notes == (
        "Kazakhstan tests 5 sample units (n=5, c=2, m=10000, M=100000 CFU/g); "
        "China 5 sample units (n=5, c=3, m=10000, M=1000000 CFU/g)",
    )


def test_absent_vs_maximum_reason_states_the_reading():
    result = compare_limits(
        absent(1, parameter="s-aureus"),
        maximum(10, "CFU/g", parameter="s-aureus", n=5, c=1, m=10, big_m=100),
    )
    assert "“not detected in 1 g” reads as fewer than 1 CFU/g" in result.reason
    assert "10× stricter" in result.reason
    assert result.notes


def test_range_vs_maximum_reason_names_the_bound():
    result = compare_limits(maximum(7, "°C", parameter="t"), range_(0, 4, parameter="t"))
    assert "upper bound" in result.reason
    lower_bound = compare_limits(maximum(2, "°C", parameter="t"), range_(0, 4, parameter="t"))
    assert lower_bound.notes == (
        "China's range also sets a lower bound, which Kazakhstan's maximum does not.",
    )


def test_no_limit_reason_calls_it_a_gap():
    result = compare_limits(no_limit(), maximum("0.2"))
    assert "gap" in result.reason
    assert result.reason.startswith("Only China sets a limit (≤ 0.2 mg/kg)")


def test_different_definition_is_never_compared_numerically():
    result = compare_limits(
        maximum(4, "µg/kg", parameter="ndma-ndea", family="nitrosamines"),
        maximum(4, "µg/kg", parameter="ndma", family="nitrosamines"),
    )
    assert result.verdict == V.NOT_COMPARABLE
    assert result.fold is None


# --- describe --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kz", "cn", "label"),
    [
        (maximum("0.5"), maximum("0.2"), "CN stricter, 2.5×"),
        (maximum("0.001"), maximum("5.0", "µg/kg"), "KZ stricter, 5×"),
        (maximum("0.5"), maximum("0.5"), "Equivalent"),
        (
            maximum("0.000003", basis="fat basis"),
            maximum("0.000003"),
            "Not comparable: different basis (fat basis vs whole product)",
        ),
        (maximum(4, "°C"), maximum(7, "°C"), "KZ stricter by 3 °C"),
        (range_("-1.5", 7), range_(0, 4), "CN stricter: narrower range (4 °C wide vs 8.5 °C)"),
        (range_(0, 7), range_(-2, 4), "Different: ranges overlap"),
        (
            maximum(4, "µg/kg", parameter="ndma-ndea", family="nitrosamines"),
            maximum(3, "µg/kg", parameter="ndma", family="nitrosamines"),
            "Not comparable: different definition (ndma-ndea vs ndma)",
        ),
        (
            prohibited(),
            maximum("0.1", "µg/kg", parameter="chloramphenicol"),
            "KZ stricter: Kazakhstan prohibits it",
        ),
    ],
)
def test_describe(kz, cn, label):
    assert describe(compare_limits(kz, cn)) == label


# --- Folds and differences at the edges of the figures the notation accepts ---------

TOP, BOTTOM = D("1e20"), D("1e-20")


@pytest.mark.parametrize(
    ("kz", "cn", "verdict", "fold", "difference", "label"),
    [
        (
            maximum(30, "log CFU/g", parameter="tvc"),
            maximum(1, "log CFU/g", parameter="tvc"),
            V.CN_STRICTER,
            D("1e29"),
            "29 log",
            "CN stricter, 10^29×",
        ),
        (maximum(TOP), maximum(BOTTOM), V.CN_STRICTER, D("1e40"), "", "CN stricter, 10^40×"),
        (
            maximum(TOP, "ppb"),
            maximum("1.23456789e-18", "mg/kg"),
            V.CN_STRICTER,
            D("8.1e34"),
            "",
            "CN stricter, 8.1×10^34×",
        ),
        (
            maximum(TOP),
            maximum(D(7)),
            V.CN_STRICTER,
            D("1.429e19"),
            "",
            "CN stricter, 14290000000000000000×",
        ),
        # 10^(10^20) is no Decimal: no fold, the difference says how far apart they are.
        (
            maximum(TOP, "log CFU/g", parameter="tvc"),
            maximum(-TOP, "log CFU/g", parameter="tvc"),
            V.CN_STRICTER,
            None,
            "200000000000000000000 log",
            "CN stricter by 200000000000000000000 log",
        ),
        (
            maximum(TOP, "log CFU/g", parameter="tvc"),
            maximum(TOP, "log CFU/kg", parameter="tvc"),
            V.CN_STRICTER,
            D(1000),
            "3 log",
            "CN stricter, 1000×",
        ),
        (
            minimum(TOP, "°C"),
            minimum(-TOP, "K"),
            V.KZ_STRICTER,
            None,
            "200000000000000000000 °C",
            "KZ stricter by 200000000000000000000 °C",
        ),
        (
            minimum(TOP, "years"),
            minimum(BOTTOM, "s"),
            V.KZ_STRICTER,
            D("3.15576e47"),
            "",
            "KZ stricter, 3.156×10^47×",
        ),
        # Against zero or a negative figure a fold is no ratio: none.
        (maximum(0), maximum(TOP), V.KZ_STRICTER, None, "", "KZ stricter"),
        (maximum(-TOP, "%"), maximum(BOTTOM, "%"), V.KZ_STRICTER, None, "", "KZ stricter"),
        (
            maximum(0, "°C"),
            maximum(BOTTOM, "°C"),
            V.KZ_STRICTER,
            None,
            "0.00000000000000000001 °C",
            "KZ stricter by 0.00000000000000000001 °C",
        ),
        # A fold too close to 1 to show: none, rather than "1×".
        (
            maximum("1.00000000000000000000001"),
            maximum(1),
            V.CN_STRICTER,
            None,
            "",
            "CN stricter",
        ),
        (
            maximum("1.00012345678"),
            maximum(1),
            V.CN_STRICTER,
            D("1.0001235"),
            "",
            "CN stricter, 1.0001235×",
        ),
    ],
)
def test_folds_and_differences_at_the_edges(kz, cn, verdict, fold, difference, label):
    result = compare_limits(kz, cn)
    assert (result.verdict, result.fold, result.difference) == (verdict, fold, difference)
    assert describe(result) == label
    swapped = compare_limits(cn, kz)
    assert (swapped.verdict, swapped.fold) == (SWAPPED[verdict], fold)


def test_the_finding_log_counts_29_apart():
    """≤ 30 log CFU/g against ≤ 1 log CFU/g: the comparison, its label and the mapping's
    label, as every page that lists the mapping shows them."""
    kz = LimitSpec("tvc", "maximum", D(30), unit="log CFU/g")
    cn = LimitSpec("tvc", "maximum", D(1), unit="log CFU/g")
    result = compare_limits(kz, cn)
    assert result.reason == (
        "China's maximum (≤ 1 log CFU/g) is 10^29× lower than Kazakhstan's (≤ 30 log CFU/g): "
        "China is stricter."
    )
    assert format_number(result.fold) == "10^29"
    sides = compare_sides([kz], [cn])
    assert (sides.verdict, sides.fold, describe(sides)) == (
        V.CN_STRICTER,
        D("1e29"),
        "CN stricter, 10^29×",
    )


def test_a_figure_converted_beyond_the_notation_is_shown_in_scientific_form():
    result = compare_limits(maximum(TOP, "pg/kg"), maximum(TOP, "kg/pg"))
    assert "≤ 100000000000000000000 kg/pg, i.e. 10^50 pg/kg" in result.reason
    assert describe(result) == "KZ stricter, 10^30×"


def test_a_log_count_whose_count_no_decimal_holds_is_not_comparable_and_says_why():
    result = compare_limits(
        maximum(TOP, "log CFU/g", parameter="tvc"), maximum(5, "CFU/g", parameter="tvc")
    )
    assert (result.verdict, result.code) == (V.NOT_COMPARABLE, "out_of_range")
    assert describe(result) == "Not comparable: out of range (log CFU/g vs CFU/g)"
    assert "100000000000000000000 log CFU/g cannot be expressed in CFU/g" in result.reason


def test_an_absence_against_a_maximum_at_the_edges():
    result = compare_limits(absent(TOP, parameter="s"), maximum(TOP, "CFU/g", parameter="s"))
    assert (result.verdict, result.fold) == (V.KZ_STRICTER, D("1e40"))
    assert "fewer than 0.00000000000000000001 CFU/g" in result.reason
    result = compare_limits(absent(TOP, parameter="s"), maximum(TOP, "CFU/pg", parameter="s"))
    assert "fewer than 10^-32 CFU/pg" in result.reason
    assert (
        compare_limits(absent(TOP, parameter="s"), maximum(0, "CFU/g", parameter="s")).fold is None
    )


def test_describe_sides_and_pairs():
    result = compare_sides([maximum(200, "Bq/kg", parameter="cs-137")], [])
    assert describe(result) == "Only Kazakhstan sets a limit"
    assert describe(result.pairs[0]) == "Only Kazakhstan sets a limit"
    assert describe(compare_sides([], [maximum("0.2")])) == "Only China sets a limit"


# --- compare_sides ---------------------------------------------------------------------

CORE_70 = minimum(70, "°C")
CORE_72 = minimum(72, "°C")
HOLD_30 = minimum(30, "min", parameter="holding-time")
HOLD_15 = minimum(15, "min", parameter="holding-time")

SIDES = [
    (
        "Cs-137: KZ ≤ 200 Bq/kg, no Chinese limit",
        [maximum(200, "Bq/kg", parameter="cs-137")],
        [],
        V.KZ_ONLY,
        None,
    ),
    (
        "a limit against an explicit “no limit” is stricter (a gap on the other side)",
        [no_limit("cs-137")],
        [maximum(200, "Bq/kg", parameter="cs-137")],
        V.CN_STRICTER,
        None,
    ),
    (
        "a lone “no limit” decides nothing next to a one-sided limit",
        [maximum(200, "Bq/kg", parameter="cs-137"), no_limit("sr-90")],
        [],
        V.KZ_ONLY,
        None,
    ),
    ("nothing on either side", [], [], V.NOT_COMPARABLE, None),
    (
        "each side limits something the other does not",
        [maximum(200, "Bq/kg", parameter="cs-137")],
        [maximum("0.2")],
        V.DIFFERENT,
        None,
    ),
    (
        "all pairs equivalent",
        [maximum("0.5"), maximum("0.05", parameter="cadmium")],
        [maximum("0.5"), maximum("50", "µg/kg", parameter="cadmium")],
        V.EQUIVALENT,
        None,
    ),
    (
        "one stricter pair, one equivalent: that pair's fold",
        [maximum("0.5"), maximum("0.05", parameter="cadmium")],
        [maximum("0.2"), maximum("0.05", parameter="cadmium")],
        V.CN_STRICTER,
        D("2.5"),
    ),
    (
        "two stricter pairs the same way: the smallest fold",
        [maximum("0.5"), maximum("0.1", parameter="cadmium")],
        [maximum("0.2"), maximum("0.05", parameter="cadmium")],
        V.CN_STRICTER,
        D(2),
    ),
    (
        "temperature and time pulling opposite ways",
        [CORE_70, HOLD_30],
        [CORE_72, HOLD_15],
        V.DIFFERENT,
        None,
    ),
    (
        "one-sided extras do not override the comparable verdict",
        [maximum("0.5")],
        [maximum("0.2"), maximum("0.5", matrix="offal")],
        V.CN_STRICTER,
        D("2.5"),
    ),
    (
        "NDMA+NDEA vs NDMA are paired and not comparable",
        [maximum(4, "µg/kg", parameter="ndma-ndea", family="nitrosamines")],
        [maximum(3, "µg/kg", parameter="ndma", family="nitrosamines")],
        V.NOT_COMPARABLE,
        None,
    ),
    (
        "a comparable pair outweighs a not-comparable one",
        [maximum("0.5"), maximum(4, "µg/kg", parameter="ndma-ndea", family="nitrosamines")],
        [maximum("0.2"), maximum(3, "µg/kg", parameter="ndma", family="nitrosamines")],
        V.CN_STRICTER,
        D("2.5"),
    ),
    (
        "overlapping ranges make the sides different",
        [range_(0, 7)],
        [range_(-2, 4)],
        V.DIFFERENT,
        None,
    ),
    (
        "no Kazakh core-temperature rule vs China's 70 °C for 30 min",
        [no_limit("core-temperature")],
        [CORE_70, HOLD_30],
        V.CN_STRICTER,
        None,
    ),
]


@pytest.mark.parametrize(
    ("kz", "cn", "verdict", "fold"), [case[1:] for case in SIDES], ids=[case[0] for case in SIDES]
)
def test_compare_sides(kz, cn, verdict, fold):
    result = compare_sides(kz, cn)
    assert isinstance(result, SidesComparison)
    assert (result.verdict, result.fold) == (verdict, fold)
    assert result.reason
    swapped = compare_sides(cn, kz)
    assert (swapped.verdict, swapped.fold) == (SWAPPED.get(verdict, verdict), fold)


def test_no_limits_code():
    assert compare_sides([], []).code == "no_limits"


def test_opposite_ways_names_the_parameters():
    result = compare_sides([CORE_70, HOLD_30], [CORE_72, HOLD_15])
    assert result.reason == (
        "The limits pull opposite ways: Kazakhstan is stricter on holding-time "
        "(KZ ≥ 30 min, CN ≥ 15 min); China is stricter on core-temperature "
        "(KZ ≥ 70 °C, CN ≥ 72 °C)."
    )
    assert describe(result) == (
        "Different: KZ stricter on holding-time, CN stricter on core-temperature"
    )
    assert [(pair.parameter, pair.result.verdict) for pair in result.pairs] == [
        ("core-temperature", V.CN_STRICTER),
        ("holding-time", V.KZ_STRICTER),
    ]


def test_one_sided_extras_are_listed():
    result = compare_sides([maximum("0.5")], [maximum("0.2"), maximum("0.5", matrix="offal")])
    assert result.reason.endswith("Also: only China sets lead (offal).")
    offal = result.pairs[1]
    assert (offal.parameter, offal.matrix, offal.kz, offal.result.verdict) == (
        "lead",
        "offal",
        None,
        V.CN_ONLY,
    )


def test_pairs_by_parameter_and_matrix():
    kz = [maximum("0.5", matrix="meat"), maximum("1", matrix="offal")]
    cn = [maximum("0.5", matrix="offal"), maximum("0.2", matrix="meat")]
    result = compare_sides(kz, cn)
    assert [(pair.matrix, pair.result.verdict) for pair in result.pairs] == [
        ("meat", V.CN_STRICTER),
        ("offal", V.CN_STRICTER),
    ]
    assert all(isinstance(pair, PairResult) for pair in result.pairs)


def test_empty_matrix_pairs_with_the_single_counterpart():
    result = compare_sides([maximum("0.5")], [maximum("0.2", matrix="meat")])
    assert len(result.pairs) == 1
    assert result.pairs[0].matrix == "meat"
    assert result.verdict == V.CN_STRICTER


def test_empty_matrix_applies_to_each_counterpart_when_there_are_several():
    result = compare_sides(
        [maximum("0.5")], [maximum("0.2", matrix="meat"), maximum("1", matrix="offal")]
    )
    assert [(pair.matrix, pair.result.verdict) for pair in result.pairs] == [
        ("meat", V.CN_STRICTER),
        ("offal", V.KZ_STRICTER),
    ]
    assert result.verdict == V.DIFFERENT


def test_only_not_comparable_pairs_give_the_first_reason():
    kz = [maximum("0.5", basis="fat basis")]
    cn = [maximum("0.5")]
    result = compare_sides(kz, cn)
    assert result.verdict == V.NOT_COMPARABLE
    assert result.reason == compare_limits(kz[0], cn[0]).reason


def test_limit_spec_from_limit():
    limit = SimpleNamespace(
        parameter=SimpleNamespace(key="tvc"),
        kind="maximum",
        value=D(10000),
        upper_value=None,
        unit="CFU/g",
        strict=False,
        basis="",
        plan_n=5,
        plan_c=2,
        plan_m=D(10000),
        plan_big_m=D(100000),
    )
    assert LimitSpec.from_limit(limit, matrix="meat") == LimitSpec(
        parameter="tvc",
        kind="maximum",
        value=D(10000),
        unit="CFU/g",
        matrix="meat",
        n=5,
        c=2,
        m=D(10000),
        big_m=D(100000),
    )


# --- Properties ------------------------------------------------------------------------

UNIT_GROUPS = {
    "mass fraction": ["mg/kg", "µg/kg", "ppm", "ppb", "g/kg", "mg/100 g", "%"],
    "temperature": ["°C", "°F", "K"],
    "time": ["s", "min", "h", "days"],
    "count": ["CFU/g", "CFU/kg", "log CFU/g"],
}
KINDS = ["maximum", "minimum", "range", "absent", "prohibited", "no_limit"]


def decimals(low, high, places=3):
    return st.decimals(
        min_value=D(low), max_value=D(high), places=places, allow_nan=False, allow_infinity=False
    )


@st.composite
def limit_specs(draw, group=None, parameter=None):
    group = group or draw(st.sampled_from(sorted(UNIT_GROUPS)))
    kind = draw(st.sampled_from(KINDS))
    common = {
        "parameter": parameter or draw(st.sampled_from(["p", "q"])),
        "basis": draw(st.sampled_from(["", "", "fat basis"])),
        "matrix": draw(st.sampled_from(["", "", "meat", "offal"])),
        "family": draw(st.sampled_from(["", "f"])),
    }
    if kind in ("prohibited", "no_limit"):
        return LimitSpec(kind=kind, **common)
    if kind == "absent":
        plan = {}
        if draw(st.booleans()):
            n = draw(st.integers(1, 10))
            plan = {"n": n, "c": draw(st.integers(0, n)), "m": D(0)}
        return LimitSpec(
            kind="absent",
            value=draw(decimals("0.001", 1000)),
            unit=draw(st.sampled_from(["g", "kg", "mL"])),
            **common,
            **plan,
        )
    unit = draw(st.sampled_from(UNIT_GROUPS[group]))
    if unit == "log CFU/g":
        figures = decimals(-2, 9)
    elif group == "temperature":
        figures = decimals(-50, 150)
    else:
        figures = decimals(0, 100000)
    value = draw(figures)
    if kind == "range":
        low, high = sorted([value, draw(figures)])
        return LimitSpec(kind="range", value=low, upper=high, unit=unit, **common)
    plan = {}
    if kind == "maximum" and draw(st.booleans()):
        n = draw(st.integers(1, 10))
        plan = {"n": n, "c": draw(st.integers(0, n)), "m": value, "big_m": value * 10}
    return LimitSpec(
        kind=kind, value=value, unit=unit, strict=draw(st.booleans()), **common, **plan
    )


@st.composite
def spec_pairs(draw):
    """Two limits mostly of one parameter and unit group, so that most pairs compare."""
    group = draw(st.sampled_from(sorted(UNIT_GROUPS)))
    parameter = draw(st.sampled_from(["p", None]))
    return draw(limit_specs(group, parameter)), draw(limit_specs(group, parameter))


@settings(max_examples=400, deadline=None)
@given(spec_pairs())
def test_swapping_sides_swaps_the_verdict_and_keeps_the_fold(pair):
    kz, cn = pair
    result, swapped = compare_limits(kz, cn), compare_limits(cn, kz)
    assert swapped.verdict == SWAPPED.get(result.verdict, result.verdict)
    assert swapped.fold == result.fold
    assert swapped.code == result.code


@settings(max_examples=300, deadline=None)
@given(limit_specs())
def test_a_limit_compared_with_itself_is_equivalent(limit):
    assert compare_limits(limit, limit).verdict == V.EQUIVALENT


@settings(max_examples=300, deadline=None)
@given(decimals("0.001", 100000), decimals("0.001", 100000), st.booleans(), st.booleans())
def test_a_unit_change_on_both_sides_leaves_the_verdict(kz_value, cn_value, kz_strict, cn_strict):
    def limit(value, unit, strict):
        return maximum(value, unit, strict=strict)

    in_mg = compare_limits(limit(kz_value, "mg/kg", kz_strict), limit(cn_value, "mg/kg", cn_strict))
    in_ug = compare_limits(
        limit(kz_value * 1000, "µg/kg", kz_strict), limit(cn_value * 1000, "µg/kg", cn_strict)
    )
    mixed = compare_limits(
        limit(kz_value, "mg/kg", kz_strict), limit(cn_value * 1000, "µg/kg", cn_strict)
    )
    assert in_mg.verdict == in_ug.verdict == mixed.verdict
    assert in_mg.fold == in_ug.fold == mixed.fold


@settings(max_examples=200, deadline=None)
@given(
    st.lists(limit_specs("mass fraction"), max_size=4),
    st.lists(limit_specs("mass fraction"), max_size=4),
)
def test_swapping_sides_of_a_mapping_swaps_the_verdict(kz, cn):
    result, swapped = compare_sides(kz, cn), compare_sides(cn, kz)
    assert swapped.verdict == SWAPPED.get(result.verdict, result.verdict)
    assert swapped.fold == result.fold
    assert len(swapped.pairs) == len(result.pairs)
