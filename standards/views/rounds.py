"""The rounds of the talks: the list, and one round with its agenda, minutes, decisions,
action items and the negotiation notes the reader may read."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from standards.models import ActionItem, ClauseMapping, Decision, Round
from standards.notes import mark_superseded, notes_for_reader
from standards.views import reader_required
from standards.views.watches import watch_of


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
    return _round_page(request, number)


def _round_page(request, number, status=200, baseline_error=""):
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
        "baselines": list(round_.baselines.select_related("taken_by").order_by("sequence")),
        "can_close": request.user.has_perm("standards.add_baseline"),
        "baseline_error": baseline_error,
        "decisions": list(round_.decisions.all()),
        "action_items": mark_overdue(list(round_.action_items.all())),
        "notes": mark_superseded(list(notes.order_by("-date", "-created_at"))),
        "watch": watch_of(request.user, round=round_),
    }
    return render(request, "standards/round_detail.html", context, status=status)


@reader_required(methods=("POST",), editors_only=True)
def take_baseline(request, number):
    """Close the round: freeze its baseline (a corrected one needs a reason)."""
    from standards.baselines import take_baseline as take

    if not request.user.has_perm("standards.add_baseline"):
        raise PermissionDenied
    round_ = get_object_or_404(Round, number=number)
    reason = request.POST.get("reason", "")[:2000]
    try:
        take(round_, request.user, reason)
    except ValidationError as refused:
        return _round_page(request, number, status=400, baseline_error=" ".join(refused.messages))
    messages.success(request, _("The round's baseline was taken."))
    return redirect(round_)
