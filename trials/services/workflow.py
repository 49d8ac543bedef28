"""The actions that move a trial through its phases. Each one goes through trial_transition."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from trials import procedure
from trials.models import DoseAttempt, Trial

from .audit import audit_record
from .errors import ProtocolError, require_role
from .phase import lock_trial, trial_transition
from .signing import check_password, signature_add
from .snapshot import TrialSnapshot

CLOCK_SKEW = timedelta(minutes=5)


def trial_create(*, patient, actor, referred_on, referred_by="", indication="", goals="") -> Trial:
    require_role(actor, procedure.ACTION_ROLES["create_trial"], "start a trial")
    try:
        with transaction.atomic():
            trial = Trial.objects.create(
                patient=patient,
                referred_on=referred_on,
                referred_by=referred_by,
                indication=indication,
                goals=goals,
                created_by=actor,
            )
            audit_record(
                actor=actor,
                action="create",
                trial=trial,
                obj=trial,
                summary=f"Trial started for {patient.full_name} (referred {referred_on}).",
                new={"status": trial.status, "referred_on": referred_on},
            )
    except IntegrityError as exc:
        raise ProtocolError("This patient already has an open trial.") from exc
    return trial


def _not_signed(snap: TrialSnapshot, attempt: DoseAttempt, kind: str) -> None:
    """A signed record is never written again; a correction is an amendment beside it."""
    if snap.signature(kind, attempt) is not None:
        raise ProtocolError(
            f"The {kind} of attempt {attempt.number} is already signed; correct it with an "
            "amendment, which keeps the original."
        )


def _check_first_dose(dose_mcg: int) -> None:
    if dose_mcg not in procedure.DOSE_LADDER_MCG or dose_mcg > procedure.FIRST_DOSE_MCG:
        raise ProtocolError("The first dose is 50 mcg (25 mcg for very small children).")


def preparation_sign(*, trial_id: int, actor, password: str, first_dose_mcg: int) -> Trial:
    """The neurologist signs preparation complete and the first dose is planned."""
    check_password(actor, password)
    _check_first_dose(first_dose_mcg)

    def effect(snap: TrialSnapshot) -> str:
        signature_add(trial=snap.trial, attempt=None, kind="preparation", actor=actor)
        attempt = DoseAttempt.objects.create(
            trial=snap.trial, number=1, dose_mcg=first_dose_mcg, planned_by=actor
        )
        return f"Attempt 1 planned at {attempt.dose_mcg} mcg."

    return trial_transition(
        trial_id=trial_id, action="sign_preparation", actor=actor, effect=effect
    )


INJECTION_FIELDS = [
    "spinal_level", "needle_type", "needle_gauge", "clear_csf", "passes", "image_guidance",
    "radiologist", "product", "concentration_mcg_ml", "lot", "expiry", "given_at",
    "duration_seconds", "discarded_mcg", "assisting_nurse",
]  # fmt: skip


def _check_injection(
    attempt: DoseAttempt, data: dict[str, Any], dose_mcg: int, clinic_zone: str
) -> None:
    given_at: datetime = data["given_at"]
    problems = []
    if dose_mcg != attempt.dose_mcg:
        problems.append(
            f"The planned dose for attempt {attempt.number} is {attempt.dose_mcg} mcg; "
            f"{dose_mcg} mcg was entered."
        )
    if given_at > timezone.now() + CLOCK_SKEW:
        problems.append("The time given is in the future.")
    if attempt.not_before and given_at < attempt.not_before:
        local = timezone.localtime(attempt.not_before)
        problems.append(
            f"This dose may not be given before {local:%Y-%m-%d %H:%M} "
            f"({procedure.MIN_HOURS_BETWEEN_ATTEMPTS} h after the previous dose)."
        )
    # The expiry date is a calendar day at the clinic, whichever zone this code runs in.
    if data["expiry"] < given_at.astimezone(ZoneInfo(clinic_zone)).date():
        problems.append("The product had expired when it was given.")
    if data.get("image_guidance") and not data.get("radiologist", "").strip():
        problems.append("Name the radiologist when image guidance was used.")
    nurse = data.get("assisting_nurse")
    if nurse is None or nurse.role != procedure.NURSE:
        problems.append("Name the assisting nurse.")
    if data["duration_seconds"] < procedure.MIN_INJECTION_SECONDS:
        problems.append("Baclofen is given by barbotage over at least 1 minute.")
    if problems:
        raise ProtocolError(*problems)


def injection_sign(
    *, trial_id: int, actor, password: str, dose_mcg: int, data: dict[str, Any]
) -> Trial:
    """The performing physician records and signs the injection; observation starts."""
    check_password(actor, password)

    def effect(snap: TrialSnapshot) -> str:
        attempt = snap.attempt
        _not_signed(snap, attempt, "injection")
        _check_injection(attempt, data, dose_mcg, snap.site.time_zone)
        for name in INJECTION_FIELDS:
            setattr(attempt, name, data.get(name))
        attempt.radiologist = attempt.radiologist or ""
        attempt.performed_by = actor
        attempt.save()
        signature_add(trial=snap.trial, attempt=attempt, kind="injection", actor=actor)
        audit_record(
            actor=actor,
            action="change",
            trial=snap.trial,
            obj=attempt,
            summary=f"Injection recorded: attempt {attempt.number}, {attempt.dose_mcg} mcg.",
            new={name: data.get(name) for name in INJECTION_FIELDS},
        )
        return f"Attempt {attempt.number}: {attempt.dose_mcg} mcg given."

    return trial_transition(trial_id=trial_id, action="sign_injection", actor=actor, effect=effect)


def attempt_discharge(*, trial_id: int, actor, password: str, note: str = "") -> Trial:
    """A nurse signs the discharge after the recovery instructions are given."""
    check_password(actor, password)

    def effect(snap: TrialSnapshot) -> str:
        attempt = snap.attempt
        _not_signed(snap, attempt, "discharge")
        attempt.discharged_at = timezone.now()
        attempt.discharge_note = note.strip()
        attempt.save(update_fields=["discharged_at", "discharge_note"])
        signature_add(trial=snap.trial, attempt=attempt, kind="discharge", actor=actor)
        return f"Attempt {attempt.number}: discharged with recovery instructions."

    return trial_transition(trial_id=trial_id, action="discharge", actor=actor, effect=effect)


@transaction.atomic
def attempt_decide(
    *, trial_id: int, actor, password: str, responder: bool, reason: str = ""
) -> DoseAttempt:
    """The neurologist confirms or overrides the suggested response, with a reason to override."""
    require_role(actor, procedure.ACTION_ROLES["decide"], "decide the response")
    check_password(actor, password)
    snap = lock_trial(trial_id)
    attempt = snap.attempt
    if snap.trial.status not in (procedure.Phase.OBSERVATION, procedure.Phase.FOLLOW_UP):
        raise ProtocolError("A response can only be decided after the dose has been given.")
    if attempt.is_decided:
        raise ProtocolError(f"The response to attempt {attempt.number} is already decided.")
    if not snap.post_dose(attempt):
        raise ProtocolError("Record a post-dose spasticity assessment before deciding.")
    suggested = snap.suggestion(attempt).responder
    if suggested is not None and suggested != responder and not reason.strip():
        raise ProtocolError("Give a reason for overriding the suggestion.")
    if suggested is None and not reason.strip():
        raise ProtocolError("There is no computed suggestion; give the reason for your decision.")
    attempt.responder = responder
    attempt.suggested_responder = suggested
    attempt.decision_reason = reason.strip()
    attempt.decided_by = actor
    attempt.decided_at = timezone.now()
    attempt.save(
        update_fields=[
            "responder", "suggested_responder", "decision_reason", "decided_by", "decided_at"
        ]
    )  # fmt: skip
    signature_add(trial=snap.trial, attempt=attempt, kind="decision", actor=actor)
    verdict = "responder" if responder else "not a responder"
    overridden = suggested is not None and suggested != responder
    audit_record(
        actor=actor,
        action="decide",
        trial=snap.trial,
        obj=attempt,
        summary=f"Attempt {attempt.number} ({attempt.dose_mcg} mcg): {verdict}"
        + (" (suggestion overridden)" if overridden else " (suggestion confirmed)"),
        old={"responder": None},
        new={"responder": responder, "suggested": suggested},
        reason=reason.strip(),
    )
    return attempt


def attempt_plan_next(*, trial_id: int, actor, dose_mcg: int) -> Trial:
    """Plan the next, higher dose at least 24 h after the last one."""

    def effect(snap: TrialSnapshot) -> str:
        last = snap.attempt
        if dose_mcg not in procedure.DOSE_LADDER_MCG or dose_mcg <= last.dose_mcg:
            higher = [d for d in procedure.DOSE_LADDER_MCG if d > last.dose_mcg]
            raise ProtocolError(
                "The next dose must be a higher step of the protocol: "
                f"{', '.join(map(str, higher))} mcg."
            )
        attempt = DoseAttempt.objects.create(
            trial=snap.trial,
            number=last.number + 1,
            dose_mcg=dose_mcg,
            not_before=last.next_allowed_at(),
            planned_by=actor,
        )
        local = timezone.localtime(attempt.not_before)
        return (
            f"Attempt {attempt.number} planned at {dose_mcg} mcg, "
            f"not before {local:%Y-%m-%d %H:%M}."
        )

    return trial_transition(
        trial_id=trial_id, action="plan_next_attempt", actor=actor, effect=effect
    )


def trial_close(
    *, trial_id: int, actor, password: str, outcome: str, follow_up_on=None, note: str = ""
) -> Trial:
    """Close the trial with its outcome; a pump candidate must have responded to the last dose."""
    check_password(actor, password)
    if outcome not in dict(procedure.OUTCOME_CHOICES):
        raise ProtocolError("Choose an outcome.")

    def effect(snap: TrialSnapshot) -> str:
        last = snap.attempt
        if outcome == "pump_candidate" and not last.responder:
            raise ProtocolError("Only a patient who responded to a dose can be a pump candidate.")
        if outcome == "not_candidate" and last.responder and not note.strip():
            raise ProtocolError(
                "The last dose was judged effective; say in the note why the patient is not a "
                "pump candidate."
            )
        snap.trial.outcome = outcome
        snap.trial.outcome_note = note.strip()
        snap.trial.follow_up_on = follow_up_on
        signature_add(trial=snap.trial, attempt=None, kind="close", actor=actor)
        text = dict(procedure.OUTCOME_CHOICES)[outcome]
        if outcome == "pump_candidate":
            text += f"; suggested starting pump dose {last.pump_daily_dose_mcg} mcg/day"
        return f"Outcome: {text}."

    return trial_transition(trial_id=trial_id, action="close", actor=actor, effect=effect)


def trial_cancel(*, trial_id: int, actor, reason: str) -> Trial:
    if not reason.strip():
        raise ProtocolError("Give the reason for cancelling the trial.")

    def effect(snap: TrialSnapshot) -> str:
        snap.trial.cancel_reason = reason.strip()
        return "Trial cancelled."

    return trial_transition(
        trial_id=trial_id, action="cancel", actor=actor, reason=reason.strip(), effect=effect
    )


@transaction.atomic
def trial_update(*, trial_id: int, actor, data: dict[str, Any]) -> Trial:
    """Edit the referral, indication, goals or follow-up date of an open trial. A form opened
    before someone else saved these details is refused (data["version"], trials/concurrency.py)."""
    from trials.concurrency import instance_values, model_rows, refuse_if_stale

    require_role(actor, procedure.ACTION_ROLES["edit_trial"], "edit the trial")
    snap = lock_trial(trial_id)
    trial = snap.trial
    if not trial.is_open:
        raise ProtocolError("A closed trial cannot be changed.")
    editable = ("referred_on", "referred_by", "indication", "goals", "follow_up_on")
    fields = [f for f in editable if f in data]
    old = {f: getattr(trial, f) for f in fields}
    refuse_if_stale(
        given=data.get("version"),
        current=instance_values(trial, editable),
        rows=model_rows(Trial, fields, old, data),
        what=f"the details of trial #{trial.pk}",
        last_change=trial.audit.filter(action="change", object_type="Trial")
        .order_by("-pk")
        .first(),
    )
    for f in fields:
        setattr(trial, f, data[f])
    changed = {f: data[f] for f in fields if old[f] != data[f]}
    if not changed:
        return trial
    trial.save(update_fields=list(changed))
    audit_record(
        actor=actor,
        action="change",
        trial=trial,
        obj=trial,
        summary="Trial details changed: " + ", ".join(changed),
        old={f: old[f] for f in changed},
        new=changed,
    )
    return trial
