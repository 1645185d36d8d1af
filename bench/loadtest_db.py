"""The database side of the load and soak tests (bench/loadtest.py runs this as a child).

    loadtest_db.py accounts     create or reset the load-test accounts (known passwords)
    loadtest_db.py plan         keys, filters and report selections for the scenario (JSON)
    loadtest_db.py prerendered  how many of the working set's reports the worker has stored
    loadtest_db.py verify-soak  compare the soak's recorded edits with the history tables

Every subcommand refuses to run unless Django is connected to the load-test database
(`--expect-db`, whose name must start with "portal_load"), so the known passwords never
reach a real database. Output is one JSON document on stdout.
"""

import argparse
import json
import os
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402

from standards.models import ClauseMapping, ReportDemand, ReportFile, Standard  # noqa: E402
from standards.roles import EDITOR, NEGOTIATOR, REGULATOR  # noqa: E402
from standards.services import assign_role  # noqa: E402

DB_PREFIX = "portal_load"

# Known passwords, for the throwaway load-test database only (see the guard below).
ACCOUNTS = {
    "regulator": ("loadtest-regulator", "load-test-regulator-pass", REGULATOR),
    "negotiator": ("loadtest-negotiator", "load-test-negotiator-pass", NEGOTIATOR),
    "editor": ("loadtest-editor", "load-test-editor-pass", EDITOR),
}

# The reports negotiators take to the table and download again and again: this many
# selections, each in one language and format, downloaded in the month before the run
# (ReportDemand), so that the worker keeps them rendered.
WORKING_SET = 12
WORKING_SET_FORMATS = ["pdf"] * 6 + ["csv"] * 3 + ["xlsx"] * 3
WORKING_SET_ORIGINALS = 0.5  # the share with the original texts
SMALL_REPORT = (3, 60)  # mappings in a "small" PDF/CSV/XLSX selection, rendered in the request
BIG_REPORT = (301, 500)  # above REPORT_BACKGROUND_THRESHOLD (300): the background worker


def guard(expected):
    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or not expected.startswith(DB_PREFIX):
        sys.exit(f"refusing to run: the load-test database must be PostgreSQL {DB_PREFIX}*")
    if name != expected:
        sys.exit(f"refusing to run: connected to {name!r}, not the load-test database {expected!r}")


@transaction.atomic
def accounts():
    from axes.utils import reset as axes_reset

    User = get_user_model()
    out = {}
    for role_name, (username, password, role) in ACCOUNTS.items():
        user, _created = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_active = True
        user.save()
        assign_role(user, role)
        axes_reset(username=username)
        out[role_name] = {"username": username, "password": password}
    return out


def plan(seed, editor_pool, clear_reports):
    rng = random.Random(seed)
    if clear_reports:
        # Every run starts with no stored report files, so that its figures do not depend
        # on what an earlier run left in the cache.
        # Nor on what it downloaded: an earlier run's selections would be pre-rendered
        # after every edit of this one.
        ReportFile.objects.all().delete()
        ReportDemand.objects.all().delete()
    keys = list(ClauseMapping.objects.order_by("key").values_list("key", flat=True))
    reference = [k for k in keys if not k.startswith("SYN-")]
    synthetic = [k for k in keys if k.startswith("SYN-")]
    standards = list(Standard.objects.order_by("key").values_list("key", flat=True))
    syn_standards = [k for k in standards if k.startswith("syn-")]
    real_standards = [k for k in standards if not k.startswith("syn-")]

    gaps = ClauseMapping.objects.matching(gaps_only=True)
    small = []
    fine = gaps.values("product_group", "topic", "status", "alignment").annotate(n=Count("pk"))
    for row in fine.order_by("product_group", "topic", "status", "alignment"):
        if SMALL_REPORT[0] <= row["n"] <= SMALL_REPORT[1]:
            small.append(
                {
                    "query": (
                        f"product={row['product_group']}&topic={row['topic']}"
                        f"&status={row['status']}&alignment={row['alignment']}&gaps=1"
                    ),
                    "mappings": row["n"],
                }
            )
    big = []
    coarse = gaps.values("product_group", "topic").annotate(n=Count("pk"))
    for row in coarse.order_by("product_group", "topic"):
        if BIG_REPORT[0] <= row["n"] <= BIG_REPORT[1]:
            big.append(
                {
                    "query": f"product={row['product_group']}&topic={row['topic']}&gaps=1",
                    "mappings": row["n"],
                }
            )
    rng.shuffle(big)

    working_set = working_set_of(rng, small)
    # The editors edit at random among the synthetic mappings, and one of their mappings
    # is in a report of the working set: edits touch a report people download.
    touched = gaps.filter(**working_set[0]["filters"]).order_by("key").values_list("key")[0][0]
    edited = rng.sample([k for k in synthetic if k != touched], editor_pool - 1)
    pool = [
        {"pk": m.pk, "key": m.key, "status": m.status, "version": m.updated_at.isoformat()}
        for m in ClauseMapping.objects.filter(key__in=[touched, *edited]).order_by("key")
    ]
    return {
        "counts": {"mappings": len(keys), "reference": len(reference), "synthetic": len(synthetic)},
        "reference_keys": reference,
        "synthetic_keys": rng.sample(synthetic, min(3000, len(synthetic))),
        "standard_keys": real_standards + rng.sample(syn_standards, min(40, len(syn_standards))),
        "small_reports": small,
        "working_set": working_set,
        "big_reports": big,
        "editor_pool": pool,
        "statuses": list(ClauseMapping.Status.values),
    }


def working_set_of(rng, small):
    """WORKING_SET of the small selections, each in a language and a format, its
    download counted as made before the run (ReportDemand): [{path, filters, ...}]."""
    from django.http import QueryDict

    from standards.reports.files import note_demand
    from standards.reports.selection import REPORT_LANGUAGES, selection_from

    chosen = []
    for report, fmt in zip(rng.sample(small, WORKING_SET), WORKING_SET_FORMATS, strict=True):
        query = report["query"] + f"&lang={rng.choice(REPORT_LANGUAGES)[0]}"
        if rng.random() < WORKING_SET_ORIGINALS:
            query += "&originals=on"
        _form, selection = selection_from(QueryDict(query))
        note_demand(selection, fmt)
        filters = dict(pair.split("=") for pair in report["query"].split("&") if "gaps" not in pair)
        chosen.append(
            {
                "path": f"/reports/gap.{fmt}?{query}",
                "selection": selection.query_string(),
                "fmt": fmt,
                "filters": {
                    "product_group": filters["product"],
                    "topic": filters["topic"],
                    "status": filters["status"],
                    "alignment": filters["alignment"],
                },
                "mappings": report["mappings"],
            }
        )
    return chosen


def prerendered(plan_file):
    """How many reports of the plan's working set have a stored file of their
    selection's current version."""
    from django.http import QueryDict

    from standards.reports.fingerprint import cache_key, version_of
    from standards.reports.selection import selection_from

    working_set = json.loads(Path(plan_file).read_text())["working_set"]
    done = 0
    for item in working_set:
        _form, selection = selection_from(QueryDict(item["selection"]))
        key = cache_key(version_of(selection)[0], selection, item["fmt"])
        done += ReportFile.objects.filter(key=key, status=ReportFile.Status.DONE).exists()
    return {"done": done, "of": len(working_set)}


def verify_soak(edits_file):
    """Saved edits against the history: one row per edit with its reason, the final status
    the last one written, and every save based on the version the previous save left."""
    data = json.loads(Path(edits_file).read_text())
    prefix, edits, pool = data["prefix"], data["edits"], data["pool"]
    History = ClauseMapping.history.model
    pks = [m["pk"] for m in pool]
    ours = list(
        History.objects.filter(history_change_reason__startswith=prefix)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    problems = edit_problems(edits, ours)

    # Every row the soak window added to these mappings must be one of ours.
    start = min((r.history_date for r in ours), default=None)
    others = 0
    if start is not None:
        others = (
            History.objects.filter(id__in=pks, history_date__gte=start)
            .exclude(history_change_reason__startswith=prefix)
            .count()
        )
        if others:
            problems.append(f"{others} history rows on the edited mappings without a soak reason")

    lost_updates, final_mismatch = mapping_problems(pool, edits, ours)
    problems += lost_updates + final_mismatch
    return {
        "edits_reported": len(edits),
        "history_rows_with_soak_reasons": len(ours),
        "history_rows_without_reason": others,
        "lost_updates": len(lost_updates),
        "final_status_mismatches": len(final_mismatch),
        "problems": problems[:50],
        "ok": not problems,
    }


def edit_problems(edits, ours):
    """Each saved edit against the history rows with the soak's reasons (`ours`): exactly
    one row with its reason, for its mapping, status and user; and no row whose reason no
    saved edit reported."""
    problems = []
    by_reason = defaultdict(list)
    for row in ours:
        by_reason[row.history_change_reason].append(row)
    for edit in edits:
        rows = by_reason.get(edit["reason"], [])
        if len(rows) != 1:
            problems.append(f"{edit['reason']}: {len(rows)} history rows, expected 1")
            continue
        row = rows[0]
        if row.id != edit["pk"] or row.status != edit["status"]:
            problems.append(
                f"{edit['reason']}: history says {row.id}/{row.status}, "
                f"the edit wrote {edit['pk']}/{edit['status']}"
            )
        if row.history_user is None or row.history_user.get_username() != edit["username"]:
            problems.append(f"{edit['reason']}: history user is not {edit['username']}")
    known = {e["reason"] for e in edits}
    stray = [r.history_change_reason for r in ours if r.history_change_reason not in known]
    if stray:
        problems.append(f"{len(stray)} history rows carry a soak reason no saved edit reported")
    return problems


def mapping_problems(pool, edits, ours):
    """Per edited mapping: saves not based on the version the previous save left (lost
    updates), and a saved status that is not the last one written. Returns both lists."""
    pks = [m["pk"] for m in pool]
    edits_by_reason = {e["reason"]: e for e in edits}
    lost_updates, final_mismatch = [], []
    current = dict(ClauseMapping.objects.filter(pk__in=pks).values_list("pk", "status"))
    for mapping in pool:
        rows = [r for r in ours if r.id == mapping["pk"]]
        version = mapping["version"]
        for row in rows:
            edit = edits_by_reason.get(row.history_change_reason)
            if edit is not None and edit["loaded_version"] != version:
                lost_updates.append(
                    f"{mapping['key']}: {edit['reason']} was saved over version "
                    f"{edit['loaded_version']}, but the current one was {version}"
                )
            version = row.updated_at.isoformat()
        expected = rows[-1].status if rows else mapping["status"]
        last_written = max(
            (e for e in edits if e["pk"] == mapping["pk"]),
            key=lambda e: e["finished"],
            default=None,
        )
        if current.get(mapping["pk"]) != expected or (
            last_written is not None and last_written["status"] != current.get(mapping["pk"])
        ):
            final_mismatch.append(
                f"{mapping['key']}: saved status {current.get(mapping['pk'])}, last history "
                f"row {expected}, last edit written "
                f"{last_written['status'] if last_written else '-'}"
            )
    return lost_updates, final_mismatch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["accounts", "plan", "prerendered", "verify-soak"])
    parser.add_argument("--expect-db", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--editor-pool", type=int, default=12)
    parser.add_argument("--clear-reports", action="store_true")
    parser.add_argument("--edits", help="verify-soak: the JSON file of saved edits")
    parser.add_argument("--plan", help="prerendered: the JSON file of the plan")
    args = parser.parse_args()
    guard(args.expect_db)
    if args.command == "accounts":
        result = accounts()
    elif args.command == "plan":
        result = plan(args.seed, args.editor_pool, args.clear_reports)
    elif args.command == "prerendered":
        result = prerendered(args.plan)
    else:
        result = verify_soak(args.edits)
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
