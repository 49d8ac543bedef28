"""Each audit row carries the hash of its content chained to the previous row's hash.

The rows already written are chained here, in id order. On PostgreSQL the append-only trigger
(0002) refuses UPDATE, so it is switched off for this one transaction and on again at its end.
"""

import django.utils.timezone
from django.db import migrations, models

from audit.chain import GENESIS, row_hash

TRIGGER = "trials_auditevent_no_update_delete"
BATCH = 1000


def chain_existing_rows(apps, schema_editor):
    AuditEvent = apps.get_model("trials", "AuditEvent")
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        # ALTER TABLE refuses to run while deferred foreign key checks are pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE trials_auditevent DISABLE TRIGGER {TRIGGER}")
    prev_hash, last_pk = GENESIS, 0
    # Batches by id rather than one cursor: the rows read are updated as the walk goes on.
    while batch := list(AuditEvent.objects.filter(pk__gt=last_pk).order_by("pk")[:BATCH]):
        for row in batch:
            row.prev_hash = prev_hash
            row.hash = prev_hash = row_hash(row, prev_hash)
        AuditEvent.objects.bulk_update(batch, ["prev_hash", "hash"])
        last_pk = batch[-1].pk
    if postgresql:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE trials_auditevent ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("trials", "0002_audit_append_only")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, editable=False
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
    ]
