"""On PostgreSQL the homes read the open trials through indexes, not the whole history.

With sequential scans priced out (enable_seqscan off), no plan of the homes' reads may scan
the trials table; the trial list's groups use the partial indexes on the open and the closed
phases (migration trials/0010), the doses given in the last day the partial index on the doses
not discharged (trials/0017), and the severe-adverse-event flag reads the attempts of the trials
shown only, not every attempt of the history.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trials.models import Trial

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")


TABLES = ("trials_trial", "trials_doseattempt", "trials_adverseevent", "patients_patient")


@pytest.fixture(autouse=True)
def never_analyzed(db):
    """The plans are read as for tables never analyzed, whatever autovacuum last saw here: other
    test files in the same worker commit and delete hundreds of trials, and statistics taken
    then (604 trials, a few adverse events) made the planner scan the attempts by primary key.
    Rolled back with the test (a plain UPDATE of the catalogue; the tests run as the
    database's owner)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE relname = ANY(%s)",
            [list(TABLES)],
        )
        cursor.execute(
            "DELETE FROM pg_statistic WHERE starelid = ANY(SELECT oid FROM pg_class "
            "WHERE relname = ANY(%s))",
            [list(TABLES)],
        )


@pytest.fixture
def plan(db):
    def explain(queryset) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()

    return explain


# Each home's read of which trials it shows (the rows of those are read by their ids).
HOMES = {
    "board": lambda now: Trial.objects.observed_now(now).heads(40),
    "discharge not recorded": lambda now: Trial.objects.discharge_not_recorded(now).heads(10),
    "worklist": lambda now: Trial.objects.waiting_for_neurologist(now).heads(50),
}


@pytest.mark.parametrize(
    "read",
    [
        *HOMES.values(),
        lambda now: Trial.objects.open().order_by().values_list("status"),
    ],
    ids=[*HOMES, "open phase counts"],
)
def test_homes_read_the_trials_through_an_index(db, read):
    [text] = _explain_each(lambda: list(read(timezone.now())))

    assert "Seq Scan on trials_trial" not in text
    assert "Seq Scan on trials_doseattempt" not in text


@pytest.mark.parametrize(
    ("phase", "index"),
    [("preparation", "trial_open_recent"), ("completed", "trial_closed_recent")],
)
def test_each_group_of_the_trial_list_uses_its_partial_index(plan, phase, index):
    text = plan(Trial.objects.recent_in_phase(phase)[:10])

    assert index in text


def _explain_each(read) -> list[str]:
    """The plan of every query `read()` sends, with sequential scans priced out."""
    with CaptureQueriesContext(connection) as captured:
        read()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plans = []
        for query in captured.captured_queries:
            cursor.execute(f"EXPLAIN {query['sql']}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def test_trial_list_reads_each_phase_from_its_partial_index(db):
    groups = _explain_each(lambda: Trial.objects.recent_heads_of_each_phase(10))[0]

    # An open phase's few rows are read from either partial index on the open trials.
    assert groups.count("trial_open_recent") + groups.count("one_open_trial_per_patient") >= 4
    assert groups.count("trial_closed_recent") == 2
    assert "Seq Scan on trials_trial" not in groups


@pytest.mark.parametrize("read", HOMES.values(), ids=HOMES)
def test_doses_of_the_last_day_are_found_in_the_index_of_those_not_discharged(db, read):
    [text] = _explain_each(lambda: list(read(timezone.now())))

    assert "attempt_not_discharged" in text


def test_severe_flag_reads_only_the_attempts_of_the_trials_shown(plan):
    text = plan(Trial.objects.for_list()[:10])

    # Each scan of the attempts is bounded by one trial's id: a subquery per trial shown, never
    # one pass over every attempt to hash them. The planner may read the index directly or
    # through a bitmap (its first line then a "Recheck Cond"); either is bounded by the trial.
    lines = text.splitlines()
    scans = [i for i, line in enumerate(lines) if "on trials_doseattempt" in line]
    assert scans
    for i in scans:
        assert "Cond: (trial_id = trials_trial.id)" in lines[i + 1], text
