"""Gap reports: what a selection includes, its fingerprint, and its CSV/XLSX exports.

The HTML and PDF renderings are templates (templates/reports/); this module prepares
their content, decides the cache key and writes the spreadsheet formats.
"""

import csv
import datetime
import hashlib
import io
import json
from collections import Counter, OrderedDict
from urllib.parse import urlencode

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from limits.notation import format_number
from standards.alignment import compute_alignment
from standards.charts import ALIGNMENT_COLOURS, STATUS_COLOURS, stacked_bars
from standards.models import (
    Clause,
    ClauseMapping,
    Limit,
    NegotiationNote,
    Parameter,
    Standard,
    Topic,
)

REPORT_LANGUAGES = [("en", "English"), ("ru", "Русский"), ("kk", "Қазақ"), ("zh-hans", "简体中文")]
SETTLED_FOR_GAPS = (ClauseMapping.Alignment.EQUIVALENT,)
# "Gaps only": everything that is neither equivalent nor harmonized.
GAP_EXCLUDED_STATUS = ClauseMapping.Status.HARMONIZED


class ReportForm(forms.Form):
    """The selection of a gap report; a GET form, so a report is a bookmarkable URL."""

    product = forms.MultipleChoiceField(
        label=_("Product groups"),
        required=False,
        choices=ClauseMapping.ProductGroup.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    topic = forms.MultipleChoiceField(
        label=_("Topics"), required=False, choices=Topic.choices, widget=forms.SelectMultiple
    )
    alignment = forms.MultipleChoiceField(
        label=_("Alignments"),
        required=False,
        choices=ClauseMapping.Alignment.choices,
        widget=forms.SelectMultiple,
    )
    status = forms.MultipleChoiceField(
        label=_("Negotiation statuses"),
        required=False,
        choices=ClauseMapping.Status.choices,
        widget=forms.SelectMultiple,
    )
    standard = forms.ModelMultipleChoiceField(
        label=_("Documents"),
        required=False,
        queryset=Standard.objects.order_by("code"),
        to_field_name="key",
    )
    q = forms.CharField(label=_("Search text"), required=False, max_length=200)
    gaps = forms.TypedChoiceField(
        label=_("Which mappings"),
        choices=[
            ("1", _("Gaps only: not equivalent and not harmonized")),
            ("0", _("Every mapping of the selection")),
        ],
        coerce=lambda value: value == "1",
        initial="1",
        required=False,
        empty_value=True,
    )
    lang = forms.ChoiceField(
        label=_("Language of the report"), choices=REPORT_LANGUAGES, required=False, initial="en"
    )
    originals = forms.BooleanField(label=_("Include the original-language texts"), required=False)
    notes = forms.BooleanField(label=_("Include the negotiation notes"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.form_id = "report-form"
        self.helper.layout = Layout(
            Row(
                Column("product", css_class="col-md-3"),
                Column("gaps", css_class="col-md-5"),
                Column("lang", css_class="col-md-4"),
            ),
            Row(
                Column("topic", css_class="col-md-3"),
                Column("alignment", css_class="col-md-3"),
                Column("status", css_class="col-md-3"),
                Column("standard", css_class="col-md-3"),
            ),
            Row(
                Column("q", css_class="col-md-6"),
                Column("originals", "notes", css_class="col-md-6"),
            ),
            StrictButton(_("Show the report"), type="submit", css_class="btn-primary"),
        )


class Selection:
    """A validated report selection with a canonical query string."""

    def __init__(self, cleaned):
        self.product = sorted(cleaned.get("product") or [])
        self.topic = sorted(cleaned.get("topic") or [])
        self.alignment = sorted(cleaned.get("alignment") or [])
        self.status = sorted(cleaned.get("status") or [])
        self.standards = sorted(cleaned.get("standard") or [], key=lambda s: s.key)
        self.q = (cleaned.get("q") or "").strip()
        gaps = cleaned.get("gaps")
        self.gaps = True if gaps is None else bool(gaps)
        self.lang = cleaned.get("lang") or "en"
        self.originals = bool(cleaned.get("originals"))
        self.notes = bool(cleaned.get("notes"))

    def params(self):
        params = [("product", v) for v in self.product]
        params += [("topic", v) for v in self.topic]
        params += [("alignment", v) for v in self.alignment]
        params += [("status", v) for v in self.status]
        params += [("standard", s.key) for s in self.standards]
        if self.q:
            params.append(("q", self.q))
        params.append(("gaps", "1" if self.gaps else "0"))
        params.append(("lang", self.lang))
        if self.originals:
            params.append(("originals", "on"))
        if self.notes:
            params.append(("notes", "on"))
        return params

    def query_string(self):
        return urlencode(self.params())

    def mappings(self):
        queryset = ClauseMapping.objects.all()
        if self.product:
            queryset = queryset.filter(product_group__in=self.product)
        if self.topic:
            queryset = queryset.filter(topic__in=self.topic)
        if self.alignment:
            queryset = queryset.filter(alignment__in=self.alignment)
        if self.status:
            queryset = queryset.filter(status__in=self.status)
        if self.gaps:
            queryset = queryset.exclude(alignment__in=SETTLED_FOR_GAPS).exclude(
                status=GAP_EXCLUDED_STATUS
            )
        if self.q:
            queryset = queryset.matching(q=self.q)
        if self.standards:
            citing = ClauseMapping.objects.filter(
                Q(kz_clauses__standard__in=self.standards)
                | Q(cn_clauses__standard__in=self.standards)
                | Q(reference_clauses__standard__in=self.standards)
            )
            queryset = queryset.filter(pk__in=citing.values("pk"))
        return queryset

    def describe(self):
        """The filters in words, in the active language."""
        words = []

        def labels(values, choices):
            names = dict(choices)
            return ", ".join(str(names[v]) for v in values)

        words.append(
            (
                _("Product groups"),
                labels(self.product, ClauseMapping.ProductGroup.choices) or _("all"),
            )
        )
        words.append((_("Topics"), labels(self.topic, Topic.choices) or _("all")))
        words.append(
            (_("Alignments"), labels(self.alignment, ClauseMapping.Alignment.choices) or _("all"))
        )
        words.append(
            (
                _("Negotiation statuses"),
                labels(self.status, ClauseMapping.Status.choices) or _("all"),
            )
        )
        if self.standards:
            words.append((_("Documents"), ", ".join(s.code for s in self.standards)))
        if self.q:
            words.append((_("Search text"), self.q))
        words.append(
            (
                _("Which mappings"),
                _("gaps only (not equivalent, not harmonized)") if self.gaps else _("all"),
            )
        )
        return words


def selection_from(query):
    form = ReportForm(query)
    if not form.is_valid():
        return form, None
    return form, Selection(form.cleaned_data)


# --- data version and fingerprint -----------------------------------------------------

# Each table with the field its latest change shows in; notes are never edited, so their
# creation time is enough.
VERSIONED_MODELS = (
    (Standard, "updated_at"),
    (Clause, "updated_at"),
    (ClauseMapping, "updated_at"),
    (Limit, "updated_at"),
    (Parameter, "updated_at"),
    (NegotiationNote, "created_at"),
)


def data_version():
    """(digest, as-of time) of the whole data set: every edit changes the latest
    `updated_at` of some table, every deletion a count. One cheap aggregate per table."""
    parts, latest = [], None
    for model, changed in VERSIONED_MODELS:
        row = model.objects.aggregate(n=Count("pk"), last=Max(changed))
        parts.append(
            f"{model._meta.label}:{row['n']}:{row['last'].isoformat() if row['last'] else ''}"
        )
        if row["last"] and (latest is None or row["last"] > latest):
            latest = row["last"]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return digest, latest or datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def cache_key(version, selection, fmt):
    return hashlib.sha256(f"{version}|{fmt}|{selection.query_string()}".encode()).hexdigest()


def _clause_record(clause):
    return {
        "document": clause.standard.code,
        "reference": clause.reference,
        "text_en": clause.text_en,
        "text_original": clause.text_original,
        "language": clause.original_language,
        "confidence": clause.confidence,
        "citation": clause.citation,
        "limits": [
            {
                "parameter": limit.parameter.key,
                "kind": limit.kind,
                "value": format_number(limit.value),
                "upper": format_number(limit.upper_value),
                "unit": limit.unit,
                "strict": limit.strict,
                "basis": limit.basis,
                "qualifier": limit.qualifier,
                "matrix": limit.matrix,
                "plan": [
                    limit.plan_n,
                    limit.plan_c,
                    format_number(limit.plan_m),
                    format_number(limit.plan_big_m),
                ],
            }
            for limit in clause.limit_rows
        ],
    }


def fingerprint(selection, mappings, documents):
    """SHA-256 over the filters and every included record, in a canonical JSON form."""
    records = {
        "selection": selection.query_string(),
        "mappings": [
            {
                "key": m.key,
                "title": m.title,
                "product_group": m.product_group,
                "topic": m.topic,
                "alignment": m.alignment,
                "status": m.status,
                "rationale": m.rationale,
                "proposed_action": m.proposed_action,
                "responsible_side": m.responsible_side,
                "target_date": m.target_date.isoformat() if m.target_date else "",
                "confidence": m.confidence,
                "kz": [_clause_record(c) for c in m.kz_side],
                "cn": [_clause_record(c) for c in m.cn_side],
            }
            for m in mappings
        ],
        "documents": [[d.code, d.title_en, d.edition, d.status, d.source] for d in documents],
    }
    if selection.notes:
        records["notes"] = {
            m.key: [
                [n.pk, n.date.isoformat(), n.side, n.meeting, n.text, n.corrects_id]
                for n in m.note_list
            ]
            for m in mappings
        }
    canonical = json.dumps(records, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- content ---------------------------------------------------------------------------


def _included(selection):
    mappings = list(selection.mappings().for_list().order_by("topic", "key"))
    if selection.notes:
        _attach_notes(mappings)
    documents = sorted(
        {c.standard.pk: c.standard for m in mappings for c in (*m.kz_side, *m.cn_side)}.values(),
        key=lambda s: (s.jurisdiction, s.code),
    )
    return mappings, documents


def _attach_notes(mappings):
    """Each mapping's negotiation notes in `note_list`, oldest first (one query)."""
    by_mapping = {m.pk: [] for m in mappings}
    notes = NegotiationNote.objects.filter(mapping__in=list(by_mapping)).select_related("corrects")
    for note in notes.order_by("date", "created_at", "pk"):
        by_mapping[note.mapping_id].append(note)
    for mapping in mappings:
        mapping.note_list = by_mapping[mapping.pk]


def fingerprint_for(selection):
    """The fingerprint a report of this selection would carry with today's data."""
    return fingerprint(selection, *_included(selection))


def build_report(selection, as_of=None):
    """Everything the HTML and PDF report show, for an already validated selection."""
    if as_of is None:
        _version, as_of = data_version()
    mappings, documents = _included(selection)
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
        "portal_name": settings.PORTAL_NAME,
    }


# --- spreadsheets ------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell a spreadsheet will not run: text starting with a formula character is
    prefixed with an apostrophe (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _side_text(clauses, field):
    return "\n".join(getattr(c, field) for c in clauses if getattr(c, field))


def table(report):
    header = [
        "key", "title", "product_group", "topic", "alignment", "status",
        "kz_clauses", "kz_text_en", "kz_text_original", "kz_limits",
        "cn_clauses", "cn_text_en", "cn_text_original", "cn_limits",
        "computed_alignment", "fold", "rationale", "proposed_action",
        "responsible_side", "target_date", "confidence",
    ]  # fmt: skip
    rows = [header]
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
                mapping.rationale,
                mapping.proposed_action,
                mapping.responsible_side,
                mapping.target_date.isoformat() if mapping.target_date else "",
                mapping.confidence,
            ]
        )
    return rows


def to_csv(report):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in table(report):
        writer.writerow([neutralise(cell) for cell in row])
    # UTF-8 with a byte-order mark: Excel then opens Chinese and Cyrillic correctly.
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def to_xlsx(report):
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Gap report"
    for row in table(report):
        # XML (and so XLSX) cannot hold most C0 control characters, which text pasted from
        # Word or a PDF carries (vertical tab, form feed): each becomes U+FFFD.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("\ufffd", neutralise(cell)) for cell in row])
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.data_type = TYPE_STRING  # never a formula, whatever the text
    sheet.freeze_panes = "A2"
    # Fixed workbook properties: the same data gives the same file.
    stamp = report["as_of"].replace(tzinfo=None, microsecond=0)
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.properties.creator = settings.PORTAL_NAME
    workbook.properties.title = "Gap report"
    workbook.properties.keywords = f"fingerprint:{report['fingerprint']}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
