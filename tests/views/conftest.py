"""Fixtures for the page tests. The named users, `trial_in` and `client_for` come from
tests/conftest.py; what only the pages need lives here."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from trials import scenarios
from trials.models import AdverseEvent, SiteSettings


@pytest.fixture
def long_idle_limit(db):
    """Sessions outlast a test that moves the clock up to an hour between two looks (an idle
    limit of two hours)."""
    site = SiteSettings.current()
    site.session_idle_minutes = 120
    site.save()


@pytest.fixture
def frozen():
    """The clock stands still (pages print the time of their read); `frozen.shift(delta)`."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def as_nurse(client_for, nurse):
    return client_for(nurse)


@pytest.fixture
def as_neurologist(client_for, neurologist):
    return client_for(neurologist)


@pytest.fixture
def as_admin(client_for, admin_user):
    return client_for(admin_user)


def adverse_event(team, trial, *, severity: str = "mild", kind: str = "headache") -> AdverseEvent:
    given_at = trial.attempts.order_by("-number").first().given_at
    onset = min(given_at + timedelta(minutes=40), timezone.now())
    return scenarios.adverse_event(trial, team, onset=onset, severity=severity, kind=kind)


@pytest.fixture
def record_adverse_event(team):
    """record_adverse_event(trial, severity="severe") -> AdverseEvent, through the service."""
    return lambda trial, **kw: adverse_event(team, trial, **kw)


def inject(team, given_at=None, *, vitals_at=(), **patient_fields):
    with factories.each_step_committed():
        trial = factories.create_trial(factories.make_patient(**patient_fields), team)
        given_at = given_at or timezone.now() - timedelta(hours=1)
        scenarios.prepare(trial, team, at=given_at - timedelta(hours=2))
        scenarios.inject(trial, team, given_at=given_at)
        for minutes in vitals_at:
            scenarios.vitals(trial, team, at=given_at + timedelta(minutes=minutes))
    trial.refresh_from_db()
    return trial


@pytest.fixture
def injected(team, make_patient):
    """injected(given_at, vitals_at=[minutes...]) -> a new patient's trial in observation."""
    return lambda *args, **kw: inject(team, *args, **kw)
