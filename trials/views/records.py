"""Clinical entries: spasticity scores, vital signs, adverse events, pain medication."""

from datetime import datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.roles import roles_required
from core.fields import DATETIME_FORMAT
from trials import forms, procedure
from trials.models import AdverseEvent, Assessment
from trials.services import records

from .access import get_trial
from .helpers import action_page, next_step_url, submit
from .vitals import opens_at_due_time, vitals_page


@roles_required(*procedure.ACTION_ROLES["record_baseline"])
def baseline(request, pk: int):
    trial = get_trial(pk)
    form = forms.AssessmentForm(request.POST or None, baseline=True)

    def call(data):
        records.assessment_record(
            trial_id=trial.pk,
            actor=request.user,
            grades=form.grades(),
            penn_frequency=data["penn_frequency"],
            penn_severity=data["penn_severity"],
            assessed_at=data["assessed_at"],
            note=data["note"],
            baseline=True,
            late=data["late_reason"],
            submission=data["submission"],
        )

    # The baseline is often the last thing preparation waits for: then its signature comes next.
    def after() -> str:
        return next_step_url(request, trial, "sign_preparation")

    done = "Baseline spasticity assessment saved."
    return submit(request, form, call, after, done=done) or action_page(
        request,
        trial,
        form,
        title="Baseline spasticity assessment",
        template="trials/assessment_form.html",
    )


@roles_required(*procedure.ACTION_ROLES["record_assessment"])
def assessment(request, pk: int):
    trial = get_trial(pk)
    baseline = (
        Assessment.objects.filter(trial=trial, attempt__isnull=True)
        .prefetch_related("scores")
        .first()
    )
    grades = {(s.group, s.side): s.grade for s in baseline.scores.all()} if baseline else {}
    penn = (baseline.penn_frequency, baseline.penn_severity) if baseline else None
    form = forms.AssessmentForm(request.POST or None, baseline_grades=grades, baseline_penn=penn)

    def call(data):
        records.assessment_record(
            trial_id=trial.pk,
            actor=request.user,
            grades=form.grades(),
            penn_frequency=data["penn_frequency"],
            penn_severity=data["penn_severity"],
            assessed_at=data["assessed_at"],
            note=data["note"],
            late=data["late_reason"],
            submission=data["submission"],
        )

    return submit(request, form, call, trial.get_absolute_url()) or action_page(
        request,
        trial,
        form,
        title="Post-dose spasticity assessment",
        template="trials/assessment_form.html",
        extra={"post_dose": True},
    )


def _record_page(request, pk, form_class, service, title, **form_kwargs):
    trial = get_trial(pk)
    form = form_class(request.POST or None, **form_kwargs)

    def call(data):
        data = {k: v for k, v in data.items() if not k.endswith("_fold")}
        submission = data.pop("submission", None)
        service(trial_id=trial.pk, actor=request.user, data=data, submission=submission)

    return submit(
        request, form, call, trial.get_absolute_url(), done=f"{title} saved."
    ) or action_page(request, trial, form, title=title)


def _due_time(request) -> dict:
    """`?at=` the due time (a link from My tasks): the form opens with it when the schedule's
    own due time would (vitals.opens_at_due_time: come, and not yet a late entry), and not when
    it is not a time at all."""
    at = request.GET.get("at", "")
    try:
        due = datetime.strptime(at, DATETIME_FORMAT).replace(tzinfo=timezone.get_current_timezone())
    except ValueError:
        return {}
    usable = opens_at_due_time(due, request.site_settings, timezone.now())
    return {"recorded_at": at} if usable else {}


@roles_required(*procedure.ACTION_ROLES["record_vitals"])
def vitals(request, pk: int):
    # The bedside form (due time, previous set, save and next patient): views/vitals.py.
    return vitals_page(request, pk, initial=_due_time(request))


@roles_required(*procedure.ACTION_ROLES["record_adverse_event"])
def adverse_event(request, pk: int):
    attempts = list(get_trial(pk).attempts.order_by("number"))
    return _record_page(
        request,
        pk,
        forms.AdverseEventForm,
        records.adverse_event_record,
        "Adverse event",
        attempts=attempts,
    )


@roles_required(*procedure.ACTION_ROLES["record_pain_medication"])
def pain_medication(request, pk: int):
    return _record_page(
        request, pk, forms.PainMedicationForm, records.pain_medication_record, "Pain medication"
    )


@roles_required(*procedure.ACTION_ROLES["record_adverse_event"])
def adverse_event_resolve(request, pk: int, event_pk: int):
    trial = get_trial(pk)
    event = get_object_or_404(AdverseEvent.objects.select_related("attempt"), pk=event_pk)
    if event.attempt.trial_id != trial.pk:
        raise Http404("No such adverse event in this trial.")
    from core.concurrency import instance_version

    version = instance_version(event, records.RESOLUTION_FIELDS)
    form = forms.ResolveAdverseEventForm(
        request.POST or None, initial={"action_taken": event.action_taken, "version": version}
    )

    def call(data):
        records.adverse_event_resolve(
            trial_id=trial.pk,
            event_id=event.pk,
            actor=request.user,
            resolution=data["resolution"],
            resolved_at=data["resolved_at"],
            action_taken=data["action_taken"],
            late_reason=data["late_reason"],
            version=data.get("version"),
        )

    done = "Adverse event resolved."
    return submit(request, form, call, trial.get_absolute_url(), done=done) or action_page(
        request, trial, form, title=f"Update adverse event: {event}"
    )
