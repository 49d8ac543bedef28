"""Builders for test data. Trials are built only through the service functions (via scenarios).

`build_trial(state, team, patient)` reaches each named state:

- the phases: "preparation", "injection" (prepared and signed, attempt 1 planned at 50 mcg),
  "observation" (50 mcg given ~3 h ago, vital signs so far, no spasticity score yet),
  "follow_up" (discharged two days ago, response undecided), "completed" (pump candidate),
  "cancelled";
- "follow_up_decided_nonresponder": follow-up, 50 mcg judged not effective;
- "<phase>_ready": the phase with everything ticked and recorded that its moves out require.
"""

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from patients.models import Diagnosis, Patient, Sex
from trials import procedure, scenarios
from trials.models import SiteSettings, Trial
from trials.services import records, workflow
from trials.services.record_cache import CACHE as RECORDS
from trials.services.timing import clinic_day

PASSWORD = "correct-horse-battery-9"
BASELINE_GRADE = "3"  # scenarios.prepare scores every lower-limb group 3 at baseline

_mrn = itertools.count(1001)


def make_patient(**overrides) -> Patient:
    patient = unsaved_patient(**overrides)
    patient.save()
    return patient


def unsaved_patient(**overrides) -> Patient:
    """A patient with the defaults below, not saved yet (for bulk_create)."""
    n = next(_mrn)
    fields = {
        "mrn": f"MRN{n}",
        "first_name": "Patient",
        "last_name": f"Number{n}",
        "date_of_birth": date(1980, 5, 17),
        "sex": Sex.FEMALE,
        "weight_kg": Decimal("68.0"),
        "diagnosis": Diagnosis.MULTIPLE_SCLEROSIS,
    } | overrides
    return Patient(**fields)


def clinic_today() -> date:
    """Today on the clinic's calendar, as the forms and services judge a day: every evening in
    New York it is already tomorrow in UTC, the zone the tests run in outside a request."""
    return clinic_day(SiteSettings.current().time_zone)


def create_trial(patient: Patient, team: scenarios.Team) -> Trial:
    return workflow.trial_create(
        patient=patient,
        actor=team.neurologist,
        referred_on=clinic_today(),
    )


def record_baseline(trial: Trial, team: scenarios.Team, *, grade: str = BASELINE_GRADE) -> None:
    records.assessment_record(
        trial_id=trial.pk,
        actor=team.neurologist,
        grades=scenarios.grades(grade),
        penn_frequency=3,
        penn_severity=2,
        assessed_at=timezone.now(),
        baseline=True,
    )


def prepare(
    trial: Trial, team: scenarios.Team, *, first_dose_mcg: int = 50, at: datetime | None = None,
    reason: str = "",
) -> Trial:  # fmt: skip
    """Like scenarios.prepare, with a choice of first dose (25 mcg for small children)."""
    with scenarios.clock(at):
        scenarios.tick_all(trial.pk, "preparation", team)
        record_baseline(trial, team)
        return workflow.preparation_sign(
            trial_id=trial.pk,
            actor=team.neurologist,
            password=PASSWORD,
            first_dose_mcg=first_dose_mcg,
            reason=reason,
        )


injection_data = scenarios.injection_data


def tick_day_of_and_injection(trial: Trial, team: scenarios.Team) -> None:
    scenarios.ready_for_injection(trial, team)


def sign_injection(trial: Trial, team: scenarios.Team, *, dose_mcg: int, given_at: datetime):
    return workflow.injection_sign(
        trial_id=trial.pk,
        actor=team.neurologist,
        password=PASSWORD,
        dose_mcg=dose_mcg,
        data=injection_data(team, given_at=given_at),
    )


def attempt_series(trial: Trial, team: scenarios.Team, doses: list[int]) -> Trial:
    """Prepare, then give each dose a day apart, each judged not effective (baseline 3, post 3).
    A dose that leaves the ladder is planned with a reason."""
    start = timezone.now() - timedelta(days=len(doses))
    prepare(trial, team, first_dose_mcg=doses[0], at=start - timedelta(hours=2), reason="Test.")
    for i, dose in enumerate(doses):
        given_at = start + timedelta(days=i, hours=i)
        if i:
            with scenarios.clock(given_at - timedelta(hours=1)):
                workflow.attempt_plan_next(
                    trial_id=trial.pk, actor=team.neurologist, dose_mcg=dose, reason="Test."
                )
        scenarios.full_attempt(trial, team, given_at=given_at, post_grade=BASELINE_GRADE)
        scenarios.decide(
            trial, team, responder=False, at=given_at + timedelta(minutes=OBSERVED + 5)
        )
    return trial


OBSERVED = scenarios.OBSERVED_MINUTES


def _observation(trial, team):
    now = timezone.now()
    scenarios.prepare(trial, team, at=now - timedelta(hours=5))
    given_at = now - timedelta(hours=3)
    scenarios.inject(trial, team, given_at=given_at)
    for minutes in (15, 30, 45, 60):
        scenarios.vitals(trial, team, at=given_at + timedelta(minutes=minutes))
    return trial


def _follow_up(trial, team):
    given_at = timezone.now() - timedelta(days=2)
    scenarios.prepare(trial, team, at=given_at - timedelta(hours=2))
    return scenarios.full_attempt(trial, team, given_at=given_at, post_grade=BASELINE_GRADE)


def _decided(trial, team):
    _follow_up(trial, team)
    given_at = trial.attempts.get(number=1).given_at
    scenarios.decide(trial, team, responder=False, at=given_at + timedelta(minutes=OBSERVED + 5))
    return trial


def _preparation_ready(trial, team):
    scenarios.tick_all(trial.pk, "preparation", team)
    record_baseline(trial, team)
    return trial


def _follow_up_ready(trial, team):
    _decided(trial, team)
    scenarios.tick_all(trial.pk, "follow_up", team)
    return trial


def _cancel(trial, team):
    return workflow.trial_cancel(
        trial_id=trial.pk, actor=team.neurologist, reason="Patient moved to another city."
    )


def _observation_ready(trial, team):
    """Observation past the 4 h score, the discharge checklist ticked: every move out is free."""
    now = timezone.now()
    given_at = now - timedelta(minutes=OBSERVED)
    scenarios.prepare(trial, team, at=given_at - timedelta(hours=2))
    scenarios.inject(trial, team, given_at=given_at)
    scenarios.observe(trial, team, post_grade=BASELINE_GRADE, given_at=given_at)
    scenarios.tick_all(trial.pk, "observation", team)
    return trial


STEPS: dict[str, Callable] = {
    "preparation": lambda trial, team: trial,
    "preparation_ready": _preparation_ready,
    "injection": lambda trial, team: scenarios.prepare(trial, team),
    "injection_ready": lambda trial, team: tick_day_of_and_injection(
        scenarios.prepare(trial, team, at=timezone.now() - timedelta(hours=1)), team
    ),
    "observation": _observation,
    "observation_ready": _observation_ready,
    "follow_up": _follow_up,
    "follow_up_decided_nonresponder": _decided,
    "follow_up_ready": _follow_up_ready,
    "completed": lambda trial, team: scenarios.close_as_candidate(trial, team),
    "cancelled": _cancel,
}
STATES = tuple(STEPS)

# For each phase, a state from which every move out of that phase is unblocked.
READY = {
    procedure.Phase.PREPARATION: "preparation_ready",
    procedure.Phase.INJECTION: "injection_ready",
    procedure.Phase.OBSERVATION: "observation_ready",
    procedure.Phase.FOLLOW_UP: "follow_up_ready",
    procedure.Phase.COMPLETED: "completed",
    procedure.Phase.CANCELLED: "cancelled",
}


@contextmanager
def each_step_committed() -> Iterator[None]:
    """While data is built: what a service asks to do once its transaction commits
    (transaction.on_commit) is done when it asks, as each step of a user's commits before the
    next.

    A test's data is built inside the test's (or the module's) transaction, which never commits,
    so those callbacks never ran: the record a tick keeps for the next read
    (record_cache.keep_after_write) was never kept, and every one of the dozens of ticks that
    build a trial read the whole record cold (a quarter to a half of a build's CPU). Now the
    next tick takes the copy, as in production. A copy's key is the revision its write gave the
    trial, a random token, so a copy kept by a write that is rolled back later is never read.
    The copies kept while building are dropped when the build ends: the test meets the cache as
    before."""
    records = caches[RECORDS]
    kept: list[str] = []
    store = records.set

    def keep(key, value, *args, **kwargs):
        kept.append(key)
        return store(key, value, *args, **kwargs)

    def run_now(func, using=None, robust=False):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(records, "set", keep)
            func()

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(transaction, "on_commit", run_now)
            yield
    finally:
        records.delete_many(kept)


def build_trial(state: str, team: scenarios.Team, patient: Patient) -> Trial:
    if state not in STEPS:
        raise ValueError(f"Unknown trial state {state!r}; choose from {', '.join(STATES)}.")
    with each_step_committed():
        trial = create_trial(patient, team)
        STEPS[state](trial, team)
    return Trial.objects.get(pk=trial.pk)
