"""Take a trial through the protocol with the real service functions.

Used by `seed_demo` to build the demo site and by the tests to reach any phase. Every step goes
through the same functions the pages call, so a scenario obeys every rule a user does. A step
that happened in the past is entered *at* that time: the clock travels there (time-machine), so
its entry time is its clinical time and nothing is backdated or marked late.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from trials import procedure
from trials.models import Trial
from trials.services import checklist, records, workflow

LOWER = list(procedure.LOWER_LIMB_GROUPS)


@contextmanager
def clock(when: datetime | None) -> Iterator[datetime]:
    """Run the enclosed steps with the server's clock standing at `when` (now when None)."""
    if when is None:
        yield timezone.now()
        return
    import time_machine  # a development dependency: demo data and tests only

    with time_machine.travel(when, tick=False):
        yield when


@dataclass
class Team:
    nurse: object
    neurologist: object
    password: str


def grades(value: str, groups=None) -> dict[tuple[str, str], str]:
    """The same grade for both sides of each lower-limb group (or the groups given)."""
    return {(g, side): value for g in (groups or LOWER) for side in ("left", "right")}


def tick_all(trial_id: int, checklist_key: str, team: Team) -> None:
    for item in procedure.CHECKLISTS[checklist_key].items:
        actor = team.neurologist if procedure.NEUROLOGIST in item.roles else team.nurse
        if item.required:
            checklist.checklist_tick(
                trial_id=trial_id, checklist_key=checklist_key, item_key=item.key, actor=actor
            )
        else:
            checklist.checklist_tick(
                trial_id=trial_id,
                checklist_key=checklist_key,
                item_key=item.key,
                actor=actor,
                not_applicable=True,
                na_reason="Not ordered for this patient.",
            )


def prepare(trial: Trial, team: Team, *, baseline: str = "3", at: datetime | None = None) -> Trial:
    """Preparation ticked, baseline scored and signed (at `at`, default now): the trial waits
    for its first injection."""
    with clock(at) as now:
        tick_all(trial.pk, "preparation", team)
        records.assessment_record(
            trial_id=trial.pk,
            actor=team.neurologist,
            grades=grades(baseline),
            penn_frequency=3,
            penn_severity=2,
            assessed_at=now,
            baseline=True,
        )
        return workflow.preparation_sign(
            trial_id=trial.pk, actor=team.neurologist, password=team.password, first_dose_mcg=50
        )


def injection_data(team: Team, *, given_at: datetime, **overrides) -> dict:
    """A complete, valid injection record given at `given_at`."""
    return {
        "spinal_level": "L3-L4",
        "needle_type": "pencil_point",
        "needle_gauge": 22,
        "clear_csf": True,
        "passes": 1,
        "image_guidance": False,
        "radiologist": "",
        "product": "lioresal",
        "concentration_mcg_ml": 50,
        "lot": "LOT-2291",
        "expiry": (given_at + timedelta(days=365)).date(),
        "given_at": given_at,
        "duration_seconds": 90,
        "discarded_mcg": 0,
        "assisting_nurse": team.nurse,
    } | overrides


def ready_for_injection(trial: Trial, team: Team, *, at: datetime | None = None) -> None:
    """The day-of checks, the pre-dose vital signs and the injection assist ticks, at `at`."""
    with clock(at) as now:
        tick_all(trial.pk, "day_of", team)
        vitals(trial, team, at=now)
        tick_all(trial.pk, "injection", team)


def inject(trial: Trial, team: Team, *, given_at: datetime | None = None) -> Trial:
    """Ready for the injection 20 minutes before, then the planned dose given and signed."""
    given_at = given_at or timezone.now()
    ready_for_injection(trial, team, at=given_at - timedelta(minutes=20))
    attempt = trial.attempts.order_by("-number").first()
    with clock(given_at + timedelta(minutes=3)):
        return workflow.injection_sign(
            trial_id=trial.pk,
            actor=team.neurologist,
            password=team.password,
            dose_mcg=attempt.dose_mcg,
            data=injection_data(team, given_at=given_at),
        )


def vitals(trial: Trial, team: Team, *, at: datetime, **overrides) -> None:
    data = {
        "recorded_at": at,
        "heart_rate": 72,
        "systolic": 124,
        "diastolic": 78,
        "respiratory_rate": 14,
        "spo2": 98,
        "temperature_c": 36.8,
        "sedation": 0,
        "pain": 1,
        "headache": False,
        "note": "",
    } | overrides
    with clock(at):
        records.vitals_record(trial_id=trial.pk, actor=team.nurse, data=data)


def adverse_event(
    trial: Trial, team: Team, *, onset: datetime, severity: str = "mild", kind: str = "headache",
    **fields,
):  # fmt: skip
    """An adverse event charted by the nurse when it began (of the latest dose given)."""
    data = {"kind": kind, "severity": severity, "onset_at": onset, "action_taken": "",
            "resolution": "", "resolved_at": None} | fields  # fmt: skip
    with clock(onset):
        return records.adverse_event_record(trial_id=trial.pk, actor=team.nurse, data=data)


def pain_medication(trial: Trial, team: Team, *, at: datetime, drug: str = "Paracetamol"):
    data = {"drug": drug, "dose": "1 g", "route": "oral", "given_at": at}
    with clock(at):
        return records.pain_medication_record(trial_id=trial.pk, actor=team.nurse, data=data)


def score(trial: Trial, team: Team, *, minutes_after: int, grade: str, given_at: datetime) -> None:
    """A post-dose assessment done `minutes_after` the dose, entered at that time."""
    at = given_at + timedelta(minutes=minutes_after)
    with clock(at):
        records.assessment_record(
            trial_id=trial.pk,
            actor=team.neurologist,
            grades=grades(grade),
            penn_frequency=2 if grade not in ("0", "1") else 1,
            penn_severity=1,
            assessed_at=at,
        )


def observe(trial: Trial, team: Team, *, post_grade: str, given_at: datetime) -> Trial:
    """Vitals on schedule so far and the 2 h / 4 h scores (those whose time has come)."""
    now = timezone.now()
    for minutes in (15, 30, 45, 60, 90, 120, 180, 240):
        at = given_at + timedelta(minutes=minutes)
        if at <= now:
            vitals(trial, team, at=at)
    for minutes in (120, 240):
        if given_at + timedelta(minutes=minutes) <= now:
            score(trial, team, minutes_after=minutes, grade=post_grade, given_at=given_at)
    return trial


def discharge(trial: Trial, team: Team, *, at: datetime | None = None) -> Trial:
    with clock(at):
        tick_all(trial.pk, "observation", team)
        return workflow.attempt_discharge(
            trial_id=trial.pk, actor=team.nurse, password=team.password
        )


def decide(
    trial: Trial, team: Team, *, responder: bool, reason: str = "", at: datetime | None = None
) -> None:
    """The neurologist decides, marking each treatment goal met (responder) or not met."""
    trial.refresh_from_db(fields=["goals"])
    mark = "met" if responder else "not_met"
    with clock(at):
        workflow.attempt_decide(
            trial_id=trial.pk,
            actor=team.neurologist,
            password=team.password,
            responder=responder,
            reason=reason,
            goals=dict.fromkeys(trial.goal_list, mark),
        )


# A full observation: the 4 h score, then discharge a little after.
OBSERVED_MINUTES = 250


def full_attempt(trial: Trial, team: Team, *, given_at: datetime, post_grade: str) -> Trial:
    """Inject, observe to 4 h, discharge: the trial is in follow-up, response undecided."""
    inject(trial, team, given_at=given_at)
    end = given_at + timedelta(minutes=OBSERVED_MINUTES)
    with clock(end):
        observe(trial, team, post_grade=post_grade, given_at=given_at)
    return discharge(trial, team, at=end)


def plan_next(trial: Trial, team: Team, *, dose_mcg: int, at: datetime | None = None) -> Trial:
    with clock(at):
        return workflow.attempt_plan_next(
            trial_id=trial.pk, actor=team.neurologist, dose_mcg=dose_mcg
        )


def close(trial: Trial, team: Team, *, outcome: str, at: datetime | None = None, **kw) -> Trial:
    """The follow-up checks ticked and the trial closed with its outcome."""
    with clock(at) as now:
        tick_all(trial.pk, "follow_up", team)
        return workflow.trial_close(
            trial_id=trial.pk,
            actor=team.neurologist,
            password=team.password,
            outcome=outcome,
            follow_up_on=kw.get("follow_up_on", (now + timedelta(days=14)).date()),
            note=kw.get("note", ""),
        )


def close_as_candidate(trial: Trial, team: Team, *, days_ago: int = 3) -> Trial:
    """50 mcg judged non-responsive, 75 mcg responsive a day later, closed as pump candidate."""
    start = timezone.now() - timedelta(days=days_ago)
    prepare(trial, team, at=start - timedelta(hours=2))
    full_attempt(trial, team, given_at=start, post_grade="3")
    decide(trial, team, responder=False, at=start + timedelta(hours=5))
    plan_next(trial, team, dose_mcg=75, at=start + timedelta(hours=5, minutes=5))
    second = start + timedelta(days=1, hours=1)
    full_attempt(trial, team, given_at=second, post_grade="1+")
    decide(trial, team, responder=True, at=second + timedelta(hours=5))
    return close(trial, team, outcome="pump_candidate")
