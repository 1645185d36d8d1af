"""A report's identity: the version of its data that keys the cache, and the fingerprint
(SHA-256 over the filters and every included record) that a report carries and that
/reports/verify/ checks."""

import datetime
import hashlib
import json

from django.db.models import Count, Max

from limits.notation import format_number
from standards.models import Clause, ClauseMapping, Limit, NegotiationNote, Parameter, Standard
from standards.translated import translated
from standards.wording import base_language

# Each table with the field its latest change shows in; notes are never edited, so their
# creation time is enough.
VERSIONED_MODELS = (
    (Standard, "updated_at"),
    (Clause, "updated_at"),
    (ClauseMapping, "updated_at"),
    (Limit, "updated_at"),
    (Parameter, "updated_at"),
    (NegotiationNote, "created_at"),
)


def data_version():
    """(digest, as-of time) of the whole data set: every edit changes the latest
    `updated_at` of some table, every deletion a count. One cheap aggregate per table."""
    return _digest(
        (model._meta.label, model.objects.aggregate(n=Count("pk"), last=Max(changed)))
        for model, changed in VERSIONED_MODELS
    )


def version_of(selection):
    """(version, as-of time) of the data a report of `selection` shows: the version of
    today's records of the selection, or its baseline's, which never changes."""
    if selection.baseline is not None:
        baseline = selection.baseline
        return f"baseline:{baseline.pk}:{baseline.digest}", baseline.taken_at
    return selection_version(selection)


# The clause sets of a mapping that a report prints.
CLAUSE_SETS = ("kz_clauses", "cn_clauses", "reference_clauses")


def selection_version(selection):
    """(digest, as-of time) of the records a report of `selection` shows today: its
    mappings, the clauses they cite, those clauses' limits and standards, the mappings'
    notes, and the parameters. Each part is a count and a latest change, one aggregate
    query each: an edit, an addition or a deletion among those records changes the
    digest (a mapping edited into or out of the selection changes the count or the
    latest change), and an edit anywhere else leaves it, so the cached reports of other
    selections stay hits. The as-of time is the latest change among them."""
    mappings = selection.mappings().values("pk")
    # The cited clauses as one UNION of the clause sets: an OR of three IN subqueries
    # made the database read every clause (81 ms against 8 ms at 20,000 mappings).
    first, *others = (
        getattr(ClauseMapping, name).through.objects.filter(clausemapping__in=mappings)
        for name in CLAUSE_SETS
    )
    clauses = first.values("clause").union(*(other.values("clause") for other in others))
    parts = (
        ("mappings", ClauseMapping.objects.filter(pk__in=mappings), "updated_at"),
        ("clauses", Clause.objects.filter(pk__in=clauses), "updated_at"),
        ("limits", Limit.objects.filter(clause__in=clauses), "updated_at"),
        (
            "standards",
            Standard.objects.filter(
                pk__in=Clause.objects.filter(pk__in=clauses).values("standard")
            ),
            "updated_at",
        ),
        ("notes", NegotiationNote.objects.filter(mapping__in=mappings), "created_at"),
        ("parameters", Parameter.objects.all(), "updated_at"),
    )
    return _digest(
        (label, queryset.aggregate(n=Count("pk"), last=Max(changed)))
        for label, queryset, changed in parts
    )


def _digest(rows):
    parts, latest = [], None
    for label, row in rows:
        parts.append(f"{label}:{row['n']}:{row['last'].isoformat() if row['last'] else ''}")
        if row["last"] and (latest is None or row["last"] > latest):
            latest = row["last"]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return digest, latest or datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def cache_key(version, selection, fmt):
    return hashlib.sha256(f"{version}|{fmt}|{selection.query_string()}".encode()).hexdigest()


def _clause_record(clause):
    return {
        "document": clause.standard.code,
        "reference": clause.reference,
        "text_en": clause.text_en,
        "text_original": clause.text_original,
        "language": clause.original_language,
        "confidence": clause.confidence,
        "citation": clause.citation,
        "limits": [
            {
                "parameter": limit.parameter.key,
                "kind": limit.kind,
                "value": format_number(limit.value),
                "upper": format_number(limit.upper_value),
                "unit": limit.unit,
                "strict": limit.strict,
                "basis": limit.basis,
                "qualifier": limit.qualifier,
                "matrix": limit.matrix,
                "evidence": limit.evidence,
                "plan": [
                    limit.plan_n,
                    limit.plan_c,
                    format_number(limit.plan_m),
                    format_number(limit.plan_big_m),
                ],
            }
            for limit in clause.limit_rows
        ],
    }


def _translations(language, mappings, documents):
    """The texts a report in `language` prints instead of the English ones (with their
    status): a changed translation changes the report, and so its fingerprint. English
    reports print none, and their fingerprints stay what they were."""

    def text(obj, field):
        shown = translated(obj, field, language)
        return [shown.text, shown.language, shown.status]

    clauses = {c.pk: c for m in mappings for c in (*m.kz_side, *m.cn_side)}
    return {
        "mappings": {
            m.key: [text(m, f) for f in ("title", "rationale", "proposed_action")] for m in mappings
        },
        "clauses": {
            f"{c.standard.code}|{c.reference}": [text(c, "heading"), text(c, "text")]
            for c in clauses.values()
        },
        "documents": {d.code: text(d, "title") for d in documents},
    }


def fingerprint(selection, mappings, documents):
    """SHA-256 over the filters and every included record, in a canonical JSON form."""
    records = {
        # A report as of a baseline is the report made then: the same fingerprint.
        "selection": selection.query_string(moment=False),
        "mappings": [
            {
                "key": m.key,
                "title": m.title,
                "product_group": m.product_group,
                "topic": m.topic,
                "alignment": m.alignment,
                "status": m.status,
                "rationale": m.rationale,
                "proposed_action": m.proposed_action,
                "responsible_side": m.responsible_side,
                "target_date": m.target_date.isoformat() if m.target_date else "",
                "confidence": m.confidence,
                "evidence": [m.side_evidence("kz"), m.side_evidence("cn")],
                "kz": [_clause_record(c) for c in m.kz_side],
                "cn": [_clause_record(c) for c in m.cn_side],
            }
            for m in mappings
        ],
        # What the annex shows: the official citation, never where a copy was read.
        "documents": [
            [
                d.code,
                d.title_en,
                d.edition,
                d.status,
                d.issuing_body,
                d.adopted.isoformat() if d.adopted else "",
                d.official_publisher,
                d.official_url,
            ]
            for d in documents
        ],
    }
    if selection.notes:
        records["notes"] = {
            m.key: [
                [n.pk, n.date.isoformat(), n.side, n.meeting, n.text, n.corrects_id]
                for n in m.note_list
            ]
            for m in mappings
        }
    if base_language(selection.lang) != "en":
        records["translations"] = _translations(selection.lang, mappings, documents)
    if selection.lang2:  # a two-language report prints the second language's texts too
        records["second_language"] = _translations(selection.lang2, mappings, documents)
    canonical = json.dumps(records, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def fingerprint_for(selection):
    """The fingerprint a report of this selection would carry with today's data."""
    from standards.reports.content import included

    return fingerprint(selection, *included(selection))
