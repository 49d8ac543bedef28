"""Form pages: a bad entry comes back as 400 with a sentence to act on and saves nothing;
a good one saves once and is audited."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from patients.models import Patient
from tests import module_data
from tests.conftest import PASSWORD
from trials.models import Assessment, Signature, VitalSigns
from trials.procedure import Phase

from .support import html, injection_post, local, vitals_post

# The trials are built once for the module (tests/module_data.py): what a test changes is rolled
# back after it. The named users of the module are the people who built them.
TRIAL_STATES = ["observation", "preparation", "injection_ready", "preparation_ready"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


# --- Vital signs ---------------------------------------------------------------------------------


@pytest.fixture
def observed(module_trial_in):
    return module_trial_in("observation")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"spo2": 101}, "spo2", "SpO₂ is a percentage: it cannot be above 100."),
        ({"heart_rate": 300}, "heart_rate", "Ensure this value is less than or equal to 250."),
        (
            {"systolic": 90, "diastolic": 90},
            "diastolic",
            "The diastolic pressure must be lower than the systolic.",
        ),
        (
            {"systolic": 110, "diastolic": 120},
            "diastolic",
            "The diastolic pressure must be lower than the systolic.",
        ),
    ],
    ids=["spo2-101", "hr-300", "diastolic-equal", "diastolic-above"],
)
def test_implausible_vital_signs_are_refused_with_a_message(
    observed, as_nurse, overrides, field, message
):
    before = VitalSigns.objects.count()

    response = as_nurse.post(reverse("trials:vitals", args=[observed.pk]), vitals_post(**overrides))

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert message in html(response)
    assert VitalSigns.objects.count() == before


def test_vital_signs_are_saved_at_the_clinic_time_entered(observed, as_nurse, nurse):
    at = (timezone.now() - timedelta(minutes=3)).replace(second=0, microsecond=0)

    response = as_nurse.post(
        reverse("trials:vitals", args=[observed.pk]), vitals_post(at, heart_rate=88)
    )

    assert (response.status_code, response["Location"]) == (302, observed.get_absolute_url())
    saved = VitalSigns.objects.get(heart_rate=88)
    assert (saved.recorded_at, saved.recorded_by) == (at, nurse)


def test_the_same_vitals_form_posted_twice_saves_once(observed, as_nurse):
    url = reverse("trials:vitals", args=[observed.pk])
    form = vitals_post(heart_rate=91, submission=str(uuid.uuid4()))
    audit = AuditEvent.objects.filter(trial=observed, object_type="VitalSigns")
    rows_before, audit_before = VitalSigns.objects.count(), audit.count()

    first, second = as_nurse.post(url, form), as_nurse.post(url, form)

    assert (first.status_code, second.status_code) == (302, 302)
    assert VitalSigns.objects.count() == rows_before + 1
    assert audit.count() == audit_before + 1


def test_the_vitals_form_carries_a_fresh_submission_id(observed, as_nurse):
    url = reverse("trials:vitals", args=[observed.pk])
    ids = {as_nurse.get(url).context["form"].initial["submission"] for _ in range(2)}
    assert len(ids) == 2


# --- Spasticity scores ---------------------------------------------------------------------------


def test_baseline_with_penn_severity_but_no_spasms_is_refused(module_trial_in, as_neurologist):
    trial = module_trial_in("preparation")

    response = as_neurologist.post(
        reverse("trials:baseline", args=[trial.pk]),
        {"assessed_at": local(timezone.now()), "penn_frequency": 0, "penn_severity": 2,
         "mas_hip_flexors_left": "3", "mas_hip_flexors_right": "2"},
    )  # fmt: skip

    assert response.status_code == 400
    assert response.context["form"].errors["penn_severity"] == [
        "Leave severity empty when there are no spasms."
    ]
    assert not Assessment.objects.filter(trial=trial).exists()


# --- Signed steps --------------------------------------------------------------------------------


def test_injection_with_a_dose_other_than_planned_names_the_planned_dose(
    module_trial_in, as_neurologist, nurse
):
    trial = module_trial_in("injection_ready")

    response = as_neurologist.post(
        reverse("trials:injection", args=[trial.pk]),
        injection_post(nurse, dose_mcg=75, password=PASSWORD),
    )

    assert response.status_code == 400
    message = "The planned dose for attempt 1 is 50 mcg; 75 mcg was entered."
    assert message in response.context["form"].non_field_errors()
    assert message in html(response)
    trial.refresh_from_db()
    assert trial.status == Phase.INJECTION
    assert trial.attempts.get().given_at is None
    assert not Signature.objects.filter(trial=trial, kind="injection").exists()


def test_injection_with_the_planned_dose_starts_observation(module_trial_in, as_neurologist, nurse):
    trial = module_trial_in("injection_ready")

    response = as_neurologist.post(
        reverse("trials:injection", args=[trial.pk]),
        injection_post(nurse, dose_mcg=50, password=PASSWORD),
    )

    assert response.status_code == 302
    trial.refresh_from_db()
    assert trial.status == Phase.OBSERVATION


@pytest.fixture
def ready_to_sign(module_trial_in):
    return module_trial_in("preparation_ready")


def _sign_preparation(client, trial, password=PASSWORD):
    url = reverse("trials:sign_preparation", args=[trial.pk])
    return client.post(url, {"password": password, "first_dose_mcg": 50})


def test_sign_preparation_with_the_wrong_password_signs_nothing(ready_to_sign, as_neurologist):
    response = _sign_preparation(as_neurologist, ready_to_sign, password="not-my-password")

    assert response.status_code == 400
    assert "The password is not correct; nothing was signed." in html(response)
    ready_to_sign.refresh_from_db()
    assert ready_to_sign.status == Phase.PREPARATION
    assert not Signature.objects.filter(trial=ready_to_sign).exists()


def test_sign_preparation_lists_the_open_required_item_by_its_label(ready_to_sign, as_neurologist):
    as_neurologist.post(
        reverse("trials:untick", args=[ready_to_sign.pk, "preparation", "consent"]),
        {"reason": "Consent form not scanned yet"},
    )

    response = _sign_preparation(as_neurologist, ready_to_sign)

    assert response.status_code == 400
    message = "Preparation: “Risks explained and consent signed” is not ticked yet."
    assert response.context["form"].non_field_errors() == [message]
    ready_to_sign.refresh_from_db()
    assert ready_to_sign.status == Phase.PREPARATION


def test_sign_preparation_when_ready_plans_the_first_dose(ready_to_sign, as_neurologist):
    response = _sign_preparation(as_neurologist, ready_to_sign)

    assert (response.status_code, response["Location"]) == (302, ready_to_sign.get_absolute_url())
    ready_to_sign.refresh_from_db()
    assert ready_to_sign.status == Phase.INJECTION
    assert ready_to_sign.attempts.get().dose_mcg == 50


# --- Patients ------------------------------------------------------------------------------------


def patient_post(**overrides) -> dict:
    return {
        "mrn": "H-20931", "first_name": "Ines", "last_name": "Moreau",
        "date_of_birth": "1990-02-03", "sex": "female", "weight_kg": "61.5", "diagnosis": "ms",
        "allergies": "none known",
    } | overrides  # fmt: skip


@pytest.mark.parametrize("mrn", ["MRN-DUP", "  MRN-DUP "])
def test_registering_a_duplicate_mrn_is_refused_with_an_mrn_message(make_patient, as_nurse, mrn):
    make_patient(mrn="MRN-DUP")

    response = as_nurse.post(reverse("patients:create"), patient_post(mrn=mrn))

    assert response.status_code == 400
    assert response.context["form"].errors["mrn"] == ["Patient with this MRN already exists."]
    assert Patient.objects.filter(mrn="MRN-DUP").count() == 1


def test_a_date_of_birth_of_tomorrow_at_the_clinic_is_refused_on_a_clinic_evening(
    nurse, client_for
):
    # 20:00 on 6 December in New York (the clinic): 7 December in UTC, the server's zone.
    with time_machine.travel(datetime(2026, 12, 7, 1, 0, tzinfo=UTC), tick=False):
        as_nurse = client_for(nurse)
        refused = as_nurse.post(
            reverse("patients:create"), patient_post(date_of_birth="2026-12-07")
        )
        born_today = as_nurse.post(
            reverse("patients:create"), patient_post(mrn="H-20932", date_of_birth="2026-12-06")
        )

    assert refused.status_code == 400
    assert refused.context["form"].errors["date_of_birth"] == [
        "The date of birth cannot be in the future."
    ]
    assert born_today.status_code == 302
    assert list(Patient.objects.values_list("mrn", flat=True)) == ["H-20932"]


def test_registering_a_patient_writes_an_audit_row(as_nurse, nurse):
    response = as_nurse.post(reverse("patients:create"), patient_post())

    patient = Patient.objects.get(mrn="H-20931")
    assert (response.status_code, response["Location"]) == (302, patient.get_absolute_url())
    event = AuditEvent.objects.get(patient=patient)
    assert (event.action, event.actor, event.new["last_name"]) == ("create", nurse, "Moreau")


def test_editing_a_patient_writes_old_and_new_to_the_audit(make_patient, as_neurologist):
    patient = make_patient(mrn="H-1", weight_kg="68.0")

    url = reverse("patients:edit", args=[patient.pk])
    version = as_neurologist.get(url).context["form"]["version"].value()  # as the form shows it
    response = as_neurologist.post(
        url,
        patient_post(mrn="H-1", first_name=patient.first_name, last_name=patient.last_name,
                     date_of_birth=patient.date_of_birth.isoformat(), weight_kg="64.0",
                     version=version),
    )  # fmt: skip

    assert response.status_code == 302
    event = AuditEvent.objects.get(patient=patient, action="change")
    assert (event.old["weight_kg"], event.new["weight_kg"]) == ("68.0", "64.0")
    assert event.actor.username == "hugo"
