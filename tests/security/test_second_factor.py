"""A second factor (TOTP, django-otp): required for neurologists and admins, available to
nurses (then required for them too). Password page, then the code page or the set-up page;
nothing else opens in between."""

import base64
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.signals import user_login_failed
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import enrolment, two_factor
from tests.security.conftest import code_now, main_text, password_step, wrong_code

VERIFY = reverse("accounts:verify")
SETUP = reverse("accounts:setup")
BACKUP_CODES = reverse("accounts:backup_codes")
BOARD = reverse("trials:board")


def enter_code(client, code: str, next_url: str = ""):
    return client.post(VERIFY, {"otp_token": code, "next": next_url})


def signed_in_past_the_password(user) -> Client:
    client = Client()
    assert password_step(client, user.username).status_code == 302
    return client


def ready_to_set_up(user) -> Client:
    """Past the password and, for a neurologist or admin, the set-up code an admin issued
    (tests/accounts/test_enrolment.py)."""
    client = signed_in_past_the_password(user)
    if two_factor.needs_enrolment(user):
        code = enrolment.enrolment_code_issue(user=user, actor=None, actor_name="test")
        client.post(reverse("accounts:enrol"), {"enrolment_code": code})
    return client


# --- The code step ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["neurologist", "admin_user"])
def test_after_the_password_a_neurologist_or_admin_is_asked_for_the_code(
    role, request, authenticator
):
    user = request.getfixturevalue(role)
    authenticator(user)

    response = password_step(Client(), user.username)

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY + "?next=")


def test_until_the_code_is_entered_no_other_page_opens(neurologist, authenticator, trial_in):
    authenticator(neurologist)
    trial = trial_in("observation")
    client = signed_in_past_the_password(neurologist)

    for url in (BOARD, trial.get_absolute_url(), reverse("patients:list"), "/django-admin/"):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (
            302,
            f"{VERIFY}?next={url}",
        ), url
    post = client.post(reverse("trials:tick", args=[trial.pk, "observation", "vitals_stable"]))
    assert post.status_code == 302
    assert post["Location"] == VERIFY
    assert not trial.entries.filter(checklist="observation").exists()


def test_an_htmx_request_before_the_code_sends_the_whole_page_to_the_code_page(
    neurologist, authenticator
):
    authenticator(neurologist)
    client = signed_in_past_the_password(neurologist)

    response = client.get(BOARD, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/x/")

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{VERIFY}?next=/x/"


def test_the_code_page_shows_no_menu_and_offers_to_sign_out(neurologist, authenticator):
    authenticator(neurologist)
    client = signed_in_past_the_password(neurologist)

    html = client.get(VERIFY).content.decode()

    assert "Enter your code" in html
    assert reverse("trials:board") not in html
    assert 'action="/logout/"' in html
    assert 'autocomplete="one-time-code"' in html


def test_the_right_code_signs_in_rotates_the_session_key_and_goes_to_the_page_asked_for(
    neurologist, authenticator
):
    device = authenticator(neurologist)
    client = signed_in_past_the_password(neurologist)
    key_before = client.session.session_key

    response = enter_code(client, code_now(device), next_url=BOARD)

    assert (response.status_code, response["Location"]) == (302, BOARD)
    assert client.session.session_key != key_before
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(BOARD).status_code == 200


def test_an_off_site_next_is_not_followed(neurologist, authenticator):
    device = authenticator(neurologist)
    client = signed_in_past_the_password(neurologist)

    response = enter_code(client, code_now(device), next_url="https://evil.example/")

    assert response["Location"] == reverse("home")


def test_a_wrong_code_is_refused_and_counts_as_a_failed_sign_in(
    neurologist, authenticator, no_code_throttle
):
    device = authenticator(neurologist)
    client = signed_in_past_the_password(neurologist)
    failed = []

    def record(sender, credentials, request=None, **kwargs):
        failed.append(credentials["username"])

    user_login_failed.connect(record)
    try:
        response = enter_code(client, wrong_code(device))
    finally:
        user_login_failed.disconnect(record)

    assert response.status_code == 200
    assert "That code is wrong or has expired" in main_text(response)
    assert failed == [neurologist.username]
    assert AccessAttempt.objects.get(username=neurologist.username).failures_since_start == 1
    assert client.get(BOARD).status_code == 302
    assert wrong_code(device) not in AccessAttempt.objects.get().post_data


def test_five_wrong_codes_lock_the_username_and_sign_out(
    neurologist, authenticator, no_code_throttle
):
    device = authenticator(neurologist)
    client = signed_in_past_the_password(neurologist)
    for _ in range(4):
        assert enter_code(client, wrong_code(device)).status_code == 200

    response = enter_code(client, wrong_code(device))

    assert response.status_code == 429
    assert "Wait 30 minutes" in main_text(response)
    assert "_auth_user_id" not in client.session
    assert password_step(Client(), neurologist.username).status_code == 429


def test_wrong_passwords_and_wrong_codes_add_up_to_the_lockout(
    neurologist, authenticator, no_code_throttle
):
    device = authenticator(neurologist)
    for _ in range(3):
        password_step(Client(), neurologist.username, "not-the-password-123")
    client = signed_in_past_the_password(neurologist)
    assert enter_code(client, wrong_code(device)).status_code == 200

    response = enter_code(client, wrong_code(device))

    assert response.status_code == 429
    assert password_step(Client(), neurologist.username).status_code == 429


def test_codes_typed_too_fast_after_a_wrong_one_are_asked_to_wait(neurologist, authenticator):
    device = authenticator(neurologist)
    client = signed_in_past_the_password(neurologist)
    enter_code(client, wrong_code(device))

    response = enter_code(client, code_now(device))

    assert "After a wrong code, wait a few seconds before the next try" in main_text(response)
    assert client.get(BOARD).status_code == 302


def test_a_code_cannot_be_used_twice(neurologist, authenticator):
    device = authenticator(neurologist)
    code = code_now(device)
    first = signed_in_past_the_password(neurologist)
    assert enter_code(first, code).status_code == 302

    second = signed_in_past_the_password(neurologist)
    response = enter_code(second, code)

    assert response.status_code == 200
    assert second.get(BOARD).status_code == 302


def test_a_new_password_sign_in_asks_for_the_code_again(neurologist, authenticator):
    device = authenticator(neurologist)
    client = signed_in_past_the_password(neurologist)
    enter_code(client, code_now(device))

    password_step(client, neurologist.username)

    assert DEVICE_ID_SESSION_KEY not in client.session
    assert client.get(BOARD)["Location"].startswith(VERIFY)


def test_removing_the_authenticator_ends_the_users_sessions(neurologist, authenticator):
    device = authenticator(neurologist)
    client = signed_in_past_the_password(neurologist)
    enter_code(client, code_now(device))

    device.delete()  # an admin, for a lost phone

    assert client.get(BOARD)["Location"].startswith(reverse("login"))


# --- Setting one up --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["neurologist", "admin_user"])
def test_a_neurologist_or_admin_without_one_must_set_it_up_before_anything_else(role, request):
    user = request.getfixturevalue(role)

    response = password_step(Client(), user.username)

    assert response["Location"].startswith(SETUP + "?next=")
    client = Client()
    password_step(client, user.username)
    assert client.get(BOARD)["Location"] == f"{SETUP}?next={BOARD}"
    assert client.get(VERIFY)["Location"].startswith(SETUP)


def test_the_setup_page_shows_the_key_the_otpauth_uri_and_a_qr_code(neurologist):
    client = ready_to_set_up(neurologist)

    response = client.get(SETUP)

    html = response.content.decode()
    device = TOTPDevice.objects.get(user=neurologist, confirmed=False)
    key = base64.b32encode(device.bin_key).decode()
    shown = re.search(r'id="totp-key">([^<]+)<', html).group(1)
    assert shown.replace(" ", "") == key
    assert f"otpauth://totp/ITB%20trial%20tracker%3A{neurologist.username}?secret={key}" in html
    qr = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(qr).startswith(b"<?xml")
    assert "Your role signs clinical records" in html


def test_the_setup_and_code_pages_have_no_inline_script_or_style(neurologist, authenticator):
    pages = [signed_in_past_the_password(neurologist).get(reverse("accounts:enrol"))]
    pages += [ready_to_set_up(neurologist).get(SETUP)]
    authenticator(neurologist)
    client = signed_in_past_the_password(neurologist)
    pages += [client.get(VERIFY), Client().get(reverse("login"))]

    for page in pages:
        html = page.content.decode()
        assert "style=" not in html
        assert "<style" not in html
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
        assert "unsafe-inline" not in page["Content-Security-Policy"]


def test_reloading_the_setup_page_keeps_the_same_key(neurologist):
    client = ready_to_set_up(neurologist)

    first, second = client.get(SETUP), client.get(SETUP)

    key = re.compile(r'id="totp-key">([^<]+)<')
    assert key.search(first.content.decode()).group(1) == key.search(second.content.decode()).group(
        1
    )
    assert TOTPDevice.objects.filter(user=neurologist).count() == 1


def test_confirming_with_the_right_code_turns_it_on_and_signs_in(neurologist):
    client = ready_to_set_up(neurologist)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=neurologist)
    key_before = client.session.session_key

    response = client.post(SETUP, {"otp_token": code_now(device), "next": BOARD})

    # first the backup codes, shown once (tests/accounts/test_backup_codes.py), then the page
    assert (response.status_code, response["Location"]) == (302, f"{BACKUP_CODES}?next={BOARD}")
    device.refresh_from_db()
    assert device.confirmed
    assert client.session.session_key != key_before
    assert client.get(BOARD).status_code == 200


def test_a_wrong_confirmation_code_leaves_it_off(neurologist):
    client = ready_to_set_up(neurologist)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=neurologist)

    response = client.post(SETUP, {"otp_token": wrong_code(device)})

    assert "That code does not match" in main_text(response)
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(BOARD).status_code == 302


def test_after_setup_the_next_sign_in_asks_for_the_code(neurologist):
    client = ready_to_set_up(neurologist)
    client.get(SETUP)
    client.post(SETUP, {"otp_token": code_now(TOTPDevice.objects.get(user=neurologist))})

    response = password_step(Client(), neurologist.username)

    assert response["Location"].startswith(VERIFY)


def test_someone_with_an_authenticator_cannot_add_another_before_the_code(
    neurologist, authenticator
):
    authenticator(neurologist)
    client = signed_in_past_the_password(neurologist)

    response = client.get(SETUP)

    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=neurologist).count() == 1


# --- Nurses ----------------------------------------------------------------------------------


def test_a_nurse_without_an_authenticator_signs_in_with_the_password_alone(nurse):
    client = Client()

    response = password_step(client, nurse.username)

    assert (response.status_code, response["Location"]) == (302, reverse("home"))
    assert client.get(BOARD).status_code == 200


def test_a_nurse_may_add_one_and_then_needs_the_code(nurse):
    client = signed_in_past_the_password(nurse)
    page = main_text(client.get(SETUP))
    assert "Once it is on, every sign-in asks for the code" in page
    device = TOTPDevice.objects.get(user=nurse)

    client.post(SETUP, {"otp_token": code_now(device)})

    assert client.get(BOARD).status_code == 200
    later = Client()
    assert password_step(later, nurse.username)["Location"].startswith(VERIFY)
    assert later.get(BOARD)["Location"].startswith(VERIFY)


def test_the_account_page_says_whether_two_step_sign_in_is_on(client_for, nurse, neurologist):
    assert "Off" in main_text(client_for(nurse).get(reverse("accounts:account")))
    assert "On Each sign-in asks for a code" in main_text(
        client_for(neurologist).get(reverse("accounts:account"))
    )
