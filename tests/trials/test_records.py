"""Clinical entries during observation: vital signs, adverse events, pain medication, scores.

The trials the entries are made in are built once for the module (tests/module_data.py), one
in each of TRIAL_STATES: each test's entries are rolled back after it."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import ProtocolError
from tests import module_data
from trials import scenarios
from trials.models import MasScore, Trial, VitalSigns
from trials.models.observation import VITAL_RANGES
from trials.services import records


def vitals_data(**overrides) -> dict:
    return {
        "recorded_at": timezone.now(), "heart_rate": 72, "systolic": 124, "diastolic": 78,
        "respiratory_rate": 14, "spo2": 98, "temperature_c": Decimal("36.8"), "sedation": 0,
        "pain": 1, "headache": False, "note": "",
    } | overrides  # fmt: skip


def ae_data(given_at, **overrides) -> dict:
    """An adverse event noticed just now (after the dose given at `given_at`)."""
    onset = max(given_at + timedelta(minutes=1), timezone.now() - timedelta(minutes=10))
    return {
        "kind": "headache", "severity": "mild", "onset_at": onset,
        "action_taken": "", "resolution": "", "resolved_at": None,
    } | overrides  # fmt: skip


def given_at(trial):
    return trial.attempts.get().given_at


TRIAL_STATES = ["injection", "observation", "follow_up"]
# The named users of the module are the people who built its trials.
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


@pytest.fixture
def observed(module_trial_in):
    return module_trial_in("observation")


# --- Vital signs ---------------------------------------------------------------------------------

LOW = {name: low for name, (low, _) in VITAL_RANGES.items()}
HIGH = {name: high for name, (_, high) in VITAL_RANGES.items()}

IMPLAUSIBLE = [
    {"heart_rate": 19}, {"heart_rate": 251},
    {"systolic": 49, "diastolic": 30}, {"systolic": 261},
    {"diastolic": 19}, {"diastolic": 161, "systolic": 200},
    {"respiratory_rate": 3}, {"respiratory_rate": 61},
    {"spo2": 49}, {"spo2": 101},
    {"temperature_c": Decimal("29.9")}, {"temperature_c": Decimal("43.1")},
    {"pain": 11},
    {"sedation": 4},
]  # fmt: skip


@pytest.mark.parametrize("overrides", IMPLAUSIBLE, ids=lambda o: ",".join(map(str, o.values())))
def test_database_refuses_implausible_vital_signs(observed, nurse, overrides):
    # Forms validate first (next tests); the database is the last line if a caller skips them.
    before = VitalSigns.objects.count()
    with pytest.raises(IntegrityError):
        records.vitals_record(trial_id=observed.pk, actor=nurse, data=vitals_data(**overrides))
    assert VitalSigns.objects.count() == before


@pytest.mark.parametrize("bound", [LOW, HIGH], ids=["lowest", "highest"])
def test_vital_signs_at_the_edge_of_the_plausible_range_are_accepted(observed, nurse, bound):
    vitals = records.vitals_record(trial_id=observed.pk, actor=nurse, data=vitals_data(**bound))
    vitals.refresh_from_db()
    assert (vitals.spo2, vitals.heart_rate) == (bound["spo2"], bound["heart_rate"])


@pytest.mark.parametrize("name", sorted(VITAL_RANGES))
def test_form_validation_flags_each_implausible_vital_sign(observed, nurse, name):
    vitals = VitalSigns(
        attempt=observed.attempts.get(), recorded_by=nurse, **vitals_data(**{name: HIGH[name] + 1})
    )
    with pytest.raises(ValidationError) as caught:
        vitals.full_clean()
    assert name in caught.value.message_dict


@pytest.mark.parametrize(("systolic", "diastolic"), [(120, 120), (110, 130)])
def test_diastolic_not_below_systolic_is_refused(observed, nurse, systolic, diastolic):
    with pytest.raises(ProtocolError, match="diastolic pressure must be lower"):
        records.vitals_record(
            trial_id=observed.pk,
            actor=nurse,
            data=vitals_data(systolic=systolic, diastolic=diastolic),
        )


def test_vital_signs_in_the_future_are_refused(observed, nurse):
    later = timezone.now() + timedelta(hours=1)
    with pytest.raises(ProtocolError, match="in the future"):
        records.vitals_record(
            trial_id=observed.pk, actor=nurse, data=vitals_data(recorded_at=later)
        )


def test_vital_signs_timed_before_the_injection_are_refused(observed, nurse):
    earlier = given_at(observed) - timedelta(minutes=20)
    with pytest.raises(ProtocolError, match="before the dose was given"):
        records.vitals_record(
            trial_id=observed.pk, actor=nurse, data=vitals_data(recorded_at=earlier)
        )


def test_double_submitted_vital_signs_are_stored_once(observed, nurse):
    submission = uuid.uuid4()
    before = VitalSigns.objects.count()
    audit_before = AuditEvent.objects.count()
    form = vitals_data()

    first = records.vitals_record(
        trial_id=observed.pk, actor=nurse, data=form, submission=submission
    )
    second = records.vitals_record(
        trial_id=observed.pk, actor=nurse, data=form, submission=submission
    )

    assert first.pk == second.pk
    assert VitalSigns.objects.count() == before + 1
    assert AuditEvent.objects.count() == audit_before + 1


def test_the_same_form_sent_again_with_other_values_is_refused(observed, nurse):
    submission = uuid.uuid4()
    records.vitals_record(
        trial_id=observed.pk, actor=nurse, data=vitals_data(heart_rate=72), submission=submission
    )
    with pytest.raises(ProtocolError, match="already saved with other values"):
        records.vitals_record(
            trial_id=observed.pk, actor=nurse, data=vitals_data(heart_rate=91),
            submission=submission,
        )  # fmt: skip
    assert observed.attempts.get().vitals.filter(heart_rate=91).count() == 0


def test_two_submissions_store_two_sets_of_vital_signs(observed, nurse):
    before = VitalSigns.objects.count()
    for _ in range(2):
        records.vitals_record(
            trial_id=observed.pk, actor=nurse, data=vitals_data(), submission=uuid.uuid4()
        )
    assert VitalSigns.objects.count() == before + 2


def test_admin_cannot_record_vital_signs(observed, admin_user):
    with pytest.raises(PermissionDenied):
        records.vitals_record(trial_id=observed.pk, actor=admin_user, data=vitals_data())


def test_vital_signs_are_refused_after_discharge(module_trial_in, nurse):
    trial = module_trial_in("follow_up")
    with pytest.raises(ProtocolError, match="during observation"):
        records.vitals_record(trial_id=trial.pk, actor=nurse, data=vitals_data())


# --- Adverse events ------------------------------------------------------------------------------


def _flag(trial) -> bool:
    return Trial.objects.with_severe_flag().get(pk=trial.pk).has_severe_ae


@pytest.mark.parametrize(
    ("severity", "flagged"),
    [("mild", False), ("moderate", False), ("severe", True), ("life_threatening", True)],
)
def test_severe_adverse_event_flags_the_trial(observed, trial_in, nurse, severity, flagged):
    trial, other = observed, trial_in("observation")
    data = ae_data(given_at(trial), severity=severity)
    records.adverse_event_record(trial_id=trial.pk, actor=nurse, data=data)

    assert _flag(trial) is flagged
    assert _flag(other) is False


def test_adverse_event_onset_before_the_injection_is_refused(observed, nurse):
    onset = given_at(observed) - timedelta(hours=1)
    with pytest.raises(ProtocolError, match="onset cannot be before the dose of attempt 1"):
        records.adverse_event_record(
            trial_id=observed.pk, actor=nurse, data=ae_data(given_at(observed), onset_at=onset)
        )


def test_adverse_event_resolved_before_onset_is_refused(observed, nurse):
    data = ae_data(given_at(observed))
    data["resolved_at"] = data["onset_at"] - timedelta(minutes=10)
    with pytest.raises(ProtocolError, match="resolution cannot be before the onset"):
        records.adverse_event_record(trial_id=observed.pk, actor=nurse, data=data)


def test_adverse_event_is_refused_before_the_dose_is_given(module_trial_in, nurse):
    trial = module_trial_in("injection")
    with pytest.raises(ProtocolError, match="after the dose is given"):
        records.adverse_event_record(trial_id=trial.pk, actor=nurse, data=ae_data(timezone.now()))


def test_adverse_event_can_still_be_recorded_at_follow_up(module_trial_in, nurse):
    trial = module_trial_in("follow_up")  # e.g. a post-dural-puncture headache the next day
    records.adverse_event_record(
        trial_id=trial.pk, actor=nurse, data=ae_data(given_at(trial), severity="severe")
    )
    assert _flag(trial) is True


# --- Spasticity scores ---------------------------------------------------------------------------


def _score(trial, actor, *, grades=None, frequency=2, severity=1, baseline=False):
    return records.assessment_record(
        trial_id=trial.pk, actor=actor, grades=grades or scenarios.grades("2"),
        penn_frequency=frequency, penn_severity=severity, assessed_at=timezone.now(),
        baseline=baseline,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("frequency", "severity", "message"),
    [(0, 1, "Leave Penn severity empty"), (2, None, "Give the Penn spasm severity"),
     (5, 1, "frequency .0 to 4."), (3, 4, "Give the Penn spasm severity")],
)  # fmt: skip
def test_inconsistent_penn_scores_are_refused(observed, neurologist, frequency, severity, message):
    with pytest.raises(ProtocolError, match=message):
        _score(observed, neurologist, frequency=frequency, severity=severity)
    assert not observed.assessments.filter(attempt__isnull=False).exists()


def test_no_spasms_is_frequency_zero_without_severity(observed, neurologist):
    assessment = _score(observed, neurologist, frequency=0, severity=None)
    assert (assessment.penn_frequency, assessment.penn_severity) == (0, None)


def test_mas_grade_5_is_refused(observed, neurologist):
    with pytest.raises(ProtocolError, match="“5” is not a Modified Ashworth grade"):
        _score(observed, neurologist, grades={("hip_flexors", "left"): "5"})


def test_database_refuses_a_mas_grade_outside_the_scale(observed, neurologist):
    assessment = _score(observed, neurologist)
    with pytest.raises(IntegrityError), transaction.atomic():
        MasScore.objects.create(
            assessment=assessment, group="wrist_flexors", side="left", grade="5"
        )


def test_groups_not_assessed_are_not_stored_as_scores(observed, neurologist):
    grades = {("hip_flexors", "left"): "2", ("hip_flexors", "right"): ""}
    assessment = _score(observed, neurologist, grades=grades)
    assert [(s.group, s.side, s.grade) for s in assessment.scores.all()] == [
        ("hip_flexors", "left", "2")
    ]


def test_assessment_with_no_group_scored_is_refused(observed, neurologist):
    with pytest.raises(ProtocolError, match="Score at least one muscle group"):
        _score(observed, neurologist, grades={("hip_flexors", "left"): ""})


def test_nurse_cannot_score_spasticity(observed, nurse):
    with pytest.raises(PermissionDenied):
        _score(observed, nurse)


def test_second_assessment_at_the_same_time_point_is_refused(observed, neurologist):
    with scenarios.clock(given_at(observed) + timedelta(minutes=120)):
        _score(observed, neurologist)
        with pytest.raises(ProtocolError, match="2 h assessment of attempt 1 is already"):
            _score(observed, neurologist)


def test_recording_the_baseline_again_replaces_it_and_audits_the_old_scores(trial_in, neurologist):
    trial = trial_in("preparation")
    _score(trial, neurologist, grades=scenarios.grades("3"), baseline=True)
    _score(trial, neurologist, grades=scenarios.grades("2"), baseline=True)

    assert trial.assessments.get().scores.first().grade == "2"
    replaced = trial.audit.get(action="change")
    assert replaced.old["hip_flexors/left"] == "3"


# --- Every entry is audited ----------------------------------------------------------------------


def _vitals(trial, team):
    return records.vitals_record(trial_id=trial.pk, actor=team.nurse, data=vitals_data())


def _adverse_event(trial, team):
    data = ae_data(given_at(trial))
    return records.adverse_event_record(trial_id=trial.pk, actor=team.nurse, data=data)


def _pain_medication(trial, team):
    data = {"drug": "Paracetamol", "dose": "1 g", "route": "oral", "given_at": timezone.now()}
    return records.pain_medication_record(trial_id=trial.pk, actor=team.nurse, data=data)


def _post_dose_assessment(trial, team):
    return _score(trial, team.neurologist)


@pytest.mark.parametrize(
    "record",
    [_vitals, _adverse_event, _pain_medication, _post_dose_assessment],
    ids=lambda f: f.__name__.strip("_"),
)
def test_each_entry_writes_one_audit_row(observed, team, record):
    before = set(observed.audit.values_list("pk", flat=True))

    entry = record(observed, team)

    rows = observed.audit.exclude(pk__in=before)
    assert [(r.action, r.object_type, r.object_id) for r in rows] == [
        ("create", type(entry).__name__, str(entry.pk))
    ]
    assert rows[0].actor.role in ("nurse", "neurologist")
    assert rows[0].patient_id == observed.patient_id
