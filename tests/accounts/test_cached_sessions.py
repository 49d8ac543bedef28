"""Sessions read through the shared cache (REDIS_URL set): the cache is only a fast path, the
database stays the record, and ending a user's sessions still ends them at once.

In one process Django's local-memory cache stands in for Redis; tests/ops/test_two_servers.py
runs the same engine on Redis across two app servers.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import UserSession
from accounts.sessions import CachedSessionStore
from tests.factories import PASSWORD

BOARD = reverse("trials:board")


@pytest.fixture(autouse=True)
def _cached_sessions(settings):
    settings.SESSION_ENGINE = "accounts.sessions_cached"
    settings.CACHES = settings.CACHES | {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "s"}
    }
    from django.core.cache import cache

    cache.clear()


def session_queries(client, path: str = BOARD) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in queries if UserSession._meta.db_table in q["sql"]]


def test_a_signed_in_request_reads_its_session_from_the_cache(client_for, nurse):
    client = client_for(nurse)
    client.get(BOARD)  # activity written, the cache holds the session

    assert session_queries(client) == []


def test_the_session_row_still_knows_its_user(client_for, nurse):
    client = client_for(nurse)

    row = UserSession.objects.get(session_key=client.session.session_key)
    assert row.user_id == nurse.pk


def test_a_session_missing_from_the_cache_is_read_from_the_database(client_for, nurse):
    from django.core.cache import cache

    client = client_for(nurse)
    cache.clear()  # Redis restarted: it keeps nothing on disk

    assert session_queries(client) != []  # read from its row, then cached again
    assert session_queries(client) == []


def test_deactivating_a_user_ends_their_cached_sessions_at_once(client_for, nurse, neurologist):
    ward, office = client_for(nurse), client_for(nurse)
    colleague = client_for(neurologist)
    for client in (ward, office, colleague):
        client.get(BOARD)

    nurse.is_active = False
    nurse.save()  # as the Django admin does

    assert ward.get(BOARD).status_code == 302
    assert office.get(BOARD).status_code == 302
    assert colleague.get(BOARD).status_code == 200


def test_a_password_change_ends_the_users_other_cached_sessions(client_for, nurse):
    ward, office = client_for(nurse), client_for(nurse)
    for client in (ward, office):
        client.get(BOARD)
    new = "Another-long-pass-8642"
    data = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}

    assert office.post(reverse("accounts:password_change"), data).status_code == 302

    assert office.get(BOARD).status_code == 200
    assert ward.get(BOARD).status_code == 302


def test_removing_an_authenticator_ends_its_users_cached_sessions(client_for, neurologist):
    client = client_for(neurologist)  # signed in, past the second factor
    client.get(BOARD)

    TOTPDevice.objects.filter(user=neurologist).delete()  # a lost phone, in the Django admin

    assert client.get(BOARD)["Location"].startswith(reverse("login"))


def test_ending_sessions_removes_their_cached_copies(client_for, nurse):
    from django.core.cache import cache

    client = client_for(nurse)
    key = CachedSessionStore.cache_key_prefix + client.session.session_key
    client.get(BOARD)
    assert cache.get(key) is not None

    nurse.is_active = False
    nurse.save()

    assert cache.get(key) is None


def test_signing_out_ends_the_cached_session(client_for, nurse):
    client = client_for(nurse)
    client.get(BOARD)

    client.post(reverse("logout"))

    assert client.get(BOARD).status_code == 302
