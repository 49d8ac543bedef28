"""On PostgreSQL the homes read the open trials through indexes, not the whole history.

With sequential scans priced out (enable_seqscan off), no plan of the homes' reads may scan
the trials table; the trial list's groups use the partial indexes on the open and the closed
phases (migration trials/0007).
"""

import pytest
from django.db import connection
from django.utils import timezone

from trials.models import Trial

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")


@pytest.fixture
def plan(db):
    def explain(queryset) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()

    return explain


@pytest.mark.parametrize(
    "read",
    [
        lambda now: Trial.objects.for_ward_board(now)[:40],
        lambda now: Trial.objects.discharge_not_recorded(now)[:10],
        lambda now: Trial.objects.for_worklist(now)[:50],
        lambda now: Trial.objects.open().order_by().values_list("status"),
    ],
    ids=["board", "discharge not recorded", "worklist", "open phase counts"],
)
def test_homes_read_the_trials_through_an_index(plan, read):
    text = plan(read(timezone.now()))

    assert "Seq Scan on trials_trial" not in text
    assert "Seq Scan on trials_doseattempt" not in text


@pytest.mark.parametrize(
    ("phase", "index"),
    [("preparation", "trial_open_recent"), ("completed", "trial_closed_recent")],
)
def test_each_group_of_the_trial_list_uses_its_partial_index(plan, phase, index):
    text = plan(Trial.objects.recent_in_phase(phase)[:10])

    assert index in text
