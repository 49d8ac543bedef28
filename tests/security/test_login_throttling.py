"""At most 5 failed sign-ins per username per 30 minutes, then a lockout the user is told about;
a username that exists and one that does not get the same answers (django-axes)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.test import Client
from django.urls import reverse

from tests.security.conftest import main_text, password_step

WRONG = "not-the-password-123"
INVALID = "Please enter a correct username and password."


def fail(client, username: str, times: int):
    return [password_step(client, username, WRONG) for _ in range(times)][-1]


def age_attempts(minutes: int) -> None:
    """As if the failures so far were `minutes` older."""
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - timedelta(minutes=minutes)
        )


def test_a_wrong_password_and_an_unknown_username_get_the_same_answer(client, nurse):
    known = password_step(client, nurse.username, WRONG)
    unknown = password_step(Client(), "nobody-here", WRONG)

    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert INVALID in main_text(known)
    assert main_text(known).replace(nurse.username, "X") == main_text(unknown).replace(
        "nobody-here", "X"
    )


def test_a_deactivated_user_with_the_right_password_gets_the_same_answer(client, nurse):
    nurse.is_active = False
    nurse.save()

    response = password_step(client, nurse.username)

    assert response.status_code == 200
    assert INVALID in main_text(response)
    assert "_auth_user_id" not in client.session


def test_four_failures_still_let_the_right_password_in(client, nurse):
    fail(client, nurse.username, 4)

    response = password_step(client, nurse.username)

    assert response.status_code == 302
    assert client.get(reverse("trials:board")).status_code == 200


def test_the_fifth_failure_locks_the_username_with_a_page_that_says_to_wait_30_minutes(
    client, nurse
):
    assert fail(client, nurse.username, 4).status_code == 200

    response = fail(client, nurse.username, 1)

    assert response.status_code == 429
    text = main_text(response)
    assert "Sign-in paused" in text
    assert "Wait 30 minutes and try again" in text
    assert "ask an admin to unlock your account" in text


def test_a_locked_username_is_refused_even_with_the_right_password(client, nurse):
    fail(client, nurse.username, 5)

    response = password_step(Client(), nurse.username)

    assert response.status_code == 429
    assert "Wait 30 minutes" in main_text(response)
    assert "_auth_user_id" not in client.session


def test_an_unknown_username_is_locked_the_same_way(nurse):
    known = fail(Client(), nurse.username, 5)
    unknown = fail(Client(), "nobody-here", 5)

    assert known.status_code == unknown.status_code == 429
    assert main_text(known) == main_text(unknown)


def test_the_lock_is_per_username_so_a_ward_sharing_one_address_is_not_locked(nurse, neurologist):
    ward = {"REMOTE_ADDR": "10.20.30.40"}
    fail(Client(), "someone-mistyping", 5)
    fail(Client(), nurse.username, 5)

    response = password_step(Client(), neurologist.username, **ward)

    assert response.status_code == 302


def test_the_lock_ends_after_30_minutes(client, nurse):
    fail(client, nurse.username, 5)
    age_attempts(31)

    response = password_step(client, nurse.username)

    assert response.status_code == 302


def test_failures_more_than_30_minutes_old_do_not_count(client, nurse):
    fail(client, nurse.username, 4)
    age_attempts(31)

    assert fail(client, nurse.username, 4).status_code == 200
    assert password_step(client, nurse.username).status_code == 302


def test_a_success_in_between_does_not_reset_the_count(nurse):
    fail(Client(), nurse.username, 3)
    assert password_step(Client(), nurse.username).status_code == 302

    response = fail(Client(), nurse.username, 2)

    assert response.status_code == 429


def test_trying_again_during_the_lockout_does_not_prolong_it(client, nurse):
    fail(client, nurse.username, 5)
    locked_at = AccessAttempt.objects.get().attempt_time

    fail(client, nurse.username, 3)

    attempt = AccessAttempt.objects.get()
    assert (attempt.attempt_time, attempt.failures_since_start) == (locked_at, 5)


@pytest.fixture
def signals():
    sent = []

    def failed(sender, credentials, request=None, **kwargs):
        sent.append(("failed", credentials.get("username")))

    def logged_in(sender, request, user, **kwargs):
        sent.append(("login", user.username))

    user_login_failed.connect(failed)
    user_logged_in.connect(logged_in)
    yield sent
    user_login_failed.disconnect(failed)
    user_logged_in.disconnect(logged_in)


def test_failed_and_successful_sign_ins_are_sent_as_djangos_signals(client, nurse, signals):
    """The audit trail records sign-ins from these signals; the password is never in them."""
    password_step(client, "nobody-here", WRONG)
    password_step(client, nurse.username, WRONG)
    password_step(client, nurse.username)

    assert signals == [
        ("failed", "nobody-here"),
        ("failed", nurse.username),
        ("login", nurse.username),
    ]


def test_failed_sign_ins_are_kept_by_axes_without_the_password(client, nurse):
    fail(client, nurse.username, 2)

    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.failures_since_start) == (nurse.username, 2)
    assert WRONG not in attempt.post_data
