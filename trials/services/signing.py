from django.db import IntegrityError, transaction

from trials import procedure
from trials.models import Signature

from .audit import audit_record
from .errors import ProtocolError


def check_password(actor, password: str) -> None:
    """Signing asks for the signer's password again, so a signature is the signer's own act."""
    if not password or not actor.check_password(password):
        raise ProtocolError("The password is not correct; nothing was signed.")


def signature_add(
    *, trial, attempt, kind: str, actor, meaning_of: str | None = None, detail: str = ""
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
