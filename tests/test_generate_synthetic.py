"""The synthetic data generator: counts, determinism, idempotency, spread, search text."""

import hashlib
import io
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import transaction

from limits.notation import format_number
from standards import synthetic
from standards.models import (
    Clause,
    ClauseMapping,
    Limit,
    Parameter,
    Standard,
    Topic,
)
from tests.factories import make_clause, make_mapping, make_standard

pytestmark = pytest.mark.django_db


def generate(mappings, seed=7):
    out = io.StringIO()
    call_command("generate_synthetic", "--mappings", str(mappings), "--seed", str(seed), stdout=out)
    return out.getvalue()


def synthetic_mappings():
    return ClauseMapping.objects.filter(key__startswith="SYN-").order_by("key")


def synthetic_clauses():
    return Clause.objects.filter(standard__key__startswith="syn-")


def digest():
    """Everything generated except primary keys and timestamps, hashed."""
    sha = hashlib.sha256()
    mappings = synthetic_mappings().prefetch_related(
        "kz_clauses__standard",
        "kz_clauses__limits__parameter",
        "cn_clauses__standard",
        "cn_clauses__limits__parameter",
    )
    for mapping in mappings:
        fields = ("key", "title", "product_group", "topic", "alignment", "status", "rationale")
        fields += ("proposed_action", "responsible_side", "target_date", "confidence")
        sha.update(repr([getattr(mapping, field) for field in fields]).encode())
        for side in (mapping.kz_clauses, mapping.cn_clauses):
            for clause in sorted(side.all(), key=lambda c: (c.standard.code, c.reference)):
                standard = clause.standard
                sha.update(
                    repr(
                        (
                            standard.key,
                            standard.code,
                            standard.kind,
                            standard.status,
                            standard.effective,
                            clause.reference,
                            clause.text_original,
                            clause.original_language,
                            clause.text_en,
                            clause.species,
                            clause.search_text,
                            [
                                (
                                    limit.parameter.key,
                                    limit.kind,
                                    format_number(limit.value),
                                    format_number(limit.upper_value),
                                    limit.unit,
                                    limit.plan_n,
                                    limit.plan_c,
                                )
                                for limit in clause.limits.all()
                            ],
                        )
                    ).encode()
                )
    return sha.hexdigest()


def digest_in_fresh_database(mappings, seed):
    """Generate, digest and roll back, so each call starts from an empty database."""
    with transaction.atomic():
        generate(mappings, seed)
        result = digest()
        transaction.set_rollback(True)
    assert not ClauseMapping.objects.exists()
    assert not Parameter.objects.exists()
    return result


def test_creates_the_mappings_and_what_they_cite():
    output = generate(50)

    assert synthetic_mappings().count() == 50
    keys = list(synthetic_mappings().values_list("key", flat=True))
    assert keys == [f"SYN-{n:06d}" for n in range(1, 51)]
    standards = Standard.objects.filter(key__startswith="syn-")
    assert set(standards.values_list("jurisdiction", flat=True)) == {"kz", "cn"}
    patterns = {"kz": r"SYN-KZ \d{4}/20\d\d", "cn": r"SYN-GB \d{4}-20\d\d"}
    for standard in standards:
        assert re.fullmatch(patterns[standard.jurisdiction], standard.code)
    clauses = synthetic_clauses()
    # Every synthetic clause is cited, on the side of its own jurisdiction.
    for clause in clauses.prefetch_related("kz_mappings", "cn_mappings"):
        cited_by = clause.kz_mappings.all() if clause.standard.jurisdiction == "kz" else []
        cited_by = cited_by or clause.cn_mappings.all()
        assert cited_by, clause
    assert not ClauseMapping.kz_clauses.through.objects.exclude(
        clause__standard__jurisdiction="kz"
    ).exists()
    assert not ClauseMapping.cn_clauses.through.objects.exclude(
        clause__standard__jurisdiction="cn"
    ).exists()
    limits = Limit.objects.filter(clause__in=clauses)
    assert limits.exists()
    assert set(limits.values_list("parameter__key", flat=True)) <= set(synthetic.PARAMETERS)
    assert set(Parameter.objects.values_list("key", flat=True)) == set(synthetic.PARAMETERS)
    # The summary line gives the counts.
    assert "50 mappings" in output
    assert f"{standards.count()} standards" in output
    assert f"{clauses.count():,} clauses" in output
    assert f"{limits.count():,} limits" in output


def test_uses_existing_parameters_as_they_are():
    lead = Parameter.objects.create(key="lead", name_en="Lead", name_ru="Свинец", unit="mg/kg")
    generate(30)
    lead.refresh_from_db()
    assert (lead.name_en, lead.name_zh) == ("Lead", "")
    assert Parameter.objects.filter(key="lead").count() == 1


def test_same_seed_gives_the_same_data_in_fresh_databases():
    first = digest_in_fresh_database(150, seed=11)
    second = digest_in_fresh_database(150, seed=11)
    other_seed = digest_in_fresh_database(150, seed=12)

    assert first == second
    assert other_seed != first


def test_rerun_replaces_only_synthetic_data():
    real_standard = make_standard(key="real-std", code="REAL 1/2024")
    real_clause = make_clause(real_standard, reference="1.1")
    real_mapping = make_mapping(kz=[real_clause], key="KZCN-900")
    generate(120, seed=3)
    before = digest()
    counts = (synthetic_mappings().count(), synthetic_clauses().count(), Limit.objects.count())
    # A real mapping that also cites a synthetic clause.
    real_mapping.cn_clauses.add(synthetic_clauses().filter(standard__jurisdiction="cn").first())

    output = generate(120, seed=3)

    assert "replaced 120 earlier synthetic mappings" in output
    assert digest() == before
    assert (synthetic_mappings().count(), synthetic_clauses().count(), Limit.objects.count()) == (
        counts
    )
    real_mapping.refresh_from_db()
    assert list(real_mapping.kz_clauses.all()) == [real_clause]
    assert not real_mapping.cn_clauses.exists()  # the synthetic citation went with its clause
    assert Standard.objects.filter(key="real-std").exists()

    generate(30, seed=3)
    assert synthetic_mappings().count() == 30

    call_command("generate_synthetic", "--clear", stdout=io.StringIO())
    assert not synthetic_mappings().exists()
    assert not Standard.objects.filter(key__startswith="syn-").exists()
    assert ClauseMapping.objects.filter(key="KZCN-900").exists()
    assert Clause.objects.filter(pk=real_clause.pk).exists()
    assert Parameter.objects.filter(key="lead").exists()  # shared reference data stays


def test_clear_falls_back_to_the_cascading_delete_for_a_relation_it_does_not_know(monkeypatch):
    generate(20)
    monkeypatch.setattr(synthetic, "_pointing_models", lambda model: {object})

    output = generate(10)

    assert "replaced 20 earlier synthetic mappings" in output
    assert synthetic_mappings().count() == 10
    assert not Limit.objects.exclude(clause__in=synthetic_clauses()).exists()


def test_spreads_over_groups_topics_statuses_and_alignments():
    generate(200, seed=5)
    mappings = list(synthetic_mappings().prefetch_related("kz_clauses", "cn_clauses"))

    assert {m.status for m in mappings} == set(ClauseMapping.Status.values)
    assert {m.alignment for m in mappings} == set(ClauseMapping.Alignment.values)
    assert {m.topic for m in mappings} == set(Topic.values)
    assert {m.product_group for m in mappings} == set(ClauseMapping.ProductGroup.values)
    gaps = [m for m in mappings if m.gap_side]
    assert 0.08 <= len(gaps) / len(mappings) <= 0.25
    for mapping in mappings:
        kz, cn = len(mapping.kz_clauses.all()), len(mapping.cn_clauses.all())
        if mapping.alignment == "kz_only":
            assert (mapping.gap_side, cn) == ("cn", 0) and 1 <= kz <= 2
        elif mapping.alignment == "cn_only":
            assert (mapping.gap_side, kz) == ("kz", 0) and 1 <= cn <= 2
        else:
            assert 1 <= kz <= 2 and 1 <= cn <= 2, mapping
    clauses = synthetic_clauses()
    languages = set(clauses.values_list("standard__jurisdiction", "original_language"))
    assert languages == {("kz", "ru"), ("kz", "kk"), ("cn", "zh")}
    assert set(Standard.objects.filter(key__startswith="syn-").values_list("status", flat=True))
    kinds = set(Limit.objects.values_list("kind", flat=True))
    assert {"maximum", "minimum", "range", "absent"} <= kinds


def test_every_clause_has_its_search_text():
    generate(100, seed=9)
    clauses = synthetic_clauses().select_related("standard")

    assert clauses.exists()
    for clause in clauses:
        assert clause.search_text
        assert clause.text_original.casefold() in clause.search_text
        assert clause.text_en.casefold() in clause.search_text
        assert clause.standard.code.casefold() in clause.search_text
        # Exactly what saving the clause with its limits would have computed.
        assert clause.search_text == clause.build_search_text()


def test_chinese_and_russian_texts_are_searchable():
    generate(100, seed=9)
    lead = synthetic_clauses().filter(limits__parameter__key="lead").distinct()
    assert lead.exists()
    for clause in lead:
        assert "铅" in clause.search_text
        assert "свинец" in clause.search_text  # the Russian parameter name, case-folded
    cn = synthetic_clauses().filter(standard__jurisdiction="cn")
    assert all(clause.text_original.casefold() in clause.search_text for clause in cn)


@pytest.mark.parametrize("mappings", ["0", "-5", "200001"])
def test_refuses_a_bad_number_of_mappings(mappings):
    with pytest.raises(CommandError, match="between 1 and 200,000"):
        call_command("generate_synthetic", "--mappings", mappings, stdout=io.StringIO())
    assert not ClauseMapping.objects.exists()
    assert not Standard.objects.exists()


def test_needs_a_number_of_mappings_or_clear():
    with pytest.raises(CommandError):
        call_command("generate_synthetic", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("value", "language", "written"),
    [
        ("0.5", "ru", "0,5"),
        ("0.5", "zh", "0.5"),
        ("100000", "en", "1×10⁵"),
        ("1000000", "kk", "1×10⁶"),
        ("-1.5", "ru", "-1,5"),
        ("160", "zh", "160"),
        ("25000", "en", "25000"),
    ],
)
def test_figures_are_written_as_the_language_writes_them(value, language, written):
    assert synthetic.figure(value, language) == written


def test_the_vocabulary_is_data_and_the_generator_code():
    root = Path(__file__).resolve().parents[1]
    assert root / "standards/data/synthetic/vocabulary.yaml" == synthetic.VOCABULARY_FILE
    assert synthetic.load_vocabulary() == synthetic.VOCABULARY
    assert synthetic.ITEMS is synthetic.VOCABULARY.items
    assert set(synthetic.ITEMS) == set(Topic)
    code = (root / "standards/synthetic.py").read_text(encoding="utf-8")
    data = synthetic.VOCABULARY_FILE.read_text(encoding="utf-8")
    for phrase in ("Свинец", "冷鲜牛肉", "Eurasian Economic Commission", "GOST 31904-2012"):
        assert phrase not in code
        assert phrase in data


def _first_item(vocabulary):
    return vocabulary["items"]["contaminants"][0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda v: _first_item(v).update(levels=[0.5, "0.3"]), "as quoted strings"),
        (lambda v: _first_item(v)["texts"].pop("kk"), "a text for each of en, ru, kk, zh"),
        (lambda v: v["subjects"][0].pop("zh"), r"subjects\[0\]: expected a text"),
        (
            lambda v: _first_item(v)["limits"][0].update(parameter="mercury"),
            "unknown parameter 'mercury'",
        ),
    ],
)
def test_a_malformed_vocabulary_is_refused_by_name(tmp_path, change, message):
    vocabulary = yaml.safe_load(synthetic.VOCABULARY_FILE.read_text(encoding="utf-8"))
    change(vocabulary)
    path = tmp_path / "vocabulary.yaml"
    path.write_text(yaml.safe_dump(vocabulary, allow_unicode=True), encoding="utf-8")
    with pytest.raises(synthetic.SyntheticDataError, match=message):
        synthetic.load_vocabulary(path)
