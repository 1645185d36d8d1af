"""Comparison sentences and spreadsheets in the reader's language: reasons are rendered
from codes through gettext with parameter names, never keys or slugs; CSV and XLSX name
their columns in the report's language, give the stable codes in a second header row,
and write values in words."""

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from limits.compare import LimitSpec, compare_sides
from limits.wording import TEMPLATES, Reason, render
from standards.models import Limit, Parameter
from standards.reports.content import COLUMNS
from standards.wording import KEY_WORDS, parameter_name, text

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "ru", "zh-hans")
CSV_LANGUAGES = {"en": "en", "ru": "ru", "zh-hans": "zh-hans"}
LIMITS_TABLE = re.compile(
    r'<table class="table table-sm mb-2 table-headers-nowrap table-cards">(.*?)</table>', re.S
)
COMPUTED = re.compile(r'<p class="small mb-2 computed-alignment[^"]*">(.*?)</p>', re.S)
TAG = re.compile(r"<[^>]+>")
SENTENCE_COLUMNS = ("computed_verdict", "computed_reason", "kz_limits", "cn_limits")


@pytest.fixture
def reference(reference_data):
    """The reference dataset (tests/conftest.py)."""


def _keys():
    """Parameter keys and the product and family slugs of the reference data."""
    keys = set(Parameter.objects.values_list("key", flat=True))
    keys |= {m for m in Limit.objects.values_list("matrix", flat=True) if m}
    keys |= {f for f in Parameter.objects.values_list("family", flat=True) if f}
    return keys


def _leaked(texts, keys):
    """The keys that stand as words in `texts`, except those that are also words of the
    names a reader is shown (a slug "meat" is the English word meat)."""
    names = " ".join(
        f"{p.name_en} {p.name_ru} {p.name_kk} {p.name_zh}" for p in Parameter.objects.all()
    ) + " ".join(str(word) for word in KEY_WORDS.values())
    found = set()
    for key in keys:
        pattern = re.compile(rf"(?<![\w-]){re.escape(key)}(?![\w-])")
        if pattern.search(names):
            continue
        found |= {key for t in texts if pattern.search(t)}
    return found


def _compare_sentences(html):
    parts = LIMITS_TABLE.findall(html) + COMPUTED.findall(html)
    return [TAG.sub(" ", part) for part in parts]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_key_in_the_comparison_sentences_of_the_compare_page(
    reference, client_for, regulator, language
):
    html = (
        client_for(regulator)
        .get(reverse("standards:compare") + "?per_page=1000", HTTP_ACCEPT_LANGUAGE=language)
        .text
    )
    sentences = _compare_sentences(html)
    assert len(sentences) > 50
    assert _leaked(sentences, _keys()) == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_key_in_the_comparison_sentences_of_the_csv_report(
    reference, client_for, negotiator, language
):
    content = (
        client_for(negotiator)
        .get(reverse("standards:report-csv") + f"?gaps=0&lang={CSV_LANGUAGES[language]}")
        .content
    )
    _names, codes, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    cells = [row[codes.index(column)] for row in rows for column in SENTENCE_COLUMNS]
    assert any(cells)
    assert _leaked(cells, _keys()) == set()


def test_the_sentences_name_parameters_in_the_readers_language(reference):
    lead = Parameter.objects.get(key="lead")
    kz = LimitSpec(parameter="lead", kind="maximum", value=1, unit="mg/kg", matrix="offal")
    message = compare_sides([kz], []).message
    assert "lead (offal)" in render(message)  # the comparison's own log keeps the key
    with translation.override("ru"):
        russian = text(message, {"lead": lead})
    assert lead.name_ru in russian and "lead" not in russian
    with translation.override("zh-hans"):
        assert lead.name_zh in text(message)  # looked up when not at hand
    lead.name_kk = ""
    with translation.override("kk"):
        assert lead.name_en in text(message, {"lead": lead})  # no Kazakh name: the English one


def test_a_parameter_name_comes_from_one_function(reference):
    lead = Parameter.objects.get(key="lead")
    assert parameter_name(lead, "ru") == lead.name_ru
    assert parameter_name(lead, "zh-hans") == lead.name_zh
    assert parameter_name(lead, "kk") == lead.name_kk
    assert parameter_name(lead, "en") == lead.name_en
    lead.name_kk = lead.name_zh = ""
    assert parameter_name(lead, "kk") == parameter_name(lead, "zh-hans") == lead.name_en


def test_every_code_has_a_template_with_its_arguments():
    assert all(isinstance(template, str) and template for template in TEMPLATES.values())
    with pytest.raises(KeyError):
        Reason("no-such-code").template  # noqa: B018


# --- spreadsheets ------------------------------------------------------------------------


def _csv(client, query):
    content = client.get(reverse("standards:report-csv") + query).content
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _xlsx(client, query):
    return load_workbook(io.BytesIO(client.get(reverse("standards:report-xlsx") + query).content))


@pytest.mark.parametrize(
    ("lang", "labels", "group"),
    [
        ("ru", {"alignment": "Соответствие требований", "topic": "Тема"}, "Термически"),
        ("zh-hans", {"alignment": "一致性", "topic": "主题"}, "熟制肉"),
    ],
)
def test_csv_names_columns_in_the_report_language_then_codes(
    reference, client_for, negotiator, lang, labels, group
):
    names, codes, *rows = _csv(client_for(negotiator), f"?gaps=0&lang={lang}")
    assert codes[: len(COLUMNS)] == [code for code, _label in COLUMNS]
    assert codes[-2:] == ["report_fingerprint", "report_as_of"]
    for code, label in labels.items():
        assert names[codes.index(code)] == label
    assert names != codes
    records = [dict(zip(codes, row, strict=True)) for row in rows]
    groups = {r["product_group"] for r in records}
    assert "heat_treated" not in groups and any(group in g for g in groups)
    assert not {r["alignment"] for r in records} & {"kz_stricter", "cn_stricter", "different"}
    assert len({r["report_fingerprint"] for r in records}) == 1


def test_csv_values_are_words_in_english_too(reference, client_for, negotiator):
    _names, codes, *rows = _csv(client_for(negotiator), "?gaps=0&lang=en")
    records = [dict(zip(codes, row, strict=True)) for row in rows]
    groups = {r["product_group"] for r in records}
    assert "Heat-treated meat" in groups and "heat_treated" not in groups
    assert "notes" not in codes


def test_csv_has_a_notes_column_when_notes_are_included(reference, client_for, negotiator):
    names, codes, *_rows = _csv(client_for(negotiator), "?gaps=0&lang=ru&notes=on")
    assert names[codes.index("notes")] == "Переговорные заметки"


@pytest.mark.parametrize(
    ("lang", "sheet", "alignment"),
    [("ru", "Отчет о расхождениях", "Соответствие требований"), ("zh-hans", "差距报告", "一致性")],
)
def test_xlsx_in_the_report_language_with_codes_frozen_widths_and_about(
    reference, client_for, negotiator, lang, sheet, alignment
):
    workbook = _xlsx(client_for(negotiator), f"?gaps=0&lang={lang}")
    table, about = workbook.worksheets
    assert table.title == sheet
    assert table.freeze_panes == "A3"  # column names and codes stay in view
    names, codes = ([cell.value for cell in row] for row in table.iter_rows(max_row=2))
    assert names[codes.index("alignment")] == alignment
    assert codes[0] == "key" and "computed_reason" in codes
    widths = {table.column_dimensions[letter].width for letter in ("A", "B", "H")}
    assert all(8 <= width <= 60 for width in widths) and len(widths) > 1
    facts = {row[2]: row[1] for row in about.iter_rows(min_row=2, values_only=True)}
    first = dict(zip(codes, next(table.iter_rows(min_row=3, values_only=True)), strict=True))
    assert facts["fingerprint"] == first["report_fingerprint"]
    assert facts["as_of"] == first["report_as_of"]
    assert facts["lang"] == lang
    assert about.freeze_panes == "A2"
