"""limits.units: spelling of units, exact Decimal conversion, offsets, log counts."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from limits import units
from limits.units import UnitError, convert, is_offset, normalise_unit

D = Decimal


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("µg/kg", "µg/kg"),  # micro sign U+00B5
        ("μg/kg", "µg/kg"),  # Greek mu U+03BC
        ("ug/kg", "µg/kg"),
        ("mcg/kg", "µg/kg"),
        ("мкг/кг", "µg/kg"),
        ("mg/kg", "mg/kg"),
        ("мг/кг", "mg/kg"),
        ("MG/KG", "mg/kg"),
        ("mg / kg", "mg/kg"),
        ("mg·kg⁻¹", "mg/kg"),
        ("毫克/千克", "mg/kg"),
        ("g/kg", "g/kg"),
        ("CFU/g", "CFU/g"),
        ("cfu/g", "CFU/g"),
        ("КОЕ/г", "CFU/g"),
        ("CFU/ml", "CFU/mL"),
        ("КОЕ/см²", "CFU/cm²"),
        ("CFU/cm2", "CFU/cm²"),
        ("MPN/g", "MPN/g"),
        ("Bq/kg", "Bq/kg"),
        ("Бк/кг", "Bq/kg"),
        ("°C", "°C"),
        ("℃", "°C"),
        ("C", "°C"),
        ("degC", "°C"),
        ("°С", "°C"),  # Cyrillic С
        ("ºC", "°C"),  # masculine ordinal instead of the degree sign
        ("°F", "°F"),
        ("℉", "°F"),
        ("K", "K"),
        ("min", "min"),
        ("мин", "min"),
        ("minutes", "min"),
        ("分钟", "min"),
        ("h", "h"),
        ("ч", "h"),
        ("hours", "h"),
        ("s", "s"),
        ("с", "s"),  # Cyrillic с: seconds
        ("sec", "s"),
        ("g", "g"),
        ("г", "g"),
        ("克", "g"),
        ("kg", "kg"),
        ("mL", "mL"),
        ("mg/100 g", "mg/100 g"),
        ("mg/100g", "mg/100 g"),
        ("мг/100 г", "mg/100 g"),
        ("months", "months"),
        ("month", "months"),
        ("мес", "months"),
        ("个月", "months"),
        ("years", "years"),
        ("%", "%"),
        ("percent", "%"),
        ("ppm", "ppm"),
        ("ppb", "ppb"),
        ("index", "index"),
        ("pH", "pH"),
        ("log CFU/g", "log CFU/g"),
        ("lg КОЕ/г", "log CFU/g"),
        ("log10 cfu/g", "log CFU/g"),
        ("  CFU / g  ", "CFU/g"),
    ],
)
def test_normalise_unit(text, canonical):
    assert normalise_unit(text) == canonical
    assert normalise_unit(canonical) == canonical


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("mg/kgg", "unknown_unit"),
        ("furlongs", "unknown_unit"),
        ("log mg/kg", "unknown_unit"),  # only counts have a log scale
        ("M", "unknown_unit"),  # minute? month? metre? — not guessed
        ("mg/0 g", "unknown_unit"),
        ("", "missing_unit"),
        ("   ", "missing_unit"),
        ("x" * 500, "unknown_unit"),
    ],
)
def test_normalise_unit_errors(text, code):
    with pytest.raises(UnitError) as caught:
        normalise_unit(text)
    assert caught.value.code == code
    assert caught.value.message


def test_unknown_unit_message_names_the_text_and_examples():
    with pytest.raises(UnitError) as caught:
        normalise_unit("mg/kgg")
    assert caught.value.message == (
        "“mg/kgg” is not a unit I know; expected e.g. mg/kg, µg/kg, CFU/g, °C"
    )
    assert str(caught.value) == caught.value.message


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        ("0.001", "mg/kg", "µg/kg", "1"),
        ("5.0", "µg/kg", "mg/kg", "0.005"),
        ("1", "ppm", "mg/kg", "1"),
        ("1", "ppm", "µg/kg", "1000"),
        ("3", "ppb", "µg/kg", "3"),
        ("250", "ppb", "mg/kg", "0.25"),
        ("20", "mg/100 g", "mg/kg", "200"),
        ("150", "mg/kg", "mg/100 g", "15"),
        ("5", "%", "g/kg", "50"),
        ("5", "g/kg", "mg/kg", "5000"),
        ("70", "°C", "°F", "158"),
        ("158", "°F", "°C", "70"),
        ("-40", "°F", "°C", "-40"),
        ("4", "°C", "K", "277.15"),
        ("0", "K", "°C", "-273.15"),
        ("2", "h", "min", "120"),
        ("30", "min", "h", "0.5"),
        ("90", "s", "min", "1.5"),
        ("1", "h", "s", "3600"),
        ("5", "log CFU/g", "CFU/g", "100000"),
        ("100000", "CFU/g", "log CFU/g", "5"),
        ("2", "log CFU/g", "log CFU/kg", "5"),
        ("1000", "CFU/kg", "CFU/g", "1"),
        ("10", "CFU/mL", "CFU/L", "10000"),
        ("200", "Bq/kg", "Bq/g", "0.2"),
        ("7", "mg/kg", "mg/kg", "7"),
    ],
)
def test_convert(value, source, target, expected):
    result = convert(D(value), source, target)
    assert isinstance(result, Decimal)
    assert result == D(expected)


def test_convert_is_exact_for_decimal_factors():
    assert convert(D("0.000003"), "mg/kg", "µg/kg") == D("0.003")
    assert str(convert(D("0.001"), "mg/kg", "µg/kg")) == "1"
    assert str(convert(D("1"), "ppm", "µg/kg")) == "1000"  # no exponent notation


def test_convert_inexact_factor_is_close():
    assert abs(convert(D(40), "°F", "°C") - D("4.444444444444444444444444444444444")) < D("1e-32")
    assert abs(convert(D(7), "min", "h") - D("0.1166666666666666666666666666666667")) < D("1e-32")


def test_offset_units_are_converted_as_temperatures_not_differences():
    # 0 °C is 273.15 K, not 0 K: the offset is applied.
    assert convert(D(0), "°C", "K") == D("273.15")
    assert convert(D(0), "°C", "°F") == D(32)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("mg/kg", "°C"),
        ("CFU/g", "mg/kg"),
        ("CFU/g", "MPN/g"),  # different counting methods
        ("Bq/kg", "mg/kg"),
        ("min", "°C"),
        ("index", "mg/kg"),  # a dimensionless index is no mass fraction
        ("pH", "index"),
        ("g", "mL"),
        ("log CFU/g", "mg/kg"),
    ],
)
def test_convert_incompatible(source, target):
    with pytest.raises(UnitError) as caught:
        convert(D(1), source, target)
    assert caught.value.code == "incompatible_units"


def test_convert_unknown_unit():
    with pytest.raises(UnitError) as caught:
        convert(D(1), "mg/kgg", "mg/kg")
    assert caught.value.code == "unknown_unit"


def test_log_of_zero_is_an_error():
    with pytest.raises(UnitError) as caught:
        convert(D(0), "CFU/g", "log CFU/g")
    assert caught.value.code == "invalid_value"


def test_convert_accepts_int_and_str():
    assert convert(2, "h", "min") == 120
    assert convert("0.5", "mg/kg", "µg/kg") == 500


@pytest.mark.parametrize(
    ("unit", "offset", "temperature", "time", "log"),
    [
        ("°C", True, True, False, False),
        ("℃", True, True, False, False),
        ("°F", True, True, False, False),
        ("K", False, True, False, False),
        ("mg/kg", False, False, False, False),
        ("min", False, False, True, False),
        ("months", False, False, True, False),
        ("log CFU/g", False, False, False, True),
    ],
)
def test_unit_predicates(unit, offset, temperature, time, log):
    assert is_offset(unit) is offset
    assert units.is_temperature(unit) is temperature
    assert units.is_time(unit) is time
    assert units.is_log(unit) is log


@pytest.mark.parametrize(
    ("quantity", "quantity_unit", "density_unit", "expected"),
    [
        ("25", "g", "CFU/g", "0.04"),
        ("1", "g", "CFU/g", "1"),
        ("0.1", "g", "CFU/g", "10"),
        ("25", "g", "CFU/kg", "40"),
        ("1", "g", "log CFU/g", "0"),
        ("25", "mL", "CFU/mL", "0.04"),
    ],
)
def test_one_per(quantity, quantity_unit, density_unit, expected):
    assert units.one_per(D(quantity), quantity_unit, density_unit) == D(expected)


@pytest.mark.parametrize(
    ("quantity_unit", "density_unit"), [("g", "mg/kg"), ("g", "CFU/mL"), ("°C", "CFU/g")]
)
def test_one_per_incompatible(quantity_unit, density_unit):
    with pytest.raises(UnitError) as caught:
        units.one_per(D(25), quantity_unit, density_unit)
    assert caught.value.code == "incompatible_units"


def test_registry_has_the_domain_units():
    ureg = units.ureg
    assert ureg.Quantity(D(1), "CFU").dimensionality == ureg.Quantity(D(1), "cfu").dimensionality
    assert str(ureg.Quantity(D(1), "CFU").dimensionality) == "[colony_forming_unit]"
    assert ureg.Quantity(D(1), "ppb").to("microgram/kilogram").magnitude == 1
    assert ureg.Quantity(D(1), "index").dimensionless
    assert ureg.Quantity(D(1), "becquerel/kilogram").check("1/[time]/[mass]")


# --- Properties ------------------------------------------------------------------------

# Figures as the portal stores them: at most 24 digits, 12 of them decimals.
figures = st.decimals(
    min_value=D("-1e11"), max_value=D("1e11"), places=6, allow_nan=False, allow_infinity=False
)
positive_figures = st.decimals(
    min_value=D("0.000001"), max_value=D("1e11"), places=6, allow_nan=False, allow_infinity=False
)

COMPATIBLE = [
    ("mg/kg", "µg/kg"),
    ("mg/kg", "ppm"),
    ("µg/kg", "ppb"),
    ("mg/100 g", "mg/kg"),
    ("%", "g/kg"),
    ("%", "mg/kg"),
    ("°C", "°F"),
    ("°C", "K"),
    ("°F", "K"),
    ("min", "h"),
    ("s", "min"),
    ("s", "h"),
    ("days", "h"),
    ("CFU/g", "CFU/kg"),
    ("CFU/mL", "CFU/L"),
    ("Bq/kg", "Bq/g"),
]


@given(st.sampled_from(COMPATIBLE), figures, st.booleans())
def test_round_trip_returns_the_original(pair, value, reverse):
    source, target = reversed(pair) if reverse else pair
    assert convert(convert(value, source, target), target, source) == value


@given(positive_figures)
def test_log_round_trip(value):
    assert convert(convert(value, "CFU/g", "log CFU/g"), "log CFU/g", "CFU/g") == value


@given(figures)
def test_decimal_factors_are_exact(value):
    assert convert(value, "mg/kg", "µg/kg") == value * 1000
    assert convert(value, "h", "min") == value * 60
    assert convert(value, "°C", "K") == value + D("273.15")
