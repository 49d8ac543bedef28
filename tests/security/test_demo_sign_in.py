"""The demo site explains how to sign in: the demo users have authenticators with published
keys, and `manage.py demo_totp` (`make totp`) prints their current codes."""

import base64
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_TOTP_KEYS, demo_authenticators_ensure
from accounts.models import Role, User
from tests.security.conftest import password_step
from trials.management.commands.seed_demo import DEMO_PASSWORD

DEMO_ROLES = {"nurse": Role.NURSE, "neurologist": Role.NEUROLOGIST, "admin": Role.ADMIN}


@pytest.fixture
def demo_users(db) -> list[User]:
    users = [
        User.objects.create_user(username=name, password=DEMO_PASSWORD, role=role)
        for name, role in DEMO_ROLES.items()
    ]
    demo_authenticators_ensure(users)
    return users


def printed_codes(**options) -> dict[str, str]:
    out = StringIO()
    call_command("demo_totp", stdout=out, **options)
    return dict(re.findall(r"^\s+(\w+)\s+(\d{6})\s", out.getvalue(), re.MULTILINE))


def test_each_demo_user_gets_an_authenticator_with_the_published_key(demo_users):
    for user in demo_users:
        device = TOTPDevice.objects.get(user=user)
        assert device.confirmed
        assert base64.b32encode(device.bin_key).decode() == DEMO_TOTP_KEYS[user.username]


def test_adding_the_demo_authenticators_again_adds_none(demo_users):
    assert demo_authenticators_ensure(demo_users) == 0
    assert TOTPDevice.objects.count() == 3


def test_demo_totp_prints_a_code_that_signs_the_demo_neurologist_in(demo_users, settings):
    settings.DEBUG = True
    client = Client()
    assert password_step(client, "neurologist", DEMO_PASSWORD)["Location"].startswith(
        reverse("accounts:verify")
    )

    code = printed_codes()["neurologist"]
    response = client.post(reverse("accounts:verify"), {"otp_token": code})

    assert response.status_code == 302
    assert client.get(reverse("trials:worklist")).status_code == 200


def test_demo_totp_refuses_unless_debug(demo_users, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        printed_codes()


# That seed_demo gives the demo users these authenticators and prints how to sign in is checked
# on the demo site it builds: tests/trials/test_demo_site.py (built once there).
