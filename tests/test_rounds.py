"""Rounds of the talks: the models and their rules, the move of the notes' free-text
meetings to rounds, the round list and page, the dashboard blocks and the seeded rounds."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from standards.models import ActionItem, DelegationMember, NegotiationNote, Round
from standards.reference import load_reference_data
from standards.views.dashboard import rounds_context
from tests.factories import make_clause, make_mapping

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
INTERNAL_KZ = "KZ fallback: accept 0.3 mg/kg if pressed."
INTERNAL_CN = "CN red line: no change below 0.2 mg/kg."
SHARED = "Both sides accept n=5, c=0."
MIGRATION = importlib.import_module("standards.migrations.0020_notes_to_rounds")


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def make_round(number=1, **fields):
    fields.setdefault("title", f"Round {number}, Astana")
    fields.setdefault("source", "test")
    return Round.objects.create(number=number, **fields)


@pytest.fixture
def round_3(negotiator):
    mapping = make_mapping(key="KZCN-900", kz=[make_clause()], title="Lead in meat")
    other = make_mapping(key="KZCN-901", kz=[make_clause()], title="Salmonella")
    round_ = make_round(
        3,
        starts_on=TODAY - 10 * DAY,
        ends_on=TODAY - 9 * DAY,
        place="Astana",
        format="in_person",
        kz_head="Head KZ",
        cn_head="Head CN",
        summary="Lead figures compared.",
        confidence="medium",
    )
    round_.agenda.set([mapping, other])
    decision = round_.decisions.create(text="Lead limits to be aligned", outcome="agreed")
    decision.mappings.set([mapping])
    round_.action_items.create(
        what="Send the lead method", owner_side="kz", responsible_body="VCSC", due_on=TODAY - DAY
    )
    round_.action_items.create(
        what="Confirm the sampling plan", owner_side="cn", due_on=TODAY + 5 * DAY
    )
    round_.action_items.create(
        what="Exchange the lab lists",
        owner_side="joint",
        due_on=TODAY - 3 * DAY,
        status="done",
        evidence="Letter of 3 May",
    )
    common = {"mapping": mapping, "date": TODAY, "author": negotiator, "meeting": "Round 3"}
    for side, text, visibility in [
        ("joint", SHARED, "shared"),
        ("kz", INTERNAL_KZ, "internal"),
        ("cn", INTERNAL_CN, "internal"),
    ]:
        NegotiationNote.objects.create(
            side=side, text=text, visibility=visibility, round=round_, **common
        )
    return round_


# --- models ---------------------------------------------------------------------------


def test_a_round_cannot_end_before_it_starts():
    round_ = Round(number=1, title="x", source="s", starts_on=TODAY, ends_on=TODAY - DAY)
    with pytest.raises(ValidationError) as error:
        round_.full_clean()
    assert error.value.error_dict["__all__"][0].code == "round_ends_not_before_start"
    with pytest.raises(IntegrityError), transaction.atomic():
        round_.save()


def test_round_numbers_are_unique_and_positive():
    make_round(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_round(1)
    with pytest.raises(ValidationError):
        Round(number=0, title="x", source="s").full_clean()


def test_a_done_action_item_needs_evidence():
    round_ = make_round(1)
    item = ActionItem(round=round_, what="Send it", owner_side="kz", status="done")
    with pytest.raises(ValidationError) as error:
        item.full_clean()
    assert "evidence" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        item.save()
    item.evidence = "Letter of 3 May"
    item.full_clean()
    item.save()


def test_overdue_is_open_and_past_due():
    round_ = make_round(1)
    late = ActionItem(round=round_, what="a", owner_side="kz", due_on=TODAY - DAY)
    due_today = ActionItem(round=round_, what="b", owner_side="kz", due_on=TODAY)
    done = ActionItem(
        round=round_, what="c", owner_side="kz", due_on=TODAY - DAY, status="done", evidence="e"
    )
    undated = ActionItem(round=round_, what="d", owner_side="kz")
    assert late.is_overdue(TODAY)
    assert not due_today.is_overdue(TODAY)
    assert not done.is_overdue(TODAY)
    assert not undated.is_overdue(TODAY)


# --- the move of free-text meetings ----------------------------------------------------


def test_free_text_meetings_become_rounds(negotiator):
    mapping = make_mapping(kz=[make_clause()])
    common = {"mapping": mapping, "author": negotiator, "side": "joint", "visibility": "shared"}
    later = NegotiationNote.objects.create(
        meeting="Round 2, Beijing", date=datetime.date(2024, 5, 2), text="a", **common
    )
    first = NegotiationNote.objects.create(
        meeting="Round 1, Astana", date=datetime.date(2024, 1, 10), text="b", **common
    )
    again = NegotiationNote.objects.create(
        meeting="Round 2, Beijing", date=datetime.date(2024, 4, 30), text="c", **common
    )
    MIGRATION.notes_to_rounds(apps, None)
    rounds = list(Round.objects.order_by("number"))
    assert [(r.number, r.title, r.starts_on) for r in rounds] == [
        (1, "Round 1, Astana", datetime.date(2024, 1, 10)),
        (2, "Round 2, Beijing", datetime.date(2024, 4, 30)),
    ]
    assert {r.source for r in rounds} == {MIGRATION.MOVED_SOURCE}
    assert {r.confidence for r in rounds} == {"low"}
    for note, number in [(first, 1), (later, 2), (again, 2)]:
        note.refresh_from_db()
        assert note.round.number == number
        assert note.meeting  # the free text stays
    # Run again: nothing new.
    MIGRATION.notes_to_rounds(apps, None)
    assert Round.objects.count() == 2


def test_a_round_with_notes_cannot_be_deleted(round_3):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        round_3.delete()


# --- pages ----------------------------------------------------------------------------


def test_round_list_newest_first(regulator, round_3):
    make_round(1, title="Opening talks")
    response = client_of(regulator).get(reverse("standards:round-list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Round 3, Astana") < page.index("Opening talks")
    assert round_3.get_absolute_url() in page
    assert "Astana" in page


def test_round_page_shows_agenda_minutes_decisions_and_actions(regulator, round_3):
    page = client_of(regulator).get(round_3.get_absolute_url()).content.decode()
    for text in [
        "Head KZ",
        "Head CN",
        "KZCN-900",
        "KZCN-901",
        reverse("standards:mapping-detail", args=["KZCN-900"]),
        "Lead figures compared.",
        "Lead limits to be aligned",
        "Agreed",
        "Send the lead method",
        "VCSC",
        "Letter of 3 May",
    ]:
        assert text in page, text
    assert page.count('class="badge text-bg-danger overdue"') == 1


def test_round_page_without_minutes_says_so(regulator):
    round_ = make_round(7)
    page = client_of(regulator).get(round_.get_absolute_url()).content.decode()
    assert "No minutes are recorded for this round." in page


def test_round_page_shows_only_the_notes_the_reader_may_read(regulator, negotiator, round_3):
    page = client_of(regulator).get(round_3.get_absolute_url()).content.decode()
    assert SHARED in page
    assert INTERNAL_KZ not in page and INTERNAL_CN not in page
    DelegationMember.objects.create(user=negotiator, delegation="kz")
    page = client_of(negotiator).get(round_3.get_absolute_url()).content.decode()
    assert SHARED in page and INTERNAL_KZ in page
    assert INTERNAL_CN not in page


def test_unknown_round_is_404(regulator):
    assert client_of(regulator).get("/rounds/99/").status_code == 404


# --- dashboard ------------------------------------------------------------------------


def test_dashboard_without_rounds(regulator):
    page = client_of(regulator).get(reverse("standards:home")).content.decode()
    assert "No round is scheduled." in page
    assert "No action item is overdue." in page


def test_dashboard_next_round_overdue_items_and_last_decisions(regulator, round_3):
    make_round(4, title="Round 4, Beijing", starts_on=TODAY + 20 * DAY)
    context = rounds_context(TODAY)
    assert context["next_round"].number == 4
    assert [item.what for item in context["overdue_actions"]] == ["Send the lead method"]
    assert context["last_round"] == round_3
    assert [d.text for d in context["last_decisions"]] == ["Lead limits to be aligned"]
    page = client_of(regulator).get(reverse("standards:home")).content.decode()
    assert "Round 4, Beijing" in page
    assert "Send the lead method" in page
    assert "Lead limits to be aligned" in page
    assert "Confirm the sampling plan" not in page


# --- seeded rounds --------------------------------------------------------------------


def test_seeded_rounds_carry_source_and_confidence():
    load_reference_data()
    rounds = {r.number: r for r in Round.objects.all()}
    assert len(rounds) == 5
    assert all(r.source and r.confidence for r in rounds.values())
    assert all(r.from_dataset for r in rounds.values())
    talks = rounds[1]
    assert talks.starts_on == datetime.date(2023, 11, 9)
    assert "Sun Yuning" in talks.cn_head
    assert "interfax.com" in talks.source
    audit = rounds[2]
    assert audit.starts_on is None and audit.dates_note == "Dec 2023"
    assert rounds[3].starts_on == datetime.date(2024, 2, 7)
    assert "2024 No. 20" in rounds[3].title
    assert rounds[4].starts_on == datetime.date(2025, 5, 22)
    assert "Pork" in rounds[5].title
    # Nothing invented: no minutes, decisions or action items.
    assert not any(r.summary for r in rounds.values())
    assert not ActionItem.objects.exists()
    # A second load changes nothing.
    summary = load_reference_data()
    assert summary.counts[("rounds", "unchanged")] == 5


def test_loader_keeps_editors_rounds():
    make_round(1, title="Editors' round")
    summary = load_reference_data()  # never stops on a taken number
    assert summary.counts[("rounds", "kept")] == 1
    assert "1 kept" in " ".join(summary.lines())
    assert Round.objects.get(number=1).title == "Editors' round"
    assert Round.objects.count() == 5  # the four other dataset rounds
    Round.objects.filter(number=1).update(number=40)
    load_reference_data()
    assert Round.objects.filter(number=40, title="Editors' round").exists()
    assert Round.objects.count() == 6
