from django.shortcuts import get_object_or_404, render

from standards.alignment import compute_alignment
from standards.models import ClauseMapping
from standards.views import reader_required

DECISIVE = ("status", "alignment")
TRACKED = (
    "title",
    "product_group",
    "topic",
    "rationale",
    "proposed_action",
    "responsible_side",
    "target_date",
    "confidence",
    "notes",
)


def timeline(mapping, limit=100):
    """(transitions, changes) from the mapping's history, newest first: status and
    alignment transitions with their reasons, then every other recorded change."""
    records = list(
        mapping.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    transitions, changes = [], []
    for record, previous in zip(records, [*records[1:], None], strict=True):
        if record is records[-1] and len(records) > limit:
            break
        who = record.history_user.get_username() if record.history_user else ""
        if previous is None:
            changes.append({"record": record, "who": who, "fields": [], "created": True})
            continue
        for field in DECISIVE:
            old, new = getattr(previous, field), getattr(record, field)
            if old != new:
                choices = dict(ClauseMapping._meta.get_field(field).choices)
                transitions.append(
                    {
                        "record": record,
                        "who": who,
                        "field": ClauseMapping._meta.get_field(field).verbose_name,
                        "old": choices.get(old, old),
                        "new": choices.get(new, new),
                        "reason": record.history_change_reason or "",
                    }
                )
        fields = [
            ClauseMapping._meta.get_field(f).verbose_name
            for f in TRACKED
            if getattr(previous, f) != getattr(record, f)
        ]
        if fields:
            changes.append({"record": record, "who": who, "fields": fields, "created": False})
    return transitions, changes


@reader_required
def mapping_detail(request, key):
    mapping = get_object_or_404(ClauseMapping.objects.for_list(), key=key)
    transitions, changes = timeline(mapping)
    clauses = [*mapping.kz_side, *mapping.cn_side, *mapping.reference_side]
    return render(
        request,
        "standards/mapping_detail.html",
        {
            "mapping": mapping,
            "computed": compute_alignment(mapping),
            "sources": clauses,
            "transitions": transitions,
            "changes": changes,
            "can_edit": request.user.is_staff
            and request.user.has_perm("standards.change_clausemapping"),
        },
    )
