"""The market-access report: a status report for ministers, as HTML, PDF, CSV and XLSX.

The report is a list of sections (SECTIONS). Each section declares its key, its title,
its columns (codes from COLUMNS), the text of its empty state, and one provider:

    def provider(scope: Scope) -> list[dict[str, str]]

A provider returns one dict per row, keyed by the section's column codes, every value
plain text in the active language (the report's: `produce` and the views call it under
translation.override(scope.lang)); a code it leaves out is an empty cell. It returns []
when its register holds nothing for the report (the section says `empty`). Every format
renders every section through the same code (`build`), so a new section is one provider
named in SECTIONS.

The report carries the gap report's page furniture and guarantees: the report language
and the classification (audience) of standards/reports/selection.py, a SHA-256
fingerprint over the selection, the day and every row, the PDF rendered from
templates/reports/_pdf_base.html with the fingerprint as its identifier (the same data on
the same day give the same bytes), and formula-safe spreadsheets (standards/spreadsheets.py).
Nothing internal reaches it: no provider reads negotiation notes, and a provider that
ever does reads them through standards.notes.notes_for_audience(…, scope.audience).
"""

import dataclasses
import datetime
import hashlib
import json
from collections.abc import Callable
from functools import cached_property
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import override as language_override

from standards.catalogue import changes_since as catalogue_changes_since
from standards.establishments import renewals_due as register_renewals_due
from standards.models import Round
from standards.notes import AUDIENCES, SHARED
from standards.pathways import measure, pathways_measured, timeline_svg
from standards.reports import render_process
from standards.reports.selection import LanguageAndAudience
from standards.spreadsheets import sheet_name, write_csv, write_xlsx
from standards.translated import WORKING, translated
from standards.visits import unfinished_actions

TITLE = gettext_lazy("Market access to China: status report")
WORKING_MARK = " †"  # a working translation, as the gap report marks it

# --- the parameters ----------------------------------------------------------------------

# The largest number a round may have (a positive integer column on every database): a
# larger one is refused by the form, never handed to the database.
ROUND_NUMBER_MAX = 2**31 - 1


class MarketAccessForm(LanguageAndAudience):
    """The report's parameters: its language and classification (as the gap report's),
    and where the catalogue changes start: a day (`since`) or a round (`round`, from its
    first day). A GET form: a report is a bookmarkable address."""

    since = forms.DateField(
        label=gettext_lazy("Catalogue changes since"),
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text=gettext_lazy("A day, as 2024-02-01."),
        error_messages={
            "invalid": gettext_lazy("“Since” is a day written as YYYY-MM-DD, e.g. 2024-02-01.")
        },
    )
    round = forms.IntegerField(
        label=gettext_lazy("Or since a round"),
        required=False,
        min_value=1,
        max_value=ROUND_NUMBER_MAX,
        help_text=gettext_lazy("A round's number: the changes since its first day."),
        error_messages={
            "invalid": gettext_lazy("“Round” is a round's number, e.g. 3."),
            "min_value": gettext_lazy("“Round” is a round's number, e.g. 3."),
            "max_value": gettext_lazy("“Round” is a round's number, e.g. 3."),
        },
    )

    def clean_round(self):
        number = self.cleaned_data.get("round")
        if number is None:
            return None
        found = Round.objects.filter(number=number).first()
        if found is None:
            raise forms.ValidationError(
                _("No round %(number)s is recorded.") % {"number": number}, code="no_round"
            )
        if found.starts_on is None:
            raise forms.ValidationError(
                _("Round %(number)s has no first day recorded: give “since” as a day instead.")
                % {"number": number},
                code="round_without_day",
            )
        return found

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("since") and cleaned.get("round"):
            self.add_error("round", _("Give either “since” or “round”, not both."))
        return cleaned

    def params(self, today=None):
        """The validated parameters (call after is_valid())."""
        cleaned = self.cleaned_data
        return Params(
            lang=cleaned.get("lang") or "en",
            audience=cleaned.get("audience") or SHARED,
            since=cleaned.get("since"),
            round=cleaned.get("round"),
            today=today or timezone.localdate(),
        )


@dataclasses.dataclass(frozen=True)
class Params:
    lang: str = "en"
    audience: str = SHARED
    since: datetime.date | None = None
    round: Round | None = None
    today: datetime.date | None = None

    def query_string(self):
        """The canonical query of the report (its links, its fingerprint)."""
        query = [("lang", self.lang)]
        if self.audience != SHARED:
            query.append(("audience", self.audience))
        if self.since:
            query.append(("since", self.since.isoformat()))
        if self.round:
            query.append(("round", str(self.round.number)))
        return urlencode(query)


# --- what a provider is given --------------------------------------------------------------


class Scope:
    """What a section provider reads: the report's day, where the catalogue changes
    start, the language and the audience; the pathways measured once for every section
    that needs them."""

    def __init__(self, params):
        self.today = params.today or timezone.localdate()
        self.lang = params.lang
        self.audience = params.audience
        self.round = params.round or (None if params.since else _last_round(self.today))
        # The day the catalogue changes start: the one given, the round's first day, by
        # default the first day of the last round held; None: every change recorded.
        self.since = params.since or (self.round.starts_on if self.round else None)

    @cached_property
    def pathways(self):
        """[(pathway, Measure)] in key order: three queries whatever their number."""
        pathways = list(pathways_measured())
        return [(p, measure(p, self.today)) for p in pathways]


def _last_round(today):
    return Round.objects.filter(starts_on__lte=today).order_by("-starts_on", "-number").first()


# --- the columns -------------------------------------------------------------------------

# Every column of every section: (code, label). A code means the same in every section,
# so the CSV, which holds all sections in one table, has one column per code.
COLUMNS = {
    "pathway": gettext_lazy("Pathway"),
    "species": gettext_lazy("Species"),
    "processing_form": gettext_lazy("Processing form"),
    "zone": gettext_lazy("Zone"),
    "progress": gettext_lazy("Progress"),
    "current_stage": gettext_lazy("Current stage"),
    "overdue_milestones": gettext_lazy("Overdue milestones"),
    "blocking_mappings": gettext_lazy("Blocking mappings"),
    "stage": gettext_lazy("Stage"),
    "milestone_status": gettext_lazy("Status"),
    "owner_side": gettext_lazy("Owner"),
    "responsible_body": gettext_lazy("Responsible body"),
    "baseline_date": gettext_lazy("Baseline date"),
    "target_date": gettext_lazy("Target date"),
    "actual_date": gettext_lazy("Actual date"),
    "dates_note": gettext_lazy("dates as given by the source"),  # the model field's name
    "days_in_stage": gettext_lazy("Time in stage"),
    "overdue": gettext_lazy("Overdue"),
    "evidence": gettext_lazy("Evidence"),
    "citation": gettext_lazy("Official citation"),
    "slip_reason": gettext_lazy("Slip reason"),
    "key": gettext_lazy("Key"),
    "title": gettext_lazy("Subject"),
    "topic": gettext_lazy("Topic"),
    "mapping_status": gettext_lazy("Negotiation status"),
    "alignment": gettext_lazy("Alignment"),
    "responsible_side": gettext_lazy("Responsible side"),
    # The export catalogue, the establishment register and the site visits.
    "product": gettext_lazy("Product"),
    "hs_code": gettext_lazy("HS code"),
    "change": gettext_lazy("Change"),
    "old": gettext_lazy("Before"),
    "new": gettext_lazy("After"),
    "changed_on": gettext_lazy("Changed on"),
    "revision": gettext_lazy("Revision"),
    "legal_basis": gettext_lazy("Legal basis"),
    "establishment": gettext_lazy("Establishment"),
    "approval_number": gettext_lazy("Kazakh approval number"),
    "registration_number": gettext_lazy("China registration number"),
    "region": gettext_lazy("Region"),
    "listed_on": gettext_lazy("Listing date"),
    "expires_on": gettext_lazy("Expiry date"),
    "renewal_due_from": gettext_lazy("Renewal due from"),
    "renewal_due_by": gettext_lazy("Renewal due by"),
    "renewal_state": gettext_lazy("Renewal"),
    "establishment_status": gettext_lazy("Register status"),
    "visit": gettext_lazy("Visit"),
    "finding": gettext_lazy("Finding"),
    "grade": gettext_lazy("Grade"),
    "concerns": gettext_lazy("Clauses or mappings concerned"),
    "action": gettext_lazy("Corrective action"),
    "action_owner": gettext_lazy("Action owner"),
    "deadline": gettext_lazy("Deadline"),
    "action_status": gettext_lazy("Action status"),
    "source": gettext_lazy("Source"),
    "confidence": gettext_lazy("Source confidence"),
}
# Columns holding the records' own text, written in English (their `lang` in HTML).
ENGLISH_COLUMNS = frozenset(
    {
        "pathway",
        "zone",
        "responsible_body",
        "dates_note",
        "evidence",
        "citation",
        "slip_reason",
        "source",
    }
)
# The columns of the spreadsheets around the sections' own.
SECTION_COLUMN = ("section", gettext_lazy("Section"))
NOTE_COLUMN = ("note", gettext_lazy("Note"))
REPORT_COLUMNS = (
    ("report_fingerprint", gettext_lazy("Report fingerprint")),
    ("report_date", gettext_lazy("Report date")),
)


@dataclasses.dataclass(frozen=True)
class Section:
    """One section of the report (see the module): `provide(scope)` gives its rows."""

    key: str
    title: Promise
    columns: tuple
    provide: Callable
    empty: Promise
    intro: Promise | str = ""
    figure: Callable | None = None  # figure(scope) -> SVG markup, drawn above the table


# --- the providers ---------------------------------------------------------------------


def _day(value):
    return value.isoformat() if value else ""


def pathways(scope):
    """One row per pathway: its product line, progress, current stage, what is overdue
    and how many mappings still block it."""
    return [
        {
            "pathway": pathway.title,
            "species": pathway.get_species_display(),
            "processing_form": pathway.get_processing_form_display(),
            "zone": pathway.zone,
            "progress": _("%(done)s of %(total)s stages done")
            % {"done": figures.done, "total": figures.total},
            "current_stage": str(figures.current_label) or _("Last stage reached"),
            "overdue_milestones": "; ".join(m.get_stage_display() for m in figures.overdue),
            "blocking_mappings": str(len(figures.blocking)),
            "source": pathway.source,
            "confidence": pathway.get_confidence_display(),
        }
        for pathway, figures in scope.pathways
    ]


def milestones(scope):
    """The milestone timeline as a table: one row per recorded milestone, in stage order."""
    rows = []
    for pathway, figures in scope.pathways:
        for milestone, days, overdue in figures.rows:
            rows.append(
                {
                    "pathway": pathway.title,
                    "stage": milestone.get_stage_display(),
                    "milestone_status": milestone.get_status_display(),
                    "owner_side": milestone.get_owner_side_display(),
                    "responsible_body": milestone.responsible_body,
                    "baseline_date": _day(milestone.baseline_date),
                    "target_date": _day(milestone.target_date),
                    "actual_date": _day(milestone.actual_date),
                    "dates_note": milestone.dates_note,
                    "days_in_stage": "" if days is None else str(days),
                    "overdue": _("Overdue") if overdue else "",
                    "evidence": milestone.evidence,
                    "citation": milestone.citation,
                    "slip_reason": milestone.slip_reason,
                    "source": milestone.source,
                    "confidence": milestone.get_confidence_display(),
                }
            )
    return rows


def timeline_figure(scope):
    """The dashboard's milestone timeline, without links: the same SVG in HTML and PDF."""
    if not scope.pathways:
        return ""
    return timeline_svg(
        [p for p, _m in scope.pathways],
        scope.today,
        links=False,
        chart_id="report-pathway-timeline",
    )


def _subject(mapping, language):
    shown = translated(mapping, "title", language)
    return shown.text + (WORKING_MARK if shown.status == WORKING else "")


def pathway_gaps(scope):
    """The clause gaps each pathway still depends on: its linked mappings not yet settled
    (agreed, harmonized or no action needed), as standards/pathways.py counts them."""
    return [
        {
            "pathway": pathway.title,
            "key": mapping.key,
            "title": _subject(mapping, scope.lang),
            "topic": mapping.get_topic_display(),
            "mapping_status": mapping.get_status_display(),
            "alignment": mapping.get_alignment_display(),
            "responsible_side": mapping.get_responsible_side_display(),
            "target_date": _day(mapping.target_date),
        }
        for pathway, figures in scope.pathways
        for mapping in figures.blocking
    ]


# The day "every change recorded" starts from, for the catalogue's revision record.
EVERY_CHANGE = datetime.date(1900, 1, 1)


def catalogue_changes(scope):
    """The export catalogue's revisions since `scope.since` (None: every revision), from
    its revision record (standards.catalogue.changes_since): one row per field changed,
    old and new, or one row for an entry new in the period."""
    rows = []
    for change in catalogue_changes_since(scope.since or EVERY_CHANGE):
        entry = change.entry
        common = {
            "product": entry.product,
            "hs_code": entry.hs_code,
            "changed_on": _day(change.revised_on),
            "revision": change.revision_code,
            "legal_basis": "; ".join(t for t in (entry.protocol, entry.announcement) if t),
            "source": entry.source,
            "confidence": entry.get_confidence_display(),
        }
        if change.new:
            rows.append(
                {**common, "change": _("entered in the portal"), "new": entry.get_status_display()}
            )
            continue
        for _field, name, old, new in change.fields:
            rows.append({**common, "change": str(name), "old": str(old), "new": str(new)})
    return rows


def renewals_due(scope):
    """The registered establishments whose renewal falls due by `scope.today`, from the
    register's renewals_due (standards.establishments): the window (3 to 6 months before
    expiry) is open, or passed with no renewal filed."""
    return [
        {
            "establishment": due.name,
            "approval_number": due.kz_approval_number,
            "registration_number": due.cn_registration_number,
            "region": due.region_label,
            "listed_on": _day(due.listing_date),
            "expires_on": _day(due.expires_on),
            "renewal_due_from": _day(due.opens_on),
            "renewal_due_by": _day(due.closes_on),
            "renewal_state": due.state_label,
            "establishment_status": due.status_label,
            "source": due.source,
            "confidence": due.confidence_label,
        }
        for due in register_renewals_due(scope.today)
    ]


def findings_and_actions(scope):
    """The corrective actions of the site visits neither done nor verified, with their
    findings (standards.visits.unfinished_actions): one row per action."""
    return [
        {
            "visit": action.visit_title,
            "finding": action.finding,
            "grade": action.severity_label,
            "concerns": ", ".join(action.concerns),
            "action": action.action,
            "action_owner": action.owner,
            "deadline": _day(action.deadline),
            "action_status": action.status_label,
            "overdue": _("Overdue") if action.overdue else "",
            "source": action.source,
            "confidence": action.confidence_label,
        }
        for action in unfinished_actions(scope.today)
    ]


SECTIONS = [
    Section(
        key="pathways",
        title=gettext_lazy("Pathways"),
        columns=(
            "pathway",
            "species",
            "processing_form",
            "zone",
            "progress",
            "current_stage",
            "overdue_milestones",
            "blocking_mappings",
            "source",
            "confidence",
        ),
        provide=pathways,
        empty=gettext_lazy("No pathways are recorded yet."),
        figure=timeline_figure,
    ),
    Section(
        key="milestones",
        title=gettext_lazy("Milestones"),
        columns=(
            "pathway",
            "stage",
            "milestone_status",
            "owner_side",
            "responsible_body",
            "baseline_date",
            "target_date",
            "actual_date",
            "dates_note",
            "days_in_stage",
            "overdue",
            "evidence",
            "citation",
            "slip_reason",
            "source",
            "confidence",
        ),
        provide=milestones,
        intro=gettext_lazy(
            "Stages the sources say nothing of are not recorded. Time in a stage runs from "
            "the actual date of the stage before it; it is not computed where a date is "
            "known only to the month."
        ),
        empty=gettext_lazy("No milestones are recorded yet."),
    ),
    Section(
        key="catalogue_changes",
        title=gettext_lazy("Export catalogue: changes"),
        columns=(
            "product",
            "hs_code",
            "change",
            "old",
            "new",
            "changed_on",
            "revision",
            "legal_basis",
            "source",
            "confidence",
        ),
        provide=catalogue_changes,
        empty=gettext_lazy("The export catalogue records no change in this period."),
    ),
    Section(
        key="renewals_due",
        title=gettext_lazy("Establishments due for renewal"),
        columns=(
            "establishment",
            "approval_number",
            "registration_number",
            "region",
            "listed_on",
            "expires_on",
            "renewal_due_from",
            "renewal_due_by",
            "renewal_state",
            "establishment_status",
            "source",
            "confidence",
        ),
        provide=renewals_due,
        empty=gettext_lazy("No registered establishment is due for renewal."),
    ),
    Section(
        key="findings_actions",
        title=gettext_lazy("Open findings and corrective actions"),
        columns=(
            "visit",
            "finding",
            "grade",
            "concerns",
            "action",
            "action_owner",
            "deadline",
            "action_status",
            "overdue",
            "source",
            "confidence",
        ),
        provide=findings_and_actions,
        empty=gettext_lazy("No finding of a site visit is open."),
    ),
    Section(
        key="pathway_gaps",
        title=gettext_lazy("Clause gaps each pathway depends on"),
        columns=(
            "pathway",
            "key",
            "title",
            "topic",
            "mapping_status",
            "alignment",
            "responsible_side",
            "target_date",
        ),
        provide=pathway_gaps,
        intro=gettext_lazy(
            "The mappings linked to each pathway that are not yet agreed, harmonized or "
            "closed with no action needed."
        ),
        empty=gettext_lazy("No pathway depends on a mapping still open."),
    ),
]


# --- the report ------------------------------------------------------------------------


@dataclasses.dataclass
class Filled:
    """A section with its rows, for every rendering."""

    number: int
    key: str
    title: str
    columns: list  # [(code, label, english)]
    rows: list  # [[text in column order]]
    message: str  # the empty state: "" when there are rows
    intro: str
    figure: str

    @property
    def codes(self):
        return [code for code, _label, _english in self.columns]

    @property
    def cells(self):
        """The rows as [(text, written in English)] for the HTML and PDF tables."""
        english = [flag for _code, _label, flag in self.columns]
        return [list(zip(row, english, strict=True)) for row in self.rows]


def _label(code):
    return capfirst(str(COLUMNS[code]))


def _fill(number, section, scope):
    rows = [
        [str(row.get(code, "") or "") for code in section.columns] for row in section.provide(scope)
    ]
    message = "" if rows else str(section.empty)
    return Filled(
        number=number,
        key=section.key,
        title=str(section.title),
        columns=[(code, _label(code), code in ENGLISH_COLUMNS) for code in section.columns],
        rows=rows,
        message=message,
        intro=str(section.intro),
        figure=section.figure(scope) if section.figure and rows else "",
    )


def fingerprint(query, scope, sections):
    """SHA-256 over the parameters, the day, where the catalogue changes start (a default
    round included) and every row of every section, in a canonical JSON form."""
    records = {
        "query": query,
        "today": scope.today.isoformat(),
        "since": [_day(scope.since), scope.round.number if scope.round else None],
        "sections": [[s.key, s.codes, s.rows] for s in sections],
    }
    canonical = json.dumps(records, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _since_words(scope):
    if scope.since is None:
        return _("every change recorded")
    if scope.round is not None:
        return _("%(day)s (round %(number)s: %(title)s)") % {
            "day": scope.since.isoformat(),
            "number": scope.round.number,
            "title": scope.round.title,
        }
    return scope.since.isoformat()


def build(params):
    """Everything the renderings show, in the active language (call under
    translation.override(params.lang))."""
    scope = Scope(params)
    sections = [_fill(n, section, scope) for n, section in enumerate(SECTIONS, start=1)]
    query = params.query_string()
    # The report describes one day; the PDF's dates are that day's start, not the clock.
    as_of = timezone.make_aware(datetime.datetime.combine(scope.today, datetime.time.min))
    return {
        "title": str(TITLE),
        "sections": sections,
        "today": scope.today,
        "as_of": as_of,
        "since_words": _since_words(scope),
        "fingerprint": fingerprint(query, scope, sections),
        "query": query,
        "lang": params.lang,
        "audience": params.audience,
        "classification": str(AUDIENCES[params.audience]),
        "portal_name": settings.PORTAL_NAME,
    }


# --- the files -------------------------------------------------------------------------


def produce(params, fmt):
    """One format of the report: (bytes, fingerprint), in the report's language."""
    if fmt == "pdf":
        render_process.start()  # it sets up while the report is gathered
    with language_override(params.lang):
        report = build(params)
        content = {"pdf": to_pdf, "csv": to_csv, "xlsx": to_xlsx}[fmt](report)
    return content, report["fingerprint"]


def to_pdf(report):
    from standards.reports.render import render_pdf

    html = render_to_string("reports/market_access_pdf.html", report)
    return render_pdf(html, identifier=report["fingerprint"][:32].encode())


def _report_cells(report):
    return [report["fingerprint"], report["today"].isoformat()]


def csv_table(report):
    """(header, codes, rows) of the CSV: all sections in one table, a section column
    first, one column per code of any section, then the note (a section's empty state)
    and the report's fingerprint and day on every row."""
    codes, labels = [SECTION_COLUMN[0]], [str(SECTION_COLUMN[1])]
    for section in report["sections"]:
        for code, label, _english in section.columns:
            if code not in codes:
                codes.append(code)
                labels.append(label)
    for code, label in (NOTE_COLUMN, *REPORT_COLUMNS):
        codes.append(code)
        labels.append(str(label))
    rows = []
    for section in report["sections"]:
        name = f"{section.number}. {section.title}"
        found = [dict(zip(section.codes, row, strict=True)) for row in section.rows]
        if not found:
            found = [{NOTE_COLUMN[0]: section.message}]
        for record in found:
            record.update(zip((c for c, _l in REPORT_COLUMNS), _report_cells(report), strict=True))
            rows.append([name, *(record.get(code, "") for code in codes[1:])])
    return labels, codes, rows


def to_csv(report):
    header, codes, rows = csv_table(report)
    return write_csv(header, [codes, *rows])


def _sheet(report, section):
    """A section's sheet: column names, their codes, then its rows or its empty state."""
    header = [label for _code, label, _english in section.columns]
    header += [str(label) for _code, label in REPORT_COLUMNS]
    codes = [*section.codes, *(code for code, _label in REPORT_COLUMNS)]
    rows = [[*row, *_report_cells(report)] for row in section.rows] or [[section.message]]
    title = sheet_name(f"{section.number} {section.title}")
    return title, [header, codes, *rows], 2


def about(report):
    return [
        [_("Field"), _("Value"), _("Code")],
        [_("Report"), report["title"], "title"],
        [_("Report fingerprint"), report["fingerprint"], "fingerprint"],
        [_("Report date"), report["today"].isoformat(), "report_date"],
        [_("Language"), report["lang"], "lang"],
        [_("Classification"), report["classification"], "audience"],
        [_("Catalogue changes since"), report["since_words"], "since"],
        [_("Selection"), report["query"], "selection"],
        [
            _("How to read the table"),
            _(
                "Row 1 names the columns in the report's language; row 2 gives their "
                "stable codes, which programs should read instead."
            ),
            "header_rows",
        ],
    ]


def to_xlsx(report):
    """One sheet per section (column names and codes frozen), and what the report is on
    a last sheet."""
    first, *others = [_sheet(report, section) for section in report["sections"]]
    stamp = report["as_of"].replace(tzinfo=None)
    title, (header, *rows), frozen = first
    return write_xlsx(
        header,
        rows,
        title=title,
        frozen_rows=frozen,
        widths=True,
        sheets=[*others, (_("About this report"), about(report))],
        properties={
            "created": stamp,
            "modified": stamp,
            "creator": settings.PORTAL_NAME,
            "title": report["title"],
            "keywords": f"fingerprint:{report['fingerprint']}",
        },
    )
