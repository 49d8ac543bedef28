"""Who may post what: refusals are 403 (role) or 404 (no such object), never a 500, and a
refused post changes nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from patients.models import Patient
from tests import module_data
from tests.conftest import PASSWORD
from tests.factories import clinic_today
from trials.models import ChecklistEntry, Signature, VitalSigns
from trials.procedure import Phase

from .support import html, injection_post, vitals_post

# The trials are built once for the module (tests/module_data.py): what a test changes is rolled
# back after it. The named users of the module are the people who built them.
TRIAL_STATES = [
    "injection_ready", "follow_up", "follow_up_decided_nonresponder", "preparation_ready",
    "observation", "observation", "preparation",
]  # fmt: skip
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


def _audit_count(trial) -> int:
    return AuditEvent.objects.filter(trial=trial).count()


# --- Role refusals: 403 and nothing written ------------------------------------------------------


def test_nurse_cannot_sign_the_injection(module_trial_in, as_nurse, nurse):
    trial = module_trial_in("injection_ready")
    before = _audit_count(trial)

    response = as_nurse.post(
        reverse("trials:injection", args=[trial.pk]),
        injection_post(nurse, dose_mcg=50, password=PASSWORD),
    )

    assert response.status_code == 403
    trial.refresh_from_db()
    assert trial.status == Phase.INJECTION
    assert trial.attempts.get().given_at is None
    assert _audit_count(trial) == before


def test_nurse_cannot_decide_the_response(module_trial_in, as_nurse):
    trial = module_trial_in("follow_up")

    response = as_nurse.post(
        reverse("trials:decide", args=[trial.pk]),
        {"responder": "false", "reason": "", "password": PASSWORD},
    )

    assert response.status_code == 403
    assert trial.attempts.get().responder is None
    assert not Signature.objects.filter(trial=trial, kind="decision").exists()


def test_nurse_cannot_close_the_trial(module_trial_in, as_nurse):
    trial = module_trial_in("follow_up_decided_nonresponder")

    response = as_nurse.post(
        reverse("trials:close", args=[trial.pk]),
        {"outcome": "not_candidate", "password": PASSWORD, "note": ""},
    )

    assert response.status_code == 403
    trial.refresh_from_db()
    assert (trial.status, trial.outcome) == (Phase.FOLLOW_UP, "")


def test_nurse_cannot_sign_preparation(module_trial_in, as_nurse):
    trial = module_trial_in("preparation_ready")

    response = as_nurse.post(
        reverse("trials:sign_preparation", args=[trial.pk]),
        {"password": PASSWORD, "first_dose_mcg": 50},
    )

    assert response.status_code == 403
    trial.refresh_from_db()
    assert trial.status == Phase.PREPARATION
    assert not trial.attempts.exists()


def test_admin_cannot_record_vital_signs(module_trial_in, as_admin):
    trial = module_trial_in("observation")
    before = VitalSigns.objects.count()

    response = as_admin.post(reverse("trials:vitals", args=[trial.pk]), vitals_post())

    assert response.status_code == 403
    assert VitalSigns.objects.count() == before


def test_admin_cannot_tick_a_checklist_item(module_trial_in, as_admin):
    trial = module_trial_in("preparation")

    response = as_admin.post(
        reverse("trials:tick", args=[trial.pk, "preparation", "no_infection"]),
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 403
    assert not ChecklistEntry.objects.filter(trial=trial).exists()


def test_admin_cannot_register_a_patient(as_admin):
    response = as_admin.post(
        reverse("patients:create"),
        {"mrn": "A-77", "first_name": "Ines", "last_name": "Moreau", "date_of_birth": "1990-02-03",
         "sex": "female", "weight_kg": "60", "diagnosis": "ms"},
    )  # fmt: skip

    assert response.status_code == 403
    assert not Patient.objects.filter(mrn="A-77").exists()


# --- A nurse-only checklist item ticked by the neurologist ----------------------------------------


@pytest.fixture
def preparation(module_trial_in):
    return module_trial_in("preparation")


def _tick_pregnancy(client, trial, **headers):
    url = reverse("trials:tick", args=[trial.pk, "preparation", "pregnancy"])
    return client.post(url, {"note": "checked"}, **headers)


def test_neurologist_cannot_tick_a_nurse_item(preparation, as_neurologist):
    response = _tick_pregnancy(as_neurologist, preparation)

    assert response.status_code == 403
    assert "Only a nurse may tick “Pregnancy status checked”." in html(response)
    assert not ChecklistEntry.objects.filter(trial=preparation).exists()


def test_neurologist_ticking_a_nurse_item_with_htmx_gets_the_panel_and_the_reason(
    preparation, as_neurologist
):
    response = _tick_pregnancy(as_neurologist, preparation, HTTP_HX_REQUEST="true")

    page = html(response)
    assert response.status_code == 403
    assert page.lstrip().startswith('<div id="phase-panel">')
    assert "<html" not in page
    assert "Only a nurse may tick “Pregnancy status checked”." in page
    assert not ChecklistEntry.objects.filter(trial=preparation).exists()


# --- 404: no such object -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("checklist_key", "item_key"),
    [("preparation", "no_such_item"), ("no_such_list", "consent"), ("day_of", "consent")],
)
def test_unknown_checklist_item_is_404(preparation, as_neurologist, checklist_key, item_key):
    for action in ("trials:tick", "trials:untick"):
        url = reverse(action, args=[preparation.pk, checklist_key, item_key])
        assert as_neurologist.post(url, HTTP_HX_REQUEST="true").status_code == 404
        assert as_neurologist.post(url).status_code == 404
    assert not ChecklistEntry.objects.filter(trial=preparation).exists()


def test_resolving_an_adverse_event_of_another_trial_is_404(
    module_trial_in, as_nurse, record_adverse_event
):
    mine, other = module_trial_in("observation"), module_trial_in("observation", 2)
    event = record_adverse_event(other)
    url = reverse("trials:adverse_event_resolve", args=[mine.pk, event.pk])
    data = {"resolution": "Settled.", "resolved_at": timezone.now().strftime("%Y-%m-%dT%H:%M")}

    assert as_nurse.get(url).status_code == 404
    assert as_nurse.post(url, data).status_code == 404

    event.refresh_from_db()
    assert (event.resolution, event.resolved_at) == ("", None)


def test_a_missing_adverse_event_is_404(module_trial_in, as_nurse):
    trial = module_trial_in("observation")
    url = reverse("trials:adverse_event_resolve", args=[trial.pk, 999_999])
    assert as_nurse.get(url).status_code == 404


MISSING = 999_999
GET_ONLY = ("trials:detail", "trials:timeline")  # pages that only show the record
TRIAL_PAGES = [
    "trials:detail", "trials:timeline", "trials:edit", "trials:baseline", "trials:sign_preparation",
    "trials:injection", "trials:vitals", "trials:assessment", "trials:adverse_event",
    "trials:pain_medication", "trials:discharge", "trials:decide", "trials:plan_next",
    "trials:close", "trials:cancel",
]  # fmt: skip


@pytest.mark.parametrize("name", TRIAL_PAGES)
def test_a_missing_trial_is_404_for_a_role_that_may_open_the_page(
    name, client_for, nurse, neurologist
):
    user = nurse if name in ("trials:vitals", "trials:discharge") else neurologist
    client = client_for(user)
    url = reverse(name, args=[MISSING])

    assert client.get(url).status_code == 404
    if name not in GET_ONLY:
        assert client.post(url, {}).status_code == 404


def test_ticking_on_a_missing_trial_is_404(as_nurse):
    url = reverse("trials:tick", args=[MISSING, "preparation", "no_infection"])
    assert as_nurse.post(url).status_code == 404
    assert as_nurse.post(url, HTTP_HX_REQUEST="true").status_code == 404


def test_starting_a_trial_for_a_missing_patient_is_404(as_nurse):
    url = reverse("trials:create", args=[MISSING])
    data = {"referred_on": (clinic_today() - timedelta(days=1)).isoformat()}
    assert as_nurse.get(url).status_code == 404
    assert as_nurse.post(url, data).status_code == 404
