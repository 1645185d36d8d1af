"""Server-side SVG charts: no JavaScript, so the same markup goes into HTML and PDF.

Plain Python; every piece of text is escaped here, so the result may be marked safe.
"""

import datetime
import unicodedata
from html import escape

# Fill colours chosen so that white count labels inside the bars keep a contrast ratio
# of at least 4.5:1 (WCAG AA).
STATUS_COLOURS = {
    "not_started": "#5c636a",
    "technical_review": "#0a58ca",
    "negotiation": "#9a4d00",
    "agreed": "#146c43",
    "harmonized": "#0f5132",
    "no_action": "#6f42c1",
}
# Kazakhstan in blues and China in vermilions (the Okabe–Ito hues, darkened for the white
# count labels): the two sides stay apart with any colour-vision deficiency. Within a
# side, "only" is much darker than "stricter" and hatched (HATCHED), so that colour is
# never the only difference; the legend shows the hatching too.
ALIGNMENT_COLOURS = {
    "equivalent": "#00734f",
    "kz_stricter": "#0067a0",
    "cn_stricter": "#b34700",
    "different": "#6b4c9a",
    "kz_only": "#002a4d",
    "cn_only": "#5c1a00",
    "not_assessed": "#5c636a",
}
HATCHED = frozenset({"kz_only", "cn_only"})


# The charts' own font, named on the <svg> element: the PDF's SVG renderer does not
# inherit the document's font, and without a family it picks the Japanese face of Noto
# CJK for Chinese. DejaVu Sans is also the widest of the usual faces, so the widths
# estimated below for it are enough for the others.
FONT_FAMILY = "DejaVu Sans, Noto Sans CJK SC, sans-serif"


def text_width(text, font_size=13):
    """Approximate rendered width in px, on the generous side (DejaVu Sans): CJK
    characters are about twice as wide as Latin or Cyrillic ones, capitals wider than
    small letters, spaces narrower."""
    em = 0.0
    for char in str(text):
        if unicodedata.east_asian_width(char) in "WF":
            em += 1.0
        elif char.isspace():
            em += 0.33
        elif char.isupper():
            em += 0.74
        else:
            em += 0.63
    return round(em * font_size)


def _break_word(word, max_width, font_size):
    """A word too long for a line, cut into pieces that fit (character by character,
    which is how Chinese text breaks anyway)."""
    pieces, piece = [], ""
    for char in word:
        if piece and text_width(piece + char, font_size) > max_width:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece] if piece else pieces


def wrap_text(text, max_width, font_size=13):
    """The lines `text` takes at most `max_width` px wide: broken at spaces, and inside a
    word only where one word alone is too wide (or has no spaces, as in Chinese)."""
    lines, line = [], ""
    for word in str(text).split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, font_size) <= max_width:
            line = candidate
            continue
        if line:
            lines.append(line)
        pieces = _break_word(word, max_width, font_size)
        lines.extend(pieces[:-1])
        line = pieces[-1] if pieces else ""
    if line:
        lines.append(line)
    return lines or [""]


def _text(x, y, lines, font_size, line_height, attributes=""):
    """An SVG <text> of one or more lines (one <tspan> each), the first baseline at y."""
    if len(lines) == 1:
        return (
            f'<text x="{x}" y="{y:.1f}" font-size="{font_size}"{attributes}>'
            f"{escape(lines[0])}</text>"
        )
    spans = "".join(
        f'<tspan x="{x}" y="{y + i * line_height:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text font-size="{font_size}"{attributes}>{spans}</text>'


# Row labels: at least as wide as a short label, at most this wide, plus padding.
MIN_LABEL_WIDTH = 70
MAX_LABEL_WIDTH = 360
LABEL_PADDING = 20
# Row labels: font size and line height (px), and the space kept before the bars.
LABEL_SIZE = 13
LABEL_LINE = 16
LABEL_GAP = 10
# The legend: entries per line, font size, line height, and where the text starts.
LEGEND_COLUMNS = 3
LEGEND_SIZE = 12
LEGEND_LINE = 15
LEGEND_TEXT_OFFSET = 20


def shared_label_width(*row_lists):
    """px for the row labels of charts drawn side by side: as wide as the longest label
    of any of them, so that their bars line up."""
    longest = max(
        (text_width(str(label)) for rows in row_lists for label, _counts in rows),
        default=MIN_LABEL_WIDTH,
    )
    return min(MAX_LABEL_WIDTH, LABEL_PADDING + longest)


def stacked_bars(
    chart_id,
    title,
    rows,
    segments,
    *,
    width=720,
    label_width=None,
    bar_height=22,
    gap=8,
    links=None,
):
    """A horizontal stacked bar per row, each bar the share of its own total.

    links: per row, {segment_value: href} (and "total": href for the row's total): the
    segment and its count link there (the dashboard's drill-down into the comparison);
    None for a chart without links (the PDF's).

    rows: [(label, {segment_value: count})]; segments: [(value, label, colour)], drawn
    and listed in the legend in the order given (the declared order of the choices).
    label_width: px for the row labels; by default as wide as the longest label. A label
    wider than that, or a legend entry wider than its column, is wrapped onto more
    lines, never drawn over the bars or the next entry.
    """
    if label_width is None:
        label_width = shared_label_width(rows)
    bar_width = width - label_width - 50
    label_lines = [wrap_text(label, label_width - LABEL_GAP, LABEL_SIZE) for label, _c in rows]
    columns = LEGEND_COLUMNS
    column_width = width / columns
    legend_lines = [
        wrap_text(seg_label, column_width - LEGEND_TEXT_OFFSET - LABEL_GAP, LEGEND_SIZE)
        for _value, seg_label, _colour in segments
    ]
    legend_heights = [
        max(len(lines) for lines in legend_lines[start : start + columns]) * LEGEND_LINE + 8
        for start in range(0, len(legend_lines), columns)
    ]
    row_heights = [max(bar_height, len(lines) * LABEL_LINE + 4) for lines in label_lines]
    height = 4 + sum(h + gap for h in row_heights) + 8 + sum(legend_heights) + 8
    links = links or [{} for _row in rows]
    role = "group" if any(links) else "img"
    fills = {value: _fill(chart_id, value, colour) for value, _l, colour in segments}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="{role}" '
        f'viewBox="0 0 {width} {round(height)}" width="100%" '
        f'font-family="{FONT_FAMILY}" '
        f'aria-labelledby="{chart_id}-title" id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        _patterns(chart_id, segments),
    ]
    y = 4
    for (label, counts), lines, row_height, row_links in zip(
        rows, label_lines, row_heights, links, strict=True
    ):
        total = sum(counts.values())
        bar_y = y + (row_height - bar_height) / 2
        baseline = bar_y + bar_height * 0.7
        # The label's lines centred on the bar.
        first = baseline - (len(lines) - 1) * LABEL_LINE / 2
        out.append(_text(0, first, lines, LABEL_SIZE, LABEL_LINE, ' fill="#212529"'))
        x = float(label_width)
        widths = segment_widths([counts.get(v, 0) for v, _l, _c in segments], bar_width)
        for (value, seg_label, _colour), w in zip(segments, widths, strict=True):
            count = counts.get(value, 0)
            if not count:
                continue
            share = round(100 * count / total)
            name = f"{label}: {seg_label}: {count} ({share}%)"
            piece = (
                f'<rect x="{x:.1f}" y="{bar_y:g}" width="{w:.1f}" height="{bar_height}" '
                f'fill="{fills[value]}"><title>{escape(name)}</title></rect>'
            )
            # The count inside its segment, smaller where the segment is narrow: a
            # segment of one item still shows its number (segment_widths).
            for size in COUNT_SIZES:
                if w >= text_width(str(count), size) + 2:
                    piece += (
                        f'<text x="{x + w / 2:.1f}" y="{baseline:.1f}" font-size="{size}" '
                        f'fill="#ffffff" text-anchor="middle" aria-hidden="true">{count}</text>'
                    )
                    break
            out.append(_linked(piece, row_links.get(value), name, "chart-segment"))
            x += w
        total_text = (
            f'<text x="{label_width + bar_width + 6}" y="{baseline:.1f}" '
            f'font-size="12" fill="#212529">{total}</text>'
        )
        out.append(_linked(total_text, row_links.get("total"), f"{label}: {total}", "chart-total"))
        y += row_height + gap
    y += 8
    for i, ((value, _seg_label, _colour), lines) in enumerate(
        zip(segments, legend_lines, strict=True)
    ):
        lx = (i % columns) * column_width
        ly = y + sum(legend_heights[: i // columns])
        out.append(f'<rect x="{lx:.1f}" y="{ly}" width="14" height="14" fill="{fills[value]}"/>')
        out.append(
            _text(
                f"{lx + LEGEND_TEXT_OFFSET:.1f}",
                ly + 12,
                lines,
                LEGEND_SIZE,
                LEGEND_LINE,
                ' fill="#212529"',
            )
        )
    out.append("</svg>")
    return "".join(out)


# The sizes a segment's count is drawn in, largest first.
COUNT_SIZES = (12, 10, 8)


def segment_widths(counts, bar_width):
    """px of each segment of a bar of `bar_width`: its share of the total, but never too
    narrow for its count in the smallest size, the room taken from the segments wider
    than their own minimum in proportion to their excess. A segment of 1 among 500
    still shows its number; its title and link keep the exact count and share."""
    total = sum(counts)
    if not total:
        return [0.0 for _count in counts]
    least = [text_width(str(c), COUNT_SIZES[-1]) + 2 if c else 0.0 for c in counts]
    widths = [bar_width * c / total for c in counts]
    short = sum(max(0.0, low - w) for w, low in zip(widths, least, strict=True))
    spare = sum(max(0.0, w - low) for w, low in zip(widths, least, strict=True))
    if not short or spare <= short:
        return widths
    return [
        low if w <= low else w - (w - low) * short / spare
        for w, low in zip(widths, least, strict=True)
    ]


def _fill(chart_id, value, colour):
    return f"url(#{chart_id}-{value})" if value in HATCHED else colour


def _patterns(chart_id, segments):
    """The hatching of the HATCHED segments: white diagonal lines on the segment's colour
    (ids prefixed with the chart's, as several charts share a page)."""
    out = [
        f'<pattern id="{chart_id}-{value}" patternUnits="userSpaceOnUse" width="6" '
        f'height="6" patternTransform="rotate(45)"><rect width="6" height="6" '
        f'fill="{colour}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" '
        f'stroke-width="1.5" stroke-opacity="0.6"/></pattern>'
        for value, _label, colour in segments
        if value in HATCHED
    ]
    return f"<defs>{''.join(out)}</defs>" if out else ""


def _linked(piece, href, name, css):
    """`piece` of a chart inside a link to `href` named `name`, or as it is without one."""
    if not href:
        return piece
    return f'<a href="{escape(href)}" class="{css}" aria-label="{escape(str(name))}">{piece}</a>'


# The milestone timeline: marker colours (contrast ≥ 3:1 on white, WCAG 1.4.11), the
# height of a row, and the space for the year axis.
TARGET_COLOUR = "#0a58ca"
ACTUAL_COLOUR = "#146c43"
TODAY_COLOUR = "#b02a37"
TIMELINE_ROW = 28
TIMELINE_AXIS = 22


class _Axis:
    """Whole years from the first date's to the year after the last one's, mapped onto
    the plot's width."""

    def __init__(self, dates, x, width):
        self.first_year = min(dates).year
        self.last_year = max(dates).year + 1
        self.start = datetime.date(self.first_year, 1, 1).toordinal()
        self.span = datetime.date(self.last_year, 1, 1).toordinal() - self.start
        self.x, self.width = x, width

    def x_of(self, day):
        return self.x + self.width * (day.toordinal() - self.start) / self.span

    def svg(self, top, bottom):
        out = [
            f'<line x1="{self.x}" y1="{bottom}" x2="{self.x + self.width}" y2="{bottom}" '
            f'stroke="#495057"/>'
        ]
        step = max(1, (self.last_year - self.first_year) // 8)
        for year in range(self.first_year, self.last_year + 1, step):
            x = self.x_of(datetime.date(year, 1, 1))
            out.append(
                f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom + 4}" stroke="#dee2e6"/>'
            )
            out.append(
                f'<text x="{x:.1f}" y="{bottom + 17}" font-size="11" fill="#212529" '
                f'text-anchor="middle">{year}</text>'
            )
        return out


def _timeline_marks(axis, middle, name, target, actual, legend):
    """The marks of one milestone: its target (a hollow diamond), its actual date (a
    filled circle) and a line between them where it has both."""
    out = []
    if target and actual:
        out.append(
            f'<line x1="{axis.x_of(target):.1f}" y1="{middle:.1f}" '
            f'x2="{axis.x_of(actual):.1f}" y2="{middle:.1f}" stroke="#6c757d" stroke-width="2"/>'
        )
    if target:
        tx = axis.x_of(target)
        out.append(
            f'<path d="M{tx:.1f} {middle - 6:.1f} l6 6 l-6 6 l-6 -6 z" fill="#ffffff" '
            f'stroke="{TARGET_COLOUR}" stroke-width="2" class="timeline-target">'
            f"<title>{escape(name)}: {escape(str(legend['target']))} "
            f"{target:%Y-%m-%d}</title></path>"
        )
    if actual:
        out.append(
            f'<circle cx="{axis.x_of(actual):.1f}" cy="{middle:.1f}" r="5" '
            f'fill="{ACTUAL_COLOUR}" class="timeline-actual">'
            f"<title>{escape(name)}: {escape(str(legend['actual']))} "
            f"{actual:%Y-%m-%d}</title></circle>"
        )
    return out


def _timeline_legend(y, width, legend):
    marks = [
        f'<path d="M7 {y} l6 6 l-6 6 l-6 -6 z" fill="#ffffff" stroke="{TARGET_COLOUR}" '
        f'stroke-width="2"/>',
        f'<circle cx="7" cy="{y + 6}" r="5" fill="{ACTUAL_COLOUR}"/>',
        f'<line x1="2" y1="{y - 1}" x2="2" y2="{y + 13}" stroke="{TODAY_COLOUR}" '
        f'stroke-dasharray="4 3"/>',
    ]
    out = []
    for i, (key, mark) in enumerate(zip(("target", "actual", "today"), marks, strict=True)):
        lx = i * width / 3
        out.append(f'<g transform="translate({lx:.1f} 0)">{mark}</g>')
        out.append(
            f'<text x="{lx + LEGEND_TEXT_OFFSET:.1f}" y="{y + 11}" '
            f'font-size="{LEGEND_SIZE}" fill="#212529">{escape(str(legend[key]))}</text>'
        )
    return out


def milestone_timeline(chart_id, title, rows, legend, *, today=None, width=720, label_width=None):
    """One row per pathway: its milestones' target dates (hollow diamonds) against their
    actual dates (filled circles), joined by a line where a stage has both, on a common
    axis of years, with today marked.

    rows: [(label, href or None, [(stage label, target date or None, actual date or
    None)])]; legend: {"target": text, "actual": text, "today": text}. Only dates known
    to the day are drawn; a row's label links to `href` when one is given (the HTML page;
    the PDF passes none). Dates known only to the month belong in the table that goes
    with the chart. Plain Python, like the other charts: the same markup serves HTML and
    PDF. Without links the SVG is role="img"; with them role="group" (named by its
    title), so that the links stay reachable by keyboard and screen reader.
    """
    if label_width is None:
        label_width = shared_label_width([(label, None) for label, _h, _s in rows])
    plot_width = width - label_width - 24  # room for the last year's label
    label_lines = [wrap_text(label, label_width - LABEL_GAP, LABEL_SIZE) for label, _h, _s in rows]
    row_heights = [max(TIMELINE_ROW, len(lines) * LABEL_LINE + 6) for lines in label_lines]
    plot_bottom = 4 + sum(row_heights)
    legend_y = plot_bottom + TIMELINE_AXIS + 10
    # An image, as the other charts are; with links, a group of them: an image's content
    # is presentational, and a link inside it would be hidden from assistive technology.
    role = "group" if any(href for _l, href, _s in rows) else "img"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-timeline" role="{role}" '
        f'viewBox="0 0 {width} {round(legend_y + LEGEND_LINE + 8)}" width="100%" '
        f'font-family="{FONT_FAMILY}" '
        f'aria-labelledby="{chart_id}-title" id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    dates = [d for _l, _h, stages in rows for _s, *pair in stages for d in pair if d]
    dates += [today] if today is not None else []
    axis = _Axis(dates, label_width, plot_width) if dates else None
    if axis:
        out += axis.svg(4, plot_bottom)
    y = 4
    for (label, href, stages), lines, height in zip(rows, label_lines, row_heights, strict=True):
        middle = y + height / 2
        first = middle + 4 - (len(lines) - 1) * LABEL_LINE / 2
        if href:
            link = ' fill="#0a58ca" text-decoration="underline"'
            text = _text(0, first, lines, LABEL_SIZE, LABEL_LINE, link)
            out.append(f'<a href="{escape(href)}" class="timeline-link">{text}</a>')
        else:
            out.append(_text(0, first, lines, LABEL_SIZE, LABEL_LINE, ' fill="#212529"'))
        out.append(
            f'<line x1="{label_width}" y1="{middle:.1f}" x2="{label_width + plot_width}" '
            f'y2="{middle:.1f}" stroke="#e9ecef"/>'
        )
        for stage_label, target, actual in stages if axis else []:
            out += _timeline_marks(axis, middle, f"{label}: {stage_label}", target, actual, legend)
        y += height
    if axis and today is not None:
        tx = axis.x_of(today)
        out.append(
            f'<line x1="{tx:.1f}" y1="4" x2="{tx:.1f}" y2="{plot_bottom}" '
            f'stroke="{TODAY_COLOUR}" stroke-dasharray="4 3"/>'
        )
    out += _timeline_legend(legend_y, width, legend)
    out.append("</svg>")
    return "".join(out)
