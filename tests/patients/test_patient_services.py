"""Registering, editing and finding patients."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from audit.models import AuditEvent
from core.errors import ProtocolError
from patients.models import Patient
from patients.services import patient_create, patient_update


def patient_data(**overrides) -> dict:
    return {
        "mrn": "A-100234", "first_name": "Maren", "last_name": "Holloway",
        "date_of_birth": date(1976, 2, 9), "sex": "female", "weight_kg": Decimal("71.5"),
        "diagnosis": "ms", "allergies": "none known",
    } | overrides  # fmt: skip


@pytest.mark.parametrize("role", ["nurse", "neurologist"])
def test_clinician_registers_a_patient_with_an_audit_row(request, role):
    actor = request.getfixturevalue(role)
    patient = patient_create(actor=actor, data=patient_data())

    row = AuditEvent.objects.get(patient=patient)
    assert (row.action, row.actor) == ("create", actor)
    assert row.new["mrn"] == "A-100234"


def test_admin_cannot_register_patients(admin_user):
    with pytest.raises(PermissionDenied):
        patient_create(actor=admin_user, data=patient_data())
    assert not Patient.objects.exists()


def test_admin_cannot_edit_patients(admin_user, patient):
    with pytest.raises(PermissionDenied):
        patient_update(actor=admin_user, patient_id=patient.pk, data={"last_name": "Changed"})
    patient.refresh_from_db()
    assert patient.last_name != "Changed"


def test_mrn_is_unique(nurse):
    patient_create(actor=nurse, data=patient_data())
    with pytest.raises(ProtocolError, match="MRN A-100234 already exists"):
        patient_create(actor=nurse, data=patient_data(first_name="Other"))
    assert Patient.objects.count() == 1


def test_mrn_cannot_be_changed_to_one_already_used(nurse, make_patient):
    make_patient(mrn="A-1")
    second = make_patient(mrn="A-2")
    with pytest.raises(ProtocolError, match="already exists"):
        patient_update(actor=nurse, patient_id=second.pk, data={"mrn": "A-1"})
    second.refresh_from_db()
    assert second.mrn == "A-2"


def test_update_audits_only_what_changed_old_to_new(neurologist, patient):
    patient_update(
        actor=neurologist,
        patient_id=patient.pk,
        data={"weight_kg": Decimal("72.0"), "last_name": patient.last_name},
    )

    row = AuditEvent.objects.get(patient=patient, action="change")
    assert row.old == {"weight_kg": "68.0"}
    assert row.new == {"weight_kg": "72.0"}
    assert row.actor == neurologist
    patient.refresh_from_db()
    assert patient.weight_kg == Decimal("72.0")


def test_update_without_a_change_writes_no_audit_row(nurse, patient):
    patient_update(actor=nurse, patient_id=patient.pk, data={"first_name": patient.first_name})
    assert not AuditEvent.objects.filter(patient=patient).exists()


# --- Search --------------------------------------------------------------------------------------


@pytest.fixture
def ward(make_patient):
    return {
        "holloway": make_patient(mrn="H-5521", first_name="Maren", last_name="Holloway"),
        "hollis": make_patient(mrn="H-5530", first_name="Tom", last_name="Hollis"),
        "okoye": make_patient(mrn="K-0042", first_name="Ada", last_name="Okoye"),
    }


def _found(text) -> set[str]:
    return set(Patient.objects.search(text).values_list("last_name", flat=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("holloway", {"Holloway"}),
        ("HOLL", {"Holloway", "Hollis"}),
        ("ada", {"Okoye"}),
        ("maren holloway", {"Holloway"}),
        ("K-0042", {"Okoye"}),
        ("k-0042", {"Okoye"}),
        ("H-55", {"Holloway", "Hollis"}),
        ("nobody", set()),
        ("waymaren", set()),  # a word matches within one name, not across the two
        ("5521", set()),  # an MRN is found by its start only
        ("%", set()),  # LIKE's wildcards are searched as typed
        ("_", set()),
    ],
)
def test_search_finds_patients_by_name_or_mrn(ward, text, expected):
    assert _found(text) == expected


def test_search_follows_a_corrected_name_and_mrn_at_once(ward):
    patient = ward["okoye"]
    patient.last_name, patient.mrn = "Okonkwo", "K-0099"
    patient.save()
    Patient.objects.filter(pk=ward["hollis"].pk).update(first_name="Bartholomew")

    assert _found("okoye") == set() and _found("K-0042") == set()
    assert _found("okonkwo") == {"Okonkwo"} and _found("k-0099") == {"Okonkwo"}
    assert _found("bartholomew") == {"Hollis"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite upper-cases ASCII only")
def test_search_is_case_blind_beyond_ascii(make_patient):
    make_patient(first_name="Sigríður", last_name="Ólafsdóttir")

    assert _found("ólafsdóttir") == _found("ÓLAFSDÓTTIR") == {"Ólafsdóttir"}
    assert _found("SIGRÍÐ") == {"Ólafsdóttir"}


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_search_lists_everyone(ward, text):
    assert _found(text) == {"Holloway", "Hollis", "Okoye"}
