"""Content in the working languages (standards/translated.py, standards/translations.py):
the reference dataset's working translations are loaded, each text carries its status
and real language, pages and reports show the reader's language with the English one a
toggle away, and a working translation is marked as one wherever it appears."""

import io
import re

import pytest
from django.core.management import call_command
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from standards import reference
from standards.models import Clause, ClauseMapping, Standard
from standards.reports.fingerprint import data_version, fingerprint_for
from standards.reports.render import produce
from standards.reports.selection import selection_from
from standards.translated import MISSING, OFFICIAL, ORIGINAL, WORKING, translated

pytestmark = pytest.mark.django_db
LEAD_CLAUSE = ("cu-decision-299-2010", "Ch. II sect. 1, index 1.1.1 (lead)")


@pytest.fixture
def loaded(reference_data):
    return ClauseMapping.objects.get(key="KZCN-001")


def kz_lead_clause():
    return Clause.objects.get(standard__key=LEAD_CLAUSE[0], reference=LEAD_CLAUSE[1])


def test_the_loader_stores_the_working_translations(loaded):
    assert loaded.title_zh == "铅（Pb）" and loaded.title_ru.startswith("Свинец")
    assert loaded.title_kk.startswith("Қорғасын")
    assert "2.5" in loaded.rationale_zh and "2.5" in loaded.rationale_ru
    clause = kz_lead_clause()
    assert "0.5 mg/kg" in clause.text_zh and clause.heading_ru
    assert clause.text_ru == ""  # its original is Russian: nothing to translate
    counts = {
        "mappings": ClauseMapping.objects.exclude(title_zh="").count(),
        "standards": Standard.objects.exclude(title_ru="").count(),
    }
    assert counts == {"mappings": 65, "standards": 54}


def test_each_text_has_its_status_and_real_language(loaded):
    clause = kz_lead_clause()
    assert translated(clause, "text", "ru").status == OFFICIAL
    assert translated(clause, "text", "ru").text == clause.text_original
    zh = translated(clause, "text", "zh-hans")
    assert (zh.status, zh.html_lang) == (WORKING, "zh-Hans")
    assert translated(clause, "text", "en").status == WORKING  # a translation of the Russian
    kk = translated(clause, "text", "kk")
    assert (kk.status, kk.language, kk.text) == (MISSING, "en", clause.text_en)
    assert translated(loaded, "title", "en").status == ORIGINAL


def test_an_editors_translation_is_kept_when_the_dataset_is_loaded_again(loaded):
    loaded.rationale_zh = "编辑的理由。"
    loaded.save()
    call_command("load_reference_data", verbosity=0)
    loaded.refresh_from_db()
    assert loaded.rationale_zh == "编辑的理由。"


def test_a_translation_of_a_record_the_dataset_lacks_is_refused(tmp_path):
    import shutil

    shutil.copytree(reference.DATA_DIR, tmp_path / "data")
    extra = tmp_path / "data" / "translations" / "ru" / "extra.yaml"
    extra.write_text("language: ru\nmappings:\n  KZCN-999:\n    title: Нет такой\n")
    with pytest.raises(reference.ReferenceDataError, match="KZCN-999"):
        reference.read_dataset(tmp_path / "data")


def page_in(language, user, path):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client.get(path).text


def test_the_pair_page_shows_the_readers_language_marked_with_english_a_toggle_away(
    loaded, negotiator
):
    page = page_in("zh-hans", negotiator, loaded.get_absolute_url())
    assert '<span lang="zh-Hans">铅（Pb）<abbr class="wt-mark"' in page
    clause = kz_lead_clause()
    assert f'lang="zh-Hans">{clause.text_zh}<abbr class="wt-mark"' in page
    assert '<details class="english-text">' in page and clause.text_en in page
    assert clause.text_original in page  # the binding Russian text stays shown
    english = page_in("en", negotiator, loaded.get_absolute_url())
    assert '<details class="english-text">' not in english
    assert '<span lang="en">Lead (Pb)</span>' in english


def test_english_inside_another_language_is_marked_as_english(loaded, negotiator):
    page = page_in("kk", negotiator, loaded.get_absolute_url())
    # No Kazakh rationale yet: the English one, in an English element.
    assert f'<span lang="en">{loaded.rationale}</span>' in page


def pdf_text(query):
    _form, selection = selection_from(QueryDict(query))
    content = produce(selection, "pdf", data_version()[1])[0]
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.mark.parametrize(
    ("lang", "subject"), [("zh-hans", "铅（Pb）"), ("ru", "Свинец (Pb)"), ("kk", "Қорғасын (Pb)")]
)
def test_reports_print_the_translated_subject_and_no_slug(loaded, lang, subject):
    text = pdf_text(f"q=KZCN-001&gaps=0&lang={lang}")
    assert subject in text
    assert "†" in text
    assert not re.search(r"\b(?:cu-decision-299-2010|tr-cu-021-2011|gb-2762-2025)\b", text)


def test_a_changed_translation_changes_the_fingerprint_of_that_language_only(loaded):
    zh = selection_from(QueryDict("q=KZCN-001&gaps=0&lang=zh-hans"))[1]
    en = selection_from(QueryDict("q=KZCN-001&gaps=0&lang=en"))[1]
    before = fingerprint_for(zh), fingerprint_for(en)
    ClauseMapping.objects.filter(pk=loaded.pk).update(title_zh="铅")
    assert fingerprint_for(zh) != before[0]
    assert fingerprint_for(en) == before[1]


def test_search_finds_a_working_translation(loaded):
    from standards.search import matching_clauses

    clause = kz_lead_clause()
    assert clause in matching_clauses(clause.heading_zh)


def test_spreadsheets_carry_every_language(loaded):
    from standards.exchange import ClauseResource, MappingResource, StandardResource

    assert {"title_ru", "title_kk", "title_zh", "rationale_zh"} <= set(
        MappingResource.column_names()
    )
    assert {"heading_zh", "text_zh"} <= set(ClauseResource.column_names())
    assert "title_kk" in StandardResource.column_names()


# --- the two-language report ------------------------------------------------------------


def test_a_two_language_report_prints_both_languages_side_by_side(loaded):
    text = pdf_text("q=KZCN-001&gaps=0&lang=zh-hans&lang2=ru")
    assert "铅（Pb）" in text and "Свинец (Pb)" in text  # the subject in both
    assert "理由说明" in text and "Обоснование" in text  # every label in both
    assert "目录 / Содержание" in text  # one contents list, in both languages
    assert "供联合工作组使用 / Для совместной рабочей группы" in text  # the mark in both
    assert not re.search(r"\b(?:cu-decision-299-2010|gb-2762-2025)\b", text)


def test_the_pair_of_languages_is_part_of_the_selection_and_the_fingerprint(loaded):
    one = selection_from(QueryDict("q=KZCN-001&gaps=0&lang=zh-hans"))[1]
    two = selection_from(QueryDict("q=KZCN-001&gaps=0&lang=zh-hans&lang2=ru"))[1]
    other = selection_from(QueryDict("q=KZCN-001&gaps=0&lang=zh-hans&lang2=kk"))[1]
    assert len({one.query_string(), two.query_string(), other.query_string()}) == 3
    assert len({fingerprint_for(one), fingerprint_for(two), fingerprint_for(other)}) == 3
    form, refused = selection_from(QueryDict("gaps=0&lang=ru&lang2=ru"))
    assert refused is None and "lang2" in form.errors


def test_the_html_report_in_two_languages(loaded, negotiator):
    page = page_in(
        "en",
        negotiator,
        reverse("standards:report-html") + "?q=KZCN-001&gaps=0&lang=ru&lang2=zh-hans",
    )
    assert 'class="bilingual"' in page
    assert "Свинец (Pb)" in page and "铅（Pb）" in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # the second column's ids are prefixed
    refused = Client()
    refused.force_login(negotiator)
    assert (
        refused.get(reverse("standards:report-pdf") + "?gaps=0&lang=ru&lang2=ru").status_code == 400
    )
