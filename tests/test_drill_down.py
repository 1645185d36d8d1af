"""The dashboard as a starting point: every segment, count and card links to the
comparison of exactly those mappings; the comparison's filters take several values and
hand the same selection to the report and its builder; the chart palette stays apart
with colour-vision deficiency."""

import itertools
import re
from html import unescape

import pytest
from django.http import QueryDict
from django.urls import reverse

from standards.charts import (
    ALIGNMENT_COLOURS,
    HATCHED,
    STATUS_COLOURS,
    segment_widths,
    stacked_bars,
    text_width,
)
from standards.models import ClauseMapping, Topic
from standards.reports.selection import selection_from
from tests.factories import make_mapping

Alignment = ClauseMapping.Alignment
Status = ClauseMapping.Status


@pytest.fixture
def varied(db):
    """Mappings over groups, topics, statuses and alignments, some segments of one item."""
    groups = [v for v, _l in ClauseMapping.ProductGroup.choices][:2]
    topics = ["contaminants", "microbiology", "labelling"]
    statuses = [v for v, _l in Status.choices]
    alignments = [v for v, _l in Alignment.choices]
    combos = itertools.product(groups, topics, statuses[:3], alignments[:4])
    for n, (group, topic, status, alignment) in enumerate(combos):
        if n % 3 == 0:
            make_mapping(product_group=group, topic=topic, status=status, alignment=alignment)
    # Single mappings: segments of one item.
    make_mapping(topic="transport", status=Status.HARMONIZED, alignment=Alignment.KZ_ONLY)
    make_mapping(topic="packaging", status=Status.NO_ACTION, alignment=Alignment.CN_ONLY)
    make_mapping(status=Status.AGREED, alignment=Alignment.EQUIVALENT)


def _count_at(client, url):
    response = client.get(url + ("&" if "?" in url else "?") + "per_page=1000")
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


def test_every_dashboard_link_counts_what_it_shows(client_for, regulator, varied):
    client = client_for(regulator)
    context = client.get(reverse("standards:home")).context
    checked = 0
    for chart in context["charts"]:
        for _label, counts, total, total_link in chart["rows"]:
            assert _count_at(client, total_link) == total
            checked += 1
            for n, link in counts:
                assert _count_at(client, link) == n, link
                checked += 1
    totals, links = context["totals"], context["totals_links"]
    for card in ("all", "gaps", "settled"):
        assert _count_at(client, links[card]) == totals[card]
    assert (
        totals["gaps"]
        == ClauseMapping.objects.filter(
            alignment__in=[Alignment.KZ_ONLY, Alignment.CN_ONLY]
        ).count()
    )
    assert checked > 100


def test_the_svg_segments_link_with_their_numbers_even_of_one_item(client_for, regulator, varied):
    text = client_for(regulator).get(reverse("standards:home")).text
    links = re.findall(r'<a href="([^"]+)" class="chart-segment" aria-label="([^"]+)">', text)
    assert links
    client = client_for(regulator)
    for href, name in links[:40]:
        shown = int(re.search(r": (\d+) \(\d+%\)$", unescape(name)).group(1))
        assert _count_at(client, unescape(href)) == shown
    # The topic chart's one-item segments (transport, packaging) show their count.
    svg = text[text.index('id="chart-topic-status"') :]
    svg = svg[: svg.index("</svg>")]
    for topic in ("Transport", "Packaging"):
        piece = re.search(rf'aria-label="{topic}: [^"]+: 1 \(100%\)">(.*?)</a>', svg).group(1)
        assert re.search(r">1</text>", piece)


def test_the_topic_chart_lists_every_topic_the_filters_offer(client_for, regulator, varied):
    context = client_for(regulator).get(reverse("standards:home")).context
    chart = next(c for c in context["charts"] if c["id"] == "chart-topic-status")
    assert [str(row[0]) for row in chart["rows"]] == [str(label) for _v, label in Topic.choices]
    assert "Transport" in {str(row[0]) for row in chart["rows"]}


def test_filters_take_several_values(client_for, regulator, varied):
    client = client_for(regulator)
    url = reverse("standards:compare")
    one_side = client.get(url, {"alignment": ["kz_only", "cn_only"], "per_page": 1000})
    keys = {m.key for m, _c in one_side.context["rows"]}
    expected = set(
        ClauseMapping.objects.filter(alignment__in=["kz_only", "cn_only"]).values_list(
            "key", flat=True
        )
    )
    assert keys == expected and len(expected) >= 2
    several = client.get(
        url,
        {
            "status": ["agreed", "harmonized", "no_action"],
            "topic": ["transport", "packaging", "contaminants"],
            "product": ["chilled"],
            "per_page": 1000,
        },
    )
    assert several.context["page"].paginator.count == (
        ClauseMapping.objects.filter(
            status__in=["agreed", "harmonized", "no_action"],
            topic__in=["transport", "packaging", "contaminants"],
            product_group="chilled",
        ).count()
    )
    # Every chosen value stays checked: the address is the bookmark.
    text = one_side.text
    for value in ("kz_only", "cn_only"):
        assert re.search(rf'name="alignment" value="{value}"[^>]*checked', text)


@pytest.mark.parametrize(
    "query", ["alignment=kz_only&alignment=sometimes", "status=finished", "topic=weather"]
)
def test_a_value_not_offered_is_a_400_with_a_message(client_for, regulator, varied, query):
    response = client_for(regulator).get(f"{reverse('standards:compare')}?{query}")
    assert response.status_code == 400
    assert "is not one of the available choices" in response.text
    assert "Some filters are not valid" in response.text


def test_the_report_link_and_the_builder_carry_the_same_selection(client_for, regulator, varied):
    client = client_for(regulator)
    query = "alignment=kz_only&alignment=cn_only&topic=transport&topic=packaging"
    response = client.get(f"{reverse('standards:compare')}?{query}")
    report_query = response.context["report_query"]
    assert unescape(f'href="{reverse("standards:report-html")}?{report_query}"') in unescape(
        response.text
    )
    _form, selection = selection_from(QueryDict(report_query))
    assert selection.alignment == ["cn_only", "kz_only"]
    assert selection.topic == ["packaging", "transport"]
    assert selection.count() == response.context["page"].paginator.count
    builder_href = unescape(re.search(r'href="([^"]+)"[^>]*id="build-report"', response.text)[1])
    builder = client.get(builder_href).text
    for name, value in (("alignment", "kz_only"), ("alignment", "cn_only"), ("topic", "transport")):
        assert re.search(rf'name="{name}" value="{value}"[^>]*checked', builder)
    assert not re.search(r'name="alignment" value="equivalent"[^>]*checked', builder)


def test_the_builder_has_checkboxes_the_interface_language_and_says_what_gaps_are(
    client_for, regulator
):
    client = client_for(regulator)
    text = client.get(reverse("standards:reports")).text
    assert not re.search(r"<select[^>]*multiple", text)  # never a Ctrl-click list box
    for name in ("product", "topic", "alignment", "status", "confidence", "standard"):
        inputs = re.findall(rf'<[a-z]+ [^>]*name="{name}"[^>]*>', text)
        assert all('type="checkbox"' in tag for tag in inputs), name
        assert inputs or name == "standard"  # no documents in this database
    assert "Gaps only: not yet equivalent or harmonized" in text
    assert re.search(r'<option value="en"[^>]*selected', text)
    russian = client.get(reverse("standards:reports"), HTTP_ACCEPT_LANGUAGE="ru")
    assert re.search(r'<option value="ru"[^>]*selected', russian.text)


def test_gaps_only_selects_what_it_says(db, varied):
    _form, selection = selection_from(QueryDict("gaps=1"))
    included = selection.mappings()
    assert included.count() == (
        ClauseMapping.objects.exclude(alignment="equivalent").exclude(status="harmonized").count()
    )


# --- the palette ---------------------------------------------------------------------

# Machado et al. (2009) simulation matrices at full severity, on linear RGB.
CVD = {
    "protanopia": ((0.152, 1.053, -0.205), (0.115, 0.786, 0.099), (-0.004, -0.048, 1.052)),
    "deuteranopia": ((0.367, 0.861, -0.228), (0.280, 0.673, 0.047), (-0.012, 0.043, 0.969)),
    "tritanopia": ((1.256, -0.077, -0.179), (-0.078, 0.931, 0.148), (0.005, 0.691, 0.304)),
}


def _linear(hex_colour):
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]


def _lab(linear):
    """CIE L*a*b* (D65) of linear RGB."""
    r, g, b = linear
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _distance(one, two, matrix=None):
    def simulate(colour):
        linear = _linear(colour)
        if matrix is None:
            return linear
        return [
            min(1, max(0, sum(m * c for m, c in zip(row, linear, strict=True)))) for row in matrix
        ]

    a, b = _lab(simulate(one)), _lab(simulate(two))
    return sum((p - q) ** 2 for p, q in zip(a, b, strict=True)) ** 0.5


def _contrast(one, two):
    def luminance(colour):
        r, g, b = _linear(colour)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


PAIRS = [("cn_stricter", "cn_only"), ("kz_stricter", "kz_only"), ("kz_only", "cn_only")]


@pytest.mark.parametrize("pair", PAIRS)
def test_the_pairs_stay_apart_with_colour_vision_deficiency(pair):
    one, two = (ALIGNMENT_COLOURS[v] for v in pair)
    for name, matrix in [("normal", None), *CVD.items()]:
        assert _distance(one, two, matrix) >= 20, (pair, name)


def test_every_fill_carries_white_counts_and_stands_out_from_the_page():
    for colour in [*ALIGNMENT_COLOURS.values(), *STATUS_COLOURS.values()]:
        assert _contrast(colour, "#ffffff") >= 4.5, colour


def test_only_is_hatched_in_bars_and_legend_alike():
    segments = [(v, label, ALIGNMENT_COLOURS[v]) for v, label in Alignment.choices]
    svg = stacked_bars("c", "t", [("row", {"kz_only": 2, "kz_stricter": 1})], segments)
    assert {"kz_only", "cn_only"} == HATCHED
    for value in HATCHED:
        assert f'<pattern id="c-{value}"' in svg
        # One fill in the legend, and the bar's for kz_only.
        assert svg.count(f'fill="url(#c-{value})"') == (2 if value == "kz_only" else 1)
    assert 'role="img"' in svg and "<a " not in svg  # the PDF's chart: no links


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_links_cost_no_query(client_for, regulator):
    """The dashboard and a comparison of several values take as many queries with 3
    mappings as with 60: the links are built from the counts already read."""
    client = client_for(regulator)
    home = reverse("standards:home")
    several = f"{reverse('standards:compare')}?alignment=kz_only&alignment=cn_only&topic=transport"
    counts = []
    for n in (3, 60):
        while ClauseMapping.objects.count() < n:
            make_mapping(alignment="kz_only", topic="transport", status="agreed")
        client.get(home)  # the session is read once
        counts.append((_queries(client, home), _queries(client, several)))
    assert counts[0] == counts[1]


def test_a_segment_of_one_among_hundreds_still_shows_its_number():
    segments = [(v, label, ALIGNMENT_COLOURS[v]) for v, label in Alignment.choices]
    for small in (1, 2, 3):
        svg = stacked_bars("c", "t", [("row", {"kz_only": small, "kz_stricter": 497})], segments)
        counts = re.findall(r'aria-hidden="true">(\d+)</text>', svg)
        assert sorted(counts, key=int) == [str(small), "497"], svg
    widths = segment_widths([1, 0, 499], 500)
    assert widths[1] == 0 and widths[0] >= text_width("1", 8) + 2
    assert round(sum(widths), 6) == 500  # the bar keeps its length
    assert segment_widths([2, 2], 100) == [50.0, 50.0]  # wide enough: shares as they are
