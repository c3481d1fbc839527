"""Score charts drawn server-side as accessible inline SVG: no JavaScript, no CDN, same palette as the pages."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 560
ROW_HEIGHT = 28
BAR_HEIGHT = 16
TOP = 8
BOTTOM = 24  # room for the threshold's caption under the bars
LABEL_RIGHT = 164  # label text ends here (anchored right)
BAR_LEFT = 172
BAR_WIDTH = 250
VALUE_LEFT = BAR_LEFT + BAR_WIDTH + 8
LABEL_MAX_CHARS = 24

# gaia.css :root
INK = "#1d2330"
MUTED = "#5b6477"
TRACK = "#e8ecf5"
ACCENT = "#2454d6"
OK = "#1f7a4d"
WARN = "#a55a00"

NO_EVIDENCE = "no evidence"
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


def _number(value: float) -> str:
    """A score as people read it: at most one decimal, no trailing ``.0``."""
    return f"{round(value, 1):g}"


def _value_text(value: float, scale_max: float, unit: str) -> str:
    return f"{_number(value)}{unit}" if unit else f"{_number(value)} / {_number(scale_max)}"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX_CHARS else label[: LABEL_MAX_CHARS - 1].rstrip() + "…"


def _check(rows: Sequence[tuple[str, float | None, float]], scale_max: float, threshold: float | None) -> None:
    if not math.isfinite(scale_max) or scale_max <= 0:
        raise ValueError(f"bar_chart: scale_max must be a number > 0 (got {scale_max})")
    if threshold is not None and not (math.isfinite(threshold) and 0 <= threshold <= scale_max):
        raise ValueError(f"bar_chart: threshold must be between 0 and scale_max {scale_max} (got {threshold})")
    for i, (label, value, confidence) in enumerate(rows):
        if value is not None and not math.isfinite(value):
            raise ValueError(f"bar_chart: rows[{i}] {label!r}: value must be a finite number or None (got {value})")
        if not (math.isfinite(confidence) and 0 <= confidence <= 1):
            raise ValueError(f"bar_chart: rows[{i}] {label!r}: confidence must be between 0 and 1 (got {confidence})")


def _default_id(title: str, rows: Sequence[tuple[str, float | None, float]]) -> str:
    digest = hashlib.sha256(repr((title, [r[0] for r in rows])).encode()).hexdigest()
    return f"chart-{digest[:10]}"


def _row_svg(
    index: int, row: tuple[str, float | None, float], scale_max: float, unit: str, threshold: float | None
) -> tuple[str, str]:
    """One row's SVG and its sentence for the description."""
    label, value, confidence = row
    y = TOP + index * ROW_HEIGHT
    bar_y = y + (ROW_HEIGHT - BAR_HEIGHT) / 2
    text_y = y + ROW_HEIGHT / 2 + 4.5
    parts = [
        f'<g class="row"><title>{escape(label)}</title>',
        f'<text x="{LABEL_RIGHT}" y="{text_y:.1f}" text-anchor="end" fill="{INK}">{escape(_short(label))}</text>',
        f'<rect class="track" x="{BAR_LEFT}" y="{bar_y:.1f}" width="{BAR_WIDTH}" height="{BAR_HEIGHT}"'
        f' rx="3" fill="{TRACK}"/>',
    ]
    if value is None:
        parts.append(
            f'<text x="{BAR_LEFT + 8}" y="{text_y:.1f}" fill="{MUTED}" font-style="italic">{NO_EVIDENCE}</text>'
        )
        sentence = f"{label}: {NO_EVIDENCE}"
    else:
        shown = min(max(value, 0.0), scale_max)
        below = threshold is not None and value < threshold
        colour = WARN if below else (OK if threshold is not None else ACCENT)
        # Less certain scores are drawn fainter; the exact confidence is in the text.
        opacity = 0.4 + 0.6 * confidence
        text = _value_text(value, scale_max, unit)
        if confidence < 1:
            text += f" (conf. {round(confidence * 100):d}%)"
        parts += [
            f'<rect class="bar" x="{BAR_LEFT}" y="{bar_y:.1f}" width="{shown / scale_max * BAR_WIDTH:.2f}"'
            f' height="{BAR_HEIGHT}" rx="3" fill="{colour}" fill-opacity="{opacity:.2f}"/>',
            f'<text class="value" x="{VALUE_LEFT}" y="{text_y:.1f}" fill="{INK}">{escape(text)}</text>',
        ]
        sentence = f"{label}: {text}" + (" (below threshold)" if below else "")
    parts.append("</g>")
    return "".join(parts), sentence


def _threshold_svg(threshold: float, scale_max: float, unit: str, bottom: float) -> str:
    x = BAR_LEFT + threshold / scale_max * BAR_WIDTH
    caption = f"pass {_number(threshold)}{unit}"
    return (
        f'<g class="threshold"><line x1="{x:.2f}" y1="{TOP - 2}" x2="{x:.2f}" y2="{bottom + 2:.1f}"'
        f' stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="4 3"/>'
        f'<text x="{x:.2f}" y="{bottom + 15:.1f}" text-anchor="middle" fill="{MUTED}" font-size="11">'
        f"{escape(caption)}</text></g>"
    )


def bar_chart(
    rows: Sequence[tuple[str, float | None, float]],
    *,
    title: str,
    scale_max: float,
    unit: str = "",
    threshold: float | None = None,
    chart_id: str | None = None,
) -> Markup:
    """A horizontal bar chart, one bar per ``(label, value, confidence)`` row, as inline SVG safe to embed.

    ``value`` is on ``0..scale_max`` (``None``: "no evidence", no bar); ``confidence`` is 0–1 (pass 1.0 for exact
    scores such as a graded task) and fades the bar. Bars below ``threshold`` (e.g. the pass score, drawn as a dashed
    line) take the warning colour. ``chart_id`` keeps ids unique when a page shows two charts with the same title.
    """
    _check(rows, scale_max, threshold)
    cid = chart_id or _default_id(title, rows)
    if not _ID.match(cid):
        raise ValueError(f"bar_chart: chart_id must be a letter then letters, digits, '_' or '-' (got {cid!r})")
    bars_bottom = TOP + max(len(rows), 1) * ROW_HEIGHT
    height = bars_bottom + BOTTOM
    drawn = [_row_svg(i, row, scale_max, unit, threshold) for i, row in enumerate(rows)]
    sentences = [s for _, s in drawn] or [NO_EVIDENCE]
    if threshold is not None:
        sentences.append(f"threshold {_number(threshold)}{unit}")
    body = "".join(svg for svg, _ in drawn)
    if not rows:
        body = f'<text x="{BAR_LEFT + 8}" y="{TOP + ROW_HEIGHT / 2 + 4.5:.1f}" fill="{MUTED}">{NO_EVIDENCE}</text>'
    if threshold is not None:
        body += _threshold_svg(threshold, scale_max, unit, bars_bottom)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{WIDTH}" height="{height}"'
        f' viewBox="0 0 {WIDTH} {height}" aria-labelledby="{cid}-title" aria-describedby="{cid}-desc"'
        f' font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="13">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape("; ".join(sentences))}</desc>'
        f"{body}</svg>"
    )
    return Markup(svg)
