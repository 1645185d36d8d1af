"""The content of a gap report: the included mappings (with their notes on request),
the cited documents, counts and charts for the HTML and PDF renderings, and the rows of
the spreadsheet renderings."""

from collections import Counter, OrderedDict

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from limits.notation import format_number
from standards.alignment import compute_alignment
from standards.charts import ALIGNMENT_COLOURS, STATUS_COLOURS, stacked_bars
from standards.models import ClauseMapping, Evidence, NegotiationNote, Topic
from standards.notes import mark_superseded, notes_for_audience
from standards.reports.fingerprint import fingerprint, version_of
from standards.rows import renderer
from standards.wording import parameter_name, parameters_of

REPORT_TITLE = _("Gap report: veterinary and sanitary requirements for meat")


def included(selection):
    """(mappings, documents) of a report: today's, or as they stood at its baseline."""
    mappings = selection.included_mappings()
    if selection.notes:
        at = selection.baseline.taken_at if selection.baseline else None
        _attach_notes(mappings, selection.audience, at)
    documents = sorted(
        {c.standard.pk: c.standard for m in mappings for c in (*m.kz_side, *m.cn_side)}.values(),
        key=lambda s: (s.jurisdiction, s.code),
    )
    return mappings, documents


def _attach_notes(mappings, audience, at=None):
    """Each mapping's negotiation notes in `note_list`, oldest first (one query): those the
    report's audience may read (standards/notes.py), each marked with the notes among
    them that correct it. `at`: only the notes written by then (notes are never edited)."""
    by_mapping = {m.pk: [] for m in mappings}
    notes = NegotiationNote.objects.filter(mapping__in=list(by_mapping))
    if at is not None:
        notes = notes.filter(created_at__lte=at)
    notes = notes_for_audience(notes, audience).select_related("corrects")
    for note in notes.order_by("date", "created_at", "pk"):
        by_mapping[note.mapping_id].append(note)
    for mapping in mappings:
        mapping.note_list = mark_superseded(by_mapping[mapping.pk])


def build_report(selection, as_of=None):
    """Everything the HTML and PDF report show, for an already validated selection."""
    if selection.baseline is not None:
        as_of = selection.baseline.taken_at
    elif as_of is None:
        _version, as_of = version_of(selection)
    mappings, documents = included(selection)
    rows = [(m, compute_alignment(m)) for m in mappings]
    topics = OrderedDict()
    labels = dict(Topic.choices)
    for topic_value, _label in Topic.choices:
        items = [(m, c) for m, c in rows if m.topic == topic_value]
        if items:
            topics[topic_value] = {"label": labels[topic_value], "rows": items}
    by_status = Counter(m.status for m in mappings)
    by_alignment = Counter(m.alignment for m in mappings)
    status_segments = [(v, label, STATUS_COLOURS[v]) for v, label in ClauseMapping.Status.choices]
    alignment_segments = [
        (v, label, ALIGNMENT_COLOURS[v]) for v, label in ClauseMapping.Alignment.choices
    ]
    charts = (
        [
            stacked_bars(
                "report-status",
                str(_("Negotiation status")),
                [(_("Included mappings"), by_status)],
                status_segments,
                label_width=180,
            ),
            stacked_bars(
                "report-alignment",
                str(_("Alignment")),
                [(_("Included mappings"), by_alignment)],
                alignment_segments,
                label_width=180,
            ),
        ]
        if mappings
        else []
    )
    draft = any(
        m.status not in (ClauseMapping.Status.AGREED, ClauseMapping.Status.HARMONIZED)
        for m in mappings
    )
    return {
        "selection": selection,
        "filters": selection.describe(),
        "rows": rows,
        "topics": topics,
        "documents": documents,
        "count": len(mappings),
        "by_status": [(label, by_status.get(v, 0)) for v, label in ClauseMapping.Status.choices],
        "by_alignment": [
            (label, by_alignment.get(v, 0)) for v, label in ClauseMapping.Alignment.choices
        ],
        "charts": charts,
        "draft": draft or not mappings,
        "as_of": timezone.localtime(as_of),
        "baseline": selection.baseline,
        "fingerprint": fingerprint(selection, mappings, documents),
        # Parameter names follow the report's language, not the reader's interface.
        "LANGUAGE_CODE": selection.lang,
        "show_originals": selection.originals,
        "show_notes": selection.notes,
        "classification": str(selection.classification),  # in the report's language
        "portal_name": settings.PORTAL_NAME,
    }


# --- spreadsheets ------------------------------------------------------------------------
#
# A spreadsheet starts with two header rows: the column names in the report's language,
# then the stable codes programs read (README, "Reading a gap report by program").

COLUMNS = (
    ("key", _("Key")),
    ("title", _("Subject")),
    ("product_group", _("Product group")),
    ("topic", _("Topic")),
    ("alignment", _("Alignment")),
    ("status", _("Negotiation status")),
    ("kz_clauses", _("Kazakh clauses")),
    ("kz_text_en", _("Kazakh text (English)")),
    ("kz_text_original", _("Kazakh text (original)")),
    ("kz_limits", _("Kazakh limits")),
    ("cn_clauses", _("Chinese clauses")),
    ("cn_text_en", _("Chinese text (English)")),
    ("cn_text_original", _("Chinese text (original)")),
    ("cn_limits", _("Chinese limits")),
    ("computed_alignment", _("Computed alignment")),
    ("fold", _("Fold")),
    ("computed_evidence", _("Evidence of the computed alignment")),
    ("computed_verdict", _("Computed from the limits")),
    ("computed_reason", _("Why (from the limits)")),
    ("kz_evidence", _("Kazakh evidence")),
    ("cn_evidence", _("Chinese evidence")),
    ("rationale", _("Rationale")),
    ("proposed_action", _("Proposed action")),
    ("responsible_side", _("Responsible side")),
    ("target_date", _("Target date")),
    ("confidence", _("Source confidence")),
)
NOTES_COLUMN = ("notes", _("Negotiation notes"))
REPORT_COLUMNS = (
    ("report_fingerprint", _("Report fingerprint")),
    ("report_as_of", _("Data as of")),
)


def _side_text(clauses, field):
    return "\n".join(getattr(c, field) for c in clauses if getattr(c, field))


def _clauses(clauses):
    return "; ".join(f"{c.standard.code} {c.reference}" for c in clauses)


def _limits(clauses):
    """ "Lead (Pb): ≤ 0.5 mg/kg; ..." with parameter names in the active language."""
    return "; ".join(
        f"{parameter_name(limit.parameter)}: {limit}" for c in clauses for limit in c.limit_rows
    )


def _notes(mapping):
    """One line per note: date · side · meeting: text, a corrected one marked so."""
    lines = []
    for note in getattr(mapping, "note_list", ()):
        superseded = f" [{_('superseded')}]" if getattr(note, "superseded_by", None) else ""
        lines.append(
            f"{note.date.isoformat()} · {note.get_side_display()} · {note.meeting}"
            f"{superseded}: {note.text}"
        )
    return "\n".join(lines)


def _computed(computed, rendering):
    """computed_alignment, fold, computed_evidence, computed_verdict, computed_reason."""
    if not computed.comparable:
        return ["", "", "", "", ""]
    result = computed.result
    return [
        dict(ClauseMapping.Alignment.choices)[computed.verdict],
        format_number(result.fold) if result.fold else "",
        Evidence(result.evidence).label,
        rendering.amount_text(result),
        rendering.sentence(result.message, parameters_of(computed)),
    ]


def columns(report):
    """The (code, label) of each column of the spreadsheet renderings."""
    notes = (NOTES_COLUMN,) if report["show_notes"] else ()
    return (*COLUMNS, *notes, *REPORT_COLUMNS)


def table(report):
    """(header, codes, rows) of the spreadsheet renderings: column names in the active
    language, their stable codes, and one row per mapping with its values in words."""
    chosen = columns(report)
    header = [str(label) for _code, label in chosen]
    codes = [code for code, _label in chosen]
    rendering = renderer()
    stamp = report["as_of"].isoformat(timespec="seconds")
    rows = []
    for mapping, computed in report["rows"]:
        kz, cn = mapping.kz_side, mapping.cn_side
        row = [
            mapping.key,
            mapping.title,
            mapping.get_product_group_display(),
            mapping.get_topic_display(),
            mapping.get_alignment_display(),
            mapping.get_status_display(),
            _clauses(kz),
            _side_text(kz, "text_en"),
            _side_text(kz, "text_original"),
            _limits(kz),
            _clauses(cn),
            _side_text(cn, "text_en"),
            _side_text(cn, "text_original"),
            _limits(cn),
            *_computed(computed, rendering),
            mapping.side_evidence("kz").label,
            mapping.side_evidence("cn").label,
            mapping.rationale,
            mapping.proposed_action,
            mapping.get_responsible_side_display(),
            mapping.target_date.isoformat() if mapping.target_date else "",
            mapping.get_confidence_display(),
        ]
        if report["show_notes"]:
            row.append(_notes(mapping))
        rows.append([*row, report["fingerprint"], stamp])
    return header, codes, rows


def about(report):
    """The rows of a spreadsheet's second sheet: what the report is, and how to read it."""
    return [
        [str(_("Field")), str(_("Value")), str(_("Code"))],
        [str(_("Report")), str(REPORT_TITLE), "title"],
        [str(_("Report fingerprint")), report["fingerprint"], "fingerprint"],
        [str(_("Data as of")), report["as_of"].isoformat(timespec="seconds"), "as_of"],
        [str(_("Language")), report["LANGUAGE_CODE"], "lang"],
        *([str(label), str(value), "filter"] for label, value in report["filters"]),
        [
            str(_("How to read the table")),
            str(
                _(
                    "Row 1 names the columns in the report's language; row 2 gives their "
                    "stable codes, which programs should read instead."
                )
            ),
            "header_rows",
        ],
    ]
