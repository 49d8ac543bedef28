"""What the audit trail proves beyond each row's link: nothing was cut from its end since a head
recorded outside the database (verify_audit --checkpoint / --expect-head), no row was forged by
someone without the audit key (HMAC), and on PostgreSQL neither the audit rows nor signatures,
amendments, vital signs or pain medication given can be changed by SQL, even with
`session_replication_role = replica`."""

import hashlib
import importlib
import io
import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from audit.chain import canonical
from audit.models import AuditEvent
from audit.services import audit_record
from tests import factories, module_data
from trials import scenarios
from trials.models import Amendment, PainMedication, Signature, VitalSigns
from trials.services.amendments import record_amend

from .test_audit_chain import _execute, verify, verify_fails

# The trial whose audit rows the tests read is built once for the module (tests/module_data.py):
# what a test writes, alters or removes is rolled back after it. The named users of the module
# are the people who built it.
TRIAL_STATES = ["observation"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user

KEYED_MIGRATION = ("trials", "0011_audit_keyed_chain_always_triggers")
keyed_migration = importlib.import_module("trials.migrations." + KEYED_MIGRATION[1])

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only triggers exist on PostgreSQL only"
)


@pytest.fixture
def rows(module_trial_in, nurse):
    module_trial_in("observation")
    for n in range(3):
        audit_record(actor=nurse, action="change", summary=f"Extra row {n}", new={"n": n})
    return list(AuditEvent.objects.order_by("pk"))


def checkpoint() -> str:
    """The head hash that `verify_audit --checkpoint` tells the operator to keep."""
    out = io.StringIO()
    call_command("verify_audit", "--checkpoint", stdout=out, stderr=io.StringIO())
    return re.search(r"Checkpoint: head row \S+, hash ([0-9a-f]{64})", out.getvalue()).group(1)


def verify_expecting(head: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", "--expect-head", head, stdout=out, stderr=err)
    except CommandError as exc:
        return err.getvalue() + str(exc)
    return out.getvalue()


# --- The end of the chain: checkpoints ------------------------------------------------------------


def test_deleting_the_last_rows_is_caught_by_the_recorded_head(rows, tamper):
    head = checkpoint()
    tamper("DELETE FROM trials_auditevent WHERE id >= %s", [rows[-2].pk])

    verify()  # the shortened chain still links up: only the recorded head shows the cut
    report = verify_expecting(head)

    assert f"The expected head {head} is not in the audit trail" in report
    assert "NOT intact" in report


def test_a_recorded_head_still_passes_after_more_rows_are_written(rows, nurse):
    head = checkpoint()
    audit_record(actor=nurse, action="change", summary="Later work")
    audit_record(actor=nurse, action="change", summary="More later work")

    report = verify_expecting(head)

    assert "Audit trail intact" in report
    assert f"Expected head {head} found at row {rows[-1].pk}; 2 row(s) since." in report


def test_the_head_of_an_empty_trail_is_the_start_of_every_chain(db):
    head = checkpoint()
    audit_record(actor=None, actor_name="system", action="change", summary="The first row")

    assert "Audit trail intact: 1 rows" in verify_expecting(head)


def test_a_head_that_is_not_a_hash_is_refused(rows):
    with pytest.raises(CommandError, match="Not a head hash"):
        call_command("verify_audit", "--expect-head", "last-tuesday", stdout=io.StringIO())


def test_the_checkpoint_is_printed_and_logged_as_one_json_line(rows, capsys):
    out = io.StringIO()
    call_command("verify_audit", "--checkpoint", stdout=out, stderr=io.StringIO())

    head = rows[-1]
    assert f"Checkpoint: head row {head.pk}, hash {head.hash}, {len(rows)} rows." in out.getvalue()
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    assert [line["event"] for line in logged] == ["audit_checkpoint"]
    assert logged[0]["head_id"] == head.pk
    assert logged[0]["head_hash"] == head.hash
    assert logged[0]["rows"] == len(rows)
    assert logged[0]["logger"] == "ops.audit"


def test_a_broken_chain_gives_no_checkpoint(rows, tamper, capsys):
    tamper("UPDATE trials_auditevent SET summary = %s WHERE id = %s", ["Forged", rows[3].pk])
    out = io.StringIO()

    with pytest.raises(CommandError, match="NOT intact"):
        call_command("verify_audit", "--checkpoint", stdout=out, stderr=io.StringIO())

    assert "Checkpoint" not in out.getvalue()
    assert "audit_checkpoint" not in capsys.readouterr().out


# --- The key: a rewritten chain cannot be recomputed without it --------------------------------


def test_a_row_rewritten_and_the_chain_recomputed_without_the_key_is_caught(rows, tamper):
    victim = rows[4]
    prev_hash = victim.prev_hash
    # An attacker with write access rewrites one row and recomputes every later hash the way an
    # unkeyed chain would be computed (plain SHA-256): each link fits the next.
    for row in rows[4:]:
        if row.pk == victim.pk:
            row.summary = "Nothing happened"
        forged = hashlib.sha256(canonical(row, prev_hash)).hexdigest()
        tamper(
            "UPDATE trials_auditevent SET summary = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [row.summary, prev_hash, forged, row.pk],
        )
        prev_hash = forged

    report = verify_fails()

    assert f"Row {victim.pk} was altered" in report
    assert f"Row {rows[-1].pk} was altered" in report


def test_the_chain_verifies_only_under_the_key_it_was_written_with(rows, settings):
    settings.AUDIT_KEY = "another-key-" + "x" * 40

    report = verify_fails()

    assert report.count("was altered") == len(rows)


def test_the_migration_rechains_rows_hashed_without_the_key(rows, tamper):
    for row in rows:
        # As migration 0003 left them: plain SHA-256.
        plain = hashlib.sha256(canonical(row, row.prev_hash)).hexdigest()
        tamper("UPDATE trials_auditevent SET hash = %s WHERE id = %s", [plain, row.pk])
    verify_fails()

    # The migration's own view of the models (plain managers, as when it runs for real).
    state = MigrationLoader(connection).project_state(KEYED_MIGRATION)
    editor = SimpleNamespace(connection=connection, execute=_execute)
    keyed_migration.rechain_with_key(state.apps, editor)

    verify()


# --- SQL on PostgreSQL: the triggers fire always, on signatures and amendments too --------------


def _refused(sql: str, params=(), *, replica: bool = False) -> None:
    """`sql` is refused by an append-only trigger (in a savepoint: the test goes on after)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else TRUNCATE stops at pending checks
        if replica:
            # Replication mode skips ordinary triggers, with no DDL and no trace in the schema.
            cursor.execute("SET session_replication_role = replica")
        try:
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                cursor.execute(sql, params)
        finally:
            cursor.execute("RESET session_replication_role")


@on_postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE trials_auditevent SET summary = 'Rewritten'",
        "DELETE FROM trials_auditevent WHERE id = (SELECT max(id) FROM trials_auditevent)",
        "TRUNCATE trials_auditevent",
    ],
    ids=["update", "delete", "truncate"],
)
def test_audit_rows_cannot_be_changed_in_replication_mode(rows, sql):
    _refused(sql, replica=True)

    assert AuditEvent.objects.count() == len(rows)
    verify()


@on_postgresql
@pytest.mark.parametrize("replica", [False, True], ids=["normal", "replication-mode"])
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE trials_signature SET printed_name = 'Someone Else' WHERE id = %s",
        "UPDATE trials_signature SET signed_at = signed_at - interval '1 day' WHERE id = %s",
        "DELETE FROM trials_signature WHERE id = %s",
        "TRUNCATE trials_signature",
    ],
    ids=["rename-signer", "backdate", "delete", "truncate"],
)
def test_a_signature_cannot_be_changed_or_removed_by_sql(rows, sql, replica):
    signature = Signature.objects.order_by("pk").first()
    before = Signature.objects.values().get(pk=signature.pk)

    _refused(sql, [signature.pk] if "%s" in sql else [], replica=replica)

    assert Signature.objects.values().get(pk=signature.pk) == before


@on_postgresql
@pytest.mark.parametrize("replica", [False, True], ids=["normal", "replication-mode"])
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE trials_amendment SET new_value = '\"LOT-0000\"' WHERE id = %s",
        "DELETE FROM trials_amendment WHERE id = %s",
        "TRUNCATE trials_amendment",
    ],
    ids=["update", "delete", "truncate"],
)
def test_an_amendment_cannot_be_changed_or_removed_by_sql(rows, neurologist, sql, replica):
    trial = AuditEvent.objects.exclude(trial=None).first().trial
    (amendment,) = record_amend(
        trial_id=trial.pk, attempt_id=trial.attempts.get().pk, record="injection",
        actor=neurologist, password=factories.PASSWORD, values={"lot": "LOT-9"},
        reason="Lot misread from the vial label",
    )  # fmt: skip

    _refused(sql, [amendment.pk] if "%s" in sql else [], replica=replica)

    assert Amendment.objects.get(pk=amendment.pk).new_value == "LOT-9"


@on_postgresql
@pytest.mark.parametrize("replica", [False, True], ids=["normal", "replication-mode"])
@pytest.mark.parametrize(
    "table, sql",
    [
        ("vitals", "UPDATE trials_vitalsigns SET spo2 = 99, heart_rate = 60 WHERE id = %s"),
        ("vitals", "DELETE FROM trials_vitalsigns WHERE id = %s"),
        ("vitals", "TRUNCATE trials_vitalsigns"),
        ("pain", "UPDATE trials_painmedication SET dose = '10 g' WHERE id = %s"),
        ("pain", "DELETE FROM trials_painmedication WHERE id = %s"),
    ],
    ids=["vitals-update", "vitals-delete", "vitals-truncate", "pain-update", "pain-delete"],
)
def test_an_observation_cannot_be_changed_or_removed_by_sql(
    module_trial_in, team, table, sql, replica
):
    trial = module_trial_in("observation")
    at = min(trial.attempts.get().given_at + timedelta(minutes=30), timezone.now())
    scenarios.vitals(trial, team, at=at, spo2=91, heart_rate=118)
    scenarios.pain_medication(trial, team, at=at)
    row = (VitalSigns if table == "vitals" else PainMedication).objects.order_by("pk").last()
    before = type(row).objects.values().get(pk=row.pk)

    _refused(sql, [row.pk] if "%s" in sql else [], replica=replica)

    assert type(row).objects.values().get(pk=row.pk) == before
