"""What each open trial waits for from one role: the "My tasks" home of nurses and neurologists.

Plain functions over an already-loaded TrialSnapshot (no queries here). What is due comes from
the protocol's own answers: the checklists and their roles (procedure.py), the observation
schedule (schedule.py), the moves' blockers and ways forward (services/phase.py). This module
only says, for one role, what is due, since when, how urgent, and which page does it.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from core import moments
from trials import procedure
from trials.models import DoseAttempt, SiteSettings, Trial
from trials.procedure import Phase
from trials.schedule import Slot, vitals_schedule
from trials.services.phase import discharge_criteria, ways_forward
from trials.services.snapshot import TrialSnapshot

# Urgency, most urgent first: a severe adverse event still unresolved (the patient needs someone
# now), a scheduled time that has passed, work that can be done now, a scheduled time to come.
SEVERE, OVERDUE, DUE, UPCOMING = 0, 1, 2, 3

# DOMAIN §1: the nurse records the vital signs. A neurologist may record a set too
# (ACTION_ROLES["record_vitals"]), but the schedule is not his list of tasks.
VITALS_ROLES = frozenset({procedure.NURSE})
# Moves that are not anybody's next task: an exception or the end of the trial by choice.
NOT_TASKS = ("cancel", "discharge_exception")


@dataclass(frozen=True)
class Task:
    trial: Trial
    what: str
    since: datetime  # when it became due (or, upcoming, when it will be)
    url: str
    urgency: int = DUE
    detail: str = ""

    @property
    def sort_key(self) -> tuple:
        return (self.urgency, self.since)

    @property
    def overdue(self) -> bool:
        return self.urgency == OVERDUE

    @property
    def upcoming(self) -> bool:
        return self.urgency == UPCOMING

    @property
    def since_label(self) -> str:
        """ "14:58" today, "2026-12-01 14:58" any other day (the clinic's time zone)."""
        local = moments.clinic_time(self.since)
        if local.date() == timezone.localdate():
            return f"{local:%H:%M}"
        return f"{local:%Y-%m-%d %H:%M}"


@dataclass
class TrialTasks:
    """One trial's row: its most urgent task for the role, then the others in order."""

    task: Task
    then: list[Task] = field(default_factory=list)

    @property
    def trial(self) -> Trial:
        return self.task.trial


def _url(name: str, trial: Trial, *args) -> str:
    return reverse(name, args=[trial.pk, *args])


def _latest(*moments: datetime | None) -> datetime:
    return max(m for m in moments if m is not None)


def _attempt_detail(attempt: DoseAttempt) -> str:
    return f"attempt {attempt.number}, {attempt.dose_mcg} mcg"


# --- Checklists and signatures -------------------------------------------------------------


def _ticks(snap: TrialSnapshot, key: str, role: str, since: datetime, urgency=DUE) -> list[Task]:
    """The required items of a checklist still open that this role may tick."""
    checklist = procedure.CHECKLISTS[key]
    trial = snap.trial
    attempt = snap.checklist_scope(key)
    detail = f"{checklist.title} checklist" + (f" · {_attempt_detail(attempt)}" if attempt else "")
    return [
        Task(
            trial,
            f"Tick: {item.label}",
            since,
            f"{trial.get_absolute_url()}#item-{key}-{item.key}",
            urgency,
            detail,
        )
        for item in snap.open_required(key)
        if role in item.roles
    ]


def _ticked_at(snap: TrialSnapshot, *keys: str) -> list[datetime]:
    return [e.at for key in keys for e in snap.entries_for(key, snap.checklist_scope(key)).values()]


def _signature(snap: TrialSnapshot, action: str, role: str, since: datetime) -> list[Task]:
    move = procedure.find_move(action, snap.trial.status)
    if move is None or role not in move.roles or action in NOT_TASKS:
        return []
    return [Task(snap.trial, move.label, since, _url(move.url_name, snap.trial))]


# --- The phases ----------------------------------------------------------------------------


def _preparation(snap: TrialSnapshot, role: str, ways: list[str], now) -> list[Task]:
    trial = snap.trial
    tasks = _ticks(snap, "preparation", role, trial.created_at)
    if "record_baseline" in ways and role in procedure.ACTION_ROLES["record_baseline"]:
        url = _url("trials:baseline", trial)
        tasks.append(Task(trial, "Baseline spasticity assessment", trial.created_at, url))
    if "sign_preparation" in ways:
        baseline = snap.baseline.assessed_at if snap.baseline else None
        since = _latest(trial.created_at, baseline, *_ticked_at(snap, "preparation"))
        tasks += _signature(snap, "sign_preparation", role, since)
    return tasks


def _injection(snap: TrialSnapshot, role: str, ways: list[str], now) -> list[Task]:
    trial, attempt = snap.trial, snap.attempt
    if attempt is None:
        return []
    # A later attempt is given at least 24 h after the last dose (attempt.not_before).
    opens = _latest(attempt.planned_at, attempt.not_before)
    urgency = UPCOMING if opens > now else DUE
    tasks = _ticks(snap, "day_of", role, opens, urgency)
    if "record_vitals" in ways and role in VITALS_ROLES:
        url = _url("trials:vitals", trial)
        detail = _attempt_detail(attempt)
        tasks.append(Task(trial, "Pre-dose (baseline) vital signs", opens, url, urgency, detail))
    tasks += _ticks(snap, "injection", role, opens, urgency)
    if "sign_injection" in ways:
        pre_dose = [v.recorded_at for v in snap.pre_dose_vitals(attempt)]
        since = _latest(opens, *pre_dose, *_ticked_at(snap, "day_of", "injection"))
        tasks += _signature(snap, "sign_injection", role, since)
    return tasks


def vitals_url(trial: Trial, slot: Slot) -> str:
    """The vital-signs form for this check of the schedule: it opens at the due time when a set
    measured then is not yet a late entry (views/vitals.py decides), else at now."""
    due = moments.clinic_time(slot.due_at).strftime("%Y-%m-%dT%H:%M")
    return f"{_url('trials:vitals', trial)}?at={due}"


def _vitals(snap: TrialSnapshot, attempt: DoseAttempt, now) -> list[Task]:
    """The next vital signs of the schedule: overdue once its time has passed."""
    if attempt.given_at is None:
        return []
    recorded = [v.recorded_at for v in snap.vitals_after_injection(attempt)]
    slot = vitals_schedule(attempt.given_at, snap.site.vitals_schedule, recorded, now).next_due
    if slot is None:
        return []
    url = vitals_url(snap.trial, slot)
    urgency = OVERDUE if slot.overdue else UPCOMING
    detail = _attempt_detail(attempt)
    return [Task(snap.trial, f"Vital signs, {slot.label}", slot.due_at, url, urgency, detail)]


def _assessments(snap: TrialSnapshot, attempt: DoseAttempt, now) -> list[Task]:
    """The post-dose spasticity assessments overdue now, and the next one to come."""
    plan = snap.assessment_plan(attempt, now)
    owed = [s for s in plan.slots if not (s.done or s.missed or s.not_owed)]
    slots = [s for s in owed if s.overdue] or owed[:1]
    url = _url("trials:assessment", snap.trial)
    return [
        Task(
            snap.trial,
            f"Spasticity assessment, {s.label}",
            s.due_at,
            url,
            OVERDUE if s.overdue else UPCOMING,
            _attempt_detail(attempt),
        )
        for s in slots
    ]


def _severe_events(snap: TrialSnapshot, role: str) -> list[Task]:
    """A severe or life-threatening adverse event not resolved: discharge waits for it."""
    if role not in procedure.ACTION_ROLES["record_adverse_event"]:
        return []
    trial = snap.trial
    return [
        Task(
            trial,
            f"Resolve the {event.get_severity_display().lower()} adverse event: {event}",
            event.onset_at,
            _url("trials:adverse_event_resolve", trial, event.pk),
            SEVERE,
        )
        for event in snap.unresolved_severe()
    ]


def _discharge(snap: TrialSnapshot, role: str, ways: list[str], attempt, now) -> list[Task]:
    """Once the criteria are met (DOMAIN §3), the discharge checklist and its signature."""
    if discharge_criteria(snap):
        return []
    required = set(snap.site.discharge_assessments)
    scored = [a.assessed_at for a in snap.post_dose(attempt) if a.slot_minutes in required]
    since = _latest(attempt.given_at, *scored)
    tasks = _ticks(snap, "observation", role, since)
    if "discharge" in ways:
        tasks += _signature(
            snap, "discharge", role, _latest(since, *_ticked_at(snap, "observation"))
        )
    return tasks


def _decision(snap: TrialSnapshot, role: str, ways: list[str]) -> list[Task]:
    attempt = snap.attempt
    if attempt is None or "decide" not in ways or role not in procedure.ACTION_ROLES["decide"]:
        return []
    since = _latest(*(a.assessed_at for a in snap.post_dose(attempt)))
    what = f"Decide the response to attempt {attempt.number} ({attempt.dose_mcg} mcg)"
    return [Task(snap.trial, what, since, _url("trials:decide", snap.trial))]


def _observation(snap: TrialSnapshot, role: str, ways: list[str], now) -> list[Task]:
    attempt = snap.attempt
    if attempt is None or not attempt.is_given:
        return []
    tasks = []
    if role in VITALS_ROLES:
        tasks += _vitals(snap, attempt, now)
    if role in procedure.ACTION_ROLES["record_assessment"] and not attempt.is_decided:
        tasks += _assessments(snap, attempt, now)
    tasks += _severe_events(snap, role)
    tasks += _decision(snap, role, ways)
    return tasks + _discharge(snap, role, ways, attempt, now)


def _follow_up(snap: TrialSnapshot, role: str, ways: list[str], now) -> list[Task]:
    trial, attempt = snap.trial, snap.attempt
    if attempt is None:
        return []
    since = attempt.discharged_at or attempt.given_at or attempt.planned_at
    tasks = _severe_events(snap, role)
    late_scores = (
        not attempt.is_decided
        and not snap.post_dose(attempt)
        and role in procedure.ACTION_ROLES["record_assessment"]
    )
    if late_scores:
        what = f"Post-dose spasticity scores of attempt {attempt.number} (late entry)"
        tasks.append(Task(trial, what, since, _url("trials:assessment", trial)))
    tasks += _decision(snap, role, ways)
    tasks += _ticks(snap, "follow_up", role, since)
    if attempt.is_decided:
        decided = _latest(since, attempt.decided_at)
        moves = [a for a in ("plan_next_attempt", "close") if a in ways]
        tasks += [t for a in moves for t in _signature(snap, a, role, decided)]
    return tasks


PHASES = {
    Phase.PREPARATION: _preparation,
    Phase.INJECTION: _injection,
    Phase.OBSERVATION: _observation,
    Phase.FOLLOW_UP: _follow_up,
}


def trial_tasks(snap: TrialSnapshot, role: str, now: datetime) -> list[Task]:
    """This role's tasks in one open trial, the most urgent first (ties in protocol order).
    A closed trial has none."""
    derive = PHASES.get(snap.trial.status)
    if derive is None:
        return []
    tasks = derive(snap, role, ways_forward(snap), now)
    return sorted(tasks, key=lambda t: t.sort_key)


def tasks_by_trial(trials, site: SiteSettings, role: str, now: datetime) -> list[TrialTasks]:
    """One row per trial that waits for this role, the most urgent first: overdue, then due
    now, then upcoming; within each, the longest waiting (or soonest due) first."""
    rows = []
    for trial in trials:
        tasks = trial_tasks(TrialSnapshot(trial, site), role, now)
        if tasks:
            rows.append(TrialTasks(tasks[0], tasks[1:]))
    return sorted(rows, key=lambda r: (*r.task.sort_key, r.trial.pk))
