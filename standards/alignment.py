"""The alignment of a mapping computed from its typed limits, next to the human verdict.

Adapts prefetched Limit rows (ClauseMapping.objects.for_list()) to the plain-Python
comparison in limits.compare; issues no queries of its own.
"""

from dataclasses import dataclass

from limits.compare import (
    ABSENCE_UNCHECKED,
    ABSENCE_VERIFIED,
    LimitSpec,
    SidesComparison,
    Verdict,
    compare_sides,
    describe,
)
from standards.models import Evidence


def _side_limits(clauses):
    return [limit for clause in clauses for limit in clause.limit_rows]


# Verdicts reached only because one side sets figures the other does not.
ONE_SIDED_CODES = ("one_side_only", "other_side_unchecked", "one_sided_both")


@dataclass
class ComputedAlignment:
    result: SidesComparison
    rows: list  # [(PairResult, kz Limit | None, cn Limit | None)]
    human: str
    both_sides_have_clauses: bool
    absences: dict  # {"kz": ABSENCE_VERIFIED | ABSENCE_UNCHECKED, "cn": ...}

    @property
    def verdict(self):
        return self.result.verdict.value

    @property
    def provisional(self):
        """Built from a figure not read or an absence not checked: shown as provisional,
        never offered as a verdict to adopt."""
        return self.result.provisional

    @property
    def summary(self):
        return describe(self.result)

    @property
    def comparable(self):
        """Whether the limits decide the alignment. When both sides have clauses but only
        one sets figures, the other's requirement is qualitative: the limits alone do not
        say who is stricter."""
        if self.result.verdict == Verdict.NOT_COMPARABLE:
            return False
        return not (self.both_sides_have_clauses and self.result.code in ONE_SIDED_CODES)

    @property
    def disagrees(self):
        """The computed verdict contradicts a verdict a person has set."""
        return self.comparable and self.human != "not_assessed" and self.verdict != self.human

    @property
    def unsupported(self):
        """A recorded verdict the evidence does not support: the limits contradict it, or
        the computed verdict is only provisional, or it says "X only" while the other
        side's absence was never checked."""
        if self.human == "not_assessed":
            return False
        if self.disagrees or (self.comparable and self.provisional):
            return True
        other = {"kz_only": "cn", "cn_only": "kz"}.get(self.human)
        return other is not None and self.absences[other] == ABSENCE_UNCHECKED

    @property
    def suggests(self):
        """No one has assessed the mapping yet, but the limits give a firm verdict."""
        return self.comparable and not self.provisional and self.human == "not_assessed"


def absence_evidence(mapping, side):
    """Whether a side that sets no figure for a parameter was checked for one: verified
    when its absence was verified, or when its clauses were read in the legal text."""
    evidence = mapping.side_evidence(side)
    if evidence in (Evidence.ABSENCE_VERIFIED, Evidence.READ):
        return ABSENCE_VERIFIED
    return ABSENCE_UNCHECKED


def compute_alignment(mapping):
    kz_limits = _side_limits(mapping.kz_side)
    cn_limits = _side_limits(mapping.cn_side)
    kz_specs = [LimitSpec.from_limit(limit) for limit in kz_limits]
    cn_specs = [LimitSpec.from_limit(limit) for limit in cn_limits]
    result = compare_sides(
        kz_specs,
        cn_specs,
        kz_absence=absence_evidence(mapping, "kz"),
        cn_absence=absence_evidence(mapping, "cn"),
    )
    # Specs are frozen dataclasses: map them back to the rows they came from.
    kz_lookup = dict(zip(kz_specs, kz_limits, strict=True))
    cn_lookup = dict(zip(cn_specs, cn_limits, strict=True))
    rows = [(pair, kz_lookup.get(pair.kz), cn_lookup.get(pair.cn)) for pair in result.pairs]
    return ComputedAlignment(
        result=result,
        rows=rows,
        human=mapping.alignment,
        both_sides_have_clauses=bool(mapping.kz_side and mapping.cn_side),
        absences={side: absence_evidence(mapping, side) for side in ("kz", "cn")},
    )
