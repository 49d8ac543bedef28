"""Protocol order, through the workflow functions the pages call (DOMAIN.md §2).

The trials are built once for the module (tests/module_data.py), one in each of TRIAL_STATES:
what a test does to its trial is rolled back after it."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import ProtocolError
from tests import factories, module_data
from tests.factories import PASSWORD
from trials import scenarios
from trials.models import DoseAttempt, Signature, Trial
from trials.procedure import Phase
from trials.services import checklist, records, workflow

TRIAL_STATES = list(factories.STATES)
# The named users of the module are the people who built its trials.
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


def _status(trial) -> str:
    return Trial.objects.get(pk=trial.pk).status


def _first_attempt(trial) -> DoseAttempt:
    return trial.attempts.get(number=1)


# --- Preparation before injection ---------------------------------------------------------------


def test_preparation_cannot_be_signed_while_a_required_item_is_open(module_trial_in, team):
    trial = module_trial_in("preparation_ready")
    checklist.checklist_untick(
        trial_id=trial.pk, checklist_key="preparation", item_key="consent", actor=team.neurologist
    )

    with pytest.raises(ProtocolError) as caught:
        workflow.preparation_sign(
            trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, first_dose_mcg=50
        )

    assert "“Risks explained and consent signed” is not ticked yet" in str(caught.value)
    assert _status(trial) == Phase.PREPARATION
    assert not trial.attempts.exists()
    assert not Signature.objects.filter(trial=trial).exists()


def test_preparation_cannot_be_signed_without_a_baseline_assessment(module_trial_in, team):
    trial = module_trial_in("preparation")
    scenarios.tick_all(trial.pk, "preparation", team)

    with pytest.raises(ProtocolError, match="baseline spasticity assessment is not recorded"):
        workflow.preparation_sign(
            trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, first_dose_mcg=50
        )
    assert _status(trial) == Phase.PREPARATION


def test_signing_preparation_plans_the_first_dose(module_trial_in):
    trial = module_trial_in("injection")

    attempt = _first_attempt(trial)
    assert (attempt.dose_mcg, attempt.not_before, attempt.given_at) == (50, None, None)
    assert trial.signatures.get(kind="preparation").meaning == "approved"


@pytest.mark.parametrize("dose", [75, 100, 40])
def test_first_dose_is_50_or_25_mcg(module_trial_in, team, dose):
    trial = module_trial_in("preparation_ready")
    with pytest.raises(ProtocolError, match="first dose is 50 mcg"):
        workflow.preparation_sign(
            trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, first_dose_mcg=dose
        )


def test_no_injection_before_preparation_is_signed(module_trial_in, team):
    trial = module_trial_in("preparation_ready")
    with pytest.raises(ProtocolError):
        factories.sign_injection(trial, team, dose_mcg=50, given_at=timezone.now())
    assert _status(trial) == Phase.PREPARATION


def test_nurse_cannot_sign_injection(module_trial_in, team):
    trial = module_trial_in("injection_ready")
    with pytest.raises(PermissionDenied):
        workflow.injection_sign(
            trial_id=trial.pk,
            actor=team.nurse,
            password=PASSWORD,
            dose_mcg=50,
            data=factories.injection_data(team, given_at=timezone.now()),
        )
    assert _status(trial) == Phase.INJECTION
    assert _first_attempt(trial).given_at is None


# --- The injection record ------------------------------------------------------------------------


def test_dose_other_than_the_planned_one_is_refused(module_trial_in, team):
    trial = module_trial_in("injection_ready")
    with pytest.raises(ProtocolError, match="planned dose for attempt 1 is 50 mcg; 75 mcg"):
        factories.sign_injection(trial, team, dose_mcg=75, given_at=timezone.now())
    assert _first_attempt(trial).given_at is None


def _inject_with(trial, team, **overrides):
    given_at = overrides.pop("given_at", timezone.now() - timedelta(minutes=10))
    return workflow.injection_sign(
        trial_id=trial.pk,
        actor=team.neurologist,
        password=PASSWORD,
        dose_mcg=50,
        data=factories.injection_data(team, given_at=given_at, **overrides),
    )


def clinic_today(when=None):
    """The calendar day at the clinic (the default site time zone), not in UTC."""
    zone = ZoneInfo(settings.DEFAULT_CLINIC_TIME_ZONE)
    return (when or timezone.now()).astimezone(zone).date()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"expiry": (clinic_today() - timedelta(days=1))}, "had expired"),
        ({"duration_seconds": 30}, "over at least 1 minute"),
        ({"assisting_nurse": None}, "Name the assisting nurse"),
        ({"image_guidance": True, "radiologist": ""}, "Name the radiologist"),
        ({"given_at": timezone.now() + timedelta(hours=1)}, "in the future"),
    ],
    ids=["expired", "too-fast", "no-nurse", "no-radiologist", "future"],
)
def test_incomplete_or_unsafe_injection_record_is_refused(
    module_trial_in, team, overrides, message
):
    trial = module_trial_in("injection_ready")
    with pytest.raises(ProtocolError, match=message):
        _inject_with(trial, team, **overrides)
    assert _status(trial) == Phase.INJECTION
    assert _first_attempt(trial).given_at is None


def test_product_expiring_on_the_day_of_injection_may_be_used(module_trial_in, team):
    trial = module_trial_in("injection_ready")
    given_at = timezone.now() - timedelta(minutes=10)
    _inject_with(trial, team, given_at=given_at, expiry=clinic_today(given_at))
    assert _status(trial) == Phase.OBSERVATION


# --- Observation after the dose ------------------------------------------------------------------


def _vitals(trial, team):
    data = {"recorded_at": timezone.now(), "heart_rate": 70, "systolic": 120, "diastolic": 80,
            "respiratory_rate": 14, "spo2": 98, "temperature_c": 36.8, "sedation": 0, "pain": 0,
            "headache": False, "note": ""}  # fmt: skip
    records.vitals_record(trial_id=trial.pk, actor=team.nurse, data=data)


def _post_dose_score(trial, team):
    records.assessment_record(
        trial_id=trial.pk, actor=team.neurologist, grades=scenarios.grades("2"),
        penn_frequency=1, penn_severity=1, assessed_at=timezone.now(),
    )  # fmt: skip


def _pain_medication(trial, team):
    data = {"drug": "Paracetamol", "dose": "1 g", "route": "oral", "given_at": timezone.now()}
    records.pain_medication_record(trial_id=trial.pk, actor=team.nurse, data=data)


OBSERVATION_ENTRIES = [_vitals, _post_dose_score, _pain_medication]


@pytest.mark.parametrize(
    ("state", "record"),
    [("preparation", r) for r in OBSERVATION_ENTRIES]
    # In the injection phase vital signs are the pre-dose baseline (tests/ward/).
    + [("injection", r) for r in OBSERVATION_ENTRIES if r is not _vitals],
    ids=lambda v: v if isinstance(v, str) else v.__name__.strip("_"),
)
def test_no_observation_entry_before_the_dose_is_given(module_trial_in, team, record, state):
    trial = module_trial_in(state)
    audit_before = AuditEvent.objects.count()
    with pytest.raises(ProtocolError, match="after the dose is given"):
        record(trial, team)
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize("record", OBSERVATION_ENTRIES, ids=lambda f: f.__name__.strip("_"))
def test_observation_entries_are_accepted_once_the_dose_is_given(module_trial_in, team, record):
    trial = module_trial_in("observation")
    record(trial, team)  # no error


def test_no_decision_before_a_post_dose_assessment_exists(module_trial_in, team):
    trial = module_trial_in("observation")
    with pytest.raises(
        ProtocolError, match="No post-dose spasticity assessment of attempt 1 is recorded"
    ):
        scenarios.decide(trial, team, responder=False)
    assert trial.attempts.get().responder is None


def test_no_decision_before_the_dose_is_given(module_trial_in, team):
    trial = module_trial_in("injection")
    with pytest.raises(ProtocolError, match="after the dose has been given"):
        scenarios.decide(trial, team, responder=False)


def test_overriding_the_suggestion_needs_a_reason(module_trial_in, team):
    trial = module_trial_in("follow_up")  # baseline 3, post-dose 3: suggested not a responder
    with pytest.raises(ProtocolError, match="reason for overriding"):
        scenarios.decide(trial, team, responder=True)

    scenarios.decide(trial, team, responder=True, reason="Care time halved, family reports.")
    attempt = trial.attempts.get()
    assert (attempt.responder, attempt.suggested_responder) == (True, False)


# --- Further attempts ----------------------------------------------------------------------------


def test_next_attempt_is_not_planned_before_the_response_is_decided(module_trial_in, team):
    trial = module_trial_in("follow_up")
    with pytest.raises(ProtocolError, match="Decide the response to attempt 1 first"):
        workflow.attempt_plan_next(trial_id=trial.pk, actor=team.neurologist, dose_mcg=75)
    assert _status(trial) == Phase.FOLLOW_UP


@pytest.mark.parametrize("dose", [25, 50, 60])
def test_a_next_dose_off_the_ladder_is_refused_without_a_reason(module_trial_in, team, dose):
    trial = module_trial_in("follow_up_decided_nonresponder")
    with pytest.raises(ProtocolError, match="next step is 75 mcg|not a dose of the protocol"):
        workflow.attempt_plan_next(trial_id=trial.pk, actor=team.neurologist, dose_mcg=dose)
    assert _status(trial) == Phase.FOLLOW_UP
    assert trial.attempts.count() == 1


def test_next_attempt_is_planned_24_hours_after_the_last_dose(module_trial_in, team):
    trial = module_trial_in("follow_up_decided_nonresponder")
    workflow.attempt_plan_next(trial_id=trial.pk, actor=team.neurologist, dose_mcg=75)

    second = trial.attempts.get(number=2)
    assert second.dose_mcg == 75
    assert second.not_before == _first_attempt(trial).given_at + timedelta(hours=24)
    assert _status(trial) == Phase.INJECTION


def test_injection_sooner_than_24_hours_after_the_last_is_refused(module_trial_in, team):
    trial = module_trial_in("follow_up_decided_nonresponder")
    first_given = _first_attempt(trial).given_at
    with scenarios.clock(first_given + timedelta(hours=22)):
        workflow.attempt_plan_next(trial_id=trial.pk, actor=team.neurologist, dose_mcg=75)
        factories.tick_day_of_and_injection(trial, team)
    too_soon = first_given + timedelta(hours=23)
    with scenarios.clock(too_soon), pytest.raises(ProtocolError, match="24 h after the previous"):
        factories.sign_injection(trial, team, dose_mcg=75, given_at=too_soon)
    assert _status(trial) == Phase.INJECTION

    with scenarios.clock(first_given + timedelta(hours=24)) as now:
        factories.sign_injection(trial, team, dose_mcg=75, given_at=now)
    assert _status(trial) == Phase.OBSERVATION


def test_responder_is_not_given_another_attempt(module_trial_in, team):
    trial = module_trial_in("follow_up")
    scenarios.decide(trial, team, responder=True, reason="Gait clearly easier.")
    with pytest.raises(ProtocolError, match="judged effective"):
        workflow.attempt_plan_next(trial_id=trial.pk, actor=team.neurologist, dose_mcg=75)


def test_no_fourth_attempt(team, patient):
    trial = factories.create_trial(patient, team)
    factories.attempt_series(trial, team, [25, 50, 75])

    with pytest.raises(ProtocolError, match="All 3 attempts have been used"):
        workflow.attempt_plan_next(trial_id=trial.pk, actor=team.neurologist, dose_mcg=100)
    assert trial.attempts.count() == 3
    assert _status(trial) == Phase.FOLLOW_UP


def test_no_attempt_after_non_response_to_100_mcg(team, patient):
    trial = factories.create_trial(patient, team)
    factories.attempt_series(trial, team, [50, 100])

    with pytest.raises(ProtocolError, match="100 mcg is the protocol's highest dose"):
        workflow.attempt_plan_next(trial_id=trial.pk, actor=team.neurologist, dose_mcg=100)


def test_day_of_checklist_starts_afresh_for_each_attempt(module_trial_in, team):
    trial = module_trial_in("follow_up_decided_nonresponder")
    workflow.attempt_plan_next(trial_id=trial.pk, actor=team.neurologist, dose_mcg=75)

    with pytest.raises(ProtocolError, match="“Fasting as per site policy” is not ticked yet"):
        factories.sign_injection(trial, team, dose_mcg=75, given_at=timezone.now())


# --- Signing, closing, cancelling ----------------------------------------------------------------


def _sign_preparation(trial, team, password):
    workflow.preparation_sign(
        trial_id=trial.pk, actor=team.neurologist, password=password, first_dose_mcg=50
    )


def _sign_injection(trial, team, password):
    workflow.injection_sign(
        trial_id=trial.pk, actor=team.neurologist, password=password, dose_mcg=50,
        data=factories.injection_data(team, given_at=timezone.now()),
    )  # fmt: skip


def _discharge(trial, team, password):
    workflow.attempt_discharge(trial_id=trial.pk, actor=team.nurse, password=password)


def _decide(trial, team, password):
    workflow.attempt_decide(
        trial_id=trial.pk, actor=team.neurologist, password=password, responder=False
    )


def _close(trial, team, password):
    workflow.trial_close(
        trial_id=trial.pk, actor=team.neurologist, password=password, outcome="not_candidate"
    )


@pytest.mark.parametrize(
    ("state", "sign"),
    [
        ("preparation_ready", _sign_preparation),
        ("injection_ready", _sign_injection),
        ("observation_ready", _discharge),
        ("follow_up", _decide),
        ("follow_up_decided_nonresponder", _close),
    ],
    ids=["preparation", "injection", "discharge", "decision", "close"],
)
@pytest.mark.parametrize("password", ["wrong-password-123", ""])
def test_wrong_password_signs_nothing(module_trial_in, team, state, sign, password):
    trial = module_trial_in(state)
    status = _status(trial)
    signatures, audit = Signature.objects.count(), AuditEvent.objects.count()

    # Refused as a protocol error (shown in the form) or a permission error: either way, unsigned.
    with pytest.raises((ProtocolError, PermissionDenied), match="password is not correct"):
        sign(trial, team, password)

    assert _status(trial) == status
    assert (Signature.objects.count(), AuditEvent.objects.count()) == (signatures, audit)


def test_pump_candidate_requires_a_responder_decision(module_trial_in, team):
    trial = module_trial_in("follow_up_ready")
    with pytest.raises(ProtocolError, match="Only a patient who responded"):
        workflow.trial_close(
            trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, outcome="pump_candidate"
        )
    assert _status(trial) == Phase.FOLLOW_UP
    assert not trial.signatures.filter(kind="close").exists()


def test_trial_cannot_be_closed_before_the_response_is_decided(module_trial_in, team):
    trial = module_trial_in("follow_up")
    with pytest.raises(ProtocolError, match="Decide the response to attempt 1 first"):
        _close(trial, team, PASSWORD)


def test_pump_candidate_closes_with_the_suggested_pump_dose(module_trial_in):
    trial = module_trial_in("completed")  # responded to 75 mcg on the second attempt

    assert (trial.status, trial.outcome) == (Phase.COMPLETED, "pump_candidate")
    assert trial.closed_at is not None
    closing = trial.audit.filter(action="transition").order_by("-id").first()
    assert "suggested starting pump dose 150 mcg/day" in closing.summary


@pytest.mark.parametrize("reason", ["", "   "])
def test_cancelling_needs_a_reason(module_trial_in, team, reason):
    trial = module_trial_in("injection")
    with pytest.raises(ProtocolError, match="reason for cancelling"):
        workflow.trial_cancel(trial_id=trial.pk, actor=team.neurologist, reason=reason)
    assert _status(trial) == Phase.INJECTION


def test_cancelling_keeps_the_reason_in_the_trial_and_the_audit(module_trial_in):
    trial = module_trial_in("cancelled")
    assert trial.cancel_reason == "Patient moved to another city."
    assert trial.audit.get(action="transition").reason == "Patient moved to another city."


# --- One open trial per patient ------------------------------------------------------------------


def test_patient_cannot_have_two_open_trials(module_trial_in, team):
    patient = module_trial_in("observation").patient
    with pytest.raises(ProtocolError, match="already has an open trial"):
        factories.create_trial(patient, team)
    assert patient.trials.count() == 1


@pytest.mark.parametrize("closed", ["completed", "cancelled"])
def test_new_trial_may_start_once_the_previous_one_is_closed(module_trial_in, team, closed):
    patient = module_trial_in(closed).patient
    second = factories.create_trial(patient, team)
    assert second.status == Phase.PREPARATION
    assert patient.trials.count() == 2
