import importlib

import django.db.models.functions.text
from django.db import migrations, models

import core.upper_text

# The search compares two generated columns, kept upper-cased by the database, instead of
# UPPER() of three columns on every row it reads (core/upper_text.py). On PostgreSQL their
# indexes replace migration 0002's on the expressions: a trigram (pg_trgm) GIN index on the
# names for "contains", a text_pattern_ops btree on the MRN for "starts with" and "equals".
# SQLite has no such indexes: these statements run on PostgreSQL only.
OLD_INDEXES = {
    "patient_last_name_trgm": "USING gin (upper(last_name) gin_trgm_ops)",
    "patient_first_name_trgm": "USING gin (upper(first_name) gin_trgm_ops)",
    "patient_mrn_upper_prefix": "(upper(mrn) text_pattern_ops)",
}
NEW_INDEXES = {
    "patient_search_names_trgm": "USING gin (search_names gin_trgm_ops)",
    "patient_search_mrn_prefix": "(search_mrn text_pattern_ops)",
}


def restore_sqlite_trigger(apps, schema_editor):
    """SQLite cannot add a stored generated column: Django remakes the table, and its triggers go
    with it. The one on patients_patient (trials migration 0016: a patient's change gives each of
    their trials a new revision, so kept pages show a corrected name at once) is made again."""
    if schema_editor.connection.vendor != "sqlite":
        return
    revision = importlib.import_module("trials.migrations.0016_trial_revision")
    [touch] = [sql for sql in revision.SQLITE_FORWARD if "ON patients_patient" in sql]
    schema_editor.execute("DROP TRIGGER IF EXISTS patients_patient_touch_trials")
    schema_editor.execute(touch, params=None)


def _swap(dropped: dict, created: dict):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in dropped:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        for name, how in created.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON patients_patient {how}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0002_perf_search_indexes"),
        ("trials", "0016_trial_revision"),  # the trigger restore_sqlite_trigger makes again
    ]

    operations = [
        # Backwards, removing the columns remakes the table again: the trigger is made last.
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_trigger, elidable=False),
        migrations.AddField(
            model_name="patient",
            name="search_mrn",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Upper("mrn"),
                output_field=core.upper_text.UpperText(),
            ),
        ),
        migrations.AddField(
            model_name="patient",
            name="search_names",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Upper(
                    django.db.models.functions.text.Concat(
                        "last_name", models.Value(" "), "first_name"
                    )
                ),
                output_field=core.upper_text.UpperText(),
            ),
        ),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(
            _swap(OLD_INDEXES, NEW_INDEXES), _swap(NEW_INDEXES, OLD_INDEXES), elidable=False
        ),
    ]
