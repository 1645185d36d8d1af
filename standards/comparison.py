"""Putting the limits of the two sides of a mapping next to each other.

Works on prefetched objects (ClauseMapping.objects.for_list()) and issues no queries.
"""

from dataclasses import dataclass, field


@dataclass
class LimitRow:
    parameter: object
    kz: list = field(default_factory=list)
    cn: list = field(default_factory=list)

    @property
    def differs(self):
        """Both sides set this parameter and their figures are not the same."""
        return bool(self.kz and self.cn) and _figures(self.kz) != _figures(self.cn)

    @property
    def one_sided(self):
        return bool(self.kz) != bool(self.cn)


def _figures(limits):
    return {
        (lim.kind, lim.value, lim.upper_value, lim.unit, lim.strict, lim.basis) for lim in limits
    }


def limit_rows(mapping):
    """One row per parameter limited on either side, in the order they first appear."""
    rows = {}
    for side in ("kz", "cn"):
        for clause in getattr(mapping, f"{side}_clauses").all():
            for limit in clause.limits.all():
                row = rows.setdefault(limit.parameter_id, LimitRow(limit.parameter))
                getattr(row, side).append(limit)
    return list(rows.values())
