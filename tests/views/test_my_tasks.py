"""My tasks: the home of nurses and neurologists. Every open trial's next task for this role,
the most urgent first (overdue, then due now, then coming up), with the patient, what is due
and since when; the whole row opens the form that does it."""

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.sessions import LAST_ACTIVITY
from tests import factories, module_data
from tests.conftest import sign_in
from tests.module_data import rolled_back
from trials import procedure, scenarios
from trials.models import SiteSettings, Trial
from trials.models import site as site_settings
from trials.services.snapshot import TrialSnapshot
from trials.tasks import trial_tasks
from trials.views import home

from .conftest import inject
from .support import element, html, local, section

TASKS = reverse("trials:tasks")

# The clock stands still: a task due "now" stays due through the request.
pytestmark = pytest.mark.usefixtures("clock_stands_still")
# The named users of the module are those of the data measured once for it (task_queries).
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


def row(page: str, trial) -> str:
    return element(page, "li", f'data-trial="{trial.pk}"')


def trial_order(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'task-row[^"]*" data-trial="(\d+)"', page)]


def task_link(page: str, trial) -> str:
    found = re.search(r'href="([^"]+)"', row(page, trial))
    assert found
    return found.group(1).replace("&amp;", "&")


def input_tag(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert found, f"No input {name} in the page."
    return found.group(0)


def on_the_clinic_clock(moment, fmt: str = "%H:%M") -> str:
    zone = zoneinfo.ZoneInfo(SiteSettings.current().time_zone)
    return moment.astimezone(zone).strftime(fmt)


def days_ago(days: float):
    return scenarios.clock(timezone.now() - timedelta(days=days))


# --- Who lands here ------------------------------------------------------------------------------


def test_admin_is_not_sent_to_my_tasks_and_may_not_open_it(as_admin):
    assert as_admin.get(reverse("home"))["Location"] == reverse("trials:list")
    assert as_admin.get(TASKS).status_code == 403


def test_nurse_and_neurologist_reach_the_ward_board_and_their_tasks_from_the_menu(
    as_nurse, as_neurologist
):
    for client in (as_nurse, as_neurologist):
        page = html(client.get(TASKS))
        nav = section(page, "<nav", "</nav>")
        assert f'href="{TASKS}">My tasks' in nav
        assert f'href="{reverse("trials:board")}">Ward board' in nav
    assert reverse("trials:worklist") in section(html(as_neurologist.get(TASKS)), "<nav", "</nav>")


def test_my_tasks_refreshing_itself_is_not_activity_so_a_page_left_open_times_out(as_nurse):
    assert '<div id="tasks" hx-get="' in html(as_nurse.get(TASKS))  # the container polls
    session = as_nurse.session
    session[LAST_ACTIVITY] = idle_since = int(timezone.now().timestamp()) - 10 * 60
    session.save()

    refresh = as_nurse.get(TASKS, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="tasks")

    assert refresh.status_code == 200
    assert as_nurse.session[LAST_ACTIVITY] == idle_since


# --- Per role ------------------------------------------------------------------------------------


def test_nurse_sees_her_preparation_tick_and_not_the_neurologists(trial_in, as_nurse):
    trial = trial_in("preparation")

    task = row(html(as_nurse.get(TASKS)), trial)

    assert "Tick: No active infection" in task
    assert "Indication documented" not in task
    assert "Baseline spasticity assessment" not in task


def test_neurologist_sees_the_preparation_items_he_ticks_and_the_baseline(trial_in, as_neurologist):
    trial = trial_in("preparation")

    task = row(html(as_neurologist.get(TASKS)), trial)

    assert "Tick: Indication documented" in task
    assert "Then: Tick: Eligibility confirmed" in task
    assert "Pregnancy status checked" not in task  # the nurse's (and optional)


def test_day_of_checklist_and_pre_dose_vitals_are_the_nurses_and_skin_preparation_his(
    trial_in, as_nurse, as_neurologist
):
    trial = trial_in("injection")

    nurse_row = row(html(as_nurse.get(TASKS)), trial)
    neuro_row = row(html(as_neurologist.get(TASKS)), trial)

    assert "Tick: Fasting as per site policy" in nurse_row
    assert "Skin cleaned" not in nurse_row
    assert "Tick: Skin cleaned; local anaesthetic applied" in neuro_row
    assert "Fasting" not in neuro_row and "vital signs" not in neuro_row


@pytest.mark.parametrize("state", ["preparation", "injection", "observation", "follow_up"])
def test_no_task_of_one_role_is_a_checklist_item_only_the_other_may_tick(state, trial_in):
    snap = TrialSnapshot(
        Trial.objects.for_tasks().get(pk=trial_in(state).pk), SiteSettings.current()
    )
    for role, other in (
        (procedure.NURSE, procedure.NEUROLOGIST),
        (procedure.NEUROLOGIST, procedure.NURSE),
    ):
        whats = {t.what for t in trial_tasks(snap, role, timezone.now())}
        for checklist in procedure.CHECKLISTS.values():
            for item in checklist.items:
                if item.roles == {other}:
                    assert f"Tick: {item.label}" not in whats, (role, item.key)


def test_signatures_wait_for_the_role_that_signs(trial_in, as_nurse, as_neurologist):
    ready = trial_in("preparation_ready")

    assert "Sign preparation complete" in row(html(as_neurologist.get(TASKS)), ready)
    assert f'data-trial="{ready.pk}"' not in html(as_nurse.get(TASKS))


def test_a_completed_or_cancelled_trial_never_appears(trial_in, as_nurse, as_neurologist):
    closed = [trial_in("completed"), trial_in("cancelled")]

    for client in (as_nurse, as_neurologist):
        page = html(client.get(TASKS))
        assert "Nothing is waiting for you now." in page
        for trial in closed:
            assert f'data-trial="{trial.pk}"' not in page


# --- Urgency -------------------------------------------------------------------------------------


def test_overdue_vital_signs_come_first_then_the_longest_waiting(trial_in, injected, as_nurse):
    with days_ago(2):
        oldest = trial_in("preparation")
    newest = trial_in("preparation")
    with days_ago(1):
        middle = trial_in("preparation")
    observed = injected(timezone.now() - timedelta(minutes=50))  # the 45 min set is due

    page = html(as_nurse.get(TASKS))

    assert trial_order(page) == [observed.pk, oldest.pk, middle.pk, newest.pk]
    first = row(page, observed)
    assert "Vital signs, 45 min" in first and "overdue" in first
    due_at = observed.attempts.get().given_at + timedelta(minutes=45)
    # The time alone when it falls today on the clinic's clock; with its date just past midnight.
    today = on_the_clinic_clock(timezone.now(), "%Y-%m-%d")
    fmt = "%H:%M" if on_the_clinic_clock(due_at, "%Y-%m-%d") == today else "%Y-%m-%d %H:%M"
    assert f"due {on_the_clinic_clock(due_at, fmt)}" in first


def test_an_unresolved_severe_adverse_event_comes_before_anything_overdue(
    trial_in, injected, record_adverse_event, as_nurse
):
    with days_ago(2):
        waiting = trial_in("preparation")
    overdue = injected(timezone.now() - timedelta(minutes=50))  # the 45 min set is due
    severe = injected(timezone.now() - timedelta(minutes=20), vitals_at=[15])
    record_adverse_event(severe, severity="severe")

    page = html(as_nurse.get(TASKS))

    assert trial_order(page) == [severe.pk, overdue.pk, waiting.pk]
    assert "Resolve the severe adverse event" in row(page, severe)


def test_a_task_since_another_day_shows_its_date(trial_in, as_nurse):
    with days_ago(3) as then:
        trial = trial_in("preparation")

    assert f"since {on_the_clinic_clock(then, '%Y-%m-%d %H:%M')}" in row(
        html(as_nurse.get(TASKS)), trial
    )


def test_vital_signs_still_to_come_are_listed_apart_as_coming_up(injected, as_nurse):
    trial = injected(timezone.now() - timedelta(minutes=16), vitals_at=[15])  # next at 30 min

    page = html(as_nurse.get(TASKS))

    upcoming = section(page, 'id="tasks-upcoming"', "</ul>")
    assert "Vital signs, 30 min" in row(upcoming, trial)
    assert "Nothing is waiting for you now." in page


def test_an_overdue_assessment_is_the_neurologists_and_the_vital_signs_are_not(
    injected, as_neurologist
):
    trial = injected(timezone.now() - timedelta(hours=2, minutes=10))

    task = row(html(as_neurologist.get(TASKS)), trial)

    assert "Spasticity assessment, 2 h" in task and "overdue" in task
    assert "Vital signs" not in task


# --- One tap opens the form ----------------------------------------------------------------------


def test_vital_signs_open_with_the_due_time_filled_in(injected, as_nurse):
    trial = injected(timezone.now() - timedelta(minutes=50))
    due_at = trial.attempts.get().given_at + timedelta(minutes=45)

    link = task_link(html(as_nurse.get(TASKS)), trial)
    form = html(as_nurse.get(link))

    assert link.startswith(reverse("trials:vitals", args=[trial.pk]))
    assert f'value="{local(due_at)}"' in input_tag(form, "recorded_at")


def test_vital_signs_form_ignores_a_due_time_still_to_come(trial_in, as_nurse):
    trial = trial_in("observation")
    later = local(timezone.now() + timedelta(minutes=20))

    form = html(as_nurse.get(reverse("trials:vitals", args=[trial.pk]), {"at": later}))

    assert f'value="{later}"' not in form
    assert f'value="{local(timezone.now())}"' in input_tag(form, "recorded_at")


def test_vital_signs_form_opens_at_now_when_the_due_time_would_be_a_late_entry(trial_in, as_nurse):
    trial = trial_in("observation")
    long_ago = local(timezone.now() - timedelta(minutes=90))  # the site's threshold: 60 min

    form = html(as_nurse.get(reverse("trials:vitals", args=[trial.pk]), {"at": long_ago}))

    assert f'value="{long_ago}"' not in form
    assert f'value="{local(timezone.now())}"' in input_tag(form, "recorded_at")


def test_a_checklist_task_opens_the_trial_page_at_its_item(trial_in, as_nurse):
    trial = trial_in("injection")

    link = task_link(html(as_nurse.get(TASKS)), trial)

    assert link == f"{trial.get_absolute_url()}#item-day_of-fasting"
    assert 'id="item-day_of-fasting"' in html(as_nurse.get(link))


@pytest.mark.parametrize(
    ("state", "url_name", "what"),
    [
        ("follow_up", "trials:decide", "Decide the response to attempt 1 (50 mcg)"),
        ("preparation_ready", "trials:sign_preparation", "Sign preparation complete"),
        ("injection_ready", "trials:injection", "Sign the injection"),
    ],
)
def test_neurologist_tasks_open_their_forms(state, url_name, what, trial_in, as_neurologist):
    trial = trial_in(state)

    page = html(as_neurologist.get(TASKS))

    assert what in row(page, trial)
    link = task_link(page, trial)
    assert link == reverse(url_name, args=[trial.pk])
    assert as_neurologist.get(link).status_code == 200


def test_an_overdue_assessment_opens_the_post_dose_assessment_form(injected, as_neurologist):
    trial = injected(timezone.now() - timedelta(hours=2, minutes=10))

    link = task_link(html(as_neurologist.get(TASKS)), trial)

    assert link == reverse("trials:assessment", args=[trial.pk])
    assert "Post-dose spasticity assessment" in html(as_neurologist.get(link))


def test_a_severe_adverse_event_not_resolved_opens_its_resolution(
    injected, record_adverse_event, as_nurse
):
    trial = injected(timezone.now() - timedelta(minutes=70), vitals_at=[15, 30, 45, 60])
    event = record_adverse_event(trial, severity="severe")

    page = html(as_nurse.get(TASKS))

    assert "Resolve the severe adverse event: Headache" in row(page, trial)
    assert task_link(page, trial) == reverse(
        "trials:adverse_event_resolve", args=[trial.pk, event.pk]
    )


# --- Bounded, whatever the history ---------------------------------------------------------------


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(TASKS).status_code == 200
    return len(captured.captured_queries)


def add_trials(team, n: int) -> None:
    """n open trials across the phases (a quarter of them in observation)."""
    for i in range(n):
        if i % 4 == 3:
            inject(team, timezone.now() - timedelta(minutes=50 + i), vitals_at=[15])
        else:
            factories.build_trial(
                ("preparation", "injection", "follow_up")[i % 4], team, factories.make_patient()
            )


@pytest.fixture(scope="module")
def task_queries(module_people, module_team, django_db_blocker) -> dict[str, tuple[int, int]]:
    """Each role's queries for My tasks with 2 open trials and a completed one, then with 20 open
    trials: built once for both roles and rolled back before the tests (tests/module_data.py)."""
    with rolled_back(django_db_blocker), pytest.MonkeyPatch.context() as patch:
        # As in every test (tests/conftest.py): the settings read once are kept however long
        # the trials take to build, so no count includes reading them again.
        patch.setattr(site_settings, "CACHE_SECONDS", float("inf"))
        SiteSettings.forget()
        SiteSettings.current()  # the first request would create it; count from the second
        clients = {
            role: sign_in(Client(), User.objects.get(pk=module_people[role]))
            for role in ("nurse", "neurologist")
        }
        add_trials(module_team, 2)
        factories.build_trial("completed", module_team, factories.make_patient())
        small = {role: count_queries(client) for role, client in clients.items()}
        add_trials(module_team, 18)
        return {role: (small[role], count_queries(client)) for role, client in clients.items()}


@pytest.mark.parametrize("role", ["nurse", "neurologist"])
def test_my_tasks_reads_in_a_fixed_number_of_queries(role, db, task_queries):
    small, large = task_queries[role]

    assert small == large
    assert large <= 20


def test_my_tasks_reads_at_most_its_limit_then_says_how_many_more(trial_in, as_nurse, monkeypatch):
    monkeypatch.setattr(home, "TASKS_LIMIT", 2)
    for _ in range(3):
        trial_in("preparation")

    page = html(as_nurse.get(TASKS))

    assert page.count('class="list-group-item p-0 task-row') == 2
    assert "1 more open trial not read here" in page
