"""The trials of the record tests: one in observation, kept as after a look at its page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import PASSWORD
from trials.services import amendments, records
from trials.services.snapshot import TrialSnapshot


@pytest.fixture
def observed(module_trial_in):
    trial = module_trial_in("observation")
    TrialSnapshot.load(trial.pk)  # a copy kept, as after the nurse's last look at the page
    return trial


@pytest.fixture
def full_record(observed, team):
    """The observed trial with a row in every table of the record."""
    attempt = observed.attempts.get()
    onset = max(attempt.given_at, timezone.now() - timedelta(minutes=10))
    event = {"kind": "headache", "severity": "mild", "onset_at": onset, "action_taken": "",
             "resolution": "", "resolved_at": None}  # fmt: skip
    records.adverse_event_record(trial_id=observed.pk, actor=team.nurse, data=event)
    pain = {"drug": "Paracetamol", "dose": "1 g", "route": "oral", "given_at": timezone.now()}
    records.pain_medication_record(trial_id=observed.pk, actor=team.nurse, data=pain)
    amendments.record_amend(
        trial_id=observed.pk, attempt_id=attempt.pk, record="injection", actor=team.neurologist,
        password=PASSWORD, values={"lot": "LOT-2292"}, reason="Misread.",
    )  # fmt: skip
    return observed
