"""Read pages: the trial page, the trial list, the patient's trial start and edit."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.roles import ANY_ROLE, roles_required
from audit.models import AuditEvent
from audit.web import audit_view
from core.baked import Baked
from core.errors import ProtocolError
from core.paging import page_counted_in_passing
from patients.models import Patient
from trials import presenters, procedure
from trials.forms import TrialEditForm, TrialForm
from trials.models import Trial
from trials.models.trial import counts_by_phase, heads_by_phase
from trials.services import kept_page, kept_rows, workflow
from trials.services.snapshot import TrialSnapshot
from trials.templatetags.kept import PartMissing

from .access import get_trial
from .helpers import action_page, submit


@require_GET
@roles_required(*ANY_ROLE)
def trial_detail(request, pk: int):
    """The trial page: from its kept parts while this process's frame of it holds, else from
    the record (trials/services/kept_page.py). Either way the view is audited before the page
    is sent."""
    user, site, what = request.user, request.site_settings, f"the trial page of trial #{pk}"
    if (page := kept_page.find(pk, user, site)) is not None:
        try:
            response = render(request, "trials/detail.html", presenters.kept_page_context(page))
        except PartMissing:
            pass  # a part no longer kept: the page is made from the record
        else:
            audit_view(request, trial=page.trial, what=what)
            return response
    since = timezone.now()
    try:
        snap = TrialSnapshot.load(pk, site=site)
    except Trial.DoesNotExist as exc:
        raise Http404("No such trial.") from exc
    audit_view(request, trial=snap.trial, what=what)
    context = presenters.trial_context(snap, user)
    response = render(request, "trials/detail.html", context)
    clock = (since, presenters.panel_clock_until(snap, since))
    kept_page.keep(snap.trial, context, user, site, clock=clock)
    return response


TIMELINE_PAGE = 50


@require_GET
@roles_required(*ANY_ROLE)
def trial_timeline(request, pk: int):
    """Every change of a trial, newest first, in pages (the trial page shows the latest)."""
    trial = get_trial(pk)
    changes = AuditEvent.objects.timeline(trial.pk)
    page = page_counted_in_passing(changes, request.GET.get("page"), TIMELINE_PAGE)
    audit_view(request, trial=trial, what=f"the timeline of trial #{pk}")
    return render(request, "trials/timeline.html", {"trial": trial, "page": page})


GROUP_SIZE = 10
PAGE_SIZE = 50
# The trial list's two reads, compiled once per process (core/baked.py): neither has a moving part.
OPEN_COUNTS = Baked(lambda now: Trial.objects.open().phase_counts_query())
RECENT_HEADS = Baked(lambda now, size: Trial.objects.recent_heads_query(size))


@require_GET
@roles_required(*ANY_ROLE)
def trial_list(request):
    """The trials by phase (the admin's home): each open phase with its count and its newest
    GROUP_SIZE, each closed phase with its GROUP_SIZE most recently closed, so the page reads
    the open work and not the history; ?phase= lists one phase in pages. Each trial's line is
    kept by its revision (kept_rows)."""
    phase = request.GET.get("phase")
    if phase in procedure.Phase.LABELS:
        trials = Trial.objects.recent_in_phase(phase)
        page = Paginator(trials, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {"phase": phase, "phase_label": procedure.Phase.LABELS[phase], "page": page}
        return render(request, "trials/list_phase.html", context | {"count": page.paginator.count})
    counts = counts_by_phase(OPEN_COUNTS.rows())
    recent = heads_by_phase(RECENT_HEADS.rows(None, GROUP_SIZE))
    every = [head for heads in recent.values() for head in heads]
    rows = kept_rows.rendered("trial-item", every, Trial.objects.for_list, _trial_item)
    groups = [
        (
            code,
            label,
            counts[code] if code in procedure.Phase.OPEN else None,
            [rows[pk] for pk, _ in recent[code] if pk in rows],
        )
        for code, label in procedure.Phase.CHOICES
    ]
    open_total = sum(counts[code] for code in procedure.Phase.OPEN)
    context = {"groups": groups, "open_total": open_total, "group_size": GROUP_SIZE}
    return render(request, "trials/list.html", context)


def _trial_item(trial: Trial) -> str:
    return render_to_string("trials/_trial_item.html", {"t": trial})


@roles_required(*procedure.ACTION_ROLES["create_trial"])
def trial_create(request, patient_pk: int):
    patient = get_object_or_404(Patient, pk=patient_pk)
    form = TrialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            trial = workflow.trial_create(patient=patient, actor=request.user, **form.cleaned_data)
        except ProtocolError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, "Trial started. Preparation is the first step.")
            return redirect(trial)
    return render(
        request,
        "trials/trial_form.html",
        {"form": form, "patient": patient, "title": f"Start an ITB trial for {patient.full_name}"},
        status=400 if request.method == "POST" else 200,
    )


@roles_required(*procedure.ACTION_ROLES["edit_trial"])
def trial_edit(request, pk: int):
    trial = get_trial(pk)
    form = TrialEditForm(request.POST or None, instance=trial)

    def call(data):
        workflow.trial_update(trial_id=trial.pk, actor=request.user, data=data)

    return submit(request, form, call, trial.get_absolute_url()) or action_page(
        request, trial, form, title="Edit the trial details"
    )
