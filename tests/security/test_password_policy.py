"""Strong passwords (AUTH_PASSWORD_VALIDATORS) and a password change page for every user."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import UserSession
from tests.factories import PASSWORD
from tests.security.conftest import main_text, password_step

URL = reverse("accounts:password_change")
STRONG = "ward-7-lantern-blue"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short-pw-1", "at least 12 characters"),
        ("password12345", "too common"),
        ("739184620571", "entirely numeric"),
        ("nadia.okafor@stmarys", "too similar to the email address"),
    ],
    ids=["too-short", "common", "numeric", "like-the-email"],
)
def test_weak_passwords_are_refused(nurse, password, message):
    nurse.email = "nadia.okafor@stmarys.example"

    with pytest.raises(ValidationError) as refused:
        validate_password(password, nurse)

    assert message in " ".join(refused.value.messages)


def test_a_long_uncommon_password_is_accepted(nurse):
    validate_password(STRONG, nurse)


def change(client, old=PASSWORD, new=STRONG, again=None):
    data = {"old_password": old, "new_password1": new, "new_password2": again or new}
    return client.post(URL, data)


def test_every_role_has_the_password_change_page(client_for, nurse, neurologist, admin_user):
    for user in (nurse, neurologist, admin_user):
        page = main_text(client_for(user).get(URL))
        assert "Change your password" in page
        assert "Old password" in page


def test_the_page_changes_the_password_and_keeps_this_session(client_for, nurse):
    client = client_for(nurse)

    response = change(client)

    assert (response.status_code, response["Location"]) == (302, reverse("accounts:account"))
    nurse.refresh_from_db()
    assert nurse.check_password(STRONG)
    assert client.get(reverse("trials:board")).status_code == 200


def test_a_weak_new_password_is_refused_with_the_reason(client_for, nurse):
    response = change(client_for(nurse), new="password12345")

    assert response.status_code == 200
    assert "This password is too common." in main_text(response)
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)


def test_the_current_password_is_required(client_for, nurse):
    response = change(client_for(nurse), old="not-my-password-9")

    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in main_text(response)
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)


def test_changing_the_password_ends_the_users_other_sessions(client_for, nurse):
    here, elsewhere = client_for(nurse), client_for(nurse)

    change(here)

    assert UserSession.objects.filter(user=nurse).count() == 1
    assert elsewhere.get(reverse("trials:board")).status_code == 302
    assert here.get(reverse("trials:board")).status_code == 200


def test_the_new_password_signs_in_and_the_old_one_does_not(client_for, nurse):
    change(client_for(nurse))

    assert password_step(Client(), nurse.username).status_code == 200
    assert password_step(Client(), nurse.username, STRONG).status_code == 302
