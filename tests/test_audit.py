"""The audit record is append-only: in the ORM everywhere, and in the database on PostgreSQL."""

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.services import audit_record

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)


@pytest.fixture
def event(nurse, patient):
    return audit_record(
        actor=nurse, action="create", patient=patient, obj=patient, summary="Patient registered"
    )


def test_audit_row_keeps_who_did_what(event, nurse, patient):
    event.refresh_from_db()
    assert (event.actor, event.actor_name, event.patient) == (nurse, "Nadia Okafor", patient)
    assert (event.object_type, event.object_id) == ("Patient", str(patient.pk))
    assert event.at is not None


def test_audit_row_cannot_be_saved_again(event):
    event.summary = "Rewritten"
    with pytest.raises(PermissionError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).summary == "Patient registered"


def test_audit_row_cannot_be_deleted(event):
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_rows_cannot_be_updated_in_bulk(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="Rewritten")
    assert AuditEvent.objects.get(pk=event.pk).summary == "Patient registered"


def test_audit_rows_cannot_be_deleted_in_bulk(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@on_postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE trials_auditevent SET summary = 'Rewritten'",
        "DELETE FROM trials_auditevent",
        "TRUNCATE trials_auditevent",
    ],
    ids=["update", "delete", "truncate"],
)
def test_database_refuses_to_change_audit_rows(event, sql):
    # The savepoint keeps the test's own transaction usable after the database error.
    # Django's foreign keys are deferred; their pending checks would make PostgreSQL refuse
    # TRUNCATE before the append-only trigger is even asked, so check them now.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute(sql)
    assert AuditEvent.objects.get(pk=event.pk).summary == "Patient registered"


@on_postgresql
def test_the_trigger_tests_run_as_the_applications_database_user(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == connection.settings_dict["USER"]


@on_postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE trials_auditevent SET summary = 'Rewritten'",
        "DELETE FROM trials_auditevent",
        "TRUNCATE trials_auditevent",
    ],
    ids=["update", "delete", "truncate"],
)
def test_a_role_granted_every_privilege_on_the_table_is_refused_too(event, sql):
    # Privileges are not what protects the rows: a role that may UPDATE, DELETE and TRUNCATE
    # the table is still refused by the trigger. (Created and dropped with the test transaction.)
    role = f"itb_audit_probe_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT SELECT, UPDATE, DELETE, TRUNCATE ON trials_auditevent TO {role}")
        cursor.execute(f"SET ROLE {role}")
        try:
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                cursor.execute(sql)
        finally:
            cursor.execute("RESET ROLE")
    assert AuditEvent.objects.get(pk=event.pk).summary == "Patient registered"
