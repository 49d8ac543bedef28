"""A copy of an earlier revision is brought up to date by reading again what changed since.

Each process keeps copies of trials' records by revision (trials/services/record_cache.py). A
tick served by one process leaves the other holding a copy of the revision before it. The tick
writes a record step ([revision, the revision before, the parts changed]) in its transaction,
and the other process reads again only the checklist entries, not the whole record. These
tests play the other process: after the changes, this process is left holding only the copy it
had before them, as the process that served none of them would.
"""

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests import module_data
from tests.trials.test_record_cache import (
    PEOPLE_APART,
    forget_everything_kept,
    observation_tick,
    page_without_tokens,
)
from tests.trials.test_records import vitals_data as vitals
from trials.models import RecordSteps, Trial
from trials.services import checklist, records
from trials.services.record_cache import CACHE, PEOPLE_NAMED, STEPS_KEPT, _key
from trials.services.snapshot import TrialSnapshot

TRIAL_STATES = ["observation"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user

# The observation checklist's items a nurse ticks, in turn.
ITEMS = ["rest_today", "warning_signs", "no_strenuous"]


def current_revision(trial) -> str:
    return Trial.objects.values_list("revision", flat=True).get(pk=trial.pk)


def held_copy(trial) -> tuple[str, Trial, object]:
    """The copy this process keeps of the trial's record as it stands (read to be kept), and its
    note of the people that copy names (record_cache.PEOPLE_NAMED)."""
    TrialSnapshot.load(trial.pk)
    revision = current_revision(trial)
    named = caches[CACHE].get(PEOPLE_NAMED.format(trial.pk))
    return revision, caches[CACHE].get(_key(trial.pk, revision)), named


def holding_only(trial, held: tuple[str, Trial, object]) -> None:
    """This process keeps nothing of the trial's record but `held` (as the other process)."""
    revision, copy, named = held
    caches[CACHE].clear()
    caches[CACHE].set(_key(trial.pk, revision), copy)
    if named is not None:
        caches[CACHE].set(PEOPLE_NAMED.format(trial.pk), named)


def committed(change, *args, **kwargs) -> None:
    """Run a change as a request does: its own transaction, the copy kept once it commits."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        change(*args, **kwargs)


def untick(trial, nurse, item_key: str) -> None:
    checklist.checklist_untick(
        trial_id=trial.pk, checklist_key="observation", item_key=item_key, actor=nurse
    )


def ticked(snap) -> set[str]:
    return set(snap.entries_for("observation", snap.attempt))


def whole_read_queries(trial) -> int:
    caches[CACHE].clear()
    with CaptureQueriesContext(connection) as whole:
        TrialSnapshot.load(trial.pk)
    return len(whole)


def test_a_tick_served_elsewhere_is_read_as_the_entries_alone(observed, nurse):
    held = held_copy(observed)
    committed(observation_tick, observed, nurse, "rest_today")
    holding_only(observed, held)

    with CaptureQueriesContext(connection) as read:
        snap = TrialSnapshot.load(observed.pk)

    # the revision with its steps (and the people named, on PostgreSQL), the checklist entries
    assert len(read) == 2 + PEOPLE_APART
    assert "trials_checklistentry" in read.captured_queries[1]["sql"]
    assert "rest_today" in ticked(snap)
    assert snap.trial.revision == current_revision(observed)
    assert len(read) < whole_read_queries(observed)


def test_the_record_brought_up_to_date_is_kept_for_the_next_read(observed, nurse):
    held = held_copy(observed)
    committed(observation_tick, observed, nurse, "rest_today")
    holding_only(observed, held)
    TrialSnapshot.load(observed.pk)

    with CaptureQueriesContext(connection) as again:
        snap = TrialSnapshot.load(observed.pk)

    # the revision, the people named: the copy of this revision
    assert len(again) == 1 + PEOPLE_APART
    assert "rest_today" in ticked(snap)


def changes(count: int):
    """`count` ticks and unticks of the observation checklist, and the items ticked after."""
    made = [(observation_tick, item) for item in ITEMS] + [(untick, item) for item in ITEMS]
    made = (made * count)[:count]
    left: set[str] = set()
    for change, item in made:
        left = left | {item} if change is observation_tick else left - {item}
    return made, left


def test_ticks_and_unticks_served_elsewhere_up_to_the_steps_kept_are_read_as_entries(
    observed, nurse
):
    held = held_copy(observed)
    made, left = changes(STEPS_KEPT)
    for change, item in made:
        committed(change, observed, nurse, item)
    holding_only(observed, held)

    with CaptureQueriesContext(connection) as read:
        snap = TrialSnapshot.load(observed.pk)

    assert len(read) == 2 + PEOPLE_APART  # as a tick served elsewhere
    assert ticked(snap) == left


def test_a_copy_more_steps_behind_than_kept_is_read_whole(observed, nurse):
    held = held_copy(observed)
    made, left = changes(STEPS_KEPT + 1)
    for change, item in made:
        committed(change, observed, nurse, item)
    holding_only(observed, held)

    with CaptureQueriesContext(connection) as read:
        snap = TrialSnapshot.load(observed.pk)

    assert ticked(snap) == left
    assert len(read) == whole_read_queries(observed)


def test_a_change_that_writes_no_step_breaks_the_chain(observed, nurse):
    held = held_copy(observed)
    committed(records.vitals_record, trial_id=observed.pk, actor=nurse, data=vitals(heart_rate=97))
    committed(observation_tick, observed, nurse, "rest_today")
    holding_only(observed, held)  # the tick's step reaches back to the vital signs, not here

    with CaptureQueriesContext(connection) as read:
        snap = TrialSnapshot.load(observed.pk)

    assert 97 in [v.heart_rate for v in snap.attempt.vitals.all()]
    assert "rest_today" in ticked(snap)
    assert len(read) == whole_read_queries(observed)


def test_vital_signs_recorded_after_a_tick_are_never_hidden_by_the_copy_before(observed, nurse):
    held = held_copy(observed)  # the revision the tick's step starts from
    committed(observation_tick, observed, nurse, "rest_today")
    committed(records.vitals_record, trial_id=observed.pk, actor=nurse, data=vitals(heart_rate=98))
    holding_only(observed, held)  # the tick's step is the last, but not the last change

    snap = TrialSnapshot.load(observed.pk)

    assert 98 in [v.heart_rate for v in snap.attempt.vitals.all()]
    assert "rest_today" in ticked(snap)


def test_the_writer_that_follows_a_tick_served_elsewhere_sees_it(observed, nurse):
    held = held_copy(observed)
    committed(observation_tick, observed, nurse, "rest_today")
    holding_only(observed, held)

    committed(untick, observed, nurse, "rest_today")  # under its lock, from the earlier copy
    holding_only(observed, held)

    assert ticked(TrialSnapshot.load(observed.pk)) == set()
    lines = RecordSteps.objects.get(trial=observed).steps.splitlines()
    [(after, before, parts), (tick_after, tick_before, _)] = [line.split(" ") for line in lines]
    assert after == current_revision(observed) and before == tick_after
    assert tick_before == held[0] and parts == "entries"


def test_a_tick_rolled_back_leaves_no_step(observed, nurse):
    committed(observation_tick, observed, nurse, "rest_today")
    steps = RecordSteps.objects.get(trial=observed).steps

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        observation_tick(observed, nurse, "warning_signs")
        raise Abandoned

    assert RecordSteps.objects.get(trial=observed).steps == steps
    assert steps.startswith(current_revision(observed) + " ")


def test_the_page_from_a_copy_brought_up_to_date_is_the_page_read_cold(
    full_record, team, client_for, clock_stands_still
):
    client = client_for(team.nurse)
    url = full_record.get_absolute_url()
    page_without_tokens(client, url)  # this process keeps the record and the page's parts
    held = held_copy(full_record)
    committed(observation_tick, full_record, team.nurse, "rest_today")
    committed(observation_tick, full_record, team.nurse, "warning_signs")
    holding_only(full_record, held)

    stepped = page_without_tokens(client, url)
    forget_everything_kept()
    cold = page_without_tokens(client, url)

    assert "Paracetamol" in cold and "LOT-2292" in cold
    assert stepped == cold


def test_two_ticks_in_one_transaction_leave_an_unbroken_chain(observed, nurse):
    held = held_copy(observed)

    def two_ticks() -> None:
        observation_tick(observed, nurse, "rest_today")
        observation_tick(observed, nurse, "warning_signs")

    committed(two_ticks)
    holding_only(observed, held)

    with CaptureQueriesContext(connection) as read:
        snap = TrialSnapshot.load(observed.pk)

    assert len(read) == 2 + PEOPLE_APART  # as a tick served elsewhere
    assert ticked(snap) == {"rest_today", "warning_signs"}


def test_a_person_first_named_by_a_tick_served_elsewhere_is_read_and_named(observed, nurse):
    from accounts.models import Role, User

    held = held_copy(observed)  # its note of the people named: not the new nurse
    newcomer = User.objects.create_user(
        username="newcomer", password="x" * 12, role=Role.NURSE, first_name="Nell",
        last_name="Newcomer",
    )  # fmt: skip
    committed(observation_tick, observed, newcomer, "rest_today")
    holding_only(observed, held)

    snap = TrialSnapshot.load(observed.pk)

    entry = snap.entries_for("observation", snap.attempt)["rest_today"]
    assert entry.by.printed_name == newcomer.printed_name
    assert snap.trial.people_named == TrialSnapshot.load(observed.pk).trial.people_named
    forget_everything_kept()
    assert snap.trial.people_named == TrialSnapshot.load(observed.pk).trial.people_named
