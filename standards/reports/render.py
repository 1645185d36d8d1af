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


def render_pdf(document, identifier, refused=None):
    """PDF bytes for an HTML string, or for the sections of a report (`sections`).
    `identifier` (bytes) is the PDF's file identifier; URLs the document asked for and did
    not get are added to `refused`. Raises RenderFailed."""
    if isinstance(document, dict):
        content, refused_here = render_process.render_sections(
            document, identifier, static_manifest()
        )
    else:
        content, refused_here = render_process.render(document, identifier, static_manifest())
    if refused is not None:
        refused.extend(refused_here)
    return content


def produce(selection, fmt, as_of):
    """Render one format of a report: (bytes, fingerprint, number of mappings)."""
    if fmt == "pdf":
        render_process.start()  # it sets up while the report is gathered
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
    identifier = report["fingerprint"][:32].encode()
    if settings.REPORT_PDF_SECTIONS and not selection.lang2 and report["topics"]:
        return render_pdf(sections(context), identifier)
    html = render_to_string("reports/gap_pdf.html", context)
    return render_pdf(html, identifier=identifier)


def sections(context):
    """The documents a gap report is drawn in (standards.reports.pdf.write_sections): its
    front, its topics in consecutive groups (`topic_groups`), the last with the annex,
    and the page furniture."""
    template = "reports/gap_pdf.html"
    groups = topic_groups(context["topics"], annex=len(context["documents"]) / ANNEX_ROWS)
    parts = [
        render_to_string(
            template,
            {**context, "part": "section", "topics": group, "with_annex": n == len(groups)},
        )
        for n, group in enumerate(groups, 1)
    ]
    return {
        "front": render_to_string(template, {**context, "part": "front"}),
        "parts": parts,
        "furniture": render_to_string(template, {**context, "part": "furniture"}),
    }


# The rows of the annex's table of documents that take as long to draw as one mapping.
ANNEX_ROWS = 10


def topic_groups(topics, annex=0):
    """The topics in consecutive groups of about equal numbers of mappings: one for each
    process that draws them (the render process and its helpers), more where a group
    would hold over REPORT_PDF_SECTION_MAPPINGS (the memory one process takes). Each
    section embeds its own font subsets, so there are no more than that. `annex`: what
    the annex, drawn after the last group, weighs in mappings."""
    sizes = [len(topic["rows"]) for topic in topics.values()]
    total = sum(sizes) + annex
    count = max(
        settings.REPORT_RENDER_HELPERS + 1, -(-total // settings.REPORT_PDF_SECTION_MAPPINGS)
    )
    share = total / max(1, min(count, len(sizes)))
    groups, group, held = [], {}, 0
    for (key, topic), size in zip(topics.items(), sizes, strict=True):
        if group and held + size / 2 > share:
            groups.append(group)
            group, held = {}, 0
        group[key] = topic
        held += size
    if group:
        groups.append(group)
    return groups


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
