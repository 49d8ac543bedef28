"""The homes' reads, compiled once per process, return what their QuerySets return.

The ward board, the worklist and the trials by phase send their first read (which trials, at
which revision, how many more) compiled once per process, with the clock put in on each view
(core/baked.py). These tests build trials on both sides of the board's 24-hour line and compare
each baked read with the QuerySet it was made from, at moments on either side of that line: a
read that kept the moment it was compiled at would show the same trials at every moment.
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.baked import Baked, BakeError
from patients.models import Patient
from tests import module_data
from tests.views.conftest import inject
from trials.models import Trial
from trials.models.trial import OBSERVED, heads_of
from trials.views import board, home, pages

HOURS = timedelta(hours=1)


# The trials are built once for the module (tests/module_data.py); the one change a test makes
# is rolled back after it.
TRIAL_STATES = ["preparation", "injection", "follow_up", "completed"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


@pytest.fixture(scope="module")
def module_homes(module_states, module_team, django_db_blocker):
    with django_db_blocker.unblock():
        now = timezone.now()
        doses = {hours: inject(module_team, now - hours * HOURS).pk for hours in (1, 23, 30)}
        module_data.check_deferred()
    return now, doses


@pytest.fixture
def ward(db, module_homes, module_states):
    """Trials on the board (dosed 1 h and 23 h ago), one past its line (dosed 30 h ago, its
    discharge not recorded), and a trial in each of TRIAL_STATES."""
    now, doses = module_homes
    others = [Trial.objects.get(pk=pks[0]) for pks in module_states.values()]
    return now, {hours: Trial.objects.get(pk=pk) for hours, pk in doses.items()}, others


def expected(build, now, *inputs) -> list[tuple]:
    return [tuple(row) for row in build(now, *inputs)]


HOME_READS = {
    "board": (board.OBSERVED_NOW, board.BOARD_LIMIT),
    "board, discharge not recorded": (board.NOT_RECORDED, board.STALE_LIMIT),
    "worklist": (home.WAITING, home.WORKLIST_LIMIT),
}


@pytest.mark.parametrize("read, limit", HOME_READS.values(), ids=HOME_READS.keys())
@pytest.mark.parametrize("later", [timedelta(0), 2 * HOURS, 10 * HOURS, 30 * HOURS])
def test_a_home_read_baked_returns_what_its_queryset_returns_at_any_moment(
    ward, read, limit, later
):
    now = ward[0] + later
    assert read.rows(now, limit) == expected(read.build, now, limit)


@pytest.mark.parametrize("read, limit", HOME_READS.values(), ids=HOME_READS.keys())
def test_a_home_read_keeps_one_compiled_form_per_limit(ward, read, limit):
    now = ward[0] + HOURS
    one, every = read.rows(now, 1), read.rows(now, limit)
    assert len(one) == 1 and one == expected(read.build, now, 1)
    assert every == expected(read.build, now, limit)
    assert heads_of(one)[1] == len(every) - 1  # the rest, counted


def test_the_board_moves_a_trial_to_discharge_not_recorded_the_second_its_day_has_passed(ward):
    now, doses, _ = ward
    day_old = doses[23]
    dosed_at = day_old.attempts.get().given_at
    before, after = dosed_at + OBSERVED, dosed_at + OBSERVED + timedelta(seconds=1)
    board.OBSERVED_NOW.rows(now, 40)  # compiled at one moment, sent at others

    on_board = [pk for pk, _ in heads_of(board.OBSERVED_NOW.rows(before, 40))[0]]
    stale = [pk for pk, _ in heads_of(board.NOT_RECORDED.rows(before, 40))[0]]
    assert day_old.pk in on_board and day_old.pk not in stale

    on_board = [pk for pk, _ in heads_of(board.OBSERVED_NOW.rows(after, 40))[0]]
    stale = [pk for pk, _ in heads_of(board.NOT_RECORDED.rows(after, 40))[0]]
    assert day_old.pk not in on_board and day_old.pk in stale


def test_the_trial_list_reads_baked_return_what_their_querysets_return(ward):
    assert pages.OPEN_COUNTS.rows() == expected(pages.OPEN_COUNTS.build, None)
    heads = pages.RECENT_HEADS.rows(None, pages.GROUP_SIZE)
    assert heads == expected(pages.RECENT_HEADS.build, None, pages.GROUP_SIZE)
    assert {pk for pk, _, _ in heads} >= {t.pk for t in ward[2]}


def test_a_baked_read_sees_a_change_made_after_it_was_compiled(ward):
    now, doses, _ = ward
    before = {pk: revision for pk, revision, _ in board.OBSERVED_NOW.rows(now, 40)}
    Trial.objects.filter(pk=doses[1].pk).update(outcome_note="changed elsewhere")  # a new revision
    after = {pk: revision for pk, revision, _ in board.OBSERVED_NOW.rows(now, 40)}
    assert after[doses[1].pk] != before[doses[1].pk]
    assert after[doses[23].pk] == before[doses[23].pk]


def test_a_baked_read_is_compiled_once_then_sent_as_one_query(ward):
    now = ward[0]
    read = Baked(lambda moment: Trial.objects.observed_now(moment).heads_query(5))
    read.rows(now)
    compiling = mock.patch.object(SQLCompiler, "as_sql", autospec=True)
    with compiling as as_sql, CaptureQueriesContext(connection) as sent:
        rows = read.rows(now + HOURS)
    as_sql.assert_not_called()
    assert len(sent) == 1
    assert rows == expected(read.build, now + HOURS)


def test_values_come_back_converted_as_the_queryset_converts_them(ward):
    now = ward[0] + HOURS  # after the trials were made
    read = Baked(
        lambda moment: (
            Trial.objects.filter(created_at__lte=moment)
            .order_by("pk")
            .values_list("pk", "created_at", "referred_on", "revision")
        )
    )
    rows = read.rows(now)
    assert rows == expected(read.build, now)
    assert rows and all(timezone.is_aware(created) for _, created, _, _ in rows)


@pytest.mark.parametrize(
    "build, refusal",
    [
        (lambda moment: Trial.objects.filter(pk__gt=moment.year), "is not one"),
        (lambda moment: Trial.objects.filter(created_at__year=moment.year), "fixed offset"),
    ],
    ids=["a number from the moment", "the moment's year"],
)
def test_a_read_that_depends_on_the_moment_otherwise_than_by_an_offset_is_refused(
    db, build, refusal
):
    with pytest.raises(BakeError, match=refusal):
        Baked(build).rows(timezone.now())


def test_a_read_whose_sql_changes_with_the_moment_is_refused(db):
    read = Baked(
        lambda moment: Trial.objects.filter(pk=1) if moment.year < 2002 else Trial.objects.all()
    )
    with pytest.raises(BakeError, match="SQL changes"):
        read.rows(timezone.now())


def test_a_read_that_moves_with_the_clock_needs_the_moment(db):
    with pytest.raises(BakeError, match="give it the moment"):
        board.OBSERVED_NOW.rows(None, 40)


# --- Values put in: a text searched for, an id --------------------------------------------


def by_name(moment, text):
    return Patient.objects.filter(last_name__icontains=text).order_by("pk").values_list("pk")


@pytest.mark.parametrize("text", ["", "a", "%", "_", "\\", "50%_off", "O'Brien", "ö"])
def test_a_text_put_in_matches_as_the_queryset_matches_it(ward, text):
    Patient.objects.filter(pk=ward[2][0].patient_id).update(last_name="50%_off O'Brien ö")
    read = Baked(by_name, values=(str,))

    assert read.rows(None, values=(text,)) == expected(by_name, None, text)


def test_a_wildcard_typed_is_searched_for_not_obeyed(ward):
    read = Baked(by_name, values=(str,))
    assert read.rows(None, values=("%",)) == []  # no name holds a %
    assert read.rows(None, values=("_",)) == []


def test_an_id_put_in_reads_that_row(ward):
    trial = ward[1][1]
    read = Baked(
        lambda moment, pk: Trial.objects.filter(pk=pk).values_list("revision"), values=(int,)
    )
    assert read.rows(None, values=(trial.pk,)) == [(trial.revision,)]
    assert read.rows(None, values=(-1,)) == []


@pytest.mark.parametrize("values", [("text",), (1.5,), (True,), ()], ids=repr)
def test_a_value_of_another_type_is_refused(db, values):
    read = Baked(lambda moment, pk: Trial.objects.filter(pk=pk), values=(int,))
    with pytest.raises(BakeError, match="takes values"):
        read.rows(None, values=values)


def test_a_value_the_read_does_not_use_is_refused(db):
    read = Baked(lambda moment, pk: Trial.objects.all(), values=(int,))
    with pytest.raises(BakeError, match="not one of its parameters"):
        read.rows(None, values=(1,))
