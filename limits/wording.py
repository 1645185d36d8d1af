"""The words of a comparison as reason codes and arguments, rendered by whoever reads them.

limits.compare says why one limit is stricter with a `Reason`: a code (a key of TEMPLATES)
and its arguments. Arguments that depend on the reader's language stay typed: a `Country`
(Kazakhstan, Kazakhstan's, Kazakh), a `Param` (a parameter key and the product it applies
to), a `Matrix` or `Family` key, a `Term` (an English word the reader's language may
have), a nested `Reason`, or a `Joined` list of them; anything else (a limit's notation,
a figure) is shown as it is.

`render(message, words)` writes a Reason, or a tuple of Reasons (sentences), with a
`Words`: `ENGLISH` here (parameter keys, the comparison's own log), and a translating one
in the portal (standards.wording: gettext, parameter names in the reader's language).

No Django imports: the templates are marked with a local `gettext_noop`, which the
portal's message extraction finds like Django's own.
"""

from dataclasses import dataclass


def gettext_noop(text):
    """Marks a template for extraction into the portal's catalogs; returns it unchanged."""
    return text


@dataclass(frozen=True)
class Country:
    side: str  # "kz" | "cn"
    form: str = "name"  # name ("Kazakhstan") | of ("Kazakhstan's") | adj ("Kazakh")


@dataclass(frozen=True)
class Param:
    key: str
    matrix: str = ""  # the product the figure applies to: "meat", "offal"; "" = the clause's


@dataclass(frozen=True)
class Matrix:
    key: str


@dataclass(frozen=True)
class Family:
    key: str  # a residue-definition family: "nitrosamines"


@dataclass(frozen=True)
class Term:
    text: str  # English


@dataclass(frozen=True)
class Reason:
    code: str
    args: tuple[tuple[str, object], ...] = ()

    @property
    def template(self):
        return TEMPLATES[self.code]

    def arg(self, name):
        return dict(self.args)[name]


@dataclass(frozen=True)
class Joined:
    items: tuple
    separator: str = ", "


def say(code, **args):
    """A Reason; raises KeyError for a code without a template."""
    if code not in TEMPLATES:
        raise KeyError(code)
    return Reason(code, tuple(args.items()))


def joined(items, separator=", "):
    return Joined(tuple(items), separator)


def params(pairs):
    """The Params of PairResults (anything with .parameter and .matrix)."""
    return joined(Param(pair.parameter, pair.matrix) for pair in pairs)


COUNTRY_EN = {
    "name": {"kz": "Kazakhstan", "cn": "China"},
    "of": {"kz": "Kazakhstan's", "cn": "China's"},
    "adj": {"kz": "Kazakh", "cn": "Chinese"},
}


class Words:
    """How the parts of a Reason are written; this one in English with parameter keys."""

    def template(self, reason):
        return reason.template

    def country(self, country):
        return COUNTRY_EN[country.form][country.side]

    def parameter(self, param):
        matrix = self.matrix(param.matrix) if param.matrix else ""
        return f"{param.key} ({matrix})" if matrix else param.key

    def matrix(self, key):
        return key

    def family(self, key):
        return key

    def term(self, text):
        return text

    def separator(self, separator):
        return separator


ENGLISH = Words()


def render(message, words=ENGLISH):
    """The text of a Reason, a tuple of Reasons (sentences joined by a space) or any
    argument of one."""
    if isinstance(message, tuple):
        return " ".join(render(part, words) for part in message)
    if isinstance(message, Reason):
        values = {name: render(value, words) for name, value in message.args}
        return words.template(message) % values
    if isinstance(message, Joined):
        return words.separator(message.separator).join(
            render(item, words) for item in message.items
        )
    return _part(message, words)


def _part(value, words):
    if isinstance(value, Country):
        return words.country(value)
    if isinstance(value, Param):
        return words.parameter(value)
    if isinstance(value, Matrix):
        return words.matrix(value.key)
    if isinstance(value, Family):
        return words.family(value.key)
    if isinstance(value, Term):
        return words.term(value.text)
    return "" if value is None else str(value)


# Words a Term may hold: kinds of limit, sides of a range, what a figure lacks.
TERMS = (
    gettext_noop("maximum"),
    gettext_noop("minimum"),
    gettext_noop("range"),
    gettext_noop("requirement of absence"),
    gettext_noop("prohibition"),
    gettext_noop("prohibition with a limit of detection"),
    gettext_noop("no limit"),
    gettext_noop("no unit"),
    gettext_noop("whole product"),
    gettext_noop("unknown unit"),
    gettext_noop("out of range"),
    gettext_noop("incompatible units"),
)

# Every sentence and phrase of a comparison: code -> English template (the msgid).
TEMPLATES = {
    # --- definitions
    "no_unit": gettext_noop(
        "One figure has no unit and the other is in %(unit)s: they cannot be compared."
    ),
    "no_unit.detail": gettext_noop("incompatible units (one has no unit)"),
    "unit_error": gettext_noop("The figures cannot be compared: %(problem)s."),
    "unit_error.incompatible_units": gettext_noop(
        "%(unit)s cannot be converted into %(other_unit)s: they measure different things"
    ),
    "unit_error.detail": gettext_noop("%(problem)s (%(unit)s vs %(other_unit)s)"),
    "different_definition": gettext_noop(
        "Kazakhstan limits %(kz)s and China %(cn)s: different definitions within "
        "%(family)s, so their figures are not compared."
    ),
    "different_definition.detail": gettext_noop("different definition (%(kz)s vs %(cn)s)"),
    "different_parameter": gettext_noop(
        "Kazakhstan limits %(kz)s and China %(cn)s: different parameters."
    ),
    "different_parameter.detail": gettext_noop("different parameter (%(kz)s vs %(cn)s)"),
    "different_matrix": gettext_noop(
        "Kazakhstan's figure applies to %(kz)s and China's to %(cn)s: different products, "
        "so their figures are not compared."
    ),
    "different_matrix.detail": gettext_noop("different matrix (%(kz)s vs %(cn)s)"),
    "unknown_kind": gettext_noop("“%(kind)s” is not a kind of limit the comparison knows."),
    "unknown_kind.detail": gettext_noop("unknown kind of limit (%(kind)s)"),
    "different_basis": gettext_noop(
        "Kazakhstan's figure is on %(kz)s and China's on %(cn)s: different bases, so "
        "their figures are not compared."
    ),
    "different_basis.detail": gettext_noop("different basis (%(kz)s vs %(cn)s)"),
    "different_kind": gettext_noop(
        "Kazakhstan sets a %(kz_kind)s (%(kz)s) and China a %(cn_kind)s (%(cn)s): "
        "different kinds of limit."
    ),
    "different_kind.detail": gettext_noop("different kind of limit (%(kz)s vs %(cn)s)"),
    "missing_value": gettext_noop("%(side_of)s %(kind)s has no figure to compare."),
    "missing_value.detail": gettext_noop("missing figure (%(side)s)"),
    # --- no limit, prohibitions
    "neither_sets_a_limit": gettext_noop("Neither Kazakhstan nor China sets a limit."),
    "one_side_no_limit": gettext_noop(
        "Only %(side)s sets a limit (%(limit)s); %(other)s sets none, a gap in its requirements."
    ),
    "only_side_sets_a_limit.detail": gettext_noop("only %(side)s sets a limit"),
    "detection_limit": gettext_noop(
        "%(side)s enforces its ban with a limit of detection of %(figure)s: an enforcement "
        "threshold, not a tolerance."
    ),
    "both_prohibited": gettext_noop("Both sides prohibit it outright."),
    "both_prohibited.detail": gettext_noop("both prohibit it"),
    "prohibited_vs_absent": gettext_noop(
        "%(side)s prohibits it outright; %(other)s only requires it to be %(limit)s."
    ),
    "prohibited_vs_maximum": gettext_noop(
        "%(side)s prohibits it outright; %(other)s tolerates it up to %(limit)s."
    ),
    "prohibited.detail": gettext_noop("%(side)s prohibits it"),
    # --- maxima and minima
    "same_limit": gettext_noop("Both set the same %(kind)s: %(kz)s (Kazakhstan), %(cn)s (China)."),
    "strictly_below": gettext_noop(
        "Both set %(figure)s, but %(side)s requires strictly below (< rather than ≤) it: "
        "%(side)s is stricter."
    ),
    "strictly_above": gettext_noop(
        "Both set %(figure)s, but %(side)s requires strictly above (> rather than ≥) it: "
        "%(side)s is stricter."
    ),
    "strict_inequality.detail": gettext_noop("strict inequality"),
    "lower_maximum": gettext_noop(
        "%(side_of)s maximum (%(limit)s) is lower than %(other_of)s (%(other_limit)s): "
        "%(side)s is stricter."
    ),
    "lower_maximum.by": gettext_noop(
        "%(side_of)s maximum (%(limit)s) is %(amount)s lower than %(other_of)s "
        "(%(other_limit)s): %(side)s is stricter."
    ),
    "higher_minimum": gettext_noop(
        "%(side_of)s minimum (%(limit)s) is higher than %(other_of)s (%(other_limit)s): "
        "%(side)s is stricter."
    ),
    "higher_minimum.by": gettext_noop(
        "%(side_of)s minimum (%(limit)s) is %(amount)s higher than %(other_of)s "
        "(%(other_limit)s): %(side)s is stricter."
    ),
    "converted": gettext_noop("%(limit)s, i.e. %(figure)s"),
    "fold": gettext_noop("%(fold)s×"),
    # --- ranges
    "same_range": gettext_noop("Both set the same range: %(kz)s (Kazakhstan), %(cn)s (China)."),
    "narrower_range": gettext_noop(
        "%(side_of)s range (%(limit)s) lies inside %(other_of)s (%(other_limit)s): it is "
        "narrower (%(difference)s), so %(side)s is stricter."
    ),
    "narrower_range.difference": gettext_noop("%(width)s wide vs %(other_width)s"),
    "ranges_overlap": gettext_noop(
        "The ranges overlap but neither lies inside the other: %(kz)s (Kazakhstan), "
        "%(cn)s (China); each side allows figures the other does not."
    ),
    "ranges_overlap.detail": gettext_noop("ranges overlap"),
    "ranges_disjoint": gettext_noop(
        "The ranges do not overlap: %(kz)s (Kazakhstan), %(cn)s (China); no figure meets both."
    ),
    "ranges_disjoint.detail": gettext_noop("ranges do not overlap"),
    "range_vs_maximum": gettext_noop(
        "%(side_of)s range (%(limit)s) against %(other_of)s maximum (%(other_limit)s)"
    ),
    "range_vs_minimum": gettext_noop(
        "%(side_of)s range (%(limit)s) against %(other_of)s minimum (%(other_limit)s)"
    ),
    "unmatched_upper_bound": gettext_noop(
        "%(stated)s: the upper bounds are the same; %(side_of)s lower bound has no "
        "%(other_adj)s counterpart, so neither side is stricter."
    ),
    "unmatched_lower_bound": gettext_noop(
        "%(stated)s: the lower bounds are the same; %(side_of)s upper bound has no "
        "%(other_adj)s counterpart, so neither side is stricter."
    ),
    "unmatched_upper_bound.detail": gettext_noop("%(side_of)s lower bound against no lower bound"),
    "unmatched_lower_bound.detail": gettext_noop("%(side_of)s upper bound against no upper bound"),
    "stricter_on_upper_bound": gettext_noop(
        "%(stated)s: comparing the upper bounds, %(side)s is %(stricter)s on the upper bound."
    ),
    "stricter_on_lower_bound": gettext_noop(
        "%(stated)s: comparing the lower bounds, %(side)s is %(stricter)s on the lower bound."
    ),
    "stricter_on_upper_bound.detail": gettext_noop("on the upper bound"),
    "stricter_on_lower_bound.detail": gettext_noop("on the lower bound"),
    "range_also_lower": gettext_noop(
        "%(side_of)s range also sets a lower bound, which %(other_of)s maximum does not."
    ),
    "range_also_upper": gettext_noop(
        "%(side_of)s range also sets a upper bound, which %(other_of)s minimum does not."
    ),
    "stricter.fold": gettext_noop("%(fold)s× stricter"),
    "stricter.by": gettext_noop("stricter by %(difference)s"),
    "stricter": gettext_noop("stricter"),
    # --- absence
    "same_absence": gettext_noop("Both require absence in the same quantity (%(limit)s)."),
    "larger_sample": gettext_noop(
        "%(side)s requires %(limit)s, %(other)s %(other_limit)s: testing a larger quantity, "
        "%(side)s is stricter."
    ),
    "larger_sample.by": gettext_noop(
        "%(side)s requires %(limit)s, %(other)s %(other_limit)s: testing a %(fold)s× larger "
        "quantity, %(side)s is stricter."
    ),
    "absent_unrelated": gettext_noop(
        "%(side_of)s “%(limit)s” cannot be related to %(other_of)s maximum in %(unit)s "
        "(%(problem)s)."
    ),
    "absent_unrelated.detail": gettext_noop("incompatible units (%(unit)s vs %(other_unit)s)"),
    "reads_fewer": gettext_noop("%(side_of)s “%(limit)s” reads as fewer than %(figure)s"),
    "reads_below": gettext_noop("%(side_of)s “%(limit)s” reads as below %(figure)s"),
    "allows": gettext_noop("%(side)s allows %(limit)s"),
    "allows_less": gettext_noop("%(side)s allows less than %(limit)s"),
    "absent_same": gettext_noop("%(reading)s; %(allows)s: the same."),
    "absent_one_more": gettext_noop("%(reading)s; %(allows)s, one more: %(side)s is stricter."),
    "absent_one_more.detail": gettext_noop("reading “%(limit)s” as fewer than 1 per quantity"),
    "absent_vs_maximum": gettext_noop("%(reading)s; %(allows)s: %(side)s is %(stricter)s."),
    # --- sampling plans
    "plans": gettext_noop("%(side)s tests %(plan)s; %(other)s %(other_plan)s"),
    "single_sample": gettext_noop("a single sample"),
    "sample_unit": gettext_noop("1 sample unit (%(plan)s)"),
    "sample_units": gettext_noop("%(n)s sample units (%(plan)s)"),
    # --- one side only
    "both_no_limit": gettext_noop(
        "%(side)s states that it sets no limit for %(parameter)s; %(other)s sets none either."
    ),
    "other_side_unchecked": gettext_noop(
        "No %(other_adj)s figure for %(parameter)s was found (not checked); %(side)s sets "
        "%(limit)s."
    ),
    "other_side_unchecked.detail": gettext_noop("no %(other_adj)s figure found (not checked)"),
    "one_side_only": gettext_noop(
        "Only %(side)s sets a limit for %(parameter)s (%(limit)s); %(other)s sets none."
    ),
    # --- a mapping's limits summed up
    "no_limits": gettext_noop("Neither side sets a typed limit to compare."),
    "no_limits.detail": gettext_noop("no limits"),
    "one_sided_both": gettext_noop(
        "Each side sets limits the other does not: only Kazakhstan sets %(kz)s; only China "
        "sets %(cn)s."
    ),
    "one_sided_both.detail": gettext_noop("each side sets limits the other does not"),
    "unchecked_several": gettext_noop(
        "No %(other_adj)s figures were found (not checked) for %(parameters)s; %(side)s sets them."
    ),
    "only_side_sets_limits": gettext_noop("Only %(side)s sets limits: %(parameters)s."),
    "also": gettext_noop("Also: %(items)s."),
    "also.only": gettext_noop("only %(side)s sets %(parameters)s"),
    "also.unchecked": gettext_noop(
        "no %(other_adj)s figure found (not checked) for %(parameters)s"
    ),
    "also.not_comparable": gettext_noop("not comparable: %(items)s"),
    "parameter_detail": gettext_noop("%(parameter)s (%(detail)s)"),
    "opposite_directions": gettext_noop("The limits pull opposite ways: %(pulls)s."),
    "opposite_directions.pull": gettext_noop("%(side)s is stricter on %(figures)s"),
    "opposite_directions.figures": gettext_noop("%(parameter)s (KZ %(kz)s, CN %(cn)s)"),
    "opposite_directions.detail": gettext_noop("KZ stricter on %(kz)s, CN stricter on %(cn)s"),
    "different": gettext_noop(
        "The limits differ without one side being stricter on %(parameters)s."
    ),
    "different.detail": gettext_noop("different on %(parameters)s"),
    "equivalent_several": gettext_noop("Both sides set the same limits for %(parameters)s."),
    "same_on": gettext_noop("The same on %(parameters)s."),
    "stricter_on_several": gettext_noop("%(side)s is stricter on %(parameters)s."),
    "stricter_on_several_same": gettext_noop(
        "%(side)s is stricter on %(parameters)s and the same on %(same)s."
    ),
}
