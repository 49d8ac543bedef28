"""Data built once for a test module, for the tests that only read it.

Building trials through the services takes seconds each. Where many tests of a module read the
same trials, a module-scoped fixture builds them once, inside `module_db`: a transaction around
the whole module, rolled back after its last test. Each test still runs in a savepoint of its own
(the `db` fixture), so what a test writes is gone before the next one starts.

Such a fixture is named in MODULE_DATA: the tests of a module that do not use it run before it is
built (tests/conftest.py orders them), so no test sees data it did not ask for. The data is made
by the module's named users (`module_people`); a conftest or test module that uses it imports
`nurse`, `neurologist` and `admin_user` from here, so its tests are those same people. A test
reading the data still asks for the database (`db`, or `pytest.mark.django_db`): pytest-django
sets up the test database for such tests only, and gives each its savepoint.

Where the tests of a module each need a trial in some state and may change it (a move, an entry,
a refused post), the module lists those states in TRIAL_STATES and its tests take the trial from
`module_trial_in(state)`: one trial per state, built once (`module_states`); what a test changes
is rolled back with its savepoint, so the next test meets the trial as built.

A module fixture that builds data runs its deferred constraint checks once it is built
(`check_deferred`), in the module's transaction: left pending, they would run again at the end of
every test of the module, as the test's savepoint rolls back (seconds a test, for many rows).

Where a module only compares measurements (query counts with few trials and with many), a module
fixture builds and measures inside `rolled_back` instead, and leaves no data behind.
"""

from contextlib import contextmanager

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from tests import factories
from trials import scenarios
from trials.models import SiteSettings, Trial
from trials.models import site as site_settings

MODULE_DATA = {
    "module_cohort", "module_late", "module_amended", "module_trials", "module_states",
    "module_demo", "module_ward", "module_given", "module_dosed", "module_dosed_17", "module_homes",
}  # fmt: skip


def check_deferred() -> None:
    """Run now, once, the constraint checks deferred to the end of the module's transaction
    (Django's foreign keys are DEFERRABLE INITIALLY DEFERRED), for the data a module fixture has
    just built.

    Django's TestCase checks them at the end of every test (SET CONSTRAINTS ALL IMMEDIATE), inside
    the test's savepoint; rolling the savepoint back marks those checks pending again, so every
    test of the module would run the checks of all the module's data once more. Checked here,
    they are done."""
    connection.check_constraints()


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def module_people(module_db, django_db_blocker) -> dict[str, int]:
    """The named users (tests/conftest.py, PEOPLE) made once for the module: ids by fixture name."""
    from tests.conftest import PEOPLE, make_user

    with django_db_blocker.unblock():
        people = {name: make_user(name).pk for name in PEOPLE}
        check_deferred()
    return people


@pytest.fixture(scope="module")
def module_team(module_people, django_db_blocker) -> scenarios.Team:
    """The module's nurse and neurologist, to build its data with (inside django_db_blocker)."""
    with django_db_blocker.unblock():
        return scenarios.Team(
            User.objects.get(pk=module_people["nurse"]),
            User.objects.get(pk=module_people["neurologist"]),
            factories.PASSWORD,
        )


@pytest.fixture(scope="module")
def module_states(request, module_team, django_db_blocker) -> dict[str, list[int]]:
    """A trial of a new patient in each state the test module lists in TRIAL_STATES (the states
    of factories.STATES; a state listed twice gets two trials), built once for the module: ids
    by state."""
    made: dict[str, list[int]] = {}
    with django_db_blocker.unblock():
        for state in request.module.TRIAL_STATES:
            trial = factories.build_trial(state, module_team, factories.make_patient())
            made.setdefault(state, []).append(trial.pk)
        check_deferred()
    return made


@pytest.fixture
def module_trial_in(db, module_states):
    """module_trial_in("observation") -> the module's trial in that state (module_states), as
    built: what an earlier test changed in it was rolled back after that test.
    module_trial_in("observation", 2): the second, for a module that lists the state twice."""
    return lambda state, number=1: Trial.objects.get(pk=module_states[state][number - 1])


@pytest.fixture
def nurse(db, module_people) -> User:
    return User.objects.get(pk=module_people["nurse"])


@pytest.fixture
def neurologist(db, module_people) -> User:
    return User.objects.get(pk=module_people["neurologist"])


@pytest.fixture
def admin_user(db, module_people) -> User:
    return User.objects.get(pk=module_people["admin_user"])


@contextmanager
def rolled_back(django_db_blocker):
    """For a module fixture that builds data and measures it before any test runs: inside a
    transaction rolled back at the end, with no time passing on the server's clock (as
    clock_stands_still), so two requests compared for their query counts come at one moment.
    The site settings are read afresh once and then kept, as in every test (tests/conftest.py):
    the process's few seconds of keeping them run on a clock that time-machine does not stop."""
    with (
        django_db_blocker.unblock(),
        time_machine.travel(timezone.now(), tick=False),
        pytest.MonkeyPatch.context() as patch,
        transaction.atomic(),
    ):
        patch.setattr(site_settings, "CACHE_SECONDS", float("inf"))
        SiteSettings.forget()
        yield
        transaction.set_rollback(True)
    SiteSettings.forget()
