"""A save that completes a step leads to the signature that step waited for, when it is the
user's to make and nothing blocks it (issue 10: the journey in fewer clicks); otherwise back to
the trial page, as before. The form it leads to still asks for the password."""

import uuid

from django.urls import reverse
from django.utils import timezone

from tests import module_data
from tests.conftest import PASSWORD
from trials import scenarios

from .support import html, local

# The trials are built once for the module (tests/module_data.py): what a test changes is rolled
# back after it. The named users of the module are the people who built them.
TRIAL_STATES = ["preparation", "follow_up"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


def baseline_post(**overrides) -> dict:
    return {
        "submission": str(uuid.uuid4()), "assessed_at": local(timezone.now()),
        "mas_hip_flexors_left": "3", "mas_hip_flexors_right": "3",
        "penn_frequency": "3", "penn_severity": "2", "note": "",
    } | overrides  # fmt: skip


def test_the_baseline_that_completes_preparation_leads_to_its_signature(
    module_trial_in, team, as_neurologist
):
    trial = module_trial_in("preparation")
    scenarios.tick_all(trial.pk, "preparation", team)

    response = as_neurologist.post(reverse("trials:baseline", args=[trial.pk]), baseline_post())

    assert response.status_code == 302
    assert response.url == reverse("trials:sign_preparation", args=[trial.pk])
    page = html(as_neurologist.get(response.url))
    assert "Baseline spasticity assessment saved." in page
    assert "Your password (to sign)" in page


def test_a_baseline_with_items_still_open_leads_back_to_the_trial(module_trial_in, as_neurologist):
    trial = module_trial_in("preparation")  # nothing ticked yet

    response = as_neurologist.post(reverse("trials:baseline", args=[trial.pk]), baseline_post())

    assert response.status_code == 302
    assert response.url == trial.get_absolute_url()


def test_a_non_responder_decision_with_a_rung_left_leads_to_the_plan(
    module_trial_in, as_neurologist
):
    trial = module_trial_in("follow_up")  # 50 mcg, no change from baseline

    response = as_neurologist.post(
        reverse("trials:decide", args=[trial.pk]),
        {"responder": "false", "reason": "", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == reverse("trials:plan_next", args=[trial.pk])
    page = html(as_neurologist.get(response.url))
    assert "Decision signed." in page
    assert "Attempt 1 (50 mcg): Not a responder, decided by" in page


def test_a_responder_decision_leads_back_to_the_trial(module_trial_in, as_neurologist):
    trial = module_trial_in("follow_up")

    response = as_neurologist.post(
        reverse("trials:decide", args=[trial.pk]),
        {"responder": "true", "reason": "Walks better, as planned.", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == trial.get_absolute_url()  # close waits for the follow-up checklist
