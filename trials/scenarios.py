"""Take a trial through the protocol with the real service functions.

Used by `seed_demo` to build the demo site and by the tests to reach any phase. Every step goes
through the same functions the pages call, so a scenario obeys every rule a user does.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from trials import procedure
from trials.models import Trial
from trials.services import checklist, records, workflow

LOWER = procedure.LOWER_LIMB_GROUPS


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
    """Preparation ticked, baseline scored and signed: the trial waits for its first injection."""
    tick_all(trial.pk, "preparation", team)
    records.assessment_record(
        trial_id=trial.pk,
        actor=team.neurologist,
        grades=grades(baseline),
        penn_frequency=3,
        penn_severity=2,
        assessed_at=at or timezone.now(),
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


def inject(trial: Trial, team: Team, *, given_at: datetime | None = None) -> Trial:
    """Day-of and injection checklists ticked; the planned dose given and signed."""
    tick_all(trial.pk, "day_of", team)
    tick_all(trial.pk, "injection", team)
    trial.refresh_from_db()
    attempt = trial.attempts.order_by("-number").first()
    given_at = given_at or timezone.now()
    data = injection_data(team, given_at=given_at)
    return workflow.injection_sign(
        trial_id=trial.pk,
        actor=team.neurologist,
        password=team.password,
        dose_mcg=attempt.dose_mcg,
        data=data,
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
    records.vitals_record(trial_id=trial.pk, actor=team.nurse, data=data)


def score(trial: Trial, team: Team, *, minutes_after: int, grade: str, given_at: datetime) -> None:
    records.assessment_record(
        trial_id=trial.pk,
        actor=team.neurologist,
        grades=grades(grade),
        penn_frequency=2 if grade not in ("0", "1") else 1,
        penn_severity=1,
        assessed_at=min(given_at + timedelta(minutes=minutes_after), timezone.now()),
        minutes_after=minutes_after,
    )


def observe(trial: Trial, team: Team, *, post_grade: str, given_at: datetime) -> Trial:
    """Vitals on schedule so far and the 2 h / 4 h scores."""
    for minutes in (15, 30, 45, 60, 90, 120, 180, 240):
        at = given_at + timedelta(minutes=minutes)
        if at <= timezone.now():
            vitals(trial, team, at=at)
    for minutes in (120, 240):
        if given_at + timedelta(minutes=minutes) <= timezone.now():
            score(trial, team, minutes_after=minutes, grade=post_grade, given_at=given_at)
    return trial


def discharge(trial: Trial, team: Team) -> Trial:
    tick_all(trial.pk, "observation", team)
    return workflow.attempt_discharge(trial_id=trial.pk, actor=team.nurse, password=team.password)


def decide(trial: Trial, team: Team, *, responder: bool, reason: str = "") -> None:
    workflow.attempt_decide(
        trial_id=trial.pk,
        actor=team.neurologist,
        password=team.password,
        responder=responder,
        reason=reason,
    )


def full_attempt(trial: Trial, team: Team, *, given_at: datetime, post_grade: str) -> Trial:
    """Inject, observe to 4 h, discharge: the trial is in follow-up, response undecided."""
    inject(trial, team, given_at=given_at)
    observe(trial, team, post_grade=post_grade, given_at=given_at)
    return discharge(trial, team)


def close_as_candidate(trial: Trial, team: Team, *, days_ago: int = 3) -> Trial:
    """50 mcg judged non-responsive, 75 mcg responsive, closed as pump candidate."""
    start = timezone.now() - timedelta(days=days_ago)
    prepare(trial, team, at=start - timedelta(hours=2))
    full_attempt(trial, team, given_at=start, post_grade="3")
    decide(trial, team, responder=False)
    workflow.attempt_plan_next(trial_id=trial.pk, actor=team.neurologist, dose_mcg=75)
    full_attempt(trial, team, given_at=start + timedelta(days=1, hours=1), post_grade="1+")
    decide(trial, team, responder=True)
    return workflow.trial_close(
        trial_id=trial.pk,
        actor=team.neurologist,
        password=team.password,
        outcome="pump_candidate",
        follow_up_on=(timezone.now() + timedelta(days=14)).date(),
    )
