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

A gap report is drawn in sections (`write_sections`): every topic, and the annex, is a
document of its own, drawn in parallel by the render process and its helpers
(render_process.in_parallel). Each one begins on a new page in the whole report too, so
cutting there changes no page break. Then, from the page counts:
- the front (cover, summary, contents) is drawn with its contents' page numbers given
  (`counter(toc-page)`, set by a stylesheet made here);
- the page furniture (running heads, fingerprint, "Page X of Y") is drawn once for all the
  pages, as a document of empty pages of the same size;
- `combine` joins the front and the sections in order with pypdf (their bookmarks, named
  destinations and links come along), lays each sheet of furniture over its page as a
  form XObject, adds the front's links to other sections and copies the front's metadata.
The same sections give the same bytes: no clock is read and the file identifier is given.
"""

import hashlib
import io
import logging
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from standards.reports import render_process
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


def warm():
    """Load WeasyPrint and both fonts (a helper does this as it starts)."""
    write_pdf("<p>Қазақстан — 中国</p>", b"0" * 32)


# PDF points per CSS pixel, as WeasyPrint draws a page.
POINTS_PER_PX = 0.75
# The name the sheet of page furniture has in each page's resources.
FURNITURE = NameObject("/PortalFurniture")
# The front's page count in the last report: the first guess for the next.
_front_pages = 3


def write_part(html, hashed_files=None, stylesheet=None):
    """(PDF bytes, refused URLs, what the report needs to know of it) for one section:
    its number of pages, its anchors {name: page index} and its links to anchors it does
    not hold [(page index, anchor, rectangle in PDF points)], which are taken out and
    added once the sections are combined. `stylesheet` is CSS added to the document's."""
    fetcher = StaticOnlyFetcher(hashed_files)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    stylesheets = (
        [CSS(string=stylesheet, base_url=BASE_URL, url_fetcher=fetcher)] if stylesheet else None
    )
    rendered = document.render(font_config=font_config(), stylesheets=stylesheets)
    anchors = {}
    for index, page in enumerate(rendered.pages):
        for name in page.anchors:
            anchors.setdefault(name, index)
    outgoing = []
    for index, page in enumerate(rendered.pages):
        height = page.height * POINTS_PER_PX
        kept = []
        for link in page.links:
            kind, target, (x1, y1, x2, y2), _box = link
            if kind == "internal" and target not in anchors:
                rectangle = [x1 * POINTS_PER_PX, height - y2 * POINTS_PER_PX,
                             x2 * POINTS_PER_PX, height - y1 * POINTS_PER_PX]  # fmt: skip
                outgoing.append((index, target, rectangle))
            else:
                kept.append(link)
        page.links[:] = kept
    content = rendered.write_pdf(custom_metadata=True)
    info = {"pages": len(rendered.pages), "anchors": anchors, "links": outgoing}
    return content, fetcher.refused, info


def write_sections(sections, identifier, hashed_files=None):
    """(PDF bytes, refused URLs) of a report in sections: {"front": HTML, "parts": [HTML],
    "furniture": HTML whose body holds one <div class="sheet"></div>}."""
    global _front_pages
    parts = render_process.in_parallel(
        [("write_part", (html, hashed_files)) for html in sections["parts"]]
    )
    front_pages = _front_pages
    # The front's page numbers count its own pages: guessed, then checked (a longer
    # front than guessed is drawn again with the numbers it gives).
    for _attempt in range(3):
        numbers, start = {}, front_pages + 1
        for _content, _refused, info in parts:
            for name, index in info["anchors"].items():
                numbers.setdefault(name, start + index)
            start += info["pages"]
        front, furniture = render_process.in_parallel([
            ("write_part", (sections["front"], hashed_files, contents_numbers(numbers))),
            ("write_part", (sheets(sections["furniture"], start - 1), hashed_files)),
        ])  # fmt: skip
        if front[2]["pages"] == front_pages:
            break
        front_pages = front[2]["pages"]
    else:
        raise ValueError("the front of the report does not settle on a number of pages")
    _front_pages = front_pages
    refused = [url for _c, part_refused, _i in [front, *parts, furniture] for url in part_refused]
    return combine(front, parts, furniture, identifier), refused


def contents_numbers(numbers):
    """CSS giving each link to an anchor the page number the anchor is on, as the
    counter toc-page: the front's contents print it."""
    return "".join(
        f'a[href="#{name}"] {{ counter-reset: toc-page {number}; }}\n'
        for name, number in numbers.items()
        if re.fullmatch(r"[A-Za-z0-9_.:-]+", name)
    )


SHEET = '<div class="sheet"></div>'


def sheets(furniture, pages):
    """The furniture document with one empty sheet for each page of the report."""
    if SHEET not in furniture:
        raise ValueError("the page furniture has no sheet")
    return furniture.replace(SHEET, SHEET * pages, 1)


def combine(front, parts, furniture, identifier):
    """One PDF of the front and the sections, in order, each page under its sheet of
    furniture; `identifier` (bytes) is its file identifier."""
    writer = PdfWriter()
    documents = [front, *parts]
    offset, first_pages = 0, []
    for content, _refused, info in documents:
        writer.append(PdfReader(io.BytesIO(content)))
        first_pages.append(offset)
        offset += info["pages"]
    for (_content, _refused, info), first in zip(documents, first_pages, strict=True):
        for index, target, rectangle in info["links"]:
            writer.add_annotation(first + index, DictionaryObject({
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject(FloatObject(round(v, 3)) for v in rectangle),
                NameObject("/BS"): DictionaryObject({NameObject("/W"): NumberObject(0)}),
                NameObject("/Dest"): TextStringObject(target),
            }))  # fmt: skip
    _lay_furniture(writer, PdfReader(io.BytesIO(furniture[0])))
    front_reader = PdfReader(io.BytesIO(front[0]))
    writer.add_metadata({key: str(value) for key, value in (front_reader.metadata or {}).items()})
    root = front_reader.trailer["/Root"]
    for key in ("/Lang", "/PageMode"):
        if key in root:
            writer._root_object[NameObject(key)] = root[key].clone(writer)
    digest = hashlib.md5(b"".join(d[0] for d in (*documents, furniture)), usedforsecurity=False)
    writer._ID = ArrayObject(
        [ByteStringObject(identifier), ByteStringObject(digest.hexdigest().encode())]
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _lay_furniture(writer, furniture):
    """Each sheet of `furniture` over the page of the same number, as a form XObject
    (drawn after the page, in the page's own coordinates)."""
    if len(furniture.pages) != len(writer.pages):
        raise ValueError(
            f"{len(furniture.pages)} sheets of furniture for {len(writer.pages)} pages"
        )
    before = DecodedStreamObject()
    before.set_data(b"q\n")
    after = DecodedStreamObject()
    after.set_data(b"Q\nq " + FURNITURE.encode() + b" Do Q\n")
    before, after = writer._add_object(before), writer._add_object(after)
    for page, sheet in zip(writer.pages, furniture.pages, strict=True):
        form = DecodedStreamObject()
        form.set_data(b"".join(_contents(sheet)))
        form.update({
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(v) for v in sheet.mediabox),
            NameObject("/Resources"): sheet["/Resources"].clone(writer),
        })  # fmt: skip
        # The pages of a section share one resource dictionary: each page gets its own
        # (a shallow copy, still pointing at the same fonts) naming its own sheet.
        resources = DictionaryObject(page["/Resources"].get_object())
        xobjects = resources.get("/XObject")
        xobjects = (
            DictionaryObject(xobjects.get_object()) if xobjects is not None else DictionaryObject()
        )
        xobjects[FURNITURE] = writer._add_object(form.flate_encode())
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = ArrayObject([before, *_content_refs(page), after])


def _contents(page):
    contents = page["/Contents"].get_object()
    streams = contents if isinstance(contents, ArrayObject) else [contents]
    return [stream.get_object().get_data() for stream in streams]


def _content_refs(page):
    contents = page.get("/Contents")
    if contents is None:
        return []
    value = contents.get_object()
    if isinstance(value, ArrayObject):
        return list(value)
    return [contents]
