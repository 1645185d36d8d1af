"""A gap report drawn in sections is the document drawn whole (standards/reports/pdf.py,
render.sections, render_process.in_parallel)."""

import io
import os
import re

import pytest
from django.http import QueryDict
from pypdf import PdfReader

from standards.reports import pdf, render, render_process
from standards.reports.fingerprint import data_version
from standards.reports.render import produce
from standards.reports.selection import selection_from
from tests import render_children

QUERY = "gaps=0&lang=en&originals=on&draft=1"


def render_report(settings, sectioned, query=QUERY):
    settings.REPORT_PDF_SECTIONS = sectioned
    _form, selection = selection_from(QueryDict(query))
    _version, as_of = data_version()
    content, _fingerprint, _count = produce(selection, "pdf", as_of)
    return content


def outline(reader, items=None, depth=0):
    found = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            found += outline(reader, item, depth + 1)
        else:
            found.append((depth, item.title, reader.get_destination_page_number(item)))
    return found


def links(reader):
    found = []
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Link":
                target = annotation.get("/Dest")
                found.append((number, str(target)))
    return sorted(found)


def structure(content):
    """What a reader sees of a PDF: each page's text, the bookmarks, the links, the
    named destinations and the metadata."""
    reader = PdfReader(io.BytesIO(content))
    destinations = {
        name: reader.get_destination_page_number(dest)
        for name, dest in reader.named_destinations.items()
    }
    return {
        "pages": [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages],
        "outline": outline(reader),
        "links": links(reader),
        "destinations": destinations,
        "metadata": dict(reader.metadata),
        "lang": reader.trailer["/Root"].get("/Lang"),
    }


@pytest.fixture
def whole_and_sectioned(reference_data, settings):
    return render_report(settings, False), render_report(settings, True)


def test_the_sections_make_the_document_drawn_whole(whole_and_sectioned):
    whole, sectioned = (structure(content) for content in whole_and_sectioned)
    assert len(sectioned["pages"]) == len(whole["pages"]) > 40
    for number, (expected, found) in enumerate(
        zip(whole["pages"], sectioned["pages"], strict=True)
    ):
        # The sheet of furniture is drawn after the page: its text comes last.
        assert sorted(found.split()) == sorted(expected.split()), number + 1
        total = len(whole["pages"])
        assert f"Page {number + 1} of {total}" in found
    assert sectioned["outline"] == whole["outline"]
    assert len(sectioned["outline"]) > 60
    assert sectioned["links"] == whole["links"]
    assert len(sectioned["links"]) >= 15  # the contents, to every topic and the annex
    assert sectioned["destinations"] == whole["destinations"]
    assert sectioned["metadata"] == whole["metadata"]
    assert sectioned["lang"] == whole["lang"] == "en"


def test_the_contents_give_the_page_each_topic_begins_on(whole_and_sectioned):
    _whole, sectioned = whole_and_sectioned
    reader = PdfReader(io.BytesIO(sectioned))
    text = "\n".join(page.extract_text() for page in reader.pages)
    contents = text.split("Contents", 1)[1].split("Annex: documents cited")[0]
    numbers = [int(n) for n in re.findall(r"page (\d+)", contents)]
    headings = {title: page + 1 for depth, title, page in outline(reader) if depth == 0}
    topics = re.findall(r"\n?([^\n·]+?) · page \d+", contents)
    assert len(numbers) >= 14
    for topic, number in zip(topics, numbers, strict=True):
        assert headings[topic.strip()] == number, topic


def test_the_sections_give_the_same_bytes_every_time(reference_data, settings):
    first = render_report(settings, True, "gaps=1&lang=zh-hans")
    assert render_report(settings, True, "gaps=1&lang=zh-hans") == first


def test_every_font_of_the_sections_and_the_furniture_is_an_embedded_subset(whole_and_sectioned):
    _whole, sectioned = whole_and_sectioned
    reader = PdfReader(io.BytesIO(sectioned))
    seen = 0
    for page in reader.pages:
        resources = [page["/Resources"]]
        resources.append(page["/Resources"]["/XObject"][pdf.FURNITURE].get_object()["/Resources"])
        for resource in resources:
            for font in resource.get("/Font", {}).values():
                font = font.get_object()
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                assert any(k in descriptor.get_object() for k in ("/FontFile2", "/FontFile3"))
                assert re.match(r"^/[A-Z]{6}\+", font["/BaseFont"])
                seen += 1
    assert seen > len(reader.pages)


def test_topics_are_grouped_one_group_per_process_and_never_cut(settings):
    settings.REPORT_RENDER_HELPERS = 1
    settings.REPORT_PDF_SECTION_MAPPINGS = 150
    topics = {
        key: {"rows": [None] * size}
        for key, size in zip("abcdef", (30, 5, 10, 20, 3, 2), strict=True)
    }
    groups = render.topic_groups(topics)
    assert [list(group) for group in groups] == [["a", "b"], ["c", "d", "e", "f"]]
    # The annex comes after the last group: its weight moves the cut forward.
    groups = render.topic_groups(topics, annex=20)
    assert [list(group) for group in groups] == [["a", "b", "c"], ["d", "e", "f"]]
    settings.REPORT_PDF_SECTION_MAPPINGS = 20
    groups = render.topic_groups(topics)
    assert sum(len(group) for group in groups) == 6 and len(groups) == 4
    assert [key for group in groups for key in group] == list("abcdef")


@pytest.fixture
def helpers():
    created = []

    def make(target, count=1):
        for _ in range(count):
            helper = render_process.RenderProcess(target=target, max_calls=None)
            created.append(helper)
            render_process._helpers.append(helper)
        return created

    yield make
    for helper in created:
        render_process._helpers.remove(helper)
        helper.close()


def test_calls_are_shared_with_the_helpers_and_come_back_in_order(helpers):
    helpers(render_children.answer_with_pid)
    calls = [("contents_numbers", ({f"topic-{n}": n},)) for n in range(12)]
    results = render_process.in_parallel(calls)
    mine = [r for r in results if isinstance(r, str)]
    theirs = [r for r in results if isinstance(r, int)]
    assert mine and theirs and os.getpid() not in theirs
    for n, result in enumerate(results):
        if isinstance(result, str):
            assert result == f'a[href="#topic-{n}"] {{ counter-reset: toc-page {n}; }}\n'


def test_a_helper_that_fails_hands_its_calls_back(helpers):
    helpers(render_children.crash_on_every_job)
    calls = [("contents_numbers", ({f"topic-{n}": n},)) for n in range(6)]
    results = render_process.in_parallel(calls)
    assert results == [
        f'a[href="#topic-{n}"] {{ counter-reset: toc-page {n}; }}\n' for n in range(6)
    ]


def test_only_plain_anchor_names_reach_the_stylesheet():
    css = pdf.contents_numbers({"topic-a": 3, 'x"] { color: red } a[href="#y': 4})
    assert css == 'a[href="#topic-a"] { counter-reset: toc-page 3; }\n'


def test_the_annex_is_drawn_with_the_last_group(reference_data, settings, monkeypatch):
    settings.REPORT_PDF_SECTIONS = True
    drawn = {}

    def keep(sections, identifier, hashed_files):
        drawn.update(sections)
        return b"%PDF-", []

    monkeypatch.setattr(render_process, "render_sections", keep)
    render_report(settings, True)
    *groups, last = drawn["parts"]
    assert 'id="annex"' in last and 'class="topic"' in last
    assert not any('id="annex"' in part for part in groups) and groups
