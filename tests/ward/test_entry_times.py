"""Two times on every clinical entry: when it happened and when it was entered (DOMAIN §2a)."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from core.errors import ProtocolError
from tests import module_data
from tests.ward import conftest as ward
from tests.ward.conftest import given_at, score, vitals_data
from trials.late import entry_note
from trials.models import PainMedication, SiteSettings, VitalSigns
from trials.services import checklist, records

# `dosed` is built once for the module (tests/ward/conftest.py, module_dosed): what a test adds
# to it is rolled back after it, and its clock starts where the trial's stood. The named users of
# the module are the people who built it.
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user
clock, dosed = ward.clock_at_the_module_dose, ward.module_dosed_trial


def test_an_entry_on_time_keeps_both_times_and_is_not_late(dosed, team, clock):
    clock.move(minutes=15)
    at = clock.now() - timedelta(minutes=2)
    vitals = records.vitals_record(trial_id=dosed.pk, actor=team.nurse, data=vitals_data(at))
    assert vitals.recorded_at == at
    assert vitals.entered_at == clock.now()
    assert vitals.late_reason == ""
    assert entry_note(vitals) == ""


def test_late_entry_needs_a_reason(dosed, team, clock):
    at = clock.move(minutes=15)
    clock.move(minutes=90)
    with pytest.raises(ProtocolError, match="late entry.*Say why"):
        records.vitals_record(trial_id=dosed.pk, actor=team.nurse, data=vitals_data(at))
    assert not VitalSigns.objects.filter(attempt__trial=dosed, pre_dose=False).exists()


def test_late_entry_is_marked_with_entry_time_name_and_reason(dosed, team, clock):
    at = clock.move(minutes=15)
    entered = clock.move(minutes=90)
    data = vitals_data(at, late_reason="Monitor printout charted after the emergency.")
    vitals = records.vitals_record(trial_id=dosed.pk, actor=team.nurse, data=data)
    assert vitals.recorded_at == at and vitals.entered_at == entered
    shown = timezone.localtime(entered).strftime("%Y-%m-%d %H:%M")
    assert entry_note(vitals) == (
        f"late entry · entered {shown} by {team.nurse.printed_name}: "
        "Monitor printout charted after the emergency."
    )


def test_late_entry_threshold_is_a_site_setting(dosed, team, clock):
    SiteSettings.objects.filter(pk=1).update(late_entry_minutes=120)
    SiteSettings.forget()  # changed behind this process's copy, as another process would
    at = clock.move(minutes=15)
    clock.move(minutes=90)
    vitals = records.vitals_record(trial_id=dosed.pk, actor=team.nurse, data=vitals_data(at))
    assert vitals.late_reason == ""


def test_an_entry_in_the_future_is_refused(dosed, team, clock):
    with pytest.raises(ProtocolError, match="in the future"):
        records.vitals_record(
            trial_id=dosed.pk, actor=team.nurse, data=vitals_data(clock.now() + timedelta(hours=1))
        )


@pytest.mark.parametrize("year", [1, 1999])
def test_an_entry_at_an_implausible_date_is_refused(dosed, team, year):
    at = datetime(year, 6, 1, 12, 0, tzinfo=timezone.get_current_timezone())
    with pytest.raises(ProtocolError):
        records.vitals_record(trial_id=dosed.pk, actor=team.nurse, data=vitals_data(at))


def test_observation_entries_cannot_predate_the_dose(dosed, team):
    with pytest.raises(ProtocolError, match="before the dose was given"):
        records.vitals_record(
            trial_id=dosed.pk,
            actor=team.nurse,
            data=vitals_data(given_at(dosed) - timedelta(minutes=1)),
        )


def test_a_tick_done_earlier_is_a_late_entry_with_its_reason(trial_in, team, clock):
    trial = trial_in("preparation")
    done = clock.now()
    clock.move(hours=3)
    with pytest.raises(ProtocolError, match="late entry"):
        checklist.checklist_tick(
            trial_id=trial.pk, checklist_key="preparation", item_key="no_infection",
            actor=team.nurse, at=done,
        )  # fmt: skip
    entry = checklist.checklist_tick(
        trial_id=trial.pk, checklist_key="preparation", item_key="no_infection",
        actor=team.nurse, at=done, late="Checked on the phone, charted on return.",
    ).entry  # fmt: skip
    assert entry.at == done and entry.entered_at == clock.now()
    assert "late entry" in entry_note(entry)


def test_a_tick_now_is_never_late(trial_in, team):
    trial = trial_in("preparation")
    entry = checklist.checklist_tick(
        trial_id=trial.pk, checklist_key="preparation", item_key="no_infection", actor=team.nurse
    ).entry
    assert entry.at == entry.entered_at and entry.late_reason == ""


def test_decision_before_the_last_assessment_is_refused(dosed, team, clock):
    from tests.ward.conftest import PASSWORD
    from trials.services import workflow

    at = clock.move(minutes=120)
    score(dosed, team, at)
    with pytest.raises(ProtocolError, match="cannot be before the last post-dose assessment"):
        workflow.attempt_decide(
            trial_id=dosed.pk, actor=team.neurologist, password=PASSWORD, responder=False,
            reason="", at=at - timedelta(minutes=5),
        )  # fmt: skip


# --- Pain medication ------------------------------------------------------------------------------


def pain_medication(trial, team, at, late=""):
    data = {"drug": "Paracetamol", "dose": "1 g", "route": "oral", "given_at": at}
    return records.pain_medication_record(
        trial_id=trial.pk, actor=team.nurse, data=data | {"late_reason": late}
    )


def test_pain_medication_in_the_future_is_refused(dosed, team, clock):
    clock.move(minutes=30)
    with pytest.raises(ProtocolError, match="pain medication .* is in the future"):
        pain_medication(dosed, team, clock.now() + timedelta(minutes=20))
    assert not PainMedication.objects.filter(attempt__trial=dosed).exists()


def test_pain_medication_before_the_dose_is_refused(dosed, team, clock):
    clock.move(minutes=30)
    with pytest.raises(ProtocolError, match="pain medication cannot be before the dose was given"):
        pain_medication(dosed, team, given_at(dosed) - timedelta(minutes=10))
    assert not PainMedication.objects.filter(attempt__trial=dosed).exists()


def test_pain_medication_entered_late_needs_a_reason(dosed, team, clock):
    at = clock.move(minutes=20)
    clock.move(minutes=90)
    with pytest.raises(ProtocolError, match="late entry.*Say why"):
        pain_medication(dosed, team, at)
    assert not PainMedication.objects.filter(attempt__trial=dosed).exists()


def test_pain_medication_entered_late_is_marked_with_entry_time_name_and_reason(dosed, team, clock):
    at = clock.move(minutes=20)
    entered = clock.move(minutes=90)
    medication = pain_medication(dosed, team, at, late="Given by the night team.")

    assert (medication.given_at, medication.entered_at) == (at, entered)
    shown = timezone.localtime(entered).strftime("%Y-%m-%d %H:%M")
    assert entry_note(medication) == (
        f"late entry · entered {shown} by Nadia Okafor: Given by the night team."
    )


def test_pain_medication_on_time_is_not_marked(dosed, team, clock):
    at = clock.move(minutes=20)
    clock.move(minutes=5)
    medication = pain_medication(dosed, team, at, late="Not needed.")

    assert medication.late_reason == "" and entry_note(medication) == ""
