"""Outcome review: the dashboard and the trials behind each count, the CSV and FHIR exports, and
the trial summary for the medical record (print page and PDF).

Reviewers (admin, neurologist) see outcomes across patients; every signed-in role may open one
trial's summary or FHIR record. Every export writes an audit row (action "export") saying who
exported what.
"""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.roles import ANY_ROLE, roles_required
from audit.services import audit_record
from audit.web import audit_view
from trials import procedure
from trials.models import Trial
from trials.outcomes import csv_export, fhir, panels, summary, summary_pdf
from trials.outcomes.figures import outcome_figures
from trials.outcomes.filters import CriterionForm, OutcomeFilterForm

from .access import get_trial

REVIEWERS = tuple(procedure.ACTION_ROLES["view_outcomes"])
PAGE_SIZE = 50
FHIR_CHUNK = 100


def _filters(request) -> OutcomeFilterForm:
    form = OutcomeFilterForm(request.GET)
    form.is_valid()
    return form


def _bad_filter(form) -> HttpResponse:
    text = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return HttpResponseBadRequest(f"Invalid filter: {text}", content_type="text/plain")


def _record_export(request, *, what: str, form=None, trial=None, **details) -> None:
    filters = form.params if form is not None else {}
    scope = f" ({form.description})" if form is not None else ""
    audit_record(
        actor=request.user,
        action="export",
        trial=trial,
        summary=f"Exported {what}{scope}.",
        new={"export": what, **details, **filters},
    )


@require_GET
@roles_required(*REVIEWERS)
def dashboard(request):
    form = _filters(request)
    context = {"form": form, "panels": [], "query": request.GET.urlencode()}
    if not form.is_valid():
        return render(request, "outcomes/dashboard.html", context, status=400)
    figures = outcome_figures(form)
    context |= {"figures": figures, "panels": panels.all_panels(figures, form.params)}
    return render(request, "outcomes/dashboard.html", context)


@require_GET
@roles_required(*REVIEWERS)
def outcome_trials(request):
    """The trials behind one dashboard count: the filter plus the figure's criterion."""
    form, criterion = _filters(request), CriterionForm(request.GET)
    if not (form.is_valid() and criterion.is_valid()):
        errors = form.errors | criterion.errors
        text = " ".join(str(e) for errs in errors.values() for e in errs)
        return HttpResponseBadRequest(f"Invalid filter: {text}", content_type="text/plain")
    trials = criterion.apply(form.trials()).for_outcome_list()
    page = Paginator(trials, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "criterion": criterion,
        "page": page,
        "query": query.urlencode(),
        "dashboard_query": urlencode(form.params),
    }
    return render(request, "outcomes/trials.html", context)


@require_GET
@roles_required(*REVIEWERS)
def outcomes_csv(request):
    form = _filters(request)
    if not form.is_valid():
        return _bad_filter(form)
    sheet = request.GET.get("sheet", "trials")
    if sheet not in csv_export.SHEETS:
        return HttpResponseBadRequest("Unknown sheet: use trials or attempts.")
    _record_export(request, what=f"outcomes CSV, one row per {sheet[:-1]}", form=form, sheet=sheet)
    response = StreamingHttpResponse(
        csv_export.export(form.trials(), sheet), content_type="text/csv; charset=utf-8"
    )
    name = f"itb-outcomes-{sheet}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@roles_required(*REVIEWERS)
def fhir_bulk(request):
    form = _filters(request)
    if not form.is_valid():
        return _bad_filter(form)
    _record_export(request, what="FHIR NDJSON", form=form)
    trials = (
        Trial.objects.filter(pk__in=form.trials().order_by().values("pk"))
        .for_fhir()
        .order_by("pk")
        .iterator(chunk_size=FHIR_CHUNK)
    )
    response = StreamingHttpResponse(fhir.ndjson(trials), content_type=fhir.NDJSON_CONTENT_TYPE)
    name = f"itb-trials-fhir-{timezone.localdate():%Y%m%d}.ndjson"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@roles_required(*ANY_ROLE)
def trial_fhir(request, pk: int):
    get_trial(pk)
    trial = Trial.objects.for_fhir().get(pk=pk)
    _record_export(request, what=f"FHIR bundle of trial #{pk}", trial=trial)
    return JsonResponse(
        fhir.trial_bundle(trial),
        content_type=fhir.CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def _summary(request, trial) -> summary.Summary:
    return summary.load(trial, site=request.site_settings)


@require_GET
@roles_required(*ANY_ROLE)
def trial_summary(request, pk: int):
    trial = get_trial(pk)
    audit_view(request, trial=trial, what=f"the summary of trial #{pk}")
    context = {"trial": trial, "summary": _summary(request, trial)}
    return render(request, "outcomes/summary.html", context)


@require_GET
@roles_required(*ANY_ROLE)
def trial_summary_pdf(request, pk: int):
    trial = get_trial(pk)
    data = _summary(request, trial)
    _record_export(request, what=f"summary PDF of trial #{pk}", trial=trial)
    response = HttpResponse(summary_pdf.render(data), content_type="application/pdf")
    name = f"itb-trial-{pk}-summary-{timezone.localdate():%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
