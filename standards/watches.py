"""Watches and digests: what a user watches, what changed there in a period, and its
delivery (a Notification, and an email in the user's language when they asked for one).

A digest covers the period from the end of the user's last one (WatchPreference
.last_sent_at) to now; the first covers the frequency's period (a day for "immediately").
It lists, for the mappings watched (directly, or through a watched topic or standard):
- their status and alignment transitions, read from the history (standards.changes);
and:
- the changes of the watched standards: a new edition superseding one, its status;
- the open action items of the watched rounds or mappings due within DUE_SOON_DAYS or
  overdue, when that is news in the period: the item was saved, came within the days
  before its due date, or became overdue;
- the watched mappings that came to need re-review in the period, or whose open flag
  took a further change (standards.review);
and, for a watch of market access:
- the establishments whose renewal became due in the period: their window opened, came
  within its last 30 days, closed with no renewal filed, or the registration expired
  (standards.establishments.renewals_due);
- the corrective actions of the site visits that became overdue in the period: their
  deadline passed and they are neither done nor verified (standards.visits).
An empty digest sends nothing; the period still ends, so the next digest starts there.
"""

import datetime
import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from health.periodic import Periodic
from standards.baselines import Moment
from standards.changes import between
from standards.establishments import CLOSING_SOON, renewals_due
from standards.models import (
    ActionItem,
    ActionItemStatus,
    ClauseMapping,
    DigestFrequency,
    Notification,
    Standard,
    Watch,
    WatchKind,
    WatchPreference,
)
from standards.review import described, open_flags
from standards.times import local_time
from standards.visits import overdue_actions

logger = logging.getLogger(__name__)

DUE_SOON_DAYS = 7
# How long after the last digest the next one is due.
PERIODS = {
    DigestFrequency.IMMEDIATELY: datetime.timedelta(0),
    DigestFrequency.DAILY: datetime.timedelta(days=1),
    DigestFrequency.WEEKLY: datetime.timedelta(days=7),
}
# What the first digest of a user covers when they get one immediately.
FIRST_PERIOD = datetime.timedelta(days=1)


@dataclass
class Watched:
    mapping_ids: set = field(default_factory=set)
    topics: set = field(default_factory=set)
    standard_ids: set = field(default_factory=set)
    round_ids: set = field(default_factory=set)
    market: bool = False

    @property
    def empty(self):
        return not (
            self.mapping_ids or self.topics or self.standard_ids or self.round_ids or self.market
        )


def watched(user):
    """What `user` watches (one query)."""
    found = Watched()
    rows = Watch.objects.filter(user=user).values_list(
        "kind", "mapping_id", "topic", "standard_id", "round_id"
    )
    for kind, mapping_id, topic, standard_id, round_id in rows:
        if kind == WatchKind.MAPPING:
            found.mapping_ids.add(mapping_id)
        elif kind == WatchKind.TOPIC:
            found.topics.add(topic)
        elif kind == WatchKind.STANDARD:
            found.standard_ids.add(standard_id)
        elif kind == WatchKind.ROUND:
            found.round_ids.add(round_id)
        elif kind == WatchKind.MARKET:
            found.market = True
    return found


def watched_mappings(found):
    """{id: key} of the mappings watched directly, by their topic or by a standard one of
    their clauses belongs to."""
    wanted = Q(pk__in=found.mapping_ids) | Q(topic__in=found.topics)
    if found.standard_ids:
        ids = sorted(found.standard_ids)
        wanted |= (
            Q(kz_clauses__standard__in=ids)
            | Q(cn_clauses__standard__in=ids)
            | Q(reference_clauses__standard__in=ids)
        )
    if not (found.mapping_ids or found.topics or found.standard_ids):
        return {}
    return dict(ClauseMapping.objects.filter(wanted).values_list("pk", "key").distinct())


@dataclass
class Digest:
    since: datetime.datetime
    until: datetime.datetime
    mappings: list = field(default_factory=list)  # [changes.MappingChange] with transitions
    standards: list = field(default_factory=list)  # [changes.StandardChange]
    actions: list = field(default_factory=list)  # [ActionItem], `overdue` set
    flags: list = field(default_factory=list)  # [ReviewFlag], described
    renewals: list = field(default_factory=list)  # [establishments.RenewalDue]
    corrective: list = field(default_factory=list)  # [visits.OverdueAction]

    @property
    def parts(self):
        return (
            self.mappings,
            self.standards,
            self.actions,
            self.flags,
            self.renewals,
            self.corrective,
        )

    @property
    def empty(self):
        return not any(self.parts)

    @property
    def count(self):
        return sum(len(part) for part in self.parts)


def due_actions(round_ids, mapping_ids, since, until):
    """The open action items of these rounds or mappings due within DUE_SOON_DAYS of
    `until` or overdue, for which the period (since, until] brought news: saved in it,
    came within the days before their due date in it, or became overdue in it."""
    if not (round_ids or mapping_ids):
        return []
    today, first_day = timezone.localdate(until), timezone.localdate(since)
    soon = datetime.timedelta(days=DUE_SOON_DAYS)
    news = (
        Q(updated_at__gt=since, updated_at__lte=until)
        | Q(due_on__gt=first_day + soon, due_on__lte=today + soon)
        | Q(due_on__gte=first_day, due_on__lt=today)
    )
    scope = Q(round_id__in=sorted(round_ids)) | Q(mappings__in=sorted(mapping_ids))
    items = (
        ActionItem.objects.filter(
            scope, news, status=ActionItemStatus.OPEN, due_on__lte=today + soon
        )
        .select_related("round")
        .distinct()
        .order_by("due_on", "pk")
    )
    items = list(items)
    for item in items:
        item.overdue = item.is_overdue(today)
    return items


def _in_period(day, first_day, today):
    return day is not None and first_day < day <= today


def renewals_news(since, until):
    """The establishments due for renewal on `until` whose renewal became due in
    (since, until]: the window opened, came within its last CLOSING_SOON, closed with no
    renewal filed, or the registration expired, on a day of the period."""
    today, first_day = timezone.localdate(until), timezone.localdate(since)
    one_day = datetime.timedelta(days=1)
    return [
        due
        for due in renewals_due(today)
        if any(
            _in_period(day, first_day, today)
            for day in (
                due.opens_on,
                due.closes_on - CLOSING_SOON,
                due.closes_on + one_day,
                due.expires_on + one_day,
            )
        )
    ]


def corrective_news(since, until):
    """The corrective actions overdue on `until` that became overdue in (since, until]:
    the day after their deadline is a day of the period."""
    today, first_day = timezone.localdate(until), timezone.localdate(since)
    one_day = datetime.timedelta(days=1)
    return [a for a in overdue_actions(today) if _in_period(a.deadline + one_day, first_day, today)]


def build_digest(user, since, until, read_changes=None):
    """The Digest of what changed in what `user` watches in (since, until].
    `read_changes`: a function returning changes.between for that period, when the
    caller shares it between users (it is the same for every user of a period and
    language); it is called only when the user watches mappings or standards."""
    digest = Digest(since, until)
    found = watched(user)
    if found.empty:
        return digest
    mappings = watched_mappings(found)
    if mappings or found.standard_ids:
        if read_changes is not None:
            changes = read_changes()
        else:
            changes = between(Moment(since), Moment(until))
        keys = set(mappings.values())
        digest.mappings = [m for m in changes.mappings if m.transitions and m.key in keys]
        if found.standard_ids and changes.standards:
            codes = set(
                Standard.objects.filter(pk__in=found.standard_ids).values_list("code", flat=True)
            )
            digest.standards = [s for s in changes.standards if s.code in codes]
    digest.actions = due_actions(found.round_ids, set(mappings), since, until)
    digest.flags = review_flags(set(mappings), since, until)
    if found.market:
        digest.renewals = renewals_news(since, until)
        digest.corrective = corrective_news(since, until)
    return digest


def review_flags(mapping_ids, since, until):
    """The open re-review flags of these mappings raised or changed in (since, until]."""
    if not mapping_ids:
        return []
    flags = (
        open_flags()
        .filter(mapping_id__in=sorted(mapping_ids), changed_at__gt=since, changed_at__lte=until)
        .select_related("mapping", "clause__standard", "standard", "parameter")
        .order_by("mapping__key", "raised_at", "pk")
    )
    return described(list(flags))


def preference_of(user):
    """The user's WatchPreference, made with the defaults when they have none."""
    preference, _created = WatchPreference.objects.get_or_create(user=user)
    return preference


def period_start(preference, until):
    if preference.last_sent_at is not None:
        return preference.last_sent_at
    return until - (PERIODS[preference.frequency] or FIRST_PERIOD)


def is_due(preference, now):
    """Whether a digest is due now: "immediately" at every run, daily and weekly once
    their period since the last digest has passed."""
    if preference.last_sent_at is None:
        return True
    return now - preference.last_sent_at >= PERIODS[preference.frequency]


def absolute(path):
    return settings.PORTAL_URL.rstrip("/") + path


def changes_path(since, until):
    query = urlencode({"since": since.isoformat(), "until": until.isoformat()})
    return f"{reverse('standards:changes')}?{query}"


def render_digest(user, digest, language):
    """(subject, text, html) of `digest` in `language`."""
    with translation.override(language):
        since, until = timezone.localtime(digest.since), timezone.localtime(digest.until)
        context = {
            "user": user,
            "digest": digest,
            "since": since,
            "until": until,
            "portal_name": _("KZ–CN Meat Requirements Portal"),
            "absolute": absolute(""),
            "changes_url": absolute(changes_path(digest.since, digest.until)),
            "watches_url": absolute(reverse("standards:watches")),
        }
        subject = _("%(portal)s: what changed in what you watch, %(start)s – %(end)s") % {
            "portal": context["portal_name"],
            "start": local_time(since),
            "end": local_time(until),
        }
        text = render_to_string("standards/email/digest.txt", context).strip() + "\n"
        html = render_to_string("standards/email/digest.html", context)
    return " ".join(subject.split())[:300], text, html


def deliver(user, preference, until, cache=None, dry_run=False):
    """Build `user`'s digest up to `until`, record it as a Notification and email it when
    they asked for email and have an address. Returns the Notification (unsaved on a dry
    run), or None when the digest is empty or another run sent it. The period ends in
    either case (not on a dry run). `cache` ({(since, until, language): Changes})
    shares the history read between users of the same period."""
    since = period_start(preference, until)
    language = preference.language or settings.LANGUAGE_CODE
    cache = {} if cache is None else cache

    def read_changes():
        key = (since, until, language)
        if key not in cache:
            cache[key] = between(Moment(since), Moment(until))
        return cache[key]

    with translation.override(language):
        digest = build_digest(user, since, until, read_changes)
    notification = None
    if not digest.empty:
        subject, text, html = render_digest(user, digest, language)
        notification = Notification(
            user=user,
            subject=subject,
            body=text,
            link=changes_path(since, until),
            period_start=since,
            period_end=until,
        )
    wants_email = bool(preference.email and user.email)
    if dry_run:
        if notification is not None:
            notification.emailed = wants_email
        return notification
    with transaction.atomic():
        # Claim the period: a run that ended it first (two runs at once) sends it alone.
        claimed = WatchPreference.objects.filter(
            pk=preference.pk, last_sent_at=preference.last_sent_at
        ).update(last_sent_at=until)
        if not claimed:
            return None
        preference.last_sent_at = until
        if notification is not None:
            notification.save()
    if notification is not None and wants_email:
        message = EmailMultiAlternatives(
            notification.subject, text, settings.DEFAULT_FROM_EMAIL, [user.email]
        )
        message.attach_alternative(html, "text/html")
        message.send()
        notification.emailed = True
        Notification.objects.filter(pk=notification.pk).update(emailed=True)
    return notification


@dataclass
class Run:
    checked: int = 0
    sent: int = 0
    emailed: int = 0
    empty: int = 0
    failed: int = 0


def send_due(frequency=None, dry_run=False, now=None):
    """Send the digests due now to the active users who watch something and may read
    the portal (of one frequency, or all). Returns a Run with the counts. A failure for
    one user is logged and counted; the others still get theirs."""
    now = now or timezone.now()
    users = get_user_model().objects.filter(is_active=True, watches__isnull=False).distinct()
    run, cache = Run(), {}
    for user in users.order_by("pk"):
        if not user.has_perm("standards.view_clausemapping"):
            continue  # no longer a reader of the portal (no role, or it was taken away)
        preference = preference_of(user) if not dry_run else _unsaved_preference(user)
        if frequency and preference.frequency != frequency:
            continue
        if not is_due(preference, now):
            continue
        run.checked += 1
        try:
            notification = deliver(user, preference, now, cache, dry_run=dry_run)
        except Exception:
            logger.exception("The digest of user %s could not be sent", user.pk)
            run.failed += 1
            continue
        if notification is None:
            run.empty += 1
        else:
            run.sent += 1
            run.emailed += bool(notification.emailed)
    return run


def _unsaved_preference(user):
    found = WatchPreference.objects.filter(user=user).first()
    return found or WatchPreference(user=user)


def unread_count(user):
    """The user's unread notifications (one query)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# --- the report worker sends them ---------------------------------------------------


@task()
def send_digests_task():
    """Send the digests due now (queued by the report worker every
    DIGEST_INTERVAL_SECONDS; `manage.py send_digests` does the same)."""
    run = send_due()
    return {"sent": run.sent, "emailed": run.emailed, "empty": run.empty, "failed": run.failed}


TASK_PATH = f"{__name__}.send_digests_task"


def enqueue_digests():
    """Queue send_digests_task unless one is queued or running already (several workers
    each schedule it; one run at a time sends each digest once). Returns whether it did."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    pending = DBTaskResult.objects.filter(
        task_path=TASK_PATH, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    )
    if pending.exists():
        return False
    send_digests_task.enqueue()
    return True


class DigestSchedule(Periodic):
    """Queues send_digests_task when entered and then every `interval` seconds (default
    DIGEST_INTERVAL_SECONDS; 0: never) from a thread, until stopped. Use as a context
    manager around the worker loop, as health.heartbeat.Heartbeat."""

    name = "digest-schedule"
    failure = "Could not queue the digests"

    def __init__(self, interval=None):
        super().__init__(settings.DIGEST_INTERVAL_SECONDS if interval is None else interval)

    def run(self):
        enqueue_digests()
