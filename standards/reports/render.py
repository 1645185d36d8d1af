"""Rendering a report: the PDF from its template through WeasyPrint, and the CSV and XLSX
from its table (standards.spreadsheets). `produce` is the one entry point, used by the
web process for small reports and by the worker for large ones.

- Fonts: one FontConfiguration per process. DejaVu Sans comes first (Latin, Cyrillic and
  the Kazakh letters ә ғ қ ң ө ұ ү һ і), Noto Sans CJK second (Chinese); both are embedded
  as subsets, which WeasyPrint does with HarfBuzz's subsetter (libharfbuzz-subset0).
- Fetching: only the portal's own static files and data: URIs; everything else is refused
  and nothing else is read from disk or the network.
- Reproducible: no clock is read here. Dates come from the document's metadata and the
  PDF identifier from the report's fingerprint, so the same input gives the same bytes.
"""

import logging
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from standards.reports.content import build_report, table
from standards.spreadsheets import write_csv, write_xlsx

logger = logging.getLogger(__name__)

# Documents are rendered against this made-up origin, so "/static/x.css" in the HTML
# resolves to BASE_URL + "static/x.css" and nothing relative can point elsewhere.
BASE_URL = "https://portal.invalid/"
STATIC_PREFIX = BASE_URL + "static/"

_font_config = None
_font_lock = threading.Lock()


def font_config():
    global _font_config
    with _font_lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        return _font_config


class FetchRefused(ValueError):
    pass


class StaticOnlyFetcher(URLFetcher):
    """Serves the portal's static files and data: URIs; refuses every other URL."""

    def __init__(self):
        super().__init__(allowed_protocols=("data", "https"), allow_redirects=False)
        self.refused = []

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(STATIC_PREFIX):
            relative = source_name(unquote(urlsplit(url).path).removeprefix("/static/"))
            path = finders.find(relative) if relative and ".." not in relative.split("/") else None
            if path and Path(path).is_file():
                return URLFetcherResponse(url, Path(path).read_bytes(), _content_type(path))
        self.refused.append(url)
        logger.warning("Refused to fetch %s while rendering a PDF", url)
        raise FetchRefused(f"refused: {url}")


def source_name(name):
    """The source file's name for a name in a static URL. With DEBUG off the templates link
    the hashed names of the collectstatic manifest (portal/report.3f2a….css); the
    manifest maps them back to the files the finders know."""
    hashed_files = getattr(staticfiles_storage, "hashed_files", None) or {}
    for source, hashed in hashed_files.items():
        if hashed == name:
            return source
    return name


def _content_type(path):
    suffix = Path(path).suffix.lower()
    types = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
    return {"Content-Type": types.get(suffix, "application/octet-stream")}


# Pango and HarfBuzz (under WeasyPrint) are not safe to use from several threads at once:
# concurrent renders in one process corrupt the heap ("corrupted double-linked list",
# "realloc(): invalid next size") and crash it. A threaded server (runserver, which `make
# run` starts) therefore renders one PDF at a time per process; gunicorn's sync workers
# and the report worker have one thread anyway.
_render_lock = threading.Lock()


def render_pdf(html, identifier, fetcher=None):
    """PDF bytes for an HTML string. `identifier` (bytes) is the PDF's file identifier."""
    fetcher = fetcher or StaticOnlyFetcher()
    with _render_lock:
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
        return document.write_pdf(
            font_config=font_config(),
            pdf_identifier=identifier,
            custom_metadata=True,
        )


def produce(selection, fmt, as_of):
    """Render one format of a report: (bytes, fingerprint, number of mappings)."""
    with translation.override(selection.lang):
        report = build_report(selection, as_of=as_of)
        if fmt == "csv":
            content = write_csv(*table(report))
        elif fmt == "xlsx":
            content = to_xlsx(report)
        else:
            content = to_pdf(report)
    return content, report["fingerprint"], report["count"]


def to_pdf(report):
    selection = report["selection"]
    html = render_to_string(
        "reports/gap_pdf.html",
        {
            **report,
            "title": _("Gap report: veterinary and sanitary requirements for meat"),
            "subject": _("Kazakhstan – China requirements not yet aligned"),
            "lang": selection.lang,
            "query": selection.query_string(),
        },
    )
    return render_pdf(html, identifier=report["fingerprint"][:32].encode())


def to_xlsx(report):
    # Fixed workbook properties: the same data gives the same file.
    stamp = report["as_of"].replace(tzinfo=None, microsecond=0)
    return write_xlsx(
        *table(report),
        title="Gap report",
        properties={
            "created": stamp,
            "modified": stamp,
            "creator": settings.PORTAL_NAME,
            "title": "Gap report",
            "keywords": f"fingerprint:{report['fingerprint']}",
        },
    )
