"""The FHIR resources of what happened around a dose and of who signed what: adverse events,
signatures and amendments, each built for one TrialResources (`res`)."""

from trials.late import entry_note, resolution_note
from trials.services.amendments import amendment_note

from .codes import (
    AE_ACTION_TAKEN,
    AE_OUTCOME,
    AE_RESOLUTION,
    AE_RESOLUTION_LATE,
    AE_RESOLVED_AT,
    AE_SERIOUSNESS,
    AE_SEVERITY,
    DATA_OPERATION,
    ITB_ADVERSE_EVENT,
    MODIFICATION_SIGNATURE,
    PARTICIPANT_TYPE,
    SERIOUSNESS,
    SEVERITY,
    SIGNATURE_TYPE,
    SIGNATURE_TYPES,
    coding,
    concept,
    instant,
    late_entry,
    local,
    narrative,
)


def signature_provenance(res, sig, targets: list[dict]) -> dict:
    code, display, participant = SIGNATURE_TYPES.get(sig.meaning, SIGNATURE_TYPES["approved"])
    who = res.practitioner(sig.signer)
    return {
        "resourceType": "Provenance",
        "id": res.id_of("Provenance", sig.pk),
        "target": targets,
        "recorded": instant(sig.signed_at),
        "activity": {"text": sig.statement},
        "agent": [
            {
                "type": concept(PARTICIPANT_TYPE, participant, participant.title()),
                "role": [{"text": sig.signer_role}],
                "who": who,
            }
        ],
        "signature": [
            {
                "type": [coding(SIGNATURE_TYPE, code, display)],
                "when": instant(sig.signed_at),
                "who": who,
            }
        ],
    }


def adverse_event(res, event, suspects: list[dict]) -> dict:
    """One adverse event with the attempt's Procedure (and its baclofen) as suspect."""
    label, severity = event.get_kind_display(), event.get_severity_display()
    resolved = event.resolved_at is not None
    outcome = "not resolved"
    extension = []
    if event.action_taken:
        extension.append({"url": AE_ACTION_TAKEN, "valueString": event.action_taken})
    if resolved:
        outcome = f"resolved {local(event.resolved_at)}"
        extension.append({"url": AE_RESOLVED_AT, "valueDateTime": instant(event.resolved_at)})
    if event.resolution:
        outcome += f": {event.resolution}"
        extension.append({"url": AE_RESOLUTION, "valueString": event.resolution})
    late = entry_note(event)
    extension += late_entry(late).get("extension", [])
    if note := resolution_note(event):
        extension.append({"url": AE_RESOLUTION_LATE, "valueString": note})
    facts = [
        f"{label}, {severity.lower()}, onset {local(event.onset_at)}",
        f"action taken: {event.action_taken or 'none recorded'}",
        outcome,
        late,
        resolution_note(event),
    ]
    out = {
        "resourceType": "AdverseEvent",
        "id": res.id_of("AdverseEvent", event.pk),
        "text": narrative("; ".join(f for f in facts if f) + "."),
        "actuality": "actual",
        "event": concept(ITB_ADVERSE_EVENT, event.kind, label, label),
        "subject": res.subject,
        "date": instant(event.onset_at),
        "recordedDate": instant(event.entered_at),
        "seriousness": concept(AE_SERIOUSNESS, *SERIOUSNESS[event.is_severe], severity),
        "severity": concept(AE_SEVERITY, *SEVERITY[event.severity], severity),
        "outcome": concept(
            AE_OUTCOME, *(("resolved", "Resolved") if resolved else ("ongoing", "Ongoing"))
        ),
        "recorder": res.practitioner(event.recorded_by),
        "suspectEntity": [{"instance": ref} for ref in suspects],
    }
    if extension:
        out["extension"] = extension
    return out


def amendment_provenance(res, amendment, targets: list[dict]) -> dict:
    """A signed amendment: who corrected which record, when and why (activity UPDATE)."""
    who = res.practitioner(amendment.amended_by)
    return {
        "resourceType": "Provenance",
        "id": res.id_of("Provenance", f"amendment/{amendment.pk}"),
        "target": targets,
        "recorded": instant(amendment.amended_at),
        "reason": [{"text": amendment.reason}],
        "activity": concept(DATA_OPERATION, "UPDATE", "revise", amendment_note(amendment)),
        "agent": [
            {
                "type": concept(PARTICIPANT_TYPE, "author", "Author"),
                "role": [{"text": amendment.signer_role}],
                "who": who,
            }
        ],
        "signature": [
            {
                "type": [coding(SIGNATURE_TYPE, *MODIFICATION_SIGNATURE)],
                "when": instant(amendment.amended_at),
                "who": who,
            }
        ],
    }
