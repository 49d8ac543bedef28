"""Fixtures of the operations tests: static files collected once for every server started, and
one PostgreSQL site shared by the tests that need PostgreSQL."""

import fcntl
import os
import secrets
from dataclasses import dataclass

import pytest
import redis
from django.db import OperationalError, connection, connections

from tests.ops import live


@pytest.fixture
def database_down(db):
    """The database refuses connections (as when its server is stopped); back up afterwards,
    before the test's transaction is rolled back."""

    def refused(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connection, "cursor", refused)
        yield


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """A folder holding `collectstatic`'s output (hashed names, manifest), as in production.

    Collected once for the run (~9 s of CPU for 1,000 files, compressed): under pytest-xdist the
    workers share the run's temporary folder, and the first worker to need it collects while
    the others wait for it (a lock file), rather than each collecting its own. The servers only
    read it."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        root = tmp_path_factory.mktemp("static")
        live.collect_static(live.app_env("sqlite:///unused.sqlite3", root))
        return root
    shared = tmp_path_factory.getbasetemp().parent  # this run's, common to its workers
    root, done = shared / "static", shared / "static.collected"
    with (shared / "static.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            root.mkdir(exist_ok=True)
            live.collect_static(live.app_env("sqlite:///unused.sqlite3", root))
            done.touch()
    return root


@dataclass
class Site:
    """A PostgreSQL database of its own, migrated and filled, with the environment of the
    app servers that use it (production settings, Redis)."""

    database_url: str
    env: dict[str, str]
    trials: list[int]
    patients: list[int]


STATES = ["observation"]


@pytest.fixture(scope="session")
def pg_site(static_root, django_db_setup, django_db_blocker):
    """One site for the PostgreSQL tests (two servers, backup): skipped on SQLite.

    Its database is a copy of the migrated, empty test database (CREATE DATABASE … TEMPLATE,
    much faster than migrating again); when there is none, or another session is connected to
    it, a new database is migrated."""
    source = os.environ.get("DATABASE_URL", "")
    if not live.is_postgres(source):
        pytest.skip(
            "needs PostgreSQL: set DATABASE_URL=postgres://… (CI does); the app servers share "
            "one database, which the embedded SQLite file cannot be across machines"
        )
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    with django_db_blocker.unblock():
        # The test database, when this run created it (not when no test of the run needs it).
        template = connection.settings_dict["NAME"]
        if template == live.db_name(source):
            template = ""
        connections.close_all()
    with live.postgres_database(source, "itb_ops", template=template) as (database_url, copied):
        env = live.app_env(
            database_url,
            static_root,
            REDIS_URL=redis_url,
            DJANGO_CACHE_KEY_PREFIX=f"itb-test-{secrets.token_hex(4)}",
        )
        made = live.setup_data(env, migrate=not copied, nurses=1, states=STATES, patients=1)
        yield Site(database_url, env, made["trial"], made["patient"])
    cache = redis.Redis.from_url(redis_url)
    for key in cache.scan_iter(match=env["DJANGO_CACHE_KEY_PREFIX"] + ":*"):
        cache.delete(key)
