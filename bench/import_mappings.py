#!/usr/bin/env python
"""Benchmark: the spreadsheet import of mappings against the admin's bulk status action.

On a database that holds synthetic mappings (`generate_synthetic`), in one transaction
that is rolled back at the end (nothing is written), it times for N mappings:

  (a) the import preview (dry run) of an export of them, unchanged;
  (b) the import preview and (c) the import itself of the same file with every status
      changed: one recorded change (history row with reason) per mapping;
  (d) the peer: the same status changes through `set_mappings`, the service behind the
      admin's bulk "Set negotiation status" action, which also saves each mapping with a
      reason.

Prints seconds, rows per second and the ratio (c)/(d).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_load DEBUG=False \\
        SECRET_KEY=bench-only .venv/bin/python bench/import_mappings.py [--rows 1000]
"""

import argparse
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


class Rollback(Exception):
    pass


def timed(label, rows, call):
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds:7.1f} s  {rows / seconds:7.0f} rows/s")
    return seconds, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000, help="mappings (default 1000)")
    args = parser.parse_args()
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.db import transaction

    from standards.exchange import CSVFormat, MappingResource, read_upload
    from standards.models import ClauseMapping
    from standards.services import set_mappings

    keys = list(
        ClauseMapping.objects.filter(key__startswith="SYN-", status="not_started")
        .order_by("key")
        .values_list("key", flat=True)[: args.rows]
    )
    if len(keys) < args.rows:
        sys.exit(f"Only {len(keys)} synthetic mappings at 'not_started': run generate_synthetic.")
    resource = MappingResource()
    exported = resource.export(queryset=resource.get_queryset().filter(key__in=keys))
    unchanged = CSVFormat().export_data(exported).encode()
    status = exported.headers.index("status")
    rows = [list(row) for row in exported]
    for row in rows:
        row[status] = "technical_review"
    exported.wipe()
    exported.headers = MappingResource.column_names()
    for row in rows:
        exported.append(row)
    changed = CSVFormat().export_data(exported).encode()

    def run(data, dry_run):
        dataset = read_upload(data, CSVFormat(), MappingResource)
        result = MappingResource(reason="benchmark").import_data(
            dataset, dry_run=dry_run, rollback_on_validation_errors=True
        )
        assert not result.has_errors() and not result.has_validation_errors()
        return result.totals

    n = len(keys)
    print(f"{n} mappings")
    try:
        with transaction.atomic():
            timed("(a) preview, unchanged", n, lambda: run(unchanged, True))
            timed("(b) preview, every status changed", n, lambda: run(changed, True))
            with transaction.atomic():
                imported, _ = timed(
                    "(c) import, every status changed", n, lambda: run(changed, False)
                )
                transaction.set_rollback(True)
            queryset = ClauseMapping.objects.filter(key__in=keys)
            peer, _ = timed(
                "(d) set_mappings (admin bulk action), same",
                n,
                lambda: set_mappings(
                    queryset, "status", "technical_review", user=None, reason="benchmark"
                ),
            )
            print(f"ratio import / bulk action: {imported / peer:.2f}")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
