"""The "what changed since" report (/changes/): its fingerprint, its PDF (the gap
report's page furniture: page X of Y, the fingerprint on every page, bookmarks from the
headings, embedded subset fonts) and its CSV and XLSX rows, one row per change."""

import dataclasses
import hashlib
import json

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from standards.spreadsheets import write_csv, write_xlsx

TITLE = gettext_lazy("What changed: veterinary and sanitary requirements for meat")


def fingerprint(changes, query):
    """SHA-256 over the selection and every change it lists, in a canonical JSON form."""
    records = {
        "query": query,
        "mappings": [dataclasses.asdict(m) for m in changes.mappings],
        "standards": [dataclasses.asdict(s) for s in changes.standards],
    }
    canonical = json.dumps(
        records, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def context(changes, query, lang):
    """What the page and the PDF show."""
    until = changes.until.at if changes.until else None
    return {
        "changes": changes,
        "topics": changes.topics,
        "counts": changes.counts,
        "since": changes.since,
        "until": changes.until,
        "as_of": timezone.localtime(until or changes.since.at),
        "fingerprint": fingerprint(changes, query),
        "query": query,
        "lang": lang,
        "title": TITLE,
        "portal_name": settings.PORTAL_NAME,
    }


def to_pdf(report):
    from standards.reports.render import render_pdf

    html = render_to_string("reports/changes_pdf.html", report)
    return render_pdf(html, identifier=report["fingerprint"][:32].encode())


COLUMNS = (
    ("key", gettext_lazy("Key")),
    ("title", gettext_lazy("Subject")),
    ("topic", gettext_lazy("Topic")),
    ("change", gettext_lazy("Change")),
    ("subject", gettext_lazy("What")),
    ("old", gettext_lazy("Before")),
    ("new", gettext_lazy("After")),
    ("redline", gettext_lazy("Redline")),
    ("who", gettext_lazy("Who")),
    ("when", gettext_lazy("When")),
    ("reason", gettext_lazy("Reason")),
)


def _when(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def rows(report):
    """One row per change: a transition, a field, a clause set, a limit, a text, a mapping
    added or removed, a standard superseded."""
    table = []
    for topic, items in report["topics"]:
        for m in items:
            table += _mapping_rows([m.key, m.title, str(topic)], m)
    for s in report["changes"].standards:
        what = [f"{label}: {old} → {new}" for label, old, new in s.fields]
        if s.superseded_by:
            what.insert(0, _("superseded by %(codes)s") % {"codes": ", ".join(s.superseded_by)})
        table.append(
            [
                "",
                s.code,
                "",
                _("standard"),
                s.title,
                "",
                "; ".join(what),
                "",
                s.who,
                _when(s.when),
                "",
            ]
        )
    return table


def _mapping_rows(base, m):
    """[change, what, before, after, redline, who, when, reason] rows of one mapping."""
    from standards.redline import redline_plain

    found = []
    if m.added:
        found.append([_("added"), "", "", "", "", "", "", ""])
    if m.removed:
        found.append([_("removed"), "", "", "", "", "", "", ""])
    for t in m.transitions:
        found.append([_("transition"), t.field, t.old, t.new, "", t.who, _when(t.when), t.reason])
    for label, old, new in m.fields:
        found.append([_("field"), label, old, new, "", "", "", ""])
    for label, added, removed in m.clause_sets:
        found.append([_("clauses"), label, "; ".join(removed), "; ".join(added), "", "", "", ""])
    for limit in m.limits:
        what = f"{limit.clause}: {limit.parameter}"
        found.append([_("limit"), what, limit.old, limit.new, "", limit.who, _when(limit.when), ""])
    if m.verdict:
        found.append([_("computed verdict"), "", m.verdict[0], m.verdict[1], "", "", "", ""])
    for text in m.texts:
        found.append(
            [
                _("text"),
                f"{text.clause}: {text.field}",
                text.old,
                text.new,
                redline_plain(text.old, text.new),
                text.who,
                _when(text.when),
                "",
            ]
        )
    return [[*base, *row] for row in found]


def _header(report):
    return [str(label) for _code, label in COLUMNS]


def to_csv(report):
    codes = [code for code, _label in COLUMNS]
    return write_csv(_header(report), [codes, *rows(report)])


def to_xlsx(report):
    codes = [code for code, _label in COLUMNS]
    stamp = report["as_of"].replace(tzinfo=None, microsecond=0)
    about = [
        [_("Field"), _("Value")],
        [_("Report"), str(TITLE)],
        [_("Since"), str(report["since"])],
        [_("Until"), str(report["until"]) if report["until"] else _("now")],
        [_("Report fingerprint"), report["fingerprint"]],
        [_("Selection"), report["query"]],
    ]
    return write_xlsx(
        _header(report),
        [codes, *rows(report)],
        title=_("Changes"),
        frozen_rows=2,
        widths=True,
        sheets=[(_("About this report"), about)],
        properties={
            "created": stamp,
            "modified": stamp,
            "creator": settings.PORTAL_NAME,
            "title": str(TITLE),
            "keywords": f"fingerprint:{report['fingerprint']}",
        },
    )
