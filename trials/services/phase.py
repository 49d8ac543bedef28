"""The one place that changes a trial's phase.

`trial_transition` locks the trial row, checks that the move is declared in procedure.MOVES for
the current phase, that the actor's role may make it and that nothing blocks it, runs the move's
own writes, saves the new phase and appends the audit row, all in one transaction.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from core.errors import ProtocolError
from trials import procedure
from trials.models import Trial
from trials.procedure import Phase

from .snapshot import TrialSnapshot
from .timing import clinic_day
from .trial_figures import trial_figures_refresh


def _missing(snap: TrialSnapshot, checklist_key: str) -> list[str]:
    title = procedure.CHECKLISTS[checklist_key].title
    return [
        f"{title}: “{item.label}” is not ticked yet." for item in snap.open_required(checklist_key)
    ]


def _block_sign_preparation(snap: TrialSnapshot) -> list[str]:
    problems = _missing(snap, "preparation")
    if snap.baseline is None:
        problems.append("The baseline spasticity assessment is not recorded yet.")
    patient = snap.trial.patient
    age = patient.age_on(clinic_day(snap.site.time_zone))
    if age < procedure.MIN_AGE_YEARS:
        problems.append(
            f"The patient is {age} years old (born {patient.date_of_birth:%Y-%m-%d}); the label "
            f"requires age {procedure.MIN_AGE_YEARS} or older. The trial cannot go ahead: "
            "cancel it with the reason."
        )
    return problems


def _block_sign_injection(snap: TrialSnapshot) -> list[str]:
    problems = _missing(snap, "day_of") + _missing(snap, "injection")
    if snap.signature("preparation") is None:
        problems.append("Preparation is not signed.")
    if snap.attempt is not None and not snap.pre_dose_vitals(snap.attempt):
        problems.append("The pre-dose (baseline) vital signs of this attempt are not recorded yet.")
    return problems


def _block_given(snap: TrialSnapshot) -> list[str]:
    attempt = snap.attempt
    if attempt is None or not attempt.is_given:
        return ["The dose has not been given."]
    return []


def discharge_criteria(snap: TrialSnapshot) -> list[str]:
    """DOMAIN §3: the required post-dose assessments exist and every severe or life-threatening
    adverse event is resolved. Leaving earlier is a physician's signed exception."""
    attempt = snap.current_attempt
    problems = []
    for slot in snap.missing_for_discharge(attempt):
        state = "was missed" if slot.missed else "is not recorded yet"
        problems.append(f"The {slot.label} spasticity assessment {state}.")
    for event in snap.unresolved_severe():
        problems.append(
            f"The {event.get_severity_display().lower()} adverse event “{event.get_kind_display()}"
            "” is not resolved."
        )
    return problems


def _block_discharge(snap: TrialSnapshot) -> list[str]:
    problems = _block_given(snap)
    if problems:
        return problems
    problems = _missing(snap, "observation")
    if not snap.vitals_after_injection(snap.current_attempt):
        problems.append("No vital signs have been recorded since the injection.")
    return problems + discharge_criteria(snap)


def decision_blockers(snap: TrialSnapshot) -> list[str]:
    """What stands between the current attempt and its decision (empty when it can be made)."""
    attempt = snap.attempt
    if snap.trial.status not in (Phase.OBSERVATION, Phase.FOLLOW_UP) or attempt is None:
        return ["A response can only be decided after the dose has been given."]
    if attempt.is_decided:
        return [f"The response to attempt {attempt.number} is already decided."]
    if not snap.post_dose(attempt):
        return [
            f"No post-dose spasticity assessment of attempt {attempt.number} is recorded: record "
            "one (after discharge it is a late entry) to decide the response."
        ]
    return []


def _undecided(snap: TrialSnapshot) -> list[str]:
    attempt = snap.attempt
    if attempt is None or not attempt.is_decided:
        return [
            f"Decide the response to attempt {attempt.number} first."
            if attempt
            else "The response to the last dose has not been decided."
        ] + decision_blockers(snap)
    return []


def _block_plan_next_attempt(snap: TrialSnapshot) -> list[str]:
    problems = _undecided(snap)
    if problems:
        return problems
    attempt = snap.current_attempt
    if attempt.responder:
        problems.append("The last dose was judged effective; close the trial instead.")
    if len(snap.attempts) >= procedure.MAX_ATTEMPTS:
        problems.append(f"All {procedure.MAX_ATTEMPTS} attempts have been used.")
    if attempt.dose_mcg >= max(procedure.DOSE_LADDER_MCG):
        problems.append(
            f"{attempt.dose_mcg} mcg is the protocol's highest dose; a patient who does not "
            "respond to it is not a pump candidate."
        )
    return problems


def _block_close(snap: TrialSnapshot) -> list[str]:
    return _undecided(snap) or _missing(snap, "follow_up")


BLOCKERS: dict[str, Callable[[TrialSnapshot], list[str]]] = {
    "sign_preparation": _block_sign_preparation,
    "sign_injection": _block_sign_injection,
    "discharge": _block_discharge,
    "discharge_exception": _block_given,
    "plan_next_attempt": _block_plan_next_attempt,
    "close": _block_close,
    "cancel": lambda snap: [],
}


def blockers(snap: TrialSnapshot, action: str) -> list[str]:
    """What stands between the trial and this move now, in sentences (empty when nothing)."""
    move = procedure.find_move(action, snap.trial.status)
    if move is None:
        return [f"This cannot be done while the trial is in {snap.trial.phase_label.lower()}."]
    return BLOCKERS[action](snap)


def ways_forward(snap: TrialSnapshot) -> list[str]:
    """The actions that can move this open trial on now, other than cancelling it: unblocked
    moves, the decision, and the records or ticks that unblock a move. Never empty for an open
    trial, unless the protocol itself says it cannot go on (the patient is too young)."""
    ways = [m.action for m, problems in next_moves(snap) if not problems and m.action != "cancel"]
    status = snap.trial.status
    for key in procedure.PHASE_CHECKLISTS.get(status, ()):
        if snap.open_required(key):
            ways.append(f"tick:{key}")
    if status == Phase.PREPARATION and snap.baseline is None:
        ways.append("record_baseline")
    if status == Phase.INJECTION and snap.attempt and not snap.pre_dose_vitals(snap.attempt):
        ways.append("record_vitals")
    if status in (Phase.OBSERVATION, Phase.FOLLOW_UP) and not snap.current_attempt.is_decided:
        ways.append("record_assessment")
        if not decision_blockers(snap):
            ways.append("decide")
    return ways


def next_moves(snap: TrialSnapshot) -> list[tuple[procedure.Move, list[str]]]:
    """The moves out of the current phase with what blocks each (for the trial page)."""
    return [
        (move, BLOCKERS[move.action](snap))
        for move in procedure.MOVES
        if move.source == snap.trial.status
    ]


def lock_trial(trial_id: int, *, with_timeline: bool = False) -> TrialSnapshot:
    """Lock the trial row for this transaction and read it afresh (the lock and the trial's row
    in one query: a row read with its lock is its latest version); `with_timeline`: its latest
    changes too, for a reply that shows them (TrialSnapshot.timeline)."""
    return TrialSnapshot.load(trial_id, lock=True, with_timeline=with_timeline)


@transaction.atomic
def trial_transition(
    *,
    trial_id: int,
    action: str,
    actor: User,
    reason: str = "",
    effect: Callable[[TrialSnapshot], str] | None = None,
) -> Trial:
    """Make one declared move. `effect` does the move's own writes and returns a summary."""
    snap = lock_trial(trial_id)
    trial = snap.trial
    move = procedure.find_move(action, trial.status)
    if move is None:
        raise ProtocolError(
            f"This cannot be done while the trial is in {trial.phase_label.lower()}; "
            "someone may have moved it on already. The page now shows where it stands."
        )
    if actor.role not in move.roles:
        roles = " or ".join(sorted(move.roles))
        raise PermissionDenied(f"Only a {roles} may {move.label.lower()}.")
    problems = BLOCKERS[action](snap)
    if problems:
        raise ProtocolError(*problems)
    summary = effect(snap) if effect else move.label
    old = trial.status
    trial.status = move.target
    fields = ["status"]
    if move.target in Phase.CLOSED:
        trial.closed_at = timezone.now()
        fields += ["closed_at", "outcome", "outcome_note", "cancel_reason", "follow_up_on"]
    trial.save(update_fields=fields)
    trial_figures_refresh(trial_id=trial_id)  # the move's own writes (a dose given) included
    audit_record(
        actor=actor,
        action="transition",
        trial=trial,
        obj=trial,
        summary=f"{move.label}: {Phase.LABELS[old]} → {Phase.LABELS[move.target]}. {summary}",
        old={"status": old},
        new={"status": move.target},
        reason=reason,
    )
    return trial
