"""The demo site's timeline: each scripted step runs with the server clock at its clinical time.

A step is what one person does at one moment (tick a list, record vital signs, sign). The steps
of every demo patient go on one timeline and run in time order, each inside
`time_machine.travel(moment, tick=False)`, so what the services stamp (entry times, signatures,
audit rows) is the moment the step happened and the times a step types are that moment too: no
entry is made late, and the audit trail reads in time order like a real clinic's.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import time_machine
from django.utils import timezone

from patients.models import Patient
from patients.services import patient_create
from trials import procedure, scenarios
from trials.models import SiteSettings, Trial
from trials.services import checklist, records, workflow
from trials.services.timing import clinic_day

MINUTE = timedelta(minutes=1)


def clinic_today():
    """Today on the clinic's calendar at the step's moment: the demo runs in UTC, a day ahead
    of a clinic in New York every evening."""
    return clinic_day(SiteSettings.current().time_zone)


@dataclass(order=True)
class Step:
    at: datetime
    order: int
    run: Callable[[], None] = field(compare=False)


class Timeline:
    def __init__(self) -> None:
        self.steps: list[Step] = []
        self._order = itertools.count()

    def add(self, at: datetime, run: Callable[[], None]) -> None:
        self.steps.append(Step(at, next(self._order), run))

    def run(self) -> None:
        for step in sorted(self.steps):
            with time_machine.travel(step.at, tick=False):
                step.run()


class Track:
    """One demo patient's steps. Each method puts one step on the timeline at its moment; the
    step itself runs later, in time order, when the clock stands at that moment."""

    def __init__(self, timeline: Timeline, team: scenarios.Team, data: dict, *, referrer: str):
        self.timeline = timeline
        self.team = team
        self.data = data
        self.referrer = referrer
        self.patient: Patient | None = None
        self.trial: Trial | None = None
        self.events: list = []

    def _at(self, moment: datetime, run: Callable[[], None]) -> None:
        self.timeline.add(moment, run)

    # The patient and the trial.

    def register(self, moment: datetime) -> None:
        def run():
            self.patient = patient_create(actor=self.team.nurse, data=self.data)

        self._at(moment, run)

    def start_trial(self, moment: datetime, *, indication: str, goals: str) -> None:
        """Registered half an hour before the trial is started, on the day of the referral."""
        self.register(moment - 30 * MINUTE)

        def run():
            self.trial = workflow.trial_create(
                patient=self.patient,
                actor=self.team.nurse,
                referred_on=clinic_today(),
                referred_by=self.referrer,
                indication=indication,
                goals=goals,
            )

        self._at(moment, run)

    # Checklists and records, each at its own moment.

    def tick(self, moment: datetime, checklist_key: str, *items: str) -> None:
        def run():
            for key in items:
                item = procedure.CHECKLISTS[checklist_key].item(key)
                nurse, neurologist = self.team.nurse, self.team.neurologist
                actor = neurologist if procedure.NEUROLOGIST in item.roles else nurse
                checklist.checklist_tick(
                    trial_id=self.trial.pk, checklist_key=checklist_key, item_key=key, actor=actor
                )

        self._at(moment, run)

    def tick_all(self, moment: datetime, checklist_key: str) -> None:
        """Every item ticked (optional ones marked not applicable, with a reason)."""
        self._at(moment, lambda: scenarios.tick_all(self.trial.pk, checklist_key, self.team))

    def prepare(self, moment: datetime, *, baseline: str = "3") -> None:
        """Preparation ticked and the baseline scored at `moment`, signed 20 minutes later."""
        self.tick_all(moment, "preparation")
        self.baseline(moment + 5 * MINUTE, grade=baseline)
        self.sign_preparation(moment + 20 * MINUTE)

    def baseline(self, moment: datetime, *, grade: str, penn=(3, 2)) -> None:
        def run():
            records.assessment_record(
                trial_id=self.trial.pk,
                actor=self.team.neurologist,
                grades=scenarios.grades(grade),
                penn_frequency=penn[0],
                penn_severity=penn[1],
                assessed_at=timezone.now(),
                baseline=True,
            )

        self._at(moment, run)

    def sign_preparation(self, moment: datetime, *, first_dose_mcg: int = 50) -> None:
        def run():
            workflow.preparation_sign(
                trial_id=self.trial.pk,
                actor=self.team.neurologist,
                password=self.team.password,
                first_dose_mcg=first_dose_mcg,
            )

        self._at(moment, run)

    def inject(self, given_at: datetime) -> None:
        """The day-of list 90 minutes before the dose, the pre-dose vital signs and the
        injection list 20 minutes before, the injection record signed 3 minutes after."""
        team = self.team
        self.tick_all(given_at - 90 * MINUTE, "day_of")
        ready = given_at - 20 * MINUTE
        self._at(ready, lambda: scenarios.ready_for_injection(self.trial, team, at=ready))

        def sign():
            attempt = self.trial.attempts.order_by("-number").first()
            workflow.injection_sign(
                trial_id=self.trial.pk,
                actor=team.neurologist,
                password=team.password,
                dose_mcg=attempt.dose_mcg,
                data=scenarios.injection_data(team, given_at=given_at),
            )

        self._at(given_at + 3 * MINUTE, sign)

    def vitals(self, moment: datetime, **values) -> None:
        self._at(
            moment, lambda: scenarios.vitals(self.trial, self.team, at=timezone.now(), **values)
        )

    def score(self, given_at: datetime, minutes_after: int, grade: str) -> None:
        def run():
            scenarios.score(
                self.trial, self.team, minutes_after=minutes_after, grade=grade, given_at=given_at
            )

        self._at(given_at + minutes_after * MINUTE, run)

    def observe(self, given_at: datetime, *, post_grade: str, until: datetime) -> None:
        """Vital signs on the default schedule and the 2 h / 4 h scores, up to `until`."""
        for minutes in procedure.DEFAULT_VITALS_MINUTES:
            if given_at + minutes * MINUTE <= until:
                self.vitals(given_at + minutes * MINUTE)
        for minutes in (120, 240):
            if given_at + minutes * MINUTE <= until:
                self.score(given_at, minutes, post_grade)

    def adverse_event(self, moment: datetime, **data) -> None:
        """An adverse event typed at `moment`, its onset a few minutes before; unresolved."""
        data = {"action_taken": "", "resolution": "", "resolved_at": None} | data

        def run():
            self.events.append(
                records.adverse_event_record(
                    trial_id=self.trial.pk, actor=self.team.nurse, data=data
                )
            )

        self._at(moment, run)

    def resolve(self, moment: datetime, *, resolution: str) -> None:
        """The last adverse event resolved at `moment`."""

        def run():
            records.adverse_event_resolve(
                trial_id=self.trial.pk,
                event_id=self.events[-1].pk,
                actor=self.team.nurse,
                resolution=resolution,
                resolved_at=timezone.now(),
            )

        self._at(moment, run)

    def pain_medication(self, moment: datetime, **data) -> None:
        def run():
            records.pain_medication_record(
                trial_id=self.trial.pk, actor=self.team.nurse, data=data | {"given_at": moment}
            )

        self._at(moment, run)

    def discharge(self, moment: datetime) -> None:
        self._at(moment, lambda: scenarios.discharge(self.trial, self.team, at=moment))

    def full_attempt(self, given_at: datetime, *, post_grade: str) -> datetime:
        """Inject, observe to 4 h, discharge at 4 h 20 min; returns the discharge time."""
        discharged = given_at + 260 * MINUTE
        self.inject(given_at)
        self.observe(given_at, post_grade=post_grade, until=discharged)
        self.discharge(discharged)
        return discharged

    def decide(self, moment: datetime, *, responder: bool) -> None:
        """Decided with each treatment goal marked met (responder) or not met."""
        self._at(
            moment, lambda: scenarios.decide(self.trial, self.team, responder=responder, at=moment)
        )

    def plan_next(self, moment: datetime, *, dose_mcg: int) -> None:
        def run():
            workflow.attempt_plan_next(
                trial_id=self.trial.pk, actor=self.team.neurologist, dose_mcg=dose_mcg
            )

        self._at(moment, run)

    def close(self, moment: datetime, outcome: str, *, note: str, follow_up_days: int) -> None:
        def run():
            workflow.trial_close(
                trial_id=self.trial.pk,
                actor=self.team.neurologist,
                password=self.team.password,
                outcome=outcome,
                follow_up_on=clinic_today() + timedelta(days=follow_up_days),
                note=note,
            )

        self._at(moment, run)

    def cancel(self, moment: datetime, *, reason: str) -> None:
        def run():
            workflow.trial_cancel(
                trial_id=self.trial.pk, actor=self.team.neurologist, reason=reason
            )

        self._at(moment, run)
