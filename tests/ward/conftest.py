"""Shared pieces for the ward-time specification (DOMAIN §2a, §3): a trial on the ward, the
clock moved with time-machine, and the entries a nurse or a neurologist makes."""

from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from tests.module_data import check_deferred
from trials import scenarios
from trials.models import SiteSettings, Trial
from trials.services import records, workflow

PASSWORD = factories.PASSWORD


def vitals_data(at, **overrides) -> dict:
    return {
        "recorded_at": at, "heart_rate": 72, "systolic": 124, "diastolic": 78,
        "respiratory_rate": 14, "spo2": 98, "temperature_c": Decimal("36.8"), "sedation": 0,
        "pain": 1, "headache": False, "note": "",
    } | overrides  # fmt: skip


def score(trial, team, at, grade="2", late=""):
    return records.assessment_record(
        trial_id=trial.pk, actor=team.neurologist, grades=scenarios.grades(grade),
        penn_frequency=1, penn_severity=1, assessed_at=at, late=late,
    )  # fmt: skip


def event(trial, team, onset, *, severity="mild", kind="headache", attempt_number=None, late=""):
    data = {
        "kind": kind, "severity": severity, "onset_at": onset, "action_taken": "",
        "resolution": "", "resolved_at": None, "late_reason": late,
    }  # fmt: skip
    if attempt_number is not None:
        data["attempt_number"] = attempt_number
    return records.adverse_event_record(trial_id=trial.pk, actor=team.nurse, data=data)


def discharge(trial, team, **kw):
    return workflow.attempt_discharge(trial_id=trial.pk, actor=team.nurse, password=PASSWORD, **kw)


@contextmanager
def moved_clock(start):
    """The server's clock standing at `start` (time-machine), moved forward by the test."""
    with time_machine.travel(start, tick=False) as traveller:

        class Clock:
            @staticmethod
            def now():
                return timezone.now()

            @staticmethod
            def move(**delta):
                traveller.shift(timedelta(**delta))
                return timezone.now()

        yield Clock


@pytest.fixture
def clock():
    """The server's clock, moved forward by the test: clock.move(minutes=..)."""
    with moved_clock(timezone.now()) as clock:
        yield clock


@pytest.fixture
def site(db):
    return SiteSettings.current()


def build_dosed(team, now):
    with factories.each_step_committed():
        trial = factories.create_trial(factories.make_patient(), team)
        scenarios.prepare(trial, team, at=now - timedelta(hours=2))
        scenarios.inject(trial, team, given_at=now - timedelta(minutes=3))
    return trial


@pytest.fixture
def dosed(team, make_patient, clock):
    """A trial whose 50 mcg dose was given just now (the clock stands at the dose)."""
    trial = build_dosed(team, clock.now())
    trial.refresh_from_db()
    return trial


# A module whose tests each take `dosed` and change it only in their own savepoint may have it
# built once (tests/module_data.py): it names the module's people and takes these two fixtures
# under the names `clock` and `dosed`:
#     nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, ...
#     clock, dosed = ward.clock_at_the_module_dose, ward.module_dosed_trial
# Each test's clock then starts at the moment the trial was built at, not at the test's start:
# every test meets the dose given 3 minutes before its clock starts, as with `dosed`.


@pytest.fixture(scope="module")
def module_dosed(module_team, django_db_blocker) -> tuple[int, datetime]:
    """(the trial's id, the moment it was built at) of `dosed`'s trial, built once for the
    module with the clock standing still."""
    start = timezone.now()
    with django_db_blocker.unblock(), moved_clock(start):
        trial = build_dosed(module_team, start)
        check_deferred()
    return trial.pk, start


@pytest.fixture
def clock_at_the_module_dose(module_dosed):
    with moved_clock(module_dosed[1]) as clock:
        yield clock


@pytest.fixture
def module_dosed_trial(db, module_dosed, clock):
    return Trial.objects.get(pk=module_dosed[0])


def given_at(trial):
    return trial.attempts.order_by("-number").first().given_at
