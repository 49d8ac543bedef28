"""The treatment goals as marked with the decision (met / partly met / not met, DOMAIN §3) are
part of the record: shown with the decision in the summary and its PDF, and exported in the CSV
and FHIR."""

import csv
import io
import json

import pytest
from django.urls import reverse

from tests import module_data
from tests.conftest import PASSWORD
from tests.pdf_reader import pages
from trials.models import Trial
from trials.outcomes import summary
from trials.services import workflow
from trials.services.snapshot import TrialSnapshot

from .test_fhir import of_type

# The trials are built once for the module (tests/module_data.py): what a test changes is rolled
# back after it. The named users of the module are the people who built them.
TRIAL_STATES = ["follow_up", "follow_up_decided_nonresponder"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


GOALS = {"Easier transfers": "partly", "Sleep through the night": "not_met"}


@pytest.fixture
def decided(module_trial_in, team):
    trial = module_trial_in("follow_up")
    Trial.objects.filter(pk=trial.pk).update(goals="\n".join(GOALS))
    workflow.attempt_decide(
        trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, responder=False,
        reason="Little change.", goals=GOALS,
    )  # fmt: skip
    return trial


def test_the_summary_shows_each_goal_with_the_decision(decided):
    decision = summary.build(TrialSnapshot.load(decided.pk)).attempts[0].decision

    goals = [(k, v) for k, v in decision if k.startswith("Goal: ")]
    assert goals == [
        ("Goal: Easier transfers", "partly met"),
        ("Goal: Sleep through the night", "not met"),
    ]
    labels = [k for k, _ in decision]
    assert labels.index("Goal: Easier transfers") > labels.index("Decision")


def test_a_decision_without_goals_lists_none(module_trial_in, team):
    trial = module_trial_in("follow_up_decided_nonresponder")
    decision = summary.build(TrialSnapshot.load(trial.pk)).attempts[0].decision

    assert not any(k.startswith("Goal: ") for k, _ in decision)


def test_the_summary_page_shows_the_goals(decided, client_for, nurse):
    html = client_for(nurse).get(reverse("trials:summary", args=[decided.pk])).content.decode()

    assert "Goal: Easier transfers" in html and "partly met" in html
    assert "Goal: Sleep through the night" in html and "not met" in html


def test_the_pdf_writes_the_goals(decided, client_for, nurse):
    response = client_for(nurse).get(reverse("trials:summary_pdf", args=[decided.pk]))

    text = " ".join(pages(response.content))
    assert "Goal: Easier transfers partly met" in text
    assert "Goal: Sleep through the night not met" in text


def test_the_csv_carries_the_goals(decided, client_for, admin_user):
    response = client_for(admin_user).get(reverse("trials:outcomes_csv"), {"sheet": "attempts"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    (row,) = [r for r in rows if r["trial_id"] == str(decided.pk)]
    assert row["goal_outcomes"] == "Easier transfers: partly; Sleep through the night: not_met"


def test_fhir_carries_the_goals_on_the_decision(decided, client_for, nurse):
    bundle = json.loads(client_for(nurse).get(reverse("trials:fhir", args=[decided.pk])).content)
    (decision,) = [
        o for o in of_type(bundle, "Observation") if o.code.coding[0].code == "responder"
    ]

    assert [(c.code.text, c.valueCodeableConcept.text) for c in decision.component] == [
        ("Treatment goal: Easier transfers", "partly"),
        ("Treatment goal: Sleep through the night", "not_met"),
    ]
