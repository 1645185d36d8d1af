#!/usr/bin/env python
"""Benchmark: the comparison page against the Django admin changelist, 1,000 rows each.

Sets up a throwaway database (a temporary SQLite file, or, when DATABASE_URL is set, a
separate PostgreSQL database created and dropped by Django's test-database machinery),
generates 1,000 synthetic mappings, logs an editor in with django.test.Client and, in the
same run, times for several rounds:

  (a) GET /compare/?per_page=1000  (standards:compare, all 1,000 mappings on one page)
  (b) GET /admin/standards/clausemapping/  (ClauseMappingAdmin, list_per_page raised
      to 1,000 at runtime)

Prints per-round times, medians, query counts and the ratio comparison/admin, and writes
the figures to bench/results/compare_vs_admin.json. See bench/README.md.

Run with `make bench`, or:
    DEBUG=False SECRET_KEY=bench-only DJANGO_SETTINGS_MODULE=portal.settings \\
        .venv/bin/python bench/compare_vs_admin.py [--rounds 7]
"""

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results" / "compare_vs_admin.json"
MAPPINGS = 1000
GOAL = 1.0  # comparison page at most as slow as the admin changelist
KEY = re.compile(r"SYN-\d{6}")


class BenchError(Exception):
    """The benchmark cannot run; the message says why."""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (default 7)")
    parser.add_argument("--seed", type=int, default=1, help="synthetic data seed (default 1)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def configure_environment(tmpdir):
    """Point the settings at a throwaway database before Django reads them."""
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if not os.environ.get("DATABASE_URL", "").strip():
        os.environ["SQLITE_PATH"] = str(Path(tmpdir) / "bench.sqlite3")
    # django.test.Client sends Host: testserver. Adding it here rather than calling
    # setup_test_environment() keeps template rendering uninstrumented (that would copy
    # the context of every included template into the response and skew the timings).
    hosts = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    os.environ["ALLOWED_HOSTS"] = ",".join([*hosts, "testserver"])


def setup_database():
    """Migrate the throwaway database; returns a function that removes it."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite":
        call_command("migrate", verbosity=0, interactive=False)
        return lambda: connection.close()
    # PostgreSQL: never touch the configured database; work in a fresh one of our own.
    original = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})
    connection.settings_dict["TEST"]["NAME"] = f"bench_{original}_{os.getpid()}"[:63]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return lambda: connection.creation.destroy_test_db(original, verbosity=0)


@contextlib.contextmanager
def reference_database(tmpdir):
    """Django set up on a throwaway database holding the reference dataset; the
    database is removed when the block ends."""
    configure_environment(tmpdir)
    import django

    django.setup()
    from django.core.management import call_command

    teardown = setup_database()
    try:
        call_command("load_reference_data", verbosity=0)
        yield
    finally:
        teardown()


def prepare(seed):
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.test import Client

    from standards import synthetic
    from standards.models import ClauseMapping
    from standards.roles import EDITOR
    from standards.services import assign_role

    summary = synthetic.generate(MAPPINGS, seed)
    print(summary.line(seed))
    user = get_user_model().objects.create_user("bench-editor")
    assign_role(user, EDITOR)
    client = Client()
    client.force_login(user)
    admin.site._registry[ClauseMapping].list_per_page = MAPPINGS
    return client, summary


def compare_url():
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("standards:compare") + f"?per_page={MAPPINGS}"
    except NoReverseMatch:
        raise BenchError(
            "The comparison page does not exist yet: no URL named 'standards:compare'. "
            "The benchmark needs /compare/ accepting per_page up to 1000."
        ) from None


def fetch(client, label, url):
    """One GET; returns (seconds, html). Checks status and that 1,000 mappings are listed."""
    started = time.perf_counter()
    try:
        response = client.get(url)
    except Exception as exc:
        raise BenchError(f"{label} ({url}) raised {type(exc).__name__}: {exc}") from None
    seconds = time.perf_counter() - started
    if response.status_code != HTTPStatus.OK:
        hint = ""
        if response.status_code == HTTPStatus.NOT_FOUND:
            hint = " (does the page exist yet?)"
        elif response.status_code == HTTPStatus.BAD_REQUEST:
            hint = f" (does it accept per_page={MAPPINGS}?)"
        raise BenchError(f"{label} ({url}) returned HTTP {response.status_code}{hint}.")
    html = response.content.decode(response.charset or "utf-8")
    keys = set(KEY.findall(html))
    expected = {f"SYN-{n:06d}" for n in range(1, MAPPINGS + 1)}
    if keys != expected:
        raise BenchError(
            f"{label} ({url}) lists {len(keys & expected)} of the {MAPPINGS} mappings "
            f"(and {len(keys - expected)} others); expected all {MAPPINGS} on one page."
        )
    return seconds, html


def count_queries(client, label, url):
    """A warm-up request under CaptureQueriesContext: (queries, SQL seconds, bytes).

    Kept out of the timed rounds: capturing switches on the debug cursor, whose
    bookkeeping (on SQLite a quoting query per statement) would inflate the timings.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _seconds, html = fetch(client, label, url)
    sql_seconds = sum(float(query["time"]) for query in captured.captured_queries)
    return len(captured), sql_seconds, len(html.encode())


def run(args):
    import django
    from django.db import connection

    pages = {
        "comparison": compare_url(),
        "admin": "/admin/standards/clausemapping/",
    }
    client, summary = prepare(args.seed)
    labels = {"comparison": "comparison page", "admin": "admin changelist"}
    info = {name: count_queries(client, labels[name], url) for name, url in pages.items()}
    times = {name: [] for name in pages}
    for round_number in range(1, args.rounds + 1):
        # Alternate the order so that neither page always runs on a warmer cache.
        order = list(pages) if round_number % 2 else list(reversed(pages))
        for name in order:
            seconds, _html = fetch(client, labels[name], pages[name])
            times[name].append(seconds)
        print(
            f"round {round_number}: comparison {times['comparison'][-1]:.3f} s, "
            f"admin {times['admin'][-1]:.3f} s"
        )
    medians = {name: statistics.median(values) for name, values in times.items()}
    ratio = medians["comparison"] / medians["admin"]
    for name in pages:
        queries, sql_seconds, size = info[name]
        print(
            f"{labels[name]}: median {medians[name]:.3f} s, min {min(times[name]):.3f} s, "
            f"{queries} queries ({sql_seconds:.3f} s SQL in the warm-up), {size:,} bytes"
        )
    verdict = "met" if ratio <= GOAL else "NOT met"
    print(
        f"comparison page {medians['comparison']:.2f} s, admin changelist "
        f"{medians['admin']:.2f} s, ratio {ratio:.2f}x (goal <= {GOAL:.1f}x: {verdict})"
    )
    results = {
        "benchmark": "compare_vs_admin",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "python": platform.python_version(),
        "django": django.get_version(),
        "mappings": MAPPINGS,
        "seed": args.seed,
        "rounds": args.rounds,
        "generate_seconds": round(summary.seconds, 3),
        "pages": {
            name: {
                "url": pages[name],
                "seconds": [round(value, 4) for value in times[name]],
                "median_seconds": round(medians[name], 4),
                "min_seconds": round(min(times[name]), 4),
                "queries": info[name][0],
                "warmup_sql_seconds": round(info[name][1], 4),
                "bytes": info[name][2],
            }
            for name in pages
        },
        "ratio": round(ratio, 3),
        "goal_ratio": GOAL,
        "goal_met": ratio <= GOAL,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"Results written to {args.output}")


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmpdir:
        configure_environment(tmpdir)
        import django

        django.setup()
        teardown = setup_database()
        try:
            run(args)
        except BenchError as exc:
            print(f"Benchmark failed: {exc}", file=sys.stderr)
            return 1
        finally:
            teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
