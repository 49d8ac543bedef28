"""What the clock decides in the phase panel holds until presenters.panel_clock_until.

The trial page keeps its frame (trials/services/kept_page.py), and with it the panel's key, from
the moment the key was worked out until that moment: before it, the panel's key worked out at any
later time must be the same. These tests work the key out at many moments around a dose's
schedule and around the clinic's midnight, and compare."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from tests.views.conftest import inject
from trials import presenters
from trials.models import SiteSettings
from trials.services.snapshot import TrialSnapshot


def panel_key_at(snap, user, at: datetime) -> str:
    with time_machine.travel(at, tick=False):
        return presenters.panel_context(snap, user)["panel_key"]


def assert_holds_until(snap, user, moments: list[datetime]) -> int:
    """Each moment's key is the key of every later moment before its panel_clock_until; the
    number of times the key changed between two moments (so that a test knows it saw some)."""
    moments = sorted(moments)
    keys = [panel_key_at(snap, user, at) for at in moments]
    for i, since in enumerate(moments):
        until = presenters.panel_clock_until(snap, since)
        for at, key in zip(moments[i:], keys[i:], strict=True):
            if until is not None and at >= until:
                break
            assert key == keys[i], f"the panel's key worked out at {since} changed at {at}"
    return sum(a != b for a, b in zip(keys, keys[1:], strict=False))


def around(moment: datetime) -> list[datetime]:
    return [moment - timedelta(microseconds=1), moment, moment + timedelta(microseconds=1)]


@pytest.mark.parametrize("role", ["nurse", "neurologist"])
def test_the_panel_of_a_dose_under_observation_holds_until_its_next_slot_changes(
    team, make_patient, role
):
    given_at = timezone.now() - timedelta(minutes=40)
    trial = inject(team, given_at, vitals_at=[15, 45])
    site = SiteSettings.current()
    site.assessment_window_minutes = 20  # its windows' ends apart from the vital signs' ones
    snap = TrialSnapshot.load(trial.pk, site=site)
    every_two_minutes = [given_at + timedelta(minutes=m) for m in range(-6, 10 * 60, 2)]
    slots = [given_at + timedelta(minutes=m) for m in site.vitals_schedule]
    slots += [
        given_at + timedelta(minutes=m + d)
        for m in site.assessment_schedule
        for d in (0, site.assessment_window_minutes)
    ]
    moments = every_two_minutes + [at for slot in slots for at in around(slot)]

    changes = assert_holds_until(snap, getattr(team, role), moments)

    assert changes >= len(site.vitals_schedule)  # the slots did turn overdue and missed


def test_the_panel_of_a_patient_turning_four_holds_until_the_clinics_midnight(team):
    zone = ZoneInfo(SiteSettings.current().time_zone)
    evening = datetime(2026, 3, 10, 20, 0, tzinfo=zone)
    with time_machine.travel(evening, tick=False):
        patient = factories.make_patient(date_of_birth=datetime(2022, 3, 11).date())
        trial = factories.build_trial("preparation_ready", team, patient)
        snap = TrialSnapshot.load(trial.pk)
    midnight = datetime(2026, 3, 11, tzinfo=zone)
    moments = [evening + timedelta(minutes=m) for m in range(0, 6 * 60, 5)] + around(midnight)

    changes = assert_holds_until(snap, team.neurologist, moments)

    assert changes == 1  # too young to sign preparation until midnight, then old enough
    before, after = (panel_key_at(snap, team.neurologist, at) for at in around(midnight)[:2])
    assert before != after


def test_the_panel_of_a_closed_trial_holds_for_ever(team, make_patient):
    trial = factories.build_trial("completed", team, make_patient())
    snap = TrialSnapshot.load(trial.pk)

    assert presenters.panel_clock_until(snap, timezone.now()) is None
