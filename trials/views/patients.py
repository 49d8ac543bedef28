"""The patient list, a patient's page and the new-patient page: each shows or leads to the
patient's trials (the open one in the list; "Save and start a trial"), so the trial side reads
the patients here, not the other way round. The register's forms are patients/views.py;
trials/patient_urls.py names all four."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.roles import ANY_ROLE, EDIT_PATIENT, roles_required
from audit.web import audit_view
from core.paging import page_counted_in_passing
from patients.models import Patient
from patients.views import new_patient
from trials import procedure
from trials.models.trial import with_open_trial

PAGE_SIZE = 50
# The new-patient form's second button: a patient is registered here to start an ITB trial, so
# the save can lead straight to the trial's form (the patient is saved either way).
START_TRIAL = "start_trial"


@require_GET
@roles_required(*ANY_ROLE)
def patient_list(request):
    query = request.GET.get("q", "").strip()
    patients = with_open_trial(Patient.objects.search(query)).order_by("last_name", "first_name")
    number = request.GET.get("page")
    if query:  # a search sorts all its matches anyway: count them in the same query
        page = page_counted_in_passing(patients, number, PAGE_SIZE)
    else:  # everyone, read in name order up to the page: a count of its own is cheaper
        page = Paginator(patients, PAGE_SIZE).get_page(number)
    return render(request, "patients/list.html", {"page": page, "query": query})


@require_GET
@roles_required(*ANY_ROLE)
def patient_detail(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    trials = patient.trials.for_list()
    audit_view(request, patient=patient, what="the patient record")
    return render(request, "patients/detail.html", {"patient": patient, "trials": trials})


@roles_required(*EDIT_PATIENT)
def patient_new(request):
    def then(patient: Patient) -> str | None:
        if START_TRIAL in request.POST and _may_start_trial(request.user):
            return reverse("trials:create", args=[patient.pk])
        return None

    return new_patient(request, then=then, context={"start_trial": START_TRIAL})


def _may_start_trial(user) -> bool:
    return user.role in procedure.ACTION_ROLES["create_trial"]
