"""The rows of one synthetic trial: the part of its Story (plan.py) that has happened by `until`.

Every rule comes from the protocol's own modules: the checklists and who ticks each item, the
signature meanings and the observation schedules (trials/procedure.py, the site settings), the
slots of the vital signs (trials/schedule.py) and the responder suggestion each decision is
compared with (trials/responder.py). Each row carries the time it happened, which is never
after `until`.
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from accounts.models import User
from patients.models import Patient
from trials import procedure, responder
from trials.models import (
    AdverseEvent,
    Assessment,
    ChecklistEntry,
    DoseAttempt,
    MasScore,
    Signature,
    SiteSettings,
    Trial,
    VitalSigns,
)
from trials.models.checklist import EntryState
from trials.procedure import Phase
from trials.schedule import assessment_slot, vitals_schedule

from .patients import INDICATION
from .plan import MINUTE, AttemptStory, Story, between, pick
from .rows import Rows
from .vocabulary import AE_ACTIONS, AE_KINDS, AE_SEVERITIES, GOAL_TEXTS, REFERRERS

LOWER = [g.key for g in procedure.MUSCLE_GROUPS if g.lower_limb]
UPPER = [g.key for g in procedure.MUSCLE_GROUPS if not g.lower_limb]
SIDES = [s for s, _ in procedure.SIDES]
GRADE_INDEX = {g: i for i, g in enumerate(procedure.MAS_GRADES)}
LATER_ASSESSMENT = 240  # scores after 4 h are taken only when the effect lasts


class TrialRows:
    """Writes stories into a batch of rows for one site, as its nurse and neurologist."""

    def __init__(self, rng: random.Random, *, nurse: User, neurologist: User, site: SiteSettings):
        self.rng = rng
        self.nurse = nurse
        self.neurologist = neurologist
        self.threshold = site.responder_threshold
        self.vitals_minutes = site.vitals_schedule
        self.assessment_minutes = site.assessment_schedule
        self.assessment_window = site.assessment_window_minutes

    def trial(self, rows: Rows, patient: Patient, story: Story, until: datetime) -> Trial:
        rng = self.rng
        phase, _ = story.phase_at(until)
        self.horizon = story.horizon(until)
        completed = phase == Phase.COMPLETED
        trial = rows.new(
            Trial,
            patient=patient,
            status=phase,
            referred_on=story.referred.date(),
            referred_by=rng.choice(REFERRERS),
            goals="\n".join(rng.sample(GOAL_TEXTS, rng.randint(1, 3))),
            indication=INDICATION,
            outcome=story.outcome if completed else "",
            outcome_note=story.outcome_note if completed else "",
            follow_up_on=(story.closed + timedelta(days=rng.randint(7, 60))).date()
            if completed
            else None,
            cancel_reason=story.cancel_reason if phase == Phase.CANCELLED else "",
            closed_at=story.closed if phase in Phase.CLOSED else None,
            created_by=self.nurse,
            created_at=story.created,
        )
        self.preparation(rows, trial, story)
        previous = None
        for plan in story.attempts:
            if plan.planned > self.horizon:
                break
            previous = self.attempt(rows, trial, plan, previous)
        self.follow_up(rows, trial, story)
        if completed:
            self.sign(rows, trial, None, "close", self.neurologist, story.closed)
        return trial

    def happened(self, at: datetime) -> bool:
        return at <= self.horizon

    # The phases.

    def preparation(self, rows: Rows, trial: Trial, story: Story) -> None:
        """Ticked over the days between the start and the sign-off; the baseline scored then."""
        rng = self.rng
        start, end = story.created + 30 * MINUTE, story.prep_signed - 10 * MINUTE
        times = sorted(between(rng, start, end) for _ in procedure.PREPARATION.items)
        for item, at in zip(procedure.PREPARATION.items, times, strict=True):
            self.entry(rows, trial, None, procedure.PREPARATION, item, at)
        self.baseline = self.baseline_grades(upper=rng.random() < 0.4)
        self.baseline_scores = []
        at = between(rng, start, end)
        if self.happened(at):
            assessment = self.assessment(rows, trial, None, self.baseline, at, None)
            self.baseline_scores = assessment.mas
        self.sign(rows, trial, None, "preparation", self.neurologist, story.prep_signed)

    def attempt(self, rows, trial, plan: AttemptStory, previous) -> DoseAttempt:
        attempt = rows.new(
            DoseAttempt,
            trial=trial,
            number=plan.number,
            dose_mcg=plan.dose,
            not_before=previous.next_allowed_at() if previous else None,
            planned_by=self.neurologist,
            planned_at=plan.planned,
        )
        attempt.posts = []
        day_of = max(plan.planned + 5 * MINUTE, plan.given - 90 * MINUTE)
        self.entries(rows, trial, attempt, procedure.DAY_OF, day_of)
        if self.happened(plan.given - 60 * MINUTE):  # the pre-dose (baseline) set
            self.vital_signs(rows, attempt, plan.given - 60 * MINUTE, None, pre_dose=True)
        self.entries(rows, trial, attempt, procedure.INJECTION, plan.given - 15 * MINUTE)
        if not self.happened(plan.signed):
            return attempt
        self.injection(rows, trial, attempt, plan)
        self.observation(rows, trial, attempt, plan)
        if self.happened(plan.discharged):
            at = plan.discharged - timedelta(minutes=self.rng.randint(5, 20))
            self.entries(rows, trial, attempt, procedure.OBSERVATION, at)
            attempt.discharged_at = attempt.discharge_entered_at = plan.discharged
            attempt.discharged_by = self.nurse
            self.sign(rows, trial, attempt, "discharge", self.nurse, plan.discharged)
        if self.happened(plan.decided):
            self.decide(rows, trial, attempt, plan)
        return attempt

    def injection(self, rows, trial, attempt: DoseAttempt, plan: AttemptStory) -> None:
        rng = self.rng
        guided = rng.random() < 0.15
        attempt.spinal_level = pick(rng, [("L3-L4", 60), ("L4-L5", 30), ("L2-L3", 10)])
        attempt.needle_type = pick(rng, [("pencil_point", 80), ("cutting", 20)])
        attempt.needle_gauge = rng.choice([22, 24, 25])
        attempt.clear_csf = True
        attempt.passes = pick(rng, [(1, 70), (2, 20), (3, 10)])
        attempt.image_guidance = guided
        attempt.radiologist = "Dr Amir Haddad" if guided else ""
        attempt.product = pick(rng, [("lioresal", 60), ("gablofen", 40)])
        attempt.concentration_mcg_ml = Decimal(50)
        attempt.lot = f"LOT-{rng.randint(1000, 9999)}"
        attempt.expiry = (plan.given + timedelta(days=rng.randint(60, 700))).date()
        attempt.given_at = plan.given
        attempt.given_entered_at = plan.signed
        attempt.duration_seconds = rng.randint(procedure.MIN_INJECTION_SECONDS, 180)
        attempt.discarded_mcg = Decimal(0) if rng.random() < 0.7 else Decimal(attempt.dose_mcg)
        attempt.performed_by = self.neurologist
        attempt.assisting_nurse = self.nurse
        self.sign(rows, trial, attempt, "injection", self.neurologist, plan.signed)

    def observation(self, rows, trial, attempt: DoseAttempt, plan: AttemptStory) -> None:
        """Vital signs in their slots, the post-dose scores, now and then an adverse event."""
        rng = self.rng
        last = min(self.horizon, plan.discharged)
        hypotension = None
        if rng.random() < 0.15:
            event = self.adverse_event(rows, attempt, plan, last)
            if event is not None and event.kind == "hypotension":
                hypotension = event.onset_at
        slots = vitals_schedule(plan.given, self.vitals_minutes, [], plan.discharged).slots
        due = [s.due_at for s in slots if s.due_at + 4 * MINUTE <= last]
        if last < plan.discharged and rng.random() < 0.2:
            due = due[: max(0, len(due) - rng.randint(1, 2))]  # still observing: a check late
        for at in due:
            at += timedelta(seconds=rng.randint(-120, 240))  # well inside the slot's window
            self.vital_signs(rows, attempt, at, hypotension)
        for minutes in self.assessment_minutes:
            at = plan.given + minutes * MINUTE
            if at > last or (minutes > LATER_ASSESSMENT and rng.random() < 0.7):
                continue
            drops = (1, 2, 2, 3) if plan.responds else (0, 0, 0, 1)
            if minutes <= 120:
                drops = tuple(max(0, d - 1) for d in drops)
            grades = self.post_grades(self.baseline, drops)
            attempt.posts.append(self.assessment(rows, trial, attempt, grades, at, minutes))

    def decide(self, rows, trial, attempt: DoseAttempt, plan: AttemptStory) -> None:
        """The neurologist's decision, checked against the responder rule on these scores."""
        base = responder.lower_limb_grades(self.baseline_scores)
        comparisons = [
            responder.compare(
                base,
                responder.lower_limb_grades(a.mas),
                label=a.label,
                minutes_after=a.minutes_after,
            )
            for a in attempt.posts
        ]
        suggested = responder.Suggestion(self.threshold, comparisons).responder
        attempt.responder = plan.responder
        attempt.suggested_responder = suggested
        if suggested is None or suggested != plan.responder:
            attempt.decision_reason = (
                "Clear functional benefit reported by the patient and carers."
                if plan.responder
                else "Tone reduced but no functional benefit; weakness on standing."
            )
        attempt.decided_by = self.neurologist
        attempt.decided_at = attempt.decision_entered_at = plan.decided
        mark = "met" if plan.responder else "not_met"
        attempt.goal_outcomes = dict.fromkeys(trial.goal_list, mark)
        self.sign(rows, trial, attempt, "decision", self.neurologist, plan.decided)

    def follow_up(self, rows, trial, story: Story) -> None:
        """After the last dose: the appointment booked, the checks ticked before the close."""
        last = story.attempts[-1]
        if story.cancelled or not self.happened(last.discharged):
            return
        items = procedure.FOLLOW_UP.items
        booked = last.discharged + timedelta(minutes=self.rng.randint(30, 3 * 24 * 60))
        checked = story.closed - timedelta(minutes=self.rng.randint(10, 50))
        self.entry(rows, trial, None, procedure.FOLLOW_UP, items[0], min(booked, checked))
        for n, item in enumerate(items[1:]):
            self.entry(rows, trial, None, procedure.FOLLOW_UP, item, checked + n * MINUTE)

    # Rows.

    def entries(self, rows, trial, attempt, checklist, at: datetime) -> None:
        for n, item in enumerate(checklist.items):
            self.entry(rows, trial, attempt, checklist, item, at + 2 * n * MINUTE)

    def entry(self, rows, trial, attempt, checklist, item, at: datetime) -> None:
        if not self.happened(at):
            return
        by = self.neurologist if procedure.NEUROLOGIST in item.roles else self.nurse
        na = not item.required and self.rng.random() < 0.5
        rows.new(
            ChecklistEntry,
            trial=trial,
            attempt=attempt,
            checklist=checklist.key,
            item=item.key,
            state=EntryState.NOT_APPLICABLE if na else EntryState.DONE,
            na_reason="Not applicable for this patient." if na else "",
            by=by,
            at=at,
            entered_at=at,
        )

    def sign(self, rows, trial, attempt, kind: str, signer: User, at: datetime) -> None:
        if not self.happened(at):
            return
        meaning, statement = procedure.SIGNATURE_MEANINGS[kind]
        rows.new(
            Signature,
            trial=trial,
            attempt=attempt,
            kind=kind,
            meaning=meaning,
            statement=statement,
            signer=signer,
            printed_name=signer.printed_name,
            signer_role=signer.role,
            signed_at=at,
        )

    def baseline_grades(self, upper: bool) -> dict[tuple[str, str], str]:
        rng = self.rng
        grades = {}
        for group in LOWER + (UPPER if upper else []):
            for side in SIDES:
                if rng.random() < 0.04:
                    continue  # not assessed (no row; not a zero)
                grades[(group, side)] = pick(rng, [("1+", 2), ("2", 4), ("3", 4), ("4", 2)])
        if not any(g in LOWER for g, _ in grades):
            grades[("hip_adductors", "left")] = "3"
        return grades

    def post_grades(self, baseline, drops) -> dict[tuple[str, str], str]:
        rng = self.rng
        grades = {}
        for key, grade in baseline.items():
            if rng.random() < 0.03:
                continue
            grades[key] = procedure.MAS_GRADES[max(0, GRADE_INDEX[grade] - rng.choice(drops))]
        return grades

    def assessment(self, rows, trial, attempt, grades, at, minutes) -> Assessment:
        rng = self.rng
        strong = attempt is None or rng.random() < 0.4
        frequency = rng.randint(2, 4) if strong else rng.randint(0, 2)
        slot = None
        if minutes is not None:
            slot = assessment_slot(minutes, self.assessment_minutes, self.assessment_window)
        assessment = rows.new(
            Assessment,
            trial=trial,
            attempt=attempt,
            minutes_after=minutes,
            slot_minutes=slot,
            assessed_at=at,
            entered_at=at,
            assessed_by=self.neurologist,
            penn_frequency=frequency,
            penn_severity=rng.randint(1, 3) if frequency else None,
        )
        assessment.mas = [
            rows.new(MasScore, assessment=assessment, group=group, side=side, grade=grade)
            for (group, side), grade in grades.items()
        ]
        return assessment

    def vital_signs(self, rows, attempt, at, hypotension, *, pre_dose=False) -> VitalSigns:
        rng = self.rng
        low = hypotension is not None and hypotension <= at <= hypotension + timedelta(hours=2)
        systolic = rng.randint(80, 95) if low else rng.randint(102, 148)
        return rows.new(
            VitalSigns,
            attempt=attempt,
            recorded_at=at,
            entered_at=at,
            pre_dose=pre_dose,
            recorded_by=self.nurse,
            heart_rate=rng.randint(52, 62) if low else rng.randint(60, 96),
            systolic=systolic,
            diastolic=min(systolic - 20, rng.randint(45, 55) if low else rng.randint(60, 92)),
            respiratory_rate=rng.randint(12, 20),
            spo2=rng.randint(94, 100),
            temperature_c=Decimal(rng.randint(362, 375)) / 10,
            sedation=1 if low else pick(rng, [(0, 85), (1, 13), (2, 2)]),
            pain=rng.randint(0, 4),
            headache=rng.random() < 0.05,
        )

    def adverse_event(self, rows, attempt, plan: AttemptStory, last) -> AdverseEvent | None:
        """An event with its onset in the observation, charted a few minutes after the onset. A
        severe one is resolved before the discharge (a discharge criterion, DOMAIN §3)."""
        rng = self.rng
        onset = plan.given + timedelta(minutes=rng.randint(20, 300))
        entered = onset + timedelta(minutes=rng.randint(2, 30))
        if entered > last:
            return None
        severity = pick(rng, AE_SEVERITIES)
        resolved = onset + timedelta(minutes=rng.randint(20, 600))
        if severity in procedure.SEVERE_AE and plan.discharged <= self.horizon:
            latest = plan.discharged - 10 * MINUTE
            if latest < onset + 20 * MINUTE:
                severity = "moderate"  # too close to the discharge to have been severe
            else:
                resolved = between(rng, onset + 20 * MINUTE, latest)
        if resolved > self.horizon or (
            last == self.horizon and severity not in procedure.SEVERE_AE and rng.random() < 0.5
        ):
            resolved = None
        action, resolution = AE_ACTIONS[severity]
        return rows.new(
            AdverseEvent,
            attempt=attempt,
            kind=pick(rng, AE_KINDS[severity]),
            severity=severity,
            onset_at=onset,
            action_taken=action,
            resolution=resolution if resolved else "",
            resolved_at=resolved,
            resolution_entered_at=resolved,
            recorded_by=self.nurse,
            entered_at=entered,
        )
