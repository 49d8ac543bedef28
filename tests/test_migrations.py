import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.models import AuditEvent
from audit.services import audit_record

# Before the audit trail had an app of its own (audit 0001 and trials 0015 move it).
BEFORE_THE_MOVE = [("trials", "0014_trial_figures"), ("audit", None)]


def test_every_model_change_has_a_migration(db):
    # makemigrations --check exits with status 1 (SystemExit) when a migration is missing.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _triggers() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger "
            "WHERE tgrelid = 'trials_auditevent'::regclass AND NOT tgisinternal"
        )
        return set(cursor.fetchall())


# PostgreSQL: inside the test's transaction (a flush would TRUNCATE the append-only table).
# SQLite: outside one, as its schema editor needs.
@pytest.mark.django_db(transaction=connection.vendor != "postgresql")
def test_moving_the_audit_model_keeps_its_table_rows_chain_and_triggers(nurse):
    for n in range(3):
        audit_record(actor=nurse, action="change", summary=f"Row {n}", new={"n": n})
    rows = list(AuditEvent.objects.order_by("pk").values())
    triggers = _triggers() if connection.vendor == "postgresql" else set()
    if connection.vendor == "postgresql":
        # The rows' deferred foreign-key checks run now, as they would at the commit that ends
        # a deployment's writes: PostgreSQL builds no index (audit 0002) on a table with checks
        # still pending in the transaction.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    # An existing database, as it was before the move: the model is trials.AuditEvent.
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_THE_MOVE)
    old_apps = executor.loader.project_state(BEFORE_THE_MOVE[0]).apps
    old_model = old_apps.get_model("trials", "AuditEvent")
    assert old_model._meta.db_table == "trials_auditevent"
    assert list(old_model.objects.order_by("pk").values()) == rows
    assert ContentType.objects.filter(app_label="trials", model="auditevent").exists()

    # The move applied to it: the same table, rows, chain and triggers, now audit.AuditEvent.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()

    assert list(AuditEvent.objects.order_by("pk").values()) == rows
    assert ContentType.objects.get_for_model(AuditEvent).app_label == "audit"
    assert not ContentType.objects.filter(app_label="trials", model="auditevent").exists()
    call_command("verify_audit", verbosity=0)
    if connection.vendor == "postgresql":
        assert _triggers() == triggers
        assert triggers == {
            ("trials_auditevent_no_update_delete", "A"),
            ("trials_auditevent_no_truncate", "A"),
        }
