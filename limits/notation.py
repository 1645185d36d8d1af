"""Plain-text notation of typed limits ("≤ 0.5 mg/kg", "not detected in 25 g").

`format_limit` writes the notation of any object with the Limit attributes;
`parse_notation` reads what staff type and what the sources print back into ParsedLimit
items, and `format_parsed` writes those in the same style.

No Django imports.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, DecimalException
from types import SimpleNamespace

from limits.units import (
    CANONICAL_EXAMPLES,
    SUPERSCRIPT_DIGITS,
    SUPERSCRIPTS,
    UnitError,
    is_temperature,
    is_time,
    normalise_unit,
)

# Figures the portal stores: at most 24 significant digits, between 10^-20 and 10^20.
MAX_DIGITS = 24
MAX_EXPONENT = 20
# Figures beyond that range (a fold of 10^29, a figure converted into pg/kg) are written
# in scientific form to this many significant digits.
SCIENTIFIC_DIGITS = 4
# Wide enough for any finite Decimal, whatever context it was computed in.
_ANY_EXPONENT = Context(Emax=MAX_EMAX, Emin=MIN_EMIN)


def format_number(value):
    """A figure as text: without exponent or trailing zeros (0.000003, 100000, -1.5),
    exactly, where the notation reads it back (between 10^-MAX_EXPONENT and
    10^MAX_EXPONENT, or zero); beyond that range in scientific form to SCIENTIFIC_DIGITS
    significant digits (10^29, 2.5×10^-24, -1.235×10^40). Never raises."""
    if value is None:
        return ""
    value = Decimal(value)
    if not value.is_finite():
        return str(value)
    if not value:
        return "-0" if value.is_signed() else "0"
    if not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
        return _scientific(value)
    return _positional(value)


def _positional(value):
    """All the digits of `value`, none of them rounded, without trailing zeros."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _scientific(value):
    rounded = _ANY_EXPONENT.copy()
    rounded.prec = SCIENTIFIC_DIGITS
    value = rounded.plus(value)
    exponent = value.adjusted()
    mantissa = value.scaleb(-exponent, context=_ANY_EXPONENT)
    if abs(mantissa) == 1:
        return f"{'-' if mantissa < 0 else ''}10^{exponent}"
    return f"{_positional(mantissa)}×10^{exponent}"


def _with_unit(number, unit):
    return f"{number} {unit}".strip() if unit else number


def _format_plan(limit):
    """ "n=5, c=2, m=10, M=100": the sampling plan items a limit has."""
    items = (
        ("n", limit.plan_n),
        ("c", limit.plan_c),
        ("m", format_number(limit.plan_m) if limit.plan_m is not None else None),
        ("M", format_number(limit.plan_big_m) if limit.plan_big_m is not None else None),
    )
    return ", ".join(f"{name}={value}" for name, value in items if value is not None)


def format_limit(limit):
    kind = limit.kind
    unit = limit.unit or ""
    if kind == "maximum":
        text = f"{'<' if limit.strict else '≤'} {_with_unit(format_number(limit.value), unit)}"
    elif kind == "minimum":
        text = f"{'>' if limit.strict else '≥'} {_with_unit(format_number(limit.value), unit)}"
    elif kind == "range":
        low, high = format_number(limit.value), format_number(limit.upper_value)
        text = _with_unit(f"{low} … {high}", unit)
    elif kind == "absent":
        text = f"not detected in {_with_unit(format_number(limit.value), unit)}"
    elif kind == "prohibited":
        text = "prohibited"
    elif kind == "prohibited_lod":
        text = f"prohibited; limit of detection {_with_unit(format_number(limit.value), unit)}"
    else:
        text = "no limit set"

    if plan := _format_plan(limit):
        text += f" ({plan})"
    if limit.basis:
        text += f", {limit.basis}"
    if limit.qualifier:
        text += f" — {limit.qualifier}"
    return text


# --- Parsing ---------------------------------------------------------------------------
#
# `parse_notation` reads the notations staff type and the sources print ("≤ 0.5 mg/kg",
# "не более 0,5 мг/кг", "1×10⁵ КОЕ/г", "不得检出/25g", "n=5, c=0, m=0/25 g",
# "≥70 °C for ≥30 min", "−1.5…+4 °C", "prohibited") into ParsedLimit items. Every failure
# is a NotationError naming the part that failed and what was expected.


MAX_NOTATION_LENGTH = 300
# Digits of an exponent worth reading at all ("1e99999" is refused before it is computed).
MAX_EXPONENT_DIGITS = 4


@dataclass(frozen=True)
class ParsedLimit:
    """A limit read from text; the fields of a Limit without parameter, basis and qualifier.

    value: figure of a maximum or minimum, lower bound of a range, or sample quantity of an
    absence ("not detected in 25 g": 25 g). A sampling plan adds n, c, m and M.
    """

    kind: str
    value: Decimal | None = None
    upper: Decimal | None = None
    unit: str = ""
    strict: bool = False
    n: int | None = None
    c: int | None = None
    m: Decimal | None = None
    big_m: Decimal | None = None


class NotationError(ValueError):
    """Text that is not a limit notation. `code` is machine-readable ("unknown_unit"),
    `message` a plain-English sentence, `part` the piece of text that failed."""

    def __init__(self, code, message, part=""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.part = part

    def __repr__(self):
        return f"NotationError(code={self.code!r}, message={self.message!r}, part={self.part!r})"


def format_parsed(parsed):
    """Canonical notation of a ParsedLimit, in the style of format_limit: "≤ 0.5 mg/kg"."""
    return format_limit(
        SimpleNamespace(
            kind=parsed.kind,
            value=parsed.value,
            upper_value=parsed.upper,
            unit=parsed.unit,
            strict=parsed.strict,
            plan_n=parsed.n,
            plan_c=parsed.c,
            plan_m=parsed.m,
            plan_big_m=parsed.big_m,
            basis="",
            qualifier="",
        )
    )


# Words, matched case-insensitively. Longer phrases are tried first.
_PROHIBITED = {
    "prohibited",
    "banned",
    "forbidden",
    "not permitted",
    "not allowed",
    "not authorised",
    "not authorized",
    "use prohibited",
    "prohibited for use",
    "запрещено",
    "запрещен",
    "запрещён",
    "запрещена",
    "запрещены",
    "запрещается",
    "запрещено к применению",
    "не допускается",
    "не допускаются",
    "не разрешено",
    "не разрешается",
    "禁止使用",
    "不得使用",
    "禁止",
    "禁用",
    "不得添加",
    "禁止添加",
}
_NO_LIMIT = {
    "no limit",
    "no limit set",
    "no limits",
    "not set",
    "none set",
    "not established",
    "not regulated",
    "not specified",
    "no requirement",
    "не установлен",
    "не установлено",
    "не установлена",
    "не установлены",
    "не нормируется",
    "не нормируются",
    "не регламентируется",
    "не регламентируются",
    "未规定",
    "无规定",
    "无限量",
    "未制定",
    "不作要求",
}
_ABSENT_WORDS = [
    "not detected",
    "not detectable",
    "not found",
    "not permitted",
    "not allowed",
    "absent",
    "absence",
    "nd",
    "n.d.",
    "не допускается",
    "не допускаются",
    "не обнаружено",
    "не обнаружены",
    "не обнаружен",
    "не обнаружена",
    "не должно быть",
    "отсутствие",
    "отсутствует",
    "отсутствуют",
    "не выявлено",
    "не выявлены",
    "不得检出",
    "未检出",
    "不得检测出",
]
_MAX_WORDS = [
    "≤",
    "not more than",
    "no more than",
    "not exceeding",
    "not to exceed",
    "not above",
    "at most",
    "up to",
    "maximum",
    "max.",
    "max",
    "не более",
    "не больше",
    "не выше",
    "не превышает",
    "до",
    "不超过",
    "不高于",
    "不大于",
]
_MAX_STRICT_WORDS = ["<", "less than", "below", "under", "менее", "меньше", "ниже", "低于", "小于"]
_MIN_WORDS = [
    "≥",
    "not less than",
    "no less than",
    "not below",
    "at least",
    "minimum",
    "min.",
    "min",
    "не менее",
    "не меньше",
    "не ниже",
    "不低于",
    "不少于",
    "不小于",
]
_MIN_STRICT_WORDS = [
    ">",
    "more than",
    "above",
    "over",
    "более",
    "больше",
    "выше",
    "高于",
    "大于",
    "超过",
]
_SUFFIX_MAX = ["or less", "or below", "max.", "max", "maximum", "и менее", "и ниже", "以下", "以内"]
_SUFFIX_MIN = ["or more", "or above", "minimum", "и более", "и выше", "以上"]


def _alternation(words):
    words = sorted(words, key=len, reverse=True)
    parts = []
    for word in words:
        escaped = re.escape(word)
        # Letters must end at a word boundary ("max" is not the start of "maximal").
        parts.append(escaped + r"(?![^\W\d_])" if word[-1].isalpha() else escaped)
    return "(?:" + "|".join(parts) + ")"


_COMPARATORS = [
    ("maximum", True, _MAX_STRICT_WORDS),
    ("maximum", False, _MAX_WORDS),
    ("minimum", True, _MIN_STRICT_WORDS),
    ("minimum", False, _MIN_WORDS),
]
_COMPARATOR = re.compile(
    "|".join(
        f"(?P<{kind}_{int(strict)}>{_alternation(words)})" for kind, strict, words in _COMPARATORS
    ),
    re.IGNORECASE,
)
_SUFFIX = re.compile(
    rf"\s*(?:(?P<max>{_alternation(_SUFFIX_MAX)})|(?P<min>{_alternation(_SUFFIX_MIN)}))\.?$",
    re.IGNORECASE,
)
_ABSENT = re.compile(
    rf"^{_alternation(_ABSENT_WORDS)}\s*(?:(?:in|per|в|во|на|/|:|\(|,)\s*)*(?P<rest>.*?)\)?$",
    re.IGNORECASE,
)
_ABSENT_AFTER = re.compile(
    r"^(?P<rest>[0-9].*?)\s*(?:中|内)?\s*(?:不得检出|未检出|not detected|absent)$", re.IGNORECASE
)
_SAMPLE_FILLER = re.compile(
    r"\s+(?:продукта|продукции|пробы|образца|of (?:the )?(?:product|sample|food)|sample|样品)$",
    re.IGNORECASE,
)

# A figure: 0.5 / 0,5 / .5 / 1 000 / 1.0E+05 / 1×10^3 / 1x10^3 / 1*10^3 / 1·10^3 / 10^4.
_NUMBER = re.compile(
    r"""
    (?P<sign>[-+])?\s*
    (?:
        10\s*(?:\^|\*\*)\s*(?P<power>[-+]?[0-9]+)
      | (?P<mantissa>[0-9]{1,3}(?:[ \u202f][0-9]{3})+(?:[.,][0-9]+)?
          | [0-9]+(?:[.,][0-9]+)?
          | [.,][0-9]+)
        (?:
            \s*[x×*·⋅]\s*10\s*(?:\^|\*\*)\s*(?P<times>[-+]?[0-9]+)
          | [eE](?P<exponent>[-+]?[0-9]+)
        )?
    )
    """,
    re.VERBOSE,
)
_NUMBER_TAIL = re.compile(r"^(?:[.,^×x*·⋅eE]\s*[-+]?[0-9]|[0-9]|\^|\*\*)")

_RANGE = re.compile(
    r"""
    ^(?:от|from|between)?\s*
    (?P<low>[-+]?\s*[0-9.,][^~…–—÷]*?)\s*
    (?P<sep>\.\.\.|\.\.|…|–|—|~|÷|-|\bto\b|\bдо\b|\band\b|\bи\b)\s*
    (?P<high>[-+]?\s*[0-9.,].*)$
    """,
    re.VERBOSE | re.IGNORECASE,
)

_PLAN_KEY = re.compile(r"(?<![^\W_])([nNcCmM])\s*=")
_COMBINED = re.compile(
    r"\s+(?P<sep>for|в течение|at|при)\s+|\s*;\s*|,\s+|,(?=[^0-9\s])", re.IGNORECASE
)
_LEADING_AT = re.compile(r"^(?:at|при)\s+", re.IGNORECASE)

_POWER_SUPERSCRIPT = re.compile(rf"(?<=[0-9])\s*([{SUPERSCRIPTS}]+)")
_REPLACEMENTS = [
    ("<=", "≤"),
    ("=<", "≤"),
    (">=", "≥"),
    ("=>", "≥"),
    ("≦", "≤"),
    ("⩽", "≤"),
    ("≧", "≥"),
    ("⩾", "≥"),
    ("−", "-"),
    ("‒", "-"),
    ("\u00a0", " "),
]


def _prepare(text):
    text = _POWER_SUPERSCRIPT.sub(lambda m: "^" + m.group(1).translate(SUPERSCRIPT_DIGITS), text)
    text = unicodedata.normalize("NFKC", text)
    for old, new in _REPLACEMENTS:
        text = text.replace(old, new)
    text = re.sub(r"\s+", " ", text).strip()
    return text.rstrip(" .;")


def _quote(part):
    return f"“{part}”"


def _figure(match, part):
    """The Decimal a _NUMBER match stands for."""
    sign = -1 if match.group("sign") == "-" else 1
    mantissa = match.group("mantissa")
    if mantissa is None:
        mantissa, exponent = "1", match.group("power")
    else:
        exponent = match.group("times") or match.group("exponent") or "0"
    mantissa = mantissa.replace(" ", "").replace("\u202f", "")
    if re.fullmatch(r"[1-9][0-9]{0,2},[0-9]{3}", mantissa):
        raise NotationError(
            "bad_number",
            f"{_quote(part)} is ambiguous: write the figure without a thousands separator "
            f"(e.g. {mantissa.replace(',', '')}) or with a decimal point",
            part,
        )
    out_of_range = NotationError(
        "bad_number",
        f"{_quote(part)} is out of the range of figures I accept "
        f"(at most {MAX_DIGITS} digits, between 1e-{MAX_EXPONENT} and 1e{MAX_EXPONENT})",
        part,
    )
    if len(exponent.lstrip("+-")) > MAX_EXPONENT_DIGITS or len(mantissa) > MAX_DIGITS * 2:
        raise out_of_range
    try:
        value = (Decimal(mantissa.replace(",", ".")) * sign).scaleb(int(exponent))
    except (DecimalException, ValueError) as error:
        raise NotationError("bad_number", f"{_quote(part)} is not a number I can read", part) from (
            error
        )
    digits = value.normalize().as_tuple().digits
    if value != 0 and (
        len(digits) > MAX_DIGITS or not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT
    ):
        raise out_of_range
    return _tidy(value)


def _tidy(value):
    value = value.normalize()
    if value.as_tuple().exponent > 0:
        value = value.quantize(Decimal(1))
    if value == 0:
        value = Decimal(0)
    return value


def _leading_number(text, what="a figure"):
    """(figure, rest) for text starting with a number, else NotationError."""
    match = _NUMBER.match(text)
    if not match:
        code = "bad_number" if re.match(r"^[-+]?\s*[0-9.,]", text) else "no_number"
        shown = text or "nothing"
        raise NotationError(
            code, f"Expected {what} (e.g. 0.5, 1×10^3) but found {_quote(shown)}", text
        )
    rest = text[match.end() :].strip()
    if _NUMBER_TAIL.match(rest):
        part = text[: match.end()] + rest[:3]
        raise NotationError(
            "bad_number", f"{_quote(part.strip())} is not a number I can read", text
        )
    return _figure(match, match.group(0).strip()), rest


def _unit(text, required=True, part=""):
    text = _SAMPLE_FILLER.sub("", text).strip()
    if not text:
        if not required:
            return ""
        shown = f"{_quote(part)} has" if part else "The figure has"
        raise NotationError(
            "missing_unit", f"{shown} no unit; expected e.g. {CANONICAL_EXAMPLES}", part
        )
    try:
        return normalise_unit(text)
    except UnitError as error:
        raise NotationError(
            error.code if error.code in ("unknown_unit", "missing_unit") else "unknown_unit",
            f"{_quote(text)} is not a unit I know; expected e.g. {CANONICAL_EXAMPLES}",
            text,
        ) from error


def _bounded(kind, strict, text, part):
    value, rest = _leading_number(text)
    suffix = _SUFFIX.search(rest)
    if suffix:
        suffix_kind = "maximum" if suffix.group("max") else "minimum"
        if kind is not None and suffix_kind != kind:
            raise NotationError(
                "unrecognised",
                f"{_quote(part)} says both “at most” and “at least”; expected one of them",
                part,
            )
        kind = suffix_kind
        rest = rest[: suffix.start()].strip()
    unit = _unit(rest, part=part)
    return ParsedLimit(kind=kind or "maximum", value=value, unit=unit, strict=strict)


def _range(match, part):
    low_text, high_text = match.group("low").strip(), match.group("high").strip()
    low, low_unit = _leading_number(low_text, "the lower bound")
    high, high_unit = _leading_number(high_text, "the upper bound")
    low_unit = _unit(low_unit, required=False)
    high_unit = _unit(high_unit, required=not low_unit, part=part)
    if low_unit and high_unit and low_unit != high_unit:
        raise NotationError(
            "bad_range",
            f"The bounds of {_quote(part)} are in different units ({low_unit}, {high_unit})",
            part,
        )
    if low > high:
        raise NotationError(
            "bad_range",
            f"In {_quote(part)} the lower bound is above the upper bound; expected e.g. 0 … 4 °C",
            part,
        )
    return ParsedLimit(kind="range", value=low, upper=high, unit=high_unit or low_unit)


def _absent(rest, part):
    rest = rest.strip()
    if not rest:
        raise NotationError(
            "no_number",
            f"{_quote(part)} needs the sample quantity, e.g. “not detected in 25 g”; for a "
            "substance that may not be used at all write “prohibited”",
            part,
        )
    quantity, unit = _leading_number(rest, "the sample quantity")
    if quantity <= 0:
        raise NotationError(
            "bad_number", f"The sample quantity in {_quote(part)} must be more than zero", part
        )
    return ParsedLimit(kind="absent", value=quantity, unit=_unit(unit, part=part))


def _words(text, words):
    return text.casefold() in words


# A ban stated with the limit of detection that enforces it: "не допускается (<0,0003
# мг/кг)", "不得检出 (检出限 0.0003 mg/kg)", "not permitted, LOD 0.0003 mg/kg",
# "prohibited; limit of detection 0.0003 mg/kg".
_BANS = _PROHIBITED | {"не обнаруживается", "не обнаружено", "不得检出", "not detected"}
_BAN_WITH_LOD = re.compile(
    r"^(?P<ban>[^(;,]+?)\s*(?:\(\s*(?P<inner>[^()]+)\)|[;,]\s*(?P<after>.+))$"
)
_LOD_WORDS = re.compile(
    r"^(?:limit of detection|limit of quantification|detection limit|lod|loq|"
    r"предел обнаружения|предел количественного определения|检出限|定量限)\s*[:=]?\s*",
    re.IGNORECASE,
)


def _prohibited_with_lod(text, part):
    """A ParsedLimit of kind prohibited_lod, or None when `text` is no such ban."""
    match = _BAN_WITH_LOD.match(text)
    if not match or not _words(match.group("ban").strip(), _BANS):
        return None
    threshold = (match.group("inner") or match.group("after")).strip()
    named = _LOD_WORDS.match(threshold)
    threshold = threshold[named.end() :] if named else threshold
    comparator = _COMPARATOR.match(threshold)
    if comparator:
        threshold = threshold[comparator.end() :].strip()
    elif not named and not _NUMBER.match(threshold):
        return None
    figure = _bounded(None, False, threshold, part)
    if not named and "/" not in figure.unit:
        return None  # "不得检出（25g）": the sample quantity of an absence, not a threshold
    if figure.value is None or figure.value <= 0:
        raise NotationError(
            "bad_number", f"The limit of detection in {_quote(part)} must be more than zero", part
        )
    return ParsedLimit(kind="prohibited_lod", value=figure.value, unit=figure.unit)


def _worded(text, part):
    """A limit said in words: a ban (with its limit of detection or not), or no limit."""
    if _words(text, _PROHIBITED):
        return ParsedLimit(kind="prohibited")
    if _words(text, _NO_LIMIT):
        return ParsedLimit(kind="no_limit")
    return _prohibited_with_lod(text, part)


def _single(text, bare="maximum"):
    """One limit without a sampling plan."""
    part = text
    if not text:
        raise NotationError("empty", "Nothing to read; expected e.g. “≤ 0.5 mg/kg”", text)
    if worded := _worded(text, part):
        return worded
    absent = _ABSENT.match(text) or _ABSENT_AFTER.match(text)
    if absent:
        return _absent(absent.group("rest"), part)
    comparator = _COMPARATOR.match(text)
    if comparator:
        kind, strict = comparator.lastgroup.rsplit("_", 1)
        rest = text[comparator.end() :].strip()
        if not rest:
            raise NotationError(
                "no_number", f"{_quote(part)} has no figure; expected e.g. “≤ 0.5 mg/kg”", part
            )
        return _bounded(kind, strict == "1", rest, part)
    range_match = _RANGE.match(text)
    if range_match:
        try:
            return _range(range_match, part)
        except NotationError as error:
            # "0.5 mg kg-1" is a figure with a unit, not a range.
            try:
                return _bounded(None, False, text, part)
            except NotationError:
                raise error from None
    if _NUMBER.match(text):
        limit = _bounded(None, False, text, part)
        if bare == "minimum" and limit.kind == "maximum" and not _SUFFIX.search(text):
            return ParsedLimit(kind="minimum", value=limit.value, unit=limit.unit)
        return limit
    raise NotationError(
        "unrecognised",
        f"{_quote(part)} is not a limit I can read; expected e.g. “≤ 0.5 mg/kg”, "
        "“not detected in 25 g”, “0 … 4 °C”, “n=5, c=0, m=0/25 g” or “prohibited”",
        part,
    )


def _plan_figure(key, text, part):
    """m or M of a plan: (figure or None, quantity or None, unit)."""
    text = text.strip()
    if key == "M" and text in ("", "-", "—", "–", "/"):
        return None, None, ""
    value, rest = _leading_number(text, f"a figure for {key}")
    quantity = None
    if rest.startswith("/"):
        quantity, rest = _leading_number(rest[1:].strip(), "the sample quantity after “/”")
        if quantity <= 0:
            raise NotationError(
                "bad_plan", f"The sample quantity in {_quote(part)} must be more than zero", part
            )
        return value, quantity, _unit(rest)
    return value, None, _unit(rest, required=False)


def _plan_counts(items, part):
    """n and c of a sampling plan: whole numbers."""
    counts = {}
    for name in ("n", "c"):
        if name in items:
            if not re.fullmatch(r"[0-9]{1,4}", items[name]):
                raise NotationError(
                    "bad_plan",
                    f"{name} in {_quote(part)} must be a whole number, e.g. {name}=5",
                    items[name],
                )
            counts[name] = int(items[name])
    return counts


def _plan(text, part):
    """The n, c, m, M items of a sampling plan: dict of figures, quantity, unit."""
    keys = list(_PLAN_KEY.finditer(text))
    if text[: keys[0].start()].strip(" ,;("):
        raise NotationError(
            "bad_plan", f"{_quote(part)}: expected a plan such as “n=5, c=0, m=0/25 g”", part
        )
    items = {}
    for index, key in enumerate(keys):
        end = keys[index + 1].start() if index + 1 < len(keys) else len(text)
        name = key.group(1) if key.group(1) in "mM" else key.group(1).lower()
        value = text[key.end() : end].strip().rstrip(",;").strip()
        if name in items:
            raise NotationError("bad_plan", f"{name} is given twice in {_quote(part)}", part)
        items[name] = value
    plan = {"n": None, "c": None, "m": None, "big_m": None, "quantity": None, "unit": ""}
    plan |= _plan_counts(items, part)
    units = []
    for name, field in (("m", "m"), ("M", "big_m")):
        if name in items:
            value, quantity, unit = _plan_figure(name, items[name], part)
            plan[field] = value
            if quantity is not None:
                if name == "M":
                    raise NotationError(
                        "bad_plan", "Only m takes a sample quantity (“m=0/25 g”), not M", part
                    )
                plan["quantity"] = quantity
            if unit:
                units.append(unit)
    if len(set(units)) > 1:
        raise NotationError(
            "bad_plan",
            f"m and M in {_quote(part)} are in different units ({', '.join(units)})",
            part,
        )
    plan["unit"] = units[0] if units else ""
    _check_plan(plan, part)
    return plan


def _check_plan(plan, part):
    n, c, m, big_m = plan["n"], plan["c"], plan["m"], plan["big_m"]
    if n is not None and n < 1:
        raise NotationError("bad_plan", f"n in {_quote(part)} must be at least 1", part)
    if c is not None and n is None:
        raise NotationError("bad_plan", f"{_quote(part)} gives c without n", part)
    if c is not None and c > n:
        raise NotationError(
            "bad_plan", f"In {_quote(part)} c (units allowed above m) is more than n", part
        )
    if m is not None and big_m is not None and m > big_m:
        raise NotationError("bad_plan", f"In {_quote(part)} m is above M", part)


def _with_plan(main, plan_text, part):
    plan = _plan(plan_text, part)
    fields = {"n": plan["n"], "c": plan["c"], "m": plan["m"], "big_m": plan["big_m"]}
    if main is None:
        if plan["m"] is None:
            raise NotationError(
                "bad_plan", f"{_quote(part)} has no m; expected e.g. “n=5, c=2, m=10^4”", part
            )
        if plan["quantity"] is not None:
            if plan["m"] != 0 or plan["big_m"] is not None:
                raise NotationError(
                    "bad_plan", f"An absence plan has m=0/quantity and no M: {_quote(part)}", part
                )
            return ParsedLimit(kind="absent", value=plan["quantity"], unit=plan["unit"], **fields)
        if not plan["unit"]:
            raise NotationError(
                "missing_unit", f"{_quote(part)} has no unit; expected e.g. m=10^4 CFU/g", part
            )
        return ParsedLimit(kind="maximum", value=plan["m"], unit=plan["unit"], **fields)
    if main.kind == "maximum":
        if plan["m"] is not None and plan["m"] != main.value:
            raise NotationError(
                "bad_plan", f"In {_quote(part)} m differs from the maximum it stands for", part
            )
        if (plan["unit"] and plan["unit"] != main.unit) or plan["quantity"] is not None:
            raise NotationError("bad_plan", f"The plan in {_quote(part)} has another unit", part)
    elif main.kind == "absent":
        if plan["m"] not in (None, 0) or plan["big_m"] is not None:
            raise NotationError(
                "bad_plan", f"An absence plan has m=0 and no M: {_quote(part)}", part
            )
        if plan["quantity"] is not None and (
            plan["quantity"] != main.value or plan["unit"] != main.unit
        ):
            raise NotationError(
                "bad_plan", f"The plan in {_quote(part)} gives another sample quantity", part
            )
    else:
        raise NotationError(
            "bad_plan", f"A sampling plan goes with a maximum or an absence: {_quote(part)}", part
        )
    return ParsedLimit(
        kind=main.kind,
        value=main.value,
        upper=main.upper,
        unit=main.unit,
        strict=main.strict,
        **fields,
    )


def _combined(text):
    """Two limits joined as "≥70 °C for ≥30 min": [temperature, time], in that order. A bare
    figure is read as a minimum there ("70 °C for 30 min": at least 70 °C, at least 30 min)."""
    separators = list(_COMBINED.finditer(text))
    if len(separators) != 1:
        return None
    separator = separators[0]
    first_text = _LEADING_AT.sub("", text[: separator.start()].strip())
    second_text = text[separator.end() :].strip()
    if not first_text or not second_text:
        return None
    first = _single(first_text, bare="minimum")
    second = _single(second_text, bare="minimum")
    kinds = [_measures(limit) for limit in (first, second)]
    if kinds == ["temperature", "time"]:
        return [first, second]
    if kinds == ["time", "temperature"]:
        return [second, first]
    raise NotationError(
        "unrecognised",
        f"Two limits can be combined only as a temperature and a time, e.g. “≥ 70 °C for ≥ 30 "
        f"min”; found {_quote(first_text)} and {_quote(second_text)}",
        text,
    )


def _measures(limit):
    """'temperature', 'time' or '' for the unit of a parsed limit."""
    if limit.unit and is_temperature(limit.unit):
        return "temperature"
    if limit.unit and is_time(limit.unit):
        return "time"
    return ""


def parse_notation(text):
    """Read a limit notation: a list of one ParsedLimit, or two for a combined temperature and
    time ("≥70 °C for ≥30 min": temperature first). Raises NotationError."""
    if not isinstance(text, str):
        raise NotationError("empty", "Expected the notation as text", "")
    if len(text) > MAX_NOTATION_LENGTH:
        raise NotationError(
            "too_long", f"The notation is longer than {MAX_NOTATION_LENGTH} characters", text[:40]
        )
    prepared = _prepare(text)
    if not prepared:
        raise NotationError("empty", "Nothing to read; expected e.g. “≤ 0.5 mg/kg”", text)
    plan_key = _PLAN_KEY.search(prepared)
    if plan_key:
        main_text = prepared[: plan_key.start()].strip().rstrip(",;(").strip()
        plan_text = prepared[plan_key.start() :].strip()
        if main_text and plan_text.endswith(")"):
            plan_text = plan_text[:-1].strip()
        main = _single(main_text) if main_text else None
        return [_with_plan(main, plan_text, prepared)]
    try:
        return [_single(prepared)]
    except NotationError as error:
        combined = _combined(prepared) if _COMBINED.search(prepared) else None
        if combined is None:
            raise error from None
        return combined
