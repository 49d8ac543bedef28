"""Helpers for the second-factor recovery specification (backup codes, set-up codes)."""

import pytest
from django.contrib.auth.signals import user_login_failed

from tests.security.conftest import authenticator  # noqa: F401 - a fixture


@pytest.fixture
def no_code_throttle(settings):
    # django-otp makes a code wait 2^(n-1) s after n wrong ones (authenticator and backup
    # codes alike); off where a test types fast.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture
def failed_sign_ins():
    """The usernames of the failed sign-ins sent while the test runs."""
    failed: list[str] = []

    def record(sender, credentials, request=None, **kwargs):
        failed.append(credentials["username"])

    user_login_failed.connect(record)
    yield failed
    user_login_failed.disconnect(record)
