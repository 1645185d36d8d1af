#!/usr/bin/env python
"""Where a PDF render's time goes: WeasyPrint's phases on the reference report's HTML.

On a throwaway database holding the reference data (and, with --synthetic N, N synthetic
mappings), this writes the HTML the portal hands to the render process, then in this one
process times, for each round: parsing the HTML, computing styles and laying the pages
out (`HTML.render`), and writing the PDF (`Document.write_pdf`). It prints the medians,
the number of boxes and pages, and with --profile the functions that took the most time
under cProfile (written to bench/results/report_profile-<label>.prof as well).

    DEBUG=False SECRET_KEY=bench-only DJANGO_SETTINGS_MODULE=portal.settings \\
        .venv/bin/python bench/report_profile.py [--synthetic 1000] [--profile]

--html FILE skips the database and profiles a file written by an earlier run
(--keep-html DIR), so that a change to the stylesheet can be measured against the same
document: --css FILE replaces static/portal/report.css for the run. --against-css FILE
and/or --against-html FILE name a variant (B) measured against the document as it is (A)
in the same run: A and B alternate, round after round, and the medians of each (wall
and CPU time of this process) and their ratio B/A are printed, with the pages each makes.
"""

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR / "bench"))
sys.path.insert(0, str(BASE_DIR))

RESULTS = BASE_DIR / "bench" / "results"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synthetic", type=int, default=0, metavar="N")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--html", type=Path, help="profile this HTML file instead")
    parser.add_argument("--css", type=Path, help="use this stylesheet instead of report.css")
    parser.add_argument("--keep-html", type=Path, metavar="DIR")
    parser.add_argument("--against-css", type=Path, metavar="FILE")
    parser.add_argument("--against-html", type=Path, metavar="FILE")
    return parser.parse_args()


def report_html(query):
    """The HTML of the gap report for `query` as one document (the portal draws it in
    sections, standards/reports/pdf.py; this measures the document they are cut from)."""
    from django.http import QueryDict
    from django.test import override_settings
    from django.utils import translation

    from standards.reports import render
    from standards.reports.content import build_report
    from standards.reports.selection import selection_from

    _form, selection = selection_from(QueryDict(query))
    captured = {}

    def keep(html, identifier, refused=None):
        captured["html"] = html
        return b""

    original, render.render_pdf = render.render_pdf, keep
    try:
        with translation.override(selection.lang), override_settings(REPORT_PDF_SECTIONS=False):
            render.to_pdf(build_report(selection))
    finally:
        render.render_pdf = original
    return captured["html"]


def documents(args, tmpdir):
    """[(label, html)] from the database, or from --html."""
    if args.html:
        return [(args.html.stem, args.html.read_text(encoding="utf-8"))]
    from compare_vs_admin import reference_database

    with reference_database(tmpdir):
        from django.core.management import call_command

        from standards.models import Standard

        keys = Standard.objects.values_list("key", flat=True)
        found = [
            ("reference", "gaps=0&lang=en&originals=on&" + "&".join(f"standard={k}" for k in keys))
        ]
        if args.synthetic:
            call_command("generate_synthetic", mappings=args.synthetic, verbosity=0)
            keys = Standard.objects.filter(key__startswith="syn-").values_list("key", flat=True)
            found.append(
                (
                    f"synthetic_{args.synthetic}",
                    "gaps=0&lang=en&" + "&".join(f"standard={k}" for k in keys),
                )
            )
        return [(label, report_html(query)) for label, query in found]


def boxes(page):
    count, stack = 0, [page]
    while stack:
        box = stack.pop()
        count += 1
        stack.extend(getattr(box, "children", ()))
    return count


def phases(html, css):
    """Seconds spent parsing, laying out and writing one document, and what it made."""
    from standards.reports import pdf

    fetcher = pdf.StaticOnlyFetcher()
    if css is not None:
        original = fetcher.fetch

        def fetch(url, headers=None):
            if url.split("?")[0].endswith(".css"):
                from weasyprint.urls import URLFetcherResponse

                return URLFetcherResponse(url, css.read_bytes(), {"Content-Type": "text/css"})
            return original(url, headers)

        fetcher.fetch = fetch
    from weasyprint import HTML

    started, cpu = time.perf_counter(), time.process_time()
    document = HTML(string=html, base_url=pdf.BASE_URL, url_fetcher=fetcher)
    parsed = time.perf_counter()
    rendered = document.render(font_config=pdf.font_config())
    laid_out = time.perf_counter()
    content = rendered.write_pdf(pdf_identifier=b"bench", custom_metadata=True)
    written = time.perf_counter()
    return {
        "parse_s": parsed - started,
        "layout_s": laid_out - parsed,
        "write_s": written - laid_out,
        "total_s": written - started,
        "cpu_s": time.process_time() - cpu,
        "pages": len(rendered.pages),
        "boxes": sum(boxes(page._page_box) for page in rendered.pages),
        "bytes": len(content),
        "refused": fetcher.refused,
    }


def against(args, html):
    """A (the document as it is) and B (--against-css, --against-html) alternately."""
    variants = {
        "A": (html, args.css),
        "B": (
            args.against_html.read_text(encoding="utf-8") if args.against_html else html,
            args.against_css or args.css,
        ),
    }
    for document, css in variants.values():
        phases(document, css)  # warm
    rounds = {"A": [], "B": []}
    for _round in range(args.rounds):
        for name, (document, css) in variants.items():
            rounds[name].append(phases(document, css))
    medians = {
        name: {k: statistics.median(r[k] for r in runs) for k in ("total_s", "cpu_s")}
        for name, runs in rounds.items()
    }
    for name, runs in rounds.items():
        each = ", ".join(f"{r['cpu_s']:.2f}" for r in runs)
        print(
            f"{name}: {runs[0]['pages']} pages, {runs[0]['boxes']:,} boxes; median wall "
            f"{medians[name]['total_s']:.2f} s, CPU {medians[name]['cpu_s']:.2f} s; "
            f"CPU of each round {each}"
        )
    print(
        f"B/A: wall {medians['B']['total_s'] / medians['A']['total_s']:.3f}, "
        f"CPU {medians['B']['cpu_s'] / medians['A']['cpu_s']:.3f} "
        f"(median of {args.rounds} rounds each)"
    )


def main():
    args = parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmpdir:
        if args.html:
            import os

            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
            import django

            django.setup()
        found = documents(args, tmpdir)
        results = {}
        for label, html in found:
            if args.against_css or args.against_html:
                against(args, html)
                continue
            if args.keep_html:
                args.keep_html.mkdir(parents=True, exist_ok=True)
                (args.keep_html / f"{label}.html").write_text(html, encoding="utf-8")
            phases(html, args.css)  # fonts and stylesheet caches warm, as in a warm process
            rounds = [phases(html, args.css) for _ in range(args.rounds)]
            median = {
                k: statistics.median(r[k] for r in rounds)
                for k in ("parse_s", "layout_s", "write_s", "total_s")
            }
            first = rounds[0]
            assert not first["refused"], first["refused"]
            results[label] = {
                **{k: round(v, 3) for k, v in median.items()},
                "pages": first["pages"],
                "boxes": first["boxes"],
                "pdf_bytes": first["bytes"],
                "html_bytes": len(html),
            }
            print(
                f"{label}: {len(html) / 1000:.0f} kB of HTML, {first['pages']} pages, "
                f"{first['boxes']:,} boxes; parse {median['parse_s']:.2f} s, styles and layout "
                f"{median['layout_s']:.2f} s, write_pdf {median['write_s']:.2f} s, "
                f"total {median['total_s']:.2f} s (median of {args.rounds})"
            )
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                phases(html, args.css)
                profiler.disable()
                profiler.dump_stats(RESULTS / f"report_profile-{label}.prof")
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
                print(out.getvalue())
        (RESULTS / "report_profile.json").write_text(
            json.dumps(results, indent=2), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
