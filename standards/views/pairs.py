from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from standards import review
from standards.alignment import compute_alignment
from standards.forms import ClearFlagsForm, NoteForm
from standards.history import timeline
from standards.models import ClauseMapping
from standards.notes import mark_superseded, notes_for_reader
from standards.views import is_editor, reader_required
from standards.views.watches import watch_of

# Cleared flags shown on a pair page, newest first.
CLEARED_SHOWN = 20


def _flags(mapping):
    """The mapping's open re-review flags, and the last cleared ones, described (one
    query: a pair gathers a flag per changed source and subject, not per edit)."""
    flags = mapping.review_flags.select_related(
        "clause__standard", "standard", "parameter", "changed_by", "cleared_by"
    ).order_by("-changed_at", "-pk")
    flags = list(flags)
    open_flags = [flag for flag in flags if flag.cleared_at is None]
    cleared = sorted(
        (flag for flag in flags if flag.cleared_at is not None),
        key=lambda flag: flag.cleared_at,
        reverse=True,
    )[:CLEARED_SHOWN]
    return review.described(open_flags), review.described(cleared)


def _pair_page(request, mapping, note_form=None, status=200, clear_form=None):
    transitions, changes = timeline(mapping)
    can_note = request.user.has_perm("standards.add_negotiationnote")
    if note_form is None and can_note:
        note_form = NoteForm(mapping=mapping, user=request.user)
    open_flags, cleared_flags = _flags(mapping)
    mapping.needs_review = bool(open_flags)
    can_clear = is_editor(request.user) and request.user.has_perm("standards.change_reviewflag")
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
            "open_flags": open_flags,
            "cleared_flags": cleared_flags,
            "can_clear": can_clear,
            "clear_form": clear_form,
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


@reader_required(methods=("POST",), editors_only=True)
def clear_flags(request, key):
    """Re-reviewed: clear the chosen open flags of the mapping, with the outcome."""
    if not request.user.has_perm("standards.change_reviewflag"):
        raise PermissionDenied
    mapping = _mapping_or_404(key)
    form = ClearFlagsForm(request.POST, mapping=mapping)
    if not form.is_valid():
        return _pair_page(request, mapping, clear_form=form, status=400)
    chosen = form.cleaned_data["flags"]
    cleared = review.clear(
        review.open_flags().filter(pk__in=[flag.pk for flag in chosen]),
        user=request.user,
        reason=form.cleaned_data["reason"],
    )
    if cleared < len(chosen):
        # Cleared by someone else between the form and this request: theirs stands.
        messages.warning(
            request, _("Some of these flags were cleared by someone else in the meantime.")
        )
    if cleared:
        messages.success(
            request,
            ngettext("%(count)d flag cleared.", "%(count)d flags cleared.", cleared)
            % {"count": cleared},
        )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = mapping.get_absolute_url() + "#review-heading"
    return redirect(back)
