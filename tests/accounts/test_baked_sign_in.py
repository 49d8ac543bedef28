"""Every request's read of its session and its user, compiled once per process.

The session store (accounts/sessions.py) and the user backend (accounts/backends.py) send
Django's per-request reads compiled once, the session's key, the user's id and the clock put
in (core/baked.py); the session's read brings its user's row along (joined on the session's
`user` column), so a signed-in request reads both in one query. These tests hold them to what
Django's own reads do: the same user with every field, nobody for an unknown, inactive or
malformed id, the session's data while it lasts and nothing (and no key) once it has expired or
for a key never issued; and the joined row is used only for the user the session's own data
names.
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.backends import ModelBackend
from accounts.models import UserSession
from accounts.sessions import SessionStore

User = get_user_model()


def fields_of(user) -> dict:
    return {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}


def test_the_user_is_read_with_every_field_as_django_reads_it(nurse):
    assert fields_of(ModelBackend().get_user(nurse.pk)) == fields_of(User.objects.get(pk=nurse.pk))


@pytest.mark.parametrize("user_id", [10**9, "not a number", None, -1])
def test_an_unknown_or_malformed_user_id_is_nobody(db, user_id):
    assert ModelBackend().get_user(user_id) is None


def test_an_inactive_user_is_nobody(nurse):
    User.objects.filter(pk=nurse.pk).update(is_active=False)
    assert ModelBackend().get_user(nurse.pk) is None


def test_a_change_to_the_user_shows_at_the_next_read(nurse):
    ModelBackend().get_user(nurse.pk)
    User.objects.filter(pk=nurse.pk).update(first_name="Renamed")
    assert ModelBackend().get_user(nurse.pk).first_name == "Renamed"


def test_a_session_loads_its_data_while_it_lasts(db):
    store = SessionStore()
    store["note"] = "kept"
    store.create()

    again = SessionStore(store.session_key)
    assert again["note"] == "kept"
    assert again.session_key == store.session_key


def test_an_expired_session_loads_nothing_and_loses_its_key(db):
    store = SessionStore()
    store["note"] = "kept"
    store.create()
    UserSession.objects.filter(session_key=store.session_key).update(
        expire_date=UserSession.objects.get(session_key=store.session_key).expire_date
        - timedelta(days=30)
    )

    again = SessionStore(store.session_key)
    assert "note" not in again
    assert again.session_key is None


@pytest.mark.parametrize("key", ["abcdefgh" * 4, "%" * 32, "_" * 32])
def test_a_key_never_issued_loads_nothing(db, key):
    store = SessionStore()
    store["note"] = "kept"
    store.create()

    assert "note" not in SessionStore(key)


def test_a_signed_in_request_compiles_neither_read(client_for, nurse):
    client = client_for(nurse)
    client.get(reverse("trials:board"))
    reads = (UserSession._meta.db_table, User._meta.db_table)

    compiled = []
    real = SQLCompiler.as_sql

    def as_sql(compiler, *args, **kwargs):
        sql, params = real(compiler, *args, **kwargs)
        compiled.append(sql)
        return sql, params

    with (
        mock.patch.object(SQLCompiler, "as_sql", as_sql),
        CaptureQueriesContext(connection) as sent,
    ):
        assert client.get(reverse("trials:board")).status_code == 200

    assert any(reads[0] in q["sql"] and reads[1] in q["sql"] for q in sent)
    assert not [
        sql for sql in compiled if f'FROM "{reads[0]}"' in sql or f'FROM "{reads[1]}"' in sql
    ]


def user_reads(client, path: str = reverse("trials:board")) -> list[str]:
    """The queries of one request that read the users table, and whether it was served."""
    with CaptureQueriesContext(connection) as sent:
        response = client.get(path)
    return response, [q["sql"] for q in sent if f'"{User._meta.db_table}"' in q["sql"]]


def test_a_signed_in_request_reads_its_user_with_its_session(client_for, nurse):
    client = client_for(nurse)
    client.get(reverse("trials:board"))

    response, reads = user_reads(client)
    assert response.status_code == 200 and response.wsgi_request.user == nurse
    assert len(reads) == 1 and UserSession._meta.db_table in reads[0]


def test_a_user_deactivated_without_ending_the_session_is_signed_out(client_for, nurse):
    client = client_for(nurse)
    User.objects.filter(pk=nurse.pk).update(is_active=False)  # no signal: the session stays

    response, _ = user_reads(client)
    assert response.status_code == 302 and not response.wsgi_request.user.is_authenticated


def test_a_password_changed_elsewhere_ends_the_session(client_for, nurse):
    client = client_for(nurse)
    User.objects.filter(pk=nurse.pk).update(password="pbkdf2_sha256$1$salt$changed")

    response, _ = user_reads(client)
    assert response.status_code == 302 and not response.wsgi_request.user.is_authenticated


def test_the_user_is_the_one_the_session_data_names_not_its_column(client_for, nurse, admin_user):
    """The session's `user` column follows its data on every save; were they ever to differ, the
    data decides, as in Django: the joined row of another user is not used."""
    client = client_for(nurse)
    UserSession.objects.filter(session_key=client.session.session_key).update(user_id=admin_user.pk)

    response, reads = user_reads(client)
    assert response.status_code == 200 and response.wsgi_request.user == nurse
    assert len(reads) == 2  # the session with the admin's row, then the nurse by her id
