"""One mean: the scores table (trial page, summary, PDF) shows the paired mean the responder
suggestion uses, over the lower-limb groups scored at both times, never each column's own mean.

The case of the issue: the baseline scores five groups, the 2 h assessment only two of them.
Each column's own mean reads 2.00 → 2.00 (no change); over the groups scored at both times the
mean falls 3.00 → 2.00, and the suggestion says "Responder, fall 1.00".
"""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import create_trial, each_step_committed, make_patient
from tests.module_data import check_deferred
from trials import presenters, scenarios
from trials.models import Trial
from trials.outcomes import summary
from trials.services import records, workflow
from trials.services.snapshot import TrialSnapshot

# Baseline, both sides: mean (3 + 1 + 3 + 1 + 2) / 5 = 2.00.
BASELINE = {"hip_flexors": "3", "hip_adductors": "1", "knee_extensors": "3", "knee_flexors": "1",
            "ankle_plantar_flexors": "2"}  # fmt: skip
# 2 h, both sides: only hip flexors and knee extensors, 2 each: own mean 2.00; paired 3.00 → 2.00.
AT_2H = {"hip_flexors": "2", "knee_extensors": "2"}
# 4 h, one side of one group: hip adductors left 1 → 0.
AT_4H = {("hip_adductors", "left"): "0"}


def both_sides(grades: dict[str, str]) -> dict[tuple[str, str], str]:
    return {(g, side): grade for g, grade in grades.items() for side in ("left", "right")}


def assess(trial, team, grades, *, at, baseline=False):
    records.assessment_record(
        trial_id=trial.pk, actor=team.neurologist, grades=grades, penn_frequency=2,
        penn_severity=1, assessed_at=at, baseline=baseline,
    )  # fmt: skip


@pytest.fixture(scope="module")
def module_given(module_team, django_db_blocker) -> tuple[int, datetime]:
    """A trial with the five-group baseline and a dose given 5 h ago, built once for the module
    (tests/module_data.py; each test's scores are rolled back after it): (trial id, given_at)."""
    team = module_team
    with django_db_blocker.unblock(), each_step_committed():
        trial = create_trial(make_patient(), team)
        given_at = timezone.now() - timedelta(hours=5)
        with scenarios.clock(given_at - timedelta(hours=1)) as now:
            scenarios.tick_all(trial.pk, "preparation", team)
            assess(trial, team, both_sides(BASELINE), at=now, baseline=True)
            workflow.preparation_sign(
                trial_id=trial.pk, actor=team.neurologist, password=team.password, first_dose_mcg=50
            )
        scenarios.inject(trial, team, given_at=given_at)
        check_deferred()
    return trial.pk, given_at


@pytest.fixture
def given(db, module_given):
    """The module's trial as built (module_given); returns (trial, given_at)."""
    pk, given_at = module_given
    return Trial.objects.get(pk=pk), given_at


def assess_after(trial, team, grades, given_at, minutes):
    with scenarios.clock(given_at + timedelta(minutes=minutes)) as now:
        assess(trial, team, grades, at=now)


@pytest.fixture
def scored_at_2h(given, team):
    trial, given_at = given
    assess_after(trial, team, both_sides(AT_2H), given_at, 120)
    return trial


def table_and_suggestion(trial):
    snap = TrialSnapshot.load(trial.pk)
    return presenters.score_table(snap), snap.suggestion(snap.attempt)


def test_the_mean_row_is_the_suggestions_paired_mean(scored_at_2h):
    table, suggestion = table_and_suggestion(scored_at_2h)

    best = suggestion.best
    assert (best.baseline_mean, best.post_mean, best.fall) == (3, 2, 1)
    assert suggestion.responder is True
    baseline_column, two_hours = table.columns
    assert two_hours.comparison == best  # the suggestion's own comparison
    assert table.mean_cells == ["", "3.00 → 2.00 (fall 1.00)"]


def test_the_mean_row_states_the_groups_counted(scored_at_2h):
    table, _ = table_and_suggestion(scored_at_2h)

    assert table.mean_label == "Mean lower limb (4 groups scored at both times)"


def test_no_column_shows_its_own_groups_mean(scored_at_2h):
    table, _ = table_and_suggestion(scored_at_2h)

    # Each column's own lower-limb mean is 2.00: the contradiction of the issue.
    assert not any(cell.startswith("2.00 → 2.00") for cell in table.mean_cells)


def test_columns_counting_different_groups_each_say_how_many(scored_at_2h, given, team):
    trial, given_at = given
    assess_after(trial, team, AT_4H, given_at, 240)

    table, suggestion = table_and_suggestion(trial)
    assert table.mean_label == "Mean lower limb (groups scored at both times)"
    assert table.mean_cells == [
        "",
        "3.00 → 2.00 (fall 1.00), 4 groups scored at both times",
        "1.00 → 0.00 (fall 1.00), 1 group scored at both times",
    ]
    assert [c.comparison for c in table.columns[1:]] == suggestion.comparisons


def test_a_time_with_no_group_in_common_says_so(given, team):
    trial, given_at = given
    assess_after(trial, team, {("elbow_flexors", "left"): "1"}, given_at, 120)

    table, suggestion = table_and_suggestion(trial)
    assert suggestion.responder is None
    assert table.mean_cells == ["", "– (no group scored at both times)"]


def test_the_trial_page_shows_the_paired_mean_beside_the_suggestion(
    scored_at_2h, client_for, neurologist
):
    html = client_for(neurologist).get(scored_at_2h.get_absolute_url()).content.decode()

    assert "Mean lower limb" in html and "4 groups scored at both times" in html
    assert "3.00 → 2.00 (fall 1.00)" in html
    assert "3.00 at baseline, 2.00 at 2 h (fall 1.00" in html  # the suggestion says the same


def test_the_summary_and_pdf_show_the_same_mean_row(scored_at_2h, client_for, nurse):
    data = summary.build(TrialSnapshot.load(scored_at_2h.pk))

    assert data.mas.rows[-2] == [
        "Mean lower limb (4 groups scored at both times)",
        "",
        "3.00 → 2.00 (fall 1.00)",
    ]
    client = client_for(nurse)
    html = client.get(reverse("trials:summary", args=[scored_at_2h.pk])).content.decode()
    assert "3.00 → 2.00 (fall 1.00)" in html
    assert client.get(reverse("trials:summary_pdf", args=[scored_at_2h.pk])).status_code == 200
