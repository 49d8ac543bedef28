"""Trials for the outcome review, built through the services (trials/scenarios.py).

`cohort` is a small known set whose every figure can be worked out by hand:

- pump: multiple sclerosis, adult, referred 30 days ago; 50 mcg not effective (MAS 3 → 3),
  75 mcg effective (3 → 1+), closed as pump candidate;
- non_responder: cerebral palsy, a child, referred 10 days ago; 50 mcg judged not effective,
  in follow-up, with a mild headache;
- preparing: spinal cord injury, adult, in preparation;
- cancelled: acquired brain injury, adult, cancelled in preparation.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from patients.models import Diagnosis
from tests import factories
from trials import scenarios
from trials.models import Trial
from trials.services import records, workflow


@pytest.fixture(autouse=True)
def _empty_cache():
    # The figures are cached by filter and newest audit row; test databases reuse row ids.
    cache.clear()
    yield
    cache.clear()


def born_years_ago(years: int, days: int = 0) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=days)


@pytest.fixture
def start_trial(team, make_patient):
    """start_trial(diagnosis=..., referred_days_ago=..., born=...) -> a trial in preparation."""

    def start(*, diagnosis=Diagnosis.MULTIPLE_SCLEROSIS, referred_days_ago=30, born=None, **kw):
        patient = make_patient(diagnosis=diagnosis, date_of_birth=born or date(1980, 5, 17), **kw)
        return workflow.trial_create(
            patient=patient,
            actor=team.neurologist,
            referred_on=timezone.localdate() - timedelta(days=referred_days_ago),
        )

    return start


@pytest.fixture
def adverse_event(team):
    def record(trial, *, kind="headache", severity="mild"):
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

    return record


@dataclass
class Cohort:
    pump: Trial
    non_responder: Trial
    preparing: Trial
    cancelled: Trial

    @property
    def all(self) -> list[Trial]:
        return [self.pump, self.non_responder, self.preparing, self.cancelled]


@pytest.fixture
def cohort(team, start_trial, adverse_event) -> Cohort:
    pump = scenarios.close_as_candidate(start_trial(referred_days_ago=30), team, days_ago=3)

    child = start_trial(
        diagnosis=Diagnosis.CEREBRAL_PALSY, referred_days_ago=10, born=born_years_ago(10)
    )
    factories.STEPS["follow_up_decided_nonresponder"](child, team)
    adverse_event(child)

    preparing = start_trial(diagnosis=Diagnosis.SPINAL_CORD_INJURY, referred_days_ago=5)
    cancelled = workflow.trial_cancel(
        trial_id=start_trial(diagnosis=Diagnosis.ACQUIRED_BRAIN_INJURY).pk,
        actor=team.neurologist,
        reason="Moved away.",
    )
    return Cohort(*(Trial.objects.get(pk=t.pk) for t in (pump, child, preparing, cancelled)))


@pytest.fixture
def add_trials(team, start_trial, adverse_event):
    """add_trials(n): n more trials across phases, some with doses, scores and adverse events."""

    def add(n: int) -> None:
        for i in range(n):
            trial = start_trial(referred_days_ago=20 + i, diagnosis=list(Diagnosis)[i % 5])
            if i % 3 == 0:
                factories.STEPS["follow_up_decided_nonresponder"](trial, team)
                adverse_event(trial, kind="nausea" if i % 2 else "headache")
            elif i % 3 == 1:
                scenarios.prepare(trial, team)

    return add
