"""The decision marks each treatment goal; close needs the follow-up checklist (DOMAIN §3)."""

import pytest

from core.errors import ProtocolError
from tests.ward.conftest import PASSWORD
from trials import scenarios
from trials.models import Trial
from trials.services import workflow


@pytest.fixture
def with_goals(trial_in):
    trial = trial_in("follow_up")
    Trial.objects.filter(pk=trial.pk).update(goals="Easier transfers\nSleep through the night")
    return trial


def test_the_decision_marks_each_treatment_goal(with_goals, team):
    attempt = workflow.attempt_decide(
        trial_id=with_goals.pk, actor=team.neurologist, password=PASSWORD, responder=False,
        goals={"Easier transfers": "partly", "Sleep through the night": "not_met"},
    )  # fmt: skip
    assert attempt.goal_outcomes == {
        "Easier transfers": "partly",
        "Sleep through the night": "not_met",
    }


def test_a_decision_with_an_unmarked_goal_is_refused(with_goals, team):
    with pytest.raises(ProtocolError, match="Mark the treatment goal “Sleep through the night”"):
        workflow.attempt_decide(
            trial_id=with_goals.pk, actor=team.neurologist, password=PASSWORD, responder=False,
            goals={"Easier transfers": "met"},
        )  # fmt: skip


def test_close_needs_the_follow_up_appointment_ticked(trial_in, team):
    trial = trial_in("follow_up_decided_nonresponder")
    with pytest.raises(ProtocolError, match="Follow-up appointment booked"):
        workflow.trial_close(
            trial_id=trial.pk, actor=team.neurologist, password=PASSWORD,
            outcome="not_candidate",
        )  # fmt: skip
    scenarios.tick_all(trial.pk, "follow_up", team)
    closed = workflow.trial_close(
        trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, outcome="not_candidate"
    )
    assert closed.status == "completed"
