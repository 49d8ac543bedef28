"""Trials for the outcome review, built through the services (trials/scenarios.py).

`cohort` is a small known set whose every figure can be worked out by hand:

- pump: multiple sclerosis, adult, referred 30 days ago; 50 mcg not effective (MAS 3 → 3),
  75 mcg effective (3 → 1+), closed as pump candidate;
- non_responder: cerebral palsy, a child, referred 10 days ago; 50 mcg judged not effective,
  in follow-up, with a mild headache;
- preparing: spinal cord injury, adult, in preparation;
- cancelled: acquired brain injury, adult, cancelled in preparation.

The cohort is built once per test module (it takes seconds, and most tests only read it), as
other trials several tests of a module read are: see tests/module_data.py.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from patients.models import Diagnosis
from tests import factories
from tests.conftest import sign_in
from tests.module_data import admin_user, check_deferred, neurologist, nurse, rolled_back  # noqa: F401 - the module's people
from trials import scenarios
from trials.models import SiteSettings, Trial
from trials.services import records, workflow

T = TypeVar("T")


@pytest.fixture(autouse=True)
def _empty_cache():
    # The figures are cached by filter and newest audit row; test databases reuse row ids.
    cache.clear()
    yield
    cache.clear()


def born_years_ago(years: int, days: int = 0) -> date:
    today = factories.clinic_today()
    return today.replace(year=today.year - years) - timedelta(days=days)


def start(
    team, *, diagnosis=Diagnosis.MULTIPLE_SCLEROSIS, referred_days_ago=30, born=None, **kw
) -> Trial:
    patient = factories.make_patient(
        diagnosis=diagnosis, date_of_birth=born or date(1980, 5, 17), **kw
    )
    return workflow.trial_create(
        patient=patient,
        actor=team.neurologist,
        referred_on=factories.clinic_today() - timedelta(days=referred_days_ago),
    )


@pytest.fixture
def start_trial(team, db):
    """start_trial(diagnosis=..., referred_days_ago=..., born=...) -> a trial in preparation."""
    return lambda **kw: start(team, **kw)


def record_adverse_event(team, trial, *, kind="headache", severity="mild"):
    onset = trial.attempts.order_by("-number").first().given_at + timedelta(hours=1)
    with scenarios.clock(onset):  # recorded when it happened, not as a late entry
        return records.adverse_event_record(
            trial_id=trial.pk,
            actor=team.nurse,
            data={
                "kind": kind,
                "severity": severity,
                "onset_at": onset,
                "action_taken": "",
                "resolution": "",
                "resolved_at": None,
            },  # fmt: skip
        )


@pytest.fixture
def adverse_event(team):
    return lambda trial, **kw: record_adverse_event(team, trial, **kw)


@dataclass
class Cohort:
    pump: Trial
    non_responder: Trial
    preparing: Trial
    cancelled: Trial

    @property
    def all(self) -> list[Trial]:
        return [self.pump, self.non_responder, self.preparing, self.cancelled]


def build_cohort(team) -> list[int]:
    pump = scenarios.close_as_candidate(start(team, referred_days_ago=30), team, days_ago=3)

    child = start(
        team, diagnosis=Diagnosis.CEREBRAL_PALSY, referred_days_ago=10, born=born_years_ago(10)
    )
    factories.STEPS["follow_up_decided_nonresponder"](child, team)
    record_adverse_event(team, child)

    preparing = start(team, diagnosis=Diagnosis.SPINAL_CORD_INJURY, referred_days_ago=5)
    cancelled = workflow.trial_cancel(
        trial_id=start(team, diagnosis=Diagnosis.ACQUIRED_BRAIN_INJURY).pk,
        actor=team.neurologist,
        reason="Moved away.",
    )
    return [t.pk for t in (pump, child, preparing, cancelled)]


@pytest.fixture(scope="module")
def module_cohort(module_team, django_db_blocker) -> list[int]:
    """The cohort's trial ids, built once for the module (see the module's docstring)."""
    with django_db_blocker.unblock(), factories.each_step_committed():
        cohort = build_cohort(module_team)
        check_deferred()
        return cohort


@pytest.fixture
def cohort(db, module_cohort) -> Cohort:
    trials = Trial.objects.in_bulk(module_cohort)
    return Cohort(*(trials[pk] for pk in module_cohort))


def add_trials_for(team, n: int) -> None:
    for i in range(n):
        trial = start(team, referred_days_ago=20 + i, diagnosis=list(Diagnosis)[i % 5])
        if i % 3 == 0:
            factories.STEPS["follow_up_decided_nonresponder"](trial, team)
            record_adverse_event(team, trial, kind="nausea" if i % 2 else "headache")
        elif i % 3 == 1:
            scenarios.prepare(trial, team)


@pytest.fixture
def add_trials(team, db):
    """add_trials(n): n more trials across phases, some with doses, scores and adverse events."""
    return lambda n: add_trials_for(team, n)


@pytest.fixture(scope="module")
def two_then_ten(module_people, module_team, django_db_blocker):
    """two_then_ten(count) -> (count(client) with two trials, count(client) with ten).

    For the fixed-query-count tests: the trials are built once for every case of a module, with
    no time passing on the server's clock (as clock_stands_still), for a client signed in as the
    admin, and rolled back before any test runs. `count` runs each case and returns them all."""

    def measure(count: Callable[[Client], T]) -> tuple[T, T]:
        with rolled_back(django_db_blocker):
            team = module_team
            SiteSettings.current()  # the first request would create it; count from the second
            client = sign_in(Client(), User.objects.get(pk=module_people["admin_user"]))
            for state in ("completed", "follow_up_decided_nonresponder"):
                factories.build_trial(state, team, factories.make_patient())
            with_two = count(client)
            add_trials_for(team, 8)  # each branch of add_trials_for, every diagnosis
            with_ten = count(client)
        return with_two, with_ten

    return measure
