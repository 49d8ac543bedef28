"""The homes read each trial's row once per change of the trial, and every change shows at once.

The ward board, the worklist and the trials by phase first read which trials they show, with each
one's revision (one query); a trial's row is read again only when this process keeps no copy of
it at that revision (trials/services/kept_rows.py). These tests look at each home twice: nothing
changed (no row read, the same page), then after each kind of change a home shows (a vital sign,
a severe adverse event, a corrected name, a new phase), after the clock moved on (what is due
changes with no change to the record), and as another role.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.models import Patient
from tests import factories
from tests.views.conftest import adverse_event
from tests.views.support import html, section
from trials import scenarios
from trials.models import SiteSettings, Trial
from trials.services import kept_rows
from trials.views import board

HOMES = {
    "board": ("trials:board", "as_nurse"),
    "worklist": ("trials:worklist", "as_neurologist"),
    "trials by phase": ("trials:list", "as_admin"),
}


# The clock moves up to 50 minutes between two looks here: the session outlasts it.
pytestmark = pytest.mark.usefixtures("long_idle_limit")


@pytest.fixture
def observed(injected, frozen):
    """A trial dosed 2 h 10 min ago, its vital signs recorded until then: on the board, on the
    worklist (its 2 h assessment is due) and among the trials in observation."""
    return injected(timezone.now() - timedelta(minutes=130), vitals_at=[15, 30, 45, 60, 90, 120])


def look(client, url) -> tuple[str, list[str]]:
    """The page's content (its <main>, without the navigation and its per-response token) and
    the queries its view sent."""
    with CaptureQueriesContext(connection) as captured:
        page = section(html(client.get(url)), "<main", "</main>")
    return page, [q["sql"] for q in captured.captured_queries]


def rows_read(queries: list[str]) -> int:
    """Reads of trials' rows by their ids (the heads, which trials a home shows and at which
    revision, are read through the home's index: `SELECT "trials_trial"."id" AS "pk", ...`)."""
    return sum(
        q.startswith('SELECT "trials_trial"."id", ') and 'WHERE "trials_trial"."id" IN (' in q
        for q in queries
    )


def done(page: str) -> int:
    """The number of vital-sign checks the board counts as done."""
    return int(re.search(r"(\d+) of \d+ done", page).group(1))


@pytest.mark.parametrize("home", HOMES)
def test_a_home_seen_again_reads_no_row_and_shows_the_same_page(home, observed, request):
    url, who = HOMES[home]
    client = request.getfixturevalue(who)

    first, cold = look(client, reverse(url))
    again, warm = look(client, reverse(url))

    assert observed.get_absolute_url() in first
    assert rows_read(cold) == 1
    assert rows_read(warm) == 0
    assert len(warm) < len(cold)
    assert again == first


@pytest.mark.parametrize("home", HOMES)
def test_a_corrected_name_shows_at_once_on_every_home(home, observed, request):
    url, who = HOMES[home]
    client = request.getfixturevalue(who)
    look(client, reverse(url))

    Patient.objects.filter(pk=observed.patient_id).update(last_name="Corrected")
    page, queries = look(client, reverse(url))

    assert "Corrected," in page
    assert rows_read(queries) == 1  # that trial's row only, read again


@pytest.mark.parametrize("home", HOMES)
def test_a_severe_adverse_event_shows_at_once_on_every_home(home, observed, team, request):
    url, who = HOMES[home]
    client = request.getfixturevalue(who)
    assert "severe" not in look(client, reverse(url))[0]

    adverse_event(team, observed, severity="severe")

    assert "severe" in look(client, reverse(url))[0]


def test_a_vital_sign_recorded_moves_the_board_row_on(injected, team, as_nurse, frozen):
    trial = injected(timezone.now() - timedelta(minutes=50), vitals_at=[15, 30])
    before = look(as_nurse, reverse("trials:board"))[0]

    scenarios.vitals(trial, team, at=timezone.now())  # the 45-minute check
    after = look(as_nurse, reverse("trials:board"))[0]

    assert done(after) == done(before) + 1


def test_the_board_row_follows_the_clock_with_nothing_read_again(injected, as_nurse, frozen):
    injected(timezone.now() - timedelta(minutes=50), vitals_at=[15, 30, 45])
    before = look(as_nurse, reverse("trials:board"))[0]
    assert "0 h 50 min" in before and "missed" not in before

    frozen.shift(timedelta(minutes=25))  # 75 minutes after the dose: the 60-minute check late
    page, queries = look(as_nurse, reverse("trials:board"))

    assert rows_read(queries) == 0
    assert "1 h 15 min" in page
    assert "1 missed" in page


def test_the_worklist_step_follows_the_clock_with_nothing_read_again(
    injected, as_neurologist, frozen
):
    trial = injected(timezone.now() - timedelta(minutes=80))
    first = look(as_neurologist, reverse("trials:worklist"))[0]
    assert trial.get_absolute_url() not in first  # nothing due from a neurologist yet

    frozen.shift(timedelta(minutes=50))  # 2 h 10 min after the dose: the 2 h assessment due
    page, queries = look(as_neurologist, reverse("trials:worklist"))

    assert rows_read(queries) == 0
    assert trial.get_absolute_url() in page
    assert "Post-dose assessment due" in page


def test_a_trial_that_moves_on_moves_to_its_new_phase_on_the_trials_by_phase(team, as_admin):
    trial = factories.create_trial(factories.make_patient(), team)
    look(as_admin, reverse("trials:list"))

    scenarios.prepare(trial, team, at=timezone.now() - timedelta(hours=2))
    scenarios.inject(trial, team, given_at=timezone.now() - timedelta(minutes=30))
    page = look(as_admin, reverse("trials:list"))[0]

    observation = page.split('id="phase-observation"')[1].split('id="phase-')[0]
    preparation = page.split('id="phase-preparation"')[1].split('id="phase-')[0]
    assert trial.get_absolute_url() in observation
    assert trial.get_absolute_url() not in preparation


def test_a_row_kept_for_one_role_shows_another_only_what_that_role_may_do(
    observed, as_nurse, as_admin
):
    nurse_sees = look(as_nurse, reverse("trials:board"))[0]
    admin_sees = look(as_admin, reverse("trials:board"))[0]

    assert "board-vitals" in nurse_sees
    assert "board-vitals" not in admin_sees
    assert observed.get_absolute_url() in admin_sees


def test_a_row_read_newer_than_its_head_is_kept_by_the_revision_it_was_read_at(observed):
    stale_head = [(observed.pk, observed.revision)]
    Patient.objects.filter(pk=observed.patient_id).update(first_name="Newer")
    current = Trial.objects.values_list("revision", flat=True).get(pk=observed.pk)
    rows = Trial.objects.with_board_row

    [read] = kept_rows.rows("board", stale_head, rows)  # the trial changed after its head
    with CaptureQueriesContext(connection) as again:
        [kept] = kept_rows.rows("board", [(observed.pk, current)], rows)

    assert read.patient.first_name == "Newer"
    assert kept.patient.first_name == "Newer" and len(again) == 0


def test_a_kept_row_is_a_copy_that_a_page_cannot_change(observed):
    heads = [(observed.pk, observed.revision)]
    rows = Trial.objects.with_board_row
    [first] = kept_rows.rows("board", heads, rows)
    [kept] = kept_rows.rows("board", heads, rows)

    kept.patient.last_name = "Changed in memory"
    [again] = kept_rows.rows("board", heads, rows)

    assert again.patient.last_name == first.patient.last_name != "Changed in memory"


def test_the_worklist_keeps_the_row_of_a_trial_waiting_on_its_record_alone(
    trial_in, team, as_neurologist
):
    trial = trial_in("follow_up")  # discharged, its response not decided
    first, cold = look(as_neurologist, reverse("trials:worklist"))
    again, warm = look(as_neurologist, reverse("trials:worklist"))

    assert "Decide the response to attempt 1" in first
    assert rows_read(cold) == 1 and rows_read(warm) == 0 and again == first

    scenarios.decide(trial, team, responder=False)
    page, queries = look(as_neurologist, reverse("trials:worklist"))

    assert "Decide the response to attempt 1" not in page
    assert "Plan the next attempt or close the trial" in page
    assert rows_read(queries) == 1


def test_the_board_keeps_of_a_trial_its_latest_dose_and_the_times_of_its_checks(observed):
    heads = [(observed.pk, observed.revision)]
    kept_rows.rows("board", heads, Trial.objects.with_board_row, board.slim)
    [kept] = kept_rows.rows("board", heads, Trial.objects.with_board_row, board.slim)

    [attempt] = kept.given_attempts
    given = observed.attempts.order_by("-number").first()
    assert attempt.pk == given.pk
    assert attempt.vitals_times == list(
        given.vitals.order_by("recorded_at").values_list("recorded_at", flat=True)
    )
    assert not hasattr(attempt, "vitals_rows")  # no model per check to unpickle on every view


# --- The patient list: each row kept by the values it shows -------------------------------


def rows_written(response) -> int:
    return sum(t.name == "patients/_row.html" for t in response.templates)


def test_the_patient_list_seen_again_writes_no_row_and_shows_the_same_page(observed, as_nurse):
    url = f"{reverse('patients:list')}?q={observed.patient.mrn}"
    first = as_nurse.get(url)
    again = as_nurse.get(url)

    assert rows_written(first) == 1 and rows_written(again) == 0
    assert section(html(again), "<main", "</main>") == section(html(first), "<main", "</main>")
    assert observed.get_absolute_url() in html(again)


def test_a_patient_changed_in_any_way_shows_at_once_on_the_patient_list(observed, as_nurse):
    url = f"{reverse('patients:list')}?q={observed.patient.mrn}"
    as_nurse.get(url)

    Patient.objects.filter(pk=observed.patient_id).update(first_name="Renamed")
    renamed = as_nurse.get(url)
    Trial.objects.filter(pk=observed.pk).update(status="follow_up")
    moved_on = as_nurse.get(url)

    assert rows_written(renamed) == 1 and "Renamed" in html(renamed)
    assert rows_written(moved_on) == 1 and "follow_up" in html(moved_on)


def test_a_discharge_not_recorded_is_kept_too_and_a_correction_shows_at_once(injected, as_nurse):
    with time_machine.travel(timezone.now() - timedelta(hours=25), tick=False):
        forgotten = injected(timezone.now())
    first, cold = look(as_nurse, reverse("trials:board"))
    again, warm = look(as_nurse, reverse("trials:board"))

    Patient.objects.filter(pk=forgotten.patient_id).update(last_name="Corrected")
    corrected, _ = look(as_nurse, reverse("trials:board"))

    assert 'id="board-stale"' in first and forgotten.get_absolute_url() in first
    assert rows_read(cold) == 1 and rows_read(warm) == 0
    assert "Corrected," in section(corrected, 'id="board-stale"', "</section>")


def test_a_discharge_not_recorded_shows_its_dose_in_the_clinics_time_zone_once_changed(
    injected, as_nurse
):
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=UTC), tick=False):
        forgotten = injected(timezone.now())
    site = SiteSettings.current()
    site.time_zone = "UTC"
    site.save()
    in_utc, _ = look(as_nurse, reverse("trials:board"))
    site.time_zone = "Asia/Tokyo"  # UTC+9, no summer time
    site.save()
    in_tokyo, _ = look(as_nurse, reverse("trials:board"))

    stale = section(in_utc, 'id="board-stale"', "</section>")
    assert f'data-trial="{forgotten.pk}"' in stale and "dose given 2026-03-02 09:30" in stale
    assert "dose given 2026-03-02 18:30" in section(in_tokyo, 'id="board-stale"', "</section>")
