"""Pages read in a fixed number of queries, however many trials, attempts or vital signs exist.

Each test measures a page, adds data, and measures again: the counts must be equal (no query in
a loop) and stay under a ceiling (so a page that grows a fixed extra query is noticed too).
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from trials import scenarios
from trials.models import SiteSettings
from trials.views.board import BOARD_LIMIT

CEILING = 25


@pytest.fixture(autouse=True)
def _site_settings(db):
    # The first request of a fresh database creates the settings row; count from the second on.
    SiteSettings.current()


# However long building the data takes, the second request comes at the same time as the first.
pytestmark = pytest.mark.usefixtures("clock_stands_still")


def count_queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.fixture
def add_observed(injected, record_adverse_event):
    """add_observed(n): n more trials in observation, some with vital signs or an adverse event."""

    def add(n: int) -> list:
        trials = []
        for i in range(n):
            given_at = timezone.now() - timedelta(minutes=70 + i)
            trial = injected(given_at, vitals_at=[15, 30] if i % 3 == 0 else [])
            if i % 5 == 0:
                record_adverse_event(trial, severity="severe" if i % 10 == 0 else "mild")
            trials.append(trial)
        return trials

    return add


@pytest.fixture
def add_mixed(trial_in, add_observed):
    """add_mixed(n): n more trials, half in preparation, a quarter each in injection and
    observation (the cheap phases to reach; follow-up is in the starting set)."""

    def add(n: int) -> None:
        for i in range(n):
            if i % 4 == 3:
                add_observed(1)
            else:
                trial_in("injection" if i % 4 == 2 else "preparation")

    return add


# --- The ward board ------------------------------------------------------------------------------


def test_board_queries_do_not_grow_with_the_trials_in_observation(add_observed, as_nurse):
    add_observed(2)
    small = count_queries(as_nurse, reverse("trials:board"))

    add_observed(48)
    response = as_nurse.get(reverse("trials:board"))
    large = count_queries(as_nurse, reverse("trials:board"))

    # The board is bounded: BOARD_LIMIT rows, then how many more are in observation.
    assert response.content.decode().count('class="board-row') == BOARD_LIMIT
    assert f"{50 - BOARD_LIMIT} more in observation" in response.content.decode()
    assert small == large
    assert large <= CEILING


def test_board_refresh_queries_do_not_grow_either(add_observed, as_nurse):
    add_observed(2)
    small = count_queries(as_nurse, reverse("trials:board"), HTTP_HX_REQUEST="true")
    add_observed(8)
    assert count_queries(as_nurse, reverse("trials:board"), HTTP_HX_REQUEST="true") == small


# --- The lists -----------------------------------------------------------------------------------

LISTS = ["trials:list", "trials:worklist", "patients:list"]


@pytest.fixture
def one_per_phase(trial_in, add_observed):
    """A trial in each phase the growth adds to, and follow-up and cancelled: the trial list
    reads each non-empty phase separately, so both sides of a comparison fill the same phases."""
    add_observed(1)
    return [trial_in(state) for state in ("preparation", "injection", "follow_up", "cancelled")]


@pytest.mark.parametrize("name", LISTS)
def test_list_queries_do_not_grow_with_the_trials(
    name, one_per_phase, add_mixed, client_for, admin_user, neurologist
):
    client = client_for(neurologist if name == "trials:worklist" else admin_user)
    small = count_queries(client, reverse(name))

    add_mixed(45)
    large = count_queries(client, reverse(name))

    assert small == large
    assert large <= CEILING


# --- The trial page ------------------------------------------------------------------------------


def test_trial_page_queries_do_not_grow_with_the_other_trials(
    trial_in, add_mixed, as_nurse, record_adverse_event
):
    trial = trial_in("observation")
    record_adverse_event(trial, severity="severe")
    trial_in("follow_up")
    small = count_queries(as_nurse, trial.get_absolute_url())

    add_mixed(48)
    large = count_queries(as_nurse, trial.get_absolute_url())

    assert small == large
    assert large <= CEILING


def _with_attempts(team, patient, doses: list[int]):
    """Every dose given, observed to 8 h (12 vital signs, 2 scores), an adverse event and a pain
    medication each, discharged and judged not effective: the trial waits in follow-up."""
    trial = factories.create_trial(patient, team)
    start = timezone.now() - timedelta(days=len(doses))
    scenarios.prepare(trial, team, at=start - timedelta(hours=2))
    for i, dose in enumerate(doses):
        given_at = start + timedelta(days=i, hours=i)
        if i:
            plan_at = given_at - timedelta(hours=1)
            scenarios.plan_next(trial, team, dose_mcg=dose, at=plan_at)
        scenarios.inject(trial, team, given_at=given_at)
        onset = given_at + timedelta(hours=1)
        scenarios.adverse_event(trial, team, onset=onset, action_taken="Fluids")
        scenarios.pain_medication(trial, team, at=onset)
        end = given_at + timedelta(minutes=485)
        with scenarios.clock(end):
            scenarios.observe(trial, team, post_grade="3", given_at=given_at)
            for minutes in (300, 360, 420, 480):
                scenarios.vitals(trial, team, at=given_at + timedelta(minutes=minutes))
        scenarios.discharge(trial, team, at=end)
        scenarios.decide(trial, team, responder=False, at=end + timedelta(minutes=5))
    trial.refresh_from_db()
    return trial


@pytest.mark.parametrize("user", ["nurse", "neurologist", "admin_user"])
def test_trial_page_queries_do_not_grow_with_attempts_and_vital_signs(
    request, team, make_patient, client_for, user
):
    client = client_for(request.getfixturevalue(user))
    one = _with_attempts(team, make_patient(), [50])
    three = _with_attempts(team, make_patient(), [50, 75, 100])
    assert (one.status, three.status) == ("follow_up", "follow_up")
    # 12 vital signs after each dose and the pre-dose set before it.
    assert three.attempts.filter(vitals__isnull=False).count() == 39

    assert count_queries(client, one.get_absolute_url()) == count_queries(
        client, three.get_absolute_url()
    )
    assert count_queries(client, three.get_absolute_url()) <= CEILING


# --- The hot paths: exact counts ----------------------------------------------------------------
# Counted inside the test's transaction, where a service's transaction is a savepoint (SAVEPOINT
# and RELEASE instead of BEGIN and COMMIT) and the audit row's `atomic(savepoint=False)` adds none.
#
# The trial page: the session and its user (2), whether this nurse has an authenticator (1), the
# trial with everything the page shows (11: the trial and its patient, the timeline, attempts,
# vital signs, adverse events, pain medication, amendments, checklist entries, assessments,
# scores, signatures), the page view's audit row (on PostgreSQL the audit chain's lock, the next
# id with the last hash, the INSERT: 3; SQLite serialises writers itself: 2). No site settings:
# the process keeps them. In production: 18 on PostgreSQL, with BEGIN and COMMIT (was 20).
TRIAL_PAGE_QUERIES = {"postgresql": 2 + 1 + 11 + 3, "sqlite": 2 + 1 + 11 + 2}

# The tick: the session and its user (2), then one transaction (SAVEPOINT ... RELEASE here, 2): the
# trial read with its lock and what the checks need (5 for a trial in preparation: the trial,
# attempts, checklist entries, assessments, signatures), the entry's INSERT (1), its audit row
# (3 on PostgreSQL, 2 on SQLite); then the panel rendered from what the transaction read, with
# the timeline beside it (1). In production: 14 on PostgreSQL (was 24).
TICK_QUERIES = {"postgresql": 2 + 2 + 5 + 1 + 3 + 1, "sqlite": 2 + 2 + 5 + 1 + 2 + 1}


def captured_sql(client, method: str, url: str, **headers) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, **headers)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_trial_page_reads_in_a_fixed_number_of_queries(trial_in, as_nurse, record_adverse_event):
    trial = trial_in("observation")
    record_adverse_event(trial, severity="severe")
    as_nurse.get(trial.get_absolute_url())  # the site settings, read once per process

    sql = captured_sql(as_nurse, "get", trial.get_absolute_url())

    assert len(sql) == TRIAL_PAGE_QUERIES[connection.vendor], "\n".join(sql)
    assert not any("trials_sitesettings" in q for q in sql)  # kept by the process a few seconds


def test_a_tick_is_one_short_transaction_of_a_few_queries(trial_in, as_neurologist):
    trial = trial_in("preparation")
    as_neurologist.get(trial.get_absolute_url())
    url = reverse("trials:tick", args=[trial.pk, "preparation", "consent"])

    sql = captured_sql(as_neurologist, "post", url, HTTP_HX_REQUEST="true")

    assert len(sql) == TICK_QUERIES[connection.vendor], "\n".join(sql)
    # The trial is read once, under its lock, and the panel is rendered from that read.
    assert sum(q.startswith('SELECT "trials_trial".') for q in sql) == 1
    assert sum(q.startswith("INSERT") for q in sql) == 2  # the tick and its audit row
