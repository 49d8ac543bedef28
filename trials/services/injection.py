"""The checks of an injection record, one function for signing it and for amending it."""

from datetime import date, datetime
from typing import Any

from trials import procedure

from .snapshot import TrialSnapshot
from .timing import check_time, clinic_day


def record_problems(record: dict[str, Any], *, given_at: datetime, clinic_zone: str) -> list[str]:
    """What is wrong with these injection values (raw or form values), in the signer's words."""
    problems = []
    expiry = record.get("expiry")
    if isinstance(expiry, str):
        expiry = date.fromisoformat(expiry)
    if expiry is not None and expiry < clinic_day(clinic_zone, given_at):
        problems.append("The product had expired when it was given.")
    if record.get("image_guidance") and not (record.get("radiologist") or "").strip():
        problems.append("Name the radiologist when image guidance was used.")
    duration = record.get("duration_seconds")
    if duration is None or int(duration) < procedure.MIN_INJECTION_SECONDS:
        problems.append("Baclofen is given by barbotage over at least 1 minute.")
    return problems


def check_given_at(snap: TrialSnapshot, attempt, given_at: datetime) -> None:
    """The dose's time: not in the future, not before its attempt was planned or preparation
    signed, not within 24 h of the previous dose, nor before its discharge and decision."""
    previous = next((a for a in snap.attempts if a.number == attempt.number - 1), None)
    preparation = snap.signature("preparation")
    after = [
        (attempt.planned_at, f"attempt {attempt.number} was planned"),
        (preparation.signed_at if preparation else None, "preparation was signed"),
        (attempt.not_before, f"{procedure.MIN_HOURS_BETWEEN_ATTEMPTS} h after the previous dose"),
    ]
    if previous is not None:
        after += [
            (previous.discharged_at, f"the discharge of attempt {previous.number}"),
            (previous.decided_at, f"the decision on attempt {previous.number}"),
        ]
    check_time(given_at, what="dose", after=after)
