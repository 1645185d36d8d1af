"""The glossary (standards/glossary.py) and search in every language: a concept's forms
in English, Russian, Kazakh and Chinese, inflected or abbreviated, find what a reader
means, and the same concept finds the same clauses and mappings in every language."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from standards.glossary import concepts_for, search_forms
from standards.models import ClauseMapping, GlossaryTerm, Parameter
from standards.search import matching_clauses
from standards.wording import parameter_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def reference(reference_data):
    """The reference dataset (tests/conftest.py)."""


def clause_ids(query):
    return set(matching_clauses(query).values_list("pk", flat=True))


def mapping_keys(query):
    return set(ClauseMapping.objects.matching(q=query).values_list("key", flat=True))


@pytest.mark.parametrize(
    "query", ["сальмонелла", "Сальмонелла", "свинца", "листерии", "қорғасын", "KZCN-001"]
)
def test_each_query_of_a_reader_finds_clauses_and_mappings(reference, query):
    assert clause_ids(query), query
    assert mapping_keys(query), query


def test_the_same_concept_finds_the_same_in_every_language(reference):
    salmonella = [
        "Salmonella",
        "сальмонелл",
        "сальмонелла",
        "Сальмонеллы",
        "沙门氏菌",
        "сальмонеллалар",
    ]
    found = {query: (clause_ids(query), mapping_keys(query)) for query in salmonella}
    assert len({frozenset(clauses) for clauses, _keys in found.values()}) == 1, found
    assert len({frozenset(keys) for _clauses, keys in found.values()}) == 1, found
    lead = ["lead", "свинец", "свинца", "қорғасын", "铅", "Pb"]
    assert len({frozenset(clause_ids(query)) for query in lead}) == 1


def test_a_mapping_key_finds_the_clauses_it_cites(reference):
    mapping = ClauseMapping.objects.get(key="KZCN-001")
    cited = {c.pk for c in (*mapping.kz_clauses.all(), *mapping.cn_clauses.all())}
    assert cited <= clause_ids("kzcn-001")


def test_the_search_page_finds_a_russian_inflected_form(client_for, regulator, reference):
    page = client_for(regulator).get(reverse("standards:search"), {"q": "свинца"}).text
    assert "GB 2762" in page


def test_short_forms_count_only_as_the_whole_query(db):
    GlossaryTerm.objects.create(key="lead", category="parameter", term_en="Lead", variants="Pb")
    assert [t.key for t in concepts_for("pb")] == ["lead"]
    assert "pb" not in search_forms("lead")  # two letters would match inside other words
    assert concepts_for("le") == []


def test_editors_maintain_the_glossary_and_search_follows(client_for, editor, db):
    from standards.models import Clause
    from tests.factories import make_clause

    make_clause(text_en="Mutton from sheep.")
    assert not Clause.objects.filter(pk__in=matching_clauses("баранина").values("pk")).exists()
    response = client_for(editor).post(
        reverse("admin:standards_glossaryterm_add"),
        {"key": "mutton", "category": "domain", "term_en": "Mutton", "term_ru": "Баранина"},
    )
    assert response.status_code == 302
    assert clause_ids("баранина")


def test_the_loader_keeps_the_glossary_and_the_kazakh_parameter_names(reference):
    assert GlossaryTerm.objects.count() > 100
    lead = GlossaryTerm.objects.get(key="lead")
    assert (lead.term_ru, lead.term_zh) == ("Свинец", "铅")
    assert Parameter.objects.get(key="lead").name_kk.startswith("Қорғасын")
    assert parameter_name(Parameter.objects.get(key="lead"), "kk") == lead.term_kk
    assert Parameter.objects.filter(name_kk="").count() == 0


def test_a_query_that_is_no_mapping_key_adds_no_mapping_subquery(reference):
    """Only a key some mapping has adds a condition (on the ids it cites, looked up
    first): a subquery in the condition kept PostgreSQL off the search indexes."""
    assert "clausemapping" not in str(matching_clauses("Salmonella").query)
    mapping = ClauseMapping.objects.get(key="KZCN-001")
    condition = str(matching_clauses("KZCN-001").query)
    assert "clausemapping" not in condition
    assert str(mapping.kz_clauses.first().pk) in condition


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the full-text matches exist on PostgreSQL only"
)
def test_a_glossary_form_shorter_than_a_trigram_keeps_full_text_on_its_index(reference):
    """ "lead" has the form 铅, which no trigram index serves, so its substring test scans
    every clause: everything else (the other forms, the full-text matches) is matched in
    one subquery on the indexes, and the scan tests 铅 alone, not every form."""
    assert "铅" in search_forms("lead") and len(search_forms("lead")) > 2
    sql = str(matching_clauses("lead").query)
    assert sql.count("IN (SELECT") == 1
    start = end = sql.index("IN (SELECT") + len("IN ")
    depth = 1
    while depth:
        end += 1
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
    subquery, outside = sql[start : end + 1], sql[:start] + sql[end + 1 :]
    assert re.findall(r"LIKE %(.*?)%", outside) == ["铅"]
    assert "to_tsvector" in subquery and "%свинца%" in subquery
    assert str(matching_clauses("Salmonella").query).count("IN (SELECT") == 0
