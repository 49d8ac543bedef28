"""A form sent twice saves once (issue 9): the baseline assessment sent again with its
submission id keeps the first one, the same id with other values is refused with a message, and
of two physicians planning the next attempt at once the second is told it was planned already,
not that their dose is wrong."""

import uuid

import pytest
from django.db import connection
from django.urls import reverse

from audit.models import AuditEvent
from tests.security.test_concurrent_edits import race
from tests.views.support import local
from trials.models import Assessment, Trial


def _baseline_post(trial, submission, grade="2"):
    return {
        "submission": str(submission),
        "assessed_at": local(trial.created_at),
        "penn_frequency": 0,
        "mas_hip_flexors_left": grade,
    }


def test_a_double_submitted_baseline_saves_once_and_keeps_the_first(
    trial_in, client_for, neurologist
):
    trial = trial_in("preparation")
    client, url = client_for(neurologist), reverse("trials:baseline", args=[trial.pk])
    post = _baseline_post(trial, uuid.uuid4())

    assert client.post(url, post).status_code == 302
    first = Assessment.objects.get(trial=trial)
    assert client.post(url, post).status_code == 302

    assert list(Assessment.objects.filter(trial=trial)) == [first]  # not deleted and replaced
    assert first.scores.get().grade == "2"
    created = AuditEvent.objects.filter(trial=trial, action="create", object_type="Assessment")
    assert created.count() == 1
    assert not AuditEvent.objects.filter(trial=trial, summary__contains="replaced").exists()


def test_the_same_baseline_form_sent_again_with_other_grades_is_refused(
    trial_in, client_for, neurologist
):
    trial = trial_in("preparation")
    client, url = client_for(neurologist), reverse("trials:baseline", args=[trial.pk])
    submission = uuid.uuid4()
    first = client.post(url, _baseline_post(trial, submission, grade="2"), follow=True)
    assert "saved" in " ".join(str(m) for m in first.context["messages"])  # shown, as a browser

    response = client.post(url, _baseline_post(trial, submission, grade="3"), follow=True)

    assert response.status_code == 400
    page = response.content.decode()
    assert "already saved with other values; nothing was changed" in page
    assert "saved" not in " ".join(str(m) for m in response.context["messages"])
    assert Assessment.objects.get(trial=trial).scores.get().grade == "2"


def _plan(client, trial):
    return client.post(reverse("trials:plan_next", args=[trial.pk]), {"dose_mcg": "75"})


def test_the_second_physician_planning_the_next_attempt_is_told_it_is_planned_already(
    trial_in, client_for, neurologist
):
    trial = trial_in("follow_up_decided_nonresponder")
    first, second = client_for(neurologist), client_for(neurologist)
    second.get(reverse("trials:plan_next", args=[trial.pk]))  # both forms open

    assert _plan(first, trial).status_code == 302
    response = _plan(second, trial)

    assert response.status_code == 400
    page = response.content.decode()
    assert "someone may have moved it on already" in page
    assert "not a dose of the protocol" not in page
    assert trial.attempts.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent connections")
def test_of_two_simultaneous_plans_one_stands_and_the_other_hears_why(
    real_transactions, trial_in, client_for, neurologist
):
    trial = trial_in("follow_up_decided_nonresponder")
    first, second = client_for(neurologist), client_for(neurologist)

    results = race(lambda: _plan(first, trial), lambda: _plan(second, trial))

    assert sorted(r.status_code for r in results) == [302, 400]
    loser = next(r for r in results if r.status_code == 400).content.decode()
    assert "someone may have moved it on already" in loser
    assert "not a dose of the protocol" not in loser
    assert Trial.objects.get(pk=trial.pk).attempts.count() == 2
