#!/usr/bin/env python
"""Benchmark: the portal's PDF path against Chromium printing the same HTML.

In one run, on a throwaway database (see compare_vs_admin.py) holding the reference data
and 1,000 synthetic mappings:

  - the full reference gap report and a 1,000-mapping synthetic report, rendered through
    the portal's PDF path (standards.reports.render.produce: data, template, WeasyPrint)
    in a fresh Python process each time ("cold": font configuration included), several
    rounds, with the child's peak memory (ru_maxrss);
  - the same HTML printed by `chromium --headless --print-to-pdf` from a cold start;
  - a repeat download of an unchanged report through the view (served from the
    database cache).

Prints medians and ratios and writes bench/results/report_vs_chromium.json.
Goals: first render <= 1.8x Chromium cold for the reference report, <= 2.0x at 1,000
mappings; repeat download <= 50 ms; peak memory <= 400 MB for 1,000 mappings (the
requesting process, and the largest of its render process and helpers, which draw the
report's sections: standards/reports/pdf.py).
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR / "bench"))

from compare_vs_admin import reference_database  # noqa: E402

RESULTS = BASE_DIR / "bench" / "results" / "report_vs_chromium.json"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

CHILD = """
import os, sys, time, resource, json
sys.path.insert(0, {base!r})
import django
django.setup()
from django.http import QueryDict
from standards.reports.fingerprint import data_version
from standards.reports.selection import selection_from
from standards.reports.render import produce
from django.template.loader import render_to_string
started = time.perf_counter()
_form, selection = selection_from(QueryDict({query!r}))
_version, as_of = data_version()
content, fingerprint, count = produce(selection, "pdf", as_of)
elapsed = time.perf_counter() - started
from standards.reports import render_process
render_process._renderer.close()  # the render processes end: their peaks are counted
print(json.dumps({{"seconds": elapsed, "bytes": len(content), "count": count,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "render_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args()


def portal_cold(query):
    code = CHILD.format(base=str(BASE_DIR), query=query)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def report_html(query, tmpdir):
    """The report's HTML with its stylesheet inlined, as a file Chromium can print."""
    from django.http import QueryDict
    from django.template.loader import render_to_string

    from standards.reports.content import build_report
    from standards.reports.selection import selection_from

    _form, selection = selection_from(QueryDict(query))
    html = render_to_string(
        "reports/gap_pdf.html",
        {**build_report(selection), "title": "Gap report", "subject": "", "lang": "en",
         "query": query},
    )  # fmt: skip
    css = (BASE_DIR / "static" / "portal" / "report.css").read_text(encoding="utf-8")
    html = html.replace(
        '<link rel="stylesheet" href="/static/portal/report.css">', f"<style>{css}</style>"
    )
    path = Path(tmpdir) / f"report-{abs(hash(query))}.html"
    path.write_text(html, encoding="utf-8")
    return path


def chromium_cold(html_path, tmpdir):
    profile = tempfile.mkdtemp(dir=tmpdir)
    out = Path(tmpdir) / "chromium.pdf"
    started = time.perf_counter()
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--no-first-run", "--disable-component-update",
         f"--user-data-dir={profile}", "--no-pdf-header-footer",
         f"--print-to-pdf={out}", html_path.as_uri()],
        capture_output=True, check=True, timeout=300,
    )  # fmt: skip
    return time.perf_counter() - started


def repeat_download(query):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from standards.services import assign_role

    user, _ = get_user_model().objects.get_or_create(username="bench-negotiator")
    assign_role(user, "Negotiator")
    client = Client()
    client.force_login(user)
    url = f"/reports/gap.pdf?{query}"
    first = client.get(url)  # renders and stores
    assert first.status_code == HTTPStatus.OK, (first.status_code, first.content[:300])
    times = []
    for _ in range(7):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == HTTPStatus.OK
    return statistics.median(times)


def portal_first_renders(query, rounds):
    """Seconds for the view to answer a selection nobody asked for before, in this warm
    process (its render process and helpers already started): the reference report in
    another language each round, through Django's test client (no socket)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from standards.services import assign_role

    user, _ = get_user_model().objects.get_or_create(username="bench-negotiator")
    assign_role(user, "Negotiator")
    client = Client()
    client.force_login(user)
    warm = client.get("/reports/gap.pdf?gaps=1&lang=en&topic=labelling")
    assert warm.status_code == HTTPStatus.OK, warm.status_code
    time.sleep(5)  # the helpers finish warming up
    times = []
    for lang in ("ru", "kk", "zh-hans", "en")[:rounds]:
        started = time.perf_counter()
        response = client.get(f"/reports/gap.pdf?{query.replace('lang=en', f'lang={lang}')}")
        times.append(time.perf_counter() - started)
        assert response.status_code == HTTPStatus.OK, (response.status_code, lang)
    return statistics.median(times)


def main():
    args = parse_args()
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        sys.exit(f"Chromium not found at {CHROMIUM}")
    with tempfile.TemporaryDirectory() as tmpdir, reference_database(tmpdir):
        from django.core.management import call_command

        from standards.models import Standard

        reference = "gaps=0&lang=en&originals=on&" + "&".join(
            f"standard={key}" for key in Standard.objects.values_list("key", flat=True)
        )
        call_command("generate_synthetic", mappings=1000, verbosity=0)
        synthetic = "gaps=0&lang=en&" + "&".join(
            f"standard={key}"
            for key in Standard.objects.filter(key__startswith="syn-").values_list("key", flat=True)
        )
        if os.environ.get("DATABASE_URL", "").strip():
            # The child processes must use the throwaway database too.
            from django.db import connection

            base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
            os.environ["DATABASE_URL"] = f"{base}/{connection.settings_dict['NAME']}"
        results = {}
        for label, query in (("reference", reference), ("synthetic_1000", synthetic)):
            portal = [portal_cold(query) for _ in range(args.rounds)]
            html_path = report_html(query, tmpdir)
            chromium = [chromium_cold(html_path, tmpdir) for _ in range(args.rounds)]
            p, c = statistics.median(r["seconds"] for r in portal), statistics.median(chromium)
            results[label] = {
                "mappings": portal[0]["count"],
                "portal_cold_s": round(p, 3),
                "chromium_cold_s": round(c, 3),
                "ratio": round(p / c, 2),
                "portal_peak_mb": round(max(r["peak_mb"] for r in portal)),
                # The largest of the render process and its helpers (RUSAGE_CHILDREN).
                "render_peak_mb": round(max(r["render_peak_mb"] for r in portal)),
                "pdf_bytes": portal[0]["bytes"],
            }
            print(
                f"{label}: {portal[0]['count']} mappings; portal PDF (cold process) "
                f"{p:.2f} s, Chromium --print-to-pdf (cold) {c:.2f} s, ratio {p / c:.2f}x "
                f"(goal <= 1.8x reference, <= 2.0x at 1,000); peak memory: requesting process "
                f"{results[label]['portal_peak_mb']} MB, largest render process "
                f"{results[label]['render_peak_mb']} MB (goal <= 400 MB)"
            )
        warm = portal_first_renders(reference, args.rounds)
        chromium = results["reference"]["chromium_cold_s"]
        results["reference"]["portal_warm_first_s"] = round(warm, 3)
        results["reference"]["portal_warm_ratio"] = round(warm / chromium, 2)
        print(
            f"reference, first render of a selection in a warm portal process: {warm:.2f} s, "
            f"ratio {warm / chromium:.2f}x Chromium cold (goal <= 1.2x)"
        )
        cached = repeat_download(reference)
        results["repeat_download_ms"] = round(cached * 1000, 1)
        print(f"repeat download of an unchanged report: {cached * 1000:.1f} ms (goal <= 50 ms)")
    results["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"Results written to {args.output}")


if __name__ == "__main__":
    main()
