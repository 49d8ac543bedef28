"""Templates show a link or button exactly to those the protocol lets use it: `can.*` flags from
procedure.ACTION_ROLES and MOVES (trials/presenters.can_flags), never a role name compared in a
template. The neurologist's worklist step comes from the protocol's decision blockers."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from trials.models import SiteSettings, Trial
from trials.services import workflow
from trials.views.home import _neurologist_step

from .support import html

TEMPLATES = Path(settings.BASE_DIR) / "templates"
USERS = ["nurse", "neurologist", "admin_user"]


def test_no_template_compares_a_role():
    literal = re.compile(r"""role\s*(==|!=|in)\s*['"]|['"]\s*in\s*user\.role""")
    found = [
        f"{path.relative_to(TEMPLATES)}: {line.strip()}"
        for path in TEMPLATES.rglob("*.html")
        for line in path.read_text().splitlines()
        if literal.search(line)
    ]
    assert found == []


@pytest.fixture
def page_as(request, client_for):
    def get(user: str, url: str) -> str:
        return html(client_for(request.getfixturevalue(user)).get(url))

    return get


@pytest.mark.parametrize("user, shown", [("nurse", True), ("neurologist", True),
                                         ("admin_user", False)])  # fmt: skip
def test_new_patient_is_offered_to_those_who_may_add_one(page_as, user, shown):
    page = page_as(user, reverse("patients:list"))

    assert (reverse("patients:create") in page) is shown


@pytest.mark.parametrize("user, shown", [("nurse", True), ("neurologist", True),
                                         ("admin_user", False)])  # fmt: skip
def test_edit_and_start_a_trial_are_offered_to_those_who_may(page_as, patient, user, shown):
    page = page_as(user, reverse("patients:detail", args=[patient.pk]))

    assert (reverse("patients:edit", args=[patient.pk]) in page) is shown
    assert (reverse("trials:create", args=[patient.pk]) in page) is shown


@pytest.mark.parametrize(
    "user, label",
    [("nurse", None), ("neurologist", "My worklist"), ("admin_user", "Neurologist worklist")],
)
def test_the_worklist_link_is_theirs_only_for_those_who_decide(page_as, user, label):
    page = page_as(user, reverse("trials:list"))
    link = re.search(rf'<a class="nav-link" href="{reverse("trials:worklist")}">([^<]*)</a>', page)

    assert (link.group(1) if link else None) == label


@pytest.mark.parametrize("user", USERS)
def test_the_admin_menu_shows_to_admins_only(page_as, user):
    page = page_as(user, reverse("trials:list"))
    links = [reverse("trials:site_settings"), reverse("trials:audit"), reverse("admin:index")]

    assert [url in page for url in links] == [user == "admin_user"] * 3


def worklist_step(trial) -> str | None:
    now = timezone.now()
    trial = Trial.objects.waiting_for_neurologist(now).with_worklist_row().get(pk=trial.pk)
    return _neurologist_step(trial, SiteSettings.current(), now)


def test_worklist_asks_for_the_late_scores_when_nothing_can_be_decided(trial_in, team):
    trial = trial_in("observation")  # no post-dose score yet; discharged for a transfer
    workflow.attempt_discharge_exception(
        trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, reason="Transfer."
    )

    assert worklist_step(trial) == (
        "Record the post-dose scores of attempt 1 (late entry), then decide the response"
    )


def test_worklist_asks_for_the_decision_once_it_can_be_made(trial_in):
    assert worklist_step(trial_in("follow_up")) == "Decide the response to attempt 1 (50 mcg)"


def test_worklist_asks_to_plan_or_close_once_decided(trial_in):
    step = worklist_step(trial_in("follow_up_decided_nonresponder"))

    assert step == "Plan the next attempt or close the trial"
