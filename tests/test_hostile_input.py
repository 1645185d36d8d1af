"""Hostile input: markup, template syntax, bidi and zero-width characters, astral-plane
characters, control characters, a 10,000-character value and NUL bytes in every text field.

1. Storage: through the model a value is stored exactly where the database can hold it;
   through the real forms (admin add and change forms, the portal's note form) it is
   stored exactly, or refused with a field error (4xx/200, never a 5xx) and nothing is
   written.
2. Rendering: every page that shows a field shows it escaped (no markup of ours becomes an
   element or an attribute, template syntax stays text, the secret key never appears) and
   intact (the exact text is in the page), and so do the PDF, CSV and XLSX reports.
"""

import csv
import datetime
import io
import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.db import DataError, connection, transaction
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from standards.models import Clause, ClauseMapping, Limit, NegotiationNote, Parameter, Standard
from tests.factories import make_clause, make_limit, make_mapping, make_parameter, make_standard

pytestmark = pytest.mark.django_db

SECRET = "hostile-input-secret-0c9e1f5b7a"  # the SECRET_KEY while these tests run

SCRIPT = "<script>alert('xss')</script>"
EVENT_HANDLER = '"><img src=x onerror=alert(1)>'
JAVASCRIPT_URL = "javascript:alert(document.cookie)"
TEMPLATE_VARIABLE = "{{ settings.SECRET_KEY }}"
TEMPLATE_TAG = "{% debug %}"
RTL_OVERRIDE = "\u202eexe.gpj\u202c"  # shows as "jpg.exe"
ZERO_WIDTH = "zero\u200bwidth\ufeffbom"
ASTRAL = "𠮷 🥩"
CONTROL = "vt\x0bff\x0cesc\x1bdel\x7fend"  # pasted from Word or a PDF
LONG = ("<b>𠮷</b>{{ x }}" * 700)[:10_000]
NUL = "before\x00after"

CORPUS = {
    "script": SCRIPT,
    "event_handler": EVENT_HANDLER,
    "javascript_url": JAVASCRIPT_URL,
    "template_variable": TEMPLATE_VARIABLE,
    "template_tag": TEMPLATE_TAG,
    "rtl_override": RTL_OVERRIDE,
    "zero_width": ZERO_WIDTH,
    "astral": ASTRAL,
    "control": CONTROL,
    "long": LONG,
    "nul": NUL,
}

# One value with every visible kind of hostile text, and shorter ones for short fields.
PAYLOAD = (
    f"{SCRIPT} {EVENT_HANDLER} {JAVASCRIPT_URL} {TEMPLATE_VARIABLE} {TEMPLATE_TAG} "
    f"{RTL_OVERRIDE} {ZERO_WIDTH} {ASTRAL}"
)
MEDIUM = f"{SCRIPT} {EVENT_HANDLER} {TEMPLATE_VARIABLE} 𠮷"
SHORT = f"{EVENT_HANDLER}𠮷"
TINY = "<svg onload=alert(1)>𠮷"
# Pieces of the payload that must be legible in the PDF text (white space removed).
PDF_PIECES = [SCRIPT, "onerror=alert(1)>", "{{settings.SECRET_KEY}}", "{%debug%}", "𠮷"]


def hostile(tag, max_length=None):
    """The longest hostile value that fits the field, marked with the field's tag."""
    for payload in (PAYLOAD, MEDIUM, SHORT, TINY):
        value = f"[{tag}] {payload}"
        if max_length is None or len(value) <= max_length:
            return value
    raise AssertionError(f"no hostile value fits {max_length} characters")


def max_length(model, field):
    return model._meta.get_field(field).max_length


# --- reading pages -----------------------------------------------------------------------


class Page(HTMLParser):
    """The elements, attributes and text of an HTML page, as a browser would see them."""

    URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "data")

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.texts, self.attribute_values, self.scripts, self.problems = [], [], [], []
        self._in_script = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if value is None:
                continue
            self.attribute_values.append(value)
            url = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name in self.URL_ATTRIBUTES and url.startswith(("javascript:", "vbscript:")):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.problems.append(f"<img {attrs!r}>")
        self._in_script = tag == "script"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.texts).append(data)

    def shows(self, value):
        """Whether `value` is shown as it is: in a text node or an attribute's value."""
        return any(value in text for text in self.texts) or any(
            value in attribute for attribute in self.attribute_values
        )


def assert_safe_html(html):
    """None of the hostile markup became markup, and template syntax was not evaluated."""
    page = Page(html)
    assert page.problems == [], page.problems
    assert not [s for s in page.scripts if "alert" in s or "SECRET" in s], page.scripts
    for raw in (SCRIPT, EVENT_HANDLER, "<img src=x", "<img/src=x", TINY[:12]):
        assert raw not in html, raw
    assert SECRET not in html
    return page


def pdf_text(content):
    """The PDF's text without white space. pypdf decodes the fonts WeasyPrint writes with a
    custom encoding as two-byte codes, a NUL before each letter (poppler's pdftotext reads
    them right): those NULs are an artefact of the extraction and dropped. Ligatures (fi)
    come out garbled the same way, so no tag below contains one."""
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\x00]+", "", text)


def squeeze(text):
    return re.sub(r"\s+", "", text)


@pytest.fixture(autouse=True)
def _distinctive_secret_key(settings):
    settings.SECRET_KEY = SECRET


# --- the world: every text field hostile, saved through the models ---------------------

# (model, field, tag, pages that show it). Page names are keys of PAGES, plus "pdf", "csv"
# and "xlsx"; "admin:<model>:changelist" and "admin:<model>:change" are the admin pages.
ADMIN_STANDARD = ("admin:standard:change",)
ADMIN_CLAUSE = ("admin:clause:change",)
ADMIN_MAPPING = ("admin:clausemapping:change",)
ADMIN_NOTE = ("admin:negotiationnote:change",)
ADMIN_LIMIT = ("admin:limit:change", "admin:clause:change")
ADMIN_PARAMETER = ("admin:parameter:changelist", "admin:parameter:change")
PAIRS = ("pair", "pair_ru", "pair_zh")
REPORTS = ("report_html", "report_html_q", "pdf")
LISTED_MAPPING = (
    *("dashboard", "compare", "compare_q", *PAIRS, "search", "consistency", *REPORTS),
    *("csv", "xlsx", "admin:clausemapping:changelist", "admin:negotiationnote:changelist"),
    *ADMIN_NOTE,
)
LIMIT_FIGURE = (
    *("compare", "compare_q", *PAIRS, "standard_detail", *REPORTS, "csv", "xlsx"),
    *("admin:limit:changelist", *ADMIN_LIMIT),
)
FIELDS = [
    (Standard, "code", "S.code", (
        "compare", "compare_q", *PAIRS, "standard_list", "standard_detail", "search",
        *REPORTS, "csv", "xlsx", "admin:standard:changelist", *ADMIN_STANDARD,
        "admin:clause:changelist", *ADMIN_CLAUSE, "admin:limit:changelist", *ADMIN_LIMIT,
        *ADMIN_MAPPING,
    )),
    (Standard, "title_en", "S.title_en", (
        "standard_list", "standard_detail", *REPORTS, "admin:standard:changelist",
        *ADMIN_STANDARD,
    )),
    (Standard, "title_original", "S.title_original", (
        "standard_list", "standard_detail", *REPORTS, *ADMIN_STANDARD,
    )),
    (Standard, "issuing_body", "S.issuing_body", ("standard_detail", *ADMIN_STANDARD)),
    (Standard, "edition", "S.edition", ("standard_detail", *REPORTS, *ADMIN_STANDARD)),
    (Standard, "status_note", "S.status_note", ("standard_detail", *ADMIN_STANDARD)),
    (Standard, "dates_note", "S.dates_note", ("standard_detail", *ADMIN_STANDARD)),
    (Standard, "scope_note", "S.scope_note", ADMIN_STANDARD),
    # Where the team read a copy: editors only, never in a shared report.
    (Standard, "source", "S.source", ("pair_zh", *ADMIN_STANDARD)),
    (Standard, "official_publisher", "S.publisher", (
        "standard_detail", *PAIRS, *REPORTS, *ADMIN_STANDARD,
    )),
    (Clause, "reference", "C.reference", (
        "compare", "compare_q", *PAIRS, "standard_detail", "search", *REPORTS, "csv", "xlsx",
        "admin:clause:changelist", *ADMIN_CLAUSE, "admin:limit:changelist", *ADMIN_LIMIT,
        *ADMIN_MAPPING, *ADMIN_STANDARD,
    )),
    (Clause, "heading", "C.heading", (
        *PAIRS, "standard_detail", "search", "admin:clause:changelist", *ADMIN_CLAUSE,
        *ADMIN_STANDARD,
    )),
    (Clause, "text_en", "C.text_en", (
        "compare", "compare_q", *PAIRS, "standard_detail", "search", *REPORTS, "csv", "xlsx",
        *ADMIN_CLAUSE,
    )),
    (Clause, "text_original", "C.text_original", (
        "compare", "compare_q", *PAIRS, "standard_detail", "search", *REPORTS, "csv", "xlsx",
        *ADMIN_CLAUSE,
    )),
    (Clause, "citation", "C.citation", ("pair_zh", *ADMIN_CLAUSE)),  # provenance: editors
    (ClauseMapping, "key", "M.key", (*LISTED_MAPPING, "standard_detail", *ADMIN_MAPPING)),
    (ClauseMapping, "title", "M.title", (*LISTED_MAPPING, *ADMIN_MAPPING)),
    (ClauseMapping, "rationale", "M.rationale", (
        "compare", "compare_q", *PAIRS, *REPORTS, "csv", "xlsx", *ADMIN_MAPPING,
    )),
    (ClauseMapping, "proposed_action", "M.proposed_action", (
        *PAIRS, *REPORTS, "csv", "xlsx", *ADMIN_MAPPING,
    )),
    (ClauseMapping, "notes", "M.notes", (*PAIRS, *ADMIN_MAPPING)),
    (ClauseMapping, "kz_evidence_note", "M.kz_ev", (*PAIRS, *ADMIN_MAPPING)),
    (ClauseMapping, "cn_evidence_note", "M.cn_ev", (*PAIRS, *ADMIN_MAPPING)),
    (Limit, "unit", "L.u", LIMIT_FIGURE),
    (Limit, "basis", "L.basis", LIMIT_FIGURE),
    (Limit, "qualifier", "L.qual", LIMIT_FIGURE),
    (Limit, "matrix", "L.matrix", ("compare", "compare_q", *PAIRS, "consistency", *ADMIN_LIMIT)),
    (Limit, "note", "L.note", ADMIN_LIMIT),
    (Limit, "evidence_note", "L.ev", ADMIN_LIMIT),
    # The comparison's reasons name a parameter by its name, never by its key.
    (Parameter, "key", "P.key", ADMIN_PARAMETER),
    (Parameter, "name_en", "P.name_en", (
        "compare", "compare_q", "pair", "standard_detail", *REPORTS, *ADMIN_PARAMETER,
        "admin:limit:changelist", *ADMIN_LIMIT,
    )),
    (Parameter, "name_ru", "P.name_ru", ("pair_ru", *ADMIN_PARAMETER)),
    (Parameter, "name_zh", "P.name_zh", ("pair_zh", *ADMIN_PARAMETER)),
    (Parameter, "unit", "P.u", ADMIN_PARAMETER),
    (Parameter, "family", "P.family", ("admin:parameter:change",)),
    (NegotiationNote, "meeting", "N.meeting", (
        *PAIRS, *REPORTS, "admin:negotiationnote:changelist", "admin:negotiationnote:change",
    )),
    (NegotiationNote, "text", "N.text", (*PAIRS, *REPORTS, "admin:negotiationnote:change")),
]  # fmt: skip

SOURCE_URL = 'https://example.org/𠮷?q="><img/src=x/onerror=alert(1)>&t={{settings.SECRET_KEY}}'


def values():
    """{(model, field): hostile value} for every field of FIELDS."""
    return {
        (model, field): hostile(tag, max_length(model, field))
        for model, field, tag, _pages in FIELDS
    }


@pytest.fixture
def world(negotiator):
    """A mapping whose every text field, and every text field of its clauses, documents,
    limits, parameters and notes, is hostile; saved through the models."""
    v = values()

    def of(model):
        return {field: value for (m, field), value in v.items() if m is model}

    parameter = make_parameter(**of(Parameter))
    lead = make_parameter(key="lead", name_en="Lead", unit="mg/kg")
    standard = make_standard(
        key="hostile-standard",
        title_language="ru",
        source_url=SOURCE_URL,
        status="superseded",
        **of(Standard),
    )
    kz = make_clause(
        standard,
        original_language="ru",
        source_url=SOURCE_URL,
        **of(Clause),
    )
    cn = make_clause(make_standard(jurisdiction="cn"), text_en="Lead at most 0.1 mg/kg.")
    limit = make_limit(kz, parameter, **of(Limit))
    make_limit(kz, lead, value="0.5", unit="mg/kg")
    make_limit(cn, lead, value="0.1", unit="mg/kg")
    make_limit(cn, parameter, value="1", unit="mg/kg", matrix="meat")
    mapping = make_mapping(kz=[kz], cn=[cn], alignment="kz_stricter", **of(ClauseMapping))
    note = NegotiationNote.objects.create(
        mapping=mapping,
        side="kz",
        date=datetime.date(2026, 11, 20),
        author=negotiator,
        visibility="shared",
        **of(NegotiationNote),
    )
    objects = {
        Standard: standard,
        Clause: kz,
        ClauseMapping: mapping,
        Limit: limit,
        Parameter: parameter,
        NegotiationNote: note,
    }
    return {"objects": objects, "values": v}


def _admin(model, view):
    def url(w):
        name = f"admin:standards_{model._meta.model_name}_{view}"
        if view == "changelist":
            return reverse(name)
        return reverse(name, args=[w["objects"][model].pk])

    return url


def _mapping_url(w):
    return w["objects"][ClauseMapping].get_absolute_url()


# page name -> (role, url of the page, Accept-Language)
PAGES = {
    "dashboard": ("regulator", lambda w: reverse("standards:home"), "en"),
    "compare": ("regulator", lambda w: reverse("standards:compare"), "en"),
    "compare_q": (
        "regulator",
        lambda w: reverse("standards:compare") + "?" + urlencode({"q": PAYLOAD}),
        "en",
    ),
    "pair": ("negotiator", _mapping_url, "en"),
    "pair_ru": ("regulator", _mapping_url, "ru"),
    "pair_zh": ("editor", _mapping_url, "zh-hans"),
    "standard_list": ("regulator", lambda w: reverse("standards:standard-list"), "en"),
    "standard_detail": (
        "regulator",
        lambda w: w["objects"][Standard].get_absolute_url(),
        "en",
    ),
    "search": (
        "regulator",
        lambda w: reverse("standards:search") + "?" + urlencode({"q": PAYLOAD}),
        "en",
    ),
    "consistency": ("editor", lambda w: reverse("standards:consistency"), "en"),
    "report_html": (
        "regulator",
        lambda w: reverse("standards:report-html") + "?gaps=0&originals=on&notes=on",
        "en",
    ),
    "report_html_q": (
        "negotiator",
        lambda w: (
            reverse("standards:report-html")
            + "?"
            + urlencode({"gaps": "0", "originals": "on", "notes": "on", "q": PAYLOAD})
        ),
        "en",
    ),
    **{
        f"admin:{model._meta.model_name}:{view}": ("editor", _admin(model, view), "en")
        for model in (Standard, Clause, ClauseMapping, Limit, Parameter, NegotiationNote)
        for view in ("changelist", "change")
    },
}

# Pages that echo a hostile search text as typed, besides the records they show.
ECHO_QUERY = {"compare_q", "search", "report_html_q"}


# Pages with the documents' and clauses' source links (SOURCE_URL).
# Provenance is for editors: the pair page of an editor, the admin.
SOURCE_LINKS = {"pair_zh", "admin:standard:change", "admin:clause:change"}


def _fields_on(page):
    return [(m, f) for m, f, _t, pages in FIELDS if page in pages]


def test_every_page_of_the_table_exists_and_is_checked():
    named = {page for _m, _f, _t, pages in FIELDS for page in pages}
    assert named - {"pdf", "csv", "xlsx"} == set(PAGES)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_hostile_text_is_escaped_and_intact_on_every_page(
    client_for, world, regulator, negotiator, editor, page
):
    role, url, language = PAGES[page]
    users = {"regulator": regulator, "negotiator": negotiator, "editor": editor}
    response = client_for(users[role]).get(url(world), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, page
    parsed = assert_safe_html(response.text)
    expected = _fields_on(page)
    assert expected
    missing = [f"{m.__name__}.{f}" for m, f in expected if not parsed.shows(world["values"][m, f])]
    assert missing == [], f"{page} does not show {missing} intact"
    if page in ECHO_QUERY:
        assert parsed.shows(PAYLOAD), "the search text is shown as typed"
    if page in SOURCE_LINKS:
        # An https URL with markup in it stays one attribute value, whole.
        assert SOURCE_URL in parsed.attribute_values


def visible(value):
    """The text a reader sees: without zero-width characters, the right-to-left override
    applied, and without the emoji the PDF fonts have no glyph for."""
    return (
        value.replace(RTL_OVERRIDE, "jpg.exe")
        .replace("\u200b", "")
        .replace("\ufeff", "")
        .replace("🥩", "")
    )


def test_pdf_report_shows_hostile_text_as_text(client_for, negotiator, world):
    response = client_for(negotiator).get(
        reverse("standards:report-pdf") + "?gaps=0&originals=on&notes=on&lang=en"
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    # Markup and template syntax are printed, not interpreted or evaluated.
    for piece in [*PDF_PIECES, JAVASCRIPT_URL, "jpg.exe", "zerowidthbom"]:
        assert squeeze(piece) in text, piece
    assert SECRET not in text
    missing = [
        f"{m.__name__}.{f}"
        for m, f in _fields_on("pdf")
        if squeeze(visible(world["values"][m, f])) not in text
    ]
    assert missing == [], f"the PDF does not show {missing} intact"


def _sheet_record(rows, key):
    """The row of `key`, by column code: row 1 names the columns, row 2 gives codes."""
    _names, header, *records = rows
    matching = [dict(zip(header, row, strict=True)) for row in records if row[0] == key]
    assert len(matching) == 1, [row[0] for row in records]
    return matching[0]


def _expected_cells(world):
    v, objects = world["values"], world["objects"]
    limit = objects[Limit]
    return {
        "key": v[ClauseMapping, "key"],
        "title": v[ClauseMapping, "title"],
        "rationale": v[ClauseMapping, "rationale"],
        "proposed_action": v[ClauseMapping, "proposed_action"],
        "kz_clauses": f"{v[Standard, 'code']} {v[Clause, 'reference']}",
        "kz_text_en": v[Clause, "text_en"],
        "kz_text_original": v[Clause, "text_original"],
        "kz_limits": "; ".join(
            f"{lim.parameter.name_en}: {lim}" for lim in Limit.objects.filter(clause=limit.clause)
        ),
    }


def test_csv_report_keeps_hostile_text_exactly(client_for, negotiator, world):
    response = client_for(negotiator).get(reverse("standards:report-csv") + "?gaps=0")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"  # never sniffed as HTML
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    record = _sheet_record(rows, world["values"][ClauseMapping, "key"])
    expected = _expected_cells(world)
    assert {name: record[name] for name in expected} == expected
    limits = record["kz_limits"]
    for field in ("unit", "basis", "qualifier"):
        assert world["values"][Limit, field] in limits, field


def test_xlsx_report_keeps_hostile_text_exactly_as_text(client_for, negotiator, world):
    response = client_for(negotiator).get(reverse("standards:report-xlsx") + "?gaps=0")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value or "" for cell in row] for row in sheet.iter_rows()]
    record = _sheet_record(rows, world["values"][ClauseMapping, "key"])
    expected = _expected_cells(world)
    assert {name: record[name] for name in expected} == expected
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)


# --- storage through the models ----------------------------------------------------------

TEXT_FIELDS = sorted(
    {(m, f) for m, f, _t, _p in FIELDS}
    | {(Standard, "key"), (Standard, "source_url"), (Clause, "source_url")},
    key=lambda mf: (mf[0].__name__, mf[1]),
)


def _instance(model, negotiator):
    if model is NegotiationNote:
        return NegotiationNote.objects.create(
            mapping=make_mapping(),
            side="cn",
            meeting="Round 1",
            date=datetime.date(2026, 1, 1),
            text="t",
            author=negotiator,
        )
    return {
        Standard: make_standard,
        Clause: make_clause,
        ClauseMapping: make_mapping,
        Limit: make_limit,
        Parameter: make_parameter,
    }[model]()


@pytest.mark.parametrize(
    ("model", "field"), TEXT_FIELDS, ids=[f"{m.__name__}.{f}" for m, f in TEXT_FIELDS]
)
def test_the_model_stores_every_hostile_value_that_fits_exactly(negotiator, model, field):
    obj = _instance(model, negotiator)
    limit = max_length(model, field)
    fitting = {
        name: value
        for name, value in CORPUS.items()
        if name != "nul" and (limit is None or len(value) <= limit)
    }
    assert len(fitting) >= 8  # every kind but NUL (and what is too long for the field)
    for name, value in fitting.items():
        setattr(obj, field, value)
        obj.save()
        stored = model.objects.values_list(field, flat=True).get(pk=obj.pk)
        assert stored == value, name
        if model is Clause and field != "source_url" and field != "citation":
            assert value.casefold() in Clause.objects.get(pk=obj.pk).search_text, name


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", NUL), ("rationale", NUL), ("title", LONG)],
    ids=["nul-charfield", "nul-textfield", "long-charfield"],
)
def test_what_the_database_cannot_hold_is_refused_whole(field, value):
    """A NUL byte (PostgreSQL text cannot hold one) and a value past max_length (PostgreSQL
    enforces it): the database refuses the row and writes nothing. SQLite holds both; the
    forms below refuse them on every database."""
    mapping = make_mapping(**{field: "Before"})
    setattr(mapping, field, value)
    if connection.vendor == "postgresql":
        with pytest.raises(DataError), transaction.atomic():
            mapping.save()
        stored = "Before"
    else:
        mapping.save()
        stored = value
    assert ClauseMapping.objects.values_list(field, flat=True).get(pk=mapping.pk) == stored


# --- storage through the admin forms -----------------------------------------------------

NULL_ERROR = "Null characters are not allowed."
SLUG_ERROR = "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."
URL_ERROR = "Enter a valid URL."


def too_long_error(model, field):
    return (
        f"Ensure this value has at most {max_length(model, field)} characters (it has {len(LONG)})."
    )


# model -> text fields of its admin form, slug fields, URL fields, required values to add
ADMIN_FORMS = {
    Standard: {
        "text": [
            *("code", "title_en", "title_original", "issuing_body", "edition"),
            *("status_note", "dates_note", "scope_note", "source", "official_publisher"),
        ],
        "slug": ["key"],
        "url": ["source_url", "official_url"],
        "add": lambda: {
            "key": "hostile-add",
            "jurisdiction": "kz",
            "kind": "decree",
            "status": "in_force",
            "product_scope": "both",
        },
    },
    Clause: {
        "text": ["reference", "heading", "text_en", "text_original", "citation"],
        "slug": [],
        "url": ["source_url"],
        "add": lambda: {
            "standard": make_standard().pk,
            "topic": "contaminants",
            "confidence": "high",
            "product_scope": "both",
        },
    },
    ClauseMapping: {
        "text": [
            *("title", "rationale", "proposed_action", "notes"),
            *("kz_evidence_note", "cn_evidence_note"),
        ],
        "slug": ["key"],  # the key is part of the pair page's address
        "url": [],
        "add": lambda: {
            "key": "HOSTILE-001",
            "product_group": "chilled",
            "topic": "contaminants",
            "confidence": "medium",
            "alignment": "not_assessed",
            "status": "not_started",
        },
    },
    Limit: {
        "text": ["unit", "basis", "qualifier", "note", "evidence_note"],
        "slug": ["matrix"],
        "url": [],
        "add": lambda: {
            "clause": make_clause().pk,
            "parameter": make_parameter().pk,
            "kind": "maximum",
            "value": "0.5",
            "evidence": "read",
            "position": "0",
        },
    },
    Parameter: {
        "text": ["name_en", "name_ru", "name_zh", "unit"],
        "slug": ["key", "family"],
        "url": [],
        "add": lambda: {"key": "hostile-add"},
    },
}


def admin_form_data(response):
    """An admin form's current values and its inlines', as the browser posts them back."""
    data = {}
    form = response.context["adminform"].form
    bound_forms = [(form, "")]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        bound_forms += [(formset.management_form, "p"), *((f, "p") for f in formset.forms)]
    for bound, prefixed in bound_forms:
        for name in bound.fields:
            value = bound[name].value()
            if value is not None:
                data[bound.add_prefix(name) if prefixed else name] = value
    return data


def _admin_url(model, mode, obj=None):
    name = f"admin:standards_{model._meta.model_name}_{mode}"
    return reverse(name, args=[obj.pk] if obj is not None else [])


def _open_admin_form(client, model, mode, negotiator):
    """(url, data, object or None) of an admin add or change form, opened as the browser
    would; a change form is of a fresh object."""
    obj = _instance(model, negotiator) if mode == "change" else None
    url = _admin_url(model, mode, obj)
    response = client.get(url)
    assert response.status_code == 200
    data = admin_form_data(response)
    if mode == "add":
        data.update(ADMIN_FORMS[model]["add"]())
    return url, data, obj


def _is_text_field(model, field):
    return model._meta.get_field(field).get_internal_type() == "TextField"


ADMIN_CASES = [(model, mode) for model in ADMIN_FORMS for mode in ("add", "change")]


@pytest.mark.parametrize(
    ("model", "mode"), ADMIN_CASES, ids=[f"{m.__name__}-{mode}" for m, mode in ADMIN_CASES]
)
def test_admin_form_stores_hostile_text_exactly(client_for, editor, negotiator, model, mode):
    client = client_for(editor)
    url, data, obj = _open_admin_form(client, model, mode, negotiator)
    given = {
        field: LONG if _is_text_field(model, field) else hostile(field, max_length(model, field))
        for field in ADMIN_FORMS[model]["text"]
    }
    for field in ADMIN_FORMS[model]["url"]:
        given[field] = SOURCE_URL
    response = client.post(url, {**data, **given})
    assert response.status_code == 302, response.context and response.context["errors"]
    saved = obj or model.objects.order_by("-pk").first()
    stored = model.objects.values(*given).get(pk=saved.pk)
    assert stored == given
    # ...and the change form shows it back, escaped and intact.
    page = assert_safe_html(client.get(_admin_url(model, "change", saved)).text)
    assert [field for field, value in given.items() if not page.shows(value)] == []


def _refusal_cases():
    for model, spec in ADMIN_FORMS.items():
        chars = [f for f in spec["text"] if not _is_text_field(model, f)]
        cases = {
            "nul": {f: NUL for f in spec["text"]},
            "too_long": {f: LONG for f in chars},
            "slug": {f: hostile(f, max_length(model, f)) for f in spec["slug"]},
            "url": {f: JAVASCRIPT_URL for f in spec["url"]},
        }
        errors = {
            "nul": lambda m, f: NULL_ERROR,
            "too_long": too_long_error,
            "slug": lambda m, f: SLUG_ERROR,
            "url": lambda m, f: URL_ERROR,
        }
        for case, given in cases.items():
            if given:
                for mode in ("add", "change"):
                    expected = {f: [errors[case](model, f)] for f in given}
                    yield pytest.param(
                        model, mode, given, expected, id=f"{model.__name__}-{mode}-{case}"
                    )


@pytest.mark.parametrize(("model", "mode", "given", "expected"), list(_refusal_cases()))
def test_admin_form_refuses_what_a_field_cannot_hold_and_writes_nothing(
    client_for, editor, negotiator, model, mode, given, expected
):
    client = client_for(editor)
    url, data, obj = _open_admin_form(client, model, mode, negotiator)
    count = model.objects.count()
    before = model.objects.filter(pk=obj.pk).values().get() if obj else None
    history = model.history.count()
    response = client.post(url, {**data, **given})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {field: errors.get(field) for field in given} == expected
    assert_safe_html(response.text)
    assert "errornote" in response.text
    assert model.objects.count() == count and model.history.count() == history
    if obj is not None:
        assert model.objects.filter(pk=obj.pk).values().get() == before


def test_a_mapping_key_with_a_slash_is_refused_and_the_portal_keeps_working(
    client_for, editor, regulator
):
    """A "/" in a key cannot be part of /pairs/<key>/: saved, it made the dashboard, the
    search and the standard pages fail with a 500. Model validation, which the admin form
    runs, now refuses a new or changed key that is not a slug."""
    client = client_for(editor)
    existing = make_mapping(kz=[make_clause()], key="KZCN-001")
    for mode, obj in (("add", None), ("change", existing)):
        url = _admin_url(ClauseMapping, mode, obj)
        data = admin_form_data(client.get(url))
        if mode == "add":
            data.update(ADMIN_FORMS[ClauseMapping]["add"]())
        for key in ("KZCN/002", SCRIPT):
            response = client.post(url, {**data, "key": key, "title": "Slash"})
            assert response.status_code == 200
            assert response.context["adminform"].form.errors["key"] == [SLUG_ERROR]
    assert list(ClauseMapping.objects.values_list("key", flat=True)) == ["KZCN-001"]
    reader = client_for(regulator)
    for url in ("/", reverse("standards:search") + "?q=working", "/compare/"):
        assert reader.get(url).status_code == 200, url


def test_a_mapping_key_with_a_slash_is_refused_by_the_spreadsheet_import(client_for, editor):
    """The spreadsheet import validates each row with the model: the same check."""
    from standards.exchange import CSVFormat, MappingResource, read_upload

    make_mapping(key="KZCN-001")
    header, row = list(
        csv.reader(
            io.StringIO(CSVFormat().export_data(MappingResource().export()).lstrip("\ufeff"))
        )
    )
    row[header.index("key")] = "KZCN/002"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, row])
    dataset = read_upload(buffer.getvalue().encode(), CSVFormat(), MappingResource)
    result = MappingResource(reason="Round 3").import_data(
        dataset, dry_run=False, rollback_on_validation_errors=True
    )
    assert result.has_validation_errors()
    [invalid] = result.invalid_rows
    assert invalid.field_specific_errors == {"key": [SLUG_ERROR]}
    assert list(ClauseMapping.objects.values_list("key", flat=True)) == ["KZCN-001"]
    assert client_for(editor).get("/").status_code == 200


def test_control_characters_saved_in_the_admin_reach_every_report(client_for, editor, negotiator):
    """Control characters pass the forms (only NUL is refused) and are stored exactly; the
    XLSX export, which XML cannot hold them in, shows U+FFFD in their place."""
    kz = make_clause(original_language="ru")
    mapping = make_mapping(kz=[kz], alignment="kz_only")
    client = client_for(editor)
    url = _admin_url(Clause, "change", kz)
    data = admin_form_data(client.get(url))
    assert client.post(url, {**data, "text_en": CONTROL}).status_code == 302
    url = _admin_url(ClauseMapping, "change", mapping)
    data = admin_form_data(client.get(url))
    assert client.post(url, {**data, "rationale": CONTROL}).status_code == 302
    kz.refresh_from_db()
    mapping.refresh_from_db()
    assert kz.text_en == CONTROL and mapping.rationale == CONTROL

    exporter = client_for(negotiator)
    xlsx = exporter.get(reverse("standards:report-xlsx") + "?gaps=0")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [[cell.value or "" for cell in row] for row in sheet.iter_rows()]
    record = _sheet_record(rows, mapping.key)
    shown = "vt\ufffdff\ufffdesc\ufffddel\x7fend"  # DEL is allowed in XML
    assert record["kz_text_en"] == shown and record["rationale"] == shown
    csv_response = exporter.get(reverse("standards:report-csv") + "?gaps=0")
    assert csv_response.status_code == 200
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"), newline="")))
    record = _sheet_record(rows, mapping.key)
    assert record["kz_text_en"] == CONTROL and record["rationale"] == CONTROL
    pdf = exporter.get(reverse("standards:report-pdf") + "?gaps=0")
    assert pdf.status_code == 200
    # The text around them survives (the control characters print as .notdef boxes).
    assert re.search(r"vt.{1,8}esc.{1,4}del.{1,4}end", pdf_text(pdf.content))
    for url in (mapping.get_absolute_url(), reverse("standards:compare"), "/reports/gap/?gaps=0"):
        response = exporter.get(url)
        assert response.status_code == 200, url
        assert assert_safe_html(response.text).shows(CONTROL), url


# --- the portal's negotiation-note form --------------------------------------------------


def _post_note(client, mapping, **fields):
    data = {
        "side": "kz",
        "meeting": "Round 3, Astana",
        "date": "2026-11-20",
        "text": "x",
        "visibility": "shared",
    }
    return client.post(reverse("standards:note-add", args=[mapping.key]), {**data, **fields})


def test_note_form_stores_hostile_text_exactly(client_for, negotiator):
    mapping = make_mapping()
    client = client_for(negotiator)
    meeting = hostile("N.meeting", max_length(NegotiationNote, "meeting"))
    for text in (PAYLOAD, LONG, CONTROL, ZERO_WIDTH + RTL_OVERRIDE):
        response = _post_note(client, mapping, meeting=meeting, text=text)
        assert response.status_code == 302
        note = NegotiationNote.objects.order_by("-pk").first()
        assert (note.meeting, note.text, note.author) == (meeting, text, negotiator)
    page = assert_safe_html(client.get(mapping.get_absolute_url()).text)
    assert page.shows(meeting) and page.shows(PAYLOAD) and page.shows(LONG)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"meeting": NUL, "text": NUL}, {"meeting": [NULL_ERROR], "text": [NULL_ERROR]}),
        (
            {"meeting": LONG},
            {"meeting": [too_long_error(NegotiationNote, "meeting")], "text": None},
        ),
    ],
    ids=["nul", "too_long"],
)
def test_note_form_refuses_what_a_field_cannot_hold(client_for, negotiator, fields, expected):
    mapping = make_mapping()
    response = _post_note(client_for(negotiator), mapping, **fields)
    assert response.status_code == 400
    errors = response.context["note_form"].errors
    assert {field: errors.get(field) for field in expected} == expected
    assert_safe_html(response.text)
    assert not NegotiationNote.objects.exists()


# --- hostile search text -----------------------------------------------------------------

# page: (role, URL name, status for what the form refuses: the long value and NUL)
QUERY_PAGES = {
    "compare": ("regulator", "standards:compare", 400),
    "search": ("regulator", "standards:search", 400),
    "report_html": ("regulator", "standards:report-html", 400),
    "report_builder": ("regulator", "standards:reports", 200),  # the form, with its errors
    **{
        f"admin_{name}": ("editor", f"admin:standards_{name}_changelist", 200)
        for name in ("standard", "clause", "clausemapping", "limit", "parameter", "negotiationnote")
    },
}
REFUSED_QUERIES = {"long": "at most 200 characters", "nul": NULL_ERROR}


@pytest.mark.parametrize("page", sorted(QUERY_PAGES))
def test_hostile_search_text_is_echoed_escaped_or_refused(
    client_for, regulator, editor, world, page
):
    """Every kind of hostile text as the search text: shown back escaped, or refused with
    the form's message. The admin searches the first 200 characters: every word of the
    10,000-character value was a condition, a query SQLite refused with a 500."""
    role, name, refused_status = QUERY_PAGES[page]
    client = client_for({"regulator": regulator, "editor": editor}[role])
    for kind, value in CORPUS.items():
        extra = {"gaps": "0"} if page.startswith("report") else {}
        response = client.get(reverse(name), {"q": value, **extra})
        refused = kind in REFUSED_QUERIES and not page.startswith("admin")
        assert response.status_code == (refused_status if refused else 200), kind
        parsed = assert_safe_html(response.text)
        if refused:
            assert REFUSED_QUERIES[kind] in " ".join(parsed.texts), kind
        elif kind != "nul":
            assert parsed.shows(value), kind  # in the search box, as typed


@pytest.mark.parametrize(("model", "field"), [(Standard, "source_url"), (Clause, "source_url")])
def test_a_javascript_source_url_is_refused_by_model_validation(negotiator, model, field):
    """What the reference loader and the spreadsheet import run: no javascript: link can
    reach the pages, where source URLs are links."""
    from django.core.exceptions import ValidationError

    obj = _instance(model, negotiator)
    setattr(obj, field, JAVASCRIPT_URL)
    with pytest.raises(ValidationError) as refused:
        obj.full_clean()
    assert refused.value.message_dict[field] == [URL_ERROR]


def test_a_javascript_url_in_the_database_is_shown_never_linked(client_for, editor):
    """Defence in depth for rows written around validation (a raw SQL fix, an old
    backup): the pages link only http(s) addresses."""
    standard = make_standard(source_url="javascript:alert(1)")
    clause = make_clause(standard, source_url="JavaScript:alert(2)")
    mapping = make_mapping(kz=[clause])
    client = client_for(editor)  # provenance is shown to editors only
    for url in (standard.get_absolute_url(), mapping.get_absolute_url()):
        text = client.get(url).text
        assert "alert(" in text  # shown as text
        assert 'href="javascript' not in text.lower()


# --- the checks themselves ---------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        f"<p>{EVENT_HANDLER}</p>",
        f"<p>{SCRIPT}</p>",
        f"<p>{TINY}</p>",
        f'<a href=" {JAVASCRIPT_URL}">x</a>',
        f'<input value="{SOURCE_URL}">',
        "{% debug %}{{ settings.SECRET_KEY }}",
    ],
    ids=["event-handler", "script", "svg", "javascript-href", "attribute-break-out", "eval"],
)
def test_the_checks_catch_text_that_was_not_escaped(html):
    """The page checks above are not vacuous: unescaped markup, or template syntax that
    was evaluated, fails them."""
    from django.conf import settings
    from django.template import Context, Template

    if html.startswith("{%"):
        html = Template(html).render(Context({"settings": settings}))
    with pytest.raises(AssertionError):
        assert_safe_html(html)


def test_the_checks_pass_escaped_text_and_find_it():
    from django.utils.html import escape

    page = assert_safe_html(f'<p title="{escape(SOURCE_URL)}">{escape(PAYLOAD)}</p>')
    assert page.shows(PAYLOAD) and page.shows(SOURCE_URL)
    assert not page.shows(PAYLOAD + "x")
