"""Units of the limits the portal compares: spelling, dimensions and exact conversion.

A module-level pint registry with Decimal magnitudes, extended for the domain: colony-forming
units (CFU) and most probable number (MPN) as dimensions of their own, ppb next to ppm, and
a dimensionless "index". "log CFU/g" is not a pint unit: it is the base-10 logarithm of a
count per quantity and is converted explicitly.

Units are identified by the canonical spelling the portal shows ("µg/kg", "CFU/g", "°C",
"mg/100 g"); `normalise_unit` maps what staff type and what the sources print onto it.
Temperatures are offset units: they are always built as Quantity(value, unit), never by
multiplication.

No Django imports.
"""

import re
import unicodedata
from decimal import Context, Decimal, DecimalException, localcontext
from functools import lru_cache

import pint

__all__ = [
    "CANONICAL_EXAMPLES",
    "SUPERSCRIPTS",
    "SUPERSCRIPT_DIGITS",
    "UnitError",
    "convert",
    "is_log",
    "is_offset",
    "is_temperature",
    "is_time",
    "normalise_unit",
    "one_per",
    "ureg",
]

# Conversions run with WORKING_DIGITS digits; results are rounded to RESULT_DIGITS
# significant digits, or to SNAP_DIGITS where that changes them by less than SNAP_TOLERANCE
# (relative), so that a value converted there and back (A → B → A) comes back exactly as it
# was even where a factor is not a finite decimal (°F, minutes to hours).
WORKING_DIGITS = 60
RESULT_DIGITS = 34
SNAP_DIGITS = 28
SNAP_TOLERANCE = Decimal("1e-31")

CANONICAL_EXAMPLES = "mg/kg, µg/kg, CFU/g, °C"


class UnitError(Exception):
    """A unit that is unknown, or two units that cannot be converted into each other."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self):
        return f"UnitError(code={self.code!r}, message={self.message!r})"


def _build_registry():
    with localcontext() as ctx:
        ctx.prec = WORKING_DIGITS
        registry = pint.UnitRegistry(non_int_type=Decimal, autoconvert_offset_to_baseunit=False)
        registry.define("colony_forming_unit = [colony_forming_unit] = CFU = cfu")
        registry.define("most_probable_number = [most_probable_number] = MPN")
        registry.define("parts_per_billion = 1e-9 = ppb")
        registry.define("index = [] = idx")
    return registry


ureg = _build_registry()

# --- Spelling --------------------------------------------------------------------------

# Canonical building blocks of a ratio unit and the pint unit each stands for.
_MASS = {"kg": "kilogram", "g": "gram", "mg": "milligram", "µg": "microgram"}
_MASS |= {"ng": "nanogram", "pg": "picogram"}
_VOLUME = {"L": "liter", "mL": "milliliter"}
_AREA = {"cm²": "centimeter ** 2", "m²": "meter ** 2"}
_COUNT = {"CFU": "colony_forming_unit", "MPN": "most_probable_number"}
_ACTIVITY = {"Bq": "becquerel"}
_NUMERATORS = _MASS | _COUNT | _ACTIVITY
_DENOMINATORS = _MASS | _VOLUME | _AREA

# Spellings of the building blocks, case-folded, with "µ" already written as U+00B5.
_TOKEN_ALIASES = {
    "kg": "kg",
    "кг": "kg",
    "千克": "kg",
    "公斤": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "g": "g",
    "г": "g",
    "гр": "g",
    "克": "g",
    "gram": "g",
    "grams": "g",
    "mg": "mg",
    "мг": "mg",
    "毫克": "mg",
    "µg": "µg",
    "ug": "µg",
    "mcg": "µg",
    "мкг": "µg",
    "微克": "µg",
    "ng": "ng",
    "нг": "ng",
    "纳克": "ng",
    "pg": "pg",
    "пг": "pg",
    "皮克": "pg",
    "l": "L",
    "л": "L",
    "升": "L",
    "ml": "mL",
    "мл": "mL",
    "毫升": "mL",
    "cm²": "cm²",
    "cm2": "cm²",
    "cm^2": "cm²",
    "см²": "cm²",
    "см2": "cm²",
    "см^2": "cm²",
    "平方厘米": "cm²",
    "m²": "m²",
    "m2": "m²",
    "m^2": "m²",
    "м²": "m²",
    "м2": "m²",
    "cfu": "CFU",
    "кое": "CFU",
    "mpn": "MPN",
    "нвч": "MPN",
    "bq": "Bq",
    "бк": "Bq",
    "贝可": "Bq",
    "贝克": "Bq",
}

# Whole units outside the ratios: canonical spelling → pint unit.
_SIMPLE = (
    {
        "°C": "degree_Celsius",
        "°F": "degree_Fahrenheit",
        "K": "kelvin",
        "s": "second",
        "min": "minute",
        "h": "hour",
        "days": "day",
        "months": "month",
        "years": "year",
        "%": "percent",
        "ppm": "ppm",
        "ppb": "ppb",
        "index": "index",
        "pH": "index",
    }
    | _NUMERATORS
    | _DENOMINATORS
)

# Units that are numbers on a scale of their own: they convert only into themselves.
_OWN_SCALE = {"index", "pH"}

# Exact spellings (case matters: "C" is Celsius, "s" a second, "K" kelvin).
_EXACT_ALIASES = {
    "°C": "°C",
    "° C": "°C",
    "ºC": "°C",
    "oC": "°C",  # NFKC turns the masculine ordinal º into "o"
    "℃": "°C",
    "C": "°C",
    "°С": "°C",  # Cyrillic С
    "ºС": "°C",
    "degC": "°C",
    "deg C": "°C",
    "°F": "°F",
    "ºF": "°F",
    "oF": "°F",
    "℉": "°F",
    "F": "°F",
    "degF": "°F",
    "K": "K",
    "s": "s",
    "с": "s",
    "h": "h",
    "ч": "h",
    "%": "%",
    "pH": "pH",
}

# Spellings compared case-folded.
_FOLDED_ALIASES = {
    "degree celsius": "°C",
    "degrees celsius": "°C",
    "celsius": "°C",
    "градус": "°C",
    "градусов": "°C",
    "degree fahrenheit": "°F",
    "degrees fahrenheit": "°F",
    "kelvin": "K",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "сек": "s",
    "秒": "s",
    "min": "min",
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "мин": "min",
    "минут": "min",
    "минуты": "min",
    "分钟": "min",
    "分": "min",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "час": "h",
    "часа": "h",
    "часов": "h",
    "小时": "h",
    "d": "days",
    "day": "days",
    "days": "days",
    "сут": "days",
    "сутки": "days",
    "суток": "days",
    "день": "days",
    "дня": "days",
    "дней": "days",
    "天": "days",
    "日": "days",
    "month": "months",
    "months": "months",
    "мес": "months",
    "месяц": "months",
    "месяца": "months",
    "месяцев": "months",
    "个月": "months",
    "月": "months",
    "year": "years",
    "years": "years",
    "yr": "years",
    "yrs": "years",
    "год": "years",
    "года": "years",
    "лет": "years",
    "年": "years",
    "percent": "%",
    "per cent": "%",
    "процент": "%",
    "процентов": "%",
    "ppm": "ppm",
    "ppb": "ppb",
    "index": "index",
    "индекс": "index",
    "ph": "pH",
}

# Superscript digits and signs ("10⁵", "m⁻¹") and their plain forms.
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺"
SUPERSCRIPT_DIGITS = str.maketrans(SUPERSCRIPTS, "0123456789-+")
_SUPERSCRIPT_RUN = re.compile(f"[{SUPERSCRIPTS}]+")
_LOG_PREFIX = re.compile(r"^(?:log10|log|lg)\s*(?=\S)", re.IGNORECASE)
_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(.*)$")
_NEGATIVE_POWER = re.compile(r"^(\S+?)\s*[·.\s*]\s*(\S+?)\^?-1$")
_MAX_UNIT_LENGTH = 60


def _superscripts(text):
    def replace(match):
        run = match.group(0)
        digits = run.translate(SUPERSCRIPT_DIGITS)
        return digits if run in ("²", "³") else "^" + digits

    return _SUPERSCRIPT_RUN.sub(replace, text)


def _clean(text):
    text = _superscripts(text)
    # NFKC: full-width forms, "℃", ligatures; it turns µ (U+00B5) into μ (U+03BC).
    text = unicodedata.normalize("NFKC", text).replace("μ", "µ")
    text = text.replace("^2", "²") if re.search(r"(?:cm|см|m|м)\^2\b", text) else text
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s*/\s*", "/", text)
    text = re.sub(r"\s+per\s+", "/", text, flags=re.IGNORECASE)
    return text


def _token(text):
    return _TOKEN_ALIASES.get(text.casefold().replace("μ", "µ"))


def _denominator(text):
    """'kg' → 'kg'; '100 g' / '100g' → '100 g'; None when not a denominator."""
    match = _NUMBER.match(text)
    number = ""
    if match:
        number, text = match.group(1).replace(",", "."), match.group(2)
        if Decimal(number) <= 0:
            return None
        number = format(_plain(Decimal(number)), "f") + " "
    unit = _token(text)
    if unit not in _DENOMINATORS:
        return None
    if number == "1 ":
        number = ""
    return number + unit


def _ratio(text):
    if text.count("/") != 1:
        match = _NEGATIVE_POWER.match(text)
        if not match:
            return None
        text = f"{match.group(1)}/{match.group(2)}"
    numerator, denominator = text.split("/")
    numerator = _token(numerator)
    denominator = _denominator(denominator)
    if numerator not in _NUMERATORS or denominator is None:
        return None
    return f"{numerator}/{denominator}"


def _unknown(text):
    return UnitError(
        "unknown_unit",
        f"“{text}” is not a unit I know; expected e.g. {CANONICAL_EXAMPLES}",
    )


@lru_cache(maxsize=2048)
def _normalise(text):
    cleaned = _clean(text)
    if not cleaned:
        raise UnitError("missing_unit", "No unit given; expected e.g. " + CANONICAL_EXAMPLES)
    if len(cleaned) > _MAX_UNIT_LENGTH:
        raise _unknown(text.strip()[:_MAX_UNIT_LENGTH] + "…")
    if cleaned in _EXACT_ALIASES:
        return _EXACT_ALIASES[cleaned]
    folded = cleaned.casefold()
    if folded in _FOLDED_ALIASES:
        return _FOLDED_ALIASES[folded]
    log = _LOG_PREFIX.match(cleaned)
    if log:
        ratio = _ratio(cleaned[log.end() :].strip())
        if ratio and ratio.split("/")[0] in _COUNT:
            return "log " + ratio
        raise _unknown(text.strip())
    token = _token(cleaned)
    if token in _SIMPLE:
        return token
    ratio = _ratio(cleaned)
    if ratio:
        return ratio
    raise _unknown(text.strip())


def normalise_unit(text):
    """The canonical spelling of a unit: 'мкг/кг' → 'µg/kg', '℃' → '°C', 'lg КОЕ/г' →
    'log CFU/g'. Raises UnitError (code 'unknown_unit', or 'missing_unit' for blank text)."""
    if not isinstance(text, str):
        raise UnitError("unknown_unit", f"A unit must be text, not {type(text).__name__}")
    return _normalise(text)


# --- Conversion ------------------------------------------------------------------------


def _plain(value):
    """A Decimal without exponent notation where it can be helped: 1E+3 → 1000; a figure
    with more than WORKING_DIGITS digits before the point (10^90) keeps its exponent."""
    value = value.normalize(Context(prec=WORKING_DIGITS))
    if value.as_tuple().exponent > 0 and value.adjusted() < WORKING_DIGITS:
        value = value.quantize(Decimal(1), context=Context(prec=WORKING_DIGITS))
    return value


def _round(value, scale=None):
    """Round a result to RESULT_DIGITS significant digits, or to SNAP_DIGITS when that is
    within SNAP_TOLERANCE: 7 min → h → min gives 7, not 7.000…002.

    `scale` is the size the rounding is relative to; offset conversions pass the larger of
    the figures, so that 0 °F → K → °F gives 0, not 4E-32.
    """
    scale = abs(value) if scale is None else max(abs(scale), abs(value))
    with localcontext() as ctx:
        ctx.prec = WORKING_DIGITS
        if scale == 0:
            return Decimal(0)
        short = value.quantize(Decimal(1).scaleb(scale.adjusted() - SNAP_DIGITS + 1))
        if abs(short - value) <= scale * SNAP_TOLERANCE:
            return _plain(short)
        return _plain(Context(prec=RESULT_DIGITS).plus(value))


def _pint_form(unit):
    """(scale, pint unit) such that Quantity(value / scale, pint unit) is value in `unit`."""
    log = unit.startswith("log ")
    if log:
        unit = unit[4:]
    if unit in _SIMPLE:
        return Decimal(1), _SIMPLE[unit]
    numerator, denominator = unit.split("/")
    scale = Decimal(1)
    if " " in denominator:
        number, denominator = denominator.split(" ")
        scale = Decimal(number)
    return scale, f"{_NUMERATORS[numerator]} / ({_DENOMINATORS[denominator]})"


@lru_cache(maxsize=512)
def _dimensionality(unit):
    _, pint_unit = _pint_form(unit)
    return ureg.Unit(pint_unit).dimensionality


def _to_decimal(value):
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str):
        try:
            return Decimal(value)
        except DecimalException as error:
            raise UnitError("invalid_value", f"{value!r} is not a number") from error
    if isinstance(value, float):
        return Decimal(repr(value))
    raise UnitError("invalid_value", f"{value!r} is not a number")


def is_log(unit):
    """True for logarithmic counts ('log CFU/g')."""
    return normalise_unit(unit).startswith("log ")


def is_offset(unit):
    """True for units with a shifted zero (°C, °F): figures differ, ratios mean nothing."""
    if not is_temperature(unit):
        return False
    _, pint_unit = _pint_form(normalise_unit(unit))
    with localcontext() as ctx:
        ctx.prec = WORKING_DIGITS
        return ureg.Quantity(Decimal(0), pint_unit).to("kelvin").magnitude != 0


def is_temperature(unit):
    """True for °C, °F and K."""
    unit = normalise_unit(unit)
    return not is_log(unit) and _dimensionality(unit) == ureg.kelvin.dimensionality


def is_time(unit):
    """True for s, min, h, days, months, years."""
    unit = normalise_unit(unit)
    return not is_log(unit) and _dimensionality(unit) == ureg.second.dimensionality


def _incompatible(from_unit, to_unit):
    return UnitError(
        "incompatible_units",
        f"{from_unit} cannot be converted into {to_unit}: they measure different things",
    )


def _linear(value, from_unit, to_unit):
    if (from_unit in _OWN_SCALE or to_unit in _OWN_SCALE) and from_unit != to_unit:
        raise _incompatible(from_unit, to_unit)
    from_scale, from_pint = _pint_form(from_unit)
    to_scale, to_pint = _pint_form(to_unit)
    if _dimensionality(from_unit) != _dimensionality(to_unit):
        raise _incompatible(from_unit, to_unit)
    quantity = ureg.Quantity(value / from_scale, from_pint)
    try:
        converted = quantity.to(to_pint).magnitude
    except pint.DimensionalityError as error:
        raise _incompatible(from_unit, to_unit) from error
    return Decimal(converted) * to_scale


def convert(value, from_unit, to_unit):
    """`value` in `from_unit`, expressed in `to_unit`, as a Decimal.

    Exact where the factor is a finite decimal (µg/kg ↔ mg/kg, mg/100 g ↔ mg/kg, h ↔ min,
    °C ↔ K); otherwise correct to 34 significant digits. 'log CFU/g' ↔ 'CFU/g' goes through
    10**x, 'log CFU/g' ↔ 'log CFU/kg' adds the log of the factor. Raises UnitError
    ('unknown_unit', 'incompatible_units', 'invalid_value': not a finite number, or a log
    count whose count is beyond what a Decimal holds).
    """
    value = original = _to_decimal(value)
    source, target = normalise_unit(from_unit), normalise_unit(to_unit)
    if not value.is_finite():
        raise UnitError("invalid_value", f"{value} is not a finite number")
    if source == target:
        return value
    source_log, target_log = source.startswith("log "), target.startswith("log ")
    scale = value if is_offset(source) or is_offset(target) else None
    try:
        with localcontext() as ctx:
            ctx.prec = WORKING_DIGITS
            if source_log and target_log:
                # A log count into another log count: shifted by the log of the factor,
                # never through 10**x, which a log count of 10^6 would overflow.
                factor = _linear(
                    Decimal(1), source.removeprefix("log "), target.removeprefix("log ")
                )
                return _plain(Context(prec=RESULT_DIGITS).plus(value + factor.log10()))
            if source_log:
                value = Decimal(10) ** value
            value = _linear(value, source.removeprefix("log "), target.removeprefix("log "))
            if target_log:
                if value <= 0:
                    raise UnitError(
                        "invalid_value", f"The logarithm of {_plain(value)} is not defined"
                    )
                # Not snapped: 10**x would magnify the snap into a visible error.
                return _plain(Context(prec=RESULT_DIGITS).plus(value.log10()))
            return _round(value, scale)
    except DecimalException as error:
        raise UnitError(
            "invalid_value",
            f"{_plain(original)} {source} cannot be expressed in {target}: out of range",
        ) from error


def one_per(quantity, quantity_unit, density_unit):
    """One organism in `quantity` of `quantity_unit`, as a count in `density_unit`.

    "Not detected in 25 g" read as fewer than 1 CFU per 25 g: one_per(25, "g", "CFU/g") =
    0.04. Raises UnitError when `density_unit` is not a count per mass, volume or area of
    the kind `quantity_unit` measures.
    """
    quantity = _to_decimal(quantity)
    density = normalise_unit(density_unit)
    amount = normalise_unit(quantity_unit)
    if quantity <= 0:
        raise UnitError("invalid_value", "The sample quantity must be more than zero")
    linear = density.removeprefix("log ")
    numerator = linear.split("/")[0] if "/" in linear else ""
    if numerator not in _COUNT or amount not in _DENOMINATORS:
        raise _incompatible(f"1 per {format(_plain(quantity), 'f')} {amount}", density)
    with localcontext() as ctx:
        ctx.prec = WORKING_DIGITS
        per_amount = _round(Decimal(1) / quantity)
    return convert(per_amount, f"{numerator}/{amount}", density)


# --- Kinds of unit ---------------------------------------------------------------------

# What a parameter's canonical unit measures, in words, with the units of that kind the
# portal reads: the message when a limit's unit does not fit its parameter.
_KINDS = [
    ("mg/kg", "mass fraction (mg/kg, µg/kg, ppm…)"),
    ("CFU/g", "count per quantity (CFU/g, CFU/cm², MPN/g…)"),
    ("°C", "temperature (°C, °F, K)"),
    ("min", "time (s, min, h, days…)"),
    ("Bq/kg", "activity per mass (Bq/kg, Bq/L…)"),
]


def _kind_dimensionality(unit):
    unit = normalise_unit(unit)
    return _dimensionality(unit.removeprefix("log "))


def unit_kind(unit):
    """The kind of quantity `unit` measures, in words ('mass fraction (mg/kg, µg/kg,
    ppm…)'); for a kind without a name, 'units like <unit>'."""
    dimensionality = _kind_dimensionality(unit)
    for example, words in _KINDS:
        if _kind_dimensionality(example) == dimensionality:
            return words
    return f"units like {normalise_unit(unit)}"


def fits(unit, canonical_unit):
    """True when `unit` measures what `canonical_unit` measures (mg/kg and ppm do; CFU/g
    and mg/kg do not). A log count fits its linear count. Raises UnitError for a unit the
    portal cannot read."""
    return _kind_dimensionality(unit) == _kind_dimensionality(canonical_unit)


def as_written(value):
    """A Decimal as a person writes it: 0.500000000000 → '0.5', 1E+3 → '1000', -0 → '0';
    None → ''."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text
