"""Response curves on the trial page and the summary (trials/outcomes/curves.py); the PDF's are
in test_summary_pdf.py.

The pump trial of the cohort: baseline MAS 3 on every lower-limb group; 50 mcg: 3 at 2 h and
4 h; 75 mcg: 1+ (1.5) at 2 h and 4 h; vital signs 124/78, 72/min, SpO₂ 98 % before and after.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from trials import presenters
from trials.outcomes import curves
from trials.services.snapshot import TrialSnapshot

MAS_TOP = curves.TOP + 14  # the MAS plot area: 0 to 4 over MAS_HEIGHT px


def polylines(svg: str, css: str) -> list[list[tuple[float, float]]]:
    found = re.findall(rf'<polyline class="{css}" points="([^"]+)"', svg)
    return [[tuple(map(float, p.split(","))) for p in line.split()] for line in found]


def mas_value(y: float) -> Decimal:
    return Decimal(4 - (y - MAS_TOP) / curves.MAS_HEIGHT * 4).quantize(Decimal("0.01"))


@pytest.fixture
def pump_curves(cohort):
    snap = TrialSnapshot.load(cohort.pump.pk)
    table = presenters.score_table(snap)
    return table, curves.trial_curves(snap, table)


def test_the_mas_curve_draws_the_paired_means_of_the_scores_table(pump_curves):
    table, attempts = pump_curves

    for attempt in attempts:
        comparisons = [c.comparison for c in table.columns if c.attempt and
                       c.attempt.number == attempt.number]  # fmt: skip
        (line,) = polylines(attempt.mas.svg(), "curve-mas")
        drawn = [
            (round((x - curves.LEFT) / curves.PLOT_WIDTH * 4, 2), mas_value(y)) for x, y in line
        ]
        expected = [(0, comparisons[0].baseline_mean)] + [
            (c.minutes_after / 60, c.post_mean) for c in comparisons
        ]
        assert drawn == expected
    # as the scores table's mean row reads them: baseline → that time
    assert table.mean_cells[1:] == [
        "3.00 → 3.00 (fall 0.00)", "3.00 → 3.00 (fall 0.00)",
        "3.00 → 1.50 (fall 1.50)", "3.00 → 1.50 (fall 1.50)",
    ]  # fmt: skip


def test_the_curve_table_holds_the_same_means(pump_curves):
    _, attempts = pump_curves

    assert attempts[1].mas_table.rows == [
        ["2 h", "2.0", "3.00", "1.50", "1.50"],
        ["4 h", "4.0", "3.00", "1.50", "1.50"],
    ]


def test_the_responder_threshold_is_drawn_as_a_line(pump_curves):
    _, attempts = pump_curves

    (line,) = polylines(attempts[0].mas.svg(), "curve-threshold")
    # baseline 3.00 less the site's threshold of 1.0, across the whole time axis
    assert {mas_value(y) for _, y in line} == {Decimal("2.00")}
    assert line[0][0] == curves.LEFT and line[-1][0] == curves.LEFT + curves.PLOT_WIDTH


def test_the_vital_signs_chart_has_the_pre_dose_baseline(pump_curves):
    _, attempts = pump_curves
    svg = attempts[0].vitals.svg()

    for name in ("systolic", "diastolic", "heart_rate", "spo2"):
        assert len(polylines(svg, f"baseline-{name}")) == 1, name
        assert len(polylines(svg, f"curve-{name}")) == 1, name
    first = attempts[0].vitals_table.rows[0]
    assert first[0].startswith("Baseline (pre-dose) ")
    assert first[2:] == ["124/78", "72", "98"]
    assert 'role="img"' in svg and "pre-dose baseline BP 124/78" in svg


def test_systolic_and_diastolic_differ_in_marker_and_are_named(pump_curves):
    _, attempts = pump_curves
    svg = attempts[0].vitals.svg()

    def tips(css: str) -> set[str]:
        found = re.findall(rf'<polygon class="{css}" points="([^"]+)"', svg)
        corners = [[tuple(map(float, p.split(","))) for p in f.split()] for f in found]
        return {"down" if c[2][1] > c[0][1] else "up" for c in corners}

    # the flowsheet's marks: ∨ for systolic, ∧ for diastolic (not colour alone, WCAG 1.4.1)
    assert tips("curve-systolic") == tips("legend-systolic") == {"down"}
    assert tips("curve-diastolic") == tips("legend-diastolic") == {"up"}
    for name in ("systolic", "diastolic", "pre-dose baseline"):
        assert f">{name}</text>" in svg, name


def test_a_time_scored_on_other_groups_has_its_own_responder_level():
    from trials.responder import compare

    class Attempt:
        number, dose_mcg = 1, 50

    base = {("hip_flexors", "left"): Decimal(3), ("knee_flexors", "left"): Decimal(2)}
    at_2h = compare(base, {("hip_flexors", "left"): Decimal(2)}, label="2 h", minutes_after=120)
    at_4h = compare(base, dict.fromkeys(base, Decimal(1)), label="4 h", minutes_after=240)

    chart, _, notes = curves.mas_curve(Attempt, [at_2h, at_4h], Decimal("1.0"))

    levels = [mas_value(line[0][1]) for line in polylines(chart.svg(), "curve-threshold")]
    assert levels == [Decimal("2.00"), Decimal("1.50")]  # 3.00 − 1, then 2.50 − 1
    assert notes


def test_the_trial_page_shows_the_curves_beside_their_tables(client_for, neurologist, cohort):
    html = client_for(neurologist).get(cohort.pump.get_absolute_url()).content.decode()

    section = html[html.index('id="response-curves"') :]
    assert section.count('class="chart curve-chart"') == 4  # MAS and vital signs, two attempts
    assert "Mean lower-limb MAS after 75 mcg (attempt 2)" in section
    assert "<td>1.50</td>" in section and 'class="curve-threshold"' in section
    assert "style=" not in section


def test_the_summary_shows_the_curves_beside_their_tables(client_for, admin_user, cohort):
    url = reverse("trials:summary", args=[cohort.pump.pk])
    html = client_for(admin_user).get(url).content.decode()

    section = html[html.index('aria-labelledby="s-curves"') :]
    assert section.count('class="chart curve-chart"') == 4
    assert "Vital signs after 50 mcg (attempt 1), with the pre-dose baseline" in section


def test_no_curves_before_a_dose_is_given(client_for, nurse, cohort):
    html = client_for(nurse).get(cohort.preparing.get_absolute_url()).content.decode()

    assert 'id="response-curves"' not in html
