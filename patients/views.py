"""The patient register's forms: a new patient, a patient's details edited.

The list, a patient's page and the new-patient page (whose second button starts a trial) show or
lead to trials, so those pages are the trial side's (trials/views/patients.py, which calls
`new_patient` here); all four are named in the "patients" URL namespace (trials/patient_urls.py).
"""

from collections.abc import Callable

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from accounts.roles import EDIT_PATIENT, roles_required
from audit.web import audit_view
from core.concurrency import EditConflict
from core.errors import ProtocolError

from .forms import PatientForm
from .models import Patient
from .services import patient_create, patient_update


def _save(
    request,
    form,
    save: Callable[[dict], Patient],
    title: str,
    patient: Patient | None = None,
    *,
    then: Callable[[Patient], str | None] | None = None,
    context: dict | None = None,
):
    """Save a valid POST through `save`, then go to the patient's page, or where `then(patient)`
    says (None: the patient's page); a refusal is shown on the form. `context`: more for the
    form's template."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except EditConflict as conflict:
            form.show_conflict(conflict)
        except ProtocolError as exc:
            form.add_error("mrn" if "MRN" in str(exc) else None, " ".join(exc.messages))
        else:
            messages.success(request, "Patient saved.")
            return redirect((then(saved) if then else None) or saved)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": title, "patient": patient} | (context or {})
    return render(request, "patients/form.html", context, status=status)


def new_patient(request, *, then=None, context: dict | None = None):
    """The new-patient form, saved as _save says (`then`, `context`); the page, with its access
    check, is trials/views/patients.patient_new."""
    form = PatientForm(request.POST or None)
    return _save(
        request,
        form,
        lambda data: patient_create(actor=request.user, data=data),
        "New patient",
        then=then,
        context=context,
    )


@roles_required(*EDIT_PATIENT)
def patient_edit(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    if request.method == "GET":
        audit_view(request, patient=patient, what="the patient record (edit form)")
    form = PatientForm(request.POST or None, instance=patient)
    return _save(
        request,
        form,
        lambda data: patient_update(
            actor=request.user, patient_id=patient.pk, data=data, version=data["version"]
        ),
        f"Edit {patient.full_name}",
        patient,
    )
