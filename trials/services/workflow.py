"""The actions that move a trial through its phases. Each one goes through trial_transition."""

from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import require_role
from audit.services import audit_record
from core.errors import ProtocolError
from patients.models import Patient
from trials import procedure
from trials.models import DoseAttempt, Trial

from .injection import check_given_at, record_problems
from .phase import decision_blockers, discharge_criteria, lock_trial, trial_transition
from .records import entry_late_reason
from .signing import check_password, signature_add
from .snapshot import TrialSnapshot
from .timing import check_day, check_time, clinic_day, shown
from .trial_figures import trial_figures_refresh


def trial_create(
    *,
    patient: Patient,
    actor: User,
    referred_on: date,
    referred_by: str = "",
    indication: str = "",
    goals: str = "",
) -> Trial:
    require_role(actor, procedure.ACTION_ROLES["create_trial"], "start a trial")
    _check_days(patient, referred_on=referred_on)
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
            trial_figures_refresh(trial_id=trial.pk)
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


def _check_days(patient, *, referred_on, follow_up_on=None) -> None:
    """The referral: a real past day, not before the patient was born; the follow-up: not
    before the referral."""
    born = (patient.date_of_birth, "the patient's date of birth")
    check_day(referred_on, what="referral date", future=False, after=[born])
    check_day(follow_up_on, what="follow-up appointment", future=True, after=[
        (referred_on, "the referral"),
    ])  # fmt: skip


def _not_signed(snap: TrialSnapshot, attempt: DoseAttempt, kind: str) -> None:
    """A signed record is never written again; a correction is an amendment beside it."""
    if snap.signature(kind, attempt) is not None:
        raise ProtocolError(
            f"The {kind} of attempt {attempt.number} is already signed; correct it with an "
            "amendment, which keeps the original."
        )


def _first_dose_reason(snap: TrialSnapshot, dose_mcg: int, reason: str) -> str:
    """50 mcg; 25 mcg for a child without a reason, for an adult only with one (DOMAIN §2)."""
    if dose_mcg == procedure.FIRST_DOSE_MCG:
        return ""
    if dose_mcg != procedure.SMALL_FIRST_DOSE_MCG:
        raise ProtocolError(
            f"The first dose is {procedure.FIRST_DOSE_MCG} mcg "
            f"({procedure.SMALL_FIRST_DOSE_MCG} mcg for small children, or with a reason)."
        )
    age = snap.trial.patient.age_on(clinic_day(snap.site.time_zone))
    if age >= procedure.ADULT_AGE_YEARS and not reason.strip():
        raise ProtocolError(
            f"The patient is an adult ({age} years): a first dose of "
            f"{procedure.SMALL_FIRST_DOSE_MCG} mcg needs your reason (for example, the patient "
            "relies on their spasticity to walk)."
        )
    return reason.strip()


def preparation_sign(
    *, trial_id: int, actor: User, password: str, first_dose_mcg: int, reason: str = ""
) -> Trial:
    """The neurologist signs preparation complete and the first dose is planned."""
    check_password(actor, password)

    def effect(snap: TrialSnapshot) -> str:
        plan_reason = _first_dose_reason(snap, first_dose_mcg, reason)
        signature_add(trial=snap.trial, attempt=None, kind="preparation", actor=actor)
        attempt = DoseAttempt.objects.create(
            trial=snap.trial,
            number=1,
            dose_mcg=first_dose_mcg,
            planned_by=actor,
            plan_reason=plan_reason,
        )
        return f"Attempt 1 planned at {attempt.dose_mcg} mcg." + (
            f" Reason: {plan_reason}" if plan_reason else ""
        )

    return trial_transition(
        trial_id=trial_id, action="sign_preparation", actor=actor, effect=effect
    )


def _check_injection(snap: TrialSnapshot, data: dict[str, Any], dose_mcg: int) -> None:
    attempt = snap.current_attempt
    if dose_mcg != attempt.dose_mcg:
        raise ProtocolError(
            f"The planned dose for attempt {attempt.number} is {attempt.dose_mcg} mcg; "
            f"{dose_mcg} mcg was entered."
        )
    check_given_at(snap, attempt, data["given_at"])
    problems = record_problems(data, given_at=data["given_at"], clinic_zone=snap.site.time_zone)
    nurse = data.get("assisting_nurse")
    if nurse is None or nurse.role != procedure.NURSE:
        problems.append("Name the assisting nurse.")
    if problems:
        raise ProtocolError(*problems)


def injection_sign(
    *,
    trial_id: int,
    actor: User,
    password: str,
    dose_mcg: int,
    data: dict[str, Any],
    late: str = "",
) -> Trial:
    """The performing physician records and signs the injection; observation starts."""
    check_password(actor, password)
    fields = procedure.INJECTION_RECORD_FIELDS

    def effect(snap: TrialSnapshot) -> str:
        attempt = snap.current_attempt
        _not_signed(snap, attempt, "injection")
        _check_injection(snap, data, dose_mcg)
        reason = entry_late_reason(snap, data["given_at"], late, "dose")
        for name in fields:
            setattr(attempt, name, data.get(name))
        attempt.radiologist = attempt.radiologist or ""
        attempt.performed_by = actor
        attempt.given_entered_at = timezone.now()
        attempt.given_late_reason = reason
        attempt.save()
        signature_add(trial=snap.trial, attempt=attempt, kind="injection", actor=actor)
        audit_record(
            actor=actor,
            action="change",
            trial=snap.trial,
            obj=attempt,
            summary=f"Injection recorded: attempt {attempt.number}, {attempt.dose_mcg} mcg"
            + (" – late entry." if reason else "."),
            new={name: data.get(name) for name in fields},
            reason=reason,
        )
        return (
            f"Attempt {attempt.number}: {attempt.dose_mcg} mcg given at {shown(data['given_at'])}."
        )

    return trial_transition(trial_id=trial_id, action="sign_injection", actor=actor, effect=effect)


def _discharge_time(snap: TrialSnapshot, at: datetime, late: str) -> str:
    attempt = snap.current_attempt
    last = max((v.recorded_at for v in snap.vitals_after_injection(attempt)), default=None)
    check_time(
        at,
        what="discharge",
        after=[(attempt.given_at, "the dose was given"), (last, "the last vital signs")],
    )
    return entry_late_reason(snap, at, late, "discharge")


def _discharge(
    snap: TrialSnapshot, attempt: DoseAttempt, actor: User, *, at: datetime, late: str,
    note: str, exception: str = "",
) -> None:  # fmt: skip
    _not_signed(snap, attempt, "discharge")
    attempt.discharged_at = at
    attempt.discharged_by = actor
    attempt.discharge_entered_at = timezone.now()
    attempt.discharge_late_reason = _discharge_time(snap, at, late)
    attempt.discharge_exception = exception
    attempt.discharge_note = note.strip()
    attempt.save(
        update_fields=["discharged_at", "discharged_by", "discharge_entered_at",
                       "discharge_late_reason", "discharge_exception", "discharge_note"]
    )  # fmt: skip
    signature_add(
        trial=snap.trial,
        attempt=attempt,
        kind="discharge",
        actor=actor,
        meaning_of="discharge_exception" if exception else None,
        detail=exception,
    )


def attempt_discharge(
    *, trial_id: int, actor: User, password: str, note: str = "", at: datetime | None = None,
    late: str = "",
) -> Trial:  # fmt: skip
    """A nurse signs the discharge once the criteria are met and the instructions are given."""
    check_password(actor, password)
    at = at or timezone.now()

    def effect(snap: TrialSnapshot) -> str:
        attempt = snap.current_attempt
        _discharge(snap, attempt, actor, at=at, late=late, note=note)
        return f"Attempt {attempt.number}: discharged with recovery instructions."

    return trial_transition(trial_id=trial_id, action="discharge", actor=actor, effect=effect)


def attempt_discharge_exception(
    *, trial_id: int, actor: User, password: str, reason: str, note: str = "",
    at: datetime | None = None, late: str = "",
) -> Trial:  # fmt: skip
    """The physician discharges before the criteria are met (against advice, transfer): a signed
    exception with its reason, shown wherever the discharge is."""
    check_password(actor, password)
    reason = reason.strip()
    if not reason:
        raise ProtocolError(
            "Give the reason for discharging before the criteria are met (for example, "
            "against medical advice, or transfer)."
        )
    at = at or timezone.now()

    def effect(snap: TrialSnapshot) -> str:
        unmet = discharge_criteria(snap)
        attempt = snap.current_attempt
        _discharge(snap, attempt, actor, at=at, late=late, note=note, exception=reason)
        return (
            f"Attempt {attempt.number}: discharged as a signed exception ({reason}). "
            "Criteria not met: " + (" ".join(unmet) or "none")
        )

    return trial_transition(
        trial_id=trial_id, action="discharge_exception", actor=actor, reason=reason, effect=effect
    )


@transaction.atomic
def attempt_effect_worn_off(
    *, trial_id: int, actor: User, at: datetime, late: str = ""
) -> DoseAttempt:
    """The physician records that the dose's effect has worn off: later optional assessments
    (6 h, 8 h by default) are then not owed."""
    require_role(actor, procedure.ACTION_ROLES["record_effect_worn_off"], "record this")
    snap = lock_trial(trial_id)
    attempt = snap.current_attempt
    if snap.trial.status != procedure.Phase.OBSERVATION or not attempt.is_given:
        raise ProtocolError("The effect can be recorded as worn off during observation.")
    if attempt.effect_worn_off_at is not None:
        raise ProtocolError(
            f"The effect was already recorded as worn off at {shown(attempt.effect_worn_off_at)}."
        )
    check_time(at, what="end of the effect", after=[(attempt.given_at, "the dose was given")])
    reason = entry_late_reason(snap, at, late, "end of the effect")
    attempt.effect_worn_off_at = at
    attempt.effect_worn_off_entered_at = timezone.now()
    attempt.effect_worn_off_by = actor
    attempt.effect_worn_off_late_reason = reason
    attempt.save(
        update_fields=["effect_worn_off_at", "effect_worn_off_entered_at", "effect_worn_off_by",
                       "effect_worn_off_late_reason"]
    )  # fmt: skip
    audit_record(
        actor=actor,
        action="change",
        trial=snap.trial,
        obj=attempt,
        summary=f"Attempt {attempt.number}: effect worn off at {shown(at)}"
        + (" – late entry" if reason else ""),
        new={"effect_worn_off_at": at},
        reason=reason,
    )
    return attempt


def _goal_outcomes(snap: TrialSnapshot, goals: dict[str, str] | None) -> dict[str, str]:
    goals = goals or {}
    allowed = dict(procedure.GOAL_OUTCOMES)
    listed = snap.trial.goal_list
    unmarked = [g for g in listed if goals.get(g) not in allowed]
    if unmarked:
        raise ProtocolError(
            *(f"Mark the treatment goal “{g}” as met, partly met or not met." for g in unmarked)
        )
    return {g: goals[g] for g in listed}


def _check_decision(snap: TrialSnapshot, responder: bool, reason: str, at: datetime) -> None:
    problems = decision_blockers(snap)
    if problems:
        raise ProtocolError(*problems)
    attempt = snap.current_attempt
    last = max(a.assessed_at for a in snap.post_dose(attempt))
    check_time(at, what="decision", after=[(last, "the last post-dose assessment")])
    suggested = snap.suggestion(attempt).responder
    if suggested is not None and suggested != responder and not reason:
        raise ProtocolError("Give a reason for overriding the suggestion.")
    if suggested is None and not reason:
        raise ProtocolError("There is no computed suggestion; give the reason for your decision.")


@transaction.atomic
def attempt_decide(
    *, trial_id: int, actor: User, password: str, responder: bool, reason: str = "",
    goals: dict[str, str] | None = None, at: datetime | None = None, late: str = "",
) -> DoseAttempt:  # fmt: skip
    """The neurologist confirms or overrides the suggested response, with a reason to override,
    and marks each treatment goal met, partly met or not met."""
    require_role(actor, procedure.ACTION_ROLES["decide"], "decide the response")
    check_password(actor, password)
    at = at or timezone.now()
    reason = reason.strip()
    snap = lock_trial(trial_id)
    _check_decision(snap, responder, reason, at)
    attempt = snap.current_attempt
    attempt.goal_outcomes = _goal_outcomes(snap, goals)
    attempt.decision_late_reason = entry_late_reason(snap, at, late, "decision")
    suggested = snap.suggestion(attempt).responder
    attempt.responder = responder
    attempt.suggested_responder = suggested
    attempt.decision_reason = reason
    attempt.decided_by = actor
    attempt.decided_at = at
    attempt.decision_entered_at = timezone.now()
    attempt.save(
        update_fields=[
            "responder", "suggested_responder", "decision_reason", "decided_by", "decided_at",
            "decision_entered_at", "decision_late_reason", "goal_outcomes",
        ]
    )  # fmt: skip
    trial_figures_refresh(trial_id=trial_id)
    signature_add(trial=snap.trial, attempt=attempt, kind="decision", actor=actor)
    verdict = "responder" if responder else "not a responder"
    overridden = suggested is not None and suggested != responder
    audit_record(
        actor=actor,
        action="decide",
        trial=snap.trial,
        obj=attempt,
        summary=f"Attempt {attempt.number} ({attempt.dose_mcg} mcg): {verdict}"
        + (" (suggestion overridden)" if overridden else " (suggestion confirmed)")
        + (" – late entry" if attempt.decision_late_reason else ""),
        old={"responder": None},
        new={"responder": responder, "suggested": suggested, "goals": attempt.goal_outcomes},
        reason=reason,
    )
    return attempt


def _plan_reason(last: DoseAttempt, dose_mcg: int, reason: str) -> str:
    """The next rung by default; skipping or repeating a step needs the physician's reason."""
    if dose_mcg not in procedure.DOSE_LADDER_MCG:
        raise ProtocolError(f"{dose_mcg} mcg is not a dose of the protocol.")
    rung = procedure.next_rung(last.dose_mcg)
    if dose_mcg == rung:
        return ""
    if not reason.strip():
        change = "repeats" if dose_mcg == last.dose_mcg else "leaves"
        raise ProtocolError(
            f"{dose_mcg} mcg {change} the ladder: after {last.dose_mcg} mcg the next step is "
            f"{rung} mcg. Give your reason to plan {dose_mcg} mcg."
        )
    return reason.strip()


def attempt_plan_next(*, trial_id: int, actor: User, dose_mcg: int, reason: str = "") -> Trial:
    """Plan the next dose (the next rung unless a reason is given) at least 24 h after the last."""

    def effect(snap: TrialSnapshot) -> str:
        last = snap.current_attempt
        plan_reason = _plan_reason(last, dose_mcg, reason)
        not_before = last.next_allowed_at()  # the last dose was given: it has been decided
        attempt = DoseAttempt.objects.create(
            trial=snap.trial,
            number=last.number + 1,
            dose_mcg=dose_mcg,
            not_before=not_before,
            planned_by=actor,
            plan_reason=plan_reason,
        )
        return (
            f"Attempt {attempt.number} planned at {dose_mcg} mcg, "
            f"not before {shown(not_before)}." + (f" Reason: {plan_reason}" if plan_reason else "")
        )

    return trial_transition(
        trial_id=trial_id, action="plan_next_attempt", actor=actor, effect=effect
    )


def trial_close(
    *,
    trial_id: int,
    actor: User,
    password: str,
    outcome: str,
    follow_up_on: date | None = None,
    note: str = "",
) -> Trial:
    """Close the trial with its outcome; a pump candidate must have responded to the last dose."""
    check_password(actor, password)
    if outcome not in dict(procedure.OUTCOME_CHOICES):
        raise ProtocolError("Choose an outcome.")

    def effect(snap: TrialSnapshot) -> str:
        last = snap.current_attempt
        if outcome == "pump_candidate" and not last.responder:
            raise ProtocolError("Only a patient who responded to a dose can be a pump candidate.")
        if outcome == "not_candidate" and last.responder and not note.strip():
            raise ProtocolError(
                "The last dose was judged effective; say in the note why the patient is not a "
                "pump candidate."
            )
        snap.trial.outcome = outcome
        snap.trial.outcome_note = note.strip()
        check_day(follow_up_on, what="follow-up appointment", future=True, after=[
            (snap.trial.referred_on, "the referral"),
        ])  # fmt: skip
        snap.trial.follow_up_on = follow_up_on
        signature_add(trial=snap.trial, attempt=None, kind="close", actor=actor)
        text = dict(procedure.OUTCOME_CHOICES)[outcome]
        if outcome == "pump_candidate":
            text += f"; suggested starting pump dose {last.pump_daily_dose_mcg} mcg/day"
        return f"Outcome: {text}."

    return trial_transition(trial_id=trial_id, action="close", actor=actor, effect=effect)


def trial_cancel(*, trial_id: int, actor: User, reason: str) -> Trial:
    if not reason.strip():
        raise ProtocolError("Give the reason for cancelling the trial.")

    def effect(snap: TrialSnapshot) -> str:
        snap.trial.cancel_reason = reason.strip()
        return "Trial cancelled."

    return trial_transition(
        trial_id=trial_id, action="cancel", actor=actor, reason=reason.strip(), effect=effect
    )


@transaction.atomic
def trial_update(*, trial_id: int, actor: User, data: dict[str, Any]) -> Trial:
    """Edit the referral, indication, goals or follow-up date of an open trial. A form opened
    before someone else saved these details is refused (data["version"], core/concurrency.py)."""
    from core.concurrency import instance_values, model_rows, refuse_if_stale

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
    new = {f: data.get(f, getattr(trial, f)) for f in ("referred_on", "follow_up_on")}
    _check_days(trial.patient, **new)
    for f in fields:
        setattr(trial, f, data[f])
    changed = {f: data[f] for f in fields if old[f] != data[f]}
    if not changed:
        return trial
    trial.save(update_fields=list(changed))
    trial_figures_refresh(trial_id=trial_id)  # the referral date
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
