"""The printed gap report as a reader sees it, in every language: the cover's labels
and values side by side, chart labels clear of the bars, Chinese in the Simplified
Chinese face, labelled contents entries, statuses and alignments in their declared
order, the summary on one page, and the classification mark on the cover and in the
footer of every page. Positions are read from the PDF with pdfplumber."""

import io
import re
import unicodedata
from html import unescape

import pdfplumber
import pytest
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from standards.charts import (
    ALIGNMENT_COLOURS,
    LABEL_GAP,
    MAX_LABEL_WIDTH,
    STATUS_COLOURS,
    stacked_bars,
    text_width,
    wrap_text,
)
from standards.models import ClauseMapping
from standards.reports.content import build_report
from standards.reports.render import render_pdf
from standards.reports.selection import selection_from
from tests.factories import make_clause, make_mapping, make_standard

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "ru", "kk", "zh-hans"]
MM = 72 / 25.4  # PDF points per millimetre
# The cover's label column (report.css: 14 mm page margin, labels 58 mm wide, values
# from 60 mm): a word starting left of this line is part of a label.
LABEL_COLUMN_END = (14 + 59) * MM
# Two words on one baseline: their tops differ by less than this (points).
SAME_LINE = 1.5


@pytest.fixture
def mappings():
    kz = make_standard(code="TR CU 034/2013")
    cn = make_standard(code="GB 2707-2016", jurisdiction="cn")
    made = []
    for n, (topic, status, alignment) in enumerate(
        [
            ("microbiology", "not_started", "kz_stricter"),
            ("microbiology", "negotiation", "cn_only"),
            ("contaminants", "technical_review", "different"),
            ("contaminants", "agreed", "kz_only"),
            ("contaminants", "not_started", "not_assessed"),
        ]
    ):
        sides = {"kz": [make_clause(kz, topic=topic)]}
        if alignment != "kz_only":
            sides["cn"] = [make_clause(cn, topic=topic)]
        made.append(
            make_mapping(
                key=f"KZCN-{100 + n}",
                title=f"Mapping {n}",
                topic=topic,
                status=status,
                alignment=alignment,
                **sides,
            )
        )
    return made


def render(lang, query="gaps=0", **context):
    """(PDF bytes, report context, HTML) of a report, with `context` added to what the
    report itself carries."""
    _form, selection = selection_from(QueryDict(f"{query}&lang={lang}"))
    assert selection is not None
    with translation.override(lang):
        report = build_report(selection)
        html = render_to_string(
            "reports/gap_pdf.html",
            {
                **report,
                "title": _("Gap report: veterinary and sanitary requirements for meat"),
                "subject": "",
                "lang": lang,
                "query": selection.query_string(),
                **context,
            },
        )
    return render_pdf(html, identifier=b"x" * 32), report, html


def squeeze(text):
    return re.sub(r"\s+", "", text)


def lines_of(words):
    """Words grouped into lines (top, text), top to bottom."""
    lines = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0] - word["top"]) < SAME_LINE:
            lines[-1][1].append(word["text"])
        else:
            lines.append((word["top"], [word["text"]]))
    return [(top, " ".join(texts)) for top, texts in lines]


def first_top(lines, text, start):
    """(top of the first line, index after the last) of the lines, from `start` on,
    that together read `text`."""
    wanted = squeeze(text)
    for i in range(start, len(lines)):
        read, j = "", i
        while j < len(lines) and wanted.startswith(read + squeeze(lines[j][1])):
            read += squeeze(lines[j][1])
            j += 1
            if read == wanted:
                return lines[i][0], j
    raise AssertionError(f"{text!r} not found in {[t for _top, t in lines[start:]]}")


def cover_pairs(html):
    facts = re.search(r'<dl class="cover-facts">(.*?)</dl>', html, re.S).group(1)
    pairs = re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", facts, re.S)
    return [(unescape(label).strip(), unescape(value).strip()) for label, value in pairs]


def readable(page):
    """The page without the big rotated DRAFT mark, whose letters would mix with the
    text they cross."""
    return page.filter(lambda obj: obj["object_type"] != "char" or obj["size"] < 30)


def is_white(colour):
    return bool(colour) and all(c > 0.95 for c in colour)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_cover_labels_and_values_share_a_baseline(mappings, lang):
    content, _report, html = render(lang, "gaps=1&status=not_started&status=negotiation")
    pairs = cover_pairs(html)
    assert len(pairs) >= 7
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        words = readable(pdf.pages[0]).extract_words()
    labels = lines_of(w for w in words if w["x0"] < LABEL_COLUMN_END)
    values = lines_of(w for w in words if w["x0"] >= LABEL_COLUMN_END)
    at_label = at_value = 0
    for label, value in pairs:
        label_top, at_label = first_top(labels, label, at_label)
        value_top, at_value = first_top(values, value, at_value)
        assert abs(label_top - value_top) < SAME_LINE, (lang, label, value)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_summary_fits_one_page_and_chart_labels_stay_clear_of_the_bars(mappings, lang):
    content, report, _html = render(lang)
    colours = {
        tuple(int(code[i : i + 2], 16) / 255 for i in (1, 3, 5))
        for code in (*STATUS_COLOURS.values(), *ALIGNMENT_COLOURS.values())
    }

    def palette(rect):
        colour = rect.get("non_stroking_color")
        return (
            colour is not None
            and len(colour) == 3
            and any(all(abs(a - b) < 0.01 for a, b in zip(colour, c, strict=True)) for c in colours)
        )

    with pdfplumber.open(io.BytesIO(content)) as pdf:
        pages_with_bars = [
            (page, [r for r in page.rects if palette(r)])
            for page in pdf.pages[:4]
            if any(palette(r) for r in page.rects)
        ]
        # Both charts, with the two count tables, on the summary page.
        assert len(pages_with_bars) == 1, lang
        page, rects = pages_with_bars[0]
        page = readable(page)
        summary = squeeze(page.extract_text())
        with translation.override(lang):
            assert squeeze(_("Executive summary")) in summary
            assert squeeze(_("By alignment")) in summary
        bar_height = max(r["height"] for r in rects)
        bars = [r for r in rects if r["height"] > 0.9 * bar_height]  # not legend swatches
        rows = {}
        for bar in bars:
            rows.setdefault(round(bar["top"]), []).append(bar)
        assert len(rows) == len(report["charts"]) == 2
        for row in rows.values():
            left = min(b["x0"] for b in row)
            right = max(b["x1"] for b in row)
            top, bottom = row[0]["top"] - 0.7 * bar_height, row[0]["bottom"] + 0.7 * bar_height
            label = [
                c
                for c in page.chars
                if c["top"] >= top
                and c["bottom"] <= bottom
                and c["x0"] < right
                and not is_white(c.get("non_stroking_color"))
            ]
            assert label, lang
            assert all(c["x1"] <= left + 0.5 for c in label), (
                lang,
                "".join(c["text"] for c in label if c["x1"] > left + 0.5),
            )


@pytest.mark.parametrize(
    "label",
    [
        "Включённые сопоставления",
        "Енгізілген сәйкестендіру жазбалары",
        "纳入的对照" * 12,
        "Ветеринарно-санитарные требования к охлаждённому мясу" * 3,
        "Überdurchschnittlichkeitsbescheinigungsverfahren",
    ],
)
def test_chart_labels_wrap_within_their_column(label):
    for label_width in (180, MAX_LABEL_WIDTH, None):
        svg = stacked_bars(
            "c",
            "t",
            [(label, {"agreed": 3, "negotiation": 1})],
            [(v, str(lbl), STATUS_COLOURS[v]) for v, lbl in ClauseMapping.Status.choices],
            label_width=label_width,
        )
        start = float(re.search(r'<rect x="([\d.]+)"', svg).group(1))
        first_text = re.search(r"<text[^>]*>(.*?)</text>", svg).group(1)
        lines = re.findall(r"<tspan[^>]*>(.*?)</tspan>", first_text) or [first_text]
        assert squeeze("".join(lines)) == squeeze(label)
        assert all(text_width(line) <= start - LABEL_GAP for line in lines), lines
    assert wrap_text("", 100) == [""]


def test_chinese_is_set_in_the_simplified_chinese_face(mappings):
    content, _report, _html = render("zh-hans")
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        cjk = {
            (c["fontname"], number)
            for number, page in enumerate(pdf.pages, 1)
            for c in page.chars
            if any(unicodedata.east_asian_width(char) in "WF" for char in c["text"])
        }
    fonts = {name for name, _n in cjk}
    assert fonts and all("SC" in name and "JP" not in name for name in fonts), fonts
    # The charts too (drawn from SVG on the summary page).
    assert any(number == 2 for _name, number in cjk)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_contents_entries_say_page_and_count(mappings, lang):
    content, report, _html = render(lang)
    with translation.override(lang):
        heading, page_word = squeeze(_("Contents")), squeeze(_("page"))
        mappings_word = squeeze(_("mappings"))
        topics = [(squeeze(str(t["label"])), len(t["rows"])) for t in report["topics"].values()]
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        texts = [squeeze(readable(page).extract_text()) for page in pdf.pages[1:4]]
    contents = next(text for text in texts if text.startswith(heading) or heading in text[:200])
    for label, n in topics:
        entry = re.escape(label)
        pattern = rf"{entry}·{re.escape(page_word)}\d+·{re.escape(mappings_word)}\({n}\)"
        assert re.search(pattern, contents), (lang, pattern, contents)


def test_statuses_and_alignments_in_their_declared_order(mappings):
    statuses = [str(label) for _v, label in ClauseMapping.Status.choices]
    alignments = [str(label) for _v, label in ClauseMapping.Alignment.choices]
    assert list(STATUS_COLOURS) == ClauseMapping.Status.values
    assert list(ALIGNMENT_COLOURS) == ClauseMapping.Alignment.values
    _form, selection = selection_from(QueryDict("gaps=0&lang=en"))
    report = build_report(selection)
    assert [str(label) for label, _n in report["by_status"]] == statuses
    assert [str(label) for label, _n in report["by_alignment"]] == alignments
    for chart, labels in zip(report["charts"], (statuses, alignments), strict=True):
        legend = re.findall(r'font-size="12" fill="#212529">([^<\d][^<]*)</text>', chart)
        assert [unescape(text) for text in legend] == labels


def test_cover_lists_the_chosen_statuses_in_their_declared_order(mappings):
    _form, selection = selection_from(
        QueryDict("gaps=0&lang=en&status=negotiation&status=not_started")
    )
    described = dict((str(k), str(v)) for k, v in selection.describe())
    assert described["Negotiation statuses"] == "Not started, Under negotiation"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_classification_on_the_cover_and_in_every_footer(mappings, lang):
    mark = 'Internal — Kazakh "delegation"'
    content, _report, html = render(lang, classification=mark)
    assert html.count('class="classification-mark"') == 1
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        assert len(pdf.pages) >= 4
        cover = pdf.pages[0]
        assert squeeze(mark) in squeeze(readable(cover).extract_text())
        for page in pdf.pages:
            footer = readable(page).within_bbox((0, page.height - 16 * MM, page.width, page.height))
            text = squeeze(footer.extract_text())
            assert squeeze(mark) in text and re.search(r"\d+", text), (lang, page.page_number)


def test_no_classification_no_mark(mappings):
    content, _report, html = render("en", classification="")
    assert "classification-mark" not in html.split("</style>", 1)[1]
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        page = pdf.pages[1]
        footer = readable(page).within_bbox((0, page.height - 16 * MM, page.width, page.height))
        assert re.fullmatch(r"Fingerprint [0-9a-f]{64}\s+Page 2 of \d+", footer.extract_text())
