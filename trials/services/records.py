"""Clinical entries of a trial: assessments, vital signs, adverse events, pain medication."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from trials import procedure
from trials.models import AdverseEvent, Assessment, MasScore, PainMedication, VitalSigns
from trials.procedure import Phase

from .audit import audit_record
from .errors import ProtocolError, require_role
from .phase import lock_trial
from .snapshot import TrialSnapshot

CLOCK_SKEW = timedelta(minutes=5)


def _not_future(when: datetime, what: str) -> None:
    if when > timezone.now() + CLOCK_SKEW:
        raise ProtocolError(f"The {what} time is in the future.")


def _not_before_injection(attempt, when: datetime, what: str) -> None:
    if when < attempt.given_at:
        local = timezone.localtime(attempt.given_at)
        raise ProtocolError(f"{what} cannot be before the injection ({local:%H:%M}).")


def _given_attempt(snap: TrialSnapshot, what: str):
    """Observation entries belong to a dose that has been given and not yet discharged."""
    attempt = snap.attempt
    if snap.trial.status != Phase.OBSERVATION or attempt is None or not attempt.is_given:
        raise ProtocolError(
            f"{what} can only be recorded after the dose is given, during observation."
        )
    return attempt


def _scores(grades: dict[tuple[str, str], str]) -> list[MasScore]:
    rows = []
    for (group, side), grade in grades.items():
        if grade == procedure.NOT_ASSESSED:
            continue
        if group not in procedure.MUSCLE_GROUP_LABELS or side not in dict(procedure.SIDES):
            raise ProtocolError("Unknown muscle group or side.")
        if grade not in procedure.MAS_GRADES:
            raise ProtocolError(f"“{grade}” is not a Modified Ashworth grade (0, 1, 1+, 2, 3, 4).")
        rows.append(MasScore(group=group, side=side, grade=grade))
    if not rows:
        raise ProtocolError("Score at least one muscle group.")
    return rows


def _check_penn(frequency: int, severity: int | None) -> None:
    if frequency not in range(0, 5):
        raise ProtocolError("Penn spasm frequency is 0 to 4.")
    if frequency == 0 and severity is not None:
        raise ProtocolError("Leave Penn severity empty when there are no spasms (frequency 0).")
    if frequency > 0 and severity not in (1, 2, 3):
        raise ProtocolError("Give the Penn spasm severity (1 to 3) when spasms occur.")


@transaction.atomic
def assessment_record(
    *,
    trial_id: int,
    actor,
    grades: dict[tuple[str, str], str],
    penn_frequency: int,
    penn_severity: int | None,
    assessed_at: datetime,
    minutes_after: int | None = None,
    baseline: bool = False,
    note: str = "",
) -> Assessment:
    """Record a baseline (during preparation) or post-dose (during observation) assessment."""
    require_role(actor, procedure.ACTION_ROLES["record_assessment"], "score spasticity")
    _not_future(assessed_at, "assessment")
    _check_penn(penn_frequency, penn_severity)
    rows = _scores(grades)
    snap = lock_trial(trial_id)
    if baseline:
        if snap.trial.status != Phase.PREPARATION:
            raise ProtocolError("The baseline can only be recorded during preparation.")
        if snap.baseline is not None:
            old = snap.baseline
            audit_record(
                actor=actor, action="change", trial=snap.trial, obj=old,
                summary="Baseline assessment replaced.",
                old={f"{s.group}/{s.side}": s.grade for s in old.scores.all()}
                | {"penn": f"{old.penn_frequency}/{old.penn_severity}"},
            )  # fmt: skip
            old.delete()
        attempt = None
        minutes_after = None
    else:
        attempt = _given_attempt(snap, "Post-dose scores")
        if minutes_after is None:
            minutes_after = max(0, int((assessed_at - attempt.given_at).total_seconds() // 60))
        if assessed_at < attempt.given_at:
            raise ProtocolError("A post-dose assessment cannot be before the injection.")
        if any(a.minutes_after == minutes_after for a in snap.post_dose(attempt)):
            raise ProtocolError(f"An assessment at {minutes_after} min is already recorded.")
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                trial=snap.trial, attempt=attempt, minutes_after=minutes_after,
                assessed_at=assessed_at, assessed_by=actor, penn_frequency=penn_frequency,
                penn_severity=penn_severity, note=note.strip(),
            )  # fmt: skip
            for row in rows:
                row.assessment = assessment
            MasScore.objects.bulk_create(rows)
    except IntegrityError as exc:
        raise ProtocolError("This assessment was already recorded.") from exc
    audit_record(
        actor=actor,
        action="create",
        trial=snap.trial,
        obj=assessment,
        summary=f"{assessment.label} spasticity assessment recorded"
        + ("" if baseline else f" (attempt {attempt.number})"),
        new={f"{r.group}/{r.side}": r.grade for r in rows}
        | {"penn": f"{penn_frequency}/{penn_severity}"},
    )
    return assessment


def _create_once(model, submission: uuid.UUID | None, **fields):
    """Create a row unless this form submission was already saved (a double submit)."""
    if submission is not None:
        existing = model.objects.filter(submission=submission).first()
        if existing is not None and existing.attempt_id != fields["attempt"].pk:
            raise ProtocolError("This form was already used for another record; reload the page.")
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            return model.objects.create(submission=submission, **fields), True
    except IntegrityError:
        existing = model.objects.filter(submission=submission).first() if submission else None
        if existing is None:
            raise
        return existing, False


@transaction.atomic
def vitals_record(
    *, trial_id: int, actor, data: dict[str, Any], submission: uuid.UUID | None = None
) -> VitalSigns:
    require_role(actor, procedure.ACTION_ROLES["record_vitals"], "record vital signs")
    snap = lock_trial(trial_id)
    attempt = _given_attempt(snap, "Vital signs")
    _not_future(data["recorded_at"], "recording")
    _not_before_injection(attempt, data["recorded_at"], "Vital signs")
    if data["diastolic"] >= data["systolic"]:
        raise ProtocolError("The diastolic pressure must be lower than the systolic.")
    vitals, created = _create_once(
        VitalSigns, submission, attempt=attempt, recorded_by=actor, **data
    )
    if created:
        audit_record(
            actor=actor, action="create", trial=snap.trial, obj=vitals,
            summary=f"Vital signs: HR {vitals.heart_rate}, BP {vitals.blood_pressure}, "
            f"RR {vitals.respiratory_rate}, SpO₂ {vitals.spo2}%, T {vitals.temperature_c} °C, "
            f"sedation {vitals.sedation}, pain {vitals.pain}",
            new=data,
        )  # fmt: skip
    return vitals


@transaction.atomic
def adverse_event_record(
    *, trial_id: int, actor, data: dict[str, Any], submission: uuid.UUID | None = None
) -> AdverseEvent:
    require_role(actor, procedure.ACTION_ROLES["record_adverse_event"], "record adverse events")
    snap = lock_trial(trial_id)
    attempt = snap.attempt
    if attempt is None or not attempt.is_given or not snap.trial.is_open:
        raise ProtocolError(
            "Adverse events are recorded after the dose is given, while the trial is open."
        )
    _not_future(data["onset_at"], "onset")
    _not_before_injection(attempt, data["onset_at"], "The onset")
    if data.get("resolved_at") and data["resolved_at"] < data["onset_at"]:
        raise ProtocolError("The resolution cannot be before the onset.")
    event, created = _create_once(
        AdverseEvent, submission, attempt=attempt, recorded_by=actor, **data
    )
    if created:
        audit_record(
            actor=actor, action="create", trial=snap.trial, obj=event,
            summary=f"Adverse event: {event}", new=data,
        )  # fmt: skip
    return event


# What the resolution form edits; its version covers these (trials/concurrency.py).
RESOLUTION_FIELDS = ("resolution", "resolved_at", "action_taken")


@transaction.atomic
def adverse_event_resolve(
    *, trial_id: int, event_id: int, actor, resolution: str, resolved_at: datetime,
    action_taken: str = "", version: str | None = None,
) -> AdverseEvent:  # fmt: skip
    from trials.concurrency import instance_values, model_rows, refuse_if_stale

    require_role(actor, procedure.ACTION_ROLES["record_adverse_event"], "update adverse events")
    snap = lock_trial(trial_id)
    event = next(
        (e for a in snap.attempts for e in a.adverse_events.all() if e.pk == event_id), None
    )
    if event is None:
        raise ProtocolError("There is no such adverse event in this trial.")
    current = instance_values(event, RESOLUTION_FIELDS)
    yours = {"resolution": resolution.strip(), "resolved_at": resolved_at,
             "action_taken": action_taken.strip() or event.action_taken}  # fmt: skip
    refuse_if_stale(
        given=version, current=current,
        rows=model_rows(AdverseEvent, RESOLUTION_FIELDS, current, yours),
        what=f"this adverse event ({event})",
        last_change=snap.trial.audit.filter(object_type="AdverseEvent", object_id=str(event.pk))
        .order_by("-pk").first(),
    )  # fmt: skip
    if not resolution.strip():
        raise ProtocolError("Describe the resolution.")
    _not_future(resolved_at, "resolution")
    if resolved_at < event.onset_at:
        raise ProtocolError("The resolution cannot be before the onset.")
    old = {"resolution": event.resolution, "resolved_at": event.resolved_at,
           "action_taken": event.action_taken}  # fmt: skip
    event.resolution = resolution.strip()
    event.resolved_at = resolved_at
    if action_taken.strip():
        event.action_taken = action_taken.strip()
    event.save(update_fields=["resolution", "resolved_at", "action_taken"])
    audit_record(
        actor=actor, action="change", trial=snap.trial, obj=event,
        summary=f"Adverse event updated: {event}", old=old,
        new={"resolution": event.resolution, "resolved_at": resolved_at,
             "action_taken": event.action_taken},
    )  # fmt: skip
    return event


@transaction.atomic
def pain_medication_record(
    *, trial_id: int, actor, data: dict[str, Any], submission: uuid.UUID | None = None
) -> PainMedication:
    require_role(actor, procedure.ACTION_ROLES["record_pain_medication"], "record pain medication")
    snap = lock_trial(trial_id)
    attempt = _given_attempt(snap, "Pain medication")
    _not_future(data["given_at"], "given")
    _not_before_injection(attempt, data["given_at"], "Pain medication")
    medication, created = _create_once(
        PainMedication, submission, attempt=attempt, given_by=actor, **data
    )
    if created:
        audit_record(
            actor=actor, action="create", trial=snap.trial, obj=medication,
            summary=f"Pain medication: {medication}", new=data,
        )  # fmt: skip
    return medication
