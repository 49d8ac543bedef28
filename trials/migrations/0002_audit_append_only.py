"""On PostgreSQL the audit table refuses UPDATE, DELETE and TRUNCATE at the database level."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION trials_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'trials_auditevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER trials_auditevent_no_update_delete
    BEFORE UPDATE OR DELETE ON trials_auditevent
    FOR EACH ROW EXECUTE FUNCTION trials_auditevent_append_only();
CREATE TRIGGER trials_auditevent_no_truncate
    BEFORE TRUNCATE ON trials_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION trials_auditevent_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS trials_auditevent_no_truncate ON trials_auditevent;
DROP TRIGGER IF EXISTS trials_auditevent_no_update_delete ON trials_auditevent;
DROP FUNCTION IF EXISTS trials_auditevent_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("trials", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
