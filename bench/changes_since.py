#!/usr/bin/env python
"""Benchmark: "what changed since round N" against diffing two full exports.

On a throwaway database (compare_vs_admin.reference_database: a temporary SQLite file,
or a separate PostgreSQL database when DATABASE_URL is set) it generates 20,000
synthetic mappings, gives them a history of 100,000+ rows (earlier versions of each
mapping, clause and limit, dated before the round), closes a round (a baseline), then
edits through the ORM, as editors do: 1 % of the mappings change status, 1 % of the
limits change value, 0.5 % of the clause texts change. In the same run it times:

  (a) standards.changes.between(since=round-1): the portal's answer, from the history;
  (b) the peer: the same answer by diffing two full exports: every mapping (with its
      clause sets), clause text and limit exported now and compared with the export
      taken when the round was closed (that export is made before the edits, untimed).

Both must find the same changed mappings, or the run stops. Prints the medians, the
ratio (a)/(b) (goal ≤ 0.2) and the number of queries of (a), which does not grow with
the number of mappings (compare --mappings 2000 with the default). It also times what
the choice of history over copies costs: taking the baseline (backfill and digest) and
reading the state of all mappings at the baseline against reading today's
(ClauseMapping.for_list()).

    DEBUG=False SECRET_KEY=bench-only DJANGO_SETTINGS_MODULE=portal.settings \\
        .venv/bin/python bench/changes_since.py [--mappings 20000] [--rounds 3]
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare_vs_admin import reference_database

GOAL = 0.2


def timed(call):
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def build_history(mappings_n, seed):
    """Synthetic data with earlier versions of its records dated before the round."""
    from django.utils import timezone

    from standards import synthetic
    from standards.models import Clause, ClauseMapping, Limit

    print(synthetic.generate(mappings_n, seed).line(seed))
    rng = random.Random(seed)
    start = timezone.now() - timedelta(days=90)
    statuses = ["not_started", "technical_review", "negotiation"]
    rows = 0
    # Three earlier versions of each mapping, one of each clause and limit.
    for model, versions in ((ClauseMapping, 3), (Clause, 1), (Limit, 1)):
        objects = list(model.objects.all())
        actual = [getattr(obj, "status", None) for obj in objects]
        for version in range(versions):
            last = version == versions - 1
            for obj, status in zip(objects, actual, strict=True):
                obj._history_date = start + timedelta(days=version, seconds=rng.random())
                if model is ClauseMapping:  # earlier statuses, then the one it has
                    obj.status = status if last else statuses[version]
            model.history.bulk_history_create(objects, batch_size=2000)
            rows += len(objects)
        if model is ClauseMapping:  # the clause sets of each version
            from standards.baselines import _backfill_clause_sets

            for chunk in range(0, len(objects), 5000):
                _backfill_clause_sets(objects[chunk : chunk + 5000])
    print(f"History: {rows:,} rows before the round")
    return rows


def edit_after_round(seed):
    """Saves through the ORM, as editors make them: each with its history row."""
    from standards.models import Clause, ClauseMapping, Limit

    rng = random.Random(seed + 1)
    mappings = list(ClauseMapping.objects.order_by("pk"))
    for mapping in rng.sample(mappings, len(mappings) // 100):
        mapping.status = "agreed"
        mapping._change_reason = "Agreed at the round"
        mapping.save()
    limits = list(Limit.objects.exclude(value=None).order_by("pk"))
    for limit in rng.sample(limits, len(limits) // 100):
        limit.value = limit.value / 2
        limit.save()
    clauses = list(Clause.objects.order_by("pk"))
    for clause in rng.sample(clauses, len(clauses) // 200):
        clause.text_en = clause.text_en + " (amended)"
        clause.save()


def export():
    """The peer's full export: every mapping with its clause sets, every clause text,
    every limit."""
    from standards.changes import LIMIT_FIELDS, MAPPING_FIELDS, TEXT_FIELDS
    from standards.models import ClauseMapping, Limit

    mappings, clauses, limits = {}, {}, {}
    for m in ClauseMapping.objects.for_list().iterator(chunk_size=2000):
        sides = tuple(tuple(sorted(c.pk for c in side)) for side in (m.kz_side, m.cn_side))
        mappings[m.key] = (m.status, m.alignment, *(getattr(m, f) for f in MAPPING_FIELDS), sides)
        for clause in (*m.kz_side, *m.cn_side, *m.reference_side):
            clauses[clause.pk] = tuple(getattr(clause, f) for f in TEXT_FIELDS)
            clauses.setdefault(("cited", clause.pk), set()).add(m.key)
    for limit in Limit.objects.values("id", "clause_id", *LIMIT_FIELDS).iterator(chunk_size=5000):
        limits[limit["id"]] = limit
    return mappings, clauses, limits


def diff(before, after):
    """The keys of the mappings that changed, or whose clauses' texts or limits did."""
    (m0, c0, l0), (m1, c1, l1) = before, after
    changed = {k for k in m0.keys() | m1.keys() if m0.get(k) != m1.get(k)}
    touched = {pk for pk, texts in c1.items() if not isinstance(pk, tuple) and c0.get(pk) != texts}
    touched |= {row["clause_id"] for pk, row in l1.items() if l0.get(pk) != row}
    touched |= {row["clause_id"] for pk, row in l0.items() if pk not in l1}
    for pk in touched:
        changed |= c1.get(("cited", pk), set()) | c0.get(("cited", pk), set())
    return changed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mappings", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir, reference_database(tmpdir):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from standards import baselines, changes
        from standards.models import ClauseMapping, Round

        history_rows = build_history(args.mappings, args.seed)
        round_ = Round.objects.create(number=99, title="Benchmark round", source="benchmark")
        seconds, baseline = timed(lambda: baselines.take_baseline(round_))
        print(f"Taking the baseline (backfill, digest of the state): {seconds:.2f} s")
        stored_export = export()  # the peer's export when the round was closed
        edit_after_round(args.seed)
        total = sum(model.history.count() for model in baselines.TRACKED)
        print(f"History: {total:,} rows in all ({history_rows:,} before the round)")

        since = baselines.moment(baseline.label)
        ours, peers = [], []
        for _round in range(args.rounds):
            seconds, found = timed(lambda: changes.between(since))
            ours.append(seconds)
            seconds, peer = timed(lambda: diff(stored_export, export()))
            peers.append(seconds)
        keys = {m.key for m in found.mappings}
        if keys != peer:
            sys.exit(f"The answers differ: {len(keys)} mappings against {len(peer)}.")
        with CaptureQueriesContext(connection) as whole:
            changes.between(since)
        a, b = statistics.median(ours), statistics.median(peers)
        print(f"Changed mappings found: {len(keys):,} of {args.mappings:,}")
        print(f"(a) changes.between since {baseline.label}: {a:.3f} s (median of {args.rounds})")
        print(f"(b) diff of two full exports:           {b:.3f} s")
        print(
            f"Ratio (a)/(b): {a / b:.3f}x (goal ≤ {GOAL}x) {'met' if a / b <= GOAL else 'NOT met'}"
        )
        print(f"Queries of (a): {len(whole.captured_queries)}, whatever the number of mappings")
        seconds_then, then = timed(lambda: baselines.mappings_at(baseline.taken_at))
        seconds_now, _now = timed(lambda: list(ClauseMapping.objects.for_list()))
        print(
            f"All {len(then):,} mappings as of the baseline: {seconds_then:.2f} s; today's "
            f"(for_list): {seconds_now:.2f} s; ratio {seconds_then / seconds_now:.2f}x"
        )


if __name__ == "__main__":
    main()
