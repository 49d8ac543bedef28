"""After every signature and save the next page says it worked, in a status region that screen
readers announce; a refusal says nothing of the kind."""

import re

import pytest
from django.urls import reverse

from tests import module_data
from tests.conftest import PASSWORD

from .support import html, vitals_post

# The trials are built once for the module (tests/module_data.py): what a test changes is rolled
# back after it. The named users of the module are the people who built them.
TRIAL_STATES = ["preparation_ready", "observation", "observation_ready"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


STATUS = '<div class="alert alert-success flash-message" role="status">'


def _confirmation(page: str) -> str:
    """The text of the confirmation (the page fails the test without one)."""
    assert STATUS in page, "no confirmation on the page"
    return re.sub(r"<[^>]+>", "", page.split(STATUS, 1)[1].split("</div>", 1)[0]).strip()


def test_signing_preparation_shows_a_confirmation(module_trial_in, as_neurologist):
    trial = module_trial_in("preparation_ready")
    url = reverse("trials:sign_preparation", args=[trial.pk])

    response = as_neurologist.post(url, {"password": PASSWORD, "first_dose_mcg": 50}, follow=True)

    assert response.redirect_chain[-1][0] == trial.get_absolute_url()
    assert "Preparation signed complete." in _confirmation(html(response))


def test_a_refused_signature_shows_no_confirmation(module_trial_in, as_neurologist):
    trial = module_trial_in("preparation_ready")
    url = reverse("trials:sign_preparation", args=[trial.pk])

    response = as_neurologist.post(url, {"password": "not-my-password", "first_dose_mcg": 50})

    assert response.status_code == 400
    assert STATUS not in html(response)


def test_saving_vital_signs_shows_a_confirmation(module_trial_in, as_nurse):
    trial = module_trial_in("observation")

    response = as_nurse.post(reverse("trials:vitals", args=[trial.pk]), vitals_post(), follow=True)

    assert re.search(r"Vital signs .*saved\.", _confirmation(html(response)))


@pytest.mark.parametrize("state", ["observation_ready"])
def test_signing_the_discharge_shows_a_confirmation(module_trial_in, as_nurse, state):
    trial = module_trial_in(state)

    response = as_nurse.post(
        reverse("trials:discharge", args=[trial.pk]),
        {"password": PASSWORD, "note": "Home with a leaflet."},
        follow=True,
    )

    assert "Discharge signed." in _confirmation(html(response))


def test_the_confirmation_is_shown_once(module_trial_in, as_nurse):
    trial = module_trial_in("observation")
    as_nurse.post(reverse("trials:vitals", args=[trial.pk]), vitals_post())

    first = html(as_nurse.get(trial.get_absolute_url()))
    again = html(as_nurse.get(trial.get_absolute_url()))

    assert "saved." in _confirmation(first)
    assert STATUS not in again
