"""Electronic signatures: the password asked again, then printed name, time and meaning.

Wrong signing passwords are refused, audited and limited like the sign-in (AXES_* in
config/settings.py): after FAILURE_LIMIT wrong passwords within LOCK_WINDOW, signing is locked
for that user until the window has passed, the right password included, so a signature
password cannot be guessed. The audit trail is the count: one "sign_refused" row per wrong
password, one "sign_locked" row per attempt while locked.

The services check the password inside their transaction, which a refusal rolls back. So the
refusal's audit row is written after the rollback, by whoever catches SignatureRefused: the
views' trials.views.helpers.submit() calls `refusal.record()`.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from core.errors import ProtocolError
from trials import procedure
from trials.models import DoseAttempt, Signature, Trial

FAILURE_LIMIT = 5
LOCK_WINDOW = timedelta(minutes=30)
WRONG = "The password is not correct; nothing was signed."


class SignatureRefused(ProtocolError):
    """A wrong signing password, or signing locked. `record()` writes its audit row: call it
    after the transaction of the refused step has rolled back."""

    def __init__(self, actor: User, *messages: str, locked: bool):
        super().__init__(*messages)
        self.actor, self.locked = actor, locked

    def record(self, *, trial_id: int | None = None, path: str = "") -> AuditEvent:
        trial = Trial.objects.filter(pk=trial_id).first() if trial_id else None
        what = "signing is locked" if self.locked else "wrong password"
        return audit_record(
            actor=self.actor,
            action="sign_locked" if self.locked else "sign_refused",
            trial=trial,
            obj=trial,
            summary=f"Signature refused ({what}): {self.actor.printed_name}"
            + (f", trial #{trial.pk}" if trial else ""),
            new={"path": path[:500]},
        )


def check_password(actor: User, password: str) -> None:
    """Signing asks for the signer's password again, so a signature is the signer's own act."""
    unlocks_at = signing_locked_until(actor)
    if unlocks_at is not None:
        raise SignatureRefused(actor, _locked_message(unlocks_at), locked=True)
    if not password or not actor.check_password(password):
        failures = _recent_failures(actor)
        if len(failures) + 1 >= FAILURE_LIMIT:
            # This refusal (recorded after the rollback) is the one that locks.
            unlocks_at = failures[FAILURE_LIMIT - 2] if FAILURE_LIMIT > 1 else timezone.now()
            raise SignatureRefused(
                actor, WRONG, _locked_message(unlocks_at + LOCK_WINDOW, now=True), locked=False
            )
        raise SignatureRefused(actor, WRONG, locked=False)


def signing_locked_until(actor: User) -> datetime | None:
    """When signing unlocks for this user, or None when it is not locked."""
    failures = _recent_failures(actor)
    if len(failures) < FAILURE_LIMIT:
        return None
    return failures[FAILURE_LIMIT - 1] + LOCK_WINDOW


def _recent_failures(actor: User) -> list[datetime]:
    """The times of the user's wrong signing passwords within the window, newest first."""
    since = timezone.now() - LOCK_WINDOW
    rows = AuditEvent.objects.filter(actor=actor, action="sign_refused", at__gt=since)
    return list(rows.order_by("-at").values_list("at", flat=True)[:FAILURE_LIMIT])


def _locked_message(unlocks_at: datetime, *, now: bool = False) -> str:
    minutes = int(LOCK_WINDOW.total_seconds() // 60)
    return (
        f"Signing is {'now ' if now else ''}locked for your account after {FAILURE_LIMIT} wrong "
        f"passwords within {minutes} minutes; nothing was signed. You can sign again from "
        f"{timezone.localtime(unlocks_at):%H:%M}."
    )


def signature_add(
    *,
    trial: Trial,
    attempt: DoseAttempt | None,
    kind: str,
    actor: User,
    meaning_of: str | None = None,
    detail: str = "",
) -> Signature:
    """Record a signature: printed name, time and meaning. Call inside the locked transaction.
    `meaning_of` names another entry of procedure.SIGNATURE_MEANINGS (an exception's meaning);
    `detail` is added to the statement (its reason)."""
    meaning, statement = procedure.SIGNATURE_MEANINGS[meaning_of or kind]
    if detail:
        statement = f"{statement}: {detail}"[:200]
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                trial=trial,
                attempt=attempt,
                kind=kind,
                meaning=meaning,
                statement=statement,
                signer=actor,
                printed_name=actor.printed_name,
                signer_role=actor.role,
            )
    except IntegrityError as exc:
        raise ProtocolError("This has already been signed.") from exc
    audit_record(
        actor=actor,
        action="sign",
        trial=trial,
        obj=signature,
        summary=f"Signed ({meaning}): {statement}"
        + (f" – attempt {attempt.number}" if attempt else ""),
        new={"kind": kind, "meaning": meaning, "printed_name": actor.printed_name},
    )
    return signature
