"""Response curves on the trial page, the summary and its PDF (trials/outcomes/curves.py).

The pump trial of the cohort: baseline MAS 3 on every lower-limb group; 50 mcg: 3 at 2 h and
4 h; 75 mcg: 1+ (1.5) at 2 h and 4 h; vital signs 124/78, 72/min, SpO₂ 98 % before and after.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.pdf_text import pages
from trials import presenters
from trials.outcomes import curves, summary, summary_pdf
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


# --- The PDF -------------------------------------------------------------------------------------


def pdf_pages(trial) -> list[str]:
    return pages(summary_pdf.render(summary.build(TrialSnapshot.load(trial.pk))))


def test_every_pdf_page_names_the_patient_and_counts_the_pages(cohort):
    patient = cohort.pump.patient
    texts = pdf_pages(cohort.pump)

    assert len(texts) > 1
    for number, text in enumerate(texts, start=1):
        assert f"{patient.last_name}, {patient.first_name}" in text, number
        assert f"MRN {patient.mrn}" in text, number
        assert f"born {patient.date_of_birth.isoformat()}" in text, number
        assert f"Page {number} of {len(texts)}" in text, number


def test_the_pdf_flags_a_severe_adverse_event_on_every_page(cohort, adverse_event):
    adverse_event(cohort.non_responder, kind="seizure", severity="severe")
    texts = pdf_pages(cohort.non_responder)

    assert "Severe adverse event recorded in this trial" in texts[0]
    assert "Severe: Seizure (attempt 1)" in texts[0]
    assert all("SEVERE ADVERSE EVENT RECORDED" in text for text in texts)


def test_the_pdf_has_no_severe_flag_without_a_severe_event(cohort):
    assert not any("SEVERE" in text for text in pdf_pages(cohort.pump))


def test_the_pdf_dates_every_vital_sign_time(cohort):
    text = " ".join(pdf_pages(cohort.pump))

    for vitals in cohort.pump.attempts.get(number=1).vitals.all():
        assert summary.when(vitals.recorded_at) in text


def test_the_pdf_draws_the_response_curves_with_their_numbers(cohort):
    text = " ".join(pdf_pages(cohort.pump))

    assert "Response curves" in text
    assert "Mean lower-limb MAS after 75 mcg (attempt 2)" in text
    assert "responder level (fall ≥ 1.0)" in text
    assert "dashed: pre-dose baseline" in text
