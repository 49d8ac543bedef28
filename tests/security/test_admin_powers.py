"""Separation of duties in the Django admin (and anywhere else a user is changed): nobody changes
their own role, rights, groups or active status (another admin must), and every change of a
user or an authenticator (role, password, activation, rights, groups, authenticator added or
removed) writes a hash-chained audit row naming who made it and what changed. Tested through
the Django admin's own URLs, as the issue's admin did it."""

import io

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from tests.factories import PASSWORD
from tests.security.conftest import code_now, wrong_code

NEW_PASSWORD = "a-fresh-long-passphrase-42"


def _admin(username: str, first: str) -> User:
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=Role.ADMIN,
        first_name=first,
        last_name="Admin",
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def ada(db) -> User:
    return _admin("ada", "Ada")


@pytest.fixture
def bea(db) -> User:
    return _admin("bea", "Bea")


def change_url(user) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def form_data(user: User, **changes) -> dict:
    """The Django admin's change form for the user as it stands, with `changes` typed in."""
    values = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": list(user.groups.values_list("pk", flat=True)),
        "user_permissions": [],
        "role": user.role,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
    } | changes
    # An unticked checkbox is not posted at all.
    return {k: ("on" if v is True else v) for k, v in values.items() if v is not False}


def post_change(client, user, **changes):
    return client.post(change_url(user), form_data(user, **changes))


def rows_about(user, audit_mark_rows, action=None):
    rows = [r for r in audit_mark_rows() if r.object_type == "User" and r.object_id == str(user.pk)]
    return [r for r in rows if action is None or r.action == action]


# --- Nobody changes their own role or rights ------------------------------------------------


def test_an_admin_cannot_make_themselves_a_neurologist(ada, client_for, audit_mark):
    client = client_for(ada)
    mark = audit_mark()

    response = post_change(client, ada, role=Role.NEUROLOGIST)

    assert response.status_code == 200
    assert "You cannot give yourself a clinical role (neurologist): another admin must do it" in (
        response.content.decode()
    )
    ada.refresh_from_db()
    assert ada.role == Role.ADMIN
    assert rows_about(ada, mark, "role_change") == []


@pytest.mark.parametrize(
    "changes",
    [
        {"role": Role.NURSE},
        {"is_superuser": False},
        {"is_staff": False},
        {"is_active": False},
    ],
    ids=["role", "superuser", "staff", "active"],
)
def test_an_admin_cannot_change_their_own_role_rights_or_status(changes, ada, client_for):
    client = client_for(ada)

    response = post_change(client, ada, **changes)

    assert response.status_code == 200
    text = response.content.decode()
    assert "You cannot" in text
    assert "another admin must" in text
    ada.refresh_from_db()
    assert (ada.role, ada.is_superuser, ada.is_staff, ada.is_active) == (
        Role.ADMIN,
        True,
        True,
        True,
    )


def test_an_admin_cannot_add_themselves_to_a_group(ada, client_for):
    group = Group.objects.create(name="Neurology")

    response = post_change(client_for(ada), ada, groups=[group.pk])

    assert response.status_code == 200
    assert "another admin must" in response.content.decode()
    assert not ada.groups.exists()


def test_an_admin_may_still_edit_their_own_name(ada, client_for, audit_mark):
    mark = audit_mark()

    response = post_change(client_for(ada), ada, first_name="Adaline")

    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.first_name == "Adaline"
    (row,) = rows_about(ada, mark, "user_change")
    assert row.old == {"first_name": "Ada"}
    assert row.new == {"user": "ada", "first_name": "Adaline"}


# --- Another admin's changes are audited ----------------------------------------------------


def test_another_admin_grants_a_role_and_the_audit_trail_names_both(
    ada, bea, client_for, audit_mark
):
    mark = audit_mark()

    response = post_change(client_for(bea), ada, role=Role.NEUROLOGIST)

    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.role == Role.NEUROLOGIST
    (row,) = rows_about(ada, mark, "role_change")
    assert (row.actor, row.actor_name) == (bea, "Bea Admin")
    assert row.summary == "Role of Ada Admin (ada) changed: admin → neurologist"
    assert (row.old, row.new) == ({"role": "admin"}, {"user": "ada", "role": "neurologist"})


def test_a_password_reset_in_the_django_admin_is_audited(ada, neurologist, client_for, audit_mark):
    mark = audit_mark()
    url = reverse("admin:auth_user_password_change", args=[neurologist.pk])

    response = client_for(ada).post(
        url,
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    neurologist.refresh_from_db()
    assert neurologist.check_password(NEW_PASSWORD)
    (row,) = rows_about(neurologist, mark, "password_reset")
    assert row.actor == ada
    assert row.summary == "Password of Hugo Lindqvist (hugo) reset by Ada Admin (ada)"
    # Never the password or its hash.
    assert neurologist.password not in f"{row.old}{row.new}{row.summary}"
    assert NEW_PASSWORD not in f"{row.old}{row.new}{row.summary}"


def test_deactivating_and_reactivating_a_user_is_audited(ada, nurse, client_for, audit_mark):
    client = client_for(ada)
    mark = audit_mark()

    assert post_change(client, nurse, is_active=False).status_code == 302
    nurse.refresh_from_db()
    assert post_change(client, nurse, is_active=True).status_code == 302

    rows = rows_about(nurse, mark)
    assert [r.action for r in rows] == ["user_deactivate", "user_activate"]
    assert rows[0].summary == "Account of Nadia Okafor (nadia) deactivated"
    assert all(r.actor == ada for r in rows)


def test_giving_django_admin_rights_is_audited(ada, nurse, client_for, audit_mark):
    mark = audit_mark()

    assert post_change(client_for(ada), nurse, is_staff=True).status_code == 302

    (row,) = rows_about(nurse, mark, "permission_change")
    assert row.summary == "Admin rights of Nadia Okafor (nadia) changed: Django admin no → yes"
    assert row.actor == ada


def test_adding_a_user_to_a_group_is_audited(ada, nurse, client_for, audit_mark):
    group = Group.objects.create(name="Neurology")
    mark = audit_mark()

    assert post_change(client_for(ada), nurse, groups=[group.pk]).status_code == 302

    (row,) = rows_about(nurse, mark, "permission_change")
    assert row.summary == "Groups of Nadia Okafor (nadia) changed: added Neurology"


def test_creating_a_user_in_the_django_admin_is_audited(ada, client_for, audit_mark):
    mark = audit_mark()

    response = client_for(ada).post(
        reverse("admin:accounts_user_add"),
        {
            "username": "nina",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
            "role": Role.NEUROLOGIST,
        },
    )

    assert response.status_code == 302
    nina = User.objects.get(username="nina")
    (row,) = rows_about(nina, mark, "user_create")
    assert row.actor == ada
    assert row.summary == "User created: nina (nina), role neurologist"
    assert row.new["role"] == "neurologist"
    assert "password" not in row.new


# --- Authenticators ---------------------------------------------------------------------------


def test_removing_an_authenticator_in_the_django_admin_is_audited(
    ada, neurologist, client_for, authenticator, audit_mark
):
    device = authenticator(neurologist)
    mark = audit_mark()
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])

    response = client_for(ada).post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    (row,) = rows_about(neurologist, mark, "authenticator_remove")
    assert row.summary == "Authenticator “Phone” removed from Hugo Lindqvist (hugo)"
    assert row.actor == ada


def test_the_django_admin_neither_shows_nor_sets_an_authenticator_key(
    ada, neurologist, client_for, authenticator
):
    device = authenticator(neurologist)
    client = client_for(ada)

    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    assert client.get(f"/django-admin/otp_totp/totpdevice/{device.pk}/config/").status_code in (
        302,
        404,
    )
    assert client.get(f"/django-admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code in (
        302,
        404,
    )
    added = client.post(
        reverse("admin:otp_totp_totpdevice_add"),
        {"user": neurologist.pk, "name": "Mine", "key": "00" * 20, "confirmed": "on"},
    )
    assert added.status_code == 403
    assert TOTPDevice.objects.filter(user=neurologist).count() == 1


def test_setting_up_an_authenticator_on_the_account_page_is_audited(nurse, client_for, audit_mark):
    client = client_for(nurse)
    client.get(reverse("accounts:setup"))
    device = TOTPDevice.objects.get(user=nurse)
    mark = audit_mark()

    response = client.post(reverse("accounts:setup"), {"otp_token": code_now(device)})

    assert response.status_code == 302
    (row,) = rows_about(nurse, mark, "authenticator_add")
    assert row.actor == nurse
    assert "confirmed: two-step sign-in is on" in row.summary


def test_checking_codes_writes_no_authenticator_rows(neurologist, authenticator, audit_mark):
    device = authenticator(neurologist)
    mark = audit_mark()

    assert device.verify_token(code_now(device))  # saves the device (last code used)
    assert not device.verify_token(wrong_code(device))  # saves it again (throttling)

    assert rows_about(neurologist, mark) == []


# --- Other ways in ----------------------------------------------------------------------------


def test_changing_ones_own_password_on_the_account_page_is_audited(nurse, client_for, audit_mark):
    mark = audit_mark()

    response = client_for(nurse).post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    (row,) = rows_about(nurse, mark, "password_change")
    assert row.summary == "Password of Nadia Okafor (nadia) changed by its owner"
    assert row.actor == nurse


def test_a_change_made_by_a_script_is_audited_as_the_system(nurse, audit_mark):
    mark = audit_mark()

    nurse.role = Role.NEUROLOGIST
    nurse.save()

    (row,) = rows_about(nurse, mark, "role_change")
    assert (row.actor, row.actor_name) == (None, "system")


def test_manage_py_changepassword_is_audited(nurse, audit_mark, monkeypatch):
    mark = audit_mark()
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)

    call_command("changepassword", "nadia", stdout=io.StringIO())

    (row,) = rows_about(nurse, mark, "password_reset")
    assert row.actor_name == "system"


class OneRoundPBKDF2(PBKDF2PasswordHasher):
    iterations = 1


def test_a_password_hash_upgrade_at_sign_in_is_not_a_password_change(nurse, settings, audit_mark):
    settings.PASSWORD_HASHERS = [
        "tests.security.test_admin_powers.OneRoundPBKDF2",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    mark = audit_mark()

    assert nurse.check_password(PASSWORD)  # rehashed with the preferred hasher and saved

    nurse.refresh_from_db()
    assert nurse.password.startswith("pbkdf2_sha256$1$")
    assert rows_about(nurse, mark) == []


def test_every_row_is_on_the_hash_chain(ada, bea, client_for):
    post_change(client_for(bea), ada, role=Role.NEUROLOGIST)

    out = io.StringIO()
    call_command("verify_audit", stdout=out, stderr=io.StringIO())
    assert "Audit trail intact" in out.getvalue()
