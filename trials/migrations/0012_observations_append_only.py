"""Vital signs and pain medication given are observations: recorded once, never edited or removed
(the app has no path that does either). On PostgreSQL the append-only triggers of migration 0011
guard them too, replication mode included, so a value edited directly in the database is refused
instead of leaving no trace.
"""

from django.db import migrations

OBSERVED_TABLES = ("trials_vitalsigns", "trials_painmedication")

TRIGGERS = """
CREATE TRIGGER {table}_no_update_delete
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION trials_append_only();
CREATE TRIGGER {table}_no_truncate
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION trials_append_only();
ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_update_delete;
ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in OBSERVED_TABLES:
            schema_editor.execute(TRIGGERS.format(table=table), params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in OBSERVED_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}")


class Migration(migrations.Migration):
    dependencies = [("trials", "0011_audit_keyed_chain_always_triggers")]
    operations = [migrations.RunPython(forward, backward)]
