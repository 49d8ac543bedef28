"""A write on a trial never holds up the audit row of someone reading it (PostgreSQL).

The 50-user load of `make bench-load` ended 15 requests in "deadlock detected": a page view
writes its audit row under the audit chain's lock, and that row's foreign key needs a key-share
lock on the trial; a writer held the trial `FOR UPDATE` and waited for the chain's lock. The
services now lock a trial (and a patient) `FOR NO KEY UPDATE`: writers still wait for each
other, but a row that only names the trial never waits for them, so no cycle can form."""

import threading
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection, transaction

from audit.services import audit_record
from trials.models import RecordSteps, Trial
from trials.services import checklist
from trials.services.phase import lock_trial

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks between two connections: PostgreSQL"
)


@contextmanager
def locked_by_a_writer(trial):
    """Another connection's service holds the trial's lock (as between locking the trial and
    taking the audit chain's lock) until the block ends."""
    locked, release = threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                lock_trial(trial.pk)
                locked.set()
                release.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert locked.wait(20)
        yield
    finally:
        release.set()
        thread.join(20)


def _lock_timeout(seconds: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{seconds}s'")


def test_an_audit_row_naming_a_trial_does_not_wait_for_its_writer(
    real_transactions, trial_in, team
):
    trial = trial_in("observation")
    with locked_by_a_writer(trial), transaction.atomic():
        _lock_timeout(3)
        try:
            audit_record(actor=team.nurse, action="view", summary="Viewed", trial=trial)
        except OperationalError as exc:  # lock_timeout: the reader waited for the writer
            pytest.fail(f"The audit row waited for the trial's writer: {exc}")


def test_two_writers_of_one_trial_still_wait_for_each_other(real_transactions, trial_in):
    trial = trial_in("observation")
    refused = pytest.raises(OperationalError, match="lock timeout")
    with locked_by_a_writer(trial), refused, transaction.atomic():
        _lock_timeout(1)
        lock_trial(trial.pk)


def _waiting_for_the_chain() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0] > 0


@contextmanager
def written_until_the_other_waits(write, waiting):
    """Another connection runs `write()` in a transaction and commits it only once this one
    waits for it (`waiting()`), as two users acting at once: yields {"value": what write
    returned} once written; on leaving, its commit has been made. "never_waited" in it: this
    connection never waited."""
    holding, first = threading.Event(), {}

    def writer():
        try:
            with transaction.atomic():
                first["value"] = write()
                holding.set()
                for _ in range(200):  # commit once the other waits
                    if waiting():
                        break
                    threading.Event().wait(0.05)
                else:
                    first["never_waited"] = True
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(20)
        yield first
    finally:
        thread.join(20)


def test_a_row_written_while_waiting_for_the_chain_follows_the_row_it_waited_for(
    real_transactions, nurse
):
    """The chain's lock and the read of the last row go in one round trip: the row read is the
    one committed while this writer waited, not the one before it."""
    from audit.models import AuditEvent

    audit_record(actor=nurse, action="change", summary="Before both")

    def first_row():
        return audit_record(actor=nurse, action="change", summary="First")

    with written_until_the_other_waits(first_row, _waiting_for_the_chain) as first:
        second = audit_record(actor=nurse, action="change", summary="Second")

    assert "never_waited" not in first
    assert second.prev_hash == first["value"].hash
    assert AuditEvent.objects.get(pk=second.pk).prev_hash == first["value"].hash


def _waiting_for_a_row() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype IN ('transactionid', "
            "'tuple')"
        )
        return cursor.fetchone()[0] > 0


def test_a_tick_that_waited_for_another_on_its_trial_continues_its_record_steps(
    real_transactions, trial_in, team
):
    """Two nurses tick one trial at once: the second waits for the first's lock. PostgreSQL
    then gives it the trial's row as the first left it, but reads a table joined to that row as
    it was before; the record steps read with the lock must include the first tick's step, or
    the second is read whole and every other process's copy with it (record_cache)."""
    trial = trial_in("observation")

    def first_tick():
        checklist.checklist_tick(
            trial_id=trial.pk, checklist_key="observation", item_key="rest_today",
            actor=team.nurse,
        )  # fmt: skip
        return Trial.objects.values_list("revision", flat=True).get(pk=trial.pk)

    waited = written_until_the_other_waits(first_tick, _waiting_for_a_row)
    with waited as first, transaction.atomic():
        second = checklist.checklist_tick(
            trial_id=trial.pk, checklist_key="observation", item_key="warning_signs",
            actor=team.nurse,
        )  # fmt: skip

    assert "never_waited" not in first
    assert set(second.snap.entries_for("observation", second.snap.attempt)) == {
        "rest_today",
        "warning_signs",
    }
    lines = [line.split(" ") for line in RecordSteps.objects.get(trial=trial).steps.splitlines()]
    assert lines[0][1] == first["value"]  # the second tick's step, from the first's revision
    assert lines[1][0] == first["value"]  # ... after the first tick's own: the chain unbroken
