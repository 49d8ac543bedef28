"""Editing a patient against the version the form was opened on (core/concurrency.py): a save
over someone else's newer change is refused with their values beside yours; a script that
passes no version edits the record as it stands."""

from decimal import Decimal

import pytest

from core.concurrency import EditConflict, instance_version
from patients.forms import PatientForm
from patients.models import Patient
from patients.services import FIELDS, patient_update


def opened_version(patient) -> str:
    """The version an edit form opened now carries."""
    return PatientForm(instance=Patient.objects.get(pk=patient.pk)).initial["version"]


def test_the_edit_form_carries_the_version_of_the_record(patient):
    assert opened_version(patient) == instance_version(patient, FIELDS)


def test_a_new_patient_form_has_no_version(db):
    assert "version" not in PatientForm().fields


def test_a_save_over_a_newer_change_is_refused(patient, nurse, neurologist):
    version = opened_version(patient)
    patient_update(actor=neurologist, patient_id=patient.pk, data={"weight_kg": Decimal("64.0")})

    with pytest.raises(EditConflict) as refused:
        patient_update(
            actor=nurse,
            patient_id=patient.pk,
            data={"weight_kg": patient.weight_kg, "allergies": "latex"},
            version=version,
        )

    patient.refresh_from_db()
    assert (patient.weight_kg, patient.allergies) == (Decimal("64.0"), "")
    rows = {row.label: (row.theirs, row.yours) for row in refused.value.rows}
    assert rows == {"Weight (kg)": ("64.0", "68.0"), "Allergies": ("–", "latex")}
    assert refused.value.messages[0].startswith("Hugo Lindqvist changed this patient's details at ")


def test_the_version_changes_with_every_saved_change(patient, nurse):
    before = opened_version(patient)
    patient_update(actor=nurse, patient_id=patient.pk, data={"allergies": "latex"})

    assert opened_version(patient) != before


def test_a_save_with_the_current_version_stands(patient, nurse):
    patient_update(
        actor=nurse,
        patient_id=patient.pk,
        data={"allergies": "latex"},
        version=opened_version(patient),
    )

    patient.refresh_from_db()
    assert patient.allergies == "latex"


def test_a_script_without_a_version_edits_the_record_as_it_stands(patient, nurse, neurologist):
    patient_update(actor=neurologist, patient_id=patient.pk, data={"weight_kg": Decimal("64.0")})

    patient_update(actor=nurse, patient_id=patient.pk, data={"allergies": "latex"})

    patient.refresh_from_db()
    assert (patient.weight_kg, patient.allergies) == (Decimal("64.0"), "latex")
