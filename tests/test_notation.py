"""limits.notation: reading limit notations back into typed limits."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from limits.notation import (
    NotationError,
    ParsedLimit,
    format_limit,
    format_parsed,
    parse_notation,
)

D = Decimal


def maximum(value, unit, **fields):
    return ParsedLimit(kind="maximum", value=D(value), unit=unit, **fields)


def minimum(value, unit, **fields):
    return ParsedLimit(kind="minimum", value=D(value), unit=unit, **fields)


def absent(quantity, unit="g", **fields):
    return ParsedLimit(kind="absent", value=D(quantity), unit=unit, **fields)


def range_(low, high, unit):
    return ParsedLimit(kind="range", value=D(low), upper=D(high), unit=unit)


PROHIBITED = ParsedLimit(kind="prohibited")
NO_LIMIT = ParsedLimit(kind="no_limit")

PARSED = [
    # Maxima
    ("≤ 0.5 mg/kg", [maximum("0.5", "mg/kg")]),
    ("<= 0.5 mg/kg", [maximum("0.5", "mg/kg")]),
    ("≤0.5mg/kg", [maximum("0.5", "mg/kg")]),
    ("< 7 °C", [maximum(7, "°C", strict=True)]),
    ("max 0.5 mg/kg", [maximum("0.5", "mg/kg")]),
    ("not more than 0.5 mg/kg", [maximum("0.5", "mg/kg")]),
    ("0.5 mg/kg max", [maximum("0.5", "mg/kg")]),
    ("не более 0,5 мг/кг", [maximum("0.5", "mg/kg")]),
    ("менее 0,01 мг/кг", [maximum("0.01", "mg/kg", strict=True)]),
    ("不超过0.2mg/kg", [maximum("0.2", "mg/kg")]),
    ("4℃以下", [maximum(4, "°C")]),
    ("≤ 5.0 μg/kg", [maximum(5, "µg/kg")]),
    ("≤ 0.001 ug/kg", [maximum("0.001", "µg/kg")]),
    ("≤ -18 °C", [maximum(-18, "°C")]),
    ("≤ 20 мг/100 г", [maximum(20, "mg/100 g")]),
    ("≤ 5 log CFU/g", [maximum(5, "log CFU/g")]),
    ("≤ 200 Бк/кг", [maximum(200, "Bq/kg")]),
    ("0.5 mg kg-1", [maximum("0.5", "mg/kg")]),
    # Counts with powers of ten; a bare figure is a maximum
    ("<=1x10^3 CFU/g", [maximum(1000, "CFU/g")]),
    ("1×10⁵ КОЕ/г", [maximum(100000, "CFU/g")]),
    ("1*10^4 CFU/g", [maximum(10000, "CFU/g")]),
    ("5·10^3 CFU/g", [maximum(5000, "CFU/g")]),
    ("1·10^3 CFU/g", [maximum(1000, "CFU/g")]),
    ("1.0E+05 CFU/g", [maximum(100000, "CFU/g")]),
    ("1e-3 mg/kg", [maximum("0.001", "mg/kg")]),
    ("10^4 CFU/g", [maximum(10000, "CFU/g")]),
    ("10⁴ CFU/g", [maximum(10000, "CFU/g")]),
    ("2,5×10⁻³ mg/kg", [maximum("0.0025", "mg/kg")]),
    ("1 000 CFU/g", [maximum(1000, "CFU/g")]),
    # Minima
    ("≥70 °C", [minimum(70, "°C")]),
    (">= 30 min", [minimum(30, "min")]),
    ("> 72 °C", [minimum(72, "°C", strict=True)]),
    ("не менее 70 °С", [minimum(70, "°C")]),
    ("at least 15 s", [minimum(15, "s")]),
    ("不低于70℃", [minimum(70, "°C")]),
    # Absence in a quantity
    ("not detected in 25 g", [absent(25)]),
    ("absent in 25 g", [absent(25)]),
    ("Not detected in 25g", [absent(25)]),
    ("не допускается в 25 г", [absent(25)]),
    ("не допускаются в 25 г продукта", [absent(25)]),
    ("не обнаружено в 0,1 г", [absent("0.1")]),
    ("не обнаружены в 1 г", [absent(1)]),
    ("不得检出/25g", [absent(25)]),
    ("不得检出（25g）", [absent(25)]),
    ("不得检出(/25g)", [absent(25)]),
    ("25g中不得检出", [absent(25)]),
    ("not detected in 25 mL", [absent(25, "mL")]),
    # Sampling plans
    (
        "n=5, c=2, m=10^4, M=10^5 CFU/g",
        [maximum(10000, "CFU/g", n=5, c=2, m=D(10000), big_m=D(100000))],
    ),
    (
        "n=5, c=1, m=100 CFU/g, M=1000 CFU/g",
        [maximum(100, "CFU/g", n=5, c=1, m=D(100), big_m=D(1000))],
    ),
    ("n=5, c=0, m=0/25 g", [absent(25, n=5, c=0, m=D(0))]),
    ("n=5 c=0 m=0/25g", [absent(25, n=5, c=0, m=D(0))]),
    ("n=5, c=0, m=0/25 g, M=-", [absent(25, n=5, c=0, m=D(0))]),
    (
        "≤ 10000 CFU/g (n=5, c=2, m=10000, M=100000)",
        [maximum(10000, "CFU/g", n=5, c=2, m=D(10000), big_m=D(100000))],
    ),
    ("not detected in 25 g (n=5, c=0, m=0)", [absent(25, n=5, c=0, m=D(0))]),
    ("not detected in 25 g; n=5, c=0", [absent(25, n=5, c=0)]),
    # Temperature and time together
    ("≥70 °C for ≥30 min", [minimum(70, "°C"), minimum(30, "min")]),
    ("≥ 70 °C, ≥ 30 min", [minimum(70, "°C"), minimum(30, "min")]),
    ("≥ 72 °C; ≥ 15 s", [minimum(72, "°C"), minimum(15, "s")]),
    ("70 °C for 30 min", [minimum(70, "°C"), minimum(30, "min")]),
    ("30 min at 70 °C", [minimum(70, "°C"), minimum(30, "min")]),
    ("не менее 70 °C в течение не менее 30 мин", [minimum(70, "°C"), minimum(30, "min")]),
    # Ranges
    ("−1.5…+4 °C", [range_("-1.5", 4, "°C")]),
    ("-1.5...+4 °C", [range_("-1.5", 4, "°C")]),
    ("-1.5 … 4 °C", [range_("-1.5", 4, "°C")]),
    ("-1.5 °C … 4 °C", [range_("-1.5", 4, "°C")]),
    ("0–4 °C", [range_(0, 4, "°C")]),
    ("0 - 4 °C", [range_(0, 4, "°C")]),
    ("от 0 до 4 °C", [range_(0, 4, "°C")]),
    ("from 0 to 4 °C", [range_(0, 4, "°C")]),
    ("0~4℃", [range_(0, 4, "°C")]),
    ("0℃～4℃", [range_(0, 4, "°C")]),
    ("-25 … -18 °C", [range_(-25, -18, "°C")]),
    # Prohibited
    ("prohibited", [PROHIBITED]),
    ("Prohibited", [PROHIBITED]),
    ("banned", [PROHIBITED]),
    ("not permitted", [PROHIBITED]),
    ("запрещено", [PROHIBITED]),
    ("не допускается", [PROHIBITED]),
    ("禁止使用", [PROHIBITED]),
    ("不得使用", [PROHIBITED]),
    # No limit
    ("no limit", [NO_LIMIT]),
    ("no limit set", [NO_LIMIT]),
    ("not set", [NO_LIMIT]),
    ("не установлен", [NO_LIMIT]),
    ("не нормируется", [NO_LIMIT]),
    ("未规定", [NO_LIMIT]),
]


@pytest.mark.parametrize(("text", "expected"), PARSED, ids=[text for text, _ in PARSED])
def test_parse_notation(text, expected):
    assert parse_notation(text) == expected


@pytest.mark.parametrize(("text", "expected"), PARSED, ids=[text for text, _ in PARSED])
def test_parse_format_parse_is_stable(text, expected):
    formatted = " for ".join(format_parsed(limit) for limit in parse_notation(text))
    assert parse_notation(formatted) == expected
    assert " for ".join(format_parsed(limit) for limit in parse_notation(formatted)) == formatted


ERRORS = [
    ("", "empty"),
    ("   ", "empty"),
    ("hello", "unrecognised"),
    ("≤ mg/kg", "no_number"),
    ("max", "no_number"),
    ("not detected", "no_number"),
    ("不得检出", "no_number"),
    ("≤ 0.5", "missing_unit"),
    ("0.5", "missing_unit"),
    ("not detected in 25", "missing_unit"),
    ("≤ 0.5 mg/kgg", "unknown_unit"),
    ("≤ 0.5 furlongs", "unknown_unit"),
    ("0.5.5 mg/kg", "bad_number"),
    ("1,000 mg/kg", "bad_number"),  # thousands or decimal comma? not guessed
    ("1×10^ CFU/g", "bad_number"),
    ("1e99 mg/kg", "bad_number"),
    ("≤ 123456789012345678901234567 mg/kg", "bad_number"),
    ("not detected in 0 g", "bad_number"),
    ("4…0 °C", "bad_range"),
    ("от 10 до 2 °C", "bad_range"),
    ("0 °C … 4 °F", "bad_range"),
    ("n=5, c=6, m=10 CFU/g", "bad_plan"),
    ("n=0, c=0, m=0/25 g", "bad_plan"),
    ("n=5, c=2, m=10^5, M=10^4 CFU/g", "bad_plan"),
    ("c=1, m=10 CFU/g", "bad_plan"),
    ("n=5, c=1", "bad_plan"),
    ("n=5, n=3, m=10 CFU/g", "bad_plan"),
    ("n=5, c=0, m=1/25 g", "bad_plan"),
    ("≤ 100 CFU/g (n=5, c=2, m=10)", "bad_plan"),
    ("≥ 70 °C (n=5, c=0)", "bad_plan"),
    ("n=5, c=2, m=10^4", "missing_unit"),
    ("≥70 °C for ≥30 mg/kg", "unrecognised"),
    ("≤ 0.5 mg/kg, ≥ 30 min", "unrecognised"),  # only a temperature goes with a time
    ("≥ 70 °C for ≥ 30 min for ≥ 2 h", "unknown_unit"),
    ("x" * 400, "too_long"),
]


@pytest.mark.parametrize(("text", "code"), ERRORS, ids=[text[:40] for text, _ in ERRORS])
def test_parse_errors(text, code):
    with pytest.raises(NotationError) as caught:
        parse_notation(text)
    assert caught.value.code == code
    assert caught.value.message
    assert str(caught.value) == caught.value.message


def test_unknown_unit_error_names_the_part_and_the_expected_units():
    with pytest.raises(NotationError) as caught:
        parse_notation("≤ 0.5 mg/kgg")
    error = caught.value
    assert error.part == "mg/kgg"
    assert error.message == "“mg/kgg” is not a unit I know; expected e.g. mg/kg, µg/kg, CFU/g, °C"


def test_plan_error_names_the_plan():
    with pytest.raises(NotationError) as caught:
        parse_notation("n=5, c=6, m=10 CFU/g")
    assert "c" in caught.value.message and "n" in caught.value.message
    assert caught.value.part == "n=5, c=6, m=10 CFU/g"


def test_non_text_is_a_notation_error():
    with pytest.raises(NotationError):
        parse_notation(None)


@pytest.mark.parametrize(
    ("parsed", "text"),
    [
        (maximum("0.5", "mg/kg"), "≤ 0.5 mg/kg"),
        (maximum(7, "°C", strict=True), "< 7 °C"),
        (minimum(70, "°C"), "≥ 70 °C"),
        (range_("-1.5", 4, "°C"), "-1.5 … 4 °C"),
        (absent(25), "not detected in 25 g"),
        (
            maximum(10000, "CFU/g", n=5, c=2, m=D(10000), big_m=D(100000)),
            "≤ 10000 CFU/g (n=5, c=2, m=10000, M=100000)",
        ),
        (absent(25, n=5, c=0, m=D(0)), "not detected in 25 g (n=5, c=0, m=0)"),
        (PROHIBITED, "prohibited"),
        (NO_LIMIT, "no limit set"),
    ],
)
def test_format_parsed(parsed, text):
    assert format_parsed(parsed) == text


def test_format_parsed_matches_format_limit():
    parsed = maximum("0.0003", "mg/kg", n=5, c=1, m=D("0.0003"))
    limit = SimpleNamespace(
        kind="maximum",
        value=D("0.0003"),
        upper_value=None,
        unit="mg/kg",
        strict=False,
        basis="",
        qualifier="",
        plan_n=5,
        plan_c=1,
        plan_m=D("0.0003"),
        plan_big_m=None,
    )
    assert format_parsed(parsed) == format_limit(limit)


# --- Properties ------------------------------------------------------------------------


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_fuzz_only_notation_errors(text):
    try:
        result = parse_notation(text)
    except NotationError as error:
        assert error.code and error.message
    else:
        assert 1 <= len(result) <= 2
        assert all(isinstance(item, ParsedLimit) for item in result)


notation_pieces = st.sampled_from(
    [
        "≤",
        "<",
        ">=",
        "не более",
        "не допускается в",
        "not detected in",
        "不得检出",
        "n=",
        "c=",
        "m=",
        "M=",
        ", ",
        " for ",
        "…",
        "-",
        "−",
        "~",
        "от ",
        " до ",
        "0",
        "5",
        "0,5",
        "1.5",
        "10^",
        "×10⁵",
        "e+05",
        " ",
        "mg/kg",
        "°C",
        "℃",
        "min",
        "CFU/g",
        "КОЕ/г",
        "/25 g",
        " g",
        "(",
        ")",
        "log ",
    ]
)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(notation_pieces, max_size=10).map("".join))
def test_fuzz_notation_like_text_only_notation_errors(text):
    try:
        result = parse_notation(text)
    except NotationError:
        return
    # Whatever parses also survives formatting and parsing again.
    formatted = " for ".join(format_parsed(limit) for limit in result)
    assert parse_notation(formatted) == result


UNITS = [
    "mg/kg",
    "µg/kg",
    "CFU/g",
    "Bq/kg",
    "°C",
    "°F",
    "K",
    "mg/100 g",
    "min",
    "h",
    "s",
    "months",
    "%",
    "log CFU/g",
    "g/kg",
    "index",
    "pH",
    "CFU/cm²",
    "ppm",
]
# "+ 0" turns a negative zero, which format_number writes as "-0", into 0.
figures = st.decimals(
    min_value=D("-1e9"), max_value=D("1e9"), places=4, allow_nan=False, allow_infinity=False
).map(lambda figure: figure + 0)
positive = st.decimals(
    min_value=D("0.0001"), max_value=D("1e6"), places=4, allow_nan=False, allow_infinity=False
)


@st.composite
def parsed_limits(draw):
    kind = draw(
        st.sampled_from(["maximum", "minimum", "range", "absent", "prohibited", "no_limit"])
    )
    if kind in ("prohibited", "no_limit"):
        return ParsedLimit(kind=kind)
    if kind == "absent":
        quantity = draw(positive)
        unit = draw(st.sampled_from(["g", "kg", "mL", "cm²"]))
        plan = {}
        if draw(st.booleans()):
            n = draw(st.integers(1, 20))
            plan = {"n": n, "c": draw(st.integers(0, n)), "m": draw(st.sampled_from([None, D(0)]))}
        return ParsedLimit(kind="absent", value=quantity, unit=unit, **plan)
    unit = draw(st.sampled_from(UNITS))
    value = draw(figures)
    if kind == "range":
        upper = draw(figures)
        low, high = sorted([value, upper])
        return ParsedLimit(kind="range", value=low, upper=high, unit=unit)
    plan = {}
    if kind == "maximum" and draw(st.booleans()):
        n = draw(st.integers(1, 20))
        m = draw(st.sampled_from([None, value]))
        big_m = draw(
            st.one_of(
                st.none(),
                st.decimals(
                    min_value=value, max_value=D("1e10"), allow_nan=False, allow_infinity=False
                ),
            )
        )
        if big_m is not None:
            big_m = big_m.quantize(D("0.01")) + 0
        if big_m is not None and m is not None and big_m < m:
            big_m = None
        plan = {"n": n, "c": draw(st.integers(0, n)), "m": m, "big_m": big_m}
    return ParsedLimit(kind=kind, value=value, unit=unit, strict=draw(st.booleans()), **plan)


@settings(max_examples=500, deadline=None)
@given(parsed_limits())
def test_format_then_parse_gives_the_limit_back(limit):
    text = format_parsed(limit)
    assert parse_notation(text) == [limit]
    assert format_parsed(parse_notation(text)[0]) == text
