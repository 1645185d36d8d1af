"""Suspect links: a settled pair whose source changes needs re-review (standards.review),
shown with the change as a diff, listed in the editors' queue and cleared with a reason."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from standards import review
from standards.models import ClauseMapping, ReviewCause, ReviewFlag, Standard
from tests.factories import make_clause, make_limit, make_mapping, make_standard

pytestmark = pytest.mark.django_db

AGREED = ClauseMapping.Status.AGREED
HARMONIZED = ClauseMapping.Status.HARMONIZED
NEGOTIATION = ClauseMapping.Status.NEGOTIATION


@pytest.fixture
def settled():
    """An agreed pair citing a Chinese clause with a limit, and an unsettled pair citing
    the same clause."""
    old = make_standard(key="gb-2762-2022", code="GB 2762-2022", edition="2022", jurisdiction="cn")
    kz = make_clause(text_en="Lead not more than 0.5 mg/kg.")
    cn = make_clause(old, text_en="Lead not more than 0.2 mg/kg.", text_original="铅 ≤ 0.2 mg/kg")
    limit = make_limit(cn, value=Decimal("0.2"))
    agreed = make_mapping(kz=[kz], cn=[cn], status=AGREED)
    open_talks = make_mapping(kz=[kz], cn=[cn], status=NEGOTIATION)
    return {"old": old, "kz": kz, "cn": cn, "limit": limit, "agreed": agreed, "open": open_talks}


def flags_of(mapping):
    return list(ReviewFlag.objects.filter(mapping=mapping).order_by("pk"))


def test_a_clause_text_change_flags_settled_pairs_only(settled):
    cn = settled["cn"]
    cn.text_en = "Lead not more than 0.1 mg/kg."
    cn.save()
    (flag,) = flags_of(settled["agreed"])
    assert flag.cause == ReviewCause.CLAUSE_TEXT
    assert flag.is_open and flag.status_then == AGREED
    assert flag.before == {"text_en": "Lead not more than 0.2 mg/kg."}
    assert flag.after == {"text_en": "Lead not more than 0.1 mg/kg."}
    assert flag.clause == cn
    assert flags_of(settled["open"]) == []


def test_an_unchanged_save_raises_nothing(settled):
    settled["cn"].save()
    settled["limit"].save()
    settled["old"].save()
    assert not ReviewFlag.objects.exists()


def test_later_edits_gather_on_one_flag_and_an_undo_clears_it(settled):
    cn = settled["cn"]
    for text in ("Lead ≤ 0.1 mg/kg.", "Lead ≤ 0.15 mg/kg."):
        cn.text_en = text
        cn.save()
    (flag,) = flags_of(settled["agreed"])
    assert flag.before == {"text_en": "Lead not more than 0.2 mg/kg."}
    assert flag.after == {"text_en": "Lead ≤ 0.15 mg/kg."}
    cn.text_original = "铅 ≤ 0.15 mg/kg"
    cn.save()
    flag.refresh_from_db()
    assert flag.before["text_original"] == "铅 ≤ 0.2 mg/kg"
    cn.text_en, cn.text_original = "Lead not more than 0.2 mg/kg.", "铅 ≤ 0.2 mg/kg"
    cn.save()
    flag.refresh_from_db()
    assert not flag.is_open
    assert flag.clear_reason == str(review.REVERTED)


def test_limit_changes_flag_with_old_and_new_figures(settled):
    limit = settled["limit"]
    limit.value = Decimal("0.1")
    limit.save()
    (flag,) = flags_of(settled["agreed"])
    assert flag.cause == ReviewCause.LIMIT
    assert flag.before == {"limit": "≤ 0.2 mg/kg"}
    assert flag.after == {"limit": "≤ 0.1 mg/kg"}
    assert flag.parameter == limit.parameter
    # Its evidence is how well it was read, not what it requires.
    limit.evidence = "secondary"
    limit.save()
    flag.refresh_from_db()
    assert flag.after == {"limit": "≤ 0.1 mg/kg"}


def test_a_limit_added_or_deleted_flags(settled):
    added = make_limit(settled["cn"], value=Decimal("1"), unit="mg/kg")
    flag = ReviewFlag.objects.get(subject=f"limit:{added.pk}")
    assert flag.before == {"limit": ""} and flag.after == {"limit": "≤ 1 mg/kg"}
    pk = settled["limit"].pk
    settled["limit"].delete()
    flag = ReviewFlag.objects.get(subject=f"limit:{pk}")
    assert flag.before == {"limit": "≤ 0.2 mg/kg"} and flag.after == {"limit": ""}


def test_deleting_a_clause_with_its_limits_does_not_flag_through_the_limits(settled):
    with transaction.atomic():
        settled["cn"].delete()
    assert not ReviewFlag.objects.exists()


def test_a_new_edition_flags_every_settled_pair_citing_the_old_one(settled):
    other = make_mapping(cn=[make_clause(settled["old"])], status=HARMONIZED)
    elsewhere = make_mapping(cn=[make_clause(make_standard())], status=AGREED)
    new = make_standard(key="gb-2762-2025", code="GB 2762-2025", jurisdiction="cn")
    new.supersedes.add(settled["old"])
    for mapping in (settled["agreed"], other):
        (flag,) = flags_of(mapping)
        assert flag.cause == ReviewCause.SUPERSEDED
        assert flag.standard == settled["old"]
        assert flag.after == {"superseded_by": "GB 2762-2025"}
    assert flags_of(settled["open"]) == [] and flags_of(elsewhere) == []


def test_the_old_edition_marked_superseded_from_its_own_end_flags_too(settled):
    new = make_standard(key="gb-2762-2025", code="GB 2762-2025", jurisdiction="cn")
    settled["old"].superseded_by.add(new)
    (flag,) = flags_of(settled["agreed"])
    assert flag.after == {"superseded_by": "GB 2762-2025"}


def test_an_edition_or_status_change_flags(settled):
    old = settled["old"]
    old.edition = "2022 (amended 2024)"
    old.save()
    (flag,) = flags_of(settled["agreed"])
    assert flag.cause == ReviewCause.EDITION
    assert flag.before == {"edition": "2022"}
    old.status = Standard.Status.SUPERSEDED
    old.save()
    flag.refresh_from_db()
    assert flag.cause == ReviewCause.SUPERSEDED
    assert flag.after["status"] == "superseded"
    assert ("Status", "In force", "Superseded", "") in [
        (str(label).capitalize(), *rest) for label, *rest in review.diff_rows(flag)
    ]


def test_the_change_remembers_who_and_why(settled, editor):
    cn = settled["cn"]
    cn.text_en = "Changed."
    cn._history_user = editor
    cn._change_reason = "GACC corrigendum"
    cn.save()
    (flag,) = flags_of(settled["agreed"])
    assert flag.changed_by == editor and flag.change_reason == "GACC corrigendum"


def test_one_open_flag_per_subject_is_a_database_rule(settled):
    settled["cn"].text_en = "Changed."
    settled["cn"].save()
    (flag,) = flags_of(settled["agreed"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewFlag.objects.create(
            mapping=flag.mapping, cause=flag.cause, subject=flag.subject, status_then=AGREED
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewFlag.objects.filter(pk=flag.pk).update(cleared_at=flag.raised_at)  # no reason


def test_a_flag_already_open_takes_the_new_text_instead_of_a_second_flag(settled):
    mapping = settled["agreed"]
    args = {"cause": ReviewCause.CLAUSE_TEXT, "subject": "clause:1"}
    review.raise_flags(
        [(mapping.pk, AGREED)], before={"text_en": "a"}, after={"text_en": "b"}, **args
    )
    review.raise_flags(
        [(mapping.pk, AGREED)], before={"text_en": "b"}, after={"text_en": "c"}, **args
    )
    (flag,) = flags_of(mapping)
    assert (flag.before, flag.after) == ({"text_en": "a"}, {"text_en": "c"})


# --- on screen --------------------------------------------------------------------------


def test_the_pair_page_shows_the_change_as_a_redline(settled, client_for, regulator):
    settled["cn"].text_en = "Lead not more than 0.1 mg/kg."
    settled["cn"].save()
    page = client_for(regulator).get(settled["agreed"].get_absolute_url())
    html = page.content.decode()
    assert "Needs re-review" in html
    assert "<del>0.2</del>" in html and "<ins>0.1</ins>" in html
    assert "Clear the flags" not in html  # a regulator reads, an editor clears
    unflagged = client_for(regulator).get(settled["open"].get_absolute_url())
    assert "Needs re-review" not in unflagged.content.decode()


def test_the_comparison_marks_pairs_needing_re_review(settled, client_for, regulator):
    settled["cn"].text_en = "Changed."
    settled["cn"].save()
    html = client_for(regulator).get(reverse("standards:compare")).content.decode()
    assert html.count('class="badge badge-review"') == 1


def test_user_text_in_a_flag_is_escaped(settled, client_for, editor):
    settled["cn"].text_en = "<script>alert(1)</script>"
    settled["cn"]._change_reason = "<b>why</b>"
    settled["cn"].save()
    html = client_for(editor).get(settled["agreed"].get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "<b>why</b>" not in html


def _flag(settled):
    settled["cn"].text_en = "Changed."
    settled["cn"].save()
    return flags_of(settled["agreed"])[0]


def test_an_editor_clears_a_flag_with_a_reason(settled, client_for, editor):
    flag = _flag(settled)
    url = reverse("standards:flags-clear", args=[settled["agreed"].key])
    response = client_for(editor).post(url, {"flags": [flag.pk], "reason": "Same limit."})
    assert response.status_code == 302
    assert response.url == settled["agreed"].get_absolute_url() + "#review-heading"
    flag.refresh_from_db()
    assert not flag.is_open
    assert (flag.cleared_by, flag.clear_reason) == (editor, "Same limit.")
    html = client_for(editor).get(settled["agreed"].get_absolute_url()).content.decode()
    assert "Needs re-review" not in html and "Re-reviews" in html and "Same limit." in html


@pytest.mark.parametrize(
    "data, message",
    [
        ({"flags": [], "reason": "ok"}, "Choose the flags you re-reviewed."),
        ({"reason": "   "}, "Give the outcome of the re-review."),
        ({"flags": ["abc"], "reason": "ok"}, "is not a flag"),
        ({"flags": ["999999"], "reason": "ok"}, "no longer open"),
        ({"reason": "x" * 2001}, "at most 2000"),
    ],
)
def test_a_refused_clear_is_a_400_that_changes_nothing(settled, client_for, editor, data, message):
    flag = _flag(settled)
    data = {"flags": [flag.pk], **data}
    url = reverse("standards:flags-clear", args=[settled["agreed"].key])
    response = client_for(editor).post(url, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    flag.refresh_from_db()
    assert flag.is_open


def test_a_flag_of_another_mapping_cannot_be_cleared_here(settled, client_for, editor):
    flag = _flag(settled)
    url = reverse("standards:flags-clear", args=[settled["open"].key])
    response = client_for(editor).post(url, {"flags": [flag.pk], "reason": "ok"})
    assert response.status_code == 400
    flag.refresh_from_db()
    assert flag.is_open


def test_a_flag_cleared_twice_keeps_the_first_outcome(settled, client_for, editor, administrator):
    flag = _flag(settled)
    url = reverse("standards:flags-clear", args=[settled["agreed"].key])
    client_for(editor).post(url, {"flags": [flag.pk], "reason": "First."})
    response = client_for(administrator).post(url, {"flags": [flag.pk], "reason": "Second."})
    assert response.status_code == 400
    assert "no longer open" in response.content.decode()
    flag.refresh_from_db()
    assert flag.clear_reason == "First."


def test_clear_returns_to_the_queue_but_never_off_site(settled, client_for, editor):
    flag = _flag(settled)
    url = reverse("standards:flags-clear", args=[settled["agreed"].key])
    queue = reverse("standards:review-queue") + "?cause=limit"
    client = client_for(editor)
    response = client.post(url, {"flags": [flag.pk], "reason": "ok", "next": queue})
    assert response.url == queue
    flag2 = _flag_again(settled)
    response = client.post(
        url, {"flags": [flag2.pk], "reason": "ok", "next": "https://evil.example/"}
    )
    assert response.url.startswith(settled["agreed"].get_absolute_url())


def _flag_again(settled):
    settled["cn"].text_en = "Changed again."
    settled["cn"].save()
    return ReviewFlag.objects.get(mapping=settled["agreed"], cleared_at__isnull=True)


def test_the_queue_lists_flagged_pairs_oldest_first(settled, client_for, editor):
    first = make_mapping(cn=[make_clause(text_en="A.")], status=HARMONIZED, key="Q-1")
    clause = first.cn_side[0]
    clause.text_en = "B."
    clause.save()
    _flag(settled)
    html = client_for(editor).get(reverse("standards:review-queue")).content.decode()
    assert "2 pairs need re-review. Open flags: 2." in html
    assert html.index("Q-1") < html.index(settled["agreed"].key)
    filtered = client_for(editor).get(reverse("standards:review-queue"), {"cause": "limit"})
    assert "0 pairs need re-review" in filtered.content.decode()


def test_the_queue_refuses_an_unknown_filter(client_for, editor):
    response = client_for(editor).get(reverse("standards:review-queue"), {"cause": "nope"})
    assert response.status_code == 400


def test_the_queue_is_empty_with_a_clear_message(client_for, editor):
    html = client_for(editor).get(reverse("standards:review-queue")).content.decode()
    assert "Nothing to re-review" in html


def test_the_queue_costs_the_same_queries_for_more_pairs(
    settled, client_for, editor, django_assert_max_num_queries
):
    client = client_for(editor)
    _flag(settled)
    client.get(reverse("standards:review-queue"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("standards:review-queue"))
    for n in range(8):
        mapping = make_mapping(cn=[make_clause(text_en="A.")], status=AGREED, key=f"M-{n}")
        clause = mapping.cn_side[0]
        clause.text_en = "B."
        clause.save()
        make_limit(clause)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("standards:review-queue"))
    assert len(many) == len(few)


@pytest.mark.parametrize("role", ["regulator", "negotiator"])
def test_readers_cannot_clear_or_open_the_queue(settled, client_for, request, role):
    flag = _flag(settled)
    client = client_for(request.getfixturevalue(role))
    url = reverse("standards:flags-clear", args=[settled["agreed"].key])
    assert client.post(url, {"flags": [flag.pk], "reason": "x"}).status_code == 403
    assert client.get(reverse("standards:review-queue")).status_code == 403
    flag.refresh_from_db()
    assert flag.is_open
