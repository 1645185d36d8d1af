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


def text_width(text, font_size=13):
    """Approximate rendered width in px: CJK characters are about twice as wide."""
    wide = sum(1 for char in text if unicodedata.east_asian_width(char) in "WF")
    return round((wide * 1.0 + (len(text) - wide) * 0.55) * font_size)


# Row labels: at least as wide as a short label, at most this wide, plus padding.
MIN_LABEL_WIDTH = 70
MAX_LABEL_WIDTH = 360
LABEL_PADDING = 20
# px a bar segment needs to show its count inside it.
COUNT_LABEL_MIN_WIDTH = 26


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

    rows: [(label, {segment_value: count})]; segments: [(value, label, colour)].
    label_width: px for the row labels; by default as wide as the longest label.
    """
    if label_width is None:
        label_width = shared_label_width(rows)
    bar_width = width - label_width - 50
    legend_rows = (len(segments) + 2) // 3
    height = len(rows) * (bar_height + gap) + 16 + legend_rows * 22 + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'aria-labelledby="{chart_id}-title" id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    y = 4
    for label, counts in rows:
        total = sum(counts.values())
        out.append(
            f'<text x="0" y="{y + bar_height * 0.7:.1f}" font-size="13" fill="#212529">'
            f"{escape(str(label))}</text>"
        )
        x = float(label_width)
        for value, seg_label, colour in segments:
            count = counts.get(value, 0)
            if not count:
                continue
            w = bar_width * count / total
            share = round(100 * count / total)
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}" '
                f'fill="{colour}"><title>{escape(str(label))}: {escape(str(seg_label))}: '
                f"{count} ({share}%)</title></rect>"
            )
            if w >= COUNT_LABEL_MIN_WIDTH:
                out.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + bar_height * 0.7:.1f}" font-size="12" '
                    f'fill="#ffffff" text-anchor="middle" aria-hidden="true">{count}</text>'
                )
            x += w
        out.append(
            f'<text x="{label_width + bar_width + 6}" y="{y + bar_height * 0.7:.1f}" '
            f'font-size="12" fill="#212529">{total}</text>'
        )
        y += bar_height + gap
    y += 8
    column_width = width / 3
    for i, (_value, seg_label, colour) in enumerate(segments):
        lx = (i % 3) * column_width
        ly = y + (i // 3) * 22
        out.append(f'<rect x="{lx:.1f}" y="{ly}" width="14" height="14" fill="{colour}"/>')
        out.append(
            f'<text x="{lx + 20:.1f}" y="{ly + 12}" font-size="12" fill="#212529">'
            f"{escape(str(seg_label))}</text>"
        )
    out.append("</svg>")
    return "".join(out)
