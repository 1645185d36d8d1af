"""The content of a gap report: the included mappings (with their notes on request),
the cited documents, counts and charts for the HTML and PDF renderings, and the rows of
the spreadsheet renderings."""

from collections import Counter, OrderedDict

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from limits.compare import describe
from limits.notation import format_number
from standards.alignment import compute_alignment
from standards.charts import ALIGNMENT_COLOURS, STATUS_COLOURS, stacked_bars
from standards.models import ClauseMapping, NegotiationNote, Topic
from standards.notes import mark_superseded, notes_for_audience
from standards.reports.fingerprint import data_version, fingerprint


def included(selection):
    mappings = list(selection.mappings().for_list().order_by("topic", "key"))
    if selection.notes:
        _attach_notes(mappings, selection.audience)
    documents = sorted(
        {c.standard.pk: c.standard for m in mappings for c in (*m.kz_side, *m.cn_side)}.values(),
        key=lambda s: (s.jurisdiction, s.code),
    )
    return mappings, documents


def _attach_notes(mappings, audience):
    """Each mapping's negotiation notes in `note_list`, oldest first (one query): those the
    report's audience may read (standards/notes.py), each marked with the notes among
    them that correct it."""
    by_mapping = {m.pk: [] for m in mappings}
    notes = notes_for_audience(
        NegotiationNote.objects.filter(mapping__in=list(by_mapping)), audience
    ).select_related("corrects")
    for note in notes.order_by("date", "created_at", "pk"):
        by_mapping[note.mapping_id].append(note)
    for mapping in mappings:
        mapping.note_list = mark_superseded(by_mapping[mapping.pk])


def build_report(selection, as_of=None):
    """Everything the HTML and PDF report show, for an already validated selection."""
    if as_of is None:
        _version, as_of = data_version()
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
        "fingerprint": fingerprint(selection, mappings, documents),
        # Parameter names follow the report's language, not the reader's interface.
        "LANGUAGE_CODE": selection.lang,
        "show_originals": selection.originals,
        "show_notes": selection.notes,
        "classification": selection.classification,
        "portal_name": settings.PORTAL_NAME,
    }


# --- spreadsheets ------------------------------------------------------------------------


def _side_text(clauses, field):
    return "\n".join(getattr(c, field) for c in clauses if getattr(c, field))


def table(report):
    """(header, rows) of the spreadsheet renderings."""
    header = [
        "key", "title", "product_group", "topic", "alignment", "status",
        "kz_clauses", "kz_text_en", "kz_text_original", "kz_limits",
        "cn_clauses", "cn_text_en", "cn_text_original", "cn_limits",
        "computed_alignment", "fold", "computed_evidence", "computed_verdict",
        "kz_evidence", "cn_evidence", "rationale", "proposed_action",
        "responsible_side", "target_date", "confidence",
    ]  # fmt: skip
    rows = []
    for mapping, computed in report["rows"]:
        kz, cn = mapping.kz_side, mapping.cn_side
        rows.append(
            [
                mapping.key,
                mapping.title,
                mapping.product_group,
                mapping.topic,
                mapping.alignment,
                mapping.status,
                "; ".join(f"{c.standard.code} {c.reference}" for c in kz),
                _side_text(kz, "text_en"),
                _side_text(kz, "text_original"),
                "; ".join(str(lim) for c in kz for lim in c.limit_rows),
                "; ".join(f"{c.standard.code} {c.reference}" for c in cn),
                _side_text(cn, "text_en"),
                _side_text(cn, "text_original"),
                "; ".join(str(lim) for c in cn for lim in c.limit_rows),
                computed.verdict if computed.comparable else "",
                format_number(computed.result.fold) if computed.result.fold else "",
                computed.result.evidence if computed.comparable else "",
                describe(computed.result) if computed.comparable else "",
                mapping.side_evidence("kz"),
                mapping.side_evidence("cn"),
                mapping.rationale,
                mapping.proposed_action,
                mapping.responsible_side,
                mapping.target_date.isoformat() if mapping.target_date else "",
                mapping.confidence,
            ]
        )
    return header, rows
