"""Random sequences of the real service calls, with random clinical times, by random roles.

Whatever happens, no open trial is left with no way forward, and no accepted entry breaks an
order rule of DOMAIN §2a. Runs on whichever database the suite runs on (SQLite and PostgreSQL).
"""

from contextlib import suppress
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests import factories
from tests.ward.conftest import PASSWORD, vitals_data
from trials import procedure, scenarios
from trials.models import SiteSettings, Trial
from trials.services import checklist, records, workflow
from trials.services.errors import ProtocolError
from trials.services.phase import ways_forward
from trials.services.snapshot import TrialSnapshot
from trials.services.timing import CLOCK_SKEW

REFUSED = (ProtocolError, PermissionDenied)
offsets = st.integers(min_value=-600, max_value=30)  # minutes relative to now
lateness = st.sampled_from(["", "Charted after the round."])


class WardMachine(RuleBasedStateMachine):
    team: scenarios.Team

    def __init__(self):
        super().__init__()
        self.traveller = time_machine.travel(timezone.now(), tick=False)
        self.clock = self.traveller.start()
        self.trial = factories.create_trial(factories.make_patient(), self.team)
        Trial.objects.filter(pk=self.trial.pk).update(goals="Easier transfers")

    def teardown(self):
        self.traveller.stop()

    def actor(self, role):
        return self.team.nurse if role == procedure.NURSE else self.team.neurologist

    def at(self, minutes):
        return timezone.now() + timedelta(minutes=minutes)

    def attempt(self):
        return self.trial.attempts.order_by("-number").first()

    def attempt_of(self, trial_id):
        return Trial.objects.get(pk=trial_id).attempts.order_by("-number").first()

    @rule(minutes=st.integers(min_value=1, max_value=30 * 60))
    def time_passes(self, minutes):
        self.clock.shift(timedelta(minutes=minutes))

    @rule(role=st.sampled_from([procedure.NURSE, procedure.NEUROLOGIST]), data=st.data())
    def tick(self, role, data):
        status = Trial.objects.get(pk=self.trial.pk).status
        keys = procedure.PHASE_CHECKLISTS.get(status, ())
        if not keys:
            return
        key = data.draw(st.sampled_from(keys))
        item = data.draw(st.sampled_from(procedure.CHECKLISTS[key].items))
        self._try(checklist.checklist_tick, trial_id=self.trial.pk, checklist_key=key,
                  item_key=item.key, actor=self.actor(role))  # fmt: skip

    @rule(minutes=offsets, late=lateness)
    def baseline(self, minutes, late):
        self._try(records.assessment_record, trial_id=self.trial.pk, actor=self.team.neurologist,
                  grades=scenarios.grades("3"), penn_frequency=2, penn_severity=1,
                  assessed_at=self.at(minutes), baseline=True, late=late)  # fmt: skip

    @rule(dose=st.sampled_from([25, 50]))
    def sign_preparation(self, dose):
        self._try(workflow.preparation_sign, trial_id=self.trial.pk, actor=self.team.neurologist,
                  password=PASSWORD, first_dose_mcg=dose, reason="Test.")  # fmt: skip

    @rule(minutes=offsets, late=lateness, role=st.sampled_from([procedure.NURSE,
                                                               procedure.NEUROLOGIST]))  # fmt: skip
    def vitals(self, minutes, late, role):
        self._try(records.vitals_record, trial_id=self.trial.pk, actor=self.actor(role),
                  data=vitals_data(self.at(minutes), late_reason=late))  # fmt: skip

    @rule(minutes=offsets, late=lateness)
    def inject(self, minutes, late):
        attempt = self.attempt()
        if attempt is None:
            return
        data = scenarios.injection_data(self.team, given_at=self.at(minutes))
        self._try(workflow.injection_sign, trial_id=self.trial.pk, actor=self.team.neurologist,
                  password=PASSWORD, dose_mcg=attempt.dose_mcg, data=data, late=late)  # fmt: skip

    @rule(minutes=offsets, late=lateness, grade=st.sampled_from(["1", "3"]))
    def assess(self, minutes, late, grade):
        self._try(records.assessment_record, trial_id=self.trial.pk, actor=self.team.neurologist,
                  grades=scenarios.grades(grade), penn_frequency=1, penn_severity=1,
                  assessed_at=self.at(minutes), late=late)  # fmt: skip

    @rule(minutes=offsets, severity=st.sampled_from(["mild", "severe"]), late=lateness)
    def adverse_event(self, minutes, severity, late):
        data = {
            "kind": "hypotension",
            "severity": severity,
            "onset_at": self.at(minutes),
            "action_taken": "",
            "resolution": "",
            "resolved_at": None,
            "late_reason": late,
        }
        self._try(records.adverse_event_record, trial_id=self.trial.pk, actor=self.team.nurse,
                  data=data)  # fmt: skip

    @rule(minutes=offsets, late=lateness)
    def resolve(self, minutes, late):
        for attempt in self.trial.attempts.all():
            for ae in attempt.adverse_events.filter(resolved_at__isnull=True):
                self._try(records.adverse_event_resolve, trial_id=self.trial.pk, event_id=ae.pk,
                          actor=self.team.nurse, resolution="Settled.",
                          resolved_at=self.at(minutes), late_reason=late)  # fmt: skip

    @rule(minutes=offsets, late=lateness)
    def worn_off(self, minutes, late):
        self._try(workflow.attempt_effect_worn_off, trial_id=self.trial.pk,
                  actor=self.team.neurologist, at=self.at(minutes), late=late)  # fmt: skip

    @rule(minutes=st.integers(min_value=-120, max_value=0), late=lateness)
    def discharge(self, minutes, late):
        self._try(workflow.attempt_discharge, trial_id=self.trial.pk, actor=self.team.nurse,
                  password=PASSWORD, at=self.at(minutes), late=late)  # fmt: skip

    @rule()
    def discharge_exception(self):
        self._try(workflow.attempt_discharge_exception, trial_id=self.trial.pk,
                  actor=self.team.neurologist, password=PASSWORD, reason="Transfer.")  # fmt: skip

    @rule(responder=st.booleans(), goal=st.sampled_from(["met", "partly", "not_met"]))
    def decide(self, responder, goal):
        self._try(workflow.attempt_decide, trial_id=self.trial.pk, actor=self.team.neurologist,
                  password=PASSWORD, responder=responder, reason="Clinical judgement.",
                  goals={"Easier transfers": goal})  # fmt: skip

    @rule(dose=st.sampled_from([50, 75, 100]))
    def plan_next(self, dose):
        self._try(workflow.attempt_plan_next, trial_id=self.trial.pk,
                  actor=self.team.neurologist, dose_mcg=dose, reason="Test.")  # fmt: skip

    @rule(outcome=st.sampled_from(["pump_candidate", "not_candidate", "withdrawn"]))
    def close(self, outcome):
        self._try(workflow.trial_close, trial_id=self.trial.pk, actor=self.team.neurologist,
                  password=PASSWORD, outcome=outcome, note="Test.")  # fmt: skip

    def _try(self, service, **kwargs):
        with suppress(*REFUSED):  # a refusal is an answer; the invariants check what was kept
            service(**kwargs)

    @invariant()
    def an_open_trial_has_a_way_forward(self):
        snap = TrialSnapshot.load(self.trial.pk)
        if snap.trial.is_open:
            assert ways_forward(snap), f"stranded in {snap.trial.status}"

    @invariant()
    def accepted_entries_keep_the_order_of_time(self):
        snap = TrialSnapshot.load(self.trial.pk)
        threshold = timedelta(minutes=SiteSettings.current().late_entry_minutes)
        preparation = snap.signature("preparation")
        previous = None
        for a in snap.attempts:
            entries = [(v.recorded_at, v.entered_at, v.late_reason) for v in a.vitals.all()]
            entries += [(p.onset_at, p.entered_at, p.late_reason) for p in a.adverse_events.all()]
            if a.is_given:
                assert a.given_at >= a.planned_at >= preparation.signed_at
                entries.append((a.given_at, a.given_entered_at, a.given_late_reason))
                for v in snap.vitals_after_injection(a):
                    assert v.recorded_at >= a.given_at
                for s in snap.post_dose(a):
                    assert s.assessed_at >= a.given_at
                    entries.append((s.assessed_at, s.entered_at, s.late_reason))
                for ae in a.adverse_events.all():
                    assert ae.onset_at >= a.given_at
                    assert ae.resolved_at is None or ae.resolved_at >= ae.onset_at
            if previous is not None and a.is_given:
                assert a.given_at >= previous.given_at + timedelta(hours=24)
                assert a.given_at >= previous.discharged_at
                assert a.given_at >= previous.decided_at
            if a.discharged_at:
                assert a.discharged_at >= a.given_at
                entries.append((a.discharged_at, a.discharge_entered_at, a.discharge_late_reason))
            if a.decided_at:
                assert a.decided_at >= max(s.assessed_at for s in snap.post_dose(a))
                entries.append((a.decided_at, a.decision_entered_at, a.decision_late_reason))
            for clinical, entered, reason in entries:
                assert clinical <= entered + CLOCK_SKEW, "an entry in the future was accepted"
                assert bool(reason) == (entered - clinical > threshold), "late entry not marked"
            previous = a


@pytest.mark.django_db
def test_no_sequence_strands_a_trial_or_breaks_the_order_of_time(team):
    WardMachine.team = team
    run_state_machine_as_test(
        WardMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
