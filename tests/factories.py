"""Small explicit builders; each returns a saved object with sensible defaults."""

from decimal import Decimal
from itertools import count

from standards.models import Clause, ClauseMapping, Limit, Parameter, Standard

_seq = count(1)


def make_parameter(**fields):
    n = next(_seq)
    defaults = {"key": f"param-{n}", "name_en": f"Parameter {n}", "unit": "mg/kg"}
    return Parameter.objects.create(**{**defaults, **fields})


def make_standard(**fields):
    n = next(_seq)
    defaults = {
        "key": f"std-{n}",
        "jurisdiction": Standard.Jurisdiction.KAZAKHSTAN,
        "code": f"TEST {n}/2024",
        "title_en": f"Test standard {n}",
        "kind": Standard.Kind.TECHNICAL_REGULATION,
        "status": Standard.Status.IN_FORCE,
    }
    return Standard.objects.create(**{**defaults, **fields})


def make_clause(standard=None, **fields):
    n = next(_seq)
    defaults = {
        "reference": f"{n}.1",
        "heading": f"Clause {n}",
        "text_en": f"Working text of clause {n}.",
        "topic": "contaminants",
        "confidence": "high",
    }
    return Clause.objects.create(standard=standard or make_standard(), **{**defaults, **fields})


def make_limit(clause=None, parameter=None, **fields):
    """A limit whose figure was read in the legal text, unless `evidence` says otherwise."""
    defaults = {
        "kind": Limit.Kind.MAXIMUM,
        "value": Decimal("0.5"),
        "unit": "mg/kg",
        "evidence": "read",
    }
    return Limit.objects.create(
        clause=clause or make_clause(),
        parameter=parameter or make_parameter(),
        **{**defaults, **fields},
    )


def make_mapping(kz=(), cn=(), **fields):
    """A mapping whose sides were read (an empty side: its absence verified), unless
    `kz_evidence` or `cn_evidence` say otherwise."""
    n = next(_seq)
    defaults = {
        "key": f"TEST-{n:03d}",
        "title": f"Mapping {n}",
        "product_group": ClauseMapping.ProductGroup.CHILLED,
        "topic": "contaminants",
        "confidence": "medium",
        "kz_evidence": "read" if kz else "absence_verified",
        "cn_evidence": "read" if cn else "absence_verified",
    }
    mapping = ClauseMapping.objects.create(**{**defaults, **fields})
    mapping.kz_clauses.set(kz)
    mapping.cn_clauses.set(cn)
    return mapping
