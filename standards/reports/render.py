"""Rendering a report: the PDF from its template, and the CSV and XLSX from its table
(standards.spreadsheets). `produce` is the one entry point, used by the web process for
small reports and by the worker for large ones.

The PDF itself is drawn by WeasyPrint in a render process of its own
(standards.reports.render_process, standards.reports.pdf), never in the requesting
process. Reproducible: no clock is read here. Dates come from the document's metadata
and the PDF identifier from the report's fingerprint, so the same input gives the same
bytes.
"""

import logging

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from standards.reports import render_process
from standards.reports.bilingual import build_bilingual
from standards.reports.content import about, build_report, table
from standards.spreadsheets import write_csv, write_xlsx

logger = logging.getLogger(__name__)

# Documents are rendered against this made-up origin, so "/static/x.css" in the HTML
# resolves to BASE_URL + "static/x.css" and nothing relative can point elsewhere.
BASE_URL = "https://portal.invalid/"
STATIC_PREFIX = BASE_URL + "static/"

RenderFailed = render_process.RenderFailed


def static_manifest():
    """{source name: hashed name} of collectstatic's manifest (empty without one): with
    DEBUG off the templates link the hashed names, which the render process maps back."""
    return dict(getattr(staticfiles_storage, "hashed_files", None) or {})


def render_pdf(html, identifier, refused=None):
    """PDF bytes for an HTML string. `identifier` (bytes) is the PDF's file identifier;
    URLs the document asked for and did not get are added to `refused`. Raises
    RenderFailed."""
    content, refused_here = render_process.render(html, identifier, static_manifest())
    if refused is not None:
        refused.extend(refused_here)
    return content


def produce(selection, fmt, as_of):
    """Render one format of a report: (bytes, fingerprint, number of mappings)."""
    with translation.override(selection.lang):
        report = build_report(selection, as_of=as_of)
        if fmt == "csv":
            content = to_csv(report)
        elif fmt == "xlsx":
            content = to_xlsx(report)
        else:
            content = to_pdf(report)
    return content, report["fingerprint"], report["count"]


def to_pdf(report):
    selection = report["selection"]
    context = {
        **report,
        "title": _("Gap report: veterinary and sanitary requirements for meat"),
        "subject": _("Kazakhstan – China requirements not yet aligned"),
        "lang": selection.lang,
        "query": selection.query_string(),
    }
    if selection.lang2:
        bilingual = build_bilingual(selection, report["as_of"], report=report)
        context["bilingual"] = bilingual
        context["title"] = bilingual["title"]
        context["classification"] = " / ".join(
            bilingual[side]["classification"] for side in ("first", "second")
        )
    html = render_to_string("reports/gap_pdf.html", context)
    return render_pdf(html, identifier=report["fingerprint"][:32].encode())


def to_csv(report):
    """Column names in the report's language, then their codes, then the rows."""
    header, codes, rows = table(report)
    return write_csv(header, [codes, *rows])


def to_xlsx(report):
    """The table (column names, codes, both frozen) on a sheet named in the report's
    language, and what the report is (fingerprint, as of, selection) on a second."""
    header, codes, rows = table(report)
    # Fixed workbook properties: the same data gives the same file.
    stamp = report["as_of"].replace(tzinfo=None, microsecond=0)
    title = _("Gap report")
    return write_xlsx(
        header,
        [codes, *rows],
        title=title,
        frozen_rows=2,
        widths=True,
        sheets=[(_("About this report"), about(report))],
        properties={
            "created": stamp,
            "modified": stamp,
            "creator": settings.PORTAL_NAME,
            "title": str(title),
            "keywords": f"fingerprint:{report['fingerprint']}",
        },
    )
