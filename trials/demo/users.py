"""The demo logins. Their password is published: they belong only in demo databases."""

from datetime import timedelta

from django.utils import timezone

from accounts.demo import DEMO_TOTP_KEYS
from accounts.models import Role, User
from trials import scenarios

DEMO_PASSWORD = "itb-demo-2026"  # noqa: S105 - published on purpose; demo databases only
DEMO_URL = "http://127.0.0.1:8000"

DEMO_USERS = (
    # username, role, first name, last name, Django staff + superuser
    ("nurse", Role.NURSE, "Nina", "Ward", False),
    ("neurologist", Role.NEUROLOGIST, "Neil", "Harrington", False),
    ("admin", Role.ADMIN, "Alex", "Morgan", True),
)
USERNAMES = [u[0] for u in DEMO_USERS]

# Signing re-checks the signer's password (~0.4 s with the production hasher, ~50 signatures in
# the demo site), so the site is built with a fast hash and the users get their real one after.
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"

# The staff had their accounts before the demo's oldest referral (90 days before it is built),
# so the audit trail reads in time order from its first row.
ACCOUNTS_MADE_BEFORE = timedelta(days=100)


def demo_users_create() -> dict[str, User]:
    users = {}
    with scenarios.clock(timezone.now() - ACCOUNTS_MADE_BEFORE):
        for username, role, first, last, superuser in DEMO_USERS:
            users[username] = _user_create(username, role, first, last, superuser)
    return users


def _user_create(username, role, first, last, superuser) -> User:
    return User.objects.create_user(
        username=username,
        password=DEMO_PASSWORD,
        role=role,
        first_name=first,
        last_name=last,
        email=f"{username}@demo.invalid",
        is_staff=superuser,
        is_superuser=superuser,
    )


def demo_passwords_set(users) -> None:
    """The real (slow) password hash, once the site is built."""
    for user in users:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])


def login_lines() -> list[str]:
    lines = [
        "",
        "Demo logins (demo database only):",
        f"  {'username':<12} {'password':<15} {'authenticator key':<34} role",
    ]
    for username, role, first, last, _ in DEMO_USERS:
        key = DEMO_TOTP_KEYS[username]
        lines.append(
            f"  {username:<12} {DEMO_PASSWORD:<15} {key:<34} {role.label} ({first} {last})"
        )
    lines += [
        "Sign in with the password, then the 6-digit code: `make totp` (or "
        "`manage.py demo_totp`) prints each user's current code, or add the key to an "
        "authenticator app.",
        f"Open {DEMO_URL}",
    ]
    return lines
