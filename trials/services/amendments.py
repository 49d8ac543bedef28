"""Corrections of signed records.

A signed record is never written again. A correction is one Amendment row per corrected field,
beside the original: old and new value, the reason, and the amender's signature (password asked
again, printed name, time, meaning "amended"), with one audit row for each, in one transaction.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from trials import procedure
from trials.models import Amendment, DoseAttempt
from trials.models.amendment import AmendedRecord

from .audit import audit_record
from .errors import ProtocolError, require_role
from .injection import record_problems
from .phase import lock_trial
from .signing import check_password


def raw_value(name: str, value: Any) -> Any:
    """A field's value as kept in an amendment (JSON): ids for people, ISO dates, fixed decimals."""
    field = DoseAttempt._meta.get_field(name)
    if value is None:
        return None
    if isinstance(field, models.ForeignKey):
        return value.pk if isinstance(value, models.Model) else value
    if isinstance(field, models.DecimalField):
        return f"{Decimal(value):.{field.decimal_places}f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def display_value(name: str, value: Any) -> str:
    """A field's value as a reader sees it: labels for choices, names for people, yes / no."""
    field = DoseAttempt._meta.get_field(name)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if isinstance(value, models.Model):
        return getattr(value, "printed_name", str(value))
    return str(raw_value(name, value))


def current_record(attempt: DoseAttempt, record: str) -> dict[str, tuple[Any, str]]:
    """{field: (raw value, shown value)}: the signed values with the amendments applied in order.

    Reads the attempt's prefetched amendments when there are some (TrialSnapshot).
    """
    current = {
        name: (raw_value(name, getattr(attempt, name)), display_value(name, getattr(attempt, name)))
        for name in procedure.AMENDABLE_FIELDS[record]
    }
    for amendment in attempt.amendments.all():
        if amendment.record == record and amendment.field in current:
            current[amendment.field] = (amendment.new_value, amendment.new_display)
    return current


def _check_injection(snap, attempt: DoseAttempt, record: dict[str, Any], changed: dict) -> None:
    problems = record_problems(record, given_at=attempt.given_at, clinic_zone=snap.site.time_zone)
    nurse = changed.get("assisting_nurse")
    if "assisting_nurse" in changed and getattr(nurse, "role", None) != procedure.NURSE:
        problems.append("Name the assisting nurse.")
    if problems:
        raise ProtocolError(*problems)


@transaction.atomic
def record_amend(
    *,
    trial_id: int,
    attempt_id: int,
    record: str,
    actor,
    password: str,
    values: dict[str, Any],
    reason: str,
) -> list[Amendment]:
    """Amend the signed `record` ("injection" or "discharge") of one attempt with `values`.

    Only the fields whose value differs from the record as it stands are amended.
    """
    if record not in procedure.AMENDABLE_FIELDS:
        raise ProtocolError("There is no such record to amend.")
    label = AmendedRecord(record).label.lower()
    require_role(actor, procedure.ACTION_ROLES[f"amend_{record}"], f"amend the {label}")
    check_password(actor, password)
    reason = reason.strip()
    if not reason:
        raise ProtocolError("Give the reason for the amendment.")
    snap = lock_trial(trial_id)
    attempt = next((a for a in snap.attempts if a.pk == attempt_id), None)
    if attempt is None:
        raise ProtocolError("There is no such attempt in this trial.")
    if snap.signature(record, attempt) is None:
        raise ProtocolError(
            f"The {label} of attempt {attempt.number} is not signed yet: it is completed and "
            "signed on its own page, not amended."
        )
    current = current_record(attempt, record)
    changed = {
        name: value
        for name, value in values.items()
        if name in current and raw_value(name, value) != current[name][0]
    }
    if not changed:
        raise ProtocolError("Nothing differs from the record as it stands; nothing was amended.")
    if record == AmendedRecord.INJECTION:
        merged = {n: raw for n, (raw, _) in current.items()}
        merged |= {n: raw_value(n, v) for n, v in changed.items()}
        _check_injection(snap, attempt, merged, changed)
    return [
        _amend_one(snap.trial, attempt, record, name, current[name], value, actor, reason)
        for name, value in changed.items()
    ]


def _amend_one(trial, attempt, record, name, old, value, actor, reason) -> Amendment:
    amendment = Amendment.objects.create(
        trial=trial,
        attempt=attempt,
        record=record,
        field=name,
        old_value=old[0],
        new_value=raw_value(name, value),
        old_display=old[1],
        new_display=display_value(name, value),
        reason=reason,
        amended_by=actor,
        printed_name=actor.printed_name,
        signer_role=actor.role,
    )
    audit_record(
        actor=actor,
        action="amend",
        trial=trial,
        obj=amendment,
        summary=f"Attempt {attempt.number} {AmendedRecord(record).label.lower()} amended: "
        f"{amendment}",
        old={name: amendment.old_value},
        new={name: amendment.new_value},
        reason=reason,
    )
    return amendment
