"""The dashboard's kept figures of each trial (TrialFigures) are always those its raw rows give.

The services write them in the same transaction as the dose, score or decision they come from;
after every kind of write, deriving them again from the raw attempts and MAS scores finds them
equal (DOMAIN.md §4: a figure kept for speed is rebuilt from the raw scores and shown equal).
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from patients.models import Diagnosis
from patients.services import patient_update
from tests.conftest import PASSWORD
from tests.factories import clinic_today
from trials import scenarios
from trials.demo.bulk import SyntheticData
from trials.models import DoseAttempt, Trial, TrialFigures
from trials.outcomes import figures
from trials.outcomes.mas import FALL_UNITS
from trials.services import amendments, records, workflow
from trials.services.trial_figures import FIELDS, trial_figures_rebuild, trial_figures_stale

LATE = "Scored on paper during the transfer"
COPIES = ("status", "outcome", "referred_on", "diagnosis")  # of the trial and the patient


def kept(trial) -> dict:
    return TrialFigures.objects.filter(trial=trial).values(*FIELDS).get()


def kept_from_attempts(trial) -> dict:
    return {k: v for k, v in kept(trial).items() if k not in COPIES}


def assert_equal_to_the_raw_rows() -> None:
    assert trial_figures_stale() == []


def falls(grades: float) -> int:
    """A fall of `grades` MAS grades in the kept units."""
    return round(grades * FALL_UNITS)


def test_a_new_trial_has_its_figures_and_they_are_empty(start_trial):
    trial = start_trial(diagnosis=Diagnosis.CEREBRAL_PALSY)

    assert kept(trial) == {
        "status": "preparation", "outcome": "", "referred_on": trial.referred_on,
        "diagnosis": "cp", "doses_given": 0, "decided": False, "responder": False,
        "response_dose_mcg": None,
        "first_dose_at": None, "last_decided_at": None, "mas_best_fall_units": None,
    }  # fmt: skip
    assert_equal_to_the_raw_rows()


def test_the_cohort_figures_equal_those_derived_from_the_raw_rows(cohort):
    pump = cohort.pump
    first, second = pump.attempts.order_by("number")

    assert_equal_to_the_raw_rows()
    assert kept_from_attempts(pump) == {
        "doses_given": 2, "decided": True, "responder": True, "response_dose_mcg": 75,
        "first_dose_at": first.given_at, "last_decided_at": second.decided_at,
        "mas_best_fall_units": falls(1.5),  # baseline 3, best post-dose 1+
    }  # fmt: skip
    assert kept(cohort.preparing)["mas_best_fall_units"] is None


def test_every_step_of_two_attempts_keeps_the_figures_equal(team, start_trial):
    start = timezone.now() - timedelta(days=3)
    trial = start_trial(referred_days_ago=10)
    scenarios.prepare(trial, team, at=start - timedelta(hours=2))
    assert_equal_to_the_raw_rows()

    scenarios.inject(trial, team, given_at=start)
    assert kept(trial)["doses_given"] == 1
    assert_equal_to_the_raw_rows()

    for minutes in (15, 30, 45, 60, 90, 120, 180, 240):
        scenarios.vitals(trial, team, at=start + timedelta(minutes=minutes))
    scenarios.score(trial, team, minutes_after=120, grade="2", given_at=start)
    assert kept(trial)["mas_best_fall_units"] == falls(1)
    with scenarios.clock(start + timedelta(hours=7)):  # the 4 h score, entered 3 h late
        records.assessment_record(
            trial_id=trial.pk, actor=team.neurologist, grades=scenarios.grades("1+"),
            penn_frequency=1, penn_severity=1, assessed_at=start + timedelta(hours=4), late=LATE,
        )  # fmt: skip
    assert kept(trial)["mas_best_fall_units"] == falls(1.5)
    assert_equal_to_the_raw_rows()

    scenarios.discharge(trial, team, at=start + timedelta(hours=7, minutes=5))
    scenarios.decide(
        trial, team, responder=False, reason="Walks worse.", at=start + timedelta(hours=8)
    )
    assert (kept(trial)["decided"], kept(trial)["responder"]) == (True, False)
    assert_equal_to_the_raw_rows()

    scenarios.plan_next(trial, team, dose_mcg=75, at=start + timedelta(hours=8, minutes=5))
    second = start + timedelta(days=1, hours=1)
    scenarios.full_attempt(trial, team, given_at=second, post_grade="1")
    scenarios.decide(trial, team, responder=True, at=second + timedelta(hours=5))
    scenarios.close(trial, team, outcome="pump_candidate")

    attempts = list(trial.attempts.order_by("number"))
    assert (kept(trial)["status"], kept(trial)["outcome"]) == ("completed", "pump_candidate")
    assert kept_from_attempts(trial) == {
        "doses_given": 2, "decided": True, "responder": True, "response_dose_mcg": 75,
        "first_dose_at": attempts[0].given_at, "last_decided_at": attempts[1].decided_at,
        "mas_best_fall_units": falls(2),  # 3 -> 1 after 75 mcg
    }  # fmt: skip
    assert_equal_to_the_raw_rows()


def baseline(trial, team, grade: str, at) -> None:
    with scenarios.clock(at):
        records.assessment_record(
            trial_id=trial.pk, actor=team.neurologist, grades=scenarios.grades(grade),
            penn_frequency=1, penn_severity=1, assessed_at=at, baseline=True,
        )  # fmt: skip


def test_a_rescored_baseline_replaces_the_one_the_falls_start_from(team, start_trial):
    start = timezone.now() - timedelta(days=1)
    trial = start_trial()
    with scenarios.clock(start - timedelta(hours=3)):
        scenarios.tick_all(trial.pk, "preparation", team)
    baseline(trial, team, "3", start - timedelta(hours=3))
    baseline(trial, team, "2", start - timedelta(hours=2))  # replaces the first
    assert_equal_to_the_raw_rows()
    with scenarios.clock(start - timedelta(hours=2)):
        workflow.preparation_sign(
            trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, first_dose_mcg=50
        )
    scenarios.inject(trial, team, given_at=start)
    scenarios.score(trial, team, minutes_after=120, grade="1", given_at=start)

    assert kept(trial)["mas_best_fall_units"] == falls(1)  # from the new baseline, 2
    assert_equal_to_the_raw_rows()


def test_an_amended_injection_record_leaves_the_figures_equal(team, trial_in):
    trial = trial_in("follow_up_decided_nonresponder")
    attempt = trial.attempts.get()
    before = kept(trial)

    amendments.record_amend(
        trial_id=trial.pk, attempt_id=attempt.pk, record="injection", actor=team.neurologist,
        password=PASSWORD, values={"spinal_level": "L4-L5"}, reason="Level misread.",
    )  # fmt: skip

    assert kept(trial) == before
    assert_equal_to_the_raw_rows()


def test_a_trial_cancelled_after_its_dose_keeps_the_dose_it_had(team, trial_in):
    trial = trial_in("follow_up")
    workflow.trial_cancel(trial_id=trial.pk, actor=team.neurologist, reason="Moved away.")

    assert (kept(trial)["status"], kept(trial)["doses_given"]) == ("cancelled", 1)
    assert_equal_to_the_raw_rows()
    fig = figures.compute()
    assert (fig.by_phase["cancelled"], fig.attempts_per_trial[1]) == (1, 1)


def test_a_changed_referral_date_and_diagnosis_are_copied(team, start_trial):
    trial = start_trial(diagnosis=Diagnosis.MULTIPLE_SCLEROSIS, referred_days_ago=30)
    referred = clinic_today() - timedelta(days=20)

    workflow.trial_update(trial_id=trial.pk, actor=team.neurologist, data={"referred_on": referred})
    patient_update(actor=team.neurologist, patient_id=trial.patient_id, data={"diagnosis": "sci"})

    assert (kept(trial)["referred_on"], kept(trial)["diagnosis"]) == (referred, "sci")
    assert_equal_to_the_raw_rows()
    assert figures.compute().responders == {}  # nothing decided yet, under any diagnosis


def test_a_write_around_the_services_is_found_and_rebuilt(trial_in):
    trial = trial_in("follow_up_decided_nonresponder")
    DoseAttempt.objects.filter(trial=trial).update(responder=True)  # no service does this

    [(trial_id, stale, derived)] = trial_figures_stale()
    assert trial_id == trial.pk
    assert (stale["responder"], derived["responder"]) == (False, True)
    with pytest.raises(CommandError, match="1 trial"):
        call_command("trial_figures", "--check", stdout=StringIO())

    call_command("trial_figures", "--rebuild", stdout=StringIO())

    assert kept(trial)["responder"] is True
    assert_equal_to_the_raw_rows()
    assert figures.compute().responder_count == 1


def test_the_check_command_says_when_all_is_equal(cohort):
    out = StringIO()
    call_command("trial_figures", "--check", stdout=out)

    assert "match" in out.getvalue()


def test_the_migration_backfills_every_trial_with_its_own_models(cohort):
    TrialFigures.objects.all().delete()
    loader = MigrationLoader(connection)
    [key] = [k for k in loader.disk_migrations if k[0] == "trials" and "trial_figures" in k[1]]
    apps = loader.project_state(key).apps

    assert trial_figures_rebuild(apps=apps) == len(cohort.all)
    assert_equal_to_the_raw_rows()


def test_seeded_synthetic_trials_have_their_figures(nurse, neurologist):
    SyntheticData(nurse=nurse, neurologist=neurologist, seed=5, out=StringIO()).write(40)

    assert TrialFigures.objects.count() == Trial.objects.count() > 30
    assert TrialFigures.objects.filter(mas_best_fall_units__isnull=False).exists()
    assert_equal_to_the_raw_rows()
