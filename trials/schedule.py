"""The observation schedule of one dose, computed from the time it was given."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Slot:
    minutes: int
    due_at: datetime
    done: bool
    overdue: bool

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
        return next((s for s in self.slots if not s.done), None)

    @property
    def overdue(self) -> list[Slot]:
        return [s for s in self.slots if s.overdue]

    @property
    def done_count(self) -> int:
        return sum(s.done for s in self.slots)


def vitals_schedule(given_at: datetime, minutes: list[int], taken: int, now: datetime) -> Schedule:
    """Slot k counts as done once k + 1 sets of vital signs exist after the injection."""
    slots = []
    for index, offset in enumerate(minutes):
        due = given_at + timedelta(minutes=offset)
        done = index < taken
        slots.append(Slot(offset, due, done, overdue=not done and now > due))
    return Schedule(slots)


def assessment_schedule(
    given_at: datetime, minutes: list[int], done_minutes: set[int], now: datetime
) -> Schedule:
    slots = []
    for offset in minutes:
        due = given_at + timedelta(minutes=offset)
        done = offset in done_minutes
        slots.append(Slot(offset, due, done, overdue=not done and now > due))
    return Schedule(slots)
