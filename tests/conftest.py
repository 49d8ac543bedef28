"""Shared people and trials for the specification.

Tests run with DJANGO_DEBUG=1 in the environment (the Makefile sets it), so config.settings uses
its development defaults: SQLite unless DATABASE_URL points at PostgreSQL.

The named users are the ones DOMAIN.md describes: a nurse, a neurologist and an admin. Trials are
brought to a phase through trials/scenarios.py, i.e. with the same service calls a user makes, so
a fixture can never reach a state the protocol forbids.
"""

import gc

import pytest
from django.test import Client, override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import Role, User
from tests import factories
from tests.module_data import (  # noqa: F401
    MODULE_DATA,
    module_db,
    module_people,
    module_states,
    module_team,
    module_trial_in,
)
from trials import scenarios
from trials.models import SiteSettings
from trials.models import site as site_settings

PASSWORD = factories.PASSWORD


@pytest.fixture(autouse=True)
def _site_settings_read_afresh(monkeypatch):
    # Each process keeps the site settings it read for a few seconds (SiteSettings.current): a
    # copy read in an earlier test, whose transaction was rolled back, is not this test's. Within
    # a test the copy does not expire by itself, however slowly the test runs: it changes when the
    # settings are saved, or after SiteSettings.forget() (a change made behind its back).
    monkeypatch.setattr(site_settings, "CACHE_SECONDS", float("inf"))
    SiteSettings.forget()
    yield
    SiteSettings.forget()


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    # Signing re-checks the password; the production hasher would make each check take ~0.5 s.
    # For the whole session, so users made once for a module (module_people) get it too.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


# Python's cyclic garbage collector runs after every 700 new container objects: building a trial
# or reading a record makes hundreds of thousands of model instances, so the collector ran ~1,300
# times in a file like tests/trials/test_workflow.py (~10 % of its CPU time), each young pass
# walking what the last ones kept. Collected after every 50,000 instead (test processes only,
# ~10 MB more each); what the imports and the collection made, which lives as long as the
# process, is frozen out of the collector's walks. Only garbage in reference cycles waits longer
# to be freed; no test looks at when (none uses gc or weak references).
gc.set_threshold(50_000, 20, 100)


def pytest_collection_finish(session):
    gc.collect()
    gc.freeze()


# The files that take longest, started first. `make test` hands whole files to the workers in
# the order of the collection (--dist loadfile --no-loadscope-reorder; xdist's own order would
# put the files of fewest tests last, and the browser journey is a single test), so none of these
# starts while the other worker is finishing and runs on alone. Longest first, as measured one
# process at a time on PostgreSQL; every other file keeps its place after them.
# The keyboard tests come third: xdist gives the first file to one worker and the second to the
# other, then at once one more file to each worker with at most two tests pending, which is only
# the journey's (a single test). So both browser files run in one process, one after the other,
# and share its app server (live_app: a database copied, users created, a server started and
# stopped once, not once per worker). The keyboard tests pass on the app's clock as the journey
# left it, a day or two ahead of the real time their trials are made at.
LONGEST_FIRST = [
    "tests/browser/test_trial_journey.py",  # ~105 s
    "tests/security/test_fuzz_forms.py",  # ~75 s
    "tests/browser/test_keyboard.py",  # ~26 s with an app server of its own
    "tests/views/test_query_counts.py",  # ~53 s
    "tests/views/test_stored_extremes.py",  # ~51 s
    "tests/ops/test_sqlite_concurrency.py",  # ~38 s
    "tests/views/test_my_tasks.py",  # ~31 s
    "tests/ward/test_state_machine.py",  # ~27 s
    "tests/outcomes/test_summary.py",  # ~24 s
    "tests/trials/test_seed_demo.py",  # ~24 s
    "tests/trials/test_workflow.py",  # ~23 s
    "tests/views/test_homes_bounded.py",  # ~22 s
]


def _first_rank(module_items: list) -> int:
    path = module_items[0].nodeid.split("::")[0]
    return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(items):
    # The tests of a module that use none of its data built once (tests/module_data.py) run
    # first, so they never see that data; the rest run after, in their written order.
    modules: dict = {}
    for item in items:
        modules.setdefault(item.module, []).append(item)
    items[:] = [
        item
        for group in sorted(modules.values(), key=_first_rank)
        for item in sorted(group, key=lambda item: bool(MODULE_DATA & set(item.fixturenames)))
    ]


# The named users, by the name of their fixture.
PEOPLE = {
    "nurse": ("nadia", Role.NURSE, "Nadia", "Okafor"),
    "neurologist": ("hugo", Role.NEUROLOGIST, "Hugo", "Lindqvist"),
    "admin_user": ("ada", Role.ADMIN, "Ada", "Brennan"),
}


def make_user(name: str) -> User:
    username, role, first, last = PEOPLE[name]
    return User.objects.create_user(
        username=username, password=PASSWORD, role=role, first_name=first, last_name=last
    )


@pytest.fixture
def nurse(db) -> User:
    return make_user("nurse")


@pytest.fixture
def neurologist(db) -> User:
    return make_user("neurologist")


@pytest.fixture
def admin_user(db) -> User:
    return make_user("admin_user")


@pytest.fixture
def team(nurse, neurologist) -> scenarios.Team:
    return scenarios.Team(nurse, neurologist, PASSWORD)


@pytest.fixture
def make_patient(db):
    return factories.make_patient


@pytest.fixture
def patient(make_patient):
    return make_patient()


@pytest.fixture
def trial_in(team, make_patient):
    """trial_in("observation") -> a trial of a new patient brought to that state.

    States: see factories.STATES (the phases plus "follow_up_decided_nonresponder" and the
    "*_ready" states whose every move out is unblocked).
    """

    def build(state: str, *, patient=None):
        return factories.build_trial(state, team, patient or make_patient())

    return build


def sign_in(client: Client, user) -> Client:
    """Sign the client in as the user, past the second factor when the user needs one.

    force_login, because django-axes needs the request that Client.login() does not pass to
    authenticate(). A neurologist or admin gets a confirmed authenticator, and the session is
    marked as having passed it, as accounts.views.verify does (tests/security/ go through the
    real password and code pages)."""
    client.force_login(user)
    if two_factor.pending_step(user):
        device = two_factor.confirmed_device(user) or TOTPDevice.objects.create(
            user=user, name="Test authenticator", confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_for(db):
    """client_for(user) -> a django test Client signed in as that user (second factor passed
    when the user's role needs it)."""

    def login(user) -> Client:
        return sign_in(Client(), user)

    return login


@pytest.fixture
def clock_stands_still():
    """No time passes on the server's clock during the test (time-machine): two requests
    compared for their query counts come at the same moment, however long the data took to
    build, so a session refreshed for activity cannot add its writes to one count only."""
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now(), tick=False):
        yield
