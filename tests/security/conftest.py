"""Helpers for the security specification: sign in through the real pages; read and tamper with
the audit trail (at the end).

The named users and `client_for` (signed in, second factor passed) come from tests/conftest.py.
Here a client goes through the sign-in page itself, as a browser does, so django-axes, the
second-factor gate and the session limits all take part.
"""

import base64
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from tests.factories import PASSWORD
from trials import scenarios

KEY = "ITBTESTKEYITBTESTKEYITBTESTKEY22"  # base32, 20 bytes


def password_step(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def code_now(device: TOTPDevice, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += steps_ahead * device.step
    return str(totp.token()).zfill(device.digits)


def wrong_code(device: TOTPDevice) -> str:
    """A code the device refuses now (none of the codes it accepts)."""
    accepted = {code_now(device, n) for n in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in accepted)


def main_text(response) -> str:
    """The page's <main>, tags and spacing dropped: what the user reads."""
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


@pytest.fixture
def authenticator():
    """authenticator(user) -> a confirmed TOTP device with a known key."""

    def add(user) -> TOTPDevice:
        return TOTPDevice.objects.create(
            user=user, name="Phone", key=base64.b32decode(KEY).hex(), confirmed=True
        )

    return add


@pytest.fixture
def no_code_throttle(settings):
    # django-otp makes a code wait 2^(n-1) s after n wrong ones; off where a test types fast.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


# --- Audit trail (test_audit_*, test_amendments, test_input_safety, test_fuzz_forms) -------------

AUDIT_TRIGGER = "trials_auditevent_no_update_delete"


class NewRows:
    """The audit rows written after it was made: `new_rows()` or `new_rows(action="view")`."""

    def __init__(self):
        self.after = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def __call__(self, **filters) -> list[AuditEvent]:
        rows = AuditEvent.objects.filter(pk__gt=self.after, **filters).order_by("pk")
        return list(rows.select_related("actor", "patient", "trial"))


@pytest.fixture
def audit_mark(db):
    """audit_mark() -> NewRows: call it just before the step whose rows you want."""
    return NewRows


@pytest.fixture
def tamper(db):
    """tamper(sql, params) runs SQL on the audit table past the ORM's append-only guard, the way
    someone with database access would. On PostgreSQL the append-only trigger is switched off
    for the statement (as the table's owner could), inside the test's transaction."""

    def run(sql: str, params=()) -> None:
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                cursor.execute(sql, params)
                return
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE trials_auditevent DISABLE TRIGGER {AUDIT_TRIGGER}")
            cursor.execute(sql, params)
            cursor.execute(f"ALTER TABLE trials_auditevent ENABLE ALWAYS TRIGGER {AUDIT_TRIGGER}")

    return run


@pytest.fixture
def adverse_event_of(team):
    """adverse_event_of(trial) -> a mild headache recorded in the trial's current attempt."""

    def record(trial, *, severity: str = "mild"):
        given_at = trial.attempts.order_by("-number").first().given_at
        onset = min(given_at + timedelta(minutes=40), timezone.now())
        return scenarios.adverse_event(trial, team, onset=onset, severity=severity)

    return record


# --- Real transactions (no test transaction around the code under test) ------------------------

APPEND_ONLY_TABLES = (
    "trials_auditevent", "trials_signature", "trials_amendment", "trials_vitalsigns",
    "trials_painmedication",
)  # fmt: skip


def _truncate_trigger(enable: bool) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            state = "ENABLE ALWAYS" if enable else "DISABLE"
            for table in APPEND_ONLY_TABLES:
                cursor.execute(f"ALTER TABLE {table} {state} TRIGGER {table}_no_truncate")


@pytest.fixture
def _truncate_trigger_back_on(django_db_blocker):
    yield
    with django_db_blocker.unblock():
        _truncate_trigger(enable=True)  # after the flush below


@pytest.fixture
def real_transactions(_truncate_trigger_back_on, transactional_db):
    """Like django_db(transaction=True): every statement commits as in production, so two
    connections see each other's work. The database is emptied after the test by TRUNCATE,
    which the append-only tables refuse; their triggers are off for that flush only."""
    yield
    _truncate_trigger(enable=False)
