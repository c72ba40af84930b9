"""Server-side SVG charts for the KPI page and the monthly report PDF (no JavaScript, no CDN; the
same markup is drawn by the browser and by WeasyPrint).

Two shapes: horizontal bars (one per technician) and a monthly trend (a bar per month and a line
through the values), each against a dashed target line. Bars are green when they meet the target,
red when they miss it, blue when there is nothing to judge. Every text is escaped; labels come in
already translated (the page) or in Chinese (the PDF), in the CJK font the pages use.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
COLOURS = {True: "#1a7f37", False: "#c62828", None: "#0b5cab"}
INK, MUTED, GRID, TARGET = "#1b1f24", "#5b6470", "#d5dae1", "#b36b00"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    ok: bool | None = None
    href: str | None = None
    note: str = ""         # e.g. "45/50", shown after the value


def nice_max(values: list[float | None], target: float | None, *, unit: str) -> float:
    """The axis end: 100 for a percentage that can reach it, else a round number above the data."""
    top = max([v for v in values if v is not None] + ([target] if target is not None else []) + [0.0])
    if unit == "%" and top > 20:
        return 100.0
    if top <= 0:
        return 1.0 if unit != "%" else 10.0
    magnitude = 10 ** math.floor(math.log10(top * 1.15))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= top * 1.15:
            return step * magnitude
    return 10 * magnitude


def number(value: float, unit: str) -> str:
    return f"{value:.1f}{unit}" if unit == "%" else f"{value:.1f}"


def axis_number(value: float, unit: str) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text + ("%" if unit == "%" else "")


def _link(inner: str, href: str | None, title: str) -> str:
    if not href:
        return f"<g><title>{escape(title)}</title>{inner}</g>"
    return f'<a href="{escape(href)}"><title>{escape(title)}</title>{inner}</a>'


def _open(width: int, height: int, title: str, css: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
            f'font-family="{FONT}" font-size="12">')


def _heading(title: str) -> str:
    return (f"<title>{escape(title)}</title>"
            f'<text x="0" y="15" font-size="13" font-weight="700" fill="{INK}">{escape(title)}</text>')


def bar_chart(bars: list[Bar], *, title: str, target: float | None, target_label: str = "", unit: str = "%",
              width: int = 560, label_width: int = 96) -> Markup:
    """Horizontal bars, one row each, with the target as a dashed vertical line."""
    row, top, bottom, right = 24, 46, 8, 92
    height = top + row * max(1, len(bars)) + bottom
    scale_end = nice_max([b.value for b in bars], target, unit=unit)
    plot = width - label_width - right

    def x(value: float) -> float:
        return label_width + plot * min(value, scale_end) / scale_end

    parts = [_open(width, height, title, "kpi-chart kpi-bars"), _heading(title),
             f'<line x1="{label_width}" y1="{top - 4}" x2="{label_width}" y2="{height - bottom}" stroke="{GRID}"/>']
    for i, bar in enumerate(bars):
        y = top + i * row
        label = bar.label if len(bar.label) <= 8 else bar.label[:7] + "…"
        inner = [f'<text x="{label_width - 6}" y="{y + 16}" text-anchor="end" fill="{INK}">{escape(label)}</text>']
        if bar.value is None:
            inner.append(f'<text x="{label_width + 6}" y="{y + 16}" fill="{MUTED}">—</text>')
        else:
            end = x(bar.value)
            inner.append(f'<rect x="{label_width}" y="{y + 4}" width="{max(end - label_width, 1.5):.1f}" '
                         f'height="{row - 8}" rx="2" fill="{COLOURS[bar.ok]}"/>')
            text = number(bar.value, unit) + (f"  {bar.note}" if bar.note else "")
            inner.append(f'<text x="{end + 5:.1f}" y="{y + 16}" fill="{INK}">{escape(text)}</text>')
        shown = "—" if bar.value is None else number(bar.value, unit)
        parts.append(_link("".join(inner), bar.href, f"{bar.label}: {shown} {bar.note}".strip()))
    if target is not None:
        tx = x(target)
        parts.append(f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{height - bottom}" stroke="{TARGET}" '
                     f'stroke-width="1.5" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{tx:.1f}" y="{top - 8}" text-anchor="middle" fill="{TARGET}" font-size="11">'
                     f'{escape(target_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # nosec B704  # every text and link in parts went through escape()


def trend_chart(points: list[Bar], *, title: str, target: float | None, target_label: str = "", unit: str = "%",
                width: int = 640, height: int = 210) -> Markup:
    """A bar per month with its value above, a line through the values, the target dashed across."""
    left, right, top, bottom = 40, 70, 40, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    scale_end = nice_max([p.value for p in points], target, unit=unit)
    step = plot_w / max(1, len(points))
    bar_w = max(4.0, min(34.0, step * 0.62))
    label_every = 1 if len(points) <= 14 else math.ceil(len(points) / 12)

    def y(value: float) -> float:
        return top + plot_h * (1 - min(value, scale_end) / scale_end)

    parts = [_open(width, height, title, "kpi-chart kpi-trend"), _heading(title)]
    for fraction in (0, 0.5, 1):
        gy = top + plot_h * (1 - fraction)
        parts.append(f'<line x1="{left}" y1="{gy:.1f}" x2="{width - right}" y2="{gy:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 4}" y="{gy + 4:.1f}" text-anchor="end" fill="{MUTED}" font-size="10">'
                     f'{escape(axis_number(scale_end * fraction, unit))}'
                     f'</text>')
    line = []
    small = len(points) > 14
    for i, point in enumerate(points):
        cx = left + step * (i + 0.5)
        inner = []
        if i % label_every == 0:
            inner.append(f'<text x="{cx:.1f}" y="{height - 8}" text-anchor="middle" fill="{MUTED}" font-size="10">'
                         f'{escape(point.label)}</text>')
        if point.value is not None:
            top_y = y(point.value)
            inner.append(f'<rect x="{cx - bar_w / 2:.1f}" y="{top_y:.1f}" width="{bar_w:.1f}" '
                         f'height="{max(top + plot_h - top_y, 1.0):.1f}" rx="2" fill="{COLOURS[point.ok]}" '
                         f'fill-opacity="0.78"/>')
            if not small:
                inner.append(f'<text x="{cx:.1f}" y="{top_y - 3:.1f}" text-anchor="middle" fill="{INK}" '
                             f'font-size="10">{escape(number(point.value, unit))}</text>')
            line.append(f"{cx:.1f},{top_y:.1f}")
        shown = "—" if point.value is None else number(point.value, unit)
        parts.append(_link("".join(inner), point.href, f"{point.label}: {shown} {point.note}".strip()))
    if len(line) > 1:
        parts.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{INK}" stroke-width="1.2" '
                     f'stroke-opacity="0.55"/>')
    if target is not None:
        ty = y(target)
        parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="{TARGET}" '
                     f'stroke-width="1.5" stroke-dasharray="5 3"/>')
        parts.append(f'<text x="{width - right + 4}" y="{ty + 4:.1f}" fill="{TARGET}" font-size="11">'
                     f'{escape(target_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # nosec B704  # every text and link in parts went through escape()
