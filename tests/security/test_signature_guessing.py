"""A signature password cannot be guessed: a wrong one is refused and written to the audit
trail (the row stays although the step's transaction rolls back), and after 5 wrong passwords
within 30 minutes signing is locked for that user (the right password included) with a clear
message, as the sign-in locks a username."""

import zoneinfo
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from audit.models import AuditEvent
from tests import factories, module_data
from tests.security.test_amendments import amend, amend_url
from tests.security.test_signatures import STEPS
from trials.models import Signature, SiteSettings
from trials.services import signing

PASSWORD = factories.PASSWORD
# The trials are built once for the module (tests/module_data.py): what a test signs, and the
# refusals it leaves in the audit trail, are rolled back after it. The named users of the module
# are the people who built them.
TRIAL_STATES = sorted({state for _name, state, *_rest in STEPS.values()} | {"observation"})
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user
LOCKED = "Signing is locked for your account after 5 wrong passwords within 30 minutes"


def sign(client, kind, trial, team, password):
    name, _state, data, _role, _meaning = STEPS[kind]
    return client.post(reverse(name, args=[trial.pk]), data(team) | {"password": password})


def clinic_zone():
    return zoneinfo.ZoneInfo(SiteSettings.current().time_zone)


def refusals(user, action="sign_refused"):
    return list(AuditEvent.objects.filter(actor=user, action=action).order_by("pk"))


@pytest.mark.parametrize("kind", STEPS)
def test_a_wrong_signing_password_is_refused_and_audited(kind, module_trial_in, team, client_for):
    _name, state, _data, role, _meaning = STEPS[kind]
    trial, signer = module_trial_in(state), getattr(team, role)

    response = sign(client_for(signer), kind, trial, team, "not-my-password")

    assert response.status_code == 400
    assert not Signature.objects.filter(trial=trial, kind=kind).exists()
    (row,) = refusals(signer)
    assert row.trial == trial
    assert (
        row.summary
        == f"Signature refused (wrong password): {signer.printed_name}, trial #{trial.pk}"
    )
    assert "not-my-password" not in f"{row.summary}{row.new}{row.old}"


def test_a_wrong_password_for_an_amendment_is_audited(module_trial_in, client_for, neurologist):
    trial = module_trial_in("observation")
    client = client_for(neurologist)

    response = amend(client, amend_url(trial), lot="LOT-9999", password="guess-1")

    assert response.status_code == 400
    assert "The password is not correct; nothing was signed." in response.content.decode()
    assert len(refusals(neurologist)) == 1


def test_five_wrong_passwords_lock_signing_even_with_the_right_one(
    module_trial_in, team, client_for
):
    trial = module_trial_in("follow_up_ready")
    client = client_for(team.neurologist)

    for n in range(4):
        page = sign(client, "close", trial, team, f"guess-{n}").content.decode()
        assert "The password is not correct; nothing was signed." in page
        assert "locked" not in page
    fifth = sign(client, "close", trial, team, "guess-5").content.decode()
    assert "Signing is now locked for your account after 5 wrong passwords" in fifth

    response = sign(client, "close", trial, team, PASSWORD)

    assert response.status_code == 400
    page = response.content.decode()
    assert LOCKED in page
    assert "nothing was signed. You can sign again from" in page
    assert not Signature.objects.filter(trial=trial, kind="close").exists()
    trial.refresh_from_db()
    assert trial.status == "follow_up"
    assert len(refusals(team.neurologist)) == 5
    assert len(refusals(team.neurologist, "sign_locked")) == 1


def test_the_lock_message_says_when_signing_opens_again(module_trial_in, team, client_for):
    trial = module_trial_in("follow_up_ready")
    client = client_for(team.neurologist)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(5):
            sign(client, "close", trial, team, f"guess-{n}")

        page = sign(client, "close", trial, team, PASSWORD).content.decode()

    opens = timezone.localtime(start + timedelta(minutes=30), timezone=clinic_zone())
    assert f"You can sign again from {opens:%H:%M}." in page


def test_signing_opens_again_30_minutes_after_the_fifth_wrong_password(
    module_trial_in, team, client_for
):
    trial = module_trial_in("follow_up_ready")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = client_for(team.neurologist)
        for n in range(5):
            sign(client, "close", trial, team, f"guess-{n}")
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        client = client_for(team.neurologist)  # a new session: the old one timed out
        assert LOCKED in sign(client, "close", trial, team, PASSWORD).content.decode()
    with time_machine.travel(start + timedelta(minutes=30, seconds=1), tick=False):
        client = client_for(team.neurologist)
        response = sign(client, "close", trial, team, PASSWORD)

    assert response.status_code == 302
    assert Signature.objects.filter(trial=trial, kind="close").exists()


def test_wrong_passwords_while_locked_do_not_prolong_the_lock(module_trial_in, team, client_for):
    trial = module_trial_in("follow_up_ready")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = client_for(team.neurologist)
        for n in range(5):
            sign(client, "close", trial, team, f"guess-{n}")
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        client = client_for(team.neurologist)
        for n in range(3):
            sign(client, "close", trial, team, f"more-{n}")
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        client = client_for(team.neurologist)
        assert sign(client, "close", trial, team, PASSWORD).status_code == 302


def test_one_users_wrong_passwords_do_not_lock_another(neurologist):
    colleague = User.objects.create_user(
        username="ines", password=PASSWORD, role=Role.NEUROLOGIST, first_name="Ines"
    )
    for n in range(5):
        with pytest.raises(signing.SignatureRefused) as refused:
            signing.check_password(colleague, f"guess-{n}")
        refused.value.record()

    signing.check_password(neurologist, PASSWORD)  # not locked: no exception
    with pytest.raises(signing.SignatureRefused, match="locked"):
        signing.check_password(colleague, PASSWORD)


def test_a_refused_signature_is_not_on_the_trials_timeline(module_trial_in, team, client_for):
    trial = module_trial_in("follow_up_ready")
    client = client_for(team.neurologist)
    sign(client, "close", trial, team, "guess")

    assert not trial.audit.changes().filter(action="sign_refused").exists()
    assert trial.audit.filter(action="sign_refused").count() == 1


def test_an_anonymous_client_cannot_reach_signing(module_trial_in, team):
    trial = module_trial_in("follow_up_ready")
    response = sign(Client(), "close", trial, team, "guess")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="sign_refused").count() == 0
