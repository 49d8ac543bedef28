"""Dose rules of DOMAIN §2: the ladder is the default, not a cage; age ≥ 4 at preparation."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from core.errors import ProtocolError
from tests import factories, module_data
from tests.ward.conftest import PASSWORD
from trials import scenarios
from trials.models import DoseAttempt, SiteSettings
from trials.services import workflow
from trials.services.timing import clinic_day

# The trials are built once for the module (tests/module_data.py): what a test changes is rolled
# back after it. The named users of the module are the people who built them.
TRIAL_STATES = ["follow_up_decided_nonresponder", "injection_ready"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


def born(years: int, days: int = 0) -> date:
    """The birthday `years` ago on the clinic's calendar (the one ages are judged on)."""
    today = clinic_day(SiteSettings.current().time_zone)
    return today.replace(year=today.year - years) - timedelta(days=days)


@pytest.fixture
def decided(module_trial_in):
    return module_trial_in("follow_up_decided_nonresponder")


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


def test_the_dose_charted_before_preparation_was_signed_is_refused(module_trial_in, team):
    trial = module_trial_in("injection_ready")
    signed = trial.signatures.get(kind="preparation").signed_at
    with pytest.raises(ProtocolError, match="before attempt 1 was planned|before preparation"):
        factories.sign_injection(trial, team, dose_mcg=50, given_at=signed - timedelta(hours=30))


def test_attempt_2_cannot_be_given_within_24_h_of_attempt_1(decided, team):
    workflow.attempt_plan_next(trial_id=decided.pk, actor=team.neurologist, dose_mcg=75)
    first = decided.attempts.get(number=1).given_at
    scenarios.ready_for_injection(decided, team)
    with pytest.raises(ProtocolError, match="24 h after the previous dose"):
        factories.sign_injection(decided, team, dose_mcg=75, given_at=first + timedelta(hours=23))


# --- Age on the clinic's calendar ----------------------------------------------------------------
# 12:00 UTC on 6 December is already 7 December in Auckland (UTC+13); 05:00 UTC on 7 December
# is still 6 December in Pago Pago (UTC−11). A birthday on 7 December has come at one clinic and
# not at the other, whatever the server's zone (UTC here) says.
AUCKLAND_AHEAD = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
PAGO_PAGO_BEHIND = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)


@pytest.fixture
def clinic_in(db):
    def move(zone: str) -> None:
        SiteSettings.objects.filter(pk=SiteSettings.current().pk).update(time_zone=zone)
        SiteSettings.forget()  # changed behind this process's copy, as another process would

    return move


def _sign_at(instant, team, patient, **kw):
    with time_machine.travel(instant, tick=False), timezone.override(UTC):
        trial = _ready(team, patient)
        return workflow.preparation_sign(
            trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, **kw
        )


def test_the_fourth_birthday_counts_on_the_clinics_calendar(team, make_patient, clinic_in):
    clinic_in("Pacific/Auckland")  # already 7 December there: the child is 4

    patient = make_patient(date_of_birth=date(2022, 12, 7))
    _sign_at(AUCKLAND_AHEAD, team, patient, first_dose_mcg=25)


def test_a_birthday_not_yet_come_at_the_clinic_does_not_count(team, make_patient, clinic_in):
    clinic_in("Pacific/Pago_Pago")  # 7 December in UTC, still 6 December there: the child is 3

    patient = make_patient(date_of_birth=date(2022, 12, 7))
    with pytest.raises(ProtocolError, match="3 years old"):
        _sign_at(PAGO_PAGO_BEHIND, team, patient, first_dose_mcg=25)


def test_adulthood_for_the_25_mcg_first_dose_counts_on_the_clinics_calendar(
    team, make_patient, clinic_in
):
    clinic_in("Pacific/Auckland")  # 18 there today, still 17 in UTC

    patient = make_patient(date_of_birth=date(2008, 12, 7))
    with pytest.raises(ProtocolError, match="adult .18 years"):
        _sign_at(AUCKLAND_AHEAD, team, patient, first_dose_mcg=25)
