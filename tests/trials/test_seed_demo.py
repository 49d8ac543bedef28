"""seed_demo --patients: synthetic history that follows the protocol, at honest times.

The synthetic rows bypass the services (they are benchmark data), so these tests check what the
services would have enforced: the protocol's order and rules, the responder rule on the raw
scores, times in the past and in order, and a clinic's open caseload today.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F, Max, Min
from django.utils import timezone

from accounts.models import Role, User
from audit.models import AuditEvent
from patients.models import Patient
from tests.module_data import check_deferred
from trials import procedure
from trials.demo.bulk import (
    IN_OBSERVATION_TODAY,
    PATIENTS_PER_YEAR,
    RECENT_YEARS,
    YEAR,
    SyntheticData,
)
from trials.models import (
    AdverseEvent,
    Assessment,
    ChecklistEntry,
    DoseAttempt,
    Signature,
    Trial,
    VitalSigns,
)
from trials.procedure import Phase
from trials.services.snapshot import TrialSnapshot
from trials.services.timing import EARLIEST

HISTORY_PATIENTS = 600  # one year of referrals (about 12 a week)
TIMES = {
    Trial: "created_at",
    DoseAttempt: "planned_at",
    ChecklistEntry: "at",
    VitalSigns: "recorded_at",
    Assessment: "assessed_at",
    AdverseEvent: "entered_at",
    Signature: "signed_at",
}


def synthetic(nurse, neurologist, count: int, **options) -> SyntheticData:
    data = SyntheticData(nurse=nurse, neurologist=neurologist, seed=3, out=StringIO(), **options)
    data.write(count)
    return data


@pytest.fixture(scope="module")
def history(django_db_setup, django_db_blocker):
    """One year of history, built once for this module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        nurse = User.objects.create_user(username="n", password="-", role=Role.NURSE)
        neurologist = User.objects.create_user(username="d", password="-", role=Role.NEUROLOGIST)
        data = synthetic(nurse, neurologist, HISTORY_PATIENTS)
        check_deferred()
        yield data
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _db(db):
    """Each test reads inside its own transaction (within the module's)."""


def test_history_spreads_the_referrals_over_a_year_and_keeps_every_time_in_the_past(history):
    span = Trial.objects.aggregate(first=Min("referred_on"), last=Max("referred_on"))
    assert span["last"] - span["first"] >= timedelta(days=330)
    for model, name in TIMES.items():
        assert model.objects.exists()
        assert not model.objects.filter(**{f"{name}__gt": history.now}).exists(), model
    assert not Patient.objects.filter(created_at__gt=history.now).exists()
    # The times are the clinical ones, not the moment of the insert.
    assert Trial.objects.filter(created_at__lt=history.now - timedelta(days=180)).count() > 200


@pytest.mark.parametrize("count", [1_000, 12_000, 100_000])
def test_a_larger_history_is_more_years_at_the_same_pace_today_not_a_busier_clinic(history, count):
    referrals = history.referrals(count)
    recent = [r for r in referrals if r > history.now - RECENT_YEARS * YEAR]

    assert len(referrals) == count and referrals == sorted(referrals)
    assert referrals[0] > EARLIEST and referrals[-1] <= history.now
    # The last years at about ten referrals a week, whatever the history behind them.
    assert len(recent) == pytest.approx(RECENT_YEARS * PATIENTS_PER_YEAR, rel=0.1)


def test_history_leaves_a_clinics_open_caseload_open_and_the_rest_closed(history):
    counts = Trial.objects.phase_counts()
    open_now = sum(counts[p] for p in Phase.OPEN)
    assert 15 <= open_now <= 120
    assert counts[Phase.COMPLETED] + counts[Phase.CANCELLED] > 4 * open_now
    # Open trials are the recent ones (a forgotten discharge aside).
    old = timezone.now() - timedelta(days=120)
    stale = Trial.objects.open().filter(created_at__lt=old).exclude(status=Phase.OBSERVATION)
    assert not stale.exists()


def test_history_has_a_handful_in_observation_each_dosed_today_unless_forgotten(history):
    observed = Trial.objects.in_phase(Phase.OBSERVATION).prefetch_related("attempts")
    today = [t for t in observed if history.now - t.latest_attempt().given_at < timedelta(hours=6)]
    assert IN_OBSERVATION_TODAY <= len(today) <= IN_OBSERVATION_TODAY + 3  # a handful
    for trial in observed:
        attempt = trial.latest_attempt()
        assert attempt.given_at is not None and attempt.discharged_at is None


def test_history_follows_the_protocols_order_and_the_24_hour_rule(history):
    attempts = DoseAttempt.objects.filter(given_at__isnull=False).order_by("trial", "number")
    previous = None
    for attempt in attempts:
        if previous is not None and previous.trial_id == attempt.trial_id:
            assert attempt.given_at >= previous.given_at + timedelta(hours=24)
            assert attempt.dose_mcg > previous.dose_mcg
            assert attempt.not_before == previous.given_at + timedelta(hours=24)
        signed = Signature.objects.get(trial=attempt.trial_id, kind="preparation")
        assert signed.signed_at <= attempt.planned_at < attempt.given_at
        if attempt.discharged_at:
            assert attempt.discharged_at > attempt.given_at
        if attempt.decided_at:
            assert attempt.decided_at > attempt.discharged_at
        previous = attempt
    late_vitals = VitalSigns.objects.filter(
        attempt__discharged_at__isnull=False, recorded_at__gt=F("attempt__discharged_at")
    )
    assert not late_vitals.exists()


def test_history_entries_are_entered_at_their_clinical_time_never_late(history):
    pairs = [
        (ChecklistEntry, "at", "entered_at"),
        (VitalSigns, "recorded_at", "entered_at"),
        (Assessment, "assessed_at", "entered_at"),
        (DoseAttempt, "discharged_at", "discharge_entered_at"),
        (DoseAttempt, "decided_at", "decision_entered_at"),
    ]
    for model, clinical, entered in pairs:
        rows = model.objects.exclude(**{f"{clinical}__isnull": True})
        assert rows.exists()
        assert not rows.exclude(**{entered: F(clinical)}).exists(), (model, clinical)
    late = AdverseEvent.objects.filter(entered_at__gt=F("onset_at") + timedelta(minutes=30))
    assert not late.exists()
    for model in (ChecklistEntry, VitalSigns, Assessment, AdverseEvent):
        assert not model.objects.exclude(late_reason="").exists()


def test_history_meets_the_injection_and_discharge_criteria(history):
    given = DoseAttempt.objects.filter(given_at__isnull=False)
    assert not given.exclude(vitals__pre_dose=True).exists()  # the pre-dose set, every dose
    discharged = given.filter(discharged_at__isnull=False).prefetch_related("assessments")
    for attempt in discharged:
        slots = {a.slot_minutes for a in attempt.assessments.all()}
        assert {120, 240} <= slots  # the assessments discharge waits for
    unresolved = AdverseEvent.objects.filter(
        severity__in=procedure.SEVERE_AE, attempt__discharged_at__isnull=False
    ).exclude(resolved_at__lt=F("attempt__discharged_at"))
    assert not unresolved.exists()


def test_history_decisions_carry_the_suggestion_of_the_responder_rule_on_the_raw_scores(
    history,
):
    decided = DoseAttempt.objects.filter(responder__isnull=False).select_related("trial")
    assert decided.count() > 100
    for attempt in decided[:60]:
        snap = TrialSnapshot.load(attempt.trial_id)
        suggested = snap.suggestion(attempt).responder
        assert attempt.suggested_responder == suggested
        if suggested != attempt.responder:
            assert attempt.decision_reason  # an override always says why
        goals = attempt.trial.goal_list
        assert goals and set(attempt.goal_outcomes) == set(goals)


def test_history_completed_trials_end_as_the_protocol_allows(history):
    completed = Trial.objects.in_phase(Phase.COMPLETED).prefetch_related("attempts")
    for trial in completed:
        last = trial.latest_attempt()
        assert last.is_decided and trial.closed_at >= last.decided_at
        if trial.outcome == "pump_candidate":
            assert last.responder
        assert Signature.objects.filter(trial=trial, kind="close").exists()
        ticked = ChecklistEntry.objects.filter(trial=trial, checklist="follow_up")
        assert set(ticked.values_list("item", flat=True)) == {
            i.key for i in procedure.FOLLOW_UP.items
        }


def test_history_writes_one_seed_audit_row_per_synthetic_trial_in_an_intact_chain(history):
    assert AuditEvent.objects.filter(action="seed", object_type="Trial").count() == (
        Trial.objects.count()
    )
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()
