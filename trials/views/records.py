"""Clinical entries: spasticity scores, vital signs, adverse events, pain medication."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from trials import forms, procedure
from trials.models import AdverseEvent
from trials.services import records
from trials.services.snapshot import TrialSnapshot

from .access import get_trial, roles_required
from .helpers import action_page, submit


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
        )

    return submit(request, form, call, trial.get_absolute_url()) or action_page(
        request,
        trial,
        form,
        title="Baseline spasticity assessment",
        template="trials/assessment_form.html",
    )


@roles_required(*procedure.ACTION_ROLES["record_assessment"])
def assessment(request, pk: int):
    trial = get_trial(pk)
    schedule = request.site_settings.assessment_schedule
    snap = TrialSnapshot.load(trial.pk, site=request.site_settings)
    done = {a.minutes_after for a in snap.post_dose(snap.attempt)} if snap.attempt else set()
    initial = {"minutes_after": next((m for m in schedule if m not in done), None)}
    form = forms.AssessmentForm(request.POST or None, schedule=schedule, initial=initial)

    def call(data):
        records.assessment_record(
            trial_id=trial.pk,
            actor=request.user,
            grades=form.grades(),
            penn_frequency=data["penn_frequency"],
            penn_severity=data["penn_severity"],
            assessed_at=data["assessed_at"],
            minutes_after=data["minutes_after"],
            note=data["note"],
        )

    return submit(request, form, call, trial.get_absolute_url()) or action_page(
        request,
        trial,
        form,
        title="Post-dose spasticity assessment",
        template="trials/assessment_form.html",
    )


def _record_page(request, pk, form_class, service, title):
    trial = get_trial(pk)
    form = form_class(request.POST or None)

    def call(data):
        data = dict(data)
        submission = data.pop("submission", None)
        service(trial_id=trial.pk, actor=request.user, data=data, submission=submission)

    return submit(request, form, call, trial.get_absolute_url()) or action_page(
        request, trial, form, title=title
    )


@roles_required(*procedure.ACTION_ROLES["record_vitals"])
def vitals(request, pk: int):
    return _record_page(request, pk, forms.VitalSignsForm, records.vitals_record, "Vital signs")


@roles_required(*procedure.ACTION_ROLES["record_adverse_event"])
def adverse_event(request, pk: int):
    return _record_page(
        request, pk, forms.AdverseEventForm, records.adverse_event_record, "Adverse event"
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
    from trials.concurrency import instance_version

    version = instance_version(event, records.RESOLUTION_FIELDS)
    form = forms.ResolveAdverseEventForm(
        request.POST or None, initial={"action_taken": event.action_taken, "version": version}
    )

    def call(data):
        records.adverse_event_resolve(
            trial_id=trial.pk, event_id=event.pk, actor=request.user, **data
        )

    return submit(request, form, call, trial.get_absolute_url()) or action_page(
        request, trial, form, title=f"Update adverse event: {event}"
    )
