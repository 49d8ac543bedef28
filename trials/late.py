"""How a late entry is marked wherever it is shown (DOMAIN §2a): with when and by whom it was
entered and why it is late, never as if it had been written at the time of the event."""

from datetime import datetime

from core import moments


def late_note(entered_at: datetime | None, by_name: str, reason: str) -> str:
    """ "late entry · entered 2026-12-01 14:58 by Ann Nurse: reason" ("" when not late)."""
    if not reason:
        return ""
    when = moments.shown(entered_at, empty="at an unknown time")
    return f"late entry · entered {when} by {by_name}: {reason}"


_BY = ("by", "recorded_by", "assessed_by", "given_by")
# The attempt's own clinical entries: (clinical time, entry time, late reason, who).
ATTEMPT_ENTRIES = {
    "given": ("given_entered_at", "given_late_reason", "performed_by"),
    "worn_off": ("effect_worn_off_entered_at", "effect_worn_off_late_reason", "effect_worn_off_by"),
    "discharge": ("discharge_entered_at", "discharge_late_reason", "discharged_by"),
    "decision": ("decision_entered_at", "decision_late_reason", "decided_by"),
}


def entry_note(obj, part: str = "") -> str:
    """The late-entry note of a record (vital signs, assessment, tick, adverse event, pain
    medication), or of one part of a dose attempt ("given", "worn_off", "discharge",
    "decision")."""
    if part:
        entered, reason, by = ATTEMPT_ENTRIES[part]
        person = getattr(obj, by)
        return late_note(
            getattr(obj, entered), getattr(person, "printed_name", ""), getattr(obj, reason)
        )
    person = next((getattr(obj, name) for name in _BY if hasattr(obj, name)), None)
    return late_note(obj.entered_at, getattr(person, "printed_name", ""), obj.late_reason)


def resolution_note(event) -> str:
    """The late mark of an adverse event's resolution, entered after the event itself (who
    entered it is not kept on the event; the audit trail has it)."""
    if not event.resolution_late_reason:
        return ""
    entered = event.resolution_entered_at
    when = moments.shown(entered, empty="at an unknown time")
    return f"resolution: late entry · entered {when}: {event.resolution_late_reason}"
