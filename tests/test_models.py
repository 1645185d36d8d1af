import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, transaction

from limits.notation import format_limit, format_number
from standards.models import Limit
from tests.factories import (
    make_clause,
    make_limit,
    make_mapping,
    make_parameter,
    make_standard,
)

pytestmark = pytest.mark.django_db


def assert_violates(constraint_name, create):
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        create()
    # PostgreSQL names every violated constraint; SQLite names CHECK constraints but
    # reports a unique constraint by its columns.
    message = str(excinfo.value)
    unique_on_sqlite = "unique" in constraint_name and "UNIQUE constraint failed" in message
    assert constraint_name in message or unique_on_sqlite, message


def test_standard_code_is_unique():
    make_standard(code="GB 2707-2016")
    assert_violates("standard_code_unique", lambda: make_standard(code="GB 2707-2016"))


def test_standard_status_must_be_a_known_value():
    assert_violates("standard_status_valid", lambda: make_standard(status="valid"))


def test_standard_cannot_take_effect_before_adoption():
    assert_violates(
        "standard_effective_not_before_adopted",
        lambda: make_standard(
            adopted=datetime.date(2024, 2, 8), effective=datetime.date(2024, 1, 1)
        ),
    )


def test_clause_reference_is_unique_within_its_standard_only():
    standard = make_standard()
    make_clause(standard, reference="3.3")
    make_clause(make_standard(), reference="3.3")  # another document may reuse it
    assert_violates(
        "clause_reference_unique_in_standard", lambda: make_clause(standard, reference="3.3")
    )


def test_clause_cannot_be_its_own_parent():
    clause = make_clause()
    clause.parent_id = clause.pk
    assert_violates("clause_not_own_parent", lambda: clause.save())


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"kind": "maximum", "value": None}, "limit_bound_has_one_value"),
        (
            {"kind": "minimum", "value": Decimal(70), "upper_value": Decimal(80)},
            "limit_bound_has_one_value",
        ),
        ({"kind": "range", "value": Decimal(4), "upper_value": Decimal(0)}, "limit_range_ordered"),
        ({"kind": "range", "value": Decimal(0), "upper_value": None}, "limit_range_ordered"),
        ({"kind": "absent", "value": Decimal(0)}, "limit_absent_has_quantity"),
        ({"kind": "prohibited", "value": Decimal(1)}, "limit_without_figures"),
        ({"kind": "no_limit", "value": Decimal(1)}, "limit_without_figures"),
        ({"kind": "sometimes", "value": Decimal(1)}, "limit_kind_valid"),
        ({"plan_n": 0}, "limit_plan_n_positive"),
        ({"plan_n": 5, "plan_c": 6}, "limit_plan_c_within_n"),
        ({"plan_c": 1}, "limit_plan_c_within_n"),
        ({"plan_m": Decimal(1000), "plan_big_m": Decimal(100)}, "limit_plan_m_not_above_big_m"),
    ],
)
def test_limit_constraints(fields, constraint):
    clause, parameter = make_clause(), make_parameter()
    assert_violates(constraint, lambda: make_limit(clause, parameter, **fields))


def test_valid_limits_of_every_kind_are_accepted():
    clause = make_clause()
    make_limit(clause, kind="maximum", value=Decimal("0.2"))
    make_limit(clause, kind="minimum", value=Decimal(70), unit="°C")
    make_limit(clause, kind="range", value=Decimal("-1.5"), upper_value=Decimal(7), unit="°C")
    make_limit(clause, kind="absent", value=Decimal(25), unit="g", plan_n=5, plan_c=0)
    make_limit(clause, kind="prohibited", value=None, unit="")
    make_limit(clause, kind="no_limit", value=None, unit="")
    assert clause.limits.count() == 6


def test_mapping_gap_side():
    kz, cn = make_clause(), make_clause(make_standard(jurisdiction="cn"))
    assert make_mapping(kz=[kz], cn=[cn]).gap_side == ""
    assert make_mapping(kz=[kz]).gap_side == "cn"
    assert make_mapping(cn=[cn]).gap_side == "kz"
    assert make_mapping().gap_side == "both"


def test_str_and_urls():
    standard = make_standard(code="GB 2762-2025", key="gb-2762-2025")
    clause = make_clause(standard, reference="4.1")
    mapping = make_mapping(key="KZCN-001", title="Lead (Pb)", kz=[clause])
    assert str(standard) == "GB 2762-2025"
    assert str(clause) == "GB 2762-2025 4.1"
    assert str(mapping) == "KZCN-001 Lead (Pb)"
    assert standard.get_absolute_url() == "/standards/gb-2762-2025/"
    assert clause.get_absolute_url() == f"/standards/gb-2762-2025/#clause-{clause.pk}"
    assert mapping.get_absolute_url() == "/pairs/KZCN-001/"
    limit = make_limit(clause, value=Decimal("0.200"), qualifier="meat excl. offal")
    assert str(limit) == "≤ 0.2 mg/kg — meat excl. offal"
    assert limit.get_absolute_url() == clause.get_absolute_url()


def _limit(**fields):
    defaults = dict(
        kind="maximum",
        value=None,
        upper_value=None,
        unit="",
        strict=False,
        basis="",
        qualifier="",
        plan_n=None,
        plan_c=None,
        plan_m=None,
        plan_big_m=None,
    )
    return SimpleNamespace(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"value": Decimal("0.0003"), "unit": "mg/kg"}, "≤ 0.0003 mg/kg"),
        ({"value": Decimal(7), "unit": "°C", "strict": True}, "< 7 °C"),
        ({"kind": "minimum", "value": Decimal(70), "unit": "°C"}, "≥ 70 °C"),
        (
            {"kind": "range", "value": Decimal("-1.5"), "upper_value": Decimal(7), "unit": "°C"},
            "-1.5 … 7 °C",
        ),
        (
            {
                "kind": "absent",
                "value": Decimal(25),
                "unit": "g",
                "plan_n": 5,
                "plan_c": 0,
                "plan_m": Decimal(0),
            },
            "not detected in 25 g (n=5, c=0, m=0)",
        ),
        (
            {
                "value": Decimal(10000),
                "unit": "CFU/g",
                "plan_n": 5,
                "plan_c": 2,
                "plan_m": Decimal(10000),
                "plan_big_m": Decimal(100000),
            },
            "≤ 10000 CFU/g (n=5, c=2, m=10000, M=100000)",
        ),
        (
            {"value": Decimal("0.000003"), "unit": "mg/kg", "basis": "fat basis"},
            "≤ 0.000003 mg/kg, fat basis",
        ),
        ({"kind": "prohibited"}, "prohibited"),
        ({"kind": "no_limit"}, "no limit set"),
    ],
)
def test_format_limit(fields, expected):
    assert format_limit(_limit(**fields)) == expected


def test_format_number_keeps_exact_figures():
    assert format_number(Decimal("0.500000000000")) == "0.5"
    assert format_number(Decimal("250.000000000000")) == "250"
    assert format_number(None) == ""
    assert Limit.Kind.ABSENT.label == "Absent in a quantity"
