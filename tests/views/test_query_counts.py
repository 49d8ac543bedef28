"""Pages read in a fixed number of queries, however many trials, attempts or vital signs exist.

Each test measures a page, adds data, and measures again: the counts must be equal (no query in
a loop) and stay under a ceiling (so a page that grows a fixed extra query is noticed too).

The lists and the trial page are measured on one set of trials, and the trial page of many
attempts for each role on one pair of trials: built once for the module and rolled back before
its tests read the counts (tests/module_data.py, rolled_back).
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests import factories, module_data
from tests.conftest import sign_in
from tests.module_data import rolled_back
from tests.views.conftest import adverse_event, inject
from trials import scenarios
from trials.models import SiteSettings
from trials.services.record_cache import CACHE as RECORDS
from trials.templatetags.kept import CACHE as PARTS
from trials.views import board as board_view

CEILING = 25
# The named users of the module are those of the data built once for it (module_people).
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


@pytest.fixture(autouse=True)
def _site_settings(db):
    # The first request of a fresh database creates the settings row; count from the second on.
    SiteSettings.current()


# However long building the data takes, the second request comes at the same time as the first.
pytestmark = pytest.mark.usefixtures("clock_stands_still")


def count_queries(client, url: str, **headers) -> int:
    """The queries of one request, read cold: no copy of any trial's record kept in this process
    (trials/services/record_cache.py), the case a page's fixed count must hold in."""
    client.get(url, **headers)  # a session due its refresh for activity refreshes it here
    caches[RECORDS].clear()
    caches[PARTS].clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured.captured_queries)


def observed(team, n: int) -> list:
    """n more trials in observation, some with vital signs or an adverse event."""
    trials = []
    for i in range(n):
        given_at = timezone.now() - timedelta(minutes=70 + i)
        trial = inject(team, given_at, vitals_at=[15, 30] if i % 3 == 0 else [])
        if i % 5 == 0:
            adverse_event(team, trial, severity="severe" if i % 10 == 0 else "mild")
        trials.append(trial)
    return trials


def mixed(team, n: int) -> None:
    """n more trials, half in preparation, a quarter each in injection and observation (the
    cheap phases to reach; follow-up is in the starting set)."""
    for i in range(n):
        if i % 4 == 3:
            observed(team, 1)
        else:
            state = "injection" if i % 4 == 2 else "preparation"
            factories.build_trial(state, team, factories.make_patient())


def signed_in(module_people) -> dict[str, Client]:
    SiteSettings.current()  # the first request would create it; count from the second
    return {name: sign_in(Client(), User.objects.get(pk=pk)) for name, pk in module_people.items()}


# --- The ward board ------------------------------------------------------------------------------


# The board shows at most BOARD_LIMIT trials (40). Lowered here, so that a board over its limit
# takes 12 trials to build rather than 50; the limit itself: tests/views/test_homes_bounded.py.
LIMIT = 8
IN_OBSERVATION = LIMIT + 4
REFRESH = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(scope="module")
def board(module_people, module_team, django_db_blocker) -> dict:
    """The board's queries, and its htmx refresh's, with 2 trials in observation and with 12
    (over the limit); the page with 12."""
    url = reverse("trials:board")
    with rolled_back(django_db_blocker), pytest.MonkeyPatch.context() as patch:
        patch.setattr(board_view, "BOARD_LIMIT", LIMIT)
        nurse = signed_in(module_people)["nurse"]
        observed(module_team, 2)
        small = (count_queries(nurse, url), count_queries(nurse, url, **REFRESH))
        observed(module_team, IN_OBSERVATION - 2)
        html = nurse.get(url).content.decode()
        large = (count_queries(nurse, url), count_queries(nurse, url, **REFRESH))
    return {"page": (small[0], large[0]), "refresh": (small[1], large[1]), "html": html}


def test_board_queries_do_not_grow_with_the_trials_in_observation(board):
    small, large = board["page"]

    # The board is bounded: BOARD_LIMIT rows, then how many more are in observation.
    assert board["html"].count('class="board-row') == LIMIT
    assert f"{IN_OBSERVATION - LIMIT} more in observation" in board["html"]
    assert small == large
    assert large <= CEILING


def test_board_refresh_queries_do_not_grow_either(board):
    small, large = board["refresh"]
    assert large == small


# --- The lists -----------------------------------------------------------------------------------

LISTS = ["trials:list", "trials:worklist", "patients:list"]
TRIAL_PAGE = "trial page"


@pytest.fixture(scope="module")
def grown(module_people, module_team, django_db_blocker) -> dict[str, tuple[int, int]]:
    """Per page (the lists and the trial page): its queries with a trial in each phase the growth
    adds to, and follow-up and cancelled (the trial list reads each non-empty phase separately,
    so both sides of a comparison fill the same phases), then with 45 more trials."""
    team = module_team
    with rolled_back(django_db_blocker):
        client = signed_in(module_people)
        observed(team, 1)
        for state in ("preparation", "injection", "follow_up", "cancelled"):
            factories.build_trial(state, team, factories.make_patient())
        trial = factories.build_trial("observation", team, factories.make_patient())
        adverse_event(team, trial, severity="severe")
        pages = {
            name: (
                client["neurologist" if name == "trials:worklist" else "admin_user"],
                reverse(name),
            )
            for name in LISTS
        }
        pages[TRIAL_PAGE] = (client["nurse"], trial.get_absolute_url())
        small = {name: count_queries(client, url) for name, (client, url) in pages.items()}

        mixed(team, 45)
        large = {name: count_queries(client, url) for name, (client, url) in pages.items()}
    return {name: (small[name], large[name]) for name in pages}


@pytest.mark.parametrize("name", LISTS)
def test_list_queries_do_not_grow_with_the_trials(grown, name):
    small, large = grown[name]

    assert small == large
    assert large <= CEILING


# --- The trial page ------------------------------------------------------------------------------


def test_trial_page_queries_do_not_grow_with_the_other_trials(grown):
    small, large = grown[TRIAL_PAGE]

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


USERS = ["nurse", "neurologist", "admin_user"]


@pytest.fixture(scope="module")
def many_attempts(module_people, module_team, django_db_blocker) -> dict:
    """A trial of one attempt and one of three, and each role's queries for their pages."""
    team = module_team
    with rolled_back(django_db_blocker):
        client = signed_in(module_people)
        one = _with_attempts(team, factories.make_patient(), [50])
        three = _with_attempts(team, factories.make_patient(), [50, 75, 100])
        return {
            "statuses": (one.status, three.status),
            "vitals": three.attempts.filter(vitals__isnull=False).count(),
        } | {
            user: [
                count_queries(client[user], trial.get_absolute_url())
                for trial in (one, three, three)
            ]
            for user in USERS
        }


@pytest.mark.parametrize("user", USERS)
def test_trial_page_queries_do_not_grow_with_attempts_and_vital_signs(many_attempts, user):
    one, three, three_again = many_attempts[user]
    assert many_attempts["statuses"] == ("follow_up", "follow_up")
    # 12 vital signs after each dose and the pre-dose set before it.
    assert many_attempts["vitals"] == 39

    assert one == three
    assert three_again <= CEILING


# --- The hot paths: exact counts ----------------------------------------------------------------
# Counted inside the test's transaction, where a service's transaction is a savepoint (SAVEPOINT
# and RELEASE instead of BEGIN and COMMIT) and the audit row's `atomic(savepoint=False)` adds none.
#
# The trial page: the session with its user, in one read (1; accounts/backends.py), whether this
# nurse has an authenticator (1), then
# - read cold: the trial's revision (1), the record (10: the trial and its patient, attempts,
#   vital signs, adverse events, pain medication, amendments, checklist entries, assessments,
#   scores, signatures);
# - from the page's frame (trials/services/kept_page.py): the trial's revision and the people
#   the record names, in one query (1);
# - once the clock moved past the frame, from a copy of the record kept for its revision: the
#   trial's revision and the people the record names (1 on PostgreSQL, one round trip; 2
#   elsewhere) (the first view after a change reads the frame's revision and people first:
#   one more);
# then the timeline (1) and the page view's audit row (on PostgreSQL the audit chain's lock
# with the next id and the last hash, two statements in one round trip, then the INSERT: 2;
# SQLite serialises writers itself: 2). No site settings: the process keeps them. In
# production, with BEGIN and COMMIT: 17 cold, 7 from the frame (was 20, then 19 cold and 10
# from the kept record, then 18 and 8 with the user read apart from the session).
PAGE_START, AUDIT_ROW = 1 + 1, 2
TRIAL_PAGE_QUERIES = PAGE_START + 1 + 10 + 1 + AUDIT_ROW
TRIAL_PAGE_KEPT_QUERIES = PAGE_START + 1 + 1 + AUDIT_ROW
TRIAL_PAGE_RECORD_KEPT_QUERIES = (
    PAGE_START + 1 + int(connection.vendor != "postgresql") + 1 + AUDIT_ROW
)

# The tick: the session with its user (1), then one transaction (SAVEPOINT ... RELEASE here, 2): the
# trial's revision read under its lock, with the trial's latest changes for the reply's timeline
# (one round trip on PostgreSQL: 1; 2 elsewhere), the record kept for that revision (the trial
# page was just read; it names no one yet, so no people are read), the entry's INSERT and the
# revision the tick gave the trial, read by the statement that writes the record's step (in one
# round trip on PostgreSQL: 1; 2 elsewhere; the entries are those read under the lock and the
# one stored, not read again; the record as the tick left it, kept for the next read), its
# audit row (2); then the panel rendered from it, the timeline with the tick's own change
# added, read again by nothing. In production: 7 on PostgreSQL (was 12, then 11, then 8).
APART = int(connection.vendor != "postgresql")  # statements sent together on PostgreSQL
TICK_QUERIES = 1 + 2 + 1 + APART + 1 + APART + AUDIT_ROW


def captured_sql(client, method: str, url: str, **headers) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, **headers)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_trial_page_reads_in_a_fixed_number_of_queries(trial_in, as_nurse, record_adverse_event):
    trial = trial_in("observation")
    record_adverse_event(trial, severity="severe")
    as_nurse.get(trial.get_absolute_url())  # the site settings, read once per process

    caches[RECORDS].clear()
    caches[PARTS].clear()
    cold = captured_sql(as_nurse, "get", trial.get_absolute_url())
    kept = captured_sql(as_nurse, "get", trial.get_absolute_url())

    assert len(cold) == TRIAL_PAGE_QUERIES, "\n".join(cold)
    assert len(kept) == TRIAL_PAGE_KEPT_QUERIES, "\n".join(kept)
    assert not any("trials_sitesettings" in q for q in cold)  # kept by the process a few seconds


def test_trial_page_past_its_frame_reads_the_kept_record_in_a_fixed_number_of_queries(
    trial_in, as_nurse, long_idle_limit
):
    trial = trial_in("observation")
    # SQLite may give an id again after a rollback: no frame of an earlier test's trial is left
    # under this one's id (a frame would not hold for it anyway: its revision is another).
    caches[PARTS].clear()
    as_nurse.get(trial.get_absolute_url())  # the record and the page's frame kept
    [frame] = [caches[PARTS].get(key.split(":", 2)[2]) for key in frames(trial)]
    with time_machine.travel(frame.clock_until, tick=False):  # the next slot's change
        as_nurse.get(reverse("trials:board"))  # a session due its refresh refreshes it here
        past = captured_sql(as_nurse, "get", trial.get_absolute_url())

    assert len(past) == TRIAL_PAGE_RECORD_KEPT_QUERIES, "\n".join(past)


def frames(trial) -> list[str]:
    return [key for key in caches[PARTS]._cache if f":trial-frame:{trial.pk}:" in key]


def test_a_tick_is_one_short_transaction_of_a_few_queries(trial_in, as_neurologist):
    trial = trial_in("preparation")
    as_neurologist.get(trial.get_absolute_url())
    url = reverse("trials:tick", args=[trial.pk, "preparation", "consent"])

    sql = captured_sql(as_neurologist, "post", url, HTTP_HX_REQUEST="true")

    assert len(sql) == TICK_QUERIES, "\n".join(sql)
    # The trial's row is read twice: its revision under the lock (the record is the copy kept
    # for it), and the revision the tick gave it, by the statement that writes the tick's record
    # step (record_cache._write_step); the panel is rendered from that record.
    [locked] = [q for q in sql if q.startswith("SELECT") and re.search(r'FROM "?trials_trial\b', q)]
    assert "revision" in locked
    if connection.vendor == "postgresql":  # SQLite locks the whole database for a writer
        assert "FOR NO KEY UPDATE" in locked
    inserts = [q.split()[2] for q in sql if q.startswith("INSERT")]
    # the tick and its record step (one round trip on PostgreSQL), and last its audit row: the
    # audit chain's lock, which every writer of every trial waits for, is held for that row and
    # the commit alone
    if connection.vendor == "postgresql":
        assert inserts == ['"trials_checklistentry"', '"trials_auditevent"']
        [tick] = [q for q in sql if q.startswith('INSERT INTO "trials_checklistentry"')]
        assert "; INSERT INTO trials_recordsteps" in tick
    else:
        assert inserts == ['"trials_checklistentry"', "trials_recordsteps", '"trials_auditevent"']
    if connection.vendor == "postgresql":
        chain = next(i for i, q in enumerate(sql) if "pg_advisory_xact_lock" in q)
        assert sql[chain + 1].startswith('INSERT INTO "trials_auditevent"')
        assert not any(q.startswith(("INSERT", "UPDATE", "DELETE")) for q in sql[chain + 2 :])
        assert sql[-1].startswith("RELEASE SAVEPOINT")  # the reply reads nothing more


def test_the_next_tick_reads_the_record_the_last_one_left(
    trial_in, as_neurologist, django_capture_on_commit_callbacks
):
    trial = trial_in("preparation")
    as_neurologist.get(trial.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):  # the tick's commit keeps its record
        as_neurologist.post(
            reverse("trials:tick", args=[trial.pk, "preparation", "consent"]),
            HTTP_HX_REQUEST="true",
        )
    url = reverse("trials:tick", args=[trial.pk, "preparation", "indication"])

    sql = captured_sql(as_neurologist, "post", url, HTTP_HX_REQUEST="true")

    # The record as the first tick left it, for the revision it gave the trial: the second tick
    # reads it from the copy (plus the one person it names now), not the ten queries of a cold
    # read.
    assert len(sql) == TICK_QUERIES + 1, "\n".join(sql)
    assert not any('FROM "trials_doseattempt"' in q for q in sql)
