"""An assessment's slot comes from its time (DOMAIN §2a); 6 h / 8 h only while the effect lasts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import ProtocolError
from tests import module_data
from tests.ward import conftest as ward
from tests.ward.conftest import given_at, score
from trials.late import entry_note
from trials.services import workflow
from trials.services.snapshot import TrialSnapshot

# `dosed` is built once for the module (tests/ward/conftest.py, module_dosed): what a test adds
# to it is rolled back after it, and its clock starts where the trial's stood. The named users of
# the module are the people who built it.
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user
clock, dosed = ward.clock_at_the_module_dose, ward.module_dosed_trial


def test_an_assessment_35_minutes_after_the_dose_is_unscheduled(dosed, team, clock):
    clock.move(minutes=32)  # the dose was 3 minutes before the clock started
    assessment = score(dosed, team, clock.now())
    assert assessment.slot_minutes is None
    assert assessment.minutes_after == 35
    assert assessment.label == "unscheduled, 35 min after the dose"


def test_the_suggestion_names_the_real_minutes_after_the_dose(dosed, team, clock):
    clock.move(minutes=32)
    score(dosed, team, clock.now(), grade="1")
    text = TrialSnapshot.load(dosed.pk).suggestion(dosed.attempts.get()).text
    assert "35 min after the dose" in text
    assert "at 4 h" not in text


def test_an_assessment_within_the_window_counts_for_its_slot(dosed, team, clock):
    clock.move(minutes=260)  # 4 h 23 min after the dose: inside 4 h ± 30 min
    assessment = score(dosed, team, clock.now())
    assert assessment.slot_minutes == 240
    assert assessment.label == "4 h (263 min after the dose)"


def test_a_second_assessment_in_the_same_window_is_refused(dosed, team, clock):
    clock.move(minutes=117)
    score(dosed, team, clock.now())
    clock.move(minutes=10)
    with pytest.raises(ProtocolError, match="2 h assessment of attempt 1 is already recorded"):
        score(dosed, team, clock.now())


def test_the_window_is_a_site_setting(dosed, team, clock, site):
    site.assessment_window_minutes = 10
    site.save()
    clock.move(minutes=137)  # 2 h 20 min: outside ± 10 min
    assert score(dosed, team, clock.now()).slot_minutes is None


def test_6h_and_8h_are_overdue_while_the_effect_lasts(dosed, team, clock):
    clock.move(minutes=3 + 370)
    plan = TrialSnapshot.load(dosed.pk).assessment_plan(dosed.attempts.get())
    assert [s.minutes for s in plan.overdue] == [360]


def test_6h_and_8h_are_not_owed_once_the_effect_has_worn_off(dosed, team, clock):
    for minutes in (120, 240):
        clock.move(minutes=minutes - (clock.now() - given_at(dosed)).seconds // 60)
        score(dosed, team, clock.now())
    worn_off = clock.move(minutes=60)
    workflow.attempt_effect_worn_off(trial_id=dosed.pk, actor=team.neurologist, at=worn_off)
    clock.move(hours=6)
    plan = TrialSnapshot.load(dosed.pk).assessment_plan(dosed.attempts.get())
    assert [s.minutes for s in plan.slots if s.not_owed] == [360, 480]
    assert plan.overdue == [] and plan.missed == []


def test_the_effect_cannot_wear_off_before_the_dose(dosed, team):
    with pytest.raises(ProtocolError, match="before the dose was given"):
        workflow.attempt_effect_worn_off(
            trial_id=dosed.pk, actor=team.neurologist, at=given_at(dosed) - timedelta(minutes=5)
        )


def test_a_nurse_cannot_record_that_the_effect_has_worn_off(dosed, team, clock):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        workflow.attempt_effect_worn_off(trial_id=dosed.pk, actor=team.nurse, at=clock.now())


def test_the_effect_wears_off_once(dosed, team, clock):
    workflow.attempt_effect_worn_off(trial_id=dosed.pk, actor=team.neurologist, at=clock.now())
    with pytest.raises(ProtocolError, match="already recorded"):
        workflow.attempt_effect_worn_off(trial_id=dosed.pk, actor=team.neurologist, at=clock.now())


def test_effect_worn_off_in_the_future_is_refused(dosed, team, clock):
    with pytest.raises(ProtocolError, match="in the future"):
        workflow.attempt_effect_worn_off(
            trial_id=dosed.pk, actor=team.neurologist, at=clock.now() + timedelta(minutes=30)
        )


def test_effect_worn_off_entered_late_needs_a_reason(dosed, team, clock):
    at = clock.move(minutes=60)
    clock.move(minutes=90)
    with pytest.raises(ProtocolError, match="late entry.*Say why"):
        workflow.attempt_effect_worn_off(trial_id=dosed.pk, actor=team.neurologist, at=at)
    assert dosed.attempts.get().effect_worn_off_at is None


def test_effect_worn_off_entered_late_is_marked_with_entry_time_name_and_reason(dosed, team, clock):
    at = clock.move(minutes=60)
    entered = clock.move(minutes=90)
    attempt = workflow.attempt_effect_worn_off(
        trial_id=dosed.pk, actor=team.neurologist, at=at, late="Noted on paper during the round."
    )
    assert (attempt.effect_worn_off_at, attempt.effect_worn_off_entered_at) == (at, entered)
    shown = timezone.localtime(entered).strftime("%Y-%m-%d %H:%M")
    assert entry_note(attempt, "worn_off") == (
        f"late entry · entered {shown} by Hugo Lindqvist: Noted on paper during the round."
    )


def test_effect_worn_off_on_time_is_not_marked(dosed, team, clock):
    at = clock.move(minutes=60)
    clock.move(minutes=10)
    attempt = workflow.attempt_effect_worn_off(
        trial_id=dosed.pk, actor=team.neurologist, at=at, late="Not needed."
    )
    assert attempt.effect_worn_off_late_reason == ""
    assert entry_note(attempt, "worn_off") == ""
