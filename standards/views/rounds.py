"""The rounds of the talks: the list, and one round with its agenda, minutes, decisions,
action items and the negotiation notes the reader may read."""

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from standards.models import ActionItem, ClauseMapping, Decision, Round
from standards.notes import mark_superseded, notes_for_reader
from standards.views import reader_required


@reader_required
def round_list(request):
    rounds = Round.objects.annotate(
        agenda_total=Count("agenda", distinct=True),
        decision_total=Count("decisions", distinct=True),
        action_total=Count("action_items", distinct=True),
    ).order_by("-number")
    return render(request, "standards/round_list.html", {"rounds": rounds})


def mark_overdue(items, today=None):
    """`items` with `overdue` set on each (open and past its due date)."""
    today = today or timezone.localdate()
    for item in items:
        item.overdue = item.is_overdue(today)
    return items


@reader_required
def round_detail(request, number):
    mappings = ClauseMapping.objects.only("key", "title", "status", "alignment", "confidence")
    round_ = get_object_or_404(
        Round.objects.prefetch_related(
            Prefetch("agenda", queryset=ClauseMapping.objects.order_by("key")),
            Prefetch(
                "decisions",
                queryset=Decision.objects.prefetch_related(
                    Prefetch("mappings", queryset=mappings.order_by("key"))
                ),
            ),
            Prefetch(
                "action_items",
                queryset=ActionItem.objects.prefetch_related(
                    Prefetch("mappings", queryset=mappings.order_by("key"))
                ),
            ),
        ),
        number=number,
    )
    notes = notes_for_reader(round_.notes, request.user).select_related(
        "mapping", "author", "corrects"
    )
    context = {
        "round": round_,
        "decisions": list(round_.decisions.all()),
        "action_items": mark_overdue(list(round_.action_items.all())),
        "notes": mark_superseded(list(notes.order_by("-date", "-created_at"))),
    }
    return render(request, "standards/round_detail.html", context)
