"""Searching clause texts and references in every language the portal holds.

Each clause carries `search_text`: its document code, reference, heading, English and
original-language texts and the names of the parameters it limits (English, Russian,
Chinese, Kazakh), case-folded, and kept up to date by standards.search_text.

A query that stands for a concept of the glossary (standards.glossary: "свинца",
"қорғасын", "铅", "lead") searches for every form of that concept, so the same concept
finds the same clauses in every language; a mapping's key ("KZCN-001") finds the
clauses the mapping cites.

- PostgreSQL: full-text search with English and Russian stemming ("salmonellae" finds
  "Salmonella", "сальмонелл" finds "сальмонеллы") OR a substring match served by a pg_trgm
  GIN index, which is what finds Chinese words (written without spaces) and partial
  references. The three indexes are in migration 0004_search_indexes; the expressions
  below are written to match them.
- SQLite (the embedded default): substring match on the same case-folded text.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorExact
from django.db import connection
from django.db.models import Q

from standards.glossary import search_forms

MAX_QUERY_LENGTH = 200
_WORD_RE = re.compile(r"\w", re.UNICODE)
FTS_CONFIGS = ("english", "russian")
TRIGRAM_LENGTH = 3


def _cited_by_key(query):
    """The clauses a mapping whose key is `query` cites, on any side, as a condition on
    their ids, or None when no mapping has that key. The ids are looked up first (one
    query): a subquery in the condition would keep PostgreSQL from serving the rest of it
    from the indexes (a scan computing two tsvectors per clause, 2.2 s at 44,000)."""
    from standards.models import ClauseMapping

    if not re.fullmatch(r"[\w.-]+", query):
        return None
    mappings = ClauseMapping.objects.filter(key__iexact=query).values("pk")
    first, *others = (
        getattr(ClauseMapping, side).through.objects.filter(clausemapping__in=mappings)
        for side in ("kz_clauses", "cn_clauses", "reference_clauses")
    )
    ids = first.values_list("clause", flat=True).union(
        *(other.values_list("clause", flat=True) for other in others)
    )
    ids = sorted(ids)
    return Q(pk__in=ids) if ids else None


def normalise_query(query):
    """Trim, collapse white space and bound the length of what a user typed."""
    return " ".join((query or "").replace("\x00", "").split())[:MAX_QUERY_LENGTH]


def matching_clause_ids(query, forms=None):
    """A values("pk") queryset of the clauses matching `query`, or None when the query
    holds nothing to search for."""
    clauses = matching_clauses(query, forms)
    return None if clauses is None else clauses.values("pk")


def matching_clauses(query, forms=None):
    """The clauses matching `query` as a queryset to build on, or None when the query
    holds nothing to search for."""
    from standards.models import Clause

    query = normalise_query(query)
    if not _WORD_RE.search(query):
        return None
    clauses = Clause.objects.all()
    # `forms`: the glossary's forms of the query, where the caller has them already.
    forms = list(forms if forms is not None else search_forms(query))
    cited = _cited_by_key(query)
    if connection.vendor != "postgresql":
        return clauses.filter(_substrings(forms) | (cited or Q()))
    # A form shorter than a trigram ("铅", a form of "lead") cannot use the trigram index:
    # its substring match scans every clause. Everything else is then matched first, in a
    # subquery that stays on the indexes, so that the scan tests only the short forms
    # (one substring test per clause, not one per form: 0.26 s -> 0.06 s at 44,000
    # clauses). Without a short form the search is one condition, one
    # BitmapOr over the three indexes (bench/explain_queries.py).
    short = [form for form in forms if len(form) < TRIGRAM_LENGTH]
    long = [form for form in forms if len(form) >= TRIGRAM_LENGTH]
    indexed = _substrings(long) | (cited or Q())
    for config in FTS_CONFIGS:
        # The match as a condition, not an annotation: an annotated vector is selected
        # too, computed for every matching row (1.6 s for 1,054 rows of "Salmonella").
        indexed |= Q(
            SearchVectorExact(
                SearchVector("search_text", config=config),
                SearchQuery(query, config=config, search_type="websearch"),
            )
        )
    if not short:
        return clauses.filter(indexed)
    return clauses.filter(
        Q(pk__in=Clause.objects.filter(indexed).values("pk")) | _substrings(short)
    )


def _substrings(forms):
    """Clauses whose search text holds any of `forms`."""
    condition = Q()
    for form in forms:
        condition |= Q(search_text__contains=form)
    return condition
