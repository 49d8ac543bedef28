"""The observation schedule of a dose: what is due, overdue and missed at a fixed time.

Each scheduled time owns the window from halfway after the previous time to halfway before the
next one; a recording in that window fulfils it.
"""

from datetime import UTC, datetime, timedelta

import pytest

from trials import procedure
from trials.schedule import assessment_schedule, assessment_slot, vitals_schedule

GIVEN = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
FIRST_HOUR = [15, 30, 45, 60]


def at(minutes: float) -> datetime:
    return GIVEN + timedelta(minutes=minutes)


def test_first_set_is_due_15_minutes_after_the_injection():
    schedule = vitals_schedule(GIVEN, FIRST_HOUR, [], now=at(5))
    assert schedule.next_due.due_at == at(15)
    assert schedule.overdue == []


def test_a_set_not_recorded_after_its_time_is_overdue():
    schedule = vitals_schedule(GIVEN, FIRST_HOUR, [at(15)], now=at(33))
    assert schedule.next_due.minutes == 30
    assert [s.minutes for s in schedule.overdue] == [30]
    assert schedule.done_count == 1


def test_a_set_recorded_a_few_minutes_early_counts_for_its_slot():
    schedule = vitals_schedule(GIVEN, FIRST_HOUR, [at(14), at(27)], now=at(31))
    assert schedule.done_count == 2
    assert schedule.overdue == []
    assert schedule.next_due.minutes == 45


def test_a_slot_whose_window_closed_empty_is_missed_not_overdue():
    # Nothing recorded between 22.5 and 37.5 min: the 30 min set is missed; at 46 min the
    # 45 min set is the one overdue now.
    schedule = vitals_schedule(GIVEN, FIRST_HOUR, [at(15)], now=at(46))
    assert [s.minutes for s in schedule.missed] == [30]
    assert [s.minutes for s in schedule.overdue] == [45]
    assert schedule.next_due.minutes == 45


def test_recording_late_fulfils_the_current_slot_and_clears_the_overdue_flag():
    schedule = vitals_schedule(GIVEN, FIRST_HOUR, [at(15), at(48)], now=at(50))
    assert schedule.overdue == []
    assert [s.minutes for s in schedule.missed] == [30]
    assert schedule.next_due.minutes == 60


def test_the_last_slot_stays_open_until_recorded():
    schedule = vitals_schedule(GIVEN, FIRST_HOUR, [at(15), at(30), at(45)], now=at(600))
    assert [s.minutes for s in schedule.overdue] == [60]
    assert schedule.missed == []


def test_schedule_is_complete_when_every_slot_is_done():
    recorded = [at(m) for m in FIRST_HOUR]
    schedule = vitals_schedule(GIVEN, FIRST_HOUR, recorded, now=at(600))
    assert schedule.next_due is None
    assert schedule.done_count == 4


def test_default_site_schedule_has_every_15_min_then_30_then_hourly_to_8_h():
    minutes = list(procedure.DEFAULT_VITALS_MINUTES)
    assert minutes[:4] == [15, 30, 45, 60]
    assert minutes[4:6] == [90, 120]
    assert minutes[-1] == 480
    schedule = vitals_schedule(GIVEN, minutes, [], now=GIVEN)
    assert schedule.slots[-1].due_at == at(480)


def _assessments(done, now, **kw):
    return assessment_schedule(GIVEN, [120, 240, 360], done, now, window=30, required=[120, 240],
                               **kw)  # fmt: skip


def test_assessment_due_at_2_h_is_overdue_until_recorded():
    schedule = _assessments(set(), now=at(130))
    assert [s.minutes for s in schedule.overdue] == [120]
    schedule = _assessments({120}, now=at(130))
    assert schedule.overdue == []
    assert schedule.next_due.minutes == 240


def test_an_assessment_slot_is_missed_once_its_window_closes():
    schedule = _assessments(set(), now=at(151))
    assert [s.minutes for s in schedule.missed] == [120]
    assert schedule.overdue == []


def test_an_optional_slot_after_the_effect_wore_off_is_not_owed():
    schedule = _assessments({120, 240}, now=at(500), worn_off_at=at(300))
    assert [s.minutes for s in schedule.slots if s.not_owed] == [360]
    assert schedule.missed == [] and schedule.next_due is None


def test_a_required_slot_is_owed_even_after_the_effect_wore_off():
    schedule = _assessments({120}, now=at(250), worn_off_at=at(150))
    assert [s.minutes for s in schedule.overdue] == [240]


@pytest.mark.parametrize(("minutes", "slot"), [(89, None), (90, 120), (150, 120), (151, None),
                                               (240, 240), (35, None)])  # fmt: skip
def test_an_assessment_belongs_to_the_slot_whose_window_holds_it(minutes, slot):
    assert assessment_slot(minutes, [120, 240, 360], 30) == slot


def test_a_slot_is_not_overdue_at_its_exact_time():
    assert vitals_schedule(GIVEN, FIRST_HOUR, [at(15)], now=at(30)).overdue == []
    late = vitals_schedule(GIVEN, FIRST_HOUR, [at(15)], now=at(30.5))
    assert [s.minutes for s in late.overdue] == [30]
