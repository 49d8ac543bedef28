"""Corrections of signed records.

A signed record is never written again. A correction is one Amendment row per corrected field,
beside the original: old and new value, the reason, and the amender's signature (password asked
again, printed name, time, meaning "amended"), with one audit row for each, in one transaction.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from accounts.models import User
from accounts.roles import require_role
from audit.services import audit_record
from core import moments
from core.concurrency import ConflictRow, refuse_if_stale, version_of
from core.errors import ProtocolError
from trials import procedure
from trials.models import Amendment, DoseAttempt, Trial
from trials.models.amendment import AmendedRecord

from .injection import record_problems
from .phase import lock_trial
from .signing import check_password
from .snapshot import TrialSnapshot


def _field(name: str) -> models.Field:
    """A field of the dose attempt (amended fields are its own columns, never a reverse
    relation)."""
    field = DoseAttempt._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise LookupError(f"{name} is not a column of a dose attempt.")
    return field


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
    field = _field(name)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if isinstance(value, models.Model):
        return getattr(value, "printed_name", str(value))
    return str(raw_value(name, value))


@dataclass(frozen=True)
class Current:
    """One field of a signed record as it stands: its value, how it reads, and the newest
    amendment that set it (None when it is as signed)."""

    value: Any  # the Python value (a person's id when amended, the user when as signed)
    display: str
    amendment: Amendment | None = None


def typed_value(name: str, raw: Any) -> Any:
    """An amendment's JSON value as the field's Python value (Decimal, date, bool, int, id)."""
    return None if raw is None else _field(name).to_python(raw)


def current_values(signed: Mapping[str, Any], amendments: Iterable[Amendment]) -> dict:
    """{field: Current} for the fields of `signed` ({name: signed value}), the amendments
    (oldest first) applied in order. The one place that says what an amended record holds."""
    current = {name: Current(value, display_value(name, value)) for name, value in signed.items()}
    for amendment in amendments:
        if amendment.field in current:
            current[amendment.field] = Current(
                typed_value(amendment.field, amendment.new_value), amendment.new_display, amendment
            )
    return current


def current_value(attempt: DoseAttempt, name: str) -> Current:
    """Field `name` of `attempt` as it stands, from the prefetched amendments when present."""
    return current_values({name: getattr(attempt, name)}, attempt.amendments.all())[name]


def amendment_note(amendment: Amendment) -> str:
    """E.g. "Amount discarded (mcg) amended from 0.0 to 50.0 by Hugo Lindqvist (neurologist),
    2026-03-02 10:15: vial count corrected"."""
    at = moments.shown(amendment.amended_at)
    return (
        f"{amendment.field_label} amended from {amendment.old_display or '–'} to "
        f"{amendment.new_display or '–'} by {amendment.printed_name} ({amendment.signer_role}), "
        f"{at}: {amendment.reason}"
    )


def current_record(attempt: DoseAttempt, record: str) -> dict[str, tuple[Any, str]]:
    """{field: (raw value, shown value)}: the signed values with the amendments applied in order.

    Reads the attempt's prefetched amendments when there are some (TrialSnapshot).
    """
    signed = {name: getattr(attempt, name) for name in procedure.AMENDABLE_FIELDS[record]}
    return {
        name: (raw_value(name, c.value), c.display)
        for name, c in current_values(signed, attempt.amendments.all()).items()
    }


def record_version(attempt: DoseAttempt, record: str) -> str:
    """The version of the record as it stands, for the amendment form (core/concurrency.py)."""
    return version_of({name: raw for name, (raw, _) in current_record(attempt, record).items()})


def _refuse_if_stale(attempt, record: str, current: dict, values: dict, version) -> None:
    """A form opened before someone else amended the record is refused: its unchanged fields
    would otherwise amend their correction back."""
    rows = []
    for name, value in values.items():
        if name in current:
            label = str(_field(name).verbose_name)
            rows.append(
                ConflictRow(
                    label[:1].upper() + label[1:],
                    current[name][1] or "–",
                    display_value(name, value) or "–",
                )
            )
    made = [a for a in attempt.amendments.all() if a.record == record]
    refuse_if_stale(
        given=version,
        current={name: raw for name, (raw, _) in current.items()},
        rows=rows,
        what=f"the {AmendedRecord(record).label.lower()} of attempt {attempt.number}",
        last_change=max(made, key=lambda a: a.pk) if made else None,
    )


def _check_injection(
    snap: TrialSnapshot, attempt: DoseAttempt, record: dict[str, Any], changed: dict
) -> None:
    if attempt.given_at is None:  # a signed injection always has its time
        raise ProtocolError(f"The dose of attempt {attempt.number} has not been given.")
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
    actor: User,
    password: str,
    values: dict[str, Any],
    reason: str,
    version: str | None = None,
) -> list[Amendment]:
    """Amend the signed `record` ("injection" or "discharge") of one attempt with `values`.

    Only the fields whose value differs from the record as it stands are amended. `version`:
    the form's (record_version); a form opened before another amendment is refused.
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
    _refuse_if_stale(attempt, record, current, values, version)
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


def _amend_one(
    trial: Trial,
    attempt: DoseAttempt,
    record: str,
    name: str,
    old: tuple[Any, str],
    value: Any,
    actor: User,
    reason: str,
) -> Amendment:
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
