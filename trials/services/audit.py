from typing import Any

from trials.models import AuditEvent


def audit_record(
    *,
    actor,
    action: str,
    summary: str,
    trial=None,
    patient=None,
    obj=None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one audit row. Call inside the transaction of the change it records."""
    patient_id = patient.pk if patient is not None else getattr(trial, "patient_id", None)
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=getattr(actor, "printed_name", "") or "system",
        action=action,
        trial=trial,
        patient_id=patient_id,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        summary=summary[:300],
        old=_jsonable(old or {}),
        new=_jsonable(new or {}),
        reason=reason,
    )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        if value is None or isinstance(value, (bool, int, float, str)):
            out[key] = value
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        elif hasattr(value, "pk"):
            out[key] = str(value)
        else:
            out[key] = str(value)
    return out
