"""Suspect links: a settled pair whose source changed needs re-review.

A mapping that is agreed or harmonized was settled on the texts, limits and editions it
cites as they read then. When one of them changes afterwards, the receivers below raise a
`ReviewFlag` on every such mapping, in the same transaction as the change:

- a clause's heading or text (original language or English) is edited;
- a limit of a cited clause is added, changed, moved or deleted;
- a cited standard's code, edition or status changes;
- a new edition names a cited standard in its `supersedes` (GB 2762-2022 → 2025): every
  settled mapping citing a clause of the old edition is flagged.

A flag keeps what the changed thing read before and reads after, for a diff on the pair
page and in the queue. One open flag per mapping and subject (a clause, a limit, a
standard) gathers later edits of the same subject: its `before` stays the text the pair
was settled on, its `after` follows the edits, and an edit back to that text clears the
flag by itself. Editors clear the others with a reason (`clear`).

Restores of a backup (which carry their own flags) and raw fixture loads raise nothing.
Writes that bypass signals (`QuerySet.update`, `bulk_create`) are the bulk tools' own:
synthetic data and the search-text refresh, neither of which changes a requirement.
"""

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from limits.notation import format_limit
from standards.admin_forms import FIGURE_FIELDS
from standards.changes import TEXT_FIELDS  # what a clause says
from standards.models import (
    Clause,
    ClauseMapping,
    ClauseMappingStatus,
    Limit,
    ReviewCause,
    ReviewFlag,
    Standard,
    StandardStatus,
    _citing,
)

# The statuses of a pair settled on its sources.
SETTLED = (ClauseMappingStatus.AGREED, ClauseMappingStatus.HARMONIZED)
# What a limit requires: its parameter and figures (its evidence is how well it was read).
LIMIT_FIELDS = ("clause_id", "parameter_id", *FIGURE_FIELDS)
STANDARD_FIELDS = ("code", "edition", "status")
REVERTED = _("The change was undone: the source reads again as when the pair was settled.")


def _skipped(instance, raw=False):
    # A restore marks every object it loads (standards.backup._load_objects).
    return raw or getattr(instance, "skip_history_when_saving", False)


def _who(instance):
    """The user making the change, and the reason given with it: set on the instance by
    the admin and the services, or the request simple-history keeps for the thread."""
    from simple_history.models import HistoricalRecords

    user = getattr(instance, "_history_user", None)
    if user is None:
        request = getattr(HistoricalRecords.context, "request", None)
        user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    return user, (getattr(instance, "_change_reason", "") or "")[:500]


def _settled_citing(clauses):
    """(id, status) of the settled mappings citing any of `clauses` (a queryset)."""
    return list(
        ClauseMapping.objects.filter(_citing(clauses), status__in=SETTLED)
        .order_by("pk")
        .values_list("pk", "status")
    )


def raise_flags(mappings, *, cause, subject, before, after, by=None, reason="", **related):
    """Flag each of `mappings` ((id, status) pairs): open a flag for `subject`, or carry
    the new text into the one already open. Returns how many flags are open for it."""
    now = timezone.now()
    opened = 0
    for mapping_id, status in mappings:
        with transaction.atomic():
            open_flags = ReviewFlag.objects.select_for_update().filter(
                mapping_id=mapping_id, subject=subject, cleared_at__isnull=True
            )
            flag = open_flags.first()
            if flag is None:
                try:
                    with transaction.atomic():
                        ReviewFlag.objects.create(
                            mapping_id=mapping_id,
                            cause=cause,
                            subject=subject,
                            before=before,
                            after=after,
                            status_then=status,
                            raised_at=now,
                            changed_at=now,
                            changed_by=by,
                            change_reason=reason,
                            **related,
                        )
                    opened += 1
                    continue
                except IntegrityError:
                    # Another edit of the same subject opened it in the meantime.
                    flag = open_flags.get()
            _carry(flag, cause, before, after, now, by, reason)
            opened += flag.cleared_at is None
    return opened


def _carry(flag, cause, edit_before, after, now, by, reason):
    """A later edit of a flagged subject: the flag keeps the settled text and takes the
    new one; back to the settled text, it clears itself. A field first changed by this
    edit was, before it, as when the pair was settled."""
    before = {**edit_before, **flag.before}
    merged = {**flag.after, **after}
    flag.before, flag.after = before, merged
    flag.changed_at, flag.changed_by, flag.change_reason = now, by, reason
    if cause == ReviewCause.SUPERSEDED or flag.cause == ReviewCause.SUPERSEDED:
        flag.cause = ReviewCause.SUPERSEDED
    if all(before.get(key, "") == merged.get(key, "") for key in merged):
        flag.cleared_at, flag.cleared_by, flag.clear_reason = now, by, str(REVERTED)
    flag.save()


@transaction.atomic
def clear(flags, *, user, reason):
    """Clear open flags after re-review, with who, when and why. Returns how many."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a flag is cleared with a reason")
    return flags.filter(cleared_at__isnull=True).update(
        cleared_at=timezone.now(), cleared_by=user, clear_reason=reason
    )


def open_flags():
    return ReviewFlag.objects.filter(cleared_at__isnull=True)


def needs_review():
    """An annotation for a list of mappings: whether one has an open flag (no query of
    its own: a subquery of the list's)."""
    return Exists(open_flags().filter(mapping=OuterRef("pk")))


# --- the receivers ------------------------------------------------------------------------


def _remember(fields):
    """A pre_save receiver keeping the stored values of `fields` for `_changes`."""

    def receiver(sender, instance, raw=False, **kwargs):
        instance._review_before = None
        if not _skipped(instance, raw) and instance.pk is not None:
            stored = sender._base_manager.filter(pk=instance.pk).values(*fields).first()
            instance._review_before = stored

    return receiver


def _changes(instance, fields, created, raw):
    """{field: (before, after)} of the fields a save changed ({} for a new record)."""
    stored = getattr(instance, "_review_before", None)
    instance._review_before = None
    if _skipped(instance, raw) or created or stored is None:
        return {}
    values = {f: (stored[f] or "", getattr(instance, f) or "") for f in fields}
    return {f: pair for f, pair in values.items() if pair[0] != pair[1]}


def _flag_changes(instance, changes, mappings, **flag):
    by, reason = _who(instance)
    raise_flags(
        mappings,
        before={f: old for f, (old, _new) in changes.items()},
        after={f: new for f, (_old, new) in changes.items()},
        by=by,
        reason=reason,
        **flag,
    )


def _clause_saved(sender, instance, created, raw=False, **kwargs):
    if changes := _changes(instance, TEXT_FIELDS, created, raw):
        _flag_changes(
            instance,
            changes,
            _settled_citing(Clause.objects.filter(pk=instance.pk)),
            cause=ReviewCause.CLAUSE_TEXT,
            subject=f"clause:{instance.pk}",
            clause=instance,
        )


def _limit_text(limit):
    return format_limit(limit) if limit is not None else ""


def _limit_before(sender, instance, raw=False, **kwargs):
    if _skipped(instance, raw) or instance.pk is None:
        instance._review_before = None
        return
    instance._review_before = Limit._base_manager.filter(pk=instance.pk).first()


def _limit_changed(instance, old, new):
    clause_ids = {x.clause_id for x in (old, new) if x is not None}
    by, reason = _who(instance)
    raise_flags(
        _settled_citing(Clause.objects.filter(pk__in=clause_ids)),
        cause=ReviewCause.LIMIT,
        subject=f"limit:{instance.pk}",
        before={"limit": _limit_text(old)},
        after={"limit": _limit_text(new)},
        by=by,
        reason=reason,
        clause_id=(new or old).clause_id,
        parameter_id=(new or old).parameter_id,
    )


def _limit_saved(sender, instance, created, raw=False, **kwargs):
    old = None if created else getattr(instance, "_review_before", None)
    instance._review_before = None
    if _skipped(instance, raw) or (not created and old is None):
        return
    if old is not None and all(getattr(old, f) == getattr(instance, f) for f in LIMIT_FIELDS):
        return
    _limit_changed(instance, old, instance)


def _limit_deleted(sender, instance, origin=None, **kwargs):
    # A limit deleted with its clause or standard is part of that removal, which the
    # mapping's own history records (its clause sets), not a changed requirement.
    if _skipped(instance) or not _is_limit_delete(origin):
        return
    _limit_changed(instance, instance, None)


def _is_limit_delete(origin):
    model = getattr(origin, "model", None) or type(origin)
    return origin is None or model is Limit


def _standard_saved(sender, instance, created, raw=False, **kwargs):
    if changes := _changes(instance, STANDARD_FIELDS, created, raw):
        superseded = "status" in changes and instance.status == StandardStatus.SUPERSEDED
        _flag_changes(
            instance,
            changes,
            _settled_citing(Clause.objects.filter(standard=instance)),
            cause=ReviewCause.SUPERSEDED if superseded else ReviewCause.EDITION,
            subject=f"standard:{instance.pk}",
            standard=instance,
        )


def _supersedes_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A new edition names the documents it supersedes (or, from the other end, a
    document is named superseded by new editions)."""
    if action != "post_add" or not pk_set or _skipped(instance):
        return
    if reverse:
        pairs = [(instance.pk, pk) for pk in pk_set]
    else:
        pairs = [(pk, instance.pk) for pk in pk_set]
    codes = dict(
        Standard.objects.filter(pk__in={p for pair in pairs for p in pair}).values_list(
            "pk", "code"
        )
    )
    by, reason = _who(instance)
    for old, new in pairs:
        raise_flags(
            _settled_citing(Clause.objects.filter(standard_id=old)),
            cause=ReviewCause.SUPERSEDED,
            subject=f"standard:{old}",
            before={"superseded_by": ""},
            after={"superseded_by": codes.get(new, "")},
            by=by,
            reason=reason,
            standard_id=old,
        )


def connect():
    """Connect the receivers (StandardsConfig.ready)."""
    pre_save.connect(
        _remember(TEXT_FIELDS), sender=Clause, weak=False, dispatch_uid="review_clause_before"
    )
    post_save.connect(_clause_saved, sender=Clause, dispatch_uid="review_clause_saved")
    pre_save.connect(_limit_before, sender=Limit, dispatch_uid="review_limit_before")
    post_save.connect(_limit_saved, sender=Limit, dispatch_uid="review_limit_saved")
    post_delete.connect(_limit_deleted, sender=Limit, dispatch_uid="review_limit_deleted")
    pre_save.connect(
        _remember(STANDARD_FIELDS),
        sender=Standard,
        weak=False,
        dispatch_uid="review_standard_before",
    )
    post_save.connect(_standard_saved, sender=Standard, dispatch_uid="review_standard_saved")
    m2m_changed.connect(
        _supersedes_changed,
        sender=Standard.supersedes.through,
        dispatch_uid="review_supersedes_changed",
    )


# --- what a flag shows ---------------------------------------------------------------------


def field_label(key):
    """The label of a changed field, in the reader's language."""
    labels = {
        "heading": Clause._meta.get_field("heading").verbose_name,
        "text_original": Clause._meta.get_field("text_original").verbose_name,
        "text_en": Clause._meta.get_field("text_en").verbose_name,
        "limit": _("limit"),
        "code": Standard._meta.get_field("code").verbose_name,
        "edition": Standard._meta.get_field("edition").verbose_name,
        "status": Standard._meta.get_field("status").verbose_name,
        "superseded_by": _("superseded by"),
    }
    return str(labels.get(key, key))


def _shown(key, value):
    if key == "status" and value in StandardStatus.values:
        return str(StandardStatus(value).label)
    return value


def diff_rows(flag):
    """[(label, before, after, language)] of a flag, for a redline: the field's text as
    the pair was settled on and as it reads now."""
    rows = []
    for key in flag.after:
        before, after = flag.before.get(key, ""), flag.after.get(key, "")
        language = ""
        if key == "text_original" and flag.clause is not None:
            language = flag.clause.original_language
        elif key in ("heading", "text_en", "limit"):
            language = "en"
        rows.append((field_label(key), _shown(key, before), _shown(key, after), language))
    return rows


def described(flags):
    """Give each flag its diff rows and subject label for a template; returns them."""
    for flag in flags:
        flag.rows = diff_rows(flag)
        flag.label = subject_label(flag)
    return flags


def subject_label(flag):
    """What changed, named for the reader: the clause (and the limit's parameter) or the
    standard."""
    from standards.wording import parameter_name

    if flag.clause is not None:
        label = f"{flag.clause.standard.code} {flag.clause.reference}"
        if flag.parameter is not None:
            label += f" · {parameter_name(flag.parameter)}"
        return label
    if flag.standard is not None:
        return flag.standard.code
    return gettext("(deleted)")
