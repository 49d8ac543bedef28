"""Every phase move × every phase × every role, generated from procedure.MOVES.

trial_transition is called directly. The trial is first brought, through the real services, to a
state where every declared move out of its phase is unblocked (factories.READY), so the only
thing deciding the outcome is the table: declared move and role allowed → moved and audited;
declared move, wrong role → PermissionDenied; move not declared from that phase → ProtocolError.

Those trials, one for each phase, are built once for the module (tests/module_data.py): each
test makes its move inside its own transaction, rolled back after it, so every test meets its
trial as built.
"""

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditEvent
from core.errors import ProtocolError
from tests import module_data
from tests.factories import READY
from trials import procedure
from trials.models import Trial
from trials.procedure import Phase
from trials.services.phase import trial_transition

ACTIONS = sorted({move.action for move in procedure.MOVES})
PHASES = [code for code, _ in Phase.CHOICES]
ROLES = [procedure.NURSE, procedure.NEUROLOGIST, procedure.ADMIN]

MATRIX = [(source, action, role) for source in PHASES for action in ACTIONS for role in ROLES]
ALLOWED = [(s, a, r) for s, a, r in MATRIX if (m := procedure.find_move(a, s)) and r in m.roles]
WRONG_ROLE = [
    (s, a, r) for s, a, r in MATRIX if (m := procedure.find_move(a, s)) and r not in m.roles
]
UNDECLARED = [(s, a, r) for s, a, r in MATRIX if procedure.find_move(a, s) is None]


def _effect(action):
    """The move's own writes that the database insists on (an outcome, a cancel reason)."""

    def effect(snap):
        if action == "close":
            snap.trial.outcome = "not_candidate"
        if action == "cancel":
            snap.trial.cancel_reason = "Patient withdrew consent."
        return "test move"

    return effect


# The trials, one READY for each phase, built once for the module by its named users.
TRIAL_STATES = list(READY.values())
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


@pytest.fixture
def ready_in(module_trial_in):
    """ready_in("observation") -> the module's trial in that phase, every move out unblocked."""
    return lambda phase: module_trial_in(READY[phase])


@pytest.fixture
def actor_for(nurse, neurologist, admin_user):
    return {procedure.NURSE: nurse, procedure.NEUROLOGIST: neurologist, procedure.ADMIN: admin_user}


def _move(trial, action, actor):
    return trial_transition(trial_id=trial.pk, action=action, actor=actor, effect=_effect(action))


def test_every_declared_move_can_be_made_by_some_role_and_leads_to_a_phase():
    for move in procedure.MOVES:
        assert move.roles & set(ROLES), move
        assert move.target in PHASES, move


@pytest.mark.parametrize(("source", "action", "role"), ALLOWED)
def test_declared_move_by_allowed_role_changes_phase_and_writes_audit(
    source, action, role, ready_in, actor_for
):
    trial = ready_in(source)
    actor = actor_for[role]
    target = procedure.find_move(action, source).target

    _move(trial, action, actor)

    trial.refresh_from_db()
    assert trial.status == target
    row = AuditEvent.objects.filter(trial=trial, action="transition").last()
    assert row.old == {"status": source}
    assert row.new == {"status": target}
    assert row.actor == actor
    assert row.actor_name == actor.printed_name
    assert (trial.closed_at is not None) == (target in Phase.CLOSED)


@pytest.mark.parametrize(("source", "action", "role"), WRONG_ROLE)
def test_declared_move_by_wrong_role_is_denied_and_changes_nothing(
    source, action, role, ready_in, actor_for
):
    trial = ready_in(source)
    audit_before = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied):
        _move(trial, action, actor_for[role])

    assert Trial.objects.get(pk=trial.pk).status == source
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize(("source", "action", "role"), UNDECLARED)
def test_undeclared_move_is_a_protocol_error_for_every_role(
    source, action, role, ready_in, actor_for
):
    trial = ready_in(source)
    audit_before = AuditEvent.objects.count()

    with pytest.raises(ProtocolError):
        _move(trial, action, actor_for[role])

    assert Trial.objects.get(pk=trial.pk).status == source
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize("closed", Phase.CLOSED)
def test_closed_trial_has_no_move_out(closed):
    assert [m for m in procedure.MOVES if m.source == closed] == []


def test_unknown_action_is_a_protocol_error(ready_in, neurologist):
    trial = ready_in("preparation")
    with pytest.raises(ProtocolError):
        trial_transition(trial_id=trial.pk, action="skip_to_observation", actor=neurologist)


def test_blocked_move_names_what_blocks_it_and_changes_nothing(trial_in, neurologist):
    trial = trial_in("preparation")

    with pytest.raises(ProtocolError) as caught:
        trial_transition(trial_id=trial.pk, action="sign_preparation", actor=neurologist)

    assert "Risks explained and consent signed" in str(caught.value)
    assert "baseline spasticity assessment is not recorded" in str(caught.value)
    assert Trial.objects.get(pk=trial.pk).status == Phase.PREPARATION
    assert not AuditEvent.objects.filter(trial=trial, action="transition").exists()


def test_failed_effect_rolls_back_the_whole_move(ready_in, neurologist):
    trial = ready_in("preparation")
    audit_before = AuditEvent.objects.count()

    def effect(snap):
        snap.trial.goals = "written by the effect"
        snap.trial.save(update_fields=["goals"])
        raise ProtocolError("The effect refused.")

    with pytest.raises(ProtocolError):
        trial_transition(
            trial_id=trial.pk, action="sign_preparation", actor=neurologist, effect=effect
        )

    trial.refresh_from_db()
    assert (trial.status, trial.goals) == (Phase.PREPARATION, "")
    assert AuditEvent.objects.count() == audit_before


def test_phase_change_and_audit_row_commit_together(ready_in, neurologist, monkeypatch):
    trial = ready_in("preparation")

    def broken_audit(**kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr("trials.services.phase.audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        trial_transition(trial_id=trial.pk, action="sign_preparation", actor=neurologist)

    assert Trial.objects.get(pk=trial.pk).status == Phase.PREPARATION
