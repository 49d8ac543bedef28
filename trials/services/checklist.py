from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import require_role
from audit.services import audit_record
from core import writes
from core.errors import ProtocolError
from trials import procedure
from trials.models import ChecklistEntry
from trials.models.checklist import EntryState

from .phase import lock_trial
from .records import entry_late_reason
from .snapshot import TrialSnapshot
from .timing import check_time


@dataclass(frozen=True)
class ChecklistChange:
    """What a tick or an untick leaves: the entry (None once unticked) and the trial as it
    stands after the change, read under the lock, so the page shows it without reading it
    again."""

    entry: ChecklistEntry | None
    snap: TrialSnapshot


def _item(checklist_key: str, item_key: str) -> tuple[procedure.Checklist, procedure.Item]:
    checklist = procedure.CHECKLISTS.get(checklist_key)
    item = checklist.item(item_key) if checklist else None
    if checklist is None or item is None:
        raise ProtocolError("There is no such checklist item.")
    return checklist, item


def _check_open(snap: TrialSnapshot, checklist: procedure.Checklist) -> None:
    if snap.trial.status != checklist.phase:
        raise ProtocolError(
            f"The {checklist.title.lower()} checklist can only be changed while the trial is in "
            f"{procedure.Phase.LABELS[checklist.phase].lower()}; it is in "
            f"{snap.trial.phase_label.lower()}."
        )
    if checklist.per_attempt and snap.attempt is None:
        raise ProtocolError("No dose attempt is planned yet.")


@transaction.atomic
def checklist_tick(
    *,
    trial_id: int,
    checklist_key: str,
    item_key: str,
    actor: User,
    not_applicable: bool = False,
    note: str = "",
    na_reason: str = "",
    at: datetime | None = None,
    late: str = "",
) -> ChecklistChange:
    """Tick an item (or mark it not applicable), done now or at the time given. Ticking an item
    already ticked changes nothing. Observation items cannot predate the dose."""
    checklist, item = _item(checklist_key, item_key)
    require_role(actor, item.roles, f"tick “{item.label}”")
    snap = lock_trial(trial_id, with_timeline=True)  # the reply shows the timeline too
    _check_open(snap, checklist)
    if not_applicable and not na_reason.strip():
        raise ProtocolError("“Not applicable” needs a reason.")
    attempt = snap.checklist_scope(checklist_key)
    existing = snap.entries_for(checklist_key, attempt).get(item_key)
    if existing is not None:
        return ChecklistChange(existing, snap)  # a double click, or two people at once: one tick
    now = timezone.now()
    at = at or now
    given = attempt.given_at if attempt is not None and checklist.phase == "observation" else None
    check_time(at, what="tick", after=[(given, "the dose was given")], now=now)
    reason = entry_late_reason(snap, at, late, "tick") if at != now else ""
    entry = ChecklistEntry(
        at=at,
        entered_at=now,
        late_reason=reason,
        trial=snap.trial,
        attempt=attempt,
        checklist=checklist_key,
        item=item_key,
        state=EntryState.NOT_APPLICABLE if not_applicable else EntryState.DONE,
        note=note.strip(),
        na_reason=na_reason.strip() if not_applicable else "",
        by=actor,
    )
    # The entries read under the lock and the one stored are the entries now: not read again. The
    # entry stored with the record's step (one round trip on PostgreSQL: core/writes.py), before
    # the audit row: the audit chain's lock, which every writer and page view of every trial
    # waits for, is then held for the audit row and the commit alone.
    snap.written("entries", known={"entries": snap.entries_with(entry)}, write=writes.insert(entry))
    verb = "Marked not applicable" if not_applicable else "Ticked"
    event = audit_record(
        actor=actor,
        action="tick",
        trial=snap.trial,
        obj=entry,
        summary=f"{verb}: {checklist.title} – {item.label}",
        old={"state": None},
        new={"state": entry.state, "note": entry.note, "na_reason": entry.na_reason, "at": at},
        reason=" · ".join(r for r in (entry.na_reason, reason) if r),
    )
    snap.audited(event)
    return ChecklistChange(entry, snap)


@transaction.atomic
def checklist_untick(
    *, trial_id: int, checklist_key: str, item_key: str, actor: User, reason: str = ""
) -> ChecklistChange:
    """Untick an item while its phase is still open (not signed). The audit keeps the old tick."""
    checklist, item = _item(checklist_key, item_key)
    require_role(actor, item.roles, f"untick “{item.label}”")
    snap = lock_trial(trial_id, with_timeline=True)  # the reply shows the timeline too
    _check_open(snap, checklist)
    attempt = snap.checklist_scope(checklist_key)
    entry = snap.entries_for(checklist_key, attempt).get(item_key)
    if entry is None:
        return ChecklistChange(None, snap)
    # As a tick: the entry deleted with the record's step, the audit row (naming the entry by the
    # id it kept) under the chain's lock last.
    left = snap.entries_without(entry)
    snap.written("entries", known={"entries": left}, write=writes.delete(entry))
    event = audit_record(
        actor=actor,
        action="untick",
        trial=snap.trial,
        obj=entry,
        summary=f"Unticked: {checklist.title} – {item.label}",
        old={"state": entry.state, "by": entry.by.printed_name, "at": entry.at},
        new={"state": None},
        reason=reason,
    )
    snap.audited(event)
    return ChecklistChange(None, snap)
