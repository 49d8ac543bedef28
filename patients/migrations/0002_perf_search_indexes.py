from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

# The patient search (PatientQuerySet.search) compares UPPER(column) with LIKE: names with
# "contains" (%word%), the MRN with "equals" and "starts with" (text%). On PostgreSQL trigram
# (pg_trgm) GIN indexes serve the first, a text_pattern_ops btree the others. SQLite has no such
# indexes: these statements run on PostgreSQL only (TrigramExtension, too, does nothing elsewhere).
SEARCH_INDEXES = {
    "patient_last_name_trgm": "USING gin (upper(last_name) gin_trgm_ops)",
    "patient_first_name_trgm": "USING gin (upper(first_name) gin_trgm_ops)",
    "patient_mrn_upper_prefix": "(upper(mrn) text_pattern_ops)",
}


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, how in SEARCH_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON patients_patient {how}")


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in SEARCH_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["last_name", "first_name"], name="patient_by_name"),
        ),
        TrigramExtension(),
        migrations.RunPython(create_search_indexes, drop_search_indexes, elidable=False),
    ]
