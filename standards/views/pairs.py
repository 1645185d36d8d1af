from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render

from standards.alignment import compute_alignment
from standards.forms import NoteForm
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
    # One record more than shown: the change the oldest shown record made. Mappings
    # created in bulk (synthetic data) have no history at all.
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
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


def _pair_page(request, mapping, note_form=None, status=200):
    transitions, changes = timeline(mapping)
    can_note = request.user.has_perm("standards.add_negotiationnote")
    if note_form is None and can_note:
        note_form = NoteForm(mapping=mapping)
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
            "notes": mapping.notes_log.select_related("author", "corrects").order_by(
                "-date", "-created_at"
            ),
            "note_form": note_form,
        },
        status=status,
    )


@reader_required
def mapping_detail(request, key):
    return _pair_page(request, get_object_or_404(ClauseMapping.objects.for_list(), key=key))


@reader_required(methods=("POST",))
def add_note(request, key):
    if not request.user.has_perm("standards.add_negotiationnote"):
        raise PermissionDenied
    mapping = get_object_or_404(ClauseMapping.objects.for_list(), key=key)
    form = NoteForm(request.POST, mapping=mapping)
    if not form.is_valid():
        return _pair_page(request, mapping, note_form=form, status=400)
    with transaction.atomic():
        form.instance.author = request.user
        note = form.save()
    return redirect(note)
