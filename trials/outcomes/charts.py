"""Horizontal bar charts as inline SVG, drawn on the server.

No script and no style attribute, so a Content-Security-Policy without 'unsafe-inline' holds:
colours come from SVG presentation attributes (fill=...) and CSS classes that
static/css/outcomes.css refines. The chart is decoration for sighted readers; the table beside it
carries the same numbers for screen readers and print, so the SVG is aria-hidden apart from its
title.
"""

from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 560
LABEL_WIDTH = 210
VALUE_WIDTH = 110
ROW = 26
BAR = 16
PAD = 8
FILLS = {
    "bar": "#0d6efd",
    "bar-good": "#198754",
    "bar-muted": "#6c757d",
    "sev-mild": "#ffc107",
    "sev-moderate": "#fd7e14",
    "sev-severe": "#dc3545",
    "sev-life_threatening": "#6f1d1b",
}


@dataclass
class Bar:
    label: str
    value: float
    text: str
    css: str = "bar"
    url: str = ""


@dataclass
class Segment:
    value: float
    css: str
    title: str


@dataclass
class Stack:
    label: str
    segments: list[Segment]
    text: str
    url: str = ""
    total: float = field(init=False)

    def __post_init__(self):
        self.total = sum(s.value for s in self.segments)


def _svg(title: str, rows: int, body: list[str], axis: str = "") -> SafeString:
    height = rows * ROW + 2 * PAD + (14 if axis else 0)
    # An image may not hold links (its content is not reachable): a chart whose bars link to
    # their trials is a named group of links instead.
    role = "group" if any("<a " in part for part in body) else "img"
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="{role}" aria-label="{escape(title)}" focusable="false" '
        f'font-size="12" font-family="system-ui, sans-serif">'
        f"<title>{escape(title)}</title>"
    )
    return mark_safe(head + "".join(body) + axis + "</svg>")  # noqa: S308 - all text escaped


def _label(y: float, text: str) -> str:
    short = text if len(text) <= 32 else text[:31] + "…"
    return (
        f'<text class="chart-label" x="{LABEL_WIDTH - 6}" y="{y + BAR / 2}" '
        f'text-anchor="end" dominant-baseline="middle" fill="#212529">{escape(short)}</text>'
    )


def _link(url: str, inner: str) -> str:
    return f'<a href="{escape(url)}">{inner}</a>' if url else inner


def bar_chart(bars: list[Bar], *, title: str) -> SafeString:
    """One bar per row; negative values grow left of a zero line."""
    span_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    low = min([0.0, *(b.value for b in bars)])
    high = max([0.0, *(b.value for b in bars)])
    scale = span_width / (high - low) if high > low else 0
    zero = LABEL_WIDTH + (-low) * scale
    body = []
    for i, bar in enumerate(bars):
        y = PAD + i * ROW
        x = zero + min(bar.value, 0) * scale
        width = max(abs(bar.value) * scale, 0 if bar.value == 0 else 1.5)
        fill = FILLS.get(bar.css, FILLS["bar"])
        rect = (
            f'<rect class="{escape(bar.css)}" x="{x:.1f}" y="{y}" width="{width:.1f}" '
            f'height="{BAR}" rx="2" fill="{fill}"><title>{escape(bar.label)}: '
            f"{escape(bar.text)}</title></rect>"
        )
        text_x = (zero + bar.value * scale + 4) if bar.value >= 0 else (x - 4)
        anchor = "start" if bar.value >= 0 else "end"
        if bar.value < 0 and low < 0:
            text_x = zero + 4
            anchor = "start"
        value = (
            f'<text class="chart-value" x="{text_x:.1f}" y="{y + BAR / 2}" '
            f'text-anchor="{anchor}" dominant-baseline="middle" fill="#212529">'
            f"{escape(bar.text)}</text>"
        )
        body.append(_label(y, bar.label) + _link(bar.url, rect) + value)
    rows = max(len(bars), 1)
    axis = (
        f'<line class="chart-axis" x1="{zero:.1f}" x2="{zero:.1f}" y1="{PAD - 4}" '
        f'y2="{PAD + rows * ROW - 6}" stroke="#adb5bd" stroke-width="1"/>'
    )
    return _svg(title, rows, body, axis)


def stacked_chart(stacks: list[Stack], *, title: str) -> SafeString:
    """One bar per row made of coloured segments (e.g. adverse events by severity)."""
    span_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    high = max([0.0, *(s.total for s in stacks)])
    scale = span_width / high if high else 0
    body = []
    for i, stack in enumerate(stacks):
        y = PAD + i * ROW
        x = float(LABEL_WIDTH)
        parts = []
        for seg in stack.segments:
            if not seg.value:
                continue
            width = seg.value * scale
            fill = FILLS.get(seg.css, FILLS["bar"])
            parts.append(
                f'<rect class="{escape(seg.css)}" x="{x:.1f}" y="{y}" width="{width:.1f}" '
                f'height="{BAR}" fill="{fill}"><title>{escape(stack.label)}, '
                f"{escape(seg.title)}</title></rect>"
            )
            x += width
        value = (
            f'<text class="chart-value" x="{x + 4:.1f}" y="{y + BAR / 2}" '
            f'dominant-baseline="middle" fill="#212529">{escape(stack.text)}</text>'
        )
        body.append(_label(y, stack.label) + _link(stack.url, "".join(parts)) + value)
    return _svg(title, max(len(stacks), 1), body)
