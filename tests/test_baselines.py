"""Baselines (a round's frozen state) and what changed since one, on a scripted history:
a status agreed with its reason, a limit tightened (the computed verdict moves), a
clause text rewritten, a new edition superseding a cited standard, a mapping added and
one removed."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from simple_history.utils import update_change_reason

from standards import baselines, changes
from standards.models import Baseline, ClauseMapping, Round, Standard
from tests.factories import make_clause, make_limit, make_mapping, make_parameter, make_standard

pytestmark = pytest.mark.django_db


def make_round(number=3):
    return Round.objects.create(number=number, title=f"Round {number}", source="test")


@pytest.fixture
def world(editor):
    lead = make_parameter(key="lead", name_en="Lead (Pb)")
    kz_doc = make_standard(code="TR CU 021/2011")
    cn_doc = make_standard(
        code="GB 2762-2022", jurisdiction=Standard.Jurisdiction.CHINA, edition="2022"
    )
    kz = make_clause(kz_doc, reference="Annex 3", text_en="Lead not more than 0.5 mg/kg.")
    cn = make_clause(
        cn_doc,
        reference="4.1",
        text_original="铅 限量 0.5 mg/kg",
        original_language="zh",
        text_en="Lead at most 0.5 mg/kg.",
    )
    make_limit(kz, lead, value=Decimal("0.5"))
    cn_limit = make_limit(cn, lead, value=Decimal("0.5"))
    agreed_later = make_mapping(
        kz=[kz],
        cn=[cn],
        key="KZCN-001",
        title="Lead in meat",
        alignment="equivalent",
        status="negotiation",
    )
    removed_later = make_mapping(key="KZCN-002", title="Gone", topic="labelling")
    return {
        "editor": editor,
        "lead": lead,
        "cn_doc": cn_doc,
        "kz": kz,
        "cn": cn,
        "cn_limit": cn_limit,
        "agreed_later": agreed_later,
        "removed_later": removed_later,
        "round": make_round(),
    }


def script_edits(world):
    """The edits made after round 3 was closed."""
    mapping = world["agreed_later"]
    mapping.status = "agreed"
    mapping.alignment = "cn_stricter"
    mapping.save()
    update_change_reason(mapping, "Agreed at the working group, minutes item 4")
    limit = world["cn_limit"]
    limit.value = Decimal("0.2")
    limit.save()
    clause = world["cn"]
    clause.text_original = "铅 限量 0.2 mg/kg"
    clause.save()
    new_edition = make_standard(
        code="GB 2762-2025", jurisdiction=Standard.Jurisdiction.CHINA, edition="2025"
    )
    new_edition.supersedes.add(world["cn_doc"])
    world["removed_later"].delete()
    make_mapping(key="KZCN-003", title="Added later")


def test_changes_since_a_baseline_on_a_scripted_history(world):
    baselines.take_baseline(world["round"], world["editor"])
    script_edits(world)

    found = changes.between(baselines.moment("round-3"))

    by_key = {m.key: m for m in found.mappings}
    assert set(by_key) == {"KZCN-001", "KZCN-002", "KZCN-003"}
    agreed = by_key["KZCN-001"]
    transitions = {(t.field, t.old, t.new, t.reason) for t in agreed.transitions}
    reason = "Agreed at the working group, minutes item 4"
    assert transitions == {
        ("negotiation status", "Under negotiation", "Agreed", reason),
        ("alignment", "Equivalent", "China stricter", reason),
    }
    [limit] = agreed.limits
    assert (limit.parameter, limit.old, limit.new) == ("Lead (Pb)", "≤ 0.5 mg/kg", "≤ 0.2 mg/kg")
    assert agreed.verdict == ("Equivalent", "China stricter")
    [text] = agreed.texts
    assert (text.code, text.old, text.new, text.language) == (
        "text_original",
        "铅 限量 0.5 mg/kg",
        "铅 限量 0.2 mg/kg",
        "zh",
    )
    assert by_key["KZCN-002"].removed and not by_key["KZCN-002"].added
    assert by_key["KZCN-003"].added
    [superseded] = found.standards
    assert (superseded.code, superseded.superseded_by) == ("GB 2762-2022", ["GB 2762-2025"])
    assert [label for label, _items in found.topics] == ["Contaminants", "Labelling"]


def test_the_reason_of_a_transition_is_reported(world):
    baselines.take_baseline(world["round"], world["editor"])
    mapping = world["agreed_later"]
    mapping.status = "agreed"
    mapping._change_reason = "Agreed at the working group"
    mapping.save()

    [entry] = changes.between(baselines.moment("round-3")).mappings
    [transition] = entry.transitions
    assert (transition.new, transition.reason) == ("Agreed", "Agreed at the working group")


def test_filters_keep_the_mappings_of_the_comparison(world):
    baselines.take_baseline(world["round"], world["editor"])
    script_edits(world)
    since = baselines.moment("round-3")

    keys = [m.key for m in changes.between(since, filters={"topic": ["labelling"]}).mappings]
    assert keys == ["KZCN-002"]
    keys = [m.key for m in changes.between(since, filters={"status": ["agreed"]}).mappings]
    assert keys == ["KZCN-001"]


def test_nothing_changed_since_a_fresh_baseline(world):
    baselines.take_baseline(world["round"], world["editor"])
    assert changes.between(baselines.moment("round-3")).empty


def test_changes_between_two_baselines_leave_out_later_edits(world):
    baselines.take_baseline(world["round"], world["editor"])
    mapping = world["agreed_later"]
    mapping.status = "technical_review"
    mapping.save()
    baselines.take_baseline(make_round(4), world["editor"])
    mapping.status = "agreed"
    mapping.save()

    found = changes.between(baselines.moment("round-3"), baselines.moment("round-4"))
    [entry] = found.mappings
    assert [t.new for t in entry.transitions] == ["In technical review"]


def test_changes_since_take_a_constant_number_of_queries(world, django_assert_max_num_queries):
    baselines.take_baseline(world["round"], world["editor"])
    script_edits(world)
    since = baselines.moment("round-3")
    with django_assert_max_num_queries(40) as few:
        changes.between(since)
    for n in range(20):
        make_mapping(key=f"MORE-{n}", kz=[world["kz"]], cn=[world["cn"]])
    world["cn_limit"].value = Decimal("0.1")
    world["cn_limit"].save()
    with django_assert_max_num_queries(len(few.captured_queries)):
        changes.between(since)


# --- baselines ------------------------------------------------------------------------------


def test_a_baseline_cannot_change(world):
    baseline = baselines.take_baseline(world["round"], world["editor"])
    baseline.reason = "rewritten"
    with pytest.raises(Exception, match="never changed"):
        baseline.save()
    with pytest.raises(Exception, match="never deleted"):
        baseline.delete()
    # Not even past the model: the database refuses the UPDATE.
    with pytest.raises(DatabaseError), transaction.atomic():
        Baseline.objects.filter(pk=baseline.pk).update(reason="rewritten")
    assert Baseline.objects.get(pk=baseline.pk).reason == ""


def test_a_correction_is_a_new_baseline_with_a_reason(world):
    first = baselines.take_baseline(world["round"], world["editor"])
    with pytest.raises(ValidationError):
        baselines.take_baseline(world["round"], world["editor"], reason="  ")
    mapping = world["agreed_later"]
    mapping.status = "agreed"
    mapping.save()
    second = baselines.take_baseline(world["round"], world["editor"], reason="Minutes corrected")
    assert (first.label, second.label) == ("round-3", "round-3.2")
    assert baselines.baseline_for("round-3") == second
    assert baselines.baseline_for("round-3.1") == first
    assert Baseline.objects.count() == 2


def test_the_state_of_a_baseline_is_the_state_then(world):
    baseline = baselines.take_baseline(world["round"], world["editor"])
    script_edits(world)
    then = {m.key: m for m in baselines.mappings_at(baseline.taken_at)}
    assert set(then) == {"KZCN-001", "KZCN-002"}
    assert then["KZCN-001"].status == "negotiation"
    [cn] = then["KZCN-001"].cn_side
    assert cn.text_original == "铅 限量 0.5 mg/kg"
    assert [str(limit.value) for limit in cn.limit_rows] == ["0.500000000000"]
    assert baselines.verify(baseline)


def test_records_written_in_bulk_get_their_history_when_a_baseline_is_taken(world):
    # As the synthetic data is written: bulk inserts, which record no history at all.
    [bulk] = ClauseMapping.objects.bulk_create(
        [
            ClauseMapping(
                key="BULK-1",
                title="Bulk",
                product_group="chilled",
                topic="labelling",
                confidence="low",
            )
        ]
    )
    ClauseMapping.kz_clauses.through.objects.bulk_create(
        [ClauseMapping.kz_clauses.through(clausemapping=bulk, clause=world["kz"])]
    )
    assert not ClauseMapping.history.filter(id=bulk.pk).exists()
    baseline = baselines.take_baseline(world["round"], world["editor"])
    then = {m.key: m for m in baselines.mappings_at(baseline.taken_at)}
    assert [c.pk for c in then["BULK-1"].kz_side] == [world["kz"].pk]
    assert baseline.mapping_count == 3
    assert baselines.verify(baseline)


def test_verify_finds_a_history_altered_after_the_baseline(world):
    baseline = baselines.take_baseline(world["round"], world["editor"])
    history = ClauseMapping.history.model
    history.objects.filter(id=world["agreed_later"].pk).update(title="Rewritten history")
    assert not baselines.verify(baseline)


@pytest.mark.parametrize(
    "value",
    ["round-x", "round-99", "yesterday", "2024-13-01", "round-3.7", "'; DROP TABLE x"],
)
def test_a_moment_that_names_nothing_is_refused_with_a_message(world, value):
    baselines.take_baseline(world["round"], world["editor"])
    with pytest.raises(baselines.BadMoment) as refused:
        baselines.moment(value)
    assert str(refused.value)


def test_a_day_is_its_start_and_until_a_day_its_end():
    start = baselines.moment("2024-02-01")
    end = baselines.moment("2024-02-01", end_of_day=True)
    assert (end.at - start.at).total_seconds() == pytest.approx(86400, abs=0.001)


# --- gap reports as of a baseline -------------------------------------------------------------


def report_of(query):
    from django.http import QueryDict

    from standards.reports.content import build_report
    from standards.reports.selection import selection_from

    form, selection = selection_from(QueryDict(query))
    assert selection is not None, form.errors
    return build_report(selection)


def add_note(mapping, author, text):
    import datetime

    from standards.models import NegotiationNote

    return NegotiationNote.objects.create(
        mapping=mapping,
        author=author,
        side="joint",
        visibility="shared",
        date=datetime.date(2026, 11, 30),
        text=text,
    )


def test_a_report_as_of_a_baseline_is_the_report_made_then(world):
    add_note(world["agreed_later"], world["editor"], "Both sides accept 0.5 mg/kg.")
    made_then = report_of("gaps=0&notes=on&originals=on")
    baselines.take_baseline(world["round"], world["editor"])
    script_edits(world)
    add_note(world["agreed_later"], world["editor"], "Written after the round.")

    as_of = report_of("gaps=0&notes=on&originals=on&as_of=round-3")

    assert as_of["fingerprint"] == made_then["fingerprint"]
    assert [m.key for m, _c in as_of["rows"]] == [m.key for m, _c in made_then["rows"]]
    assert as_of["as_of"] == as_of["baseline"].taken_at
    # Today's report differs: the edits since show in it.
    assert report_of("gaps=0&notes=on&originals=on")["fingerprint"] != made_then["fingerprint"]


def test_a_report_as_of_a_baseline_filters_the_state_then(world):
    baselines.take_baseline(world["round"], world["editor"])
    script_edits(world)  # KZCN-001 is agreed and China stricter only since
    keys = [m.key for m, _c in report_of("gaps=0&status=negotiation&as_of=round-3")["rows"]]
    assert keys == ["KZCN-001"]
    keys = [m.key for m, _c in report_of("gaps=0&status=negotiation")["rows"]]
    assert keys == []
    keys = [
        m.key for m, _c in report_of(f"gaps=0&standard={world['cn_doc'].key}&as_of=round-3")["rows"]
    ]
    assert keys == ["KZCN-001"]


def test_the_pdf_as_of_a_baseline_says_so_on_its_cover(world, negotiator, client):
    import io

    import pdfplumber

    baselines.take_baseline(world["round"], world["editor"])
    script_edits(world)
    client.force_login(negotiator)
    response = client.get("/reports/gap.pdf?gaps=0&as_of=round-3")
    assert response.status_code == 200
    with pdfplumber.open(io.BytesIO(response.content)) as pdf:
        cover = pdf.pages[0].extract_text()
    assert "Round 3 baseline" in cover
    assert "when the round was closed" in cover


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("as_of=round-9", "Round 9 has no baseline yet."),
        ("as_of=round-three", "is not a baseline"),
        ("as_of=round-3&q=lead", "Leave the search empty."),
    ],
)
def test_a_report_as_of_a_missing_baseline_is_refused(world, regulator, client, query, message):
    baselines.take_baseline(world["round"], world["editor"])
    client.force_login(regulator)
    response = client.get(f"/reports/gap/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
