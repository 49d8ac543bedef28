"""Pre-dose vital signs are each attempt's baseline; the injection waits for them (DOMAIN §3)."""

from datetime import timedelta

import pytest

from core.errors import ProtocolError
from tests import module_data
from tests.ward.conftest import vitals_data
from trials import scenarios
from trials.services import records
from trials.services.phase import blockers
from trials.services.snapshot import TrialSnapshot

# The trials are built once for the module (tests/module_data.py): what a test changes is rolled
# back after it. The named users of the module are the people who built them.
TRIAL_STATES = ["injection", "observation", "follow_up"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


def test_vital_signs_before_the_dose_are_the_baseline(module_trial_in, team):
    trial = module_trial_in("injection")
    vitals = records.vitals_record(
        trial_id=trial.pk, actor=team.nurse, data=vitals_data(trial.attempts.get().planned_at)
    )
    assert vitals.pre_dose


def test_the_injection_waits_for_the_pre_dose_vital_signs(module_trial_in, team):
    trial = module_trial_in("injection")
    scenarios.tick_all(trial.pk, "day_of", team)
    scenarios.tick_all(trial.pk, "injection", team)
    assert blockers(TrialSnapshot.load(trial.pk), "sign_injection") == [
        "The pre-dose (baseline) vital signs of this attempt are not recorded yet."
    ]


def test_pre_dose_vital_signs_cannot_predate_the_plan(module_trial_in, team):
    trial = module_trial_in("injection")
    before = trial.attempts.get().planned_at - timedelta(minutes=10)
    with pytest.raises(ProtocolError, match="before attempt 1 was planned"):
        records.vitals_record(trial_id=trial.pk, actor=team.nurse, data=vitals_data(before))


def test_vital_signs_are_refused_after_discharge(module_trial_in, team):
    trial = module_trial_in("follow_up")
    with pytest.raises(ProtocolError, match="during observation"):
        records.vitals_record(
            trial_id=trial.pk,
            actor=team.nurse,
            data=vitals_data(trial.attempts.get().discharged_at),
        )


def test_the_discharge_item_shows_the_last_set_beside_the_baseline(
    module_trial_in, client_for, nurse
):
    trial = module_trial_in("observation")
    page = client_for(nurse).get(trial.get_absolute_url()).content.decode()
    assert "Baseline (pre-dose): HR 72, BP 124/78" in page
    assert "Last set: HR 72" in page


def test_the_vitals_table_shows_the_baseline_row_and_notes(
    module_trial_in, team, client_for, nurse
):
    trial = module_trial_in("observation")
    given = trial.attempts.get().given_at
    scenarios.vitals(trial, team, at=given + timedelta(minutes=90), note="Patient asleep.")
    page = client_for(nurse).get(trial.get_absolute_url()).content.decode()
    assert "vitals-baseline" in page and "(pre-dose)" in page
    assert "Patient asleep." in page
