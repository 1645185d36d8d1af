"""HTML to PDF with WeasyPrint, inside the render process (standards.reports.render_process).

- Fonts: one FontConfiguration per process. DejaVu Sans comes first (Latin, Cyrillic and
  the Kazakh letters ә ғ қ ң ө ұ ү һ і), Noto Sans CJK second (Chinese); both are embedded
  as subsets, which WeasyPrint does with HarfBuzz's subsetter (libharfbuzz-subset0).
- Fetching: only the portal's own static files and data: URIs; everything else is refused
  and nothing else is read from disk or the network.
- Reproducible: no clock is read here. Dates come from the document's metadata and the
  PDF identifier from the caller, so the same input gives the same bytes.

Only the render process imports this module (and with it Pango and HarfBuzz); the web
processes and the report worker hand their HTML over and never load WeasyPrint.
"""

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from standards.reports.render import BASE_URL, STATIC_PREFIX, static_manifest

logger = logging.getLogger(__name__)

_font_config = None


def font_config():
    """The process's FontConfiguration (the render process has one thread)."""
    global _font_config
    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


class FetchRefused(ValueError):
    pass


class StaticOnlyFetcher(URLFetcher):
    """Serves the portal's static files and data: URIs; refuses every other URL.

    `hashed_files` maps source names to the hashed names of collectstatic's manifest
    (the requesting process's staticfiles storage, this process's by default): with DEBUG
    off the templates link hashed names (portal/report.3f2a….css), which are read back
    from the source files.
    """

    def __init__(self, hashed_files=None):
        super().__init__(allowed_protocols=("data", "https"), allow_redirects=False)
        if hashed_files is None:
            hashed_files = static_manifest()
        self.sources = {hashed: source for source, hashed in hashed_files.items()}
        self.refused = []

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(STATIC_PREFIX):
            name = unquote(urlsplit(url).path).removeprefix("/static/")
            relative = self.sources.get(name, name)
            path = finders.find(relative) if relative and ".." not in relative.split("/") else None
            if path and Path(path).is_file():
                return URLFetcherResponse(url, Path(path).read_bytes(), _content_type(path))
        self.refused.append(url)
        logger.warning("Refused to fetch %s while rendering a PDF", url)
        raise FetchRefused(f"refused: {url}")


def _content_type(path):
    suffix = Path(path).suffix.lower()
    types = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
    return {"Content-Type": types.get(suffix, "application/octet-stream")}


def write_pdf(html, identifier, hashed_files=None):
    """(PDF bytes, refused URLs) for an HTML string; `identifier` (bytes) is the PDF's
    file identifier."""
    fetcher = StaticOnlyFetcher(hashed_files)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    content = document.write_pdf(
        font_config=font_config(), pdf_identifier=identifier, custom_metadata=True
    )
    return content, fetcher.refused
