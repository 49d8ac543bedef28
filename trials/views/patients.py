"""The patient list, a patient's page and the new-patient page: each shows or leads to the
patient's trials (the open one in the list; "Save and start a trial"), so the trial side reads
the patients here, not the other way round. The register's forms are patients/views.py;
trials/patient_urls.py names all four."""

from django.core.paginator import Page, Paginator
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.roles import ANY_ROLE, EDIT_PATIENT, roles_required
from audit.web import audit_view
from core import paging
from patients.models import Patient, search_text
from patients.views import new_patient
from trials import procedure
from trials.models.trial import with_open_trial
from trials.services import kept_rows, patient_search

PAGE_SIZE = 50
ROW = "patients/_row.html"  # a patient's row, kept by the values it shows (kept_rows.by_values)
# A search lists at most this many patients (four pages), then asks for more of the name or the
# MRN: a common name would otherwise match one patient in eighty of the whole register.
SEARCH_LIMIT = 200
BY_NAME = ("last_name", "first_name", "pk")
# A search of up to this many words is sent compiled once per process for each number of words
# and each of its pages (core/baked.py); one of more words is compiled on each request.
BAKED_WORDS = 4
# The new-patient form's second button: a patient is registered here to start an ITB trial, so
# the save can lead straight to the trial's form (the patient is saved either way).
START_TRIAL = "start_trial"


@require_GET
@roles_required(*ANY_ROLE)
def patient_list(request):
    query = request.GET.get("q", "").strip()
    number = request.GET.get("page")
    if query:  # at most SEARCH_LIMIT matches, sorted by name and counted in one query
        page = _search_page(query, number)
    else:  # everyone, read in name order up to the page (patient_by_name)
        everyone = with_open_trial(Patient.objects.order_by(*BY_NAME))
        page = Paginator(everyone, PAGE_SIZE).get_page(number)
    values = list(page) if query else [_values(patient) for patient in page]
    rows = kept_rows.by_values("patient", values, _row_html)
    context = {"page": page, "rows": rows, "query": query, "search_limit": SEARCH_LIMIT}
    return render(request, "patients/list.html", context)


ANNOTATIONS = ("open_trial_id", "open_trial_status", paging.FOUND)


# The columns a patient's row shows (patients/_row.html: the link, the name, the MRN, the date
# of birth, the diagnosis), the only ones read: not the notes and times it does not show, which
# a page of fifty matches would read, convert and key its rows by for nothing.
ROW_COLUMNS = ("id", "mrn", "first_name", "last_name", "date_of_birth", "diagnosis")


def _search_page(query: str, number) -> Page:
    """The page `number` of what the search finds, as page_counted_in_passing reads it, each
    patient as the values its row shows (_values): sent compiled when it can be (BAKED_WORDS, a
    page within SEARCH_LIMIT), else built as before."""
    text = search_text(query)
    words = text.split()
    wanted = paging.page_number(number)
    if text and len(words) <= BAKED_WORDS and (wanted - 1) * PAGE_SIZE < SEARCH_LIMIT:
        offset = (wanted - 1) * PAGE_SIZE
        rows = patient_search.page(
            text, words, ROW_COLUMNS, offset=offset, size=PAGE_SIZE, limit=SEARCH_LIMIT
        )
        if rows or wanted == 1:  # the rows as read (patient_list renders those not kept)
            found = rows[0][-1] if rows else 0
            return paging.page_of([row[:-1] for row in rows], wanted, PAGE_SIZE, found)
    found = with_open_trial(Patient.objects.first_found(query, SEARCH_LIMIT))
    page = paging.page_counted_in_passing(found.order_by(*BY_NAME), number, PAGE_SIZE)
    page.object_list = [_values(patient) for patient in page]
    return page


# What a patient's row shows: the patient's columns and its open trial (ANNOTATIONS but FOUND).
SHOWN = ANNOTATIONS[:-1]


def _values(patient: Patient) -> tuple:
    """A patient read as a model, as the search reads it: its columns, then SHOWN."""
    return tuple(getattr(patient, name) for name in (*ROW_COLUMNS, *SHOWN))


def _row_html(values: tuple) -> str:
    return render_to_string(ROW, {"p": _patient(values)})


def _patient(values: tuple) -> Patient:
    columns = ROW_COLUMNS
    patient = Patient.from_db(Patient.objects.db, list(columns), values[: len(columns)])
    for name, value in zip(SHOWN, values[len(columns) :], strict=True):
        setattr(patient, name, value)
    return patient


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
