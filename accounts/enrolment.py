"""Set-up codes: how a neurologist or admin without an authenticator gets to add one.

Their role needs a second factor (accounts/two_factor.py). Whoever added the authenticator
first would own the account's second factor, so a password alone is not enough: the set-up
page first asks for a one-time code that an admin issued (the *Set-up codes* page, or
`manage.py issue_enrolment_code <username>` on the server for the first admin) and handed over
in person or by phone. A code works once, for that user, for ENROLMENT_HOURS; issuing a new one
voids the user's earlier unused ones. Only its SHA-256 is stored. Issuing and using one are
audited; a wrong code counts as a failed sign-in (django-axes), like a wrong password.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import EnrolmentCode, User
from audit.services import audit_record

ENROLMENT_HOURS = 72
SESSION_KEY = "itb_enrolment_ok"  # the user id whose code this session has given
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
GROUPS, GROUP_LENGTH = 3, 4
AUDIT_ACTION = "two_factor"


def normalise(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def _digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def _new_code() -> str:
    chars = [secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH)]
    return "-".join(
        "".join(chars[i : i + GROUP_LENGTH]) for i in range(0, len(chars), GROUP_LENGTH)
    )


@transaction.atomic
def enrolment_code_issue(*, user: User, actor: User | None, actor_name: str = "") -> str:
    """A new set-up code for the user (shown once to whoever issued it)."""
    now = timezone.now()
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True).delete()
    code = _new_code()
    expires_at = now + timedelta(hours=ENROLMENT_HOURS)
    EnrolmentCode.objects.create(
        user=user, code_hash=_digest(code), issued_by=actor, issued_at=now, expires_at=expires_at
    )
    audit_record(
        actor=actor,
        actor_name=actor_name or None,
        action=AUDIT_ACTION,
        obj=user,
        summary=f"Issued a set-up code for two-step sign-in to {user.printed_name} "
        f"({user.get_username()})",
        new={
            "event": "enrolment_code_issued",
            "user": user.get_username(),
            "expires_at": expires_at,
        },
    )
    return code


@transaction.atomic
def enrolment_code_redeem(*, user: User, code: str) -> bool:
    """Use the user's set-up code: True once for a valid code, False otherwise."""
    now = timezone.now()
    found = (
        EnrolmentCode.objects.select_for_update()
        .filter(user=user, code_hash=_digest(code), used_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if found is None:
        return False
    found.used_at = now
    found.save(update_fields=["used_at"])
    audit_record(
        actor=user,
        action=AUDIT_ACTION,
        obj=user,
        summary=f"Used a set-up code to add an authenticator: {user.printed_name}",
        new={"event": "enrolment_code_used", "issued_at": found.issued_at},
    )
    return True
