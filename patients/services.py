from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.roles import EDIT_PATIENT, require_role
from audit.services import audit_record
from core.concurrency import instance_values, model_rows, refuse_if_stale
from core.errors import ProtocolError

from .models import Patient
from .signals import patient_changed

FIELDS = [
    "mrn", "first_name", "last_name", "date_of_birth", "sex", "weight_kg", "diagnosis",
    "diagnosis_detail", "allergies", "anticoagulants", "oral_antispasmodics",
]  # fmt: skip


def patient_create(*, actor: User, data: dict[str, Any]) -> Patient:
    require_role(actor, EDIT_PATIENT, "register patients")
    try:
        with transaction.atomic():
            patient = Patient.objects.create(**{f: data[f] for f in FIELDS if f in data})
            audit_record(
                actor=actor,
                action="create",
                patient=patient,
                obj=patient,
                summary=f"Patient registered: {patient}",
                new={f: getattr(patient, f) for f in FIELDS},
            )
    except IntegrityError as exc:
        raise ProtocolError(f"A patient with MRN {data.get('mrn')} already exists.") from exc
    return patient


def patient_update(
    *, actor: User, patient_id: int, data: dict[str, Any], version: str | None = None
) -> Patient:
    """Change the patient's details. `version`: the edit form's (core/concurrency.py); a save
    against a record changed since the form was opened is refused, nothing overwritten."""
    require_role(actor, EDIT_PATIENT, "edit patients")
    try:
        with transaction.atomic():
            patient = Patient.objects.select_for_update(no_key=True).get(pk=patient_id)
            old = {f: getattr(patient, f) for f in FIELDS}
            refuse_if_stale(
                given=version,
                current=instance_values(patient, FIELDS),
                rows=model_rows(Patient, FIELDS, old, data),
                what="this patient's details",
                last_change=patient.audit.filter(action="change", object_type="Patient")
                .order_by("-pk")
                .first(),
            )
            changed = {f: data[f] for f in FIELDS if f in data and data[f] != old[f]}
            if not changed:
                return patient
            for name, value in changed.items():
                setattr(patient, name, value)
            patient.save(update_fields=[*changed, "updated_at"])
            patient_changed.send(sender=Patient, patient=patient, fields=frozenset(changed))
            audit_record(
                actor=actor,
                action="change",
                patient=patient,
                obj=patient,
                summary="Patient details changed: " + ", ".join(changed),
                old={f: old[f] for f in changed},
                new=changed,
            )
    except IntegrityError as exc:
        raise ProtocolError(f"A patient with MRN {data.get('mrn')} already exists.") from exc
    return patient
