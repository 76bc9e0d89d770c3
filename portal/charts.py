"""Small server-side SVG charts: stacked columns and lines over time, horizontal bars.

The SVG is drawn in a 320-unit wide viewBox and scales with the page, so its 12-unit text is
readable on a 320 px phone and grows on a desktop. Colours are presentation attributes (the
portal's Content-Security-Policy refuses inline styles) from the Okabe-Ito palette, which stays
distinguishable for colour-blind readers; the legend is HTML beside the drawing. Every value is
escaped. The numbers are also in the data table the page puts next to each chart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7F7F7F", "#000000")
WIDTH = 320
FONT = 12
Number = int | float


@dataclass
class Series:
    name: str
    values: Sequence[Number | None]


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _num(v: Number | None) -> float:
    return float(v) if v is not None else 0.0


def nice_max(value: float) -> float:
    """A round top for the value axis (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - unreachable


def _svg(title: str, height: float, body: list[str], chart_id: str) -> Markup:
    t = escape(title)
    return Markup(  # noqa: S704 - every text and value put in the SVG is escaped
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-labelledby="{chart_id}-t" font-size="{FONT}" font-family="sans-serif" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{chart_id}-t">{t}</title>'
        + "".join(body)
        + "</svg>"
    )


def _value_axis(top: float, x0: float, y0: float, y1: float, fmt) -> list[str]:
    """Horizontal grid lines with their values (0, half, top) for a vertical value axis."""
    out = []
    for frac in (0, 0.5, 1):
        y = y0 - (y0 - y1) * frac
        out.append(
            f'<line x1="{x0}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d0d0" '
            f'stroke-width="1"/>'
            f'<text x="{x0 - 3}" y="{y + 4:.1f}" text-anchor="end" fill="#333">'
            f"{escape(fmt(top * frac))}</text>"
        )
    return out


def _x_labels(labels: Sequence[str], x0: float, step: float, y: float) -> list[str]:
    """At most five labels along the time axis, evenly spaced, always the first and last."""
    n = len(labels)
    if n == 0:
        return []
    keep = {0, n - 1}
    if n > 2:
        every = max(1, math.ceil(n / 4))
        keep.update(range(0, n, every))
    out = []
    for i in sorted(keep):
        if i != n - 1 and i != 0 and (n - 1 - i) * step < 40:
            continue  # too close to the last label
        x = x0 + step * (i + 0.5)
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        if anchor == "start":
            x = x0
        elif anchor == "end":
            x = WIDTH
        out.append(
            f'<text x="{x:.1f}" y="{y}" text-anchor="{anchor}" fill="#333">'
            f"{escape(labels[i])}</text>"
        )
    return out


def columns(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str],
    chart_id: str,
) -> Markup:
    """Stacked columns, one per label (time bucket), one colour per series."""
    height, x0, top_pad, bottom = 200, 44.0, 8.0, 22.0
    y0, y1 = height - bottom, top_pad
    totals = [sum(_num(s.values[i]) for s in series) for i in range(len(labels))]
    top = nice_max(max(totals, default=0))
    step = (WIDTH - x0) / max(len(labels), 1)
    gap = min(2.0, step * 0.2)
    body = _value_axis(top, x0, y0, y1, fmt)
    for i in range(len(labels)):
        base = y0
        for k, s in enumerate(series):
            v = _num(s.values[i])
            if v <= 0:
                continue
            h = (y0 - y1) * v / top
            base -= h
            body.append(
                f'<rect x="{x0 + step * i + gap / 2:.2f}" y="{base:.2f}" '
                f'width="{max(step - gap, 0.5):.2f}" height="{h:.2f}" fill="{colour(k)}">'
                f"<title>{escape(labels[i])}, {escape(s.name)}: {escape(fmt(v))}</title></rect>"
            )
    body.append(f'<line x1="{x0}" x2="{WIDTH}" y1="{y0}" y2="{y0}" stroke="#333"/>')
    body += _x_labels(labels, x0, step, height - 6)
    return _svg(title, height, body, chart_id)


def line(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str],
    chart_id: str,
) -> Markup:
    """Lines over time, one per series, with a dot on every point."""
    height, x0, top_pad, bottom = 180, 44.0, 8.0, 22.0
    y0, y1 = height - bottom, top_pad
    top = nice_max(max((_num(v) for s in series for v in s.values), default=0))
    step = (WIDTH - x0) / max(len(labels), 1)
    body = _value_axis(top, x0, y0, y1, fmt)
    for k, s in enumerate(series):
        points = [
            (x0 + step * (i + 0.5), y0 - (y0 - y1) * _num(v) / top) for i, v in enumerate(s.values)
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{colour(k)}" stroke-width="2"/>'
            )
        radius = 2.5 if len(points) <= 40 else 1.5
        for (x, y), label, v in zip(points, labels, s.values, strict=False):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour(k)}">'
                f"<title>{escape(label)}: {escape(fmt(_num(v)))}</title></circle>"
            )
    body.append(f'<line x1="{x0}" x2="{WIDTH}" y1="{y0}" y2="{y0}" stroke="#333"/>')
    body += _x_labels(labels, x0, step, height - 6)
    return _svg(title, height, body, chart_id)


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str],
    chart_id: str,
    *,
    stacked: bool = False,
    max_rows: int = 15,
) -> Markup:
    """Horizontal bars, the label on its own line above each bar so long names stay whole on a
    phone; several series are stacked or drawn one under the other."""
    labels = list(labels)[:max_rows]
    n_series = 1 if stacked else max(len(series), 1)
    bar_h = 12.0
    value_room = 64.0
    if stacked:
        top = max((sum(_num(s.values[i]) for s in series) for i in range(len(labels))), default=0)
    else:
        top = max((_num(s.values[i]) for s in series for i in range(len(labels))), default=0)
    top = top if top > 0 else 1.0
    scale = (WIDTH - value_room) / top
    body = []
    y = 0.0
    for i, label in enumerate(labels):
        body.append(f'<text x="0" y="{y + FONT:.1f}" fill="#111">{escape(_clip(label))}</text>')
        y += FONT + 4
        x = 0.0
        total = 0.0
        for k, s in enumerate(series):
            v = _num(s.values[i])
            total += v
            w = v * scale
            if stacked:
                if w > 0:
                    body.append(
                        f'<rect x="{x:.2f}" y="{y:.1f}" width="{w:.2f}" height="{bar_h}" '
                        f'fill="{colour(k)}"><title>{escape(s.name)}: {escape(fmt(v))}</title>'
                        "</rect>"
                    )
                x += w
            else:
                yy = y + bar_h * k
                body.append(
                    f'<rect x="0" y="{yy:.1f}" width="{max(w, 0):.2f}" height="{bar_h - 1}" '
                    f'fill="{colour(k)}"><title>{escape(s.name)}: {escape(fmt(v))}</title></rect>'
                    f'<text x="{w + 4:.1f}" y="{yy + bar_h - 2:.1f}" fill="#111">'
                    f"{escape(fmt(v)) if s.values[i] is not None else '–'}</text>"
                )
        if stacked:
            body.append(
                f'<text x="{x + 4:.1f}" y="{y + bar_h - 2:.1f}" fill="#111">'
                f"{escape(fmt(total))}</text>"
            )
        y += bar_h * n_series + 8
    return _svg(title, max(y, 20), body, chart_id)


def _clip(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
