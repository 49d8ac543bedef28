"""Set-up codes: a neurologist or admin without an authenticator adds one only with a one-time
code an admin issued, so a password alone never takes over the account's second factor."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import enrolment
from accounts.models import EnrolmentCode, Role, User
from audit.models import AuditEvent
from tests.factories import PASSWORD
from tests.security.conftest import main_text, password_step
from tests.security.test_second_factor import signed_in_past_the_password

ENROL = reverse("accounts:enrol")
SETUP = reverse("accounts:setup")
CODES_PAGE = reverse("accounts:enrolment_codes")
BOARD = reverse("trials:board")


def issue_on_the_page(admin_client: Client, user: User) -> str:
    response = admin_client.post(CODES_PAGE, {"user": user.pk}, follow=True)
    return re.search(r'id="enrolment-code">([A-Z0-9-]+)<', response.content.decode())[1]


def enter(client: Client, code: str, next_url: str = ""):
    return client.post(ENROL, {"enrolment_code": code, "next": next_url})


@pytest.fixture
def admin_client(client_for, admin_user) -> Client:
    return client_for(admin_user)


@pytest.mark.parametrize("role", ["neurologist", "admin_user"])
def test_without_a_set_up_code_the_set_up_page_sends_to_the_code_page(role, request):
    user = request.getfixturevalue(role)
    client = signed_in_past_the_password(user)

    response = client.get(f"{SETUP}?next={BOARD}")

    assert response["Location"] == f"{ENROL}?next={BOARD}"
    assert "set-up code an admin gave you" in main_text(client.get(ENROL))
    assert not TOTPDevice.objects.filter(user=user).exists()  # no key made, none shown
    assert client.get(BOARD)["Location"].startswith(SETUP)


def test_the_code_an_admin_issued_opens_the_set_up_page(admin_client, neurologist):
    code = issue_on_the_page(admin_client, neurologist)
    client = signed_in_past_the_password(neurologist)

    response = enter(client, code, next_url=BOARD)

    assert response["Location"] == f"{SETUP}?next={BOARD}"
    page = client.get(response["Location"])
    assert 'id="totp-key"' in page.content.decode()


def test_a_code_typed_in_small_letters_or_without_dashes_works(admin_client, neurologist):
    code = issue_on_the_page(admin_client, neurologist)

    response = enter(signed_in_past_the_password(neurologist), code.replace("-", "").lower())

    assert response["Location"].startswith(SETUP)


def test_a_code_works_only_once(admin_client, neurologist):
    code = issue_on_the_page(admin_client, neurologist)
    enter(signed_in_past_the_password(neurologist), code)
    later = signed_in_past_the_password(neurologist)

    response = enter(later, code)

    assert response.status_code == 200
    assert "That set-up code is wrong, has been used already or has expired" in main_text(response)
    assert later.get(SETUP)["Location"].startswith(ENROL)


def test_a_code_issued_to_someone_else_is_refused(admin_client, neurologist, admin_user):
    other = User.objects.create_user(username="vera", password=PASSWORD, role=Role.NEUROLOGIST)
    code = issue_on_the_page(admin_client, other)

    response = enter(signed_in_past_the_password(neurologist), code)

    assert "That set-up code is wrong" in main_text(response)


def test_a_code_expires_after_72_hours(admin_client, neurologist, time_machine):
    code = issue_on_the_page(admin_client, neurologist)
    time_machine.move_to(timedelta(hours=enrolment.ENROLMENT_HOURS, minutes=1))

    response = enter(signed_in_past_the_password(neurologist), code)

    assert "has expired" in main_text(response)


def test_a_new_code_voids_the_earlier_one(admin_client, neurologist):
    first = issue_on_the_page(admin_client, neurologist)
    second = issue_on_the_page(admin_client, neurologist)

    assert "That set-up code is wrong" in main_text(
        enter(signed_in_past_the_password(neurologist), first)
    )
    assert enter(signed_in_past_the_password(neurologist), second).status_code == 302


def test_a_wrong_code_counts_as_a_failed_sign_in_and_five_lock(neurologist):
    client = signed_in_past_the_password(neurologist)
    for _ in range(4):
        assert enter(client, "ABCD-EFGH-JKLM").status_code == 200
    assert AccessAttempt.objects.get(username=neurologist.username).failures_since_start == 4
    assert "ABCD" not in AccessAttempt.objects.get().post_data

    assert enter(client, "ABCD-EFGH-JKLM").status_code == 429
    assert password_step(Client(), neurologist.username).status_code == 429


def test_a_code_of_the_wrong_length_is_refused_with_its_shape(neurologist):
    response = enter(signed_in_past_the_password(neurologist), "ABC")

    assert "A set-up code has 12 letters and digits" in main_text(response)


def test_only_the_codes_hash_is_stored(admin_client, neurologist):
    code = issue_on_the_page(admin_client, neurologist)

    stored = EnrolmentCode.objects.get(user=neurologist)
    assert stored.code_hash == enrolment._digest(code) and code not in stored.code_hash
    assert stored.issued_by.role == Role.ADMIN


def test_issuing_and_using_a_code_are_audited_without_the_code(admin_client, neurologist):
    code = issue_on_the_page(admin_client, neurologist)
    enter(signed_in_past_the_password(neurologist), code)

    rows = AuditEvent.objects.filter(action="two_factor").order_by("pk")
    assert [(r.actor.role, r.new["event"]) for r in rows] == [
        (Role.ADMIN, "enrolment_code_issued"),
        (Role.NEUROLOGIST, "enrolment_code_used"),
    ]
    assert all(code not in f"{r.summary}{r.new}" for r in rows)


def test_the_page_lists_only_neurologists_and_admins_without_an_authenticator(
    admin_client, neurologist, nurse, authenticator
):
    User.objects.create_user(username="vera", password=PASSWORD, role=Role.ADMIN)
    authenticator(neurologist)

    page = main_text(admin_client.get(CODES_PAGE))

    assert "vera" in page
    assert neurologist.username not in page and nurse.username not in page


def test_no_code_is_issued_to_a_nurse_or_to_someone_with_an_authenticator(
    admin_client, neurologist, nurse, authenticator
):
    authenticator(neurologist)

    for user in (nurse, neurologist):
        assert admin_client.post(CODES_PAGE, {"user": user.pk}).status_code == 400
    assert not EnrolmentCode.objects.exists()


@pytest.mark.parametrize("role", ["nurse", "neurologist"])
def test_only_admins_issue_codes(role, request, client_for):
    client = client_for(request.getfixturevalue(role))

    assert client.get(CODES_PAGE).status_code == 403
    assert client.post(CODES_PAGE, {"user": 1}).status_code == 403


def test_the_admins_account_page_links_to_the_set_up_codes(admin_client):
    assert CODES_PAGE in admin_client.get(reverse("accounts:account")).content.decode()


def test_a_nurse_adds_an_authenticator_with_her_password_alone(nurse):
    client = signed_in_past_the_password(nurse)

    assert client.get(SETUP).status_code == 200
    assert client.get(ENROL)["Location"] == SETUP


def test_the_first_admin_gets_a_code_on_the_server(admin_user):
    out = StringIO()
    call_command("issue_enrolment_code", admin_user.username, stdout=out)

    code = re.search(r": ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})\n", out.getvalue())[1]
    assert enter(signed_in_past_the_password(admin_user), code)["Location"].startswith(SETUP)
    row = AuditEvent.objects.get(action="two_factor", new__event="enrolment_code_issued")
    assert row.actor is None and "server" in row.actor_name


def test_the_server_command_refuses_a_user_who_needs_no_code(nurse):
    with pytest.raises(CommandError, match="needs no set-up code"):
        call_command("issue_enrolment_code", nurse.username)
