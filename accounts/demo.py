"""The demo users' authenticators: fixed, published keys, for demo databases only.

seed_demo gives each demo user (nurse, neurologist, admin) a confirmed TOTP authenticator with
the key below, so the demo shows the real two-step sign-in. `manage.py demo_totp` (or
`make totp`) prints each one's current code; an authenticator app set up with the key shows the
same codes. Like the demo password, these keys are public: never in a real database.
"""

import base64
import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Demo authenticator (published key)"

# username -> base32 key (what an authenticator app asks for)
DEMO_TOTP_KEYS = {
    "nurse": "ITBDEMONURSEITBDEMONURSEITBDEMO2",
    "neurologist": "ITBDEMONEUROLOGISTITBDEMONEUROLO",
    "admin": "ITBDEMOADMINITBDEMOADMINITBDEMO2",
}


def hex_key(base32_key: str) -> str:
    return base64.b32decode(base32_key).hex()


def demo_authenticators_ensure(users) -> int:
    """Give each demo user without one a confirmed authenticator with the published key.
    Returns how many were added."""
    added = 0
    for user in users:
        key = DEMO_TOTP_KEYS.get(user.username)
        if key is None or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            continue
        TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=hex_key(key), confirmed=True)
        added += 1
    return added


def current_code(device: TOTPDevice, now: float | None = None) -> tuple[str, int]:
    """(the code the device accepts now, seconds it stays the current one)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if now is None else now
    code = str(totp.token()).zfill(device.digits)
    remaining = device.step - int(totp.time - device.t0) % device.step
    return code, remaining
