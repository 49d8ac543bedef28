"""Real races on PostgreSQL: two people save the same record at the same moment, each through
their own database connection (a thread each, every statement committed as in production).
Exactly one save stands; the other is refused with the winner's values beside the loser's,
and nothing of the winner's is overwritten. (Today's code let the second save silently revert
the first in every pair.)"""

import threading
from types import SimpleNamespace

import pytest
from django.db import connection

from tests.security.edit_records import RECORDS, page_values, person

ROUNDS = 3

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrent connections: PostgreSQL"
)


def race(*posts):
    """Run the posts at the same moment, each in its own thread and database connection."""
    start = threading.Barrier(len(posts))
    results: list = [None] * len(posts)

    def run(index, post):
        try:
            start.wait()
            results[index] = post()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            results[index] = exc
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("name", RECORDS)
def test_of_two_simultaneous_saves_one_stands_and_the_other_is_refused(
    name, real_transactions, trial_in, make_patient, adverse_event_of, team, admin_user,
    client_for,
):  # fmt: skip
    spec = RECORDS[name]
    trial = trial_in(spec.state) if spec.state else None
    event = adverse_event_of(trial) if name == "adverse-event resolution" else None
    ctx = SimpleNamespace(trial=trial, event=event, patient=make_patient(allergies="none"))
    first = client_for(person(spec.first, team, admin_user))
    second = client_for(person(spec.second, team, admin_user))
    url = spec.url(ctx)

    for ctx.n in range(ROUNDS):
        yours, theirs = page_values(first, url), page_values(second, url)
        before = spec.stored(ctx)
        mine, other = yours | spec.yours(ctx), theirs | spec.theirs(ctx)
        a, b = race(lambda: first.post(url, mine), lambda: second.post(url, other))  # noqa: B023

        for response in (a, b):
            assert not isinstance(response, BaseException), response
        assert sorted([a.status_code, b.status_code]) == [302, 400], name
        winner, winning = (spec.yours(ctx), a) if a.status_code == 302 else (spec.theirs(ctx), b)
        loser = b if winning is a else a
        assert "Nothing of yours was saved." in loser.content.decode()
        stored = spec.stored(ctx)
        changed = {k: v for k, v in winner.items() if k in stored}
        assert {k: stored[k] for k in changed} == changed
        assert stored != before
