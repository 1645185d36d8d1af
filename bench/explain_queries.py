#!/usr/bin/env python
"""Query review on PostgreSQL: the SQL behind the comparison page, the dashboard and the
search, captured at scale and run again under EXPLAIN (ANALYZE, BUFFERS).

Needs DATABASE_URL pointing at a PostgreSQL database that already holds the data to
review (e.g. the reference data plus `generate_synthetic --mappings 20000`). Requests each
page once to warm up, then once with the queries captured; prints, per page, each query's
time in the plan and the plan of the slowest ones, and flags sequential scans of the big
tables. Read-only: nothing is written.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_load DEBUG=False \\
        SECRET_KEY=bench-only .venv/bin/python bench/explain_queries.py [--top 3]
"""

import argparse
import os
import re
import sys
from http import HTTPStatus
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

PAGES = [
    ("dashboard", "/"),
    ("compare, first page", "/compare/"),
    ("compare, product + topic", "/compare/?product=chilled&topic=microbiology"),
    ("compare, status, sorted", "/compare/?status=negotiation&sort=-updated"),
    ("compare, 100 a page, page 50", "/compare/?per_page=100&page=50"),
    ("search, Latin", "/search/?q=Salmonella"),
    ("search, Cyrillic", "/search/?q=%D1%81%D0%B2%D0%B8%D0%BD%D0%B5%D1%86"),
    ("search, Chinese", "/search/?q=%E6%B2%99%E9%97%A8%E6%B0%8F%E8%8F%8C"),
    ("search, one Chinese character", "/search/?q=%E9%93%85"),
    ("compare, search q", "/compare/?q=lead"),
]
BIG_TABLES = re.compile(
    r"Seq Scan on (standards_clausemapping|standards_clause|standards_limit|"
    r"standards_clausemapping_\w+_clauses)\b(?! \w+ \(cost=[^)]*rows=[0-9]{1,2} )"
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=2, help="plans shown per page")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to the PostgreSQL database to review.")
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from standards.models import ClauseMapping

    settings.ALLOWED_HOSTS = ["testserver"]
    # Pages render without `collectstatic`: the plain storage, not the manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    user = get_user_model().objects.filter(is_superuser=True).first() or (
        get_user_model().objects.filter(groups__name="Regulator").first()
    )
    if user is None:
        sys.exit("No superuser or regulator in this database to browse as.")
    print(f"{ClauseMapping.objects.count():,} mappings; browsing as {user.username}")
    client = Client()
    client.force_login(user)
    pair = ClauseMapping.objects.order_by("-key").values_list("key", flat=True).first()
    pages = [*PAGES, ("pair page", f"/pairs/{pair}/")]
    for label, url in pages:
        client.get(url)  # warm caches
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        if response.status_code != HTTPStatus.OK:
            print(f"\n## {label}: HTTP {response.status_code}")
            continue
        timed = []
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT") or "django_session" in sql:
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                ms = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
                timed.append((ms, sql, plan))
        total = sum(ms for ms, _sql, _plan in timed)
        print(f"\n## {label} ({url}): {len(timed)} queries, {total:.1f} ms in the database")
        for ms, sql, plan in sorted(timed, reverse=True)[: args.top]:
            flag = "  <- sequential scan of a big table" if BIG_TABLES.search(plan) else ""
            print(f"\n--- {ms:.2f} ms{flag}\n{sql[:600]}\n{plan}")


if __name__ == "__main__":
    main()
