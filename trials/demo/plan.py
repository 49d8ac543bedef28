"""A synthetic trial's whole course, planned before any of its rows is written.

A Story is what happens in one trial from its start to its close or cancellation, each step at
its time and in the protocol's order (trials/procedure.py): preparation signed before the first
dose, doses up the DOSE_LADDER_MCG, at most MAX_ATTEMPTS of them, each at least
MIN_HOURS_BETWEEN_ATTEMPTS after the last, a discharge after each dose and a decision after each
discharge. bulk.py writes the part of a story that has happened by a moment (`phase_at` gives
the phase the trial stands in then): the same story is a trial in preparation today or a
completed trial of three years ago, depending only on where it lies in time.
"""

import random
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta

from trials import procedure
from trials.procedure import Phase

from .vocabulary import CANCEL_REASONS

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# The injection record is signed a moment after the dose: the observation starts then.
SIGNED_AFTER = 2 * MINUTE
BETWEEN_DOSES = timedelta(hours=procedure.MIN_HOURS_BETWEEN_ATTEMPTS)

OUTCOME_WEIGHTS = [("pump_candidate", 55), ("not_candidate", 30), ("withdrawn", 15)]
CANCELLED_SHARE = 0.12  # of the trials that reach an end
CANCEL_STAGES = [
    (Phase.PREPARATION, 45),
    (Phase.INJECTION, 30),
    (Phase.OBSERVATION, 10),
    (Phase.FOLLOW_UP, 15),
]


def pick(rng: random.Random, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment in [start, end), to the second (start when the span is empty)."""
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(seconds)) if seconds > 0 else start


def shifted(obj, delta: timedelta):
    """A copy of a dataclass with every datetime field moved by `delta`."""
    changes = {
        f.name: getattr(obj, f.name) + delta
        for f in fields(obj)
        if isinstance(getattr(obj, f.name), datetime)
    }
    return replace(obj, **changes)


@dataclass
class AttemptStory:
    number: int
    dose: int
    planned: datetime
    given: datetime
    discharged: datetime
    decided: datetime
    responds: bool  # whether the post-dose scores show an effect
    responder: bool  # the neurologist's decision

    @property
    def signed(self) -> datetime:
        return self.given + SIGNED_AFTER


@dataclass
class Story:
    created: datetime
    prep_signed: datetime
    attempts: list[AttemptStory]
    closed: datetime  # closed with an outcome, or cancelled (see `cancelled`)
    outcome: str = ""
    outcome_note: str = ""
    cancelled: bool = False
    cancel_reason: str = ""
    # A trial somebody forgot: nothing more happens after this moment and it never closes.
    stopped: datetime | None = None
    referred: datetime = field(default=None)

    def __post_init__(self):
        if self.referred is None:
            self.referred = self.created

    def shift(self, delta: timedelta) -> "Story":
        story = shifted(self, delta)
        story.attempts = [shifted(a, delta) for a in self.attempts]
        return story

    def horizon(self, until: datetime) -> datetime:
        """The last moment of this story that has happened by `until`."""
        end = self.stopped if self.stopped is not None else self.closed
        return min(until, end)

    def is_closed_by(self, until: datetime) -> bool:
        return self.stopped is None and self.closed <= until

    def phase_at(self, until: datetime) -> tuple[str, AttemptStory | None]:
        """The trial's phase at `until`, and the attempt it stands in (None before the first)."""
        if self.is_closed_by(until):
            return (Phase.CANCELLED if self.cancelled else Phase.COMPLETED), None
        t = self.horizon(until)
        if t < self.prep_signed:
            return Phase.PREPARATION, None
        current = [a for a in self.attempts if a.planned <= t][-1]
        if t < current.signed:
            return Phase.INJECTION, current
        if t < current.discharged:
            return Phase.OBSERVATION, current
        return Phase.FOLLOW_UP, current

    def stage_span(self, phase: str, attempt: AttemptStory | None) -> tuple[datetime, datetime]:
        """When the trial stood in `phase` (of `attempt`): [start, end)."""
        if phase == Phase.PREPARATION:
            return self.created + HOUR, self.prep_signed
        if phase == Phase.INJECTION:
            return attempt.planned + 30 * MINUTE, attempt.signed
        if phase == Phase.OBSERVATION:
            return attempt.signed + 5 * MINUTE, attempt.discharged
        later = [a.planned for a in self.attempts if a.number > attempt.number]
        return attempt.discharged + HOUR, later[0] if later else self.closed

    def bring_forward(self, attempt: AttemptStory, given: datetime) -> None:
        """Give this attempt's dose at `given` instead (earlier), and all that follows it too."""
        delta = given - attempt.given
        index = self.attempts.index(attempt)
        moved = replace(attempt, given=given)
        moved.discharged += delta
        moved.decided += delta
        self.attempts[index] = moved
        self.attempts[index + 1 :] = [shifted(a, delta) for a in self.attempts[index + 1 :]]
        self.closed += delta


def decisions_for(rng: random.Random, outcome: str, ladder: list[int]) -> list[bool]:
    """The neurologist's decision on each dose of a trial that ends with this outcome."""
    most = len(ladder)
    if outcome == "pump_candidate":
        n = min(most, pick(rng, [(1, 50), (2, 35), (3, 15)]))
        return [False] * (n - 1) + [True]
    if outcome == "not_candidate":
        n = most if rng.random() < 0.8 else rng.randint(1, min(2, most))
        return [False] * n
    n = rng.randint(1, min(2, most))
    return [False] * (n - 1) + [rng.random() < 0.3]


OUTCOME_NOTES = {
    "pump_candidate": "Refer for pump implant.",
    "withdrawn": "Patient declined further test doses or implant.",
}


def outcome_note(outcome: str, decisions: list[bool]) -> str:
    if outcome == "not_candidate":
        if len(decisions) == procedure.MAX_ATTEMPTS:
            return "No meaningful response to three test doses; continue oral therapy."
        return "Poorly tolerated test dose; no further attempts."
    return OUTCOME_NOTES[outcome]


def plan_story(
    rng: random.Random,
    *,
    referred: datetime,
    young: bool,
    decisions: list[bool] | None = None,
    cancel: bool | None = None,
) -> Story:
    """A whole trial starting from a referral at `referred`.

    `decisions` forces the decision on each dose (the trial then closes, with an outcome that
    fits them); `cancel` forces a cancellation (True) or none (False); by default both are drawn.
    """
    first = 25 if young and rng.random() < 0.4 else procedure.FIRST_DOSE_MCG
    ladder = [d for d in procedure.DOSE_LADDER_MCG if d >= first][: procedure.MAX_ATTEMPTS]
    if decisions is None:
        outcome = pick(rng, OUTCOME_WEIGHTS)
        decisions = decisions_for(rng, outcome, ladder)
    else:
        outcome = "pump_candidate" if decisions[-1] else "not_candidate"
    day = referred.replace(hour=0, minute=0, second=0, microsecond=0)
    created = day + timedelta(days=rng.randint(0, 3), minutes=rng.randint(8 * 60, 16 * 60))
    prep_signed = created + timedelta(days=rng.randint(1, 21), minutes=rng.randint(20, 3 * 24 * 60))
    attempts: list[AttemptStory] = []
    for number, responder in enumerate(decisions, start=1):
        if not attempts:
            planned = prep_signed
            given = planned + timedelta(days=rng.randint(1, 21), minutes=rng.randint(0, 360))
        else:
            last = attempts[-1]
            planned = last.decided + timedelta(minutes=rng.randint(10, 24 * 60))
            given = max(last.given + BETWEEN_DOSES, planned + HOUR) + timedelta(
                days=rng.randint(0, 9), minutes=rng.randint(0, 240)
            )
        discharged = given + timedelta(minutes=rng.randint(250, 400))
        decided = discharged + timedelta(minutes=rng.randint(400, 3 * 24 * 60))
        attempts.append(
            AttemptStory(
                number, ladder[number - 1], planned, given, discharged, decided,
                responds=responder, responder=responder,
            )
        )  # fmt: skip
    closed = attempts[-1].decided + timedelta(days=rng.randint(0, 21), minutes=rng.randint(60, 600))
    story = Story(
        created, prep_signed, attempts, closed,
        outcome=outcome, outcome_note=outcome_note(outcome, decisions), referred=referred,
    )  # fmt: skip
    if cancel or (cancel is None and rng.random() < CANCELLED_SHARE):
        cancel_during(rng, story)
    return story


def cancel_during(rng: random.Random, story: Story) -> None:
    """Cancel the story at a moment of one of its stages, with a reason that fits the stage."""
    stage = pick(rng, CANCEL_STAGES)
    attempt = rng.choice(story.attempts) if stage != Phase.PREPARATION else None
    start, end = story.stage_span(stage, attempt)
    story.closed = between(rng, start, end)
    story.cancelled = True
    story.outcome = story.outcome_note = ""
    story.cancel_reason = rng.choice(CANCEL_REASONS[stage])
