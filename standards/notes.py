"""Who reads which negotiation notes, and which notes a report carries.

One rule, used by the pair page, the note form and every report format:
- a shared note is read by everyone who reads the portal and printed in every report;
- an internal note is read only by members of its side's delegation (DelegationMember),
  and printed only in that delegation's internal reports.

A report's audience is part of its selection (and so of its fingerprint and cache key):
"shared" (for the joint working group) or "internal-kz" / "internal-cn". Only members of
a delegation, in a role that may export, may produce its internal report.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from standards.models import Delegation, DelegationMember, NegotiationNote

SHARED = "shared"
AUDIENCES = {
    SHARED: _("For the joint working group"),
    "internal-kz": _("Internal — Kazakh delegation"),
    "internal-cn": _("Internal — Chinese delegation"),
}


def delegation_of(user):
    """ "kz", "cn" or None: the delegation whose internal notes `user` reads."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_delegation", ...)
    if cached is ...:
        member = DelegationMember.objects.filter(user=user).only("delegation").first()
        cached = member.delegation if member else None
        user._delegation = cached
    return cached


def _readable_by(delegation):
    shared = Q(visibility=NegotiationNote.Visibility.SHARED)
    if delegation in Delegation.values:
        return shared | Q(visibility=NegotiationNote.Visibility.INTERNAL, side=delegation)
    return shared


def notes_for_reader(queryset, user):
    """The notes of `queryset` that `user` may read."""
    return queryset.filter(_readable_by(delegation_of(user)))


def audience_delegation(audience):
    """The delegation whose internal notes a report for `audience` carries, or None."""
    if audience and audience.startswith("internal-"):
        return audience.removeprefix("internal-")
    return None


def notes_for_audience(queryset, audience):
    """The notes a report for `audience` carries: shared ones, plus the delegation's own
    internal ones in its internal report."""
    return queryset.filter(_readable_by(audience_delegation(audience)))


def audiences_for(user):
    """The audiences `user` may produce reports for: the joint working group, and their
    own delegation's internal report when they have one."""
    allowed = [SHARED]
    delegation = delegation_of(user)
    if delegation:
        allowed.append(f"internal-{delegation}")
    return [(value, AUDIENCES[value]) for value in allowed]


def mark_superseded(notes):
    """`notes` with `superseded_by` set on each: the notes of the list that correct it
    (a corrected note is shown as superseded, with a link to its correction)."""
    by_pk = {note.pk: note for note in notes}
    for note in notes:
        note.superseded_by = []
    for note in notes:
        corrected = by_pk.get(note.corrects_id)
        if corrected is not None:
            corrected.superseded_by.append(note)
    return notes
