"""Nothing strands a trial: late scores until the decision, adverse events until the close."""

from datetime import timedelta

import pytest

from core.errors import ProtocolError
from tests.factories import clinic_today
from tests.ward.conftest import PASSWORD, event, score
from trials.procedure import Phase
from trials.services import workflow
from trials.services.phase import blockers, ways_forward
from trials.services.snapshot import TrialSnapshot


@pytest.fixture
def left_early(dosed, team, clock):
    """Discharged (as an exception) 1 h after the dose, before any post-dose score."""
    clock.move(minutes=60)
    workflow.attempt_discharge_exception(
        trial_id=dosed.pk, actor=team.neurologist, password=PASSWORD, reason="Transfer."
    )
    return dosed


def test_a_late_score_is_recorded_after_discharge_until_the_decision(left_early, team, clock):
    scored_at = clock.move(minutes=60)  # 2 h after the dose, on the phone with the family
    clock.move(hours=20)
    assessment = score(left_early, team, scored_at, late="Scored at the transfer hospital.")
    assert assessment.slot_minutes == 120 and assessment.late_reason
    snap = TrialSnapshot.load(left_early.pk)
    assert "decide" in ways_forward(snap)


def test_the_stranded_trial_names_the_way_forward(left_early):
    snap = TrialSnapshot.load(left_early.pk)
    assert snap.trial.status == Phase.FOLLOW_UP
    ways = ways_forward(snap)
    assert "record_assessment" in ways and "decide" not in ways


def test_scores_are_closed_once_the_response_is_decided(left_early, team, clock):
    score(left_early, team, clock.now() - timedelta(minutes=30), late="Late.")
    clock.move(minutes=5)
    workflow.attempt_decide(
        trial_id=left_early.pk, actor=team.neurologist, password=PASSWORD, responder=False,
        reason="No change.",
    )  # fmt: skip
    with pytest.raises(ProtocolError, match="is decided"):
        score(left_early, team, clock.now())


def test_a_next_day_headache_of_attempt_1_is_recorded_after_attempt_2_is_planned(
    trial_in, team, clock
):
    trial = trial_in("follow_up_decided_nonresponder")
    workflow.attempt_plan_next(trial_id=trial.pk, actor=team.neurologist, dose_mcg=75)
    onset = trial.attempts.get(number=1).given_at + timedelta(hours=20)
    headache = event(trial, team, onset, attempt_number=1, late="Phoned in by the patient.")
    assert headache.attempt.number == 1


def test_an_adverse_event_cannot_predate_its_own_dose(trial_in, team):
    trial = trial_in("follow_up")
    before = trial.attempts.get().given_at - timedelta(minutes=5)
    with pytest.raises(ProtocolError, match="before the dose of attempt 1"):
        event(trial, team, before, attempt_number=1, late="x")


def test_an_adverse_event_is_refused_once_the_trial_is_closed(trial_in, team, clock):
    trial = trial_in("completed")
    with pytest.raises(ProtocolError, match="while the trial is open"):
        event(trial, team, clock.now())


@pytest.mark.parametrize("state", ["preparation", "injection", "observation", "follow_up",
                                   "follow_up_decided_nonresponder"])  # fmt: skip
def test_every_open_phase_has_a_way_forward(trial_in, state):
    trial = trial_in(state)
    assert ways_forward(TrialSnapshot.load(trial.pk))


def test_a_patient_too_young_is_told_to_cancel(trial_in, make_patient):
    trial = trial_in("preparation_ready", patient=make_patient(date_of_birth=clinic_today()))
    snap = TrialSnapshot.load(trial.pk)
    assert ways_forward(snap) == []
    assert any("cancel it" in b for b in blockers(snap, "sign_preparation"))
