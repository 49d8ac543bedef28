"""Server-drawn SVG charts: escaped text, no script or style attribute, negative values."""

import re

from trials.outcomes.charts import Bar, Segment, Stack, bar_chart, stacked_chart


def test_bar_chart_escapes_labels_and_has_no_inline_style():
    svg = str(bar_chart([Bar("<b>&", 3, "3", url="/x?a=1&b=2")], title='T "1"'))

    assert "<b>" not in svg
    assert "&lt;b&gt;&amp;" in svg
    assert 'href="/x?a=1&amp;b=2"' in svg
    assert "style=" not in svg
    assert "<script" not in svg
    assert 'aria-label="T &quot;1&quot;"' in svg


def test_bars_are_proportional():
    svg = str(bar_chart([Bar("a", 1, "1"), Bar("b", 2, "2")], title="t"))
    widths = [
        float(w) for w in re.findall(r'<rect class="bar" x="[^"]+" y="\d+" width="([^"]+)"', svg)
    ]

    assert widths[1] == 2 * widths[0]


def test_negative_values_grow_left_of_zero():
    svg = str(bar_chart([Bar("a", -1.5, "-1.50"), Bar("b", 0.5, "+0.50")], title="t"))
    xs = [float(x) for x in re.findall(r'<rect class="bar" x="([^"]+)"', svg)]
    zero = float(re.search(r'<line class="chart-axis" x1="([^"]+)"', svg).group(1))

    assert xs[0] < zero
    assert xs[1] == zero


def test_stacked_chart_has_one_segment_per_nonzero_value():
    stacks = [
        Stack("Headache", [Segment(2, "sev-mild", "Mild: 2"), Segment(0, "sev-severe", "")], "2")
    ]
    svg = str(stacked_chart(stacks, title="t"))

    assert svg.count("<rect") == 1
    assert 'class="sev-mild"' in svg
