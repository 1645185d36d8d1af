"""Watches, digests and notifications: /watches/, /notifications/, standards.watches and
`manage.py send_digests`, on a scripted history."""

import datetime
import io
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from standards import watches
from standards.models import (
    ActionItem,
    ClauseMapping,
    Notification,
    Round,
    Standard,
    Watch,
    WatchPreference,
)
from standards.roles import REGULATOR, sync_roles
from standards.services import assign_role
from tests.factories import make_clause, make_mapping, make_standard

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world():
    old_edition = make_standard(
        key="gb-2762-2022", code="GB 2762-2022", jurisdiction=Standard.Jurisdiction.CHINA
    )
    other = make_standard(key="tr-cu-034", code="TR CU 034/2013")
    watched = make_mapping(key="KZCN-001", topic="contaminants", cn=[make_clause(old_edition)])
    by_topic = make_mapping(key="KZCN-002", topic="labelling", kz=[make_clause(other)])
    by_standard = make_mapping(key="KZCN-003", topic="residues", cn=[make_clause(old_edition)])
    unwatched = make_mapping(key="KZCN-004", topic="transport", kz=[make_clause(other)])
    round_ = Round.objects.create(number=3, title="Round 3, Astana", source="test")
    return {
        "old_edition": old_edition,
        "other": other,
        "watched": watched,
        "by_topic": by_topic,
        "by_standard": by_standard,
        "unwatched": unwatched,
        "round": round_,
    }


def watch_all(user, world):
    Watch.objects.create(user=user, kind="mapping", mapping=world["watched"])
    Watch.objects.create(user=user, kind="topic", topic="labelling")
    Watch.objects.create(user=user, kind="standard", standard=world["old_edition"])
    Watch.objects.create(user=user, kind="round", round=world["round"])


def set_status(mapping, status):
    mapping.status = status
    mapping._change_reason = "Scripted"
    mapping.save()


def script_history(world):
    """The changes of the period: statuses moved, a new edition, action items due."""
    for key in ("watched", "by_topic", "by_standard", "unwatched"):
        set_status(world[key], ClauseMapping.Status.TECHNICAL_REVIEW)
    new_edition = make_standard(
        key="gb-2762-2025", code="GB 2762-2025", jurisdiction=Standard.Jurisdiction.CHINA
    )
    new_edition.supersedes.add(world["old_edition"])
    today = timezone.localdate()
    soon = ActionItem.objects.create(
        round=world["round"], what="Send the lab methods", owner_side="cn", due_on=today + 7 * DAY
    )
    late = ActionItem.objects.create(
        round=world["round"], what="Confirm the sampling plan", owner_side="kz", due_on=today - DAY
    )
    # Due too late, done, or of a round nobody watches: not in the digest.
    ActionItem.objects.create(
        round=world["round"], what="Far away", owner_side="kz", due_on=today + 30 * DAY
    )
    ActionItem.objects.create(
        round=world["round"],
        what="Already done",
        owner_side="kz",
        due_on=today,
        status="done",
        evidence="Letter of 1 May",
    )
    other_round = Round.objects.create(number=4, title="Round 4", source="test")
    item = ActionItem.objects.create(
        round=other_round, what="Of a watched mapping", owner_side="kz", due_on=today
    )
    item.mappings.add(world["watched"])
    ActionItem.objects.create(
        round=other_round, what="Nobody watches this", owner_side="kz", due_on=today
    )
    return soon, late


# --- pages --------------------------------------------------------------------------


def test_watch_and_unwatch_from_the_pair_page(regulator, world):
    client = client_of(regulator)
    mapping = world["watched"]
    page = client.get(mapping.get_absolute_url()).content.decode()
    assert reverse("standards:watch-add") in page and "Watch" in page
    response = client.post(
        reverse("standards:watch-add"),
        {"kind": "mapping", "target": mapping.key, "next": mapping.get_absolute_url()},
    )
    assert response.status_code == 302 and response["Location"] == mapping.get_absolute_url()
    watch = Watch.objects.get(user=regulator)
    assert watch.mapping == mapping and watch.kind == "mapping"
    # Twice is still one watch.
    client.post(reverse("standards:watch-add"), {"kind": "mapping", "target": mapping.key})
    assert Watch.objects.filter(user=regulator).count() == 1
    page = client.get(mapping.get_absolute_url()).content.decode()
    assert reverse("standards:watch-remove", args=[watch.pk]) in page and "Unwatch" in page
    response = client.post(reverse("standards:watch-remove", args=[watch.pk]))
    assert response.status_code == 302 and not Watch.objects.exists()


def test_watch_a_standard_a_round_and_a_topic(negotiator, world):
    client = client_of(negotiator)
    assert "Watch" in client.get(world["old_edition"].get_absolute_url()).content.decode()
    assert "Watch" in client.get(world["round"].get_absolute_url()).content.decode()
    for kind, target in [("standard", "gb-2762-2022"), ("round", "3"), ("topic", "labelling")]:
        response = client.post(reverse("standards:watch-add"), {"kind": kind, "target": target})
        assert response.status_code == 302, (kind, target)
    found = watches.watched(negotiator)
    assert found.standard_ids == {world["old_edition"].pk}
    assert found.round_ids == {world["round"].pk} and found.topics == {"labelling"}
    page = client.get(reverse("standards:watches")).content.decode()
    assert "GB 2762-2022" in page and "Round 3, Astana" in page and "Labelling" in page
    assert "Unwatch" in client.get(world["round"].get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "This field is required."),
        ({"kind": "planet", "target": "x"}, "Select a valid choice."),
        ({"kind": "mapping", "target": "NOPE-1"}, "Nothing of that kind is called"),
        ({"kind": "topic", "target": "astrology"}, "Nothing of that kind is called"),
        ({"kind": "round", "target": "99999999999999999999"}, "Nothing of that kind"),
        ({"kind": "round", "target": "²"}, "Nothing of that kind"),
        ({"kind": "standard", "target": "a\x00b"}, "Null characters are not allowed"),
        ({"kind": "mapping", "target": "x" * 500}, "at most 200 characters"),
        ({"kind": "mapping"}, "Say what to watch."),
        ({"kind": "round", "target": "  "}, "Say what to watch."),
    ],
)
def test_bad_watches_are_a_400_with_a_message(regulator, world, data, message):
    response = client_of(regulator).post(reverse("standards:watch-add"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Watch.objects.exists()


def test_another_users_watch_is_a_404(regulator, negotiator, world):
    theirs = Watch.objects.create(user=negotiator, kind="mapping", mapping=world["watched"])
    response = client_of(regulator).post(reverse("standards:watch-remove", args=[theirs.pk]))
    assert response.status_code == 404
    assert Watch.objects.filter(pk=theirs.pk).exists()
    assert client_of(regulator).post(
        reverse("standards:watch-remove", args=[99999])
    ).status_code == (404)
    # Nor does the list show it.
    page = client_of(regulator).get(reverse("standards:watches")).content.decode()
    assert f"watch-{theirs.pk}" not in page


def test_a_next_address_elsewhere_is_not_followed(regulator, world):
    response = client_of(regulator).post(
        reverse("standards:watch-add"),
        {"kind": "topic", "target": "labelling", "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("standards:watches")


def test_preferences_are_saved_and_bad_ones_refused(regulator):
    client = client_of(regulator)
    url = reverse("standards:watches")
    response = client.post(url, {"frequency": "weekly", "language": "ru", "email": "on"})
    assert response.status_code == 302
    preference = WatchPreference.objects.get(user=regulator)
    assert (preference.frequency, preference.language, preference.email) == ("weekly", "ru", True)
    response = client.post(url, {"frequency": "hourly", "language": "ru"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = client.post(url, {"frequency": "daily", "language": "klingon"})
    assert response.status_code == 400
    assert WatchPreference.objects.get(user=regulator).frequency == "weekly"


def test_a_new_preference_takes_the_language_the_reader_reads_in(regulator):
    client = client_of(regulator)
    page = client.get(reverse("standards:watches"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<option value="ru" selected>' in page
    # The first watch keeps it for the digests.
    client.post(
        reverse("standards:watch-add"),
        {"kind": "topic", "target": "labelling"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert WatchPreference.objects.get(user=regulator).language == "zh-hans"


def notification(user, subject="Digest", read=False):
    now = timezone.now()
    return Notification.objects.create(
        user=user,
        subject=subject,
        body="KZCN-001 changed.",
        link="/changes/",
        period_start=now - DAY,
        period_end=now,
        read_at=now if read else None,
    )


def test_notifications_page_shows_the_unread_count_and_marks_them_read(regulator, negotiator):
    notification(regulator, "First digest")
    notification(regulator, "Second digest")
    notification(regulator, "Old digest", read=True)
    notification(negotiator, "Someone else's digest")
    client = client_of(regulator)
    response = client.get(reverse("standards:notifications"))
    page = response.content.decode()
    assert "First digest" in page and "Old digest" in page
    assert "Someone else" not in page
    assert page.index("Second digest") < page.index("First digest")  # newest first
    assert page.count("notification-unread") == 2
    assert 'id="unread-count">2<' in page
    # The badge on every page.
    assert 'id="unread-count">2<' in client.get(reverse("standards:home")).content.decode()
    response = client.post(reverse("standards:notifications-read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=regulator, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=negotiator, read_at__isnull=True).count() == 1
    assert "unread-count" not in client.get(reverse("standards:notifications")).content.decode()


def test_notifications_are_paginated(regulator):
    for n in range(watches_per_page() + 1):
        notification(regulator, f"Digest number {n}")
    client = client_of(regulator)
    page = client.get(reverse("standards:notifications")).content.decode()
    assert "Digest number 0<" not in page and f"Digest number {watches_per_page()}" in page
    page = client.get(reverse("standards:notifications"), {"page": 2}).content.decode()
    assert "Digest number 0<" in page
    assert client.get(reverse("standards:notifications"), {"page": "x"}).status_code == 200


def watches_per_page():
    from standards.views.watches import NOTIFICATIONS_PER_PAGE

    return NOTIFICATIONS_PER_PAGE


# --- digests ------------------------------------------------------------------------


def test_the_digest_lists_what_changed_in_what_the_user_watches(regulator, world):
    watch_all(regulator, world)
    since = timezone.now()
    script_history(world)
    digest = watches.build_digest(regulator, since, timezone.now())
    # The watched mapping, the one of the watched topic, the one citing the watched
    # standard; not the other.
    assert [m.key for m in digest.mappings] == ["KZCN-001", "KZCN-002", "KZCN-003"]
    [transition] = digest.mappings[0].transitions
    assert (transition.old, transition.new) == ("Not started", "In technical review")
    [standard] = digest.standards
    assert (standard.code, standard.superseded_by) == ("GB 2762-2022", ["GB 2762-2025"])
    whats = [item.what for item in digest.actions]
    assert whats == ["Confirm the sampling plan", "Of a watched mapping", "Send the lab methods"]
    assert [item.overdue for item in digest.actions] == [True, False, False]


def test_action_items_are_news_when_they_come_due_or_become_overdue(regulator, world):
    Watch.objects.create(user=regulator, kind="round", round=world["round"])
    today = timezone.localdate()
    soon = ActionItem.objects.create(
        round=world["round"], what="Comes due", owner_side="cn", due_on=today + 7 * DAY
    )
    late = ActionItem.objects.create(
        round=world["round"], what="Overdue since today", owner_side="kz", due_on=today - DAY
    )
    long_late = ActionItem.objects.create(
        round=world["round"], what="Overdue for a week", owner_side="kz", due_on=today - 7 * DAY
    )
    saved = timezone.now() - 2 * DAY
    ActionItem.objects.filter(pk__in=[soon.pk, late.pk, long_late.pk]).update(updated_at=saved)
    now = timezone.now()
    # A daily digest: the day each came within 7 days of its due date, or overdue.
    daily = watches.build_digest(regulator, now - DAY, now)
    assert {item.what for item in daily.actions} == {"Comes due", "Overdue since today"}
    # The next run a few minutes later: nothing new about them.
    assert watches.build_digest(regulator, now, now + datetime.timedelta(minutes=5)).empty


def test_a_digest_in_russian_is_emailed_and_recorded(regulator, world):
    regulator.email = "reg@example.org"
    regulator.save()
    watch_all(regulator, world)
    WatchPreference.objects.create(user=regulator, frequency="daily", language="ru")
    run = watches.send_due(now=timezone.now())  # the first run ends the first period
    mail.outbox.clear()
    Notification.objects.all().delete()
    script_history(world)
    later = timezone.now() + DAY
    run = watches.send_due(now=later)
    assert (run.sent, run.emailed) == (1, 1)
    [message] = mail.outbox
    assert message.to == ["reg@example.org"]
    assert "Портал требований к мясу" in message.subject
    assert "На техническом рассмотрении" in message.body  # the status, in Russian
    assert "KZCN-001" in message.body and "GB 2762-2025" in message.body
    assert "http://testserver.example/pairs/KZCN-001/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and '<html lang="ru">' in html
    [recorded] = Notification.objects.filter(user=regulator)
    assert recorded.subject == message.subject and recorded.emailed and recorded.read_at is None
    assert recorded.period_end == later
    assert recorded.link.startswith("/changes/?since=")
    assert WatchPreference.objects.get(user=regulator).last_sent_at == later


@pytest.fixture(autouse=True)
def _portal_url(settings):
    settings.PORTAL_URL = "http://testserver.example"


def test_nothing_is_sent_when_nothing_changed(regulator, world):
    regulator.email = "reg@example.org"
    regulator.save()
    watch_all(regulator, world)
    run = watches.send_due()
    assert (run.checked, run.sent, run.empty) == (1, 0, 1)
    assert mail.outbox == [] and not Notification.objects.exists()
    # The period still ended.
    assert WatchPreference.objects.get(user=regulator).last_sent_at is not None


def test_no_email_without_an_address_or_when_turned_off(regulator, negotiator, world):
    watch_all(regulator, world)
    watch_all(negotiator, world)
    negotiator.email = "neg@example.org"
    negotiator.save()
    WatchPreference.objects.create(user=negotiator, email=False)
    since = timezone.now()
    WatchPreference.objects.update_or_create(user=regulator, defaults={"last_sent_at": since})
    WatchPreference.objects.filter(user=negotiator).update(last_sent_at=since)
    script_history(world)
    run = watches.send_due(now=timezone.now() + DAY)
    assert (run.sent, run.emailed) == (2, 0)
    assert mail.outbox == []
    assert Notification.objects.filter(emailed=False).count() == 2


def test_frequencies_are_respected(regulator, negotiator, editor, world):
    now = timezone.now()
    for user, frequency in [(regulator, "immediately"), (negotiator, "daily"), (editor, "weekly")]:
        Watch.objects.create(user=user, kind="mapping", mapping=world["watched"])
        WatchPreference.objects.create(user=user, frequency=frequency, last_sent_at=now)
    set_status(world["watched"], ClauseMapping.Status.TECHNICAL_REVIEW)

    def sent_to(at, frequency=None):
        before = set(Notification.objects.values_list("pk", flat=True))
        watches.send_due(frequency=frequency, now=at)
        new = Notification.objects.exclude(pk__in=before)
        return sorted(new.values_list("user__username", flat=True))

    minutes = datetime.timedelta(minutes=5)
    assert sent_to(now + minutes) == ["reg"]
    assert sent_to(now + 2 * minutes) == []  # nothing new since
    assert sent_to(now + DAY + minutes, frequency="weekly") == []
    assert sent_to(now + DAY + minutes) == ["neg"]
    assert sent_to(now + 2 * DAY) == []
    assert sent_to(now + 7 * DAY + minutes) == ["ed"]


def test_inactive_users_those_without_a_role_or_watches_get_nothing(
    regulator, negotiator, outsider, world
):
    Watch.objects.create(user=regulator, kind="mapping", mapping=world["watched"])
    Watch.objects.create(user=outsider, kind="mapping", mapping=world["watched"])
    regulator.is_active = False
    regulator.save()
    set_status(world["watched"], ClauseMapping.Status.TECHNICAL_REVIEW)
    assert watches.send_due().checked == 0
    assert not Notification.objects.exists()


def test_the_command_sends_and_its_dry_run_does_not(regulator, world):
    regulator.email = "reg@example.org"
    regulator.save()
    Watch.objects.create(user=regulator, kind="mapping", mapping=world["watched"])
    WatchPreference.objects.create(user=regulator, frequency="immediately")
    set_status(world["watched"], ClauseMapping.Status.TECHNICAL_REVIEW)
    out = io.StringIO()
    call_command("send_digests", "--dry-run", stdout=out)
    assert "Dry run: 1 digests due, 1 with news (1 by email)" in out.getvalue()
    assert mail.outbox == [] and not Notification.objects.exists()
    assert WatchPreference.objects.get().last_sent_at is None
    out = io.StringIO()
    call_command("send_digests", "--frequency", "daily", stdout=out)
    assert "0 digests due" in out.getvalue()
    call_command("send_digests", stdout=io.StringIO())
    assert len(mail.outbox) == 1 and Notification.objects.count() == 1


# --- the worker schedules them -------------------------------------------------------


def test_the_digests_task_is_queued_once_at_a_time(regulator, world):
    from django_tasks_db.models import DBTaskResult

    assert watches.enqueue_digests()
    assert not watches.enqueue_digests()  # one already waits
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "standards.watches.send_digests_task"


def test_the_schedule_queues_when_entered_and_not_when_disabled(monkeypatch, settings):
    calls = []
    monkeypatch.setattr(watches, "enqueue_digests", lambda: calls.append(1))
    settings.DIGEST_INTERVAL_SECONDS = 0
    with watches.DigestSchedule() as schedule:
        assert not schedule._thread.is_alive()
    assert calls == []
    with watches.DigestSchedule(interval=0.05) as schedule:
        deadline = timezone.now() + datetime.timedelta(seconds=5)
        while len(calls) < 3 and timezone.now() < deadline:
            time.sleep(0.01)
    assert len(calls) >= 3
    assert not schedule._thread.is_alive()


@pytest.mark.django_db(transaction=True)
def test_the_report_worker_sends_the_digests(settings):
    from django.contrib.auth import get_user_model
    from django_tasks_db.models import DBTaskResult

    settings.WORKER_HEARTBEAT_WINDOW = 3600
    settings.DIGEST_INTERVAL_SECONDS = 3600
    sync_roles()  # a transactional test before this one flushed the groups
    user = get_user_model().objects.create_user("watcher", "w@example.org", "pw")
    assign_role(user, REGULATOR)
    mapping = make_mapping(key="KZCN-009")
    Watch.objects.create(user=user, kind="mapping", mapping=mapping)
    WatchPreference.objects.create(user=user, frequency="immediately")
    set_status(mapping, ClauseMapping.Status.NEGOTIATION)
    call_command("report_worker", "--batch", "--no-startup-delay", verbosity=0)
    [result] = DBTaskResult.objects.filter(task_path="standards.watches.send_digests_task")
    assert result.status == "SUCCESSFUL"
    assert Notification.objects.filter(user=user).count() == 1
    assert len(mail.outbox) == 1


def test_a_period_another_run_ended_is_not_sent_again(regulator, world):
    regulator.email = "reg@example.org"
    regulator.save()
    Watch.objects.create(user=regulator, kind="mapping", mapping=world["watched"])
    preference = WatchPreference.objects.create(user=regulator, frequency="immediately")
    set_status(world["watched"], ClauseMapping.Status.TECHNICAL_REVIEW)
    stale = WatchPreference.objects.get(pk=preference.pk)
    now = timezone.now()
    assert watches.deliver(regulator, preference, now) is not None
    # A second run that read the preference before the first ended the period.
    assert watches.deliver(regulator, stale, now) is None
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1


def test_a_user_watching_only_rounds_costs_no_history_read(regulator, world, monkeypatch):
    Watch.objects.create(user=regulator, kind="round", round=world["round"])
    monkeypatch.setattr(watches, "between", lambda *a, **k: pytest.fail("read the history"))
    ActionItem.objects.create(
        round=world["round"], what="Due", owner_side="kz", due_on=timezone.localdate()
    )
    assert watches.send_due().sent == 1


def test_the_database_keeps_one_target_per_watch_and_each_once(regulator, world):
    from django.db import IntegrityError, transaction

    mapping = world["watched"]
    Watch.objects.create(user=regulator, kind="mapping", mapping=mapping)
    wrong = [
        {"kind": "mapping", "mapping": mapping},  # twice
        {"kind": "mapping"},  # no target
        {"kind": "topic", "topic": "labelling", "mapping": mapping},  # two targets
        {"kind": "round", "standard": world["old_edition"]},  # another kind's target
        {"kind": "topic"},
        {"kind": "market", "mapping": mapping},  # market access names no target
    ]
    for fields in wrong:
        with pytest.raises(IntegrityError), transaction.atomic():
            Watch.objects.create(user=regulator, **fields)
    # The same target for another user is theirs.
    Watch.objects.create(user=world_user(), kind="mapping", mapping=mapping)


def world_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("another", password="pw-another")


def test_a_watched_settled_pair_that_needs_re_review_is_in_the_digest(regulator, world):
    """A source of a watched agreed pair changes: the digest says it needs re-review,
    with the change, and the email carries it in the reader's language."""
    regulator.email = "reg@example.org"
    regulator.save()
    Watch.objects.create(user=regulator, kind="mapping", mapping=world["watched"])
    Watch.objects.create(user=regulator, kind="mapping", mapping=world["unwatched"])
    WatchPreference.objects.create(user=regulator, frequency="immediately", language="zh-hans")
    for key in ("watched", "by_standard"):
        set_status(world[key], ClauseMapping.Status.AGREED)
    since = timezone.now()
    clause = world["watched"].cn_clauses.get()
    clause.text_en = "Lead not more than 0.1 mg/kg."
    clause.save()
    digest = watches.build_digest(regulator, since, timezone.now())
    [flag] = digest.flags
    assert flag.mapping.key == "KZCN-001"  # not the unwatched, unflagged one
    assert flag.rows[0][2] == "Lead not more than 0.1 mg/kg."
    WatchPreference.objects.filter(user=regulator).update(last_sent_at=since)
    mail.outbox.clear()
    run = watches.send_due(now=timezone.now())
    assert run.sent == 1
    [message] = mail.outbox
    assert "需要复核" in message.body and "KZCN-001" in message.body
    assert "/pairs/KZCN-001/#review-heading" in message.body
    assert "<ins>Lead not more than 0.1 mg/kg.</ins>" in message.alternatives[0][0]
    # Cleared: the next digest has nothing of it.
    from standards.review import clear, open_flags

    clear(open_flags(), user=None, reason="Checked.")
    assert watches.review_flags({world["watched"].pk}, since, timezone.now()) == []


# --- market access: renewals due and corrective actions overdue -------------------------


def test_market_access_is_watched_once_from_the_watches_page(regulator):
    client = client_of(regulator)
    page = client.get(reverse("standards:watches")).content.decode()
    assert 'name="kind" value="market"' in page
    for _twice in range(2):
        response = client.post(reverse("standards:watch-add"), {"kind": "market"})
        assert response.status_code == 302
    [watch] = Watch.objects.filter(user=regulator)
    assert watch.kind == "market" and watch.mapping is None
    page = client.get(reverse("standards:watches")).content.decode()
    assert "You watch market access." in page
    assert "Renewals of the establishments and overdue corrective actions" in page


def plant(key, listing_date, **fields):
    from standards.models import Establishment

    return Establishment.objects.create(
        key=key, name=key.title(), listing_date=listing_date, source="test", **fields
    )


def test_renewals_are_news_on_the_day_they_fall_due(regulator):
    """A daily digest tells of a window that opened yesterday or today, one that came
    within its last 30 days, one that closed and a registration that expired, each in
    the period it happened; a window open for weeks is old news."""
    from standards.establishments import add_months, renewal_window
    from standards.watches import CLOSING_SOON

    Watch.objects.create(user=regulator, kind="market")
    today = timezone.localdate()

    def listed_for(expiry):
        return add_months(expiry, -60)

    opened = plant("opened", listed_for(add_months(today, 6)))  # window opens today
    plant("closing", listed_for(add_months(today + CLOSING_SOON, 3)))  # 30 days left
    plant("closed", listed_for(add_months(today - DAY, 3)))  # closed yesterday
    plant("open-for-weeks", listed_for(add_months(today - 20 * DAY, 6)))
    assert renewal_window(opened.expires_on)[0] == today
    now = timezone.now()
    digest = watches.build_digest(regulator, now - DAY, now)
    assert {due.name for due in digest.renewals} == {"Opened", "Closing", "Closed"}
    assert not watches.build_digest(regulator, now, now + datetime.timedelta(minutes=5)).renewals


def test_corrective_actions_are_news_the_day_they_become_overdue(regulator):
    from standards.models import CorrectiveAction, Finding, SiteVisit

    Watch.objects.create(user=regulator, kind="market")
    visit = SiteVisit.objects.create(
        key="review", title="GACC review", purpose="country_review", status="closed",
        findings_state="recorded", source="test",
    )  # fmt: skip
    finding = Finding.objects.create(visit=visit, text="Records", severity="isolated")
    today = timezone.localdate()
    for action, deadline, status in (
        ("Overdue since today", today - DAY, "open"),
        ("Overdue for a week", today - 7 * DAY, "in_progress"),
        ("Due today", today, "open"),
        ("Done late", today - DAY, "done"),
    ):
        CorrectiveAction.objects.create(
            finding=finding, action=action, owner_side="kz", deadline=deadline, status=status,
            evidence="Register" if status == "done" else "",
        )  # fmt: skip
    now = timezone.now()
    digest = watches.build_digest(regulator, now - DAY, now)
    assert [a.action for a in digest.corrective] == ["Overdue since today"]
    weekly = watches.build_digest(regulator, now - 7 * DAY, now)
    assert {a.action for a in weekly.corrective} == {"Overdue since today", "Overdue for a week"}


def test_a_market_access_digest_is_emailed_with_its_links(regulator):
    from standards.establishments import add_months

    regulator.email = "reg@example.org"
    regulator.save()
    Watch.objects.create(user=regulator, kind="market")
    WatchPreference.objects.create(user=regulator, frequency="daily", language="en")
    today = timezone.localdate()
    due = plant(
        "almaty-meat", add_months(add_months(today, 6), -60), cn_registration_number="CKAZ1"
    )
    # A watcher of mappings only hears nothing of it.
    other = world_user()
    assign_role(other, REGULATOR)
    Watch.objects.create(user=other, kind="topic", topic="labelling")
    run = watches.send_due(now=timezone.now())
    assert run.sent == 1
    [message] = mail.outbox
    assert "Establishments due for renewal" in message.body
    assert "Almaty-Meat (CKAZ1)" in message.body
    assert f"http://testserver.example{due.get_absolute_url()}" in message.body
    html, _mimetype = message.alternatives[0]
    assert f'href="http://testserver.example{due.get_absolute_url()}"' in html
