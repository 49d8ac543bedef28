"""The observation schedule of one dose, computed from the time it was given.

Each scheduled time owns a window that runs from halfway after the previous time to halfway
before the next one (the first starts at the injection, the last never ends). A recording in a
slot's window fulfils it. A slot whose time has come and whose window is still open is *overdue*
until something is recorded; a slot whose window has closed empty is *missed*.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Slot:
    minutes: int
    due_at: datetime
    done: bool
    overdue: bool
    missed: bool

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
        return next((s for s in self.slots if not s.done and not s.missed), None)

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
    dues = [given_at + timedelta(minutes=m) for m in minutes]
    starts = [given_at] + [a + (b - a) / 2 for a, b in zip(dues, dues[1:], strict=False)]
    ends: list[datetime | None] = starts[1:] + [None]
    return list(zip(starts, ends, strict=True))


def vitals_schedule(
    given_at: datetime, minutes: list[int], recorded: list[datetime], now: datetime
) -> Schedule:
    slots = []
    for offset, (start, end) in zip(minutes, _windows(given_at, minutes), strict=True):
        due = given_at + timedelta(minutes=offset)
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


def assessment_schedule(
    given_at: datetime, minutes: list[int], done_minutes: set[int], now: datetime
) -> Schedule:
    """Assessments are recorded against their scheduled time, so a late one still counts."""
    slots = []
    for offset in minutes:
        due = given_at + timedelta(minutes=offset)
        done = offset in done_minutes
        slots.append(Slot(offset, due, done, overdue=not done and now > due, missed=False))
    return Schedule(slots)
