"""The homes cost the open work, not the history: each shows a bounded list, then "N more".

The ward board shows the trials dosed in the last day; one left in observation longer (its
discharge never recorded) shows apart, under "Discharge not recorded", and not on the worklist.
"""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.views.support import html, section
from trials.models import Trial
from trials.procedure import Phase
from trials.views import board, home


@pytest.fixture
def forgotten(injected):
    """forgotten(hours=25, **patient) -> a trial still in observation that many hours after its
    dose: dosed through the services with the clock that far back, never discharged."""

    def build(hours: int = 25, **patient_fields):
        with time_machine.travel(timezone.now() - timedelta(hours=hours), tick=False):
            return injected(timezone.now(), **patient_fields)

    return build


def stale_section(page: str) -> str:
    return section(page, 'id="board-stale"', "</section>")


def test_board_shows_a_trial_observed_over_a_day_apart_as_discharge_not_recorded(
    injected, forgotten, as_nurse
):
    today = injected(last_name="Today")
    yesterday = forgotten(hours=25, last_name="Yesterday")

    page = html(as_nurse.get(reverse("trials:board")))

    assert f'data-trial="{today.pk}"' in page.split('id="board-stale"')[0]
    assert page.count('class="board-row') == 1
    stale = stale_section(page)
    assert "Discharge not recorded" in page
    assert f'data-trial="{yesterday.pk}"' in stale and "Yesterday" in stale
    assert f'data-trial="{today.pk}"' not in stale


def test_board_keeps_a_trial_dosed_23_hours_ago_among_those_observed(forgotten, as_nurse):
    late = forgotten(hours=23)

    page = html(as_nurse.get(reverse("trials:board")))

    assert 'id="board-stale"' not in page
    assert f'data-trial="{late.pk}"' in page


def test_board_bounds_the_discharges_not_recorded_and_says_how_many_more(
    forgotten, as_nurse, monkeypatch
):
    monkeypatch.setattr(board, "STALE_LIMIT", 2)
    older, newer, newest = forgotten(hours=40), forgotten(hours=30), forgotten(hours=26)

    stale = stale_section(html(as_nurse.get(reverse("trials:board"))))

    assert stale.count('class="list-group-item d-flex') == 2
    assert f'data-trial="{newest.pk}"' in stale and f'data-trial="{newer.pk}"' in stale
    assert f'data-trial="{older.pk}"' not in stale
    assert "1 more →" in stale


def test_board_bounds_the_trials_in_observation_and_links_to_them_all(
    injected, as_nurse, monkeypatch
):
    monkeypatch.setattr(board, "BOARD_LIMIT", 2)
    for minutes in (30, 60, 90):
        injected(timezone.now() - timedelta(minutes=minutes))

    page = html(as_nurse.get(reverse("trials:board")))

    assert page.count('class="board-row') == 2
    assert "1 more in observation →" in page
    assert f"{reverse('trials:list')}?phase=observation" in page


def test_worklist_shows_at_most_its_limit_then_how_many_more_open_trials(trial_in, as_neurologist):
    for _ in range(home.WORKLIST_LIMIT + 10):
        trial_in("preparation")

    page = html(as_neurologist.get(reverse("trials:worklist")))

    assert page.count("list-group-item-action") == home.WORKLIST_LIMIT
    assert "10 more open trials not listed here" in page


def test_worklist_leaves_a_discharge_not_recorded_to_the_nurses(
    injected, forgotten, as_neurologist
):
    waiting = injected(timezone.now() - timedelta(hours=2, minutes=10))  # 2 h score due
    left = forgotten(hours=30)

    page = html(as_neurologist.get(reverse("trials:worklist")))

    assert waiting.get_absolute_url() in page
    assert left.get_absolute_url() not in page
    assert "more open trial" not in page


def test_trial_list_bounds_each_phase_and_links_to_the_whole_phase(trial_in, as_admin):
    newest_first = [trial_in("preparation") for _ in range(12)][::-1]
    cancelled = [trial_in("cancelled") for _ in range(11)][::-1]

    page = html(as_admin.get(reverse("trials:list")))

    preparation = section(page, 'id="phase-preparation"', 'id="phase-')
    assert preparation.count('class="list-group-item"><a href="/trials/') == 10
    assert newest_first[0].get_absolute_url() in preparation
    assert newest_first[-1].get_absolute_url() not in preparation
    assert "All 12 in preparation →" in preparation
    closed = section(page, 'id="phase-cancelled"', "</ul>")
    assert "most recently closed" in closed
    assert closed.count('class="list-group-item"><a href="/trials/') == 10
    assert cancelled[0].get_absolute_url() in closed  # the last one cancelled
    assert "All cancelled trials →" in closed
    assert "(12 open)" in page


def test_a_phase_of_the_trial_list_pages_through_all_its_trials(trial_in, as_admin):
    trials = [trial_in("cancelled") for _ in range(3)]

    page = html(as_admin.get(reverse("trials:list"), {"phase": "cancelled"}))

    assert "Cancelled <span" in page and "(3)" in page
    positions = [page.index(t.get_absolute_url()) for t in trials]
    assert positions == sorted(positions, reverse=True)  # most recently closed first


def test_trial_list_finds_the_newest_of_every_phase_in_one_query(
    trial_in, django_assert_num_queries
):
    newest = {}
    for code, _ in Phase.CHOICES:
        trial_in(code)
        newest[code] = trial_in(code)  # started (and closed) last

    with django_assert_num_queries(1):  # each trial shown and its revision, every group at once
        groups = Trial.objects.recent_heads_of_each_phase(1)

    assert groups == {
        code: [(trial.pk, Trial.objects.get(pk=trial.pk).revision)]
        for code, trial in newest.items()
    }


def test_a_bounded_list_counts_the_rest_in_the_same_query(trial_in, django_assert_num_queries):
    for _ in range(3):
        trial_in("preparation")

    with django_assert_num_queries(1):
        shown, more = Trial.objects.open().order_by("pk").first_with_more(2)

    assert (len(shown), more) == (2, 1)
    assert Trial.objects.in_phase("completed").first_with_more(2) == ([], 0)
