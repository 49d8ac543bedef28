"""The bedside vital-signs form: it opens at the time the set is due with the previous set beside
each number, and "Save and next patient" goes on to the next patient whose vital signs are due,
in the ward board's order, or back to the board when nobody else is due."""

from datetime import datetime, timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from trials import forms, presenters
from trials.models import SiteSettings
from trials.procedure import Phase
from trials.schedule import Slot
from trials.services import records
from trials.services.snapshot import TrialSnapshot

from .access import get_trial
from .board import next_vitals_due
from .helpers import submit

NEXT_PATIENT = "next_patient"  # the name of the "Save and next patient" button


def opens_at_due_time(due_at: datetime, site: SiteSettings, now: datetime) -> bool:
    """Whether the form may open at a due time: once it has come, while a set measured then is
    not yet a late entry. (A time still to come would be refused, and one past the late-entry
    threshold would ask for a reason: a set entered that long after its due time was measured
    now.)"""
    return now - timedelta(minutes=site.late_entry_minutes) <= due_at <= now


def measured_at(due: Slot | None, site: SiteSettings, now: datetime) -> datetime:
    """The time the form opens with: the schedule's due time when it may (opens_at_due_time),
    otherwise now. The nurse changes it when she measured at another time."""
    if due is not None and opens_at_due_time(due.due_at, site, now):
        return due.due_at
    return now


def vitals_page(request, pk: int, *, initial: dict | None = None) -> HttpResponse:
    trial = get_trial(pk)
    snap = TrialSnapshot.load(trial.pk, request.site_settings)
    watch = presenters.observation(snap)
    due = watch.vitals.next_due if watch else None
    sets = list(snap.attempt.vitals.all()) if snap.attempt else []
    previous = max(sets, key=lambda v: v.recorded_at) if sets else None
    form = forms.VitalSignsForm(
        request.POST or None,
        initial=initial or {},
        measured_at=measured_at(due, request.site_settings, timezone.now()),
        previous=previous,
    )

    def call(data):
        data = {k: v for k, v in data.items() if not k.endswith("_fold")}
        submission = data.pop("submission", None)
        records.vitals_record(
            trial_id=trial.pk, actor=request.user, data=data, submission=submission
        )

    patient = trial.patient
    done = f"Vital signs of {patient.last_name}, {patient.first_name} saved."
    saved = submit(request, form, call, trial.get_absolute_url(), done=done)
    if saved is not None and NEXT_PATIENT in request.POST:
        following = next_vitals_due(timezone.now(), request.site_settings, leaving=trial.pk)
        if following is None:
            messages.info(request, "No other patient has vital signs due now.")
            return redirect("trials:board")
        return redirect("trials:vitals", following.pk)
    if saved is not None:
        return saved
    observing = trial.status == Phase.OBSERVATION
    context = {
        "trial": trial,
        "form": form,
        "title": "Vital signs" if observing else "Pre-dose vital signs",
        "due": due,
        "previous": previous,
        "next_patient": NEXT_PATIENT if observing else None,
    }
    return render(
        request,
        "trials/vitals_form.html",
        context,
        status=400 if request.method == "POST" else 200,
    )
