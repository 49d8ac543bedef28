"""Clinical entries of a trial: assessments, vital signs, adverse events, pain medication.

Each entry keeps the time it happened (what the user says) and the time it was entered (the
server's clock); the time rules of DOMAIN §2a are checked here, under the trial's lock.
"""

import uuid
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import require_role
from audit.services import audit_record
from core.errors import ProtocolError
from trials import procedure
from trials.models import (
    AdverseEvent,
    Assessment,
    DoseAttempt,
    MasScore,
    PainMedication,
    VitalSigns,
)
from trials.procedure import Phase
from trials.schedule import assessment_slot

from .phase import lock_trial
from .snapshot import TrialSnapshot
from .timing import check_time, late_reason, shown
from .trial_figures import trial_figures_refresh


def entry_late_reason(snap: TrialSnapshot, when: datetime, reason: str, what: str) -> str:
    """The late-entry reason to keep (empty when the entry is on time); refuses a missing one."""
    return late_reason(when, reason, threshold_minutes=snap.site.late_entry_minutes, what=what)


def _observed_attempt(snap: TrialSnapshot, what: str) -> DoseAttempt:
    """Observation entries belong to a dose that has been given and not yet discharged."""
    attempt = snap.attempt
    if snap.trial.status != Phase.OBSERVATION or attempt is None or not attempt.is_given:
        raise ProtocolError(
            f"{what} can only be recorded after the dose is given, during observation."
        )
    return attempt


def _scored_attempt(snap: TrialSnapshot) -> DoseAttempt:
    """Post-dose scores: during observation, and after discharge until the response is decided
    (a late assessment must not strand the trial)."""
    attempt = snap.attempt
    if attempt is None or not attempt.is_given or not snap.trial.is_open:
        raise ProtocolError("Post-dose scores can only be recorded after the dose is given.")
    if snap.trial.status == Phase.FOLLOW_UP and attempt.is_decided:
        raise ProtocolError(
            f"The response to attempt {attempt.number} is decided; its post-dose scores are "
            "closed. Plan the next attempt to score again."
        )
    if snap.trial.status not in (Phase.OBSERVATION, Phase.FOLLOW_UP):
        raise ProtocolError("Post-dose scores can only be recorded after the dose is given.")
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


def _check_penn(frequency: int | None, severity: int | None) -> int:
    if frequency is None or frequency not in range(0, 5):
        raise ProtocolError("Choose the Penn spasm frequency (0 to 4).")
    if frequency == 0 and severity is not None:
        raise ProtocolError("Leave Penn severity empty when there are no spasms (frequency 0).")
    if frequency > 0 and severity not in (1, 2, 3):
        raise ProtocolError("Give the Penn spasm severity (1 to 3) when spasms occur.")
    return frequency


def _post_dose_slot(snap: TrialSnapshot, attempt, assessed_at: datetime) -> tuple[int, int | None]:
    """(real minutes after the dose, the scheduled slot whose window holds them, or None)."""
    check_time(assessed_at, what="assessment", after=[(attempt.given_at, "the dose was given")])
    minutes = max(0, int((assessed_at - attempt.given_at).total_seconds() // 60))
    slot = assessment_slot(
        minutes, snap.site.assessment_schedule, snap.site.assessment_window_minutes
    )
    taken = next(
        (a for a in snap.post_dose(attempt) if slot is not None and a.slot_minutes == slot), None
    )
    if taken is not None:
        raise ProtocolError(
            f"The {taken.short_label} assessment of attempt {attempt.number} is already recorded "
            f"({shown(taken.assessed_at)} by {taken.assessed_by.printed_name})."
        )
    return minutes, slot


@transaction.atomic
def assessment_record(
    *,
    trial_id: int,
    actor: User,
    grades: dict[tuple[str, str], str],
    penn_frequency: int | None,
    penn_severity: int | None,
    assessed_at: datetime,
    baseline: bool = False,
    note: str = "",
    late: str = "",
    submission: uuid.UUID | None = None,
) -> Assessment:
    """Record a baseline (during preparation) or post-dose assessment. The slot of a post-dose
    one comes from its time: within the site's window of a scheduled time, or unscheduled.
    The same form sent twice records once (and never replaces the baseline it just saved)."""
    require_role(actor, procedure.ACTION_ROLES["record_assessment"], "score spasticity")
    penn_frequency = _check_penn(penn_frequency, penn_severity)  # an int from here on
    rows = _scores(grades)
    snap = lock_trial(trial_id)
    again = _assessment_sent_again(submission, rows, assessed_at, penn_frequency, penn_severity)
    if again is not None:
        return again
    if baseline:
        if snap.trial.status != Phase.PREPARATION:
            raise ProtocolError("The baseline can only be recorded during preparation.")
        check_time(assessed_at, what="assessment")
        attempt, minutes, slot = None, None, None
    else:
        attempt = _scored_attempt(snap)
        minutes, slot = _post_dose_slot(snap, attempt, assessed_at)
    reason = entry_late_reason(snap, assessed_at, late, "assessment")
    replaced = _replace_baseline(snap, actor) if baseline else None
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                trial=snap.trial, attempt=attempt, minutes_after=minutes, slot_minutes=slot,
                assessed_at=assessed_at, assessed_by=actor, penn_frequency=penn_frequency,
                penn_severity=penn_severity, note=note.strip(), late_reason=reason,
                entered_at=timezone.now(), submission=submission,
            )  # fmt: skip
            for row in rows:
                row.assessment = assessment
            MasScore.objects.bulk_create(rows)
    except IntegrityError as exc:
        raise ProtocolError("This assessment was already recorded.") from exc
    trial_figures_refresh(trial_id=trial_id)  # the best MAS fall (a replaced baseline too)
    audit_record(
        actor=actor,
        action="create",
        trial=snap.trial,
        obj=assessment,
        summary=f"{assessment.label} spasticity assessment recorded"
        + ("" if attempt is None else f" (attempt {attempt.number})")
        + (" – replaces the earlier baseline" if replaced else "")
        + (" – late entry" if reason else ""),
        new={f"{r.group}/{r.side}": r.grade for r in rows}
        | {"penn": f"{penn_frequency}/{penn_severity}", "assessed_at": assessed_at},
        reason=reason,
    )
    return assessment


def _assessment_sent_again(submission, rows, assessed_at, frequency, severity):
    """The assessment this form already saved, if it is the same; a refusal if it differs."""
    if submission is None:
        return None
    existing = Assessment.objects.filter(submission=submission).prefetch_related("scores").first()
    if existing is None:
        return None
    same = (
        {(s.group, s.side, s.grade) for s in existing.scores.all()}
        == {(r.group, r.side, r.grade) for r in rows}
        and existing.assessed_at == assessed_at
        and (existing.penn_frequency, existing.penn_severity) == (frequency, severity)
    )
    if not same:
        raise ProtocolError(
            "This form was already saved with other values; nothing was changed. "
            "Open a new form to record another assessment."
        )
    return existing


def _replace_baseline(snap: TrialSnapshot, actor: User) -> bool:
    """A re-scored baseline replaces the first; the audit keeps every grade of the old one."""
    old = snap.baseline
    if old is None:
        return False
    audit_record(
        actor=actor, action="change", trial=snap.trial, obj=old,
        summary="Baseline assessment replaced.",
        old={f"{s.group}/{s.side}": s.grade for s in old.scores.all()}
        | {"penn": f"{old.penn_frequency}/{old.penn_severity}", "assessed_at": old.assessed_at},
    )  # fmt: skip
    old.delete()
    return True


def _same(existing, fields: dict[str, Any]) -> bool:
    for name, value in fields.items():
        current = getattr(existing, name)
        if hasattr(value, "pk"):
            value, current = value.pk, getattr(existing, f"{name}_id")
        if name in ("entered_at", "late_reason"):
            continue
        if str(current) != str(value) and current != value:
            return False
    return True


def _create_once(model, submission: uuid.UUID | None, **fields):
    """Create a row unless this form submission was already saved (a double submit). The same
    form sent again with other values is refused: one form, one record."""
    if submission is not None:
        existing = model.objects.filter(submission=submission).first()
        if existing is not None and not _same(existing, fields):
            raise ProtocolError(
                "This form was already saved with other values; nothing was changed. "
                "Open a new form to record another entry."
            )
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


def _vitals_attempt(snap: TrialSnapshot, recorded_at: datetime):
    """Pre-dose vital signs on the day of the dose (the baseline), then the observation."""
    attempt = snap.attempt
    if snap.trial.status == Phase.INJECTION and attempt is not None and not attempt.is_given:
        check_time(
            recorded_at,
            what="pre-dose vital signs",
            after=[(attempt.planned_at, f"attempt {attempt.number} was planned")],
        )
        return attempt, True
    attempt = _observed_attempt(snap, "Vital signs")
    check_time(recorded_at, what="vital signs", after=[(attempt.given_at, "the dose was given")])
    return attempt, False


@transaction.atomic
def vitals_record(
    *, trial_id: int, actor: User, data: dict[str, Any], submission: uuid.UUID | None = None
) -> VitalSigns:
    require_role(actor, procedure.ACTION_ROLES["record_vitals"], "record vital signs")
    data = dict(data)
    late = data.pop("late_reason", "")
    snap = lock_trial(trial_id)
    attempt, pre_dose = _vitals_attempt(snap, data["recorded_at"])
    if data["diastolic"] >= data["systolic"]:
        raise ProtocolError("The diastolic pressure must be lower than the systolic.")
    reason = entry_late_reason(snap, data["recorded_at"], late, "vital signs")
    vitals, created = _create_once(
        VitalSigns, submission, attempt=attempt, recorded_by=actor, pre_dose=pre_dose,
        late_reason=reason, entered_at=timezone.now(), **data,
    )  # fmt: skip
    if created:
        audit_record(
            actor=actor, action="create", trial=snap.trial, obj=vitals,
            summary=("Pre-dose vital signs" if pre_dose else "Vital signs")
            + f": HR {vitals.heart_rate}, BP {vitals.blood_pressure}, "
            f"RR {vitals.respiratory_rate}, SpO₂ {vitals.spo2}%, T {vitals.temperature_c} °C, "
            f"sedation {vitals.sedation}, pain {vitals.pain}" + (" – late entry" if reason else ""),
            new=data, reason=reason,
        )  # fmt: skip
    return vitals


def _event_attempt(snap: TrialSnapshot, number: int | None):
    """An adverse event belongs to a given dose of an open trial: the latest one by default, any
    earlier one on request (a post-dural-puncture headache often starts the next day)."""
    if not snap.trial.is_open:
        raise ProtocolError("Adverse events can be recorded while the trial is open.")
    given = [a for a in snap.attempts if a.is_given]
    if not given:
        raise ProtocolError("Adverse events are recorded after the dose is given.")
    if number is None:
        return given[-1]
    attempt = next((a for a in given if a.number == number), None)
    if attempt is None:
        raise ProtocolError(f"Attempt {number} has no dose given in this trial.")
    return attempt


@transaction.atomic
def adverse_event_record(
    *, trial_id: int, actor: User, data: dict[str, Any], submission: uuid.UUID | None = None
) -> AdverseEvent:
    require_role(actor, procedure.ACTION_ROLES["record_adverse_event"], "record adverse events")
    data = dict(data)
    late = data.pop("late_reason", "")
    snap = lock_trial(trial_id)
    attempt = _event_attempt(snap, data.pop("attempt_number", None))
    check_time(
        data["onset_at"],
        what="onset",
        after=[(attempt.given_at, f"the dose of attempt {attempt.number} was given")],
    )
    if data.get("resolved_at"):
        check_time(data["resolved_at"], what="resolution", after=[(data["onset_at"], "the onset")])
    reason = entry_late_reason(snap, data["onset_at"], late, "adverse event")
    now = timezone.now()
    extra = {"resolution_entered_at": now} if data.get("resolved_at") else {}
    event, created = _create_once(
        AdverseEvent, submission, attempt=attempt, recorded_by=actor, late_reason=reason,
        entered_at=now, **extra, **data,
    )  # fmt: skip
    if created:
        audit_record(
            actor=actor, action="create", trial=snap.trial, obj=event,
            summary=f"Adverse event (attempt {attempt.number}): {event}"
            + (" – late entry" if reason else ""),
            new=data, reason=reason,
        )  # fmt: skip
    return event


# What the resolution form edits; its version covers these (core/concurrency.py).
RESOLUTION_FIELDS = ("resolution", "resolved_at", "action_taken")


@transaction.atomic
def adverse_event_resolve(
    *, trial_id: int, event_id: int, actor: User, resolution: str, resolved_at: datetime,
    action_taken: str = "", late_reason: str = "", version: str | None = None,
) -> AdverseEvent:  # fmt: skip
    from core.concurrency import instance_values, model_rows, refuse_if_stale

    require_role(actor, procedure.ACTION_ROLES["record_adverse_event"], "update adverse events")
    snap = lock_trial(trial_id)
    event = next(
        (e for a in snap.attempts for e in a.adverse_events.all() if e.pk == event_id), None
    )
    if event is None:
        raise ProtocolError("There is no such adverse event in this trial.")
    if not snap.trial.is_open:
        raise ProtocolError("The trial is closed; its adverse events cannot change.")
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
    check_time(resolved_at, what="resolution", after=[(event.onset_at, "the onset")])
    reason = entry_late_reason(snap, resolved_at, late_reason, "resolution")
    old = {"resolution": event.resolution, "resolved_at": event.resolved_at,
           "action_taken": event.action_taken}  # fmt: skip
    event.resolution = resolution.strip()
    event.resolved_at = resolved_at
    event.resolution_entered_at = timezone.now()
    event.resolution_late_reason = reason
    if action_taken.strip():
        event.action_taken = action_taken.strip()
    event.save(
        update_fields=["resolution", "resolved_at", "action_taken", "resolution_entered_at",
                       "resolution_late_reason"]
    )  # fmt: skip
    audit_record(
        actor=actor, action="change", trial=snap.trial, obj=event,
        summary=f"Adverse event updated: {event}" + (" – late entry" if reason else ""), old=old,
        new={"resolution": event.resolution, "resolved_at": resolved_at,
             "action_taken": event.action_taken},
        reason=reason,
    )  # fmt: skip
    return event


@transaction.atomic
def pain_medication_record(
    *, trial_id: int, actor: User, data: dict[str, Any], submission: uuid.UUID | None = None
) -> PainMedication:
    require_role(actor, procedure.ACTION_ROLES["record_pain_medication"], "record pain medication")
    data = dict(data)
    late = data.pop("late_reason", "")
    snap = lock_trial(trial_id)
    attempt = _observed_attempt(snap, "Pain medication")
    check_time(
        data["given_at"], what="pain medication", after=[(attempt.given_at, "the dose was given")]
    )
    reason = entry_late_reason(snap, data["given_at"], late, "pain medication")
    medication, created = _create_once(
        PainMedication, submission, attempt=attempt, given_by=actor, late_reason=reason,
        entered_at=timezone.now(), **data,
    )  # fmt: skip
    if created:
        audit_record(
            actor=actor, action="create", trial=snap.trial, obj=medication,
            summary=f"Pain medication: {medication}" + (" – late entry" if reason else ""),
            new=data, reason=reason,
        )  # fmt: skip
    return medication
