"""Trial.revision: a new random token whenever anything the trial page reads of the trial changes.

The database writes it, not the app, so no path can forget it: a trigger gives the trial row a new
token on every insert and update, and triggers on every table of the record (attempts, checklist
entries, assessments and their MAS scores, signatures, amendments, vital signs, adverse events,
pain medication) and on the patient row touch the trial they belong to, on insert, update and
delete. A token is random, never a counter: a rolled-back write's token is never seen again, and
two writes in one transaction give two tokens. trials/services/record_cache.py keys its copies
of a trial's record by (trial, revision).
"""

from django.db import migrations, models

# table: the trial it belongs to, from a row (NEW or OLD) of it
BY_TRIAL = "{row}.trial_id"
BY_ATTEMPT = "(SELECT trial_id FROM trials_doseattempt WHERE id = {row}.attempt_id)"
BY_ASSESSMENT = "(SELECT trial_id FROM trials_assessment WHERE id = {row}.assessment_id)"
RECORD_TABLES = {
    "trials_doseattempt": BY_TRIAL,
    "trials_checklistentry": BY_TRIAL,
    "trials_assessment": BY_TRIAL,
    "trials_signature": BY_TRIAL,
    "trials_amendment": BY_TRIAL,
    "trials_vitalsigns": BY_ATTEMPT,
    "trials_adverseevent": BY_ATTEMPT,
    "trials_painmedication": BY_ATTEMPT,
    "trials_masscore": BY_ASSESSMENT,
}

PG_RANDOM_HEX = "replace(gen_random_uuid()::text, '-', '')"
SQLITE_RANDOM_HEX = "lower(hex(randomblob(16)))"

PG_FORWARD = f"""
CREATE FUNCTION trials_trial_new_revision() RETURNS trigger AS $$
BEGIN
    NEW.revision := {PG_RANDOM_HEX};
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER trials_trial_revision BEFORE INSERT OR UPDATE ON trials_trial
    FOR EACH ROW EXECUTE FUNCTION trials_trial_new_revision();
CREATE FUNCTION patients_patient_touch_trials() RETURNS trigger AS $$
BEGIN
    UPDATE trials_trial SET revision = '' WHERE patient_id = NEW.id;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER patients_patient_touch_trials AFTER UPDATE ON patients_patient
    FOR EACH ROW EXECUTE FUNCTION patients_patient_touch_trials();
"""

PG_TOUCH = """
CREATE FUNCTION {table}_touch_trial() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        UPDATE trials_trial SET revision = '' WHERE id = {new};
    END IF;
    IF TG_OP <> 'INSERT' THEN
        UPDATE trials_trial SET revision = '' WHERE id = {old};
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_touch_trial AFTER INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_touch_trial();
"""

# SQLite runs no trigger from inside its own trigger's statement (recursive_triggers is off), so
# the trial's own trigger may update the row it fired for.
SQLITE_FORWARD = [
    f"""CREATE TRIGGER trials_trial_revision_{op} AFTER {op.upper()} ON trials_trial BEGIN
        UPDATE trials_trial SET revision = {SQLITE_RANDOM_HEX} WHERE id = NEW.id; END"""
    for op in ("insert", "update")
] + [
    f"""CREATE TRIGGER patients_patient_touch_trials AFTER UPDATE ON patients_patient BEGIN
        UPDATE trials_trial SET revision = {SQLITE_RANDOM_HEX} WHERE patient_id = NEW.id; END"""
]
SQLITE_TOUCH = """CREATE TRIGGER {table}_touch_trial_{op} AFTER {op_sql} ON {table} BEGIN
    {body} END"""
SQLITE_ROWS = {"insert": ("NEW",), "update": ("NEW", "OLD"), "delete": ("OLD",)}


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
        for table, trial in RECORD_TABLES.items():
            sql = PG_TOUCH.format(
                table=table, new=trial.format(row="NEW"), old=trial.format(row="OLD")
            )
            schema_editor.execute(sql, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql, params=None)
        for table, trial in RECORD_TABLES.items():
            for op, rows in SQLITE_ROWS.items():
                body = " ".join(
                    f"UPDATE trials_trial SET revision = {SQLITE_RANDOM_HEX} "
                    f"WHERE id = {trial.format(row=row)};"
                    for row in rows
                )
                sql = SQLITE_TOUCH.format(table=table, op=op, op_sql=op.upper(), body=body)
                schema_editor.execute(sql, params=None)
    # Every existing trial gets its first token (the triggers above write it).
    schema_editor.execute("UPDATE trials_trial SET revision = ''", params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in RECORD_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_touch_trial ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_touch_trial()")
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS patients_patient_touch_trials ON patients_patient;"
            "DROP FUNCTION IF EXISTS patients_patient_touch_trials();"
            "DROP TRIGGER IF EXISTS trials_trial_revision ON trials_trial;"
            "DROP FUNCTION IF EXISTS trials_trial_new_revision();",
            params=None,
        )
    elif vendor == "sqlite":
        names = ["trials_trial_revision_insert", "trials_trial_revision_update"]
        names += ["patients_patient_touch_trials"]
        names += [f"{t}_touch_trial_{op}" for t in RECORD_TABLES for op in SQLITE_ROWS]
        for name in names:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0015_auditevent_moved_to_audit"),
        ("patients", "0001_initial"),
    ]
    operations = [
        migrations.AddField(
            model_name="trial",
            name="revision",
            field=models.CharField(
                default="",
                editable=False,
                max_length=32,
                help_text="Written by the database on every change to the trial's record "
                "(migration 0016); keys the cached copies of it.",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
