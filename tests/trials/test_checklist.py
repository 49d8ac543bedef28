"""Ticking checklist items (DOMAIN.md §3): who may tick what, and when a list can still change.

The trials are built once for the module (tests/module_data.py), one in each of TRIAL_STATES:
what a test ticks is rolled back after it."""

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditEvent
from core.errors import ProtocolError
from tests import module_data
from trials import procedure
from trials.models import ChecklistEntry
from trials.models.checklist import EntryState
from trials.services.checklist import checklist_tick, checklist_untick

# The state in which each checklist is open and still empty.
OPEN_IN = {
    "preparation": "preparation",
    "day_of": "injection",
    "injection": "injection",
    "observation": "observation",
    "follow_up": "follow_up",
}
TRIAL_STATES = ["preparation", "injection", "observation", "follow_up"]
# The named users of the module are the people who built its trials.
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user
ROLES = [procedure.NURSE, procedure.NEUROLOGIST, procedure.ADMIN]
ITEMS = [(c.key, i.key) for c in procedure.CHECKLISTS.values() for i in c.items]
ITEM_ROLES = [(c, i, r) for c, i in ITEMS for r in ROLES]


def _roles(checklist_key, item_key):
    return procedure.CHECKLISTS[checklist_key].item(item_key).roles


@pytest.fixture
def actor_for(nurse, neurologist, admin_user):
    return {procedure.NURSE: nurse, procedure.NEUROLOGIST: neurologist, procedure.ADMIN: admin_user}


def _entries(trial, checklist_key, item_key):
    return ChecklistEntry.objects.filter(trial=trial, checklist=checklist_key, item=item_key)


def _tick(trial, checklist_key, item_key, actor, **kwargs):
    return checklist_tick(
        trial_id=trial.pk, checklist_key=checklist_key, item_key=item_key, actor=actor, **kwargs
    ).entry


def _untick(trial, checklist_key, item_key, actor, **kwargs):
    return checklist_untick(
        trial_id=trial.pk, checklist_key=checklist_key, item_key=item_key, actor=actor, **kwargs
    )


def test_every_checklist_is_open_in_exactly_one_tested_state():
    assert set(OPEN_IN) == set(procedure.CHECKLISTS)


@pytest.mark.parametrize(
    ("checklist_key", "item_key", "role"),
    [p for p in ITEM_ROLES if p[2] in _roles(p[0], p[1])],
)
def test_item_can_be_ticked_by_its_roles(module_trial_in, actor_for, checklist_key, item_key, role):
    trial = module_trial_in(OPEN_IN[checklist_key])
    entry = _tick(trial, checklist_key, item_key, actor_for[role], note="Checked with the ward.")

    assert entry.by == actor_for[role]
    assert entry.state == EntryState.DONE
    assert entry.note == "Checked with the ward."
    assert entry.at is not None


@pytest.mark.parametrize(
    ("checklist_key", "item_key", "role"),
    [p for p in ITEM_ROLES if p[2] not in _roles(p[0], p[1])],
)
def test_item_cannot_be_ticked_by_other_roles(
    module_trial_in, actor_for, checklist_key, item_key, role
):
    trial = module_trial_in(OPEN_IN[checklist_key])
    audit_before = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied):
        _tick(trial, checklist_key, item_key, actor_for[role])

    assert not _entries(trial, checklist_key, item_key).exists()
    assert AuditEvent.objects.count() == audit_before


def test_admin_may_tick_no_item():
    assert all(procedure.ADMIN not in _roles(c, i) for c, i in ITEMS)


def test_nurse_cannot_tick_the_consent(module_trial_in, nurse):
    trial = module_trial_in("preparation")
    with pytest.raises(PermissionDenied, match="Only a neurologist may tick"):
        _tick(trial, "preparation", "consent", nurse)


def test_double_tick_keeps_one_entry_and_one_audit_row(module_trial_in, neurologist):
    trial = module_trial_in("preparation")

    first = _tick(trial, "preparation", "consent", neurologist)
    second = _tick(trial, "preparation", "consent", neurologist)

    assert first.pk == second.pk
    assert _entries(trial, "preparation", "consent").count() == 1
    assert trial.audit.filter(action="tick").count() == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_not_applicable_needs_a_reason(module_trial_in, neurologist, reason):
    trial = module_trial_in("preparation")
    with pytest.raises(ProtocolError, match="needs a reason"):
        _tick(trial, "preparation", "imaging", neurologist, not_applicable=True, na_reason=reason)
    assert not _entries(trial, "preparation", "imaging").exists()


def test_not_applicable_keeps_its_reason_in_the_entry_and_the_audit(module_trial_in, neurologist):
    trial = module_trial_in("preparation")
    entry = _tick(
        trial, "preparation", "imaging", neurologist, not_applicable=True, na_reason="Not ordered."
    )

    assert (entry.state, entry.na_reason) == (EntryState.NOT_APPLICABLE, "Not ordered.")
    row = trial.audit.get(action="tick")
    assert row.reason == "Not ordered."
    assert row.new["state"] == EntryState.NOT_APPLICABLE


def test_untick_before_the_phase_is_signed_removes_the_tick_and_audits_it(
    module_trial_in, neurologist
):
    trial = module_trial_in("preparation")
    entry = _tick(trial, "preparation", "consent", neurologist)

    _untick(trial, "preparation", "consent", neurologist, reason="Consent form unsigned.")

    assert not _entries(trial, "preparation", "consent").exists()
    row = trial.audit.get(action="untick")
    assert row.old == {
        "state": EntryState.DONE,
        "by": neurologist.printed_name,
        "at": entry.at.isoformat(),
    }
    assert row.new == {"state": None}
    assert row.reason == "Consent form unsigned."
    assert row.actor == neurologist


def test_a_tick_and_its_untick_name_the_stored_entry_in_the_audit(module_trial_in, neurologist):
    trial = module_trial_in("preparation")
    entry = _tick(trial, "preparation", "consent", neurologist)
    stored = _entries(trial, "preparation", "consent").get()
    assert (entry.pk, entry.at, entry.by_id) == (stored.pk, stored.at, stored.by_id)

    _untick(trial, "preparation", "consent", neurologist)

    rows = trial.audit.filter(action__in=["tick", "untick"]).order_by("pk")
    assert [(r.action, r.object_type, r.object_id) for r in rows] == [
        ("tick", "ChecklistEntry", str(stored.pk)),
        ("untick", "ChecklistEntry", str(stored.pk)),
    ]


def test_item_can_be_ticked_again_after_an_untick(module_trial_in, neurologist):
    trial = module_trial_in("preparation")
    _tick(trial, "preparation", "consent", neurologist)
    _untick(trial, "preparation", "consent", neurologist)

    _tick(trial, "preparation", "consent", neurologist)

    assert _entries(trial, "preparation", "consent").count() == 1
    assert trial.audit.filter(action="tick").count() == 2


def test_nurse_cannot_untick_a_neurologist_item(module_trial_in, nurse, neurologist):
    trial = module_trial_in("preparation")
    _tick(trial, "preparation", "consent", neurologist)
    with pytest.raises(PermissionDenied):
        _untick(trial, "preparation", "consent", nurse)
    assert _entries(trial, "preparation", "consent").exists()


def test_untick_is_refused_once_the_phase_is_signed(module_trial_in, neurologist):
    trial = module_trial_in("injection")  # preparation signed
    with pytest.raises(ProtocolError, match="only be changed while the trial is in preparation"):
        _untick(trial, "preparation", "consent", neurologist)
    assert _entries(trial, "preparation", "consent").exists()


def test_untick_of_injection_assist_is_refused_once_the_injection_is_signed(module_trial_in, nurse):
    trial = module_trial_in("observation")
    with pytest.raises(ProtocolError):
        _untick(trial, "injection", "needle_removed", nurse)
    assert _entries(trial, "injection", "needle_removed").exists()


def test_tick_is_refused_once_the_phase_is_signed(module_trial_in, neurologist):
    trial = module_trial_in("injection")  # preparation signed
    audit_before = AuditEvent.objects.count()

    with pytest.raises(ProtocolError):
        _tick(trial, "preparation", "consent", neurologist, note="late")

    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize(
    ("state", "checklist_key", "item_key"),
    [
        ("preparation", "day_of", "fasting"),
        ("preparation", "observation", "rest_today"),
        ("injection", "observation", "vitals_stable"),
        ("observation", "follow_up", "appointment"),
        ("follow_up", "day_of", "fasting"),
    ],
)
def test_item_of_a_checklist_not_of_the_current_phase_is_refused(
    module_trial_in, nurse, state, checklist_key, item_key
):
    trial = module_trial_in(state)
    entries_before = ChecklistEntry.objects.filter(trial=trial).count()
    with pytest.raises(ProtocolError, match="can only be changed while the trial is in"):
        _tick(trial, checklist_key, item_key, nurse)
    assert ChecklistEntry.objects.filter(trial=trial).count() == entries_before


def test_unknown_item_is_refused(module_trial_in, nurse):
    trial = module_trial_in("preparation")
    with pytest.raises(ProtocolError, match="no such checklist item"):
        _tick(trial, "preparation", "walk_the_dog", nurse)
