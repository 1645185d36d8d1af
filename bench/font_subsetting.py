#!/usr/bin/env python
"""Benchmark: WeasyPrint's font subsetting with HarfBuzz against its fontTools fallback.

Lays out the reference gap report once (throwaway database, reference data) and times
`write_pdf` — where fonts are subset and embedded — with HarfBuzz's subsetter
(libharfbuzz-subset0, what the portal uses) and with WeasyPrint's fontTools fallback, in
the same run. Prints medians and the ratio.
"""

import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR / "bench"))

from compare_vs_admin import reference_database  # noqa: E402


def reference_report_html():
    """The HTML of the reference report, as the PDF path renders it."""
    from django.http import QueryDict
    from django.template.loader import render_to_string

    from standards.reports.content import build_report
    from standards.reports.selection import selection_from

    _form, selection = selection_from(QueryDict("gaps=0&lang=en&originals=on"))
    return render_to_string(
        "reports/gap_pdf.html",
        {**build_report(selection), "title": "t", "subject": "", "lang": "en", "query": ""},
    )


def main(rounds=3):
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmpdir:
        with reference_database(tmpdir):
            html = reference_report_html()
        import weasyprint.pdf.fonts as weasy_fonts
        from weasyprint import HTML

        from standards.reports.pdf import StaticOnlyFetcher, font_config
        from standards.reports.render import BASE_URL

        document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher())
        rendered = document.render(font_config=font_config())
        results = {}
        harfbuzz = weasy_fonts.harfbuzz_subset
        if harfbuzz is None:
            sys.exit("libharfbuzz-subset is not installed: nothing to compare against")
        for label, subsetter in (("harfbuzz", harfbuzz), ("fonttools", None)):
            weasy_fonts.harfbuzz_subset = subsetter
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                rendered.write_pdf()
                times.append(time.perf_counter() - started)
            results[label] = statistics.median(times)
        weasy_fonts.harfbuzz_subset = harfbuzz
    print(
        f"reference report ({len(rendered.pages)} pages): write_pdf with HarfBuzz subsetting "
        f"{results['harfbuzz']:.2f} s, with the fontTools fallback {results['fonttools']:.2f} s, "
        f"ratio {results['fonttools'] / results['harfbuzz']:.1f}x"
    )


if __name__ == "__main__":
    main()
