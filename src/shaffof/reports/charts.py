"""Charts as server-rendered SVG: no JavaScript, readable by screen readers, never the only way to the data.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and summarised by its ``<desc>``; every bar
carries its own ``<title>`` with the exact figure, its value is also printed as text, and series differ by
pattern and legend as well as colour (WCAG 1.4.1). The page puts the same figures in a table right after
each chart. Colours and sizes are SVG presentation attributes (the pages' CSP allows no inline styles).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

INK = "#1b1b1b"
PRIMARY = "#0b4f8a"
SECONDARY = "#b35c00"
GRID = "#b1b4b6"
_ids = count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as people read it, e.g. "87.5 %" or "1,204"


def horizontal_bars(title: str, description: str, bars: Sequence[Bar], *, maximum: float | None = None) -> Markup:
    """One bar per row, label on the left, value printed after the bar."""
    uid = next(_ids)
    label_width, bar_width, row = 260, 360, 26
    width, height = label_width + bar_width + 90, max(row * len(bars) + 10, 40)
    top = maximum if maximum is not None else max((b.value for b in bars), default=0) or 1
    parts = [_open(uid, width, height, title, description)]
    for index, bar in enumerate(bars):
        y = 5 + index * row
        length = 0 if top == 0 else max(bar.value / top * bar_width, 0)
        parts.append(
            f"<g><title>{escape(bar.label)}: {escape(bar.text)}</title>"
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" font-size="13" fill="{INK}">'
            f"{escape(_clip(bar.label, 36))}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" fill="{PRIMARY}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 16}" font-size="13" fill="{INK}">'
            f"{escape(bar.text)}</text>"
            "</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # every interpolated text went through escape()


def grouped_columns(
    title: str, description: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> Markup:
    """Columns per category (e.g. months) for up to two series: solid and hatched, with a legend."""
    uid = next(_ids)
    left, bottom, plot_height, slot = 56, 46, 220, max(28, 24 * len(series) + 8)
    width = left + slot * max(len(categories), 1) + 20
    height = plot_height + bottom + 30
    top = max((v for _, values in series for v in values), default=0) or 1
    scale = _nice(top)
    parts = [
        _open(uid, width, height, title, description),
        f'<defs><pattern id="hatch-{uid}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{SECONDARY}" stroke-width="3"/></pattern></defs>',
    ]
    for step in range(5):  # grid lines with their values
        value = scale * step / 4
        y = 30 + plot_height - plot_height * step / 4
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{INK}">{value:,.0f}</text>'
        )
    fills = [PRIMARY, f"url(#hatch-{uid})"]
    for index, category in enumerate(categories):
        x0 = left + index * slot + 4
        for number, (name, values) in enumerate(series):
            value = values[index]
            bar = plot_height * value / scale
            parts.append(
                f'<rect x="{x0 + number * 12}" y="{30 + plot_height - bar:.1f}" width="11" height="{bar:.1f}" '
                f'fill="{fills[number % 2]}" stroke="{PRIMARY if number % 2 == 0 else SECONDARY}">'
                f"<title>{escape(category)} — {escape(name)}: {value:,.0f}</title></rect>"
            )
        if len(categories) <= 12 or index % 2 == 0:
            parts.append(
                f'<text x="{x0 + 10}" y="{30 + plot_height + 16}" text-anchor="middle" font-size="10" '
                f'fill="{INK}">{escape(category[2:] if len(category) == 7 else category)}</text>'
            )
    for number, (name, _) in enumerate(series):  # legend
        x = left + number * 170
        parts.append(
            f'<rect x="{x}" y="8" width="14" height="14" fill="{fills[number % 2]}" '
            f'stroke="{PRIMARY if number % 2 == 0 else SECONDARY}"/>'
            f'<text x="{x + 20}" y="20" font-size="13" fill="{INK}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # every interpolated text went through escape()


def _open(uid: int, width: int, height: int, title: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="chart-{uid}-title chart-{uid}-desc" class="chart">'
        f'<title id="chart-{uid}-title">{escape(title)}</title><desc id="chart-{uid}-desc">{escape(description)}</desc>'
    )


def _nice(value: float) -> float:
    """A round upper bound for an axis (1, 2, 2.5, 5 × 10ⁿ)."""
    magnitude = 10.0 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
