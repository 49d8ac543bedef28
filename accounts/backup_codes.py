"""Backup codes: for a sign-in without the phone. Ten one-time codes (django-otp's static
device), made when the authenticator is set up and again on request on the account page, each
time shown once and replacing the earlier ones. The code page takes one instead of the
authenticator's code; each works once. Issuing and using them are audited.

django-otp stores them as typed, as it stores the authenticator's key: whoever can read the
database could sign in as anyone with either, which is why the database is guarded.
"""

import re

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts.models import User
from audit.services import audit_record

COUNT = 10
DEVICE_NAME = "Backup codes"
SESSION_KEY = "itb_new_backup_codes"  # the codes just made, until the page shows them once
_FORMAT = re.compile(r"^[a-z2-7]{8}$")  # StaticToken.random_token(): 8 base32 characters


def normalise(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def looks_like_backup_code(code: str) -> bool:
    return bool(_FORMAT.match(normalise(code)))


def display(code: str) -> str:
    return f"{code[:4]} {code[4:]}"


def backup_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=DEVICE_NAME, confirmed=True).first()


def codes_left(user: User) -> int:
    return StaticToken.objects.filter(
        device__user=user, device__name=DEVICE_NAME, device__confirmed=True
    ).count()


@transaction.atomic
def backup_codes_issue(*, user: User) -> list[str]:
    """New codes for the user; the earlier ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=DEVICE_NAME, defaults={"confirmed": True}
    )
    replaced = device.token_set.count()
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    audit_record(
        actor=user,
        action="two_factor",
        obj=user,
        summary=f"New backup codes for {user.printed_name} ({COUNT}; the earlier ones no "
        "longer work)",
        new={"event": "backup_codes_issued", "count": COUNT, "replaced_unused": replaced},
    )
    return codes


def backup_code_used(*, user: User) -> int:
    """Audit a sign-in with a backup code (inside the transaction that used it up); returns
    how many are left."""
    left = codes_left(user)
    audit_record(
        actor=user,
        action="two_factor",
        obj=user,
        summary=f"Signed in with a backup code: {user.printed_name} ({left} left)",
        new={"event": "backup_code_used", "left": left},
    )
    return left
