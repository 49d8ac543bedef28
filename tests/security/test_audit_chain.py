"""Each audit row carries a hash chained to the previous row's; verify_audit finds any altered,
removed or reordered row, names it, and exits non-zero."""

import importlib
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django import db
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from audit.chain import GENESIS, row_hash
from audit.models import AuditEvent
from audit.services import audit_record
from tests import module_data

# The trial whose audit rows the tests read is built once for the module (tests/module_data.py):
# what a test writes, alters or removes is rolled back after it. The named users of the module
# are the people who built it.
TRIAL_STATES = ["injection"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user

CHAIN_MIGRATION = ("trials", "0003_audit_hash_chain")
chain_migration = importlib.import_module("trials.migrations." + CHAIN_MIGRATION[1])


@pytest.fixture
def rows(module_trial_in, nurse):
    """A trial's worth of audit rows (created, ticked, signed, ...), plus a few more."""
    module_trial_in("injection")
    for n in range(3):
        audit_record(actor=nurse, action="change", summary=f"Extra row {n}", new={"n": n})
    return list(AuditEvent.objects.order_by("pk"))


def verify() -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except CommandError as exc:
        raise AssertionError(err.getvalue() + str(exc)) from exc
    return out.getvalue()


def verify_fails() -> str:
    err = io.StringIO()
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def test_each_row_hashes_its_content_and_the_previous_rows_hash(rows):
    assert len(rows) > 10
    assert rows[0].prev_hash == GENESIS
    for before, row in zip(rows, rows[1:], strict=False):
        assert row.prev_hash == before.hash
    for row in rows:
        assert len(row.hash) == 64
        assert row.hash == row_hash(row, row.prev_hash)


def test_the_hash_covers_every_column(rows):
    row = rows[-1]
    for name, value in [
        ("summary", "Rewritten"),
        ("actor_name", "Someone else"),
        ("action", "view"),
        ("new", {"n": 99}),
        ("old", {"n": 1}),
        ("reason", "because"),
        ("at", row.at + timedelta(microseconds=1)),
        ("object_id", "7"),
        ("trial_id", 12345),
        ("patient_id", 12345),
        ("actor_id", 12345),
        ("id", row.pk + 1),
    ]:
        changed = SimpleNamespace(**{f.attname: getattr(row, f.attname) for f in row._meta.fields})
        changed.pk = row.pk
        setattr(changed, name, value)
        if name == "id":
            changed.pk = value
        assert row_hash(changed, row.prev_hash) != row.hash, name


def test_verify_audit_passes_an_intact_chain(rows):
    out = verify()
    assert f"Audit trail intact: {len(rows)} rows chained" in out
    assert rows[-1].hash in out


def test_verify_audit_passes_an_empty_trail(db):
    assert "Audit trail intact: 0 rows" in verify()


def test_an_altered_row_is_named(rows, tamper):
    victim = rows[5]
    tamper(
        "UPDATE trials_auditevent SET summary = %s WHERE id = %s", ["Nothing happened", victim.pk]
    )

    report = verify_fails()

    assert f"Row {victim.pk} was altered" in report
    assert report.count("Row ") == 1


def test_an_altered_old_or_new_value_is_named(rows, tamper):
    victim = next(r for r in rows if r.new)
    tamper("UPDATE trials_auditevent SET new = %s WHERE id = %s", ['{"forged": true}', victim.pk])

    assert f"Row {victim.pk} was altered" in verify_fails()


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link(rows, tamper):
    victim, after = rows[4], rows[5]
    victim.summary = "Nothing happened"
    forged = row_hash(victim, victim.prev_hash)
    tamper(
        "UPDATE trials_auditevent SET summary = %s, hash = %s WHERE id = %s",
        [victim.summary, forged, victim.pk],
    )

    report = verify_fails()

    assert f"Row {after.pk} does not follow row {victim.pk}" in report


def test_a_removed_row_is_named_by_its_neighbours(rows, tamper):
    before, victim, after = rows[3], rows[4], rows[5]
    tamper("DELETE FROM trials_auditevent WHERE id = %s", [victim.pk])

    report = verify_fails()

    assert f"Row {after.pk} does not follow row {before.pk}" in report


def test_removing_the_first_rows_is_found(rows, tamper):
    tamper("DELETE FROM trials_auditevent WHERE id <= %s", [rows[1].pk])

    report = verify_fails()

    assert f"Row {rows[2].pk} does not follow the start of the chain" in report


def test_swapped_rows_are_named(rows, tamper):
    a, b = rows[3], rows[6]
    # Exchange the two rows' places in the order (every column moves with its row).
    tamper("UPDATE trials_auditevent SET id = %s WHERE id = %s", [-1, a.pk])
    tamper("UPDATE trials_auditevent SET id = %s WHERE id = %s", [a.pk, b.pk])
    tamper("UPDATE trials_auditevent SET id = %s WHERE id = %s", [b.pk, -1])

    report = verify_fails()

    assert f"Row {a.pk} was altered or moved" in report
    assert f"Row {b.pk} was altered or moved" in report
    assert f"Row {a.pk} is out of order: in the chain it follows row {rows[5].pk}" in report


def test_verify_audit_exits_with_status_1_on_a_broken_chain(rows, tamper, capsys, monkeypatch):
    tamper("DELETE FROM trials_auditevent WHERE id = %s", [rows[2].pk])
    # A command run from the command line closes the connections at its end: keep the test's.
    monkeypatch.setattr(db.connections, "close_all", lambda: None)

    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "verify_audit"])

    assert exited.value.code == 1
    assert f"Row {rows[3].pk} does not follow row {rows[1].pk}" in capsys.readouterr().err


def test_a_rolled_back_change_leaves_the_chain_intact(rows, nurse):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=nurse, action="change", summary="Rolled back with its change")
        raise RuntimeError
    audit_record(actor=nurse, action="change", summary="After the rollback")

    verify()


def test_the_migration_chains_rows_written_before_it(rows, tamper):
    tamper("UPDATE trials_auditevent SET prev_hash = '', hash = ''")
    assert "NOT intact" in _report_without_raising()

    # The migration's own view of the models (plain managers, as when it runs for real).
    state = MigrationLoader(connection).project_state(CHAIN_MIGRATION)
    editor = SimpleNamespace(connection=connection, execute=_execute)
    chain_migration.chain_existing_rows(state.apps, editor)

    verify()
    assert AuditEvent.objects.get(pk=rows[0].pk).prev_hash == GENESIS


def _execute(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _report_without_raising() -> str:
    try:
        call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as exc:
        return str(exc)
    return "intact"
