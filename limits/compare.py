"""Which side's limit is stricter: the comparison rules of typed limits.

`compare_limits` compares one Kazakh limit with one Chinese limit of the same parameter;
`compare_sides` pairs the limits two clauses set and sums the pairs up; `describe` writes a
short label ("CN stricter, 2.5×"). Figures are compared only where their definitions agree:
same parameter, same basis, same matrix, convertible units. The Chinese figure is converted
into the Kazakh unit (a plain count, not a log count, when one side gives a log count).

Each result says why as reason codes with arguments (`message`, `note_messages`,
`detail_message`: limits.wording), which the portal writes in the reader's language;
`reason`, `notes` and `detail` are the same in English, with parameter keys.

No Django imports: a LimitSpec is built from a Limit with `LimitSpec.from_limit`.
"""

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from decimal import Context, Decimal, Overflow
from enum import StrEnum
from types import SimpleNamespace

from limits import units
from limits.notation import MAX_EXPONENT, format_limit, format_number
from limits.wording import Country, Family, Matrix, Param, Reason, Term, joined, params, render, say

KZ, CN = "kz", "cn"
ADJECTIVE = {KZ: "Kazakh", CN: "Chinese"}
SHORT = {KZ: "KZ", CN: "CN"}
KINDS = ("maximum", "minimum", "range", "absent", "prohibited", "prohibited_lod", "no_limit")
PROHIBITIONS = ("prohibited", "prohibited_lod")

# What a figure, or the absence of one, rests on; a verdict is no firmer than the
# weakest of its inputs, and from the weakest rank it is provisional.
READ, SECONDARY, NOT_READ = "read", "secondary", "not_read"
ABSENCE_VERIFIED, ABSENCE_UNCHECKED = "absence_verified", "absence_unchecked"
EVIDENCE_RANK = {READ: 0, ABSENCE_VERIFIED: 0, SECONDARY: 1, NOT_READ: 2, ABSENCE_UNCHECKED: 2}
PROVISIONAL_RANK = 2
WEAK_INPUT = {
    SECONDARY: "the {adjective} figure comes from a secondary source",
    NOT_READ: "the {adjective} figure was not read in the legal text",
    ABSENCE_UNCHECKED: "the {adjective} absence of a figure was not checked",
}


def rank(evidence):
    """0 (read, or absence verified), 1 (secondary source) or 2 (not read, or absence not
    checked); anything unknown counts as the weakest."""
    return EVIDENCE_RANK.get(evidence, PROVISIONAL_RANK)


def weak_inputs_text(weak_inputs):
    """ "the Kazakh figure was not read in the legal text; ..." for (side, evidence)s."""
    return "; ".join(
        WEAK_INPUT[evidence].format(adjective=ADJECTIVE[side]) for side, evidence in weak_inputs
    )


# Figures within this relative distance are equal: conversions are exact to ~30 digits.
_TOLERANCE = Decimal("1e-24")
# Folds and differences are shown to this many significant digits when they do not end,
# that is when they hold more than _LONG_DIGITS digits; none holds more than _TIDY_DIGITS.
_SHOWN_DIGITS = 4
_LONG_DIGITS = 10
_TIDY_DIGITS = 20
# Folds are computed to this many digits before they are tidied.
_FOLD_DIGITS = 40


@dataclass(frozen=True)
class LimitSpec:
    """One limit as the comparison sees it."""

    parameter: str  # parameter key, e.g. "lead"
    kind: str  # maximum | minimum | range | absent | prohibited | no_limit
    value: Decimal | None = None  # figure; lower bound of a range; sample quantity of absent
    upper: Decimal | None = None
    unit: str = ""
    strict: bool = False
    basis: str = ""  # "fat basis", "as NaNO2", "" = whole product
    matrix: str = ""  # what the figure applies to: "meat", "offal"; "" = the clause's product
    family: str = ""  # residue-definition family: "nitrosamines" for ndma and ndma-ndea
    n: int | None = None
    c: int | None = None
    m: Decimal | None = None
    big_m: Decimal | None = None
    evidence: str = READ  # read | secondary | not_read

    @classmethod
    def from_limit(cls, limit, *, parameter=None, matrix=None, family=None):
        """A LimitSpec from a Limit (or anything with its attributes). `parameter`,
        `matrix` and `family` default to limit.parameter.key, limit.matrix and
        limit.parameter.family."""
        if parameter is None:
            parameter = getattr(limit.parameter, "key", limit.parameter)
        if matrix is None:
            matrix = getattr(limit, "matrix", "") or ""
        if family is None:
            family = getattr(limit.parameter, "family", "") or ""
        return cls(
            parameter=parameter,
            kind=limit.kind,
            value=limit.value,
            upper=limit.upper_value,
            unit=limit.unit or "",
            strict=bool(limit.strict),
            basis=limit.basis or "",
            matrix=matrix,
            family=family,
            n=limit.plan_n,
            c=limit.plan_c,
            m=limit.plan_m,
            big_m=limit.plan_big_m,
            evidence=getattr(limit, "evidence", READ) or READ,
        )


class Verdict(StrEnum):
    EQUIVALENT = "equivalent"
    KZ_STRICTER = "kz_stricter"
    CN_STRICTER = "cn_stricter"
    DIFFERENT = "different"
    KZ_ONLY = "kz_only"
    CN_ONLY = "cn_only"
    NOT_COMPARABLE = "not_comparable"


STRICTER = {KZ: Verdict.KZ_STRICTER, CN: Verdict.CN_STRICTER}
ONLY = {KZ: Verdict.KZ_ONLY, CN: Verdict.CN_ONLY}
SWAPPED = {
    Verdict.KZ_STRICTER: Verdict.CN_STRICTER,
    Verdict.CN_STRICTER: Verdict.KZ_STRICTER,
    Verdict.KZ_ONLY: Verdict.CN_ONLY,
    Verdict.CN_ONLY: Verdict.KZ_ONLY,
}


@dataclass(frozen=True)
class LimitComparison:
    verdict: Verdict
    fold: Decimal | None  # e.g. Decimal("2.5") where a ratio means something
    difference: str  # e.g. "5 °C" for temperatures, "" otherwise
    code: str  # machine reason code, e.g. "lower_maximum", "different_basis"
    reason: str  # the message in English, with parameter keys
    notes: tuple[str, ...] = ()  # e.g. "China tests 5 sample units (n=5, c=0, m=0/25 g); ..."
    detail: str = ""  # short phrase for describe(): "different basis (fat basis vs …)"
    message: tuple[Reason, ...] = ()  # the sentences of `reason` as reason codes
    note_messages: tuple[Reason, ...] = ()
    detail_message: Reason | None = None
    difference_message: Reason | None = None  # where `difference` is words, not a figure


class _Evidenced:
    """A verdict with the evidence it rests on: `evidence` is the weakest of its inputs,
    `weak_inputs` the (side, evidence) pairs that make it so."""

    @property
    def provisional(self):
        return rank(self.evidence) >= PROVISIONAL_RANK

    @property
    def untold_weak_inputs(self):
        """The weak inputs the verdict's own words do not already say: "No Chinese figure
        found (not checked)" says that the Chinese absence was not checked."""
        result = getattr(self, "result", self)
        if result.code != "other_side_unchecked":
            return self.weak_inputs
        missing = CN if result.verdict == Verdict.KZ_ONLY else KZ
        return tuple(i for i in self.weak_inputs if i != (missing, ABSENCE_UNCHECKED))

    @property
    def weakness(self):
        return weak_inputs_text(self.untold_weak_inputs)


@dataclass(frozen=True)
class PairResult(_Evidenced):
    parameter: str
    matrix: str
    kz: LimitSpec | None
    cn: LimitSpec | None
    result: LimitComparison
    evidence: str = READ
    weak_inputs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SidesComparison(_Evidenced):
    verdict: Verdict
    fold: Decimal | None
    reason: str
    pairs: tuple[PairResult, ...]
    code: str = ""
    difference: str = ""
    detail: str = ""
    evidence: str = READ
    weak_inputs: tuple[tuple[str, str], ...] = ()
    message: tuple[Reason, ...] = ()
    detail_message: Reason | None = None
    difference_message: Reason | None = None


# --- Helpers ---------------------------------------------------------------------------


def _sentences(message):
    return message if isinstance(message, tuple) else (message,)


def _result(verdict, code, message, *, fold=None, difference="", notes=(), detail=None):
    """A LimitComparison; `message`, `notes` and `detail` are Reasons (limits.wording),
    `difference` a figure ("5 °C") or a Reason."""
    message = _sentences(message)
    words = difference if isinstance(difference, Reason) else None
    return LimitComparison(
        verdict=verdict,
        fold=fold,
        difference=render(difference),
        code=code,
        reason=render(message),
        notes=tuple(render(note) for note in notes),
        detail=render(detail) if detail is not None else "",
        message=message,
        note_messages=tuple(notes),
        detail_message=detail,
        difference_message=words,
    )


def _not_comparable(code, message, detail):
    return _result(Verdict.NOT_COMPARABLE, code, message, detail=detail)


def _c(side, form="name"):
    return Country(side, form)


def _other(side):
    return CN if side == KZ else KZ


def _tidy(value):
    """A Decimal for display: at most _SHOWN_DIGITS digits when it is long, no exponent
    within the range of figures the notation writes out (beyond it, 1E+29 stays as it is:
    format_number writes it 10^29)."""
    # First absorb the last-digit noise of inexact conversions (3.00149999…97 → 3.0015).
    value = Context(prec=_TIDY_DIGITS).plus(value).normalize(Context(prec=_TIDY_DIGITS))
    if len(value.as_tuple().digits) > _LONG_DIGITS:
        value = Context(prec=_SHOWN_DIGITS).plus(value).normalize(Context(prec=_SHOWN_DIGITS))
    if value.as_tuple().exponent > 0 and value.adjusted() <= MAX_EXPONENT:
        value = value.quantize(Decimal(1), context=Context(prec=MAX_EXPONENT + 1))
    return value


def _same(a, b):
    if a == b:
        return True
    return abs(a - b) <= max(abs(a), abs(b)) * _TOLERANCE


def _order(a, b):
    """-1, 0 or 1 as a is below, equal to or above b (equal within _TOLERANCE)."""
    if _same(a, b):
        return 0
    return -1 if a < b else 1


def _basis(spec):
    basis = " ".join(spec.basis.split()).casefold()
    return "" if basis == "whole product" else basis


def _matrix(spec):
    return " ".join(spec.matrix.split()).casefold()


def _show(spec):
    """The notation of a limit as format_limit writes it, without plan, basis, qualifier."""
    return format_limit(
        SimpleNamespace(
            kind=spec.kind,
            value=_figure(spec),
            upper_value=spec.upper,
            unit=spec.unit,
            strict=spec.strict,
            plan_n=None,
            plan_c=None,
            plan_m=None,
            plan_big_m=None,
            basis="",
            qualifier="",
        )
    )


def _figure(spec):
    """The figure of a limit: value, or m for a maximum given only by its plan."""
    if spec.value is None and spec.kind == "maximum":
        return spec.m
    return spec.value


def _by_side(kz, cn):
    return {KZ: kz, CN: cn}


class _Incomparable(Exception):
    def __init__(self, result):
        super().__init__(result.reason)
        self.result = result


def _converted(value, spec, unit):
    """`value` (in spec.unit) expressed in `unit`; raises _Incomparable."""
    if spec.unit == unit:
        return value
    if not spec.unit or not unit:
        shown = unit or spec.unit
        raise _Incomparable(
            _not_comparable("incompatible_units", say("no_unit", unit=shown), say("no_unit.detail"))
        )
    try:
        return units.convert(value, spec.unit, unit)
    except units.UnitError as error:
        code = "unknown_unit" if error.code in ("unknown_unit", "missing_unit") else error.code
        if code == "invalid_value":
            # A log count whose count is beyond what a Decimal holds (10^(10^20) CFU/g).
            code = "out_of_range"
        if error.code == "incompatible_units":
            problem = say("unit_error.incompatible_units", unit=spec.unit, other_unit=unit)
        else:
            problem = Term(error.message)
        raise _Incomparable(
            _not_comparable(
                code,
                say("unit_error", problem=problem),
                say(
                    "unit_error.detail",
                    problem=Term(code.replace("_", " ")),
                    unit=spec.unit,
                    other_unit=unit,
                ),
            )
        ) from error


def _temperature(unit):
    try:
        return bool(unit) and units.is_temperature(unit)
    except units.UnitError:
        return False


def _log(unit):
    try:
        return bool(unit) and units.is_log(unit)
    except units.UnitError:
        return False


def _gap(a, b, unit):
    """(fold, difference) between two figures in `unit`: a ratio where one means something,
    a difference for temperatures (offset units) and log counts. No ratio against zero or
    a negative figure."""
    distance = abs(a - b)
    if _temperature(unit):
        return None, f"{format_number(_tidy(distance))} {unit}"
    if _log(unit):
        return _fold(Context.power, 10, distance), f"{format_number(_tidy(distance))} log"
    low, high = min(a, b), max(a, b)
    if low <= 0:
        return None, ""
    return _fold(Context.divide, high, low), ""


def _fold(operation, a, b):
    """operation(a, b) as a fold, tidied; None where it is beyond what a Decimal holds
    (two log counts 10^20 apart: the difference still says how far apart they are)."""
    try:
        fold = operation(Context(prec=_FOLD_DIGITS), a, b)
    except Overflow:
        return None
    return _shown_fold(fold)


def _shown_fold(fold):
    """A fold tidied; one that would round to 1 keeps _SHOWN_DIGITS digits after its
    zeros (1.0000123 rather than 1), and is not given where even _TIDY_DIGITS digits
    would show 1: "1× stricter" would say the figures are the same."""
    shown = _tidy(fold)
    if shown != 1 or fold == 1:
        return shown
    digits = min(_SHOWN_DIGITS - (fold - 1).adjusted(), _TIDY_DIGITS)
    shown = Context(prec=digits).plus(fold).normalize(Context(prec=digits))
    return None if shown == 1 else shown


def _amount(fold, difference):
    """ "2.5×" or "3 °C", None when neither is known."""
    if fold is not None:
        return say("fold", fold=format_number(fold))
    return difference or None


def _stricter_by(fold, difference):
    """ "2.5× stricter" or "stricter by 3 °C"."""
    if fold is not None:
        return say("stricter.fold", fold=format_number(fold))
    if difference:
        return say("stricter.by", difference=difference)
    return say("stricter")


def _plan_text(spec):
    if spec.n is None:
        return say("single_sample")
    items = [f"n={spec.n}"]
    if spec.c is not None:
        items.append(f"c={spec.c}")
    if spec.m is not None:
        if spec.kind == "absent" and spec.value is not None:
            items.append(f"m={format_number(spec.m)}/{format_number(spec.value)} {spec.unit}")
        else:
            items.append(f"m={format_number(spec.m)}")
    if spec.big_m is not None:
        items.append(f"M={format_number(spec.big_m)}")
    plan = ", ".join(items)
    if spec.kind != "absent" and spec.unit and (spec.m is not None or spec.big_m is not None):
        plan += f" {spec.unit}"
    if spec.n == 1:
        return say("sample_unit", plan=plan)
    return say("sample_units", n=spec.n, plan=plan)


def _plan_notes(kz, cn):
    """(code suffix, notes) describing differing sampling plans."""
    plans = _by_side(kz, cn)
    n = {side: plans[side].n for side in plans}
    differs_in_n = n[KZ] != n[CN]
    cn_big_m = cn.big_m
    if cn_big_m is not None and kz.unit and cn.unit and cn.unit != kz.unit:
        with suppress(units.UnitError):
            cn_big_m = units.convert(cn_big_m, cn.unit, kz.unit)
    differs = differs_in_n or kz.c != cn.c or not _same_or_none(kz.big_m, cn_big_m)
    if not differs:
        return "", ()
    # The side that tests more sample units first.
    first = CN if (n[CN] or 1) > (n[KZ] or 1) else KZ
    second = _other(first)
    note = say(
        "plans",
        side=_c(first),
        plan=_plan_text(plans[first]),
        other=_c(second),
        other_plan=_plan_text(plans[second]),
    )
    return ("more_samples" if differs_in_n else "different_plan"), (note,)


def _same_or_none(a, b):
    if a is None or b is None:
        return a is None and b is None
    return _same(a, b)


# --- The rules -------------------------------------------------------------------------


def _definitions(kz, cn):
    """NOT_COMPARABLE when the two limits do not define the same thing, else None."""
    if kz.parameter != cn.parameter:
        names = {"kz": Param(kz.parameter), "cn": Param(cn.parameter)}
        if kz.family and kz.family == cn.family:
            return _not_comparable(
                "different_definition",
                say("different_definition", **names, family=Family(kz.family)),
                say("different_definition.detail", **names),
            )
        return _not_comparable(
            "different_parameter",
            say("different_parameter", **names),
            say("different_parameter.detail", **names),
        )
    kz_matrix, cn_matrix = _matrix(kz), _matrix(cn)
    if kz_matrix and cn_matrix and kz_matrix != cn_matrix:
        matrices = {"kz": Matrix(kz.matrix), "cn": Matrix(cn.matrix)}
        return _not_comparable(
            "different_matrix",
            say("different_matrix", **matrices),
            say("different_matrix.detail", **matrices),
        )
    for spec in (kz, cn):
        if spec.kind not in KINDS:
            return _not_comparable(
                "unknown_kind",
                say("unknown_kind", kind=spec.kind),
                say("unknown_kind.detail", kind=spec.kind),
            )
    return None


def _no_limit(specs):
    sides = [side for side in (KZ, CN) if specs[side].kind != "no_limit"]
    if not sides:
        return _result(Verdict.EQUIVALENT, "both_no_limit", say("neither_sets_a_limit"))
    side = sides[0]
    return _result(
        STRICTER[side],
        "one_side_no_limit",
        say(
            "one_side_no_limit",
            side=_c(side),
            limit=_show(specs[side]),
            other=_c(_other(side)),
        ),
        detail=say("only_side_sets_a_limit.detail", side=_c(side)),
    )


def _detection_note(side, spec):
    figure = f"{format_number(spec.value)} {spec.unit}".rstrip()
    return say("detection_limit", side=_c(side), figure=figure)


def _prohibited(specs):
    sides = [side for side in (KZ, CN) if specs[side].kind in PROHIBITIONS]
    notes = [
        _detection_note(side, specs[side]) for side in sides if specs[side].kind == "prohibited_lod"
    ]
    if sides == [KZ, CN]:
        # Two bans are equivalent in substance; detection limits are a note, never a verdict.
        return _result(
            Verdict.EQUIVALENT,
            "both_prohibited",
            say("both_prohibited"),
            notes=notes,
            detail=say("both_prohibited.detail"),
        )
    side = sides[0]
    other = specs[_other(side)]
    if other.kind in ("minimum", "range"):
        return _different_kind(specs)
    if other.kind == "absent":
        code, limit = "prohibited_vs_absent", _show(other)
    else:
        code, limit = "prohibited_vs_maximum", _show(other).lstrip("≤< ")
    return _result(
        STRICTER[side],
        "prohibited_vs_limit",
        say(code, side=_c(side), other=_c(_other(side)), limit=limit),
        notes=notes,
        detail=say("prohibited.detail", side=_c(side)),
    )


def _different_kind(specs):
    kinds = {"kz": _kind_name(specs[KZ]), "cn": _kind_name(specs[CN])}
    return _not_comparable(
        "different_kind",
        say(
            "different_kind",
            kz_kind=kinds["kz"],
            kz=_show(specs[KZ]),
            cn_kind=kinds["cn"],
            cn=_show(specs[CN]),
        ),
        say("different_kind.detail", **kinds),
    )


def _kind_name(spec):
    return Term(_KIND_NAMES[spec.kind])


_KIND_NAMES = {
    "maximum": "maximum",
    "minimum": "minimum",
    "range": "range",
    "absent": "requirement of absence",
    "prohibited": "prohibition",
    "prohibited_lod": "prohibition with a limit of detection",
    "no_limit": "no limit",
}


def _missing_figure(spec, side):
    return _not_comparable(
        "missing_value",
        say("missing_value", side_of=_c(side, "of"), kind=_kind_name(spec)),
        say("missing_value.detail", side=_c(side)),
    )


def _check_figures(specs):
    for side, spec in specs.items():
        if _figure(spec) is None or (spec.kind == "range" and spec.upper is None):
            raise _Incomparable(_missing_figure(spec, side))


def _shown_in(spec, unit, value):
    """“≤ 5 µg/kg, i.e. 0.005 mg/kg” when the figure was converted."""
    if spec.unit == unit:
        return _show(spec)
    return say("converted", limit=_show(spec), figure=f"{format_number(_tidy(value))} {unit}")


def _common_unit(kz, cn):
    """The unit figures are compared in: Kazakhstan's, but the linear one of a log count
    and a plain count (so that a zero count never needs a logarithm)."""
    if _log(kz.unit) and cn.unit and not _log(cn.unit):
        return cn.unit
    return kz.unit


def _bounds(kz, cn):
    """maximum vs maximum (lower is stricter), minimum vs minimum (higher is stricter)."""
    unit, kind = _common_unit(kz, cn), kz.kind
    values = {KZ: _converted(_figure(kz), kz, unit), CN: _converted(_figure(cn), cn, unit)}
    specs = _by_side(kz, cn)
    order = _order(values[KZ], values[CN])
    plan_code, notes = _plan_notes(kz, cn) if kind == "maximum" else ("", ())
    if order == 0:
        if kz.strict == cn.strict:
            code = f"same_limit_{plan_code}" if plan_code else "same_limit"
            return _result(
                Verdict.EQUIVALENT,
                code,
                say(
                    "same_limit",
                    kind=Term(kind),
                    kz=_shown_in(kz, unit, values[KZ]),
                    cn=_shown_in(cn, unit, values[CN]),
                ),
                notes=notes,
            )
        side = KZ if kz.strict else CN
        return _result(
            STRICTER[side],
            "strict_inequality",
            say(
                "strictly_below" if kind == "maximum" else "strictly_above",
                figure=f"{format_number(values[KZ])} {unit}".rstrip(),
                side=_c(side),
            ),
            notes=notes,
            detail=say("strict_inequality.detail"),
        )
    lower = KZ if order < 0 else CN
    side = lower if kind == "maximum" else _other(lower)
    fold, difference = _gap(values[KZ], values[CN], unit)
    comparison = "lower" if kind == "maximum" else "higher"
    code = f"{comparison}_{kind}"
    amount = _amount(fold, difference)
    return _result(
        STRICTER[side],
        code,
        say(
            f"{code}.by" if amount else code,
            side_of=_c(side, "of"),
            limit=_shown_in(specs[side], unit, values[side]),
            **({"amount": amount} if amount else {}),
            other_of=_c(_other(side), "of"),
            other_limit=_shown_in(specs[_other(side)], unit, values[_other(side)]),
            side=_c(side),
        ),
        fold=fold,
        difference=difference,
        notes=notes,
    )


def _ranges(kz, cn):
    unit = _common_unit(kz, cn)
    low = {KZ: _converted(kz.value, kz, unit), CN: _converted(cn.value, cn, unit)}
    high = {KZ: _converted(kz.upper, kz, unit), CN: _converted(cn.upper, cn, unit)}
    shown = {KZ: _show(kz), CN: _show(cn)}
    if _same(low[KZ], low[CN]) and _same(high[KZ], high[CN]):
        return _result(
            Verdict.EQUIVALENT, "same_range", say("same_range", kz=shown[KZ], cn=shown[CN])
        )
    for inner in (KZ, CN):
        outer = _other(inner)
        if _order(low[outer], low[inner]) <= 0 and _order(high[inner], high[outer]) <= 0:
            width = {side: _tidy(high[side] - low[side]) for side in (KZ, CN)}
            difference = say(
                "narrower_range.difference",
                width=f"{format_number(width[inner])} {unit}",
                other_width=f"{format_number(width[outer])} {unit}",
            )
            return _result(
                STRICTER[inner],
                "narrower_range",
                say(
                    "narrower_range",
                    side_of=_c(inner, "of"),
                    limit=shown[inner],
                    other_of=_c(outer, "of"),
                    other_limit=shown[outer],
                    difference=difference,
                    side=_c(inner),
                ),
                difference=difference,
            )
    code = (
        "ranges_overlap"
        if _order(max(low.values()), min(high.values())) <= 0
        else "ranges_disjoint"
    )
    return _result(
        Verdict.DIFFERENT,
        code,
        say(code, kz=shown[KZ], cn=shown[CN]),
        detail=say(f"{code}.detail"),
    )


def _range_vs_bound(kz, cn):
    """A range against a maximum (upper bounds) or a minimum (lower bounds)."""
    specs = _by_side(kz, cn)
    ranged = KZ if kz.kind == "range" else CN
    bounded = _other(ranged)
    kind = specs[bounded].kind
    unit = _common_unit(kz, cn)
    range_spec, bound_spec = specs[ranged], specs[bounded]
    which = "upper" if kind == "maximum" else "lower"
    range_bound = range_spec.upper if kind == "maximum" else range_spec.value
    values = {
        ranged: _converted(range_bound, range_spec, unit),
        bounded: _converted(_figure(bound_spec), bound_spec, unit),
    }
    other_end = "lower" if which == "upper" else "upper"
    order = _order(values[ranged], values[bounded])
    code = f"range_vs_{kind}"
    stated = say(
        code,
        side_of=_c(ranged, "of"),
        limit=_show(range_spec),
        other_of=_c(bounded, "of"),
        other_limit=_show(bound_spec),
    )
    if order == 0:
        # Equal where both speak: the range's other bound has nothing on the other side to
        # be compared with (a chilled class's 0 °C against a maximum of 4 °C), so it makes
        # neither side stricter.
        unmatched = f"unmatched_{which}_bound"
        return _not_comparable(
            "unmatched_bound",
            say(unmatched, stated=stated, side_of=_c(ranged, "of"), other_adj=_c(bounded, "adj")),
            say(f"{unmatched}.detail", side_of=_c(ranged, "of")),
        )
    range_lower = order < 0
    side = ranged if range_lower == (kind == "maximum") else bounded
    fold, difference = _gap(values[ranged], values[bounded], unit)
    notes = ()
    if side == bounded:
        notes = (
            say(
                f"range_also_{other_end}",
                side_of=_c(ranged, "of"),
                other_of=_c(bounded, "of"),
            ),
        )
    on_bound = f"stricter_on_{which}_bound"
    return _result(
        STRICTER[side],
        code,
        say(on_bound, stated=stated, side=_c(side), stricter=_stricter_by(fold, difference)),
        fold=fold,
        difference=difference,
        notes=notes,
        detail=say(f"{on_bound}.detail"),
    )


def _absences(kz, cn):
    """Not detected in q: the larger quantity tested is stricter."""
    unit = kz.unit
    values = {KZ: _converted(kz.value, kz, unit), CN: _converted(cn.value, cn, unit)}
    specs = _by_side(kz, cn)
    plan_code, notes = _plan_notes(kz, cn)
    order = _order(values[KZ], values[CN])
    if order == 0:
        return _result(
            Verdict.EQUIVALENT,
            f"same_limit_{plan_code}" if plan_code else "same_limit",
            say("same_absence", limit=_show(kz)),
            notes=notes,
        )
    side = KZ if order > 0 else CN
    fold, _ = _gap(values[KZ], values[CN], unit)
    figures = {
        "side": _c(side),
        "limit": _shown_in(specs[side], unit, values[side]),
        "other": _c(_other(side)),
        "other_limit": _shown_in(specs[_other(side)], unit, values[_other(side)]),
    }
    if fold is not None:
        message = say("larger_sample.by", **figures, fold=format_number(fold))
    else:
        message = say("larger_sample", **figures)
    return _result(STRICTER[side], "larger_sample", message, fold=fold, notes=notes)


def _absent_vs_maximum(kz, cn):
    """“Not detected in q g” read as fewer than 1 per q g, against a count per mass."""
    specs = _by_side(kz, cn)
    absent = KZ if kz.kind == "absent" else CN
    maximum = _other(absent)
    absent_spec, maximum_spec = specs[absent], specs[maximum]
    unit = maximum_spec.unit
    try:
        threshold = units.one_per(absent_spec.value, absent_spec.unit, unit)
    except units.UnitError as error:
        shown_unit = unit or Term("no unit")
        return _not_comparable(
            "incompatible_units",
            say(
                "absent_unrelated",
                side_of=_c(absent, "of"),
                limit=_show(absent_spec),
                other_of=_c(maximum, "of"),
                unit=shown_unit,
                problem=Term(error.message),
            ),
            say("absent_unrelated.detail", unit=absent_spec.unit, other_unit=shown_unit),
        )
    figure = _figure(maximum_spec)
    reading = say(
        "reads_below" if _log(unit) else "reads_fewer",
        side_of=_c(absent, "of"),
        limit=_show(absent_spec),
        figure=f"{format_number(_tidy(threshold))} {unit}",
    )
    allows = say(
        "allows_less" if maximum_spec.strict else "allows",
        side=_c(maximum),
        limit=_show(maximum_spec).lstrip("≤< "),
    )
    _, notes = _plan_notes(kz, cn)
    order = _order(threshold, figure)
    if order == 0:
        if maximum_spec.strict:
            return _result(
                Verdict.EQUIVALENT,
                "absent_vs_maximum",
                say("absent_same", reading=reading, allows=allows),
                notes=notes,
            )
        return _result(
            STRICTER[absent],
            "absent_vs_maximum",
            say("absent_one_more", reading=reading, allows=allows, side=_c(absent)),
            notes=notes,
            detail=say("absent_one_more.detail", limit=_show(absent_spec)),
        )
    side = absent if order < 0 else maximum
    fold, difference = _gap(threshold, figure, unit)
    return _result(
        STRICTER[side],
        "absent_vs_maximum",
        say(
            "absent_vs_maximum",
            reading=reading,
            allows=allows,
            side=_c(side),
            stricter=_stricter_by(fold, difference),
        ),
        fold=fold,
        difference=difference,
        notes=notes,
    )


def _compare(kz, cn):
    unsettled = _definitions(kz, cn)
    if unsettled:
        return unsettled
    specs = _by_side(kz, cn)
    kinds = {kz.kind, cn.kind}
    if "no_limit" in kinds:
        return _no_limit(specs)
    if kinds & set(PROHIBITIONS):
        return _prohibited(specs)
    if _basis(kz) != _basis(cn):
        shown = {side: Term(spec.basis.strip() or "whole product") for side, spec in specs.items()}
        return _not_comparable(
            "different_basis",
            say("different_basis", **shown),
            say("different_basis.detail", **shown),
        )
    _check_figures(specs)
    if kz.kind == cn.kind and kz.kind in ("maximum", "minimum"):
        return _bounds(kz, cn)
    if kinds == {"range"}:
        return _ranges(kz, cn)
    if "range" in kinds and kinds & {"maximum", "minimum"}:
        return _range_vs_bound(kz, cn)
    if kinds == {"absent"}:
        return _absences(kz, cn)
    if kinds == {"absent", "maximum"}:
        return _absent_vs_maximum(kz, cn)
    return _different_kind(specs)


def compare_limits(kz: LimitSpec, cn: LimitSpec) -> LimitComparison:
    """Compare a Kazakh limit with a Chinese one; see the module docstring."""
    try:
        return _compare(kz, cn)
    except _Incomparable as incomparable:
        return incomparable.result


# --- Both sides of a mapping -----------------------------------------------------------


def _pairs(kz, cn):
    """Pair the limits of both sides: [(kz spec or None, cn spec or None), ...]. Three
    passes, each on what the ones before left: same parameter and matrix; a limit
    without matrix against the others of its parameter; one residue-definition family."""
    kz, cn = list(kz), list(cn)
    kz_used, cn_used = [False] * len(kz), [False] * len(cn)
    pairs = _same_parameter_and_matrix(kz, cn, kz_used, cn_used)
    pairs += _without_matrix(kz, cn, kz_used, cn_used)
    pairs += _same_family(kz, cn, kz_used, cn_used)
    pairs.sort()
    result = [(kz[i], cn[j]) for i, j in pairs]
    result += [(kz[i], None) for i in range(len(kz)) if not kz_used[i]]
    result += [(None, cn[j]) for j in range(len(cn)) if not cn_used[j]]
    return result


def _first_match(kz, cn, kz_used, cn_used, matches, skip=lambda k: False):
    """Each unused Kazakh limit with the first unused Chinese one that `matches` it."""
    pairs = []
    for i, k in enumerate(kz):
        if kz_used[i] or skip(k):
            continue
        for j, c in enumerate(cn):
            if not cn_used[j] and matches(k, c):
                pairs.append((i, j))
                kz_used[i] = cn_used[j] = True
                break
    return pairs


def _same_parameter_and_matrix(kz, cn, kz_used, cn_used):
    return _first_match(
        kz,
        cn,
        kz_used,
        cn_used,
        lambda k, c: c.parameter == k.parameter and _matrix(c) == _matrix(k),
    )


def _without_matrix(kz, cn, kz_used, cn_used):
    """A limit without matrix pairs with the remaining limits of its parameter on the
    other side: with the only one, or with each of them ("matches anything")."""
    fan_out = [
        (i, j)
        for i, k in enumerate(kz)
        if not kz_used[i] and not _matrix(k)
        for j, c in enumerate(cn)
        if not cn_used[j] and c.parameter == k.parameter and _matrix(c)
    ]
    fan_out += [
        (i, j)
        for j, c in enumerate(cn)
        if not cn_used[j] and not _matrix(c)
        for i, k in enumerate(kz)
        if not kz_used[i] and k.parameter == c.parameter and _matrix(k)
    ]
    for i, j in fan_out:
        kz_used[i] = cn_used[j] = True
    return fan_out


def _same_family(kz, cn, kz_used, cn_used):
    """Different parameters of one residue-definition family."""
    return _first_match(
        kz,
        cn,
        kz_used,
        cn_used,
        lambda k, c: c.family == k.family and c.parameter != k.parameter,
        skip=lambda k: not k.family,
    )


def _one_sided(kz, cn, absence=ABSENCE_VERIFIED):
    """One side sets a limit and the other none: "X only" where the other side's absence
    was verified, else only that no figure of the other side was found."""
    side, spec = (KZ, kz) if kz is not None else (CN, cn)
    other = _other(side)
    parameter = Param(spec.parameter, spec.matrix)
    if spec.kind == "no_limit":
        return _result(
            Verdict.EQUIVALENT,
            "both_no_limit",
            say("both_no_limit", side=_c(side), parameter=parameter, other=_c(other)),
        )
    if rank(absence) >= PROVISIONAL_RANK:
        return _result(
            ONLY[side],
            "other_side_unchecked",
            say(
                "other_side_unchecked",
                other_adj=_c(other, "adj"),
                parameter=parameter,
                side=_c(side),
                limit=_show(spec),
            ),
            detail=say("other_side_unchecked.detail", other_adj=_c(other, "adj")),
        )
    return _result(
        ONLY[side],
        "one_side_only",
        say(
            "one_side_only",
            side=_c(side),
            parameter=parameter,
            limit=_show(spec),
            other=_c(other),
        ),
        detail=say("only_side_sets_a_limit.detail", side=_c(side)),
    )


def _pair_result(kz, cn, absence):
    if kz is None or cn is None:
        return _one_sided(kz, cn, absence[KZ if kz is None else CN])
    # A limit against an explicit "no limit" stays "stricter" (code one_side_no_limit): the
    # other side has looked at the parameter and set nothing, which is a gap.
    return compare_limits(kz, cn)


def _sides_result(verdict, code, message, pairs, *, fold=None, difference="", detail=None):
    """A SidesComparison; `message` is a Reason or a tuple of them, `detail` a Reason."""
    message = _sentences(message)
    return SidesComparison(
        verdict=verdict,
        fold=fold,
        reason=render(message),
        pairs=tuple(pairs),
        code=code,
        difference=render(difference),
        detail=render(detail) if detail is not None else "",
        message=message,
        detail_message=detail,
        difference_message=difference if isinstance(difference, Reason) else None,
    )


def _figures(pairs):
    """'core-temperature (KZ ≥ 70 °C, CN ≥ 72 °C)' for each pair."""
    return joined(
        say(
            "opposite_directions.figures",
            parameter=Param(pair.parameter, pair.matrix),
            kz=_show(pair.kz),
            cn=_show(pair.cn),
        )
        for pair in pairs
    )


def _extras(one_sided, incomparable):
    """The sentence "Also: …" on the pairs that do not decide, as a tuple of Reasons
    (empty when there are none)."""
    extras = []
    for side in (KZ, CN):
        only = [pair for pair in one_sided if pair.result.verdict == ONLY[side]]
        found = [pair for pair in only if pair.result.code != "other_side_unchecked"]
        if found:
            extras.append(say("also.only", side=_c(side), parameters=params(found)))
        if unchecked := [pair for pair in only if pair not in found]:
            extras.append(
                say(
                    "also.unchecked",
                    other_adj=_c(_other(side), "adj"),
                    parameters=params(unchecked),
                )
            )
    if incomparable:
        items = joined(
            say(
                "parameter_detail",
                parameter=Param(pair.parameter, pair.matrix),
                detail=pair.result.detail_message,
            )
            for pair in incomparable
        )
        extras.append(say("also.not_comparable", items=items))
    return (say("also", items=joined(extras, "; ")),) if extras else ()


def _weakest(inputs):
    """(evidence, weak inputs) of [(side, evidence)]: the weakest evidence, and the inputs
    of that evidence when it is weaker than read."""
    evidence = max((e for _side, e in inputs), key=rank, default=READ)
    if rank(evidence) == 0:
        return evidence, ()
    weak = [(side, e) for side, e in inputs if rank(e) == rank(evidence)]
    return evidence, tuple(dict.fromkeys(weak))


def _pair(kz_spec, cn_spec, absence):
    spec = kz_spec or cn_spec
    matrix = (kz_spec.matrix if kz_spec else "") or (cn_spec.matrix if cn_spec else "")
    inputs = [
        (side, limit.evidence if limit is not None else absence[side])
        for side, limit in ((KZ, kz_spec), (CN, cn_spec))
    ]
    evidence, weak = _weakest(inputs)
    result = _pair_result(kz_spec, cn_spec, absence)
    return PairResult(spec.parameter, matrix, kz_spec, cn_spec, result, evidence, weak)


def _with_evidence(comparison, pairs):
    """The summary carries the weakest evidence of the pairs that decide it."""
    deciding = [p for p in pairs if p.result.verdict != Verdict.NOT_COMPARABLE] or pairs
    evidence = max((p.evidence for p in deciding), key=rank, default=READ)
    weak = tuple(
        dict.fromkeys(
            inp for p in deciding if rank(p.evidence) == rank(evidence) for inp in p.weak_inputs
        )
    )
    return SidesComparison(**{**comparison.__dict__, "evidence": evidence, "weak_inputs": weak})


def compare_sides(
    kz: Sequence[LimitSpec],
    cn: Sequence[LimitSpec],
    *,
    kz_absence=ABSENCE_VERIFIED,
    cn_absence=ABSENCE_VERIFIED,
) -> SidesComparison:
    """Pair the limits of a Kazakh and a Chinese clause by parameter and matrix, compare each
    pair and sum them up. `kz_absence` and `cn_absence` say whether a side's absence of a
    figure was verified (ABSENCE_VERIFIED) or not (ABSENCE_UNCHECKED): "X only" needs the
    other side's verified absence. The result's evidence is the weakest of its inputs."""
    absence = {KZ: kz_absence, CN: cn_absence}
    pairs = [_pair(kz_spec, cn_spec, absence) for kz_spec, cn_spec in _pairs(kz, cn)]
    return _with_evidence(_summed(pairs), pairs)


def _summed(pairs):
    if not pairs:
        return _sides_result(
            Verdict.NOT_COMPARABLE,
            "no_limits",
            say("no_limits"),
            pairs,
            detail=say("no_limits.detail"),
        )
    # A lone "no limit" with nothing opposite neither side sets a figure: it decides nothing.
    neutral = [p for p in pairs if p.result.code == "both_no_limit"]
    if len(neutral) == len(pairs):
        first = neutral[0].result
        return _sides_result(
            first.verdict, first.code, first.message, pairs, detail=first.detail_message
        )
    deciding = [p for p in pairs if p not in neutral]
    by_verdict = {
        verdict: [p for p in deciding if p.result.verdict == verdict] for verdict in Verdict
    }
    one_sided = by_verdict[Verdict.KZ_ONLY] + by_verdict[Verdict.CN_ONLY]
    incomparable = by_verdict[Verdict.NOT_COMPARABLE]
    comparable = [p for p in deciding if p not in one_sided and p not in incomparable]
    extras = _extras(one_sided, incomparable)

    if comparable:
        return _sum_comparable(comparable, by_verdict, extras, pairs)
    if one_sided:
        sides = {pair.result.verdict for pair in one_sided}
        if sides == set(ONLY.values()):
            return _sides_result(
                Verdict.DIFFERENT,
                "one_sided_both",
                say(
                    "one_sided_both",
                    kz=params(by_verdict[Verdict.KZ_ONLY]),
                    cn=params(by_verdict[Verdict.CN_ONLY]),
                ),
                pairs,
                detail=say("one_sided_both.detail"),
            )
        verdict = sides.pop()
        side = KZ if verdict == Verdict.KZ_ONLY else CN
        return _one_side_summary(verdict, side, one_sided, incomparable, pairs)
    first = incomparable[0].result
    return _sides_result(
        Verdict.NOT_COMPARABLE, first.code, first.message, pairs, detail=first.detail_message
    )


def _one_side_summary(verdict, side, one_sided, incomparable, pairs):
    unchecked = [p for p in one_sided if p.result.code == "other_side_unchecked"]
    other = _other(side)
    if len(one_sided) == 1:
        message = one_sided[0].result.message
    elif unchecked:
        message = (
            say(
                "unchecked_several",
                other_adj=_c(other, "adj"),
                parameters=params(one_sided),
                side=_c(side),
            ),
        )
    else:
        message = (say("only_side_sets_limits", side=_c(side), parameters=params(one_sided)),)
    code, detail = (
        ("other_side_unchecked", say("other_side_unchecked.detail", other_adj=_c(other, "adj")))
        if unchecked
        else ("one_side_only", say("only_side_sets_a_limit.detail", side=_c(side)))
    )
    return _sides_result(verdict, code, message + _extras([], incomparable), pairs, detail=detail)


def _sum_comparable(comparable, by_verdict, extras, pairs):
    stricter = {side: by_verdict[STRICTER[side]] for side in (KZ, CN)}
    different = by_verdict[Verdict.DIFFERENT]
    equivalent = by_verdict[Verdict.EQUIVALENT]
    if stricter[KZ] and stricter[CN]:
        pulls = joined(
            (
                say("opposite_directions.pull", side=_c(side), figures=_figures(stricter[side]))
                for side in (KZ, CN)
            ),
            "; ",
        )
        details = say(
            "opposite_directions.detail", kz=params(stricter[KZ]), cn=params(stricter[CN])
        )
        return _sides_result(
            Verdict.DIFFERENT,
            "opposite_directions",
            (say("opposite_directions", pulls=pulls), *extras),
            pairs,
            detail=details,
        )
    if different:
        if len(comparable) == 1:
            result = different[0].result
            return _sides_result(
                Verdict.DIFFERENT,
                result.code,
                result.message + extras,
                pairs,
                detail=result.detail_message,
            )
        return _sides_result(
            Verdict.DIFFERENT,
            "different",
            (say("different", parameters=params(different)), *extras),
            pairs,
            detail=say("different.detail", parameters=params(different)),
        )
    directional = stricter[KZ] or stricter[CN]
    if not directional:
        message = (
            equivalent[0].result.message
            if len(equivalent) == 1
            else (say("equivalent_several", parameters=params(equivalent)),)
        )
        return _sides_result(Verdict.EQUIVALENT, "equivalent", message + extras, pairs)
    side = KZ if stricter[KZ] else CN
    if len(directional) == 1:
        result = directional[0].result
        message = result.message
        if equivalent:
            message += (say("same_on", parameters=params(equivalent)),)
        return _sides_result(
            STRICTER[side],
            result.code,
            message + extras,
            pairs,
            fold=result.fold,
            difference=result.difference_message or result.difference,
            detail=result.detail_message,
        )
    folds = [pair.result.fold for pair in directional if pair.result.fold is not None]
    if equivalent:
        summary = say(
            "stricter_on_several_same",
            side=_c(side),
            parameters=params(directional),
            same=params(equivalent),
        )
    else:
        summary = say("stricter_on_several", side=_c(side), parameters=params(directional))
    return _sides_result(
        STRICTER[side],
        f"{side}_stricter",
        (summary, *extras),
        pairs,
        fold=min(folds) if folds else None,
    )


# --- Labels ----------------------------------------------------------------------------


def describe(result) -> str:
    """A short label of a LimitComparison, SidesComparison or PairResult:
    "CN stricter, 2.5×", "Equivalent", "Not comparable: different basis (fat basis vs whole
    product)", "Only Kazakhstan sets a limit", "No Chinese figure found (not checked)";
    a provisional verdict says so and why: "provisional: KZ stricter, 5× (the Kazakh figure
    was not read in the legal text)"."""
    label = _label_of(result.result if isinstance(result, PairResult) else result)
    if isinstance(result, _Evidenced) and result.provisional:
        why = result.weakness
        return f"provisional: {label} ({why})" if why else f"provisional: {label}"
    return label


def _label_of(result):
    verdict = Verdict(result.verdict)
    detail = getattr(result, "detail", "")
    if verdict == Verdict.EQUIVALENT:
        return "Equivalent"
    if verdict in (Verdict.KZ_STRICTER, Verdict.CN_STRICTER):
        who = SHORT[KZ if verdict == Verdict.KZ_STRICTER else CN]
        if result.fold is not None:
            return f"{who} stricter, {format_number(result.fold)}×"
        if result.code == "narrower_range":
            return f"{who} stricter: narrower range ({result.difference})"
        if result.difference:
            return f"{who} stricter by {result.difference}"
        if detail and not detail.startswith("only"):
            return f"{who} stricter: {detail}"
        return f"{who} stricter"
    if result.code == "other_side_unchecked":
        return detail[0].upper() + detail[1:]
    if verdict == Verdict.KZ_ONLY:
        return "Only Kazakhstan sets a limit"
    if verdict == Verdict.CN_ONLY:
        return "Only China sets a limit"
    label = "Different" if verdict == Verdict.DIFFERENT else "Not comparable"
    return f"{label}: {detail}" if detail else label
