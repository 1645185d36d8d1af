from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from standards.alignment import compute_alignment
from standards.forms import NoteForm
from standards.history import timeline
from standards.models import ClauseMapping
from standards.notes import mark_superseded, notes_for_reader
from standards.views import is_editor, reader_required
from standards.views.watches import watch_of


def _pair_page(request, mapping, note_form=None, status=200):
    transitions, changes = timeline(mapping)
    can_note = request.user.has_perm("standards.add_negotiationnote")
    if note_form is None and can_note:
        note_form = NoteForm(mapping=mapping, user=request.user)
    clauses = [*mapping.kz_side, *mapping.cn_side, *mapping.reference_side]
    return render(
        request,
        "standards/mapping_detail.html",
        {
            "mapping": mapping,
            "computed": compute_alignment(mapping),
            "kz_evidence": mapping.side_evidence("kz"),
            "cn_evidence": mapping.side_evidence("cn"),
            "sources": clauses,
            "transitions": transitions,
            "changes": changes,
            "can_edit": is_editor(request.user),
            "notes": mark_superseded(
                list(
                    notes_for_reader(mapping.notes_log, request.user)
                    .select_related("author", "corrects")
                    .order_by("-date", "-created_at")
                )
            ),
            "note_form": note_form,
            "watch": watch_of(request.user, mapping=mapping),
        },
        status=status,
    )


def _mapping_or_404(key):
    # No key holds a NUL (forms and imports refuse one), and PostgreSQL refuses any query
    # that does: a URL with "%00" in the key would fail, not find nothing.
    if "\x00" in key:
        raise Http404
    return get_object_or_404(ClauseMapping.objects.for_list(), key=key)


@reader_required
def mapping_detail(request, key):
    return _pair_page(request, _mapping_or_404(key))


@reader_required(methods=("POST",))
def add_note(request, key):
    if not request.user.has_perm("standards.add_negotiationnote"):
        raise PermissionDenied
    mapping = _mapping_or_404(key)
    form = NoteForm(request.POST, mapping=mapping, user=request.user)
    if not form.is_valid():
        return _pair_page(request, mapping, note_form=form, status=400)
    with transaction.atomic():
        form.instance.author = request.user
        note = form.save()
    return redirect(note)
