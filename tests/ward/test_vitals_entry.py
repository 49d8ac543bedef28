"""Vital signs in seconds (issue 10): the form opens at the due time with the previous set beside
each number, numeric keypads, the plausible ranges the server checks on each number field for
the page's warning, and "Save and next patient" in the ward board's order."""

import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories, module_data
from tests.module_data import check_deferred
from tests.views.support import html, local, vitals_post
from trials import scenarios
from trials.models import Trial, VitalSigns
from trials.models.observation import VITAL_RANGES
from trials.services import records

from .conftest import moved_clock, vitals_data

# The named users of the module are the people who built its trial in observation (below).
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


def build_dose(team, now, minutes_ago: int, **patient):
    with factories.each_step_committed():
        trial = factories.create_trial(factories.make_patient(**patient), team)
        given_at = now - timedelta(minutes=minutes_ago)
        scenarios.prepare(trial, team, at=given_at - timedelta(hours=2))
        scenarios.inject(trial, team, given_at=given_at)
    return trial


@pytest.fixture
def dose(team, clock):
    """dose(minutes_ago) -> a trial in observation whose dose was given that long ago."""
    return lambda minutes_ago, **patient: build_dose(team, clock.now(), minutes_ago, **patient)


@pytest.fixture(scope="module")
def module_dosed_17(module_team, django_db_blocker) -> tuple[int, datetime]:
    """(id, the moment it was built at) of a trial whose dose was given 17 minutes before that
    moment, built once for the tests that only read its form or post to it (each post is rolled
    back with its test); the tests that count the trials due build their own first."""
    start = timezone.now()
    with django_db_blocker.unblock(), moved_clock(start):
        trial = build_dose(module_team, start, 17)
        check_deferred()
    return trial.pk, start


@pytest.fixture
def dosed_17_minutes_ago(db, module_dosed_17):
    """The module's trial, with the clock standing at the moment it was built at: its 15 min
    check is 2 minutes overdue, as with dose(17)."""
    pk, start = module_dosed_17
    with moved_clock(start):
        yield Trial.objects.get(pk=pk)


def vitals_url(trial) -> str:
    return reverse("trials:vitals", args=[trial.pk])


def field_block(page: str, name: str) -> str:
    """The markup of one number field: from its label to the next field's."""
    found = re.search(
        rf'<label[^>]*for="id_{name}".*?(?=<div class="vital">|<fieldset)', page, re.S
    )
    assert found, f"No field {name} on the page."
    return found.group(0)


def test_the_form_opens_at_the_due_time_once_it_has_come(dose, client_for, nurse, clock):
    trial = dose(17)  # the 15 min check is 2 minutes overdue
    due = clock.now() - timedelta(minutes=2)

    response = client_for(nurse).get(vitals_url(trial))

    assert response.context["form"]["recorded_at"].value() == local(due)
    page = html(response)
    assert f'value="{local(due)}"' in page
    assert "15 min check due" in page and local(due).replace("T", " ") in page
    assert "overdue" in page


def test_before_the_next_check_is_due_the_form_opens_at_now(dose, team, client_for, nurse, clock):
    trial = dose(20)
    scenarios.vitals(trial, team, at=clock.now() - timedelta(minutes=5))  # the 15 min check

    response = client_for(nurse).get(vitals_url(trial))

    # The 30 min check is 10 minutes ahead: a time still to come would be refused.
    assert response.context["form"]["recorded_at"].value() == local(clock.now())
    assert "30 min check due" in html(response)


def test_a_check_due_longer_ago_than_the_late_entry_threshold_opens_at_now(
    dose, client_for, nurse, clock, site
):
    trial = dose(10 * 60)  # no set recorded: the 8 h check, 2 h ago, is still open

    response = client_for(nurse).get(vitals_url(trial))

    # At its due time the set would be a late entry (threshold: 60 min): it is measured now.
    assert site.late_entry_minutes == 60
    assert response.context["form"]["recorded_at"].value() == local(clock.now())
    assert "8 h check due" in html(response)


def test_every_number_opens_a_numeric_keypad_with_the_range_the_server_checks(
    dosed_17_minutes_ago, client_for, nurse
):
    page = html(client_for(nurse).get(vitals_url(dosed_17_minutes_ago)))

    for name, (low, high) in VITAL_RANGES.items():
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        keypad = "decimal" if name == "temperature_c" else "numeric"
        assert f'inputmode="{keypad}"' in tag, name
        assert f'data-min="{low}"' in tag and f'data-max="{high}"' in tag, name
    assert "js/vitals.js" in page


@pytest.mark.parametrize("name", list(VITAL_RANGES))
def test_a_value_just_past_the_page_s_range_is_refused_by_the_server(
    dosed_17_minutes_ago, client_for, nurse, name
):
    trial = dosed_17_minutes_ago
    low, high = VITAL_RANGES[name]
    # The highest plausible set is saved; one step above a field's maximum is not.
    client = client_for(nurse)
    highest = {n: VITAL_RANGES[n][1] for n in VITAL_RANGES}
    assert client.post(vitals_url(trial), vitals_post(**highest)).status_code == 302

    response = client.post(vitals_url(trial), vitals_post(**(highest | {name: high + 1})))

    assert response.status_code == 400
    assert response.context["form"].errors[name]
    assert VitalSigns.objects.filter(attempt__trial=trial, pre_dose=False).count() == 1


def test_the_previous_set_is_shown_beside_each_field(dose, team, client_for, nurse, clock):
    trial = dose(40)
    earlier = vitals_data(
        clock.now() - timedelta(minutes=25), heart_rate=83, systolic=131, diastolic=79,
        respiratory_rate=17, spo2=96, temperature_c="37.2", sedation=1, pain=4,
    )  # fmt: skip
    records.vitals_record(trial_id=trial.pk, actor=team.nurse, data=earlier)  # the 15 min check

    page = html(client_for(nurse).get(vitals_url(trial)))

    for name in VITAL_RANGES:
        block = field_block(page, name)
        assert f"Previous: {earlier[name]}" in block, name
        assert f'aria-describedby="id_{name}_helptext"' in block, name
    assert "previous: 1" in page  # sedation
    assert "Previous set: " + local(earlier["recorded_at"]).replace("T", " ") in page


def test_the_first_set_after_the_dose_shows_the_pre_dose_baseline_as_previous(
    dose, client_for, nurse
):
    trial = dose(16)  # pre-dose vital signs 20 min before the dose, HR 72 (scenarios.inject)

    page = html(client_for(nurse).get(vitals_url(trial)))

    assert "Previous set: pre-dose baseline" in page
    assert "Previous: 72" in field_block(page, "heart_rate")


def test_save_and_next_patient_opens_the_next_patient_with_vital_signs_due(dose, client_for, nurse):
    first_due = dose(20, last_name="Ahn")  # 15 min check due 5 min ago: top of the board
    saving = dose(17, last_name="Baker")  # due 2 min ago
    dose(5, last_name="Cole")  # nothing due yet
    client = client_for(nurse)

    response = client.post(vitals_url(saving), vitals_post(next_patient="1"))

    assert response.status_code == 302
    assert response["Location"] == vitals_url(first_due)
    assert VitalSigns.objects.filter(attempt__trial=saving, pre_dose=False).count() == 1
    page = html(client.get(response["Location"]))
    assert "Vital signs of Baker, Patient saved." in page
    assert "<h1" in page and "Ahn, Patient" in page


def test_save_and_next_patient_with_nobody_else_due_goes_back_to_the_board(dose, client_for, nurse):
    saving = dose(17)
    dose(5)  # nothing due yet
    client = client_for(nurse)

    response = client.post(vitals_url(saving), vitals_post(next_patient="1"))

    assert (response.status_code, response["Location"]) == (302, reverse("trials:board"))
    page = html(client.get(response["Location"]))
    assert "No other patient has vital signs due now." in page


def test_save_alone_stays_with_the_patient(dose, client_for, nurse):
    saving = dose(17)
    dose(20)  # due too, but the nurse did not ask to move on

    response = client_for(nurse).post(vitals_url(saving), vitals_post())

    assert response["Location"] == saving.get_absolute_url()


def test_a_refused_set_stays_on_the_form_with_save_and_next_offered_again(dose, client_for, nurse):
    saving = dose(17)
    dose(20)

    response = client_for(nurse).post(
        vitals_url(saving), vitals_post(next_patient="1", systolic=80, diastolic=90)
    )

    assert response.status_code == 400
    assert "The diastolic pressure must be lower than the systolic." in html(response)
    assert "Save and next patient" in html(response)


def test_pre_dose_vital_signs_offer_no_next_patient(trial_in, client_for, nurse):
    trial = trial_in("injection")

    page = html(client_for(nurse).get(vitals_url(trial)))

    assert "Pre-dose vital signs" in page
    assert "Save and next patient" not in page
    assert 'inputmode="numeric"' in page
