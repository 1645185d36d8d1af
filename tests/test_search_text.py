"""A clause's search text follows every change of what it is made of, by every path."""

import pytest
from django.urls import reverse

from standards import search_text
from standards.models import Clause, Limit
from standards.search import matching_clauses
from tests.factories import make_clause, make_limit, make_parameter, make_standard

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead():
    return make_parameter(key="lead", name_en="Lead (Pb)", name_ru="Свинец", name_zh="铅")


def found(query, clause):
    return matching_clauses(query).filter(pk=clause.pk).exists()


def stored(clause):
    return Clause.objects.get(pk=clause.pk).search_text


def test_a_new_limit_puts_its_parameter_into_the_search_text(lead):
    clause = make_clause(text_en="Heavy metals.")
    assert not found("铅", clause)
    make_limit(clause, lead)
    assert found("铅", clause) and found("lead", clause) and found("свинец", clause)


def test_admin_bulk_delete_of_limits_refreshes_the_search_text(client_for, editor, lead):
    """The fault: "Delete selected" on limits left "lead" and "铅" in the search text."""
    clause = make_clause(text_en="Heavy metals.")
    limit = make_limit(clause, lead)
    assert found("lead", clause)
    response = client_for(editor).post(
        reverse("admin:standards_limit_changelist"),
        {"action": "delete_selected", "_selected_action": [limit.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Limit.objects.exists()
    assert not found("lead", clause)
    assert not found("铅", clause)


def test_queryset_delete_and_single_delete_refresh(lead):
    first, second = make_clause(), make_clause()
    make_limit(first, lead)
    limit = make_limit(second, lead)
    Limit.objects.filter(clause=first).delete()
    limit.delete()
    assert "铅" not in stored(first) and "铅" not in stored(second)


def test_moving_a_limit_refreshes_both_clauses(lead):
    old, new = make_clause(), make_clause()
    limit = make_limit(old, lead)
    limit = Limit.objects.get(pk=limit.pk)
    limit.clause = new
    limit.save()
    assert "铅" not in stored(old)
    assert "铅" in stored(new)


def test_renaming_a_parameter_refreshes_its_clauses(lead):
    clause = make_clause()
    make_limit(clause, lead)
    lead.name_zh = "铅(以Pb计)"
    lead.save()
    assert "铅(以pb计)" in stored(clause)


def test_a_new_standard_code_reaches_its_clauses(lead):
    standard = make_standard(code="GB 2707-2005")
    clause = make_clause(standard)
    standard.code = "GB 2707-2016"
    standard.save()
    assert "gb 2707-2016" in stored(clause) and "2005" not in stored(clause)


def test_batched_refreshes_once_at_the_end(lead):
    clauses = [make_clause() for _ in range(5)]
    with search_text.batched():
        for clause in clauses:
            make_limit(clause, lead)
        # Nothing refreshed yet inside the block.
        assert all("铅" not in stored(clause) for clause in clauses)
    assert all("铅" in stored(clause) for clause in clauses)


def test_refresh_is_a_fixed_number_of_queries(lead, django_assert_num_queries):
    clauses = [make_clause() for _ in range(20)]
    with search_text.batched():
        for clause in clauses:
            make_limit(clause, lead)
    Clause.objects.update(search_text="")
    # The limits with their parameters, the clauses with their standards, one bulk update.
    with django_assert_num_queries(3):
        search_text.refresh([c.pk for c in clauses])
    assert all(stored(c) == Clause.objects.get(pk=c.pk).build_search_text() for c in clauses)


def test_the_clause_builds_its_own_text_with_the_same_rule(lead):
    clause = make_clause(text_en="Lead in meat.", heading="Contaminants")
    make_limit(clause, lead)
    clause = Clause.objects.select_related("standard").get(pk=clause.pk)
    assert clause.build_search_text() == search_text.build(clause, [lead])
    assert stored(clause) == search_text.build(clause, [lead])
