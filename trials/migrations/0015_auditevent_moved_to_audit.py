"""The audit trail's model now belongs to the audit app (audit migration 0001, which this one
follows). Only Django's state changes: the table trials_auditevent, its rows and its triggers
stay as they are, now used by audit.AuditEvent."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0014_trial_figures"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],
        ),
    ]
