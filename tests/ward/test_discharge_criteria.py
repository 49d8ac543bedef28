"""Discharge waits for the required assessments and for severe events to resolve (DOMAIN §3);
leaving earlier is a physician's signed exception with its reason."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import ProtocolError
from tests import module_data
from tests.ward import conftest as ward
from tests.ward.conftest import PASSWORD, discharge, event, given_at, score
from trials import scenarios
from trials.models import Signature, Trial
from trials.procedure import Phase
from trials.services import records, workflow

# `dosed` is built once for the module (tests/ward/conftest.py, module_dosed): what a test adds
# to it is rolled back after it, and its clock starts where the trial's stood. The named users of
# the module are the people who built it.
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user
clock, dosed = ward.clock_at_the_module_dose, ward.module_dosed_trial


def _observe_to(trial, team, clock, minutes):
    """Vital signs on time and the scores of the slots reached, up to `minutes` after the dose."""
    start = given_at(trial)
    for m in (15, 30, 60, 120, 180, 240):
        if m <= minutes:
            clock.move(seconds=(start + timedelta(minutes=m) - clock.now()).total_seconds())
            scenarios.vitals(trial, team, at=clock.now())
            if m in (120, 240):
                score(trial, team, clock.now())
    clock.move(seconds=(start + timedelta(minutes=minutes) - clock.now()).total_seconds())
    scenarios.tick_all(trial.pk, "observation", team)


def test_discharge_waits_for_the_4h_score(dosed, team, clock):
    _observe_to(dosed, team, clock, 225)  # 3 h 45 min: the 4 h score is not due yet
    with pytest.raises(ProtocolError, match="4 h spasticity assessment is not recorded yet"):
        discharge(dosed, team)
    assert Trial.objects.get(pk=dosed.pk).status == Phase.OBSERVATION


def test_discharge_after_the_4h_score_is_accepted(dosed, team, clock):
    _observe_to(dosed, team, clock, 250)
    assert discharge(dosed, team).status == Phase.FOLLOW_UP


def test_discharge_waits_for_a_severe_event_to_resolve(dosed, team, clock):
    _observe_to(dosed, team, clock, 250)
    severe = event(dosed, team, clock.now() - timedelta(minutes=30), severity="severe",
                   kind="hypotension")  # fmt: skip
    with pytest.raises(ProtocolError, match="severe adverse event “Hypotension” is not resolved"):
        discharge(dosed, team)
    records.adverse_event_resolve(
        trial_id=dosed.pk, event_id=severe.pk, actor=team.nurse,
        resolution="Fluids; BP 118/74.", resolved_at=clock.now(),
    )  # fmt: skip
    assert discharge(dosed, team).status == Phase.FOLLOW_UP


def test_a_mild_event_does_not_hold_the_discharge(dosed, team, clock):
    _observe_to(dosed, team, clock, 250)
    event(dosed, team, clock.now() - timedelta(minutes=30), severity="mild")
    assert discharge(dosed, team).status == Phase.FOLLOW_UP


def test_neurologist_discharges_before_the_criteria_as_a_signed_exception(dosed, team, clock):
    clock.move(minutes=60)
    trial = workflow.attempt_discharge_exception(
        trial_id=dosed.pk, actor=team.neurologist, password=PASSWORD,
        reason="Leaves against medical advice.",
    )  # fmt: skip
    attempt = trial.attempts.get()
    assert trial.status == Phase.FOLLOW_UP
    assert attempt.discharge_exception == "Leaves against medical advice."
    assert attempt.discharged_by == team.neurologist
    signature = Signature.objects.get(attempt=attempt, kind="discharge")
    assert "exception" in signature.statement and "against medical advice" in signature.statement


def test_an_exception_needs_its_reason(dosed, team, clock):
    with pytest.raises(ProtocolError, match="Give the reason"):
        workflow.attempt_discharge_exception(
            trial_id=dosed.pk, actor=team.neurologist, password=PASSWORD, reason="  "
        )


def test_a_nurse_cannot_sign_a_discharge_exception(dosed, team):
    with pytest.raises(PermissionDenied):
        workflow.attempt_discharge_exception(
            trial_id=dosed.pk, actor=team.nurse, password=PASSWORD, reason="Transfer."
        )


def test_the_discharge_time_cannot_predate_the_last_vital_signs(dosed, team, clock):
    _observe_to(dosed, team, clock, 250)
    with pytest.raises(ProtocolError, match="before the last vital signs"):
        discharge(dosed, team, at=given_at(dosed) + timedelta(minutes=200))


def test_a_late_discharge_is_marked_as_late(dosed, team, clock):
    _observe_to(dosed, team, clock, 250)
    left = clock.now()
    clock.move(hours=3)
    with pytest.raises(ProtocolError, match="late entry"):
        discharge(dosed, team, at=left)
    trial = discharge(dosed, team, at=left, late="Signed after the ward round.")
    attempt = trial.attempts.get()
    assert attempt.discharged_at == left and attempt.discharge_entered_at == clock.now()
    assert attempt.discharge_late_reason == "Signed after the ward round."
