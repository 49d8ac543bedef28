"""The trial's record is read once per change: every change shows at once, whoever made it.

Each process keeps a copy of a trial's record keyed by the trial's revision, a random token the
database writes on every change to the record (trials/services/record_cache.py, migration 0016).
These tests change the record every way it can change (the app's services, a rolled-back write,
two writes in one transaction, an edit made in the database directly, a user's corrected name)
and read it the way the trial page does, with a copy already kept.
"""

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.cache import caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import ProtocolError
from tests import module_data
from tests.factories import PASSWORD
from tests.trials.test_records import vitals_data as vitals
from trials import presenters
from trials.models import Trial
from trials.services import checklist, records
from trials.services.record_cache import CACHE
from trials.services.snapshot import TrialSnapshot
from trials.templatetags.kept import CACHE as PARTS

RECORD_TABLES = __import__(
    "trials.migrations.0016_trial_revision", fromlist=["RECORD_TABLES"]
).RECORD_TABLES

# The trials are built once for the module (tests/module_data.py): what a test changes is rolled
# back after it, and with it the revision the change gave the trial. The named users of the module
# are the people who built them.
TRIAL_STATES = ["observation", "observation", "preparation"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


def revision(trial) -> str:
    return Trial.objects.values_list("revision", flat=True).get(pk=trial.pk)


# The people a copy names are read again with each read of it: on PostgreSQL in the same round
# trip as the trial's revision (those the last copy read named), elsewhere in a query of their own.
PEOPLE_APART = int(connection.vendor != "postgresql")


def heart_rates(trial) -> list[int]:
    snap = TrialSnapshot.load(trial.pk)
    return [v.heart_rate for v in snap.attempts[-1].vitals.all()]


def test_a_second_read_of_an_unchanged_record_takes_the_kept_copy(observed):
    with CaptureQueriesContext(connection) as fresh:
        TrialSnapshot.load(observed.pk)
    with CaptureQueriesContext(connection) as kept:
        snap = TrialSnapshot.load(observed.pk)
        shown = presenters.timeline(snap.trial).latest
    # the revision, the people named on the record (with it on PostgreSQL), the timeline
    assert len(kept) == 2 + PEOPLE_APART
    assert snap.trial.pk == observed.pk and snap.attempts[-1].given_at is not None
    assert shown  # the changes that brought the trial to observation
    assert len(fresh) <= 2  # the copy was already kept by the fixture


def test_a_recorded_vital_sign_shows_on_the_next_read(observed, nurse):
    before = revision(observed)
    records.vitals_record(trial_id=observed.pk, actor=nurse, data=vitals(heart_rate=101))
    assert revision(observed) != before
    assert 101 in heart_rates(observed)


def test_a_refused_write_leaves_the_revision_and_the_kept_copy_as_they_were(observed, nurse):
    before, rates = revision(observed), heart_rates(observed)
    with pytest.raises(ProtocolError):
        records.vitals_record(
            trial_id=observed.pk, actor=nurse, data=vitals(systolic=110, diastolic=130)
        )
    assert revision(observed) == before
    assert heart_rates(observed) == rates


def test_a_copy_taken_inside_a_rolled_back_write_is_never_served(observed, nurse):
    rates = heart_rates(observed)

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        records.vitals_record(trial_id=observed.pk, actor=nurse, data=vitals(heart_rate=133))
        assert 133 in heart_rates(observed)  # read (and kept) inside the transaction
        raise Abandoned
    assert heart_rates(observed) == rates


def test_two_writes_in_one_transaction_leave_the_second_on_the_record(observed, nurse):
    with transaction.atomic():
        records.vitals_record(trial_id=observed.pk, actor=nurse, data=vitals(heart_rate=81))
        heart_rates(observed)  # a copy kept between the two writes
        records.vitals_record(trial_id=observed.pk, actor=nurse, data=vitals(heart_rate=82))
    assert {81, 82} <= set(heart_rates(observed))


def test_an_edit_made_in_the_database_directly_shows_on_the_next_read(observed):
    baseline = TrialSnapshot.load(observed.pk).baseline
    score = baseline.scores.all()[0]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE trials_masscore SET grade = '4' WHERE id = %s", [score.pk])
    again = TrialSnapshot.load(observed.pk).baseline
    assert {s.pk: s.grade for s in again.scores.all()}[score.pk] == "4"


def test_a_corrected_patient_name_shows_on_the_next_read(observed):
    observed.patient.last_name = "Corrected-Name"
    observed.patient.save()
    assert TrialSnapshot.load(observed.pk).trial.patient.last_name == "Corrected-Name"


def test_a_corrected_user_name_shows_on_a_kept_copy(observed, nurse):
    records.vitals_record(trial_id=observed.pk, actor=nurse, data=vitals())
    TrialSnapshot.load(observed.pk)  # kept with the nurse's name as it was
    nurse.last_name = "Married-Name"
    nurse.save()
    snap = TrialSnapshot.load(observed.pk)
    names = {v.recorded_by.last_name for v in snap.attempts[-1].vitals.all()}
    assert names == {"Married-Name"}


def test_each_read_is_a_copy_of_its_own(observed):
    first = TrialSnapshot.load(observed.pk)
    first.attempts[-1].dose_mcg = 999  # a service changing its read in memory
    assert TrialSnapshot.load(observed.pk).attempts[-1].dose_mcg != 999


def test_another_trial_never_shares_a_copy(module_trial_in, observed):
    other = module_trial_in("observation", 2)
    assert TrialSnapshot.load(other.pk).trial.patient_id == other.patient_id
    assert TrialSnapshot.load(observed.pk).trial.patient_id == observed.patient_id


# --- Every table of the record gives the trial a new revision -------------------------------


def record_models() -> list:
    """Every model of the trials app whose rows belong to one trial's record: a foreign key to
    the trial, to one of its attempts or to one of its assessments."""
    owners = {"trials.trial", "trials.doseattempt", "trials.assessment"}
    kept_apart = {"trials.trialfigures"}  # derived figures, not shown from the record
    return [
        model
        for model in apps.get_app_config("trials").get_models()
        if model._meta.label_lower not in kept_apart
        and any(
            f.many_to_one and f.related_model._meta.label_lower in owners
            for f in model._meta.concrete_fields
        )
    ]


def test_every_table_of_the_record_has_its_trigger(db):
    assert {m._meta.db_table for m in record_models()} == set(RECORD_TABLES)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = {row[0] for row in cursor.fetchall()}
    for table in RECORD_TABLES:
        assert any(name.startswith(f"{table}_touch_trial") for name in names), table


def updates_allowed(cursor, table: str) -> None:
    """Lift a table's append-only triggers (PostgreSQL) for this test's transaction only."""
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check pending
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
            "AND tgname NOT LIKE '%%touch_trial'",
            [table],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"')


@pytest.mark.parametrize("table", sorted(RECORD_TABLES))
def test_a_row_of_each_table_changed_in_the_database_changes_the_revision(full_record, table):
    observed = full_record
    trial_of = RECORD_TABLES[table].format(row="r")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r.id FROM {table} r WHERE {trial_of} = %s", [observed.pk])  # noqa: S608 - table names of this module, no input
        row = cursor.fetchone()
        assert row, f"the fixture's trial has no row in {table}"
        updates_allowed(cursor, table)
        before = revision(observed)
        cursor.execute(f"UPDATE {table} SET id = id WHERE id = %s", [row[0]])  # noqa: S608 - table names of this module, no input
    assert revision(observed) != before


def test_an_unticked_item_leaves_the_record_at_once(module_trial_in, nurse):
    from trials import procedure
    from trials.services import checklist

    trial = module_trial_in("preparation")
    item = next(i for i in procedure.PREPARATION.items if procedure.NURSE in i.roles)
    checklist.checklist_tick(
        trial_id=trial.pk, checklist_key="preparation", item_key=item.key, actor=nurse
    )
    assert item.key in TrialSnapshot.load(trial.pk).entries_for("preparation", None)
    checklist.checklist_untick(
        trial_id=trial.pk, checklist_key="preparation", item_key=item.key, actor=nurse
    )
    assert item.key not in TrialSnapshot.load(trial.pk).entries_for("preparation", None)


# --- The page from a kept copy is the page read cold ----------------------------------------


def forget_everything_kept() -> None:
    """This process's copies of records and the parts of pages rendered from them."""
    caches[CACHE].clear()
    caches[PARTS].clear()


def page_without_tokens(client, url: str) -> str:
    html = client.get(url).content.decode()
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+"', "", html)


@pytest.mark.parametrize("role", ["nurse", "neurologist"])
def test_the_trial_page_from_kept_copies_is_the_page_read_cold(
    full_record, team, client_for, clock_stands_still, role
):
    client = client_for(getattr(team, role))
    url = full_record.get_absolute_url()
    forget_everything_kept()
    cold = page_without_tokens(client, url)
    kept = page_without_tokens(client, url)
    assert "Paracetamol" in cold and "LOT-2292" in cold  # the record's parts are on the page
    assert kept == cold


# --- A tick keeps the record as it left it ---------------------------------------------------
# The writer reads the changed entries again under its lock and keeps the record for the new
# revision when its transaction commits: the next read (the next tick, the page) takes it.

TICKS = {
    "a tick": {"item_key": "rest_today"},
    "not applicable": {"item_key": "warning_signs", "not_applicable": True, "na_reason": "Aphasic"},
    "a tick timed earlier": {"item_key": "no_strenuous", "late": "Charted after the handover."},
}


def observation_tick(trial, nurse, item_key: str, **extra) -> None:
    if "late" in extra:
        extra["at"] = timezone.now() - timedelta(minutes=2)
    checklist.checklist_tick(
        trial_id=trial.pk, checklist_key="observation", item_key=item_key, actor=nurse, **extra
    )


@pytest.mark.parametrize("change", sorted(TICKS))
def test_the_record_kept_after_a_tick_is_the_record_read_cold(
    full_record, team, client_for, clock_stands_still, django_capture_on_commit_callbacks, change
):
    client = client_for(team.nurse)
    url = full_record.get_absolute_url()
    with django_capture_on_commit_callbacks(execute=True):
        observation_tick(full_record, team.nurse, **TICKS[change])

    with CaptureQueriesContext(connection) as read:
        snap = TrialSnapshot.load(full_record.pk)
    # the revision and the people named: the record itself was kept, with the tick on it
    assert len(read) == 1 + PEOPLE_APART
    assert TICKS[change]["item_key"] in snap.entries_for("observation", snap.attempt)
    kept = page_without_tokens(client, url)
    forget_everything_kept()
    cold = page_without_tokens(client, url)

    assert kept == cold


def test_the_record_kept_after_an_untick_is_the_record_read_cold(
    full_record, team, client_for, clock_stands_still, django_capture_on_commit_callbacks
):
    client = client_for(team.nurse)
    url = full_record.get_absolute_url()
    observation_tick(full_record, team.nurse, "rest_today")
    with django_capture_on_commit_callbacks(execute=True):
        checklist.checklist_untick(
            trial_id=full_record.pk, checklist_key="observation", item_key="rest_today",
            actor=team.nurse, reason="Not yet told.",
        )  # fmt: skip

    snap = TrialSnapshot.load(full_record.pk)
    kept = page_without_tokens(client, url)
    forget_everything_kept()

    assert "rest_today" not in snap.entries_for("observation", snap.attempt)
    assert kept == page_without_tokens(client, url)


def test_a_tick_rolled_back_keeps_nothing(observed, nurse, django_capture_on_commit_callbacks):
    class Abandoned(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as kept,
        pytest.raises(Abandoned),
        transaction.atomic(),
    ):
        observation_tick(observed, nurse, "rest_today")
        raise Abandoned

    assert kept == []
    snap = TrialSnapshot.load(observed.pk)
    assert "rest_today" not in snap.entries_for("observation", snap.attempt)


def test_a_write_after_a_tick_in_the_same_transaction_is_not_hidden_by_its_copy(
    observed, nurse, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        observation_tick(observed, nurse, "rest_today")
        records.vitals_record(trial_id=observed.pk, actor=nurse, data=vitals(heart_rate=97))

    snap = TrialSnapshot.load(observed.pk)
    assert "rest_today" in snap.entries_for("observation", snap.attempt)
    assert 97 in [v.heart_rate for v in snap.attempt.vitals.all()]


def test_a_kept_copy_holds_no_user_and_the_read_of_it_names_everyone(full_record):
    from accounts.models import User
    from trials.services.record_cache import _key, _people_links, _rows

    caches[CACHE].clear()
    cold = TrialSnapshot.load(full_record.pk)  # read and kept
    kept = caches[CACHE].get(_key(full_record.pk, cold.trial.revision))
    rows = list(_rows(kept))
    cached = [value for row in rows for value in row._state.fields_cache.values()]
    assert not any(isinstance(value, User) for value in cached)
    assert not any(field.is_cached(row) for row, field in _people_links(kept))

    again = TrialSnapshot.load(full_record.pk)
    named = _people_links(again.trial)
    assert named and all(field.is_cached(row) for row, field in named)
    assert again.trial.people_named == cold.trial.people_named


@pytest.mark.parametrize("count", [1, 3, 7, 8, 12])  # 7: eight ids with the unknown one
def test_the_people_named_are_read_as_in_bulk_reads_them_however_many(db, count):
    from accounts.models import Role, User
    from trials.services.record_cache import _people

    users = [
        User.objects.create_user(username=f"person{n}", password=PASSWORD, role=Role.NURSE)
        for n in range(count)
    ]
    ids = {u.pk for u in users} | {10**9}  # one id of no one

    read = _people(ids)
    expected = User.objects.in_bulk(ids)
    assert sorted(read) == sorted(expected) == sorted(u.pk for u in users)
    assert all(
        read[pk].username == expected[pk].username and read[pk].role == expected[pk].role
        for pk in read
    )
