"""The two-language gap report: the form bilateral documents take.

The report is built once per language (standards.reports.content.build_report under each
language: the same mappings, each text and label in that language), and each part is
rendered from the same partial templates as a one-language report (_cover, _summary,
_mapping, _annex): the cover and every mapping side by side, first language on the left;
the summaries one after the other; one contents list and topic headings in both
languages. Ids of the second column are prefixed, so that links and bookmarks stay
unique.
"""

import re

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from standards.reports.content import build_report

_IDS = re.compile(r'(\sid="|\shref="#)')


def _second(html):
    """The second column's markup with its ids (and links to them) prefixed."""
    return _IDS.sub(lambda match: f"{match.group(1)}b-", html)


def _render(name, report, language, **extra):
    with translation.override(language):
        return render_to_string(f"reports/{name}.html", {**report, **extra})


def _both(language_a, language_b, text):
    words = []
    for language in (language_a, language_b):
        with translation.override(language):
            words.append(gettext(text))
    return " / ".join(words)


def build_bilingual(selection, as_of, report=None):
    """The parts of a two-language report of `selection`: {"first", "second" (the two
    reports), "cover", "summaries", "contents", "topics", "annexes", "title"}.
    `report` is the first language's, when the caller has built it already."""
    first, second = selection.languages
    with translation.override(first):
        report_a = report or build_report(selection, as_of=as_of)
    with translation.override(second):
        report_b = build_report(selection, as_of=as_of)
    topics = []
    for (key, topic_a), (_key, topic_b) in zip(
        report_a["topics"].items(), report_b["topics"].items(), strict=True
    ):
        rows = [
            (
                _render("_mapping", report_a, first, mapping=m_a, computed=c_a),
                _second(_render("_mapping", report_b, second, mapping=m_b, computed=c_b)),
            )
            for (m_a, c_a), (m_b, c_b) in zip(topic_a["rows"], topic_b["rows"], strict=True)
        ]
        with translation.override(first):
            label_a = str(topic_a["label"])
        with translation.override(second):
            label_b = str(topic_b["label"])
        topics.append({"key": key, "label": f"{label_a} / {label_b}", "rows": rows})
    return {
        "first": report_a,
        "second": report_b,
        "languages": (first, second),
        "cover": (
            _render("_cover", report_a, first),
            _second(_render("_cover", report_b, second)),
        ),
        "summaries": (
            _render("_summary", report_a, first),
            _second(_render("_summary", report_b, second)),
        ),
        "contents": _both(first, second, "Contents"),
        "annex_label": _both(first, second, "Annex: documents cited"),
        "topics": topics,
        "annexes": (
            _render("_annex", report_a, first),
            _second(_render("_annex", report_b, second)),
        ),
        "title": _both(first, second, "Gap report: veterinary and sanitary requirements for meat"),
    }
