"""Small SVG charts, drawn on the server: no chart library or build step in the browser.

Each chart is an accessible image (`role="img"`, a title and a description that states the
numbers); the page also shows the same numbers as a table for screen readers and for copying.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#1f6feb", "#2da44e", "#d4a72c", "#cf222e", "#8250df", "#57606a", "#1b7c83", "#bc4c00", "#6e7781")
WIDTH = 640
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 44


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _nice_max(value: float) -> float:
    """The axis top: the next 1, 2, 2.5 or 5 × 10ⁿ at or above `value`."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if value <= m * magnitude)


def _frame(title: str, description: str, height: int, body: str, legend: Sequence[str]) -> Markup:
    ident = "chart-" + str(abs(hash((title, description))) % 10**8)
    keys = "".join(
        f'<span class="key"><span class="swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>'
        f"{escape(name)}</span>"
        for i, name in enumerate(legend)
    )
    return Markup(
        f'<figure class="chart"><svg viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" preserveAspectRatio="xMidYMid meet">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(description)}</desc>'
        f"{body}</svg>" + (f'<figcaption class="legend">{keys}</figcaption>' if legend else "") + "</figure>"
    )


def _axis(height: int, top_value: float, unit: str) -> str:
    lines = []
    plot_h = height - TOP - BOTTOM
    for i in range(5):
        value = top_value * i / 4
        y = TOP + plot_h - plot_h * i / 4
        label = f"{value:g}{unit}"
        lines.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        lines.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">{escape(label)}</text>')
    return "".join(lines)


def _x_labels(labels: Sequence[str], slot: float, height: int) -> str:
    every = max(1, round(len(labels) / 10))  # at most ~10 labels fit on a phone
    return "".join(
        f'<text x="{LEFT + slot * (i + 0.5):.1f}" y="{height - BOTTOM + 16}" text-anchor="middle" class="tick">'
        f"{escape(label)}</text>"
        for i, label in enumerate(labels)
        if i % every == 0
    )


def stacked_bars(title: str, labels: Sequence[str], series: Sequence[Series], height: int = 260) -> Markup:
    """Columns per label, each stacked from the series (calls per day by outcome)."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    plot_h = height - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    bar_w = max(2.0, slot * 0.7)
    parts = [_axis(height, top, "")]
    for i in range(len(labels)):
        y = float(TOP + plot_h)
        for k, s in enumerate(series):
            value = s.values[i] or 0
            if value <= 0:
                continue
            h = plot_h * value / top
            y -= h
            parts.append(
                f'<rect x="{LEFT + slot * i + (slot - bar_w) / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(labels[i])}: '
                f"{escape(s.name)} {value:g}</title></rect>"
            )
    parts.append(_x_labels(labels, slot, height))
    description = (
        "; ".join(
            f"{label}: " + ", ".join(f"{s.name} {s.values[i] or 0:g}" for s in series if s.values[i])
            for i, label in enumerate(labels)
            if totals[i]
        )
        or "no calls in this period"
    )
    return _frame(title, description, height, "".join(parts), [s.name for s in series])


def horizontal_bars(title: str, items: Sequence[tuple[str, float]], unit: str = "") -> Markup:
    """One bar per item, longest first as given (the funnel, drop-off points)."""
    row_h, label_w = 28, 190
    height = TOP + BOTTOM // 2 + row_h * max(1, len(items))
    top = max((v for _, v in items), default=0) or 1
    usable = WIDTH - label_w - RIGHT - 48
    parts = []
    for i, (label, value) in enumerate(items):
        y = TOP + i * row_h
        w = usable * value / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 18}" text-anchor="end" class="tick">{escape(label)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row_h - 8}" fill="{PALETTE[0]}"/>'
        )
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 18}" class="value">{value:g}{escape(unit)}</text>')
    description = "; ".join(f"{label}: {value:g}{unit}" for label, value in items) or "no data"
    return _frame(title, description, height, "".join(parts), [])


def lines(title: str, labels: Sequence[str], series: Sequence[Series], unit: str = "", height: int = 240) -> Markup:
    """One line per series over the labels; missing values leave gaps (latency percentiles)."""
    values = [v for s in series for v in s.values if v is not None]
    top = _nice_max(max(values, default=0))
    plot_h = height - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    parts = [_axis(height, top, unit)]
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = [
            (LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * v / top) for i, v in enumerate(s.values) if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points)
    parts.append(_x_labels(labels, slot, height))
    description = (
        "; ".join(
            f"{s.name}: " + ", ".join(f"{labels[i]} {v:g}{unit}" for i, v in enumerate(s.values) if v is not None)
            for s in series
        )
        or "no data"
    )
    return _frame(title, description, height, "".join(parts), [s.name for s in series])
