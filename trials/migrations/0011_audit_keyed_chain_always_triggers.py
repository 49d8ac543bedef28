"""Audit completeness: the chain keyed, the triggers on always, signatures and amendments frozen.

1. The audit rows are chained again with the keyed hash (HMAC-SHA256 under DJANGO_AUDIT_KEY,
   audit/chain.py), replacing the plain SHA-256 of migration 0003. The migration reads the
   key from the settings, as the app does. (No production data existed when this was written; on
   a database with rows it re-chains them all, which only the holder of the key can do.)
2. On PostgreSQL the append-only triggers fire ALWAYS: also for a session that set
   `session_replication_role = replica`, which skips ordinary triggers without any DDL.
3. Signatures and amendments get the same append-only triggers: a signed record is corrected by a
   new amendment, never by changing or removing a signature or an earlier amendment.

Only the table's owner (ALTER TABLE ... DISABLE TRIGGER) can still get past them: run the app as
a role that does not own the tables.
"""

import importlib

from django.db import migrations

chain_0003 = importlib.import_module("trials.migrations.0003_audit_hash_chain")

AUDIT_TRIGGERS = ("trials_auditevent_no_update_delete", "trials_auditevent_no_truncate")
FROZEN_TABLES = ("trials_signature", "trials_amendment")

FUNCTION = """
CREATE OR REPLACE FUNCTION trials_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

FROZEN_TRIGGERS = """
CREATE TRIGGER {table}_no_update_delete
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION trials_append_only();
CREATE TRIGGER {table}_no_truncate
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION trials_append_only();
ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_update_delete;
ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate;
"""


def rechain_with_key(apps, schema_editor):
    chain_0003.chain_existing_rows(apps, schema_editor)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # ALTER TABLE refuses to run while deferred foreign key checks are pending.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for trigger in AUDIT_TRIGGERS:
        schema_editor.execute(f"ALTER TABLE trials_auditevent ENABLE ALWAYS TRIGGER {trigger}")
    schema_editor.execute(FUNCTION, params=None)
    for table in FROZEN_TABLES:
        schema_editor.execute(FROZEN_TRIGGERS.format(table=table), params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table in FROZEN_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS trials_append_only()")
    for trigger in AUDIT_TRIGGERS:
        schema_editor.execute(f"ALTER TABLE trials_auditevent ENABLE TRIGGER {trigger}")


class Migration(migrations.Migration):
    dependencies = [("trials", "0010_perf_open_trial_indexes")]

    operations = [
        migrations.RunPython(rechain_with_key, migrations.RunPython.noop),
        migrations.RunPython(forward, backward),
    ]
