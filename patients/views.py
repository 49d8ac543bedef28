from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from accounts.roles import ANY_ROLE, roles_required
from audit.web import audit_view
from core.concurrency import EditConflict
from core.errors import ProtocolError
from trials import procedure

from .forms import PatientForm
from .models import Patient
from .services import patient_create, patient_update

PAGE_SIZE = 50
# The new-patient form's second button: a patient is registered here to start an ITB trial, so
# the save can lead straight to the trial's form (the patient is saved either way).
START_TRIAL = "start_trial"


@require_GET
@roles_required(*ANY_ROLE)
def patient_list(request):
    query = request.GET.get("q", "").strip()
    patients = Patient.objects.search(query).with_open_trial().order_by("last_name", "first_name")
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/list.html", {"page": page, "query": query})


@require_GET
@roles_required(*ANY_ROLE)
def patient_detail(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    trials = patient.trials.for_list()
    audit_view(request, patient=patient, what="the patient record")
    return render(request, "patients/detail.html", {"patient": patient, "trials": trials})


def _save(request, form, save, title, patient=None):
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except EditConflict as conflict:
            form.show_conflict(conflict)
        except ProtocolError as exc:
            form.add_error("mrn" if "MRN" in str(exc) else None, " ".join(exc.messages))
        else:
            messages.success(request, "Patient saved.")
            if START_TRIAL in request.POST and _may_start_trial(request.user):
                return redirect("trials:create", saved.pk)
            return redirect(saved)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": title, "patient": patient, "start_trial": START_TRIAL}
    return render(request, "patients/form.html", context, status=status)


def _may_start_trial(user) -> bool:
    return user.role in procedure.ACTION_ROLES["create_trial"]


@roles_required(*procedure.ACTION_ROLES["edit_patient"])
def patient_new(request):
    form = PatientForm(request.POST or None)
    return _save(
        request, form, lambda data: patient_create(actor=request.user, data=data), "New patient"
    )


@roles_required(*procedure.ACTION_ROLES["edit_patient"])
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
