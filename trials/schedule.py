"""The observation schedule of one dose, computed from the time it was given.

Each scheduled time owns a window that runs from halfway after the previous time to halfway
before the next one (the first starts at the injection, the last never ends). A recording in a
slot's window fulfils it. A slot whose time has come and whose window is still open is *overdue*
until something is recorded; a slot whose window has closed empty is *missed*.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.moments import later


@dataclass(frozen=True)
class Slot:
    minutes: int
    due_at: datetime
    done: bool
    overdue: bool
    missed: bool
    # Not owed: a later assessment once the physician recorded that the effect had worn off.
    not_owed: bool = False

    @property
    def label(self) -> str:
        hours, minutes = divmod(self.minutes, 60)
        if not hours:
            return f"{minutes} min"
        return f"{hours} h" if not minutes else f"{hours} h {minutes} min"


@dataclass(frozen=True)
class Schedule:
    slots: list[Slot]

    @property
    def next_due(self) -> Slot | None:
        """The slot to do now (overdue) or next; None when the schedule is complete."""
        return next((s for s in self.slots if not s.done and not s.missed and not s.not_owed), None)

    @property
    def overdue(self) -> list[Slot]:
        return [s for s in self.slots if s.overdue]

    @property
    def missed(self) -> list[Slot]:
        return [s for s in self.slots if s.missed]

    @property
    def done_count(self) -> int:
        return sum(s.done for s in self.slots)


def _windows(given_at: datetime, minutes: list[int]) -> list[tuple[datetime, datetime | None]]:
    dues = [later(given_at, timedelta(minutes=m)) for m in minutes]
    starts = [given_at] + [a + (b - a) / 2 for a, b in zip(dues, dues[1:], strict=False)]
    ends: list[datetime | None] = starts[1:] + [None]
    return list(zip(starts, ends, strict=True))


def vitals_schedule(
    given_at: datetime, minutes: list[int], recorded: list[datetime], now: datetime
) -> Schedule:
    slots = []
    for offset, (start, end) in zip(minutes, _windows(given_at, minutes), strict=True):
        due = later(given_at, timedelta(minutes=offset))
        done = any(start <= t and (end is None or t < end) for t in recorded)
        closed = end is not None and now >= end
        slots.append(
            Slot(
                offset,
                due,
                done,
                overdue=not done and not closed and now > due,
                missed=not done and closed,
            )
        )
    return Schedule(slots)


def assessment_slot(minutes_after: int, schedule: list[int], window: int) -> int | None:
    """The scheduled time (minutes) whose ± window holds this assessment, or None: unscheduled.
    Where two windows overlap, the nearer scheduled time."""
    near = [m for m in schedule if abs(minutes_after - m) <= window]
    return min(near, key=lambda m: (abs(minutes_after - m), m)) if near else None


def assessment_schedule(
    given_at: datetime,
    minutes: list[int],
    done_slots: set[int],
    now: datetime,
    *,
    window: int,
    required: list[int],
    worn_off_at: datetime | None = None,
) -> Schedule:
    """Assessments count for the slot whose window holds their time (DOMAIN §2a). A slot is
    overdue from its time until its window closes, then missed. A slot that is not required for
    discharge is owed only while the effect lasts: not once the effect is recorded worn off."""
    slots = []
    for offset in minutes:
        due = later(given_at, timedelta(minutes=offset))
        done = offset in done_slots
        not_owed = (
            not done and offset not in required and worn_off_at is not None and worn_off_at <= due
        )
        closed = now > later(due, timedelta(minutes=window))
        open_due = not done and not not_owed
        slots.append(
            Slot(
                offset,
                due,
                done,
                overdue=open_due and now > due and not closed,
                missed=open_due and closed,
                not_owed=not_owed,
            )
        )
    return Schedule(slots)


def attempt_assessment_schedule(attempt, assessments, site, now: datetime) -> Schedule:
    """The assessment schedule of a given dose, from its post-dose assessments and the site's
    settings (the one call every page and check uses)."""
    return assessment_schedule(
        attempt.given_at,
        site.assessment_schedule,
        {a.slot_minutes for a in assessments if a.slot_minutes is not None},
        now,
        window=site.assessment_window_minutes,
        required=site.discharge_assessments,
        worn_off_at=attempt.effect_worn_off_at,
    )


# A moment at which a schedule's slot may change state with the clock alone, and whether the
# change happens at that moment itself (True: `now >= end`) or only just after it (False:
# `now > due`).
Change = tuple[datetime, bool]


def vitals_changes(given_at: datetime, minutes: list[int]) -> list[Change]:
    """When vitals_schedule's slots may change state with the clock alone: just after each
    time (overdue), and at each window's end (missed)."""
    dues = [later(given_at, timedelta(minutes=m)) for m in minutes]
    ends = [end for _, end in _windows(given_at, minutes) if end is not None]
    return [(due, False) for due in dues] + [(end, True) for end in ends]


def assessment_changes(given_at: datetime, minutes: list[int], *, window: int) -> list[Change]:
    """When assessment_schedule's slots may change state with the clock alone: just after each
    time (overdue) and just after the end of its window (missed)."""
    dues = [later(given_at, timedelta(minutes=m)) for m in minutes]
    return [(due, False) for due in dues] + [
        (later(due, timedelta(minutes=window)), False) for due in dues
    ]
