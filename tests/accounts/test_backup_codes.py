"""Backup codes: ten one-time codes for a sign-in without the phone, shown once when the
authenticator is set up and again (new ones) on the account page after the password."""

import re

from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import backup_codes
from audit.chain import row_hash
from audit.models import AuditEvent
from tests.security.conftest import code_now, main_text, password_step
from tests.security.test_second_factor import ready_to_set_up, signed_in_past_the_password

VERIFY = reverse("accounts:verify")
SETUP = reverse("accounts:setup")
CODES = reverse("accounts:backup_codes")
BOARD = reverse("trials:board")


def shown_codes(response) -> list[str]:
    html = response.content.decode()
    block = re.search(r'id="backup-codes">(.*?)</ol>', html, re.S)
    return re.findall(r"<li[^>]*>([a-z2-7]{4} [a-z2-7]{4})</li>", block[1]) if block else []


def two_factor_rows(event: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="two_factor", new__event=event).order_by("pk"))


def set_up(user) -> tuple[Client, list[str]]:
    """The user adds an authenticator through the pages; returns the client and the codes."""
    client = ready_to_set_up(user)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"otp_token": code_now(device), "next": BOARD}, follow=True)
    return client, shown_codes(response)


def test_setting_up_an_authenticator_shows_ten_backup_codes_once(neurologist):
    client, codes = set_up(neurologist)

    assert len(codes) == len(set(codes)) == backup_codes.COUNT
    again = client.get(CODES)
    assert shown_codes(again) == []
    assert "You have 10 unused backup codes" in main_text(again)


def test_the_codes_page_then_goes_on_to_the_page_asked_for(nurse):
    client = ready_to_set_up(nurse)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=nurse, confirmed=False)

    response = client.post(SETUP, {"otp_token": code_now(device), "next": BOARD})
    page = client.get(response["Location"])

    assert f'href="{BOARD}"' in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0")  # never kept by the browser


def test_a_backup_code_signs_in_instead_of_the_authenticator_code(neurologist):
    _, codes = set_up(neurologist)
    client = signed_in_past_the_password(neurologist)

    response = client.post(VERIFY, {"otp_token": codes[3], "next": BOARD})

    assert (response.status_code, response["Location"]) == (302, BOARD)
    assert client.get(BOARD).status_code == 200
    (used,) = two_factor_rows("backup_code_used")
    assert used.actor == neurologist and used.new["left"] == 9


def test_signing_in_with_a_backup_code_writes_a_chained_audit_row_and_uses_it_up(
    neurologist, no_code_throttle
):
    _, codes = set_up(neurologist)
    signed_in_past_the_password(neurologist).post(VERIFY, {"otp_token": codes[5]})

    (used,) = two_factor_rows("backup_code_used")
    before = AuditEvent.objects.filter(pk__lt=used.pk).order_by("-pk").first()
    assert (used.actor, used.object_type, used.object_id) == (
        neurologist,
        "User",
        str(neurologist.pk),
    )
    assert used.actor_name == neurologist.printed_name
    assert f"Signed in with a backup code: {neurologist.printed_name} (9 left)" == used.summary
    assert before is not None and used.prev_hash == before.hash
    assert used.hash == row_hash(used, used.prev_hash)

    again = signed_in_past_the_password(neurologist).post(VERIFY, {"otp_token": codes[5]})

    assert again.status_code == 200
    assert len(two_factor_rows("backup_code_used")) == 1
    assert backup_codes.codes_left(neurologist) == 9


def test_a_backup_code_typed_in_capitals_or_without_its_space_works(neurologist):
    _, codes = set_up(neurologist)

    for typed in (codes[0].upper(), codes[1].replace(" ", "")):
        client = signed_in_past_the_password(neurologist)
        assert client.post(VERIFY, {"otp_token": typed})["Location"] == reverse("home")


def test_a_backup_code_works_only_once(neurologist, failed_sign_ins, no_code_throttle):
    _, codes = set_up(neurologist)
    signed_in_past_the_password(neurologist).post(VERIFY, {"otp_token": codes[0]})
    client = signed_in_past_the_password(neurologist)

    response = client.post(VERIFY, {"otp_token": codes[0]})

    assert response.status_code == 200
    assert "That backup code is wrong or has been used already" in main_text(response)
    assert failed_sign_ins == [neurologist.username]
    assert client.get(BOARD).status_code == 302


def test_a_made_up_backup_code_counts_as_a_failed_sign_in(
    neurologist, failed_sign_ins, no_code_throttle
):
    set_up(neurologist)
    client = signed_in_past_the_password(neurologist)

    response = client.post(VERIFY, {"otp_token": "abcd efgh"})

    assert "That backup code is wrong" in main_text(response)
    assert failed_sign_ins == [neurologist.username]


def test_five_wrong_backup_codes_lock_the_username(neurologist, no_code_throttle):
    set_up(neurologist)
    client = signed_in_past_the_password(neurologist)
    for _ in range(4):
        assert client.post(VERIFY, {"otp_token": "abcd efgh"}).status_code == 200

    assert client.post(VERIFY, {"otp_token": "abcd efgh"}).status_code == 429
    assert password_step(Client(), neurologist.username).status_code == 429


def test_a_user_without_backup_codes_cannot_use_one(neurologist, authenticator):
    authenticator(neurologist)  # an authenticator from before backup codes existed
    client = signed_in_past_the_password(neurologist)

    response = client.post(VERIFY, {"otp_token": "abcd efgh"})

    assert "That backup code is wrong" in main_text(response)


def test_something_neither_a_code_nor_a_backup_code_is_refused_with_what_to_type(neurologist):
    set_up(neurologist)
    client = signed_in_past_the_password(neurologist)

    response = client.post(VERIFY, {"otp_token": "12345"})

    assert "Enter the 6 digits your authenticator app shows, or one of your backup codes" in (
        main_text(response)
    )


def test_new_codes_after_the_password_replace_the_old_ones(neurologist, no_code_throttle):
    client, old = set_up(neurologist)

    response = client.post(CODES, {"password": "correct-horse-battery-9"}, follow=True)

    new = shown_codes(response)
    assert len(new) == 10 and not set(new) & set(old)
    stale = signed_in_past_the_password(neurologist).post(VERIFY, {"otp_token": old[0]})
    assert stale.status_code == 200
    fresh = signed_in_past_the_password(neurologist).post(VERIFY, {"otp_token": new[0]})
    assert fresh.status_code == 302
    issued = two_factor_rows("backup_codes_issued")
    assert [row.new["replaced_unused"] for row in issued] == [0, 10]


def test_a_wrong_password_makes_no_new_codes_and_counts_as_a_failed_sign_in(
    neurologist, failed_sign_ins
):
    client, old = set_up(neurologist)

    response = client.post(CODES, {"password": "not-my-password-at-all"})

    assert "That is not your password" in main_text(response)
    assert shown_codes(response) == []
    assert failed_sign_ins == [neurologist.username]
    assert backup_codes.codes_left(neurologist) == 10
    assert len(two_factor_rows("backup_codes_issued")) == 1


def test_the_account_page_says_how_many_codes_are_left(neurologist):
    client, codes = set_up(neurologist)
    signed_in_past_the_password(neurologist).post(VERIFY, {"otp_token": codes[0]})

    page = main_text(client.get(reverse("accounts:account")))

    assert "Backup codes, for a sign-in without your phone: 9 unused" in page


def test_without_an_authenticator_there_are_no_backup_codes(client_for, nurse):
    response = client_for(nurse).get(CODES)

    assert response["Location"] == reverse("accounts:account")
    assert backup_codes.backup_device(nurse) is None


def test_the_codes_are_not_in_the_audit_trail(neurologist):
    _, codes = set_up(neurologist)

    text = " ".join(f"{row.summary} {row.new}" for row in AuditEvent.objects.all())
    assert not any(code.replace(" ", "") in text.replace(" ", "") for code in codes)
