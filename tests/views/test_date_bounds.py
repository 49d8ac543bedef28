"""Referral and follow-up days are plausible days of this patient's trial (issue 9): not year 1
or 9999, not in the future where that makes no sense, not before the patient was born. A day
that got into the database some other way never takes the trial's pages down.

The trials are built once for the module (tests/module_data.py), one in each of TRIAL_STATES:
what a test writes to its trial is rolled back after it."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.errors import ProtocolError
from tests import module_data
from tests.factories import PASSWORD, clinic_today
from trials.models import Trial
from trials.services import workflow

IMPLAUSIBLE = ["0001-01-01", "1999-12-31", "9999-12-31"]
TRIAL_STATES = ["preparation", "follow_up", "follow_up_ready"]
# The named users of the module are the people who built its trials.
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


def _trial_post(**overrides):
    return {
        "referred_on": clinic_today().isoformat(),
        "referred_by": "Dr Ames",
        "indication": "Severe spasticity",
        "goals": "Sitting",
    } | overrides


@pytest.mark.parametrize("day", IMPLAUSIBLE)
def test_an_implausible_referral_date_is_refused_and_no_trial_started(patient, as_neurologist, day):
    url = reverse("trials:create", args=[patient.pk])
    response = as_neurologist.post(url, _trial_post(referred_on=day))
    assert response.status_code == 400
    assert "is not a plausible date" in response.content.decode()
    assert not Trial.objects.exists()


def test_a_referral_date_in_the_future_is_refused(patient, as_neurologist):
    tomorrow = clinic_today() + timedelta(days=1)
    url = reverse("trials:create", args=[patient.pk])
    response = as_neurologist.post(url, _trial_post(referred_on=tomorrow.isoformat()))
    assert response.status_code == 400
    assert "is in the future" in response.content.decode()
    assert not Trial.objects.exists()


# 20:00 on 6 December at the clinic (New York, the site's time zone): already 7 December in UTC,
# the zone of a script or a command (everything outside a request).
EVENING_AT_THE_CLINIC = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def test_a_referral_dated_tomorrow_at_the_clinic_is_refused_outside_a_request(patient, neurologist):
    with time_machine.travel(EVENING_AT_THE_CLINIC, tick=False):
        utc_today = timezone.localdate()
        assert (utc_today, clinic_today()) == (date(2026, 12, 7), date(2026, 12, 6))
        with pytest.raises(ProtocolError, match=r"referral date \(2026-12-07\) is in the future"):
            workflow.trial_create(patient=patient, actor=neurologist, referred_on=utc_today)
        trial = workflow.trial_create(
            patient=patient, actor=neurologist, referred_on=clinic_today()
        )
    assert trial.referred_on == date(2026, 12, 6)


def test_on_a_clinic_evening_the_forms_take_the_clinics_today(patient, neurologist, client_for):
    with time_machine.travel(EVENING_AT_THE_CLINIC, tick=False):
        as_neurologist = client_for(neurologist)
        url = reverse("trials:create", args=[patient.pk])
        refused = as_neurologist.post(url, _trial_post(referred_on="2026-12-07"))
        started = as_neurologist.post(url, _trial_post(referred_on="2026-12-06"))
    assert refused.status_code == 400 and "is in the future" in refused.content.decode()
    assert started.status_code == 302
    assert Trial.objects.get().referred_on == date(2026, 12, 6)


def test_a_referral_before_the_patient_was_born_is_refused(make_patient, as_neurologist):
    patient = make_patient(date_of_birth=date(2015, 6, 1))
    url = reverse("trials:create", args=[patient.pk])
    response = as_neurologist.post(url, _trial_post(referred_on="2015-05-31"))
    assert response.status_code == 400
    assert "cannot be before the patient&#x27;s date of birth" in response.content.decode()
    assert not Trial.objects.exists()


@pytest.mark.parametrize("day", IMPLAUSIBLE)
def test_an_implausible_follow_up_date_is_refused_on_the_edit_page(
    module_trial_in, as_neurologist, day
):
    trial = module_trial_in("preparation")
    page = as_neurologist.get(reverse("trials:edit", args=[trial.pk]))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data |= _trial_post(referred_on=trial.referred_on.isoformat(), follow_up_on=day)
    response = as_neurologist.post(reverse("trials:edit", args=[trial.pk]), data)
    assert response.status_code == 400
    assert "is not a plausible date" in response.content.decode()
    trial.refresh_from_db()
    assert trial.follow_up_on is None


def test_a_follow_up_before_the_referral_is_refused_on_closing(module_trial_in, neurologist):
    trial = module_trial_in("follow_up_ready")
    with pytest.raises(ProtocolError, match="cannot be before the referral"):
        workflow.trial_close(
            trial_id=trial.pk,
            actor=neurologist,
            password=PASSWORD,
            outcome="not_candidate",
            follow_up_on=trial.referred_on - timedelta(days=1),
        )
    trial.refresh_from_db()
    assert trial.is_open


@pytest.mark.parametrize("field", ["referred_on", "follow_up_on"])
@pytest.mark.parametrize("page", ["detail", "summary", "summary_pdf", "edit"])
def test_the_trial_pages_survive_a_year_9999_day_written_past_the_forms(
    module_trial_in, as_neurologist, field, page
):
    trial = module_trial_in("follow_up")
    Trial.objects.filter(pk=trial.pk).update(**{field: date(9999, 12, 31)})
    response = as_neurologist.get(reverse(f"trials:{page}", args=[trial.pk]))
    assert response.status_code == 200
