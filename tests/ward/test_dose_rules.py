"""Dose rules of DOMAIN §2: the ladder is the default, not a cage; age ≥ 4 at preparation."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.ward.conftest import PASSWORD
from trials import scenarios
from trials.models import DoseAttempt
from trials.services import workflow
from trials.services.errors import ProtocolError


def born(years: int, days: int = 0) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=days)


@pytest.fixture
def decided(trial_in):
    return trial_in("follow_up_decided_nonresponder")


def test_the_next_dose_is_the_next_rung_without_a_reason(decided, team):
    workflow.attempt_plan_next(trial_id=decided.pk, actor=team.neurologist, dose_mcg=75)
    assert decided.attempts.get(number=2).plan_reason == ""


def test_skipping_a_rung_needs_a_reason(decided, team):
    with pytest.raises(ProtocolError, match="next step is 75 mcg. Give your reason"):
        workflow.attempt_plan_next(trial_id=decided.pk, actor=team.neurologist, dose_mcg=100)
    workflow.attempt_plan_next(
        trial_id=decided.pk, actor=team.neurologist, dose_mcg=100, reason="Catheter trial."
    )
    assert decided.attempts.get(number=2).plan_reason == "Catheter trial."


def test_repeating_a_dose_needs_a_reason(decided, team):
    with pytest.raises(ProtocolError, match="repeats the ladder"):
        workflow.attempt_plan_next(trial_id=decided.pk, actor=team.neurologist, dose_mcg=50)


def test_a_dose_off_the_protocol_is_refused(decided, team):
    with pytest.raises(ProtocolError, match="not a dose of the protocol"):
        workflow.attempt_plan_next(
            trial_id=decided.pk, actor=team.neurologist, dose_mcg=60, reason="x"
        )


def _ready(team, patient):
    trial = factories.create_trial(patient, team)
    scenarios.tick_all(trial.pk, "preparation", team)
    factories.record_baseline(trial, team)
    return trial


def test_an_adult_first_dose_of_25_needs_a_reason(team, make_patient):
    trial = _ready(team, make_patient(date_of_birth=born(66)))
    with pytest.raises(ProtocolError, match="adult .66 years.*needs your reason"):
        workflow.preparation_sign(
            trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, first_dose_mcg=25
        )
    workflow.preparation_sign(
        trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, first_dose_mcg=25,
        reason="Relies on extensor tone to stand.",
    )  # fmt: skip
    assert DoseAttempt.objects.get(trial=trial).plan_reason == "Relies on extensor tone to stand."


def test_a_child_starts_at_25_without_a_reason(team, make_patient):
    trial = _ready(team, make_patient(date_of_birth=born(6)))
    workflow.preparation_sign(
        trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, first_dose_mcg=25
    )
    assert DoseAttempt.objects.get(trial=trial).dose_mcg == 25


def test_a_two_year_old_cannot_be_signed_for_preparation(team, make_patient):
    trial = _ready(team, make_patient(date_of_birth=born(2)))
    with pytest.raises(ProtocolError, match="2 years old.*age 4 or older"):
        workflow.preparation_sign(
            trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, first_dose_mcg=25
        )


def test_a_child_whose_fourth_birthday_is_today_can_be_signed(team, make_patient):
    trial = _ready(team, make_patient(date_of_birth=born(4)))
    workflow.preparation_sign(
        trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, first_dose_mcg=25
    )


def test_a_child_one_day_short_of_four_cannot_be_signed(team, make_patient):
    trial = _ready(team, make_patient(date_of_birth=born(4) + timedelta(days=1)))
    with pytest.raises(ProtocolError, match="3 years old"):
        workflow.preparation_sign(
            trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, first_dose_mcg=25
        )


def test_the_dose_charted_before_preparation_was_signed_is_refused(trial_in, team):
    trial = trial_in("injection_ready")
    signed = trial.signatures.get(kind="preparation").signed_at
    with pytest.raises(ProtocolError, match="before attempt 1 was planned|before preparation"):
        factories.sign_injection(trial, team, dose_mcg=50, given_at=signed - timedelta(hours=30))


def test_attempt_2_cannot_be_given_within_24_h_of_attempt_1(decided, team):
    workflow.attempt_plan_next(trial_id=decided.pk, actor=team.neurologist, dose_mcg=75)
    first = decided.attempts.get(number=1).given_at
    scenarios.ready_for_injection(decided, team)
    with pytest.raises(ProtocolError, match="24 h after the previous dose"):
        factories.sign_injection(decided, team, dose_mcg=75, given_at=first + timedelta(hours=23))
