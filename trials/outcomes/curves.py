"""Response curves of a trial, per dose attempt: the mean lower-limb MAS against the hours after
the dose, and blood pressure, heart rate and SpO₂ against the same hours, each beside its table.

The MAS points are the responder suggestion's own Comparison objects (trials/responder.py
`compare`, taken from the scores table's columns), so the curve, the scores table and the
suggestion cannot disagree: the point at 0 h is the paired baseline mean, each later point the
paired mean at that time, and the threshold line is the level the mean must reach (the paired
baseline mean less the site's threshold). When the groups scored differ between times, each
time has its own paired baseline, and the threshold line steps with it.

Why hand-written SVG and not a charting library: the page's Content-Security-Policy forbids
inline scripts and styles, also inside SVG. The Python libraries that draw SVG (matplotlib,
pygal, leather) write style attributes or <style>/<script> elements, or need a browser-side
script (Chart.js, Vega), so each would need an exception to the policy and a dependency for
two kinds of line chart. A chart here is a short list of lines, markers and labels (`Shape`s)
in one coordinate system: `svg()` writes them with presentation attributes and CSS classes
(like the dashboard, trials/outcomes/charts.py), and the summary PDF lays out the very same SVG
(summary_pdf.py), so the screen and the record show one drawing of one set of numbers.

Built from an already-loaded TrialSnapshot: no queries.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape  # Django's escape is this behind a lazy-string check: a chart has hundreds

from django.utils.safestring import SafeString, mark_safe

from core import moments

WIDTH = 560
LEFT = 46
RIGHT = 18
TOP = 12
MAS_HEIGHT = 150
VITAL_HEIGHT = 86
GAP = 34
AXIS = 34
PLOT_WIDTH = WIDTH - LEFT - RIGHT

# One colour per kind of line: presentation attributes (no style attribute: CSP), also read by
# the PDF. Each passes 3:1 against white as a graphical object (WCAG 1.4.11).
COLOURS = {
    "mas": "#0b5ed7",
    "threshold": "#b02a37",
    "threshold-label": "#b02a37",
    "systolic": "#6f42c1",
    "diastolic": "#a0528f",
    "heart_rate": "#b35900",
    "spo2": "#0b5ed7",
    "grid": "#dee2e6",
    "axis": "#6c757d",
    "text": "#212529",
}
DASHED = "5 3"


@dataclass
class Shape:
    """One thing drawn, in chart units (y grows downwards, as in SVG).

    kind: "line" (points of a polyline), "dot" (one point, radius r), "text" (at one point).
    marker: a dot's shape, "circle" or a triangle pointing "down" or "up" (the flowsheet's
    marks for systolic and diastolic pressure), so lines that share a panel differ in more than
    colour (WCAG 1.4.1).
    """

    kind: str
    css: str
    points: list[tuple[float, float]]
    text: str = ""
    dashed: bool = False
    anchor: str = "start"
    width: float = 1.5
    r: float = 3.5
    title: str = ""
    marker: str = "circle"

    @property
    def colour(self) -> str:
        return COLOURS.get(self.css.split("-", 1)[-1], COLOURS["text"])


@dataclass
class Chart:
    description: str  # the text alternative (aria-label; the PDF's Alt): the chart in words
    height: float
    shapes: list[Shape] = field(default_factory=list)

    def svg(self) -> SafeString:
        return svg(self)


@dataclass
class Rows:
    caption: str
    headers: list[str]
    rows: list[list[str]]


@dataclass
class AttemptCurves:
    number: int
    dose_mcg: int
    mas: Chart | None
    mas_table: Rows | None
    vitals: Chart | None
    vitals_table: Rows | None
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Attempt {self.number} · {self.dose_mcg} mcg"


def when(moment) -> str:
    return moments.shown(moment)


def hours_text(minutes: float) -> str:
    return f"{minutes / 60:.1f}".replace("-", "−")


# --- geometry ------------------------------------------------------------------------------------


@dataclass
class Frame:
    """A plot area: x in hours from 0 to `hours`, y from `low` to `high`, `top` px down."""

    top: float
    height: float
    low: float
    high: float
    hours: float

    def x(self, hours: float) -> float:
        return LEFT + hours / self.hours * PLOT_WIDTH

    def y(self, value: float) -> float:
        return self.top + (self.high - value) / (self.high - self.low) * self.height


def hours_axis(minutes: list[float]) -> float:
    """Whole hours shown: at least 4 (the 2 h and 4 h assessments), enough for every point."""
    return float(max(4, math.ceil(max([0.0, *minutes]) / 60)))


def grid(frame: Frame, ticks: list[float], label: str, fmt=str) -> list[Shape]:
    right = LEFT + PLOT_WIDTH
    shapes = [Shape("line", "chart-grid", [(LEFT, frame.y(t)), (right, frame.y(t))], width=0.75)
              for t in ticks]  # fmt: skip
    shapes += [
        Shape("text", "chart-tick", [(LEFT - 5, frame.y(t) + 4)], fmt(t), anchor="end")
        for t in ticks
    ]
    shapes.append(Shape("text", "chart-label", [(LEFT, frame.top - 3)], label))
    return shapes


def x_axis(frame: Frame) -> list[Shape]:
    bottom = frame.top + frame.height
    # Hourly ticks, every 2 h past 8 h, then wider, so that a time stored days or years from
    # the dose still draws about two dozen ticks, not millions.
    step = 1 if frame.hours <= 8 else max(2, math.ceil(frame.hours / 24))
    shapes = [Shape("line", "chart-axis", [(LEFT, bottom), (LEFT + PLOT_WIDTH, bottom)], width=1)]
    for h in range(0, int(frame.hours) + 1, step):
        x = frame.x(h)
        shapes.append(Shape("line", "chart-axis", [(x, bottom), (x, bottom + 4)], width=1))
        shapes.append(Shape("text", "chart-tick", [(x, bottom + 15)], f"{h} h", anchor="middle"))
    shapes.append(
        Shape(
            "text",
            "chart-label",
            [(LEFT + PLOT_WIDTH, bottom + 29)],
            "hours after the dose",
            anchor="end",
        )
    )
    return shapes


def nice_range(
    values: list[float], *, floor: float, ceiling: float, span: float
) -> tuple[float, float, float]:
    """(low, high, step) around `values`, at least `span` wide (so a small change does not fill
    the panel), with at most 5 ticks, kept inside floor..ceiling."""
    low, high = min(values), max(values)
    middle = (low + high) / 2
    low, high = min(low, middle - span / 2), max(high, middle + span / 2)
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100) if (high - low) / s <= 4)
    low = max(floor, math.floor(low / step) * step)
    high = min(ceiling, math.ceil(high / step) * step)
    if high - low < span:  # pushed against a bound (SpO₂ at 100): widen the other way
        low, high = max(floor, high - span), min(ceiling, low + span)
    return low, high, step


def ticks_of(low: float, high: float, step: float) -> list[float]:
    count = int(round((high - low) / step))
    return [low + i * step for i in range(count + 1)]


# --- the mean lower-limb MAS ---------------------------------------------------------------------


def mas_curve(attempt, comparisons, threshold: Decimal) -> tuple[Chart | None, Rows | None, list]:
    """The paired means of `comparisons` (the scores table's, in time order) as a curve."""
    scored = [c for c in comparisons if c.counted]
    rows = [
        [c.label, hours_text(c.minutes_after), f"{c.baseline_mean}", f"{c.post_mean}", f"{c.fall}"]
        if c.counted
        else [c.label, hours_text(c.minutes_after), "–", "–", "no group scored at both times"]
        for c in comparisons
    ]
    table = Rows(
        f"Mean lower-limb MAS after {attempt.dose_mcg} mcg (attempt {attempt.number}), over the "
        "groups scored both at baseline and at that time",
        ["Time", "Hours after the dose", "Baseline mean", "Mean at that time", "Fall"],
        rows,
    )
    if not scored:
        return None, table if rows else None, []
    frame = Frame(TOP + 14, MAS_HEIGHT, 0.0, 4.0, hours_axis([c.minutes_after for c in scored]))
    shapes = grid(frame, [0, 1, 2, 3, 4], "Mean lower-limb MAS (0–4)")
    shapes += x_axis(frame)

    uniform = len({tuple(c.counted) for c in scored}) == 1
    levels = [float(c.baseline_mean - threshold) for c in scored]
    if uniform:
        segments = [(0.0, frame.hours, levels[0])]
    else:  # each time against its own paired baseline: the line steps at the midpoints
        hours = [c.minutes_after / 60 for c in scored]
        edges = [0.0] + [(a + b) / 2 for a, b in zip(hours, hours[1:], strict=False)]
        segments = list(zip(edges, [*edges[1:], frame.hours], levels, strict=True))
    for start, end, level in segments:
        y = frame.y(max(level, 0.0))
        shapes.append(
            Shape(
                "line",
                "curve-threshold",
                [(frame.x(start), y), (frame.x(end), y)],
                dashed=True,
                width=1.5,
                title=f"Responder at or below {level:.2f}",
            )
        )
    shapes.append(
        Shape(
            "text",
            "curve-threshold-label",
            [(LEFT + PLOT_WIDTH, TOP)],
            f"dashed: responder level (fall ≥ {threshold:.1f})",
            anchor="end",
        )
    )
    baseline = scored[0].baseline_mean
    points = [(0.0, float(baseline))] + [(c.minutes_after / 60, float(c.post_mean)) for c in scored]
    shapes.append(
        Shape("line", "curve-mas", [(frame.x(h), frame.y(v)) for h, v in points], width=2)
    )
    dots = [(0.0, baseline, "Baseline", None)] + [
        (c.minutes_after / 60, c.post_mean, c.label, c.fall) for c in scored
    ]
    if not uniform:
        dots += [(0.0, c.baseline_mean, f"Baseline paired with {c.label}", None) for c in scored]
    for h, value, label, fall in dots:
        x, y = frame.x(h), frame.y(float(value))
        extra = "" if fall is None else f" (fall {fall})"
        shapes.append(Shape("dot", "curve-mas", [(x, y)], title=f"{label}: {value}{extra}"))
        at_end = x > LEFT + PLOT_WIDTH - 30
        shapes.append(
            Shape("text", "curve-value", [(x - 5 if at_end else x + 5, y - 7)], f"{value}",
                  anchor="end" if at_end else "start")
        )  # fmt: skip
    words = "; ".join(f"{c.label} {c.post_mean}" for c in scored)
    description = (
        f"Mean lower-limb MAS after {attempt.dose_mcg} mcg (attempt {attempt.number}): "
        f"baseline {baseline}; {words}. Responder level drawn as a dashed line "
        f"(a fall of at least {threshold:.1f})."
    )
    notes = (
        []
        if uniform
        else [
            "The groups scored differ between times: each time is compared with its own paired "
            "baseline mean, and the responder line steps with it."
        ]
    )
    height = frame.top + frame.height + AXIS
    chart = Chart(description, height, shapes)
    return chart, table, notes


# --- vital signs ---------------------------------------------------------------------------------

# title, (field, label, marker)s, the plausible range, the least span shown (a flat line stays
# flat). Systolic and diastolic share a panel: they differ in marker, and a legend names them.
VITAL_PANELS = [
    (
        "Blood pressure (mmHg)",
        [("systolic", "systolic", "down"), ("diastolic", "diastolic", "up")],
        30, 260, 80,
    ),
    ("Heart rate (/min)", [("heart_rate", "heart rate", "circle")], 20, 250, 40),
    ("SpO₂ (%)", [("spo2", "SpO₂", "circle")], 50, 100, 8),
]  # fmt: skip
VITAL_MARKERS = {name: marker for _, fields, *_ in VITAL_PANELS for name, _, marker in fields}


def legend(baseline: bool) -> list[Shape]:
    """The key above the panels, right-aligned: the blood-pressure markers and the baseline's
    dashes, each named (text widths estimated at 6.2 units a character)."""
    keys = [("systolic", "systolic"), ("diastolic", "diastolic")]
    keys.append(("baseline", "pre-dose baseline") if baseline else ("", "no pre-dose baseline"))
    x = LEFT + PLOT_WIDTH - sum(18 + 6.2 * len(label) for _, label in keys) + 12
    shapes = []
    for key, label in keys:
        if key == "baseline":
            line = [(x - 8, TOP - 4), (x + 6, TOP - 4)]
            shapes.append(Shape("line", "chart-legend", line, dashed=True, width=1.25))
        elif key:
            marker = VITAL_MARKERS[key]
            shapes.append(Shape("dot", f"legend-{key}", [(x, TOP - 4)], r=4, marker=marker))
        shapes.append(Shape("text", "chart-legend", [(x + (10 if key else -8), TOP)], label))
        x += 18 + 6.2 * len(label)
    return shapes


def vitals_curve(attempt, baseline, sets) -> tuple[Chart | None, Rows | None]:
    """Blood pressure, heart rate and SpO₂ after the dose, each with its pre-dose baseline."""
    given = attempt.given_at
    rows = []
    if baseline is not None:
        rows.append(
            [
                f"Baseline (pre-dose) {when(baseline.recorded_at)}",
                hours_text((baseline.recorded_at - given).total_seconds() / 60),
                baseline.blood_pressure,
                str(baseline.heart_rate),
                str(baseline.spo2),
            ]
        )
    minutes = [(v.recorded_at - given).total_seconds() / 60 for v in sets]
    rows += [
        [when(v.recorded_at), hours_text(m), v.blood_pressure, str(v.heart_rate), str(v.spo2)]
        for v, m in zip(sets, minutes, strict=True)
    ]
    table = Rows(
        f"Vital signs after {attempt.dose_mcg} mcg (attempt {attempt.number}), with the pre-dose "
        "baseline",
        ["Time", "Hours after the dose", "BP (mmHg)", "HR (/min)", "SpO₂ (%)"],
        rows,
    )
    if not sets:
        return None, table if rows else None
    hours = hours_axis(minutes)
    shapes: list[Shape] = []
    top = TOP + 14
    for title, fields, floor, ceiling, span in VITAL_PANELS:
        values = [float(getattr(v, f)) for v in sets for f, _, _ in fields]
        if baseline is not None:
            values += [float(getattr(baseline, f)) for f, _, _ in fields]
        low, high, step = nice_range(values, floor=floor, ceiling=ceiling, span=span)
        frame = Frame(top, VITAL_HEIGHT, low, high, hours)
        shapes += grid(frame, ticks_of(low, high, step), title, fmt=lambda t: f"{t:g}")
        for name, label, marker in fields:
            if baseline is not None:
                level = float(getattr(baseline, name))
                shapes.append(
                    Shape(
                        "line",
                        f"baseline-{name}",
                        [(frame.x(0), frame.y(level)), (frame.x(hours), frame.y(level))],
                        dashed=True,
                        width=1.25,
                        title=f"Pre-dose {label}: {getattr(baseline, name)}",
                    )
                )
            points = [(frame.x(m / 60), frame.y(float(getattr(v, name))))
                      for v, m in zip(sets, minutes, strict=True)]  # fmt: skip
            shapes.append(Shape("line", f"curve-{name}", points, width=2))
            shapes += [
                Shape("dot", f"curve-{name}", [p], r=2.5 if marker == "circle" else 3.5,
                      marker=marker, title=f"{when(v.recorded_at)} {label}: {getattr(v, name)}")
                for p, v in zip(points, sets, strict=True)
            ]  # fmt: skip
        top += VITAL_HEIGHT + GAP
    frame = Frame(top - VITAL_HEIGHT - GAP, VITAL_HEIGHT, 0, 1, hours)
    shapes += x_axis(frame)
    shapes += legend(baseline is not None)
    base = (
        f"pre-dose baseline BP {baseline.blood_pressure}, HR {baseline.heart_rate}, "
        f"SpO₂ {baseline.spo2} (dashed lines)"
        if baseline is not None
        else "no pre-dose baseline recorded"
    )
    last = sets[-1]
    description = (
        f"Vital signs after {attempt.dose_mcg} mcg (attempt {attempt.number}): {len(sets)} "
        f"set{'' if len(sets) == 1 else 's'} over {hours_text(minutes[-1])} h; {base}; last set "
        f"BP {last.blood_pressure}, HR {last.heart_rate}, SpO₂ {last.spo2}."
    )
    height = frame.top + frame.height + AXIS
    return Chart(description, height, shapes), table


# --- per trial -----------------------------------------------------------------------------------


def trial_curves(snap, scores) -> list[AttemptCurves]:
    """Each given attempt's curves. `scores` is presenters.score_table(snap): its post-dose
    columns carry the suggestion's Comparisons, which the MAS curve plots as they are."""
    curves = []
    for attempt in snap.given_attempts():
        comparisons = [c.comparison for c in scores.columns if c.attempt is attempt]
        comparisons = [c for c in comparisons if c is not None]
        mas, mas_table, notes = mas_curve(attempt, comparisons, snap.site.responder_threshold)
        pre = snap.pre_dose_vitals(attempt)
        vitals, vitals_table = vitals_curve(
            attempt, pre[-1] if pre else None, snap.vitals_after_injection(attempt)
        )
        curves.append(
            AttemptCurves(attempt.number, attempt.dose_mcg, mas, mas_table, vitals, vitals_table,
                          notes)
        )  # fmt: skip
    return curves


# --- SVG -----------------------------------------------------------------------------------------


def _points(shape: Shape) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in shape.points)


def _triangle(dot: Shape) -> Shape:
    """The dot as a triangle pointing down (∨, systolic) or up (∧, diastolic)."""
    (x, y), r = dot.points[0], dot.r
    tip = 1 if dot.marker == "down" else -1
    corners = [(x - r, y - tip * r * 0.8), (x + r, y - tip * r * 0.8), (x, y + tip * r)]
    return Shape("line", dot.css, corners)


def _shape_svg(shape: Shape) -> str:
    css, colour = escape(shape.css), shape.colour
    title = f"<title>{escape(shape.title)}</title>" if shape.title else ""
    if shape.kind == "text":
        (x, y), fill = shape.points[0], COLOURS["text"] if shape.css.startswith("chart") else colour
        return (
            f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{shape.anchor}" '
            f'fill="{fill}">{escape(shape.text)}</text>'
        )
    if shape.kind == "dot" and shape.marker == "circle":
        (x, y) = shape.points[0]
        return (
            f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="{shape.r}" fill="{colour}">'
            f"{title}</circle>"
        )
    if shape.kind == "dot":
        return (
            f'<polygon class="{css}" points="{_points(_triangle(shape))}" fill="{colour}">'
            f"{title}</polygon>"
        )
    dash = f' stroke-dasharray="{DASHED}"' if shape.dashed else ""
    return (
        f'<polyline class="{css}" points="{_points(shape)}" fill="none" stroke="{colour}" '
        f'stroke-width="{shape.width}"{dash}>{title}</polyline>'
    )


def svg(chart: Chart) -> SafeString:
    head = (
        f'<svg class="chart curve-chart" viewBox="0 0 {WIDTH} {chart.height:.0f}" width="100%" '
        f'role="img" aria-label="{escape(chart.description)}" focusable="false" '
        f'font-size="11" font-family="system-ui, sans-serif">'
        f"<title>{escape(chart.description)}</title>"
    )
    body = "".join(_shape_svg(s) for s in chart.shapes)
    return mark_safe(head + body + "</svg>")  # noqa: S308 - every text and attribute escaped
