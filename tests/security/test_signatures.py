"""Signing (preparation, injection, discharge, decision, close) asks for the signer's password
again and records printed name, date and time, and meaning; the signature is shown wherever the
signed record is shown: the trial page (signatures panel and each attempt), the trial summary."""

import zoneinfo
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories, module_data
from tests.views.support import injection_post, section
from trials.models import Signature, SiteSettings

PASSWORD = factories.PASSWORD

# kind: (URL name, trial state, form data without the password, signer, meaning)
STEPS = {
    "preparation": ("trials:sign_preparation", "preparation_ready",
                    lambda team: {"first_dose_mcg": 50}, "neurologist", "approved"),
    "injection": ("trials:injection", "injection_ready",
                  lambda team: injection_post(team.nurse, dose_mcg=50, password=""),
                  "neurologist", "performed"),
    "discharge": ("trials:discharge", "observation_ready",
                  lambda team: {"note": "Home with the leaflet"}, "nurse", "performed"),
    "decision": ("trials:decide", "follow_up",
                 lambda team: {"responder": "false", "reason": "No change in tone"},
                 "neurologist", "reviewed"),
    "close": ("trials:close", "follow_up_ready",
              lambda team: {"outcome": "not_candidate", "note": ""}, "neurologist", "approved"),
}  # fmt: skip

# The trials are built once for the module (tests/module_data.py): what a test signs is rolled
# back after it. The named users of the module are the people who built them.
TRIAL_STATES = sorted({state for _name, state, *_rest in STEPS.values()})
TRIAL_STATES += ["observation", "preparation", "completed"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


def sign(kind, module_trial_in, team, client_for, password):
    name, state, data, role, _meaning = STEPS[kind]
    trial = module_trial_in(state)
    signer = getattr(team, role)
    response = client_for(signer).post(
        reverse(name, args=[trial.pk]), data(team) | {"password": password}
    )
    return trial, signer, response


@pytest.mark.parametrize("kind", STEPS)
def test_signing_asks_for_the_password_again(kind, module_trial_in, team, client_for):
    trial, _signer, response = sign(
        kind, module_trial_in, team, client_for, password="not-my-password"
    )

    assert response.status_code == 400
    assert "The password is not correct; nothing was signed." in response.content.decode()
    assert not Signature.objects.filter(trial=trial, kind=kind).exists()
    trial.refresh_from_db()
    assert trial.status == STEPS[kind][1].removesuffix("_ready")


@pytest.mark.parametrize("kind", STEPS)
def test_a_signature_records_printed_name_time_and_meaning(kind, module_trial_in, team, client_for):
    started = timezone.now()
    trial, signer, response = sign(kind, module_trial_in, team, client_for, password=PASSWORD)

    assert response.status_code == 302
    signature = Signature.objects.filter(trial=trial, kind=kind).latest("signed_at")
    assert signature.signer == signer
    assert (signature.printed_name, signature.signer_role) == (signer.printed_name, signer.role)
    assert signature.meaning == STEPS[kind][4]
    assert started - timedelta(seconds=1) <= signature.signed_at <= timezone.now()


@pytest.mark.parametrize("name", ["trials:sign_preparation", "trials:discharge", "trials:close"])
def test_the_signing_form_says_what_a_signature_records(name, module_trial_in, client_for, team):
    role = "nurse" if name == "trials:discharge" else "neurologist"
    trial = module_trial_in("observation" if role == "nurse" else "follow_up_ready")
    if name == "trials:sign_preparation":
        trial = module_trial_in("preparation")

    page = client_for(getattr(team, role)).get(reverse(name, args=[trial.pk])).content.decode()

    assert "Your password (to sign)" in page
    assert "Signing records your printed name, the time and what the signature means." in page


def shown_at(moment) -> str:
    zone = zoneinfo.ZoneInfo(SiteSettings.current().time_zone)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def completed(module_trial_in):
    return module_trial_in("completed")  # two attempts: every kind of signature, eight in all


def test_the_signatures_panel_shows_every_signature(completed, client_for, nurse):
    page = client_for(nurse).get(reverse("trials:detail", args=[completed.pk])).content.decode()
    panel = section(page, 'id="record-side"', '<h2 class="h6">Timeline</h2>')

    signatures = list(completed.signatures.order_by("signed_at", "pk"))
    assert len(signatures) == 8
    assert panel.count('class="signature ') == 8
    for s in signatures:
        assert f"<strong>{s.printed_name}</strong> ({s.signer_role}) · {shown_at(s.signed_at)}" in (
            panel
        )
        assert f'fw-semibold">{s.meaning}</span>: {s.statement}' in panel


def test_each_attempt_card_shows_its_own_signatures_with_their_meaning(
    completed, client_for, nurse
):
    page = client_for(nurse).get(reverse("trials:detail", args=[completed.pk])).content.decode()

    for attempt in completed.attempts.all():
        card = section(page, f'id="attempt-{attempt.number}"', 'class="card shadow-sm mb-3"')
        for s in attempt.signatures.all():
            expected = (
                f"{s.meaning}</span> · {s.statement} – <strong>{s.printed_name}</strong> "
                f"({s.signer_role}), {shown_at(s.signed_at)}"
            )
            assert expected in card
        assert card.count("attempt-signature") == 3  # injection, discharge, decision


def test_the_trial_summary_shows_every_signature(completed, client_for, admin_user):
    page = client_for(admin_user).get(reverse("trials:summary", args=[completed.pk]))
    text = page.content.decode()

    for s in completed.signatures.all():
        for cell in (s.printed_name, s.signer_role, s.meaning, s.statement):
            assert f"<td>{cell}</td>" in text
