"""Shared pieces for the ward-time specification (DOMAIN §2a, §3): a trial on the ward, the
clock moved with time-machine, and the entries a nurse or a neurologist makes."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from trials import scenarios
from trials.models import SiteSettings
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


@pytest.fixture
def clock():
    """The server's clock, moved forward by the test: clock.move(minutes=..)."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:

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
def site(db):
    return SiteSettings.current()


@pytest.fixture
def dosed(team, make_patient, clock):
    """A trial whose 50 mcg dose was given just now (the clock stands at the dose)."""
    trial = factories.create_trial(make_patient(), team)
    scenarios.prepare(trial, team, at=clock.now() - timedelta(hours=2))
    scenarios.inject(trial, team, given_at=clock.now() - timedelta(minutes=3))
    trial.refresh_from_db()
    return trial


def given_at(trial):
    return trial.attempts.order_by("-number").first().given_at
