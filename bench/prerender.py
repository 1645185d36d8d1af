#!/usr/bin/env python
"""Benchmark: pre-rendered reports. After an edit, how long the report worker takes to
render the standard set again, and how fast a download is once it has, against
Chromium's warm print of the same report's HTML (a browser already running, printing a
page already loaded: the best a print-on-request design could do).

In one run, on a throwaway database holding the reference data (see compare_vs_admin.py):

  1. with the standard set in the cache, one mapping is edited; the upkeep's pass
     (standards.reports.upkeep.prerender) queues the reports whose selection holds it (a
     report file is keyed by its selection's version), and a real `manage.py
     report_worker --batch` process (render child and all) works through them: the time
     from the edit to the last file stored is the catch-up (goal <= 120 s; the quiet
     period of REPORT_PRERENDER_QUIET_SECONDS before the pass comes on top);
  2. 20 downloads of one pre-rendered standard report (the chilled-meat gap report in
     English, everything) through the view as a negotiator: the median (goal <= 50 ms);
  3. the same report's HTML printed 5 times by one warm headless Chromium (Playwright
     page.pdf()): the median; the ratio download / warm print (goal <= 0.2x).

Prints the figures and writes bench/results/prerender.json.

    DEBUG=False SECRET_KEY=bench-only DJANGO_SETTINGS_MODULE=portal.settings \\
        .venv/bin/python bench/prerender.py
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from http import HTTPStatus
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR / "bench"))

from compare_vs_admin import reference_database  # noqa: E402
from report_vs_chromium import report_html  # noqa: E402

RESULTS = BASE_DIR / "bench" / "results" / "prerender.json"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
QUERY = "product=chilled&gaps=0&lang=en"


def _work_through_the_queue():
    env = dict(os.environ)
    if os.environ.get("DATABASE_URL", "").strip():
        from django.db import connection

        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        env["DATABASE_URL"] = f"{base}/{connection.settings_dict['NAME']}"
    subprocess.run(
        [sys.executable, "manage.py", "report_worker", "--batch", "--no-startup-delay"],
        cwd=BASE_DIR, env=env, check=True, capture_output=True,
    )  # fmt: skip


def catch_up():
    """Seconds from an edit to the last pre-rendered file stored, how many reports the
    edit queued, and how many of the standard set are then current. The cache holds the
    whole standard set before the edit (an untimed first pass), as on a running portal."""
    from standards.models import ClauseMapping
    from standards.reports import upkeep

    upkeep.prerender()
    _work_through_the_queue()
    started = time.perf_counter()
    mapping = ClauseMapping.objects.order_by("key").first()
    mapping.rationale = (mapping.rationale or "") + " "
    mapping.save()
    queued = upkeep.prerender()
    _work_through_the_queue()
    elapsed = time.perf_counter() - started
    current = upkeep.cache_state()["current_version_files"]
    return elapsed, queued, current


def downloads():
    from django.contrib.auth import get_user_model
    from django.test import Client

    from standards.services import assign_role

    user, _ = get_user_model().objects.get_or_create(username="bench-negotiator")
    assign_role(user, "Negotiator")
    client = Client()
    client.force_login(user)
    url = f"/reports/gap.pdf?{QUERY}"
    times, size = [], 0
    client.get(url)  # the session is read once
    for _ in range(20):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == HTTPStatus.OK, response.status_code
        assert response["Content-Type"] == "application/pdf"
        size = len(response.content)
    return statistics.median(times), size


def chromium_warm(html_path):
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto(html_path.as_uri())
        page.pdf(format="A4")  # warm-up
        for _ in range(5):
            started = time.perf_counter()
            page.pdf(format="A4")
            times.append(time.perf_counter() - started)
        browser.close()
    return statistics.median(times)


def main():
    with tempfile.TemporaryDirectory() as tmpdir, reference_database(tmpdir):
        seconds, queued, done = catch_up()
        print(
            f"catch-up after an edit: {queued} reports queued and rendered in {seconds:.1f} s "
            f"(goal <= 120 s); {done} current files in the cache"
        )
        download, size = downloads()
        warm = chromium_warm(report_html(QUERY, tmpdir))
        ratio = download / warm
        print(
            f"download of a pre-rendered report ({size // 1024} kB): {download * 1000:.1f} ms "
            f"(goal <= 50 ms); Chromium warm print of its HTML {warm * 1000:.0f} ms; "
            f"ratio {ratio:.3f}x (goal <= 0.2x)"
        )
        results = {
            "catch_up_s": round(seconds, 1),
            "queued": queued,
            "stored": done,
            "download_ms": round(download * 1000, 1),
            "chromium_warm_ms": round(warm * 1000, 1),
            "ratio": round(ratio, 3),
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"Results written to {RESULTS}")


if __name__ == "__main__":
    main()
