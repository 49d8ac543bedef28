"""Random sequences of the real service calls, with random clinical times, by random roles.

Every rule acts as a nurse, a neurologist or an admin: a role the protocol does not allow is
refused cleanly (ProtocolError or PermissionDenied, nothing written), never accepted and never a
crash. Whatever happens, no open trial is left with no way forward (trials/services/phase.
ways_forward), a closed trial accepts nothing, and no accepted entry breaks an order rule of
DOMAIN §2a. Runs on whichever database the suite runs on (SQLite and PostgreSQL).
"""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from audit.models import AuditEvent
from core.errors import ProtocolError
from tests import factories
from tests.ward.conftest import PASSWORD, vitals_data
from trials import procedure, scenarios
from trials.models import SiteSettings, Trial
from trials.services import checklist, records, workflow
from trials.services.phase import ways_forward
from trials.services.snapshot import TrialSnapshot
from trials.services.timing import CLOCK_SKEW

REFUSED = (ProtocolError, PermissionDenied)
ROLES = (procedure.NURSE, procedure.NEUROLOGIST, procedure.ADMIN)
# Who acts: anyone at all (a nurse, a neurologist or an admin), or someone the rule permits (so
# that runs move on; a nurse where nurses may).
PERMITTED = "permitted"
roles = st.one_of(st.just(PERMITTED), st.sampled_from(ROLES))
# Minutes relative to now: mostly about now, sometimes hours back, sometimes in the future.
offsets = st.one_of(
    st.just(0), st.integers(min_value=-30, max_value=30), st.integers(min_value=-600, max_value=30)
)
# Where a run starts: every open phase, bare or with its moves out unblocked (tests/factories.py).
STARTS = (
    "preparation",
    "preparation_ready",
    "injection",
    "injection_ready",
    "observation",
    "observation_ready",
    "follow_up",
    "follow_up_decided_nonresponder",
    "follow_up_ready",
)
recent = st.one_of(st.just(0), st.integers(min_value=-120, max_value=0))
lateness = st.sampled_from(["", "Charted after the round."])


def move_roles(action: str) -> frozenset[str]:
    """Who may make this phase move (procedure.MOVES), whatever phase it starts from."""
    return frozenset().union(*(m.roles for m in procedure.MOVES if m.action == action))


def action_roles(action: str) -> frozenset[str]:
    return procedure.ACTION_ROLES[action]


def during(*phases: str):
    """Run a rule only in the phases where it can be accepted, so that the steps of a run move
    the trial on (what each phase refuses is specified in tests/trials and tests/ward)."""
    return precondition(lambda machine: machine.snapshot().trial.status in phases)


INJECTION, OBSERVATION, FOLLOW_UP = (
    procedure.Phase.INJECTION,
    procedure.Phase.OBSERVATION,
    procedure.Phase.FOLLOW_UP,
)
DOSED = (OBSERVATION, FOLLOW_UP)


def minute(when: datetime) -> datetime:
    """Times are typed to the minute: an entry in the minute of what it depends on is not
    before it (trials/services/timing.check_time)."""
    return when.replace(second=0, microsecond=0)


class WardMachine(RuleBasedStateMachine):
    """One run: a trial from one of the start states, then random steps. Every run starts at the
    same minute on the server's clock (time-machine) from trials built once for the test, and
    rolls back what it wrote when it ends (a savepoint)."""

    team: scenarios.Team
    admin: object
    base: datetime
    starts: dict[str, Trial]

    def __init__(self):
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.traveller = time_machine.travel(self.base, tick=False)
        self.clock = self.traveller.start()
        self.snap: TrialSnapshot | None = None
        self.used: set[str] = set()

    @initialize(start=st.sampled_from(STARTS))
    def start(self, start):
        self.snap = None
        self.used.add(start)
        self.trial = self.starts[start]

    @precondition(
        lambda machine: not machine.snapshot().trial.is_open and len(machine.used) < len(STARTS)
    )
    @rule(data=st.data())
    def next_patient(self, data):
        """Once the trial is closed, the run goes on with another patient's trial."""
        self.start(data.draw(st.sampled_from([s for s in STARTS if s not in self.used])))

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)
        self.traveller.stop()

    def actor(self, role):
        return {
            procedure.NURSE: self.team.nurse,
            procedure.NEUROLOGIST: self.team.neurologist,
            procedure.ADMIN: self.admin,
        }[role]

    def at(self, minutes):
        return timezone.now() + timedelta(minutes=minutes)

    def attempt(self):
        return self.trial.attempts.order_by("-number").first()

    def _try(self, allowed: frozenset[str], role: str, service, **kwargs) -> None:
        """Call the service as `role`. A refusal is an answer (the invariants check what was
        kept) but must write nothing; a role outside `allowed` must be refused; anything other
        than a refusal fails the test. A closed trial accepts nothing."""
        if role == PERMITTED:
            role = next(r for r in ROLES if r in allowed)
        was_open = self.snap.trial.is_open if self.snap else self.status() in procedure.Phase.OPEN
        self.snap = None
        audit = AuditEvent.objects.filter(trial_id=self.trial.pk)
        before = audit.count()
        try:
            service(actor=self.actor(role), **kwargs)
        except REFUSED:
            assert audit.count() == before, f"{service.__name__} refused but wrote to the trail"
            return
        assert role in allowed, f"{service.__name__} accepted from a {role}"
        assert was_open, f"{service.__name__} accepted on a closed trial"

    def status(self) -> str:
        return Trial.objects.values_list("status", flat=True).get(pk=self.trial.pk)

    def undecided(self) -> bool:
        snap = self.snapshot()
        return snap.trial.status in DOSED and not snap.attempt.is_decided

    def snapshot(self) -> TrialSnapshot:
        if self.snap is None:
            self.snap = TrialSnapshot.load(self.trial.pk)
        return self.snap

    @rule(minutes=st.integers(min_value=1, max_value=30 * 60))
    def time_passes(self, minutes):
        self.snap = None
        self.clock.shift(timedelta(minutes=minutes))

    @rule(role=roles, minutes=offsets, late=lateness, data=st.data())
    def tick(self, role, minutes, late, data):
        status = self.status()
        keys = procedure.PHASE_CHECKLISTS.get(status, ())
        if not keys:
            return
        key = data.draw(st.sampled_from(keys))
        item = data.draw(st.sampled_from(procedure.CHECKLISTS[key].items))
        self._try(
            item.roles,
            role,
            checklist.checklist_tick,
            trial_id=self.trial.pk,
            checklist_key=key,
            item_key=item.key,
            at=self.at(minutes),
            late=late,
        )

    @rule(role=roles, minutes=offsets, late=lateness)
    def ward_round(self, role, minutes, late):
        """Whoever comes by ticks every open item of the phase's checklists they may tick."""
        status = self.status()
        for key in procedure.PHASE_CHECKLISTS.get(status, ()):
            for item in procedure.CHECKLISTS[key].items:
                self._try(
                    item.roles,
                    role,
                    checklist.checklist_tick,
                    trial_id=self.trial.pk,
                    checklist_key=key,
                    item_key=item.key,
                    at=self.at(minutes),
                    late=late,
                    not_applicable=not item.required,
                    na_reason="Not needed today.",
                )

    @during(procedure.Phase.PREPARATION)
    @rule(role=roles, minutes=offsets, late=lateness)
    def baseline(self, role, minutes, late):
        self._try(
            action_roles("record_baseline"),
            role,
            records.assessment_record,
            trial_id=self.trial.pk,
            grades=scenarios.grades("3"),
            penn_frequency=2,
            penn_severity=1,
            assessed_at=self.at(minutes),
            baseline=True,
            late=late,
        )

    @during(procedure.Phase.PREPARATION)
    @rule(role=roles, dose=st.sampled_from([25, 50]))
    def sign_preparation(self, role, dose):
        self._try(
            move_roles("sign_preparation"),
            role,
            workflow.preparation_sign,
            trial_id=self.trial.pk,
            password=PASSWORD,
            first_dose_mcg=dose,
            reason="Test.",
        )

    @during(INJECTION, OBSERVATION)
    @rule(role=roles, minutes=offsets, late=lateness)
    def vitals(self, role, minutes, late):
        self._try(
            action_roles("record_vitals"),
            role,
            records.vitals_record,
            trial_id=self.trial.pk,
            data=vitals_data(self.at(minutes), late_reason=late),
        )

    @during(procedure.Phase.INJECTION)
    @rule(role=roles, minutes=offsets, late=lateness)
    def inject(self, role, minutes, late):
        attempt = self.attempt()
        if attempt is None:
            return
        data = scenarios.injection_data(self.team, given_at=self.at(minutes))
        self._try(
            move_roles("sign_injection"),
            role,
            workflow.injection_sign,
            trial_id=self.trial.pk,
            password=PASSWORD,
            dose_mcg=attempt.dose_mcg,
            data=data,
            late=late,
        )

    @during(*DOSED)
    @rule(role=roles, minutes=offsets, late=lateness, grade=st.sampled_from(["1", "3"]))
    def assess(self, role, minutes, late, grade):
        self._try(
            action_roles("record_assessment"),
            role,
            records.assessment_record,
            trial_id=self.trial.pk,
            grades=scenarios.grades(grade),
            penn_frequency=1,
            penn_severity=1,
            assessed_at=self.at(minutes),
            late=late,
        )

    @during(*DOSED)
    @rule(role=roles, minutes=offsets, severity=st.sampled_from(["mild", "severe"]), late=lateness)
    def adverse_event(self, role, minutes, severity, late):
        data = {
            "kind": "hypotension",
            "severity": severity,
            "onset_at": self.at(minutes),
            "action_taken": "",
            "resolution": "",
            "resolved_at": None,
            "late_reason": late,
        }
        self._try(
            action_roles("record_adverse_event"),
            role,
            records.adverse_event_record,
            trial_id=self.trial.pk,
            data=data,
        )

    @during(*DOSED)
    @rule(role=roles, minutes=offsets, late=lateness)
    def resolve(self, role, minutes, late):
        for attempt in self.trial.attempts.all():
            for ae in attempt.adverse_events.filter(resolved_at__isnull=True):
                self._try(
                    action_roles("record_adverse_event"),
                    role,
                    records.adverse_event_resolve,
                    trial_id=self.trial.pk,
                    event_id=ae.pk,
                    resolution="Settled.",
                    resolved_at=self.at(minutes),
                    late_reason=late,
                )

    @during(*DOSED)
    @rule(role=roles, minutes=offsets, late=lateness)
    def pain_medication(self, role, minutes, late):
        data = {"drug": "Paracetamol", "dose": "1 g", "route": "oral",
                "given_at": self.at(minutes), "late_reason": late}  # fmt: skip
        self._try(
            action_roles("record_pain_medication"),
            role,
            records.pain_medication_record,
            trial_id=self.trial.pk,
            data=data,
        )

    @during(OBSERVATION)
    @rule(role=roles, minutes=offsets, late=lateness)
    def worn_off(self, role, minutes, late):
        self._try(
            action_roles("record_effect_worn_off"),
            role,
            workflow.attempt_effect_worn_off,
            trial_id=self.trial.pk,
            at=self.at(minutes),
            late=late,
        )

    @during(OBSERVATION)
    @rule(role=roles, minutes=recent, late=lateness)
    def discharge(self, role, minutes, late):
        self._try(
            move_roles("discharge"),
            role,
            workflow.attempt_discharge,
            trial_id=self.trial.pk,
            password=PASSWORD,
            at=self.at(minutes),
            late=late,
        )

    @during(OBSERVATION)
    @rule(role=roles)
    def discharge_exception(self, role):
        self._try(
            move_roles("discharge_exception"),
            role,
            workflow.attempt_discharge_exception,
            trial_id=self.trial.pk,
            password=PASSWORD,
            reason="Transfer.",
        )

    @precondition(lambda machine: machine.undecided())
    @rule(
        role=roles,
        responder=st.booleans(),
        goal=st.sampled_from(["met", "partly", "not_met"]),
        minutes=recent,
        late=lateness,
    )
    def decide(self, role, responder, goal, minutes, late):
        self._try(
            action_roles("decide"),
            role,
            workflow.attempt_decide,
            trial_id=self.trial.pk,
            password=PASSWORD,
            responder=responder,
            reason="Clinical judgement.",
            goals={"Easier transfers": goal},
            at=self.at(minutes),
            late=late,
        )

    @during(FOLLOW_UP)
    @rule(role=roles, dose=st.sampled_from([50, 75, 100]))
    def plan_next(self, role, dose):
        self._try(
            move_roles("plan_next_attempt"),
            role,
            workflow.attempt_plan_next,
            trial_id=self.trial.pk,
            dose_mcg=dose,
            reason="Test.",
        )

    @during(FOLLOW_UP)
    @rule(role=roles, outcome=st.sampled_from(["pump_candidate", "not_candidate", "withdrawn"]))
    def close(self, role, outcome):
        self._try(
            move_roles("close"),
            role,
            workflow.trial_close,
            trial_id=self.trial.pk,
            password=PASSWORD,
            outcome=outcome,
            note="Test.",
        )

    @during(*procedure.Phase.OPEN)
    @rule(role=st.sampled_from(ROLES), reason=st.sampled_from(["", "Patient declined."]))
    def cancel(self, role, reason):
        self._try(
            move_roles("cancel"), role, workflow.trial_cancel, trial_id=self.trial.pk, reason=reason
        )

    @invariant()
    def an_open_trial_has_a_way_forward(self):
        snap = self.snapshot()
        if snap.trial.is_open:
            assert ways_forward(snap), f"stranded in {snap.trial.status}"

    @invariant()
    def accepted_entries_keep_the_order_of_time(self):
        snap = self.snapshot()
        threshold = timedelta(minutes=SiteSettings.current().late_entry_minutes)
        preparation = snap.signature("preparation")
        # (clinical time, entry time, late reason) of every accepted entry
        entries = [(e.at, e.entered_at, e.late_reason) for e in snap.entries]
        given = {a.pk: a.given_at for a in snap.attempts}
        for e in snap.entries:
            if e.checklist == "observation":
                assert e.at >= minute(given[e.attempt_id]), "observation ticked before the dose"
        if snap.baseline is not None:
            b = snap.baseline
            entries.append((b.assessed_at, b.entered_at, b.late_reason))
        previous = None
        for a in snap.attempts:
            entries += [(v.recorded_at, v.entered_at, v.late_reason) for v in a.vitals.all()]
            entries += [(p.onset_at, p.entered_at, p.late_reason) for p in a.adverse_events.all()]
            for ae in a.adverse_events.all():
                if ae.resolved_at is not None:
                    entries.append(
                        (ae.resolved_at, ae.resolution_entered_at, ae.resolution_late_reason)
                    )
            for v in snap.pre_dose_vitals(a):
                assert v.recorded_at >= minute(a.planned_at), "pre-dose vitals before the plan"
            if a.is_given:
                assert a.given_at >= a.planned_at >= preparation.signed_at
                entries.append((a.given_at, a.given_entered_at, a.given_late_reason))
                for v in snap.vitals_after_injection(a):
                    assert v.recorded_at >= a.given_at
                for s in snap.post_dose(a):
                    assert s.assessed_at >= a.given_at
                    entries.append((s.assessed_at, s.entered_at, s.late_reason))
                for ae in a.adverse_events.all():
                    assert ae.onset_at >= minute(a.given_at)
                    assert ae.resolved_at is None or ae.resolved_at >= minute(ae.onset_at)
                for m in a.pain_medications.all():
                    assert m.given_at >= minute(a.given_at), "pain medication before the dose"
                    entries.append((m.given_at, m.entered_at, m.late_reason))
            else:
                assert not a.pain_medications.all(), "pain medication before any dose"
                assert not snap.post_dose(a), "a post-dose score before the dose"
            if previous is not None and a.is_given:
                assert a.given_at >= previous.given_at + timedelta(hours=24)
                assert a.given_at >= previous.discharged_at
                assert a.given_at >= previous.decided_at
            if a.effect_worn_off_at:
                assert a.effect_worn_off_at >= minute(a.given_at)
                entries.append(
                    (a.effect_worn_off_at, a.effect_worn_off_entered_at,
                     a.effect_worn_off_late_reason)
                )  # fmt: skip
            if a.discharged_at:
                assert a.discharged_at >= a.given_at
                entries.append((a.discharged_at, a.discharge_entered_at, a.discharge_late_reason))
            if a.decided_at:
                # not before the assessments it rests on (those entered before it; during
                # observation later slots may still be scored)
                rests_on = [s for s in snap.post_dose(a) if s.entered_at <= a.decision_entered_at]
                assert rests_on, "a decision with no post-dose assessment"
                assert a.decided_at >= minute(max(s.assessed_at for s in rests_on))
                entries.append((a.decided_at, a.decision_entered_at, a.decision_late_reason))
            previous = a
        for clinical, entered, reason in entries:
            assert clinical <= entered + CLOCK_SKEW, "an entry in the future was accepted"
            assert bool(reason) == (entered - clinical > threshold), "late entry not marked"


@pytest.mark.django_db
def test_no_sequence_strands_a_trial_or_breaks_the_order_of_time(team, admin_user):
    base = minute(timezone.now())
    with time_machine.travel(base, tick=False):
        starts = {s: factories.build_trial(s, team, factories.make_patient()) for s in STARTS}
    Trial.objects.filter(pk__in=[t.pk for t in starts.values()]).update(goals="Easier transfers")
    WardMachine.team, WardMachine.admin, WardMachine.base = team, admin_user, base
    WardMachine.starts = starts
    run_state_machine_as_test(
        WardMachine,
        settings=settings(
            max_examples=50,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
