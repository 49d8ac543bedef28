"""The audit trail's model moves here from the trials app; its table does not move.

The table stays `trials_auditevent`, with its rows, its sequence, its indexes, its hash chain and
its append-only triggers (trials migrations 0002, 0003 and 0011 made them; their names are kept).
So this migration only tells Django's state that the model is now audit.AuditEvent: no SQL runs
on the table. Trials migration 0015 then removes the model from the trials app's state (it
depends on this one, so the model is never missing from the state in between).

A fresh database gets the table from trials 0001 and its triggers from trials 0002 and 0011, then
these two state-only steps; an existing one runs only these two. Either ends the same.

The content type follows the model (trials.auditevent becomes audit.auditevent), so the admin's
permissions and log entries on audit rows keep pointing at it. On a fresh database there is no
content type yet: Django creates audit.auditevent after migrating.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def _move_content_type(apps, schema_editor, source: str, target: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias
    )
    if content_types.filter(app_label=target, model="auditevent").exists():
        return
    content_types.filter(app_label=source, model="auditevent").update(app_label=target)


def content_type_to_audit(apps, schema_editor):
    _move_content_type(apps, schema_editor, "trials", "audit")


def content_type_to_trials(apps, schema_editor):
    _move_content_type(apps, schema_editor, "audit", "trials")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("patients", "0002_perf_search_indexes"),
        ("trials", "0013_effect_worn_off_late_reason"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                        ("actor_name", models.CharField(max_length=200)),
                        ("action", models.CharField(db_index=True, max_length=40)),
                        ("object_type", models.CharField(max_length=40)),
                        ("object_id", models.CharField(blank=True, max_length=40)),
                        ("summary", models.CharField(max_length=300)),
                        ("old", models.JSONField(blank=True, default=dict)),
                        ("new", models.JSONField(blank=True, default=dict)),
                        ("reason", models.TextField(blank=True)),
                        ("prev_hash", models.CharField(editable=False, max_length=64)),
                        ("hash", models.CharField(editable=False, max_length=64)),
                        ("actor", models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("patient", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="audit", to="patients.patient")),
                        ("trial", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="audit", to="trials.trial")),
                    ],
                    options={
                        "db_table": "trials_auditevent",
                        "ordering": ["at", "id"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_audit, content_type_to_trials),
    ]
