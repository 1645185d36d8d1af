"""Server-side SVG charts: no JavaScript, so the same markup goes into HTML and PDF.

Plain Python; every piece of text is escaped here, so the result may be marked safe.
"""

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
ALIGNMENT_COLOURS = {
    "equivalent": "#146c43",
    "kz_stricter": "#00627a",
    "cn_stricter": "#b02a37",
    "different": "#9a4d00",
    "kz_only": "#084298",
    "cn_only": "#842029",
    "not_assessed": "#5c636a",
}


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
# px a bar segment needs to show its count inside it.
COUNT_LABEL_MIN_WIDTH = 26
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
):
    """A horizontal stacked bar per row, each bar the share of its own total.

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
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {round(height)}" width="100%" '
        f'font-family="{FONT_FAMILY}" '
        f'aria-labelledby="{chart_id}-title" id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    y = 4
    for (label, counts), lines, row_height in zip(rows, label_lines, row_heights, strict=True):
        total = sum(counts.values())
        bar_y = y + (row_height - bar_height) / 2
        baseline = bar_y + bar_height * 0.7
        # The label's lines centred on the bar.
        first = baseline - (len(lines) - 1) * LABEL_LINE / 2
        out.append(_text(0, first, lines, LABEL_SIZE, LABEL_LINE, ' fill="#212529"'))
        x = float(label_width)
        for value, seg_label, colour in segments:
            count = counts.get(value, 0)
            if not count:
                continue
            w = bar_width * count / total
            share = round(100 * count / total)
            out.append(
                f'<rect x="{x:.1f}" y="{bar_y:g}" width="{w:.1f}" height="{bar_height}" '
                f'fill="{colour}"><title>{escape(str(label))}: {escape(str(seg_label))}: '
                f"{count} ({share}%)</title></rect>"
            )
            if w >= max(COUNT_LABEL_MIN_WIDTH, text_width(str(count), 12) + 6):
                out.append(
                    f'<text x="{x + w / 2:.1f}" y="{baseline:.1f}" font-size="12" '
                    f'fill="#ffffff" text-anchor="middle" aria-hidden="true">{count}</text>'
                )
            x += w
        out.append(
            f'<text x="{label_width + bar_width + 6}" y="{baseline:.1f}" '
            f'font-size="12" fill="#212529">{total}</text>'
        )
        y += row_height + gap
    y += 8
    for i, ((_value, _seg_label, colour), lines) in enumerate(
        zip(segments, legend_lines, strict=True)
    ):
        lx = (i % columns) * column_width
        ly = y + sum(legend_heights[: i // columns])
        out.append(f'<rect x="{lx:.1f}" y="{ly}" width="14" height="14" fill="{colour}"/>')
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
