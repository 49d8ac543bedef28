"""A persistent PostgreSQL connection is checked before each request reuses it
(core/postgresql/base.py): without a round trip while its socket shows nothing happened to it,
with Django's `SELECT 1` otherwise, so a connection the server ended is replaced, not used."""

import select
import time

import psycopg
import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as django_postgresql

from core.postgresql import base

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL backend's own check"
)


@pytest.fixture
def full_checks(monkeypatch) -> list[bool]:
    """Each of Django's own checks (the `SELECT 1` round trip) as it answered."""
    answers: list[bool] = []
    real = django_postgresql.DatabaseWrapper.is_usable

    def counted(self):
        answers.append(real(self))
        return answers[-1]

    monkeypatch.setattr(django_postgresql.DatabaseWrapper, "is_usable", counted)
    return answers


@pytest.fixture
def persistent(db, django_db_blocker):
    """A connection of the app's own, as a server process holds it between requests: outside
    the test's transaction, to the test database."""
    wrapper = connections.create_connection("default")
    with django_db_blocker.unblock():
        wrapper.ensure_connection()
        yield wrapper
        wrapper.close()


def health_check(wrapper) -> None:
    """What Django does before the first query of a request (close_if_health_check_failed)."""
    wrapper.health_check_done = False
    wrapper.close_if_health_check_failed()


def terminate(wrapper) -> None:
    pid = wrapper.connection.info.backend_pid
    with psycopg.connect(**wrapper.get_connection_params(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    fd = wrapper.connection.fileno()
    while not select.select([fd], [], [], 0.05)[0] and time.monotonic() < deadline:
        pass  # the backend's last message is on its way


def test_a_quiet_connection_checked_moments_ago_is_reused_without_a_round_trip(
    persistent, full_checks
):
    health_check(persistent)

    assert full_checks == [] and persistent.connection is not None


def test_a_connection_not_checked_for_a_while_is_asked(persistent, full_checks):
    persistent.checked_at = time.monotonic() - base.RECHECK_SECONDS

    health_check(persistent)
    health_check(persistent)  # checked just now: the next request reuses it as it is

    assert full_checks == [True]


def test_a_connection_after_an_error_is_asked(persistent, full_checks):
    persistent.errors_occurred = True

    assert persistent.is_usable() and full_checks == [True]


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(
    persistent, full_checks
):
    ended = persistent.connection
    terminate(persistent)

    health_check(persistent)

    assert full_checks == [False]  # its socket held the server's farewell: asked, and failed
    with persistent.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert persistent.connection is not ended
