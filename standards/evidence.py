"""The editors' evidence queue (/consistency/): what the recorded verdicts and the
computed ones rest on, and what must be read to firm them up.

Three lists, the mappings in negotiation and in technical review first:
- recorded verdicts the evidence does not support (ComputedAlignment.unsupported);
- provisional computed verdicts, each with the documents and clauses to read;
- sides whose absence of a requirement was never checked.
"""

from dataclasses import dataclass, field

from limits.compare import PROVISIONAL_RANK, rank
from standards.alignment import compute_alignment
from standards.models import ClauseMapping, Evidence

# The talks first: what is on the table now, then what is being prepared for it.
STATUS_ORDER = (
    ClauseMapping.Status.NEGOTIATION,
    ClauseMapping.Status.TECHNICAL_REVIEW,
)


@dataclass
class Entry:
    mapping: ClauseMapping
    computed: object
    to_read: list = field(default_factory=list)  # [(side, Clause, [Limit])]
    unchecked_sides: list = field(default_factory=list)  # ["kz", "cn"]


def _order(entry):
    status = entry.mapping.status
    return (
        STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER),
        entry.mapping.key,
    )


def _to_read(mapping):
    """(side, clause, [limits not read]) for every clause whose figures were not read."""
    found = []
    for side in ("kz", "cn"):
        for clause in mapping.clauses_of(side):
            weak = [
                limit for limit in clause.limit_rows if rank(limit.evidence) >= PROVISIONAL_RANK
            ]
            if weak:
                found.append((side, clause, weak))
    return found


def _unchecked(mapping):
    return [
        side
        for side in ("kz", "cn")
        if mapping.side_evidence(side) in (Evidence.ABSENCE_UNCHECKED, Evidence.NOT_READ)
    ]


def queue():
    """(unsupported, provisional, unchecked): three lists of Entry, each in the order of
    STATUS_ORDER and then by key."""
    unsupported, provisional, unchecked = [], [], []
    for mapping in ClauseMapping.objects.for_list().order_by("key"):
        computed = compute_alignment(mapping)
        entry = Entry(mapping, computed, _to_read(mapping), _unchecked(mapping))
        if computed.unsupported:
            unsupported.append(entry)
        if computed.comparable and computed.provisional:
            provisional.append(entry)
        if any(not mapping.clauses_of(side) for side in entry.unchecked_sides):
            unchecked.append(entry)
    return tuple(sorted(entries, key=_order) for entries in (unsupported, provisional, unchecked))
