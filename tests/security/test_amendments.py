"""A signed record is never changed in place. A correction is an amendment: the corrected value
and a reason, signed by the amender (password asked again; printed name, time, meaning
"amended"), shown beside the original that stays on the record, and written to the audit."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audit.models import AuditEvent
from core.errors import ProtocolError
from tests import factories, module_data
from trials import scenarios
from trials.models import Amendment, DoseAttempt
from trials.procedure import INJECTION_RECORD_FIELDS as INJECTION_FIELDS
from trials.services import workflow
from trials.services.amendments import record_amend

PASSWORD = factories.PASSWORD
SIGNED_FIELDS = [
    *INJECTION_FIELDS, "performed_by", "dose_mcg", "discharged_at", "discharge_note",
    "responder", "suggested_responder", "decision_reason", "decided_by", "decided_at",
]  # fmt: skip


# The trials are built once for the module (tests/module_data.py): what a test amends is rolled back
# after it. The named users of the module are the people who built them.
TRIAL_STATES = ["observation", "follow_up", "follow_up_decided_nonresponder"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


def amend_url(trial, record: str = "injection", attempt=None) -> str:
    attempt = attempt or trial.attempts.order_by("number").first()
    return reverse(f"trials:amend_{record}", args=[trial.pk, attempt.pk])


def current_values(client, url: str) -> dict:
    """The form as the page offers it: the record as it stands."""
    form = client.get(url).context["form"]
    values = {name: form[name].value() for name in form.fields}
    return {k: v for k, v in values.items() if v is not None}


def amend(client, url: str, *, reason="Lot misread from the vial label", password=PASSWORD, **new):
    data = current_values(client, url) | {"reason": reason, "password": password} | new
    return client.post(url, data)


@pytest.fixture
def observed(module_trial_in):
    return module_trial_in("observation")  # the injection of attempt 1 is signed


def test_the_neurologist_amends_the_lot_and_the_signed_record_keeps_the_original(
    observed, client_for, neurologist
):
    client = client_for(neurologist)

    response = amend(client, amend_url(observed), lot="LOT-2292")

    assert response.status_code == 302
    assert response["Location"].endswith("#attempt-1")
    assert DoseAttempt.objects.get(trial=observed).lot == "LOT-2291"
    amendment = Amendment.objects.get()
    assert (amendment.record, amendment.field, amendment.meaning) == ("injection", "lot", "amended")
    assert (amendment.old_value, amendment.new_value) == ("LOT-2291", "LOT-2292")
    assert (amendment.printed_name, amendment.signer_role) == ("Hugo Lindqvist", "neurologist")
    assert amendment.reason == "Lot misread from the vial label"
    assert amendment.amended_by == neurologist


def test_each_amendment_writes_one_audit_row_with_old_new_and_reason(
    observed, client_for, neurologist
):
    client = client_for(neurologist)

    amend(client, amend_url(observed), lot="LOT-2292", passes="2")

    rows = AuditEvent.objects.filter(action="amend")
    assert sorted(([r.old, r.new] for r in rows), key=str) == [
        [{"lot": "LOT-2291"}, {"lot": "LOT-2292"}],
        [{"passes": 1}, {"passes": 2}],
    ]
    assert {(r.actor, r.trial, r.object_type, r.reason) for r in rows} == {
        (neurologist, observed, "Amendment", "Lot misread from the vial label")
    }


def test_the_trial_page_shows_the_original_with_the_amendment_beside_it(
    observed, client_for, neurologist, nurse
):
    amend(client_for(neurologist), amend_url(observed), lot="LOT-2292")

    page = client_for(nurse).get(reverse("trials:detail", args=[observed.pk])).content.decode()

    assert "lot LOT-2291" in page
    assert "Lot: LOT-2291 — amended to <strong>LOT-2292</strong> by Hugo Lindqvist" in page
    assert "(reason: Lot misread from the vial label)" in page
    assert ">amended</span>" in page


def test_the_amendment_page_shows_the_signed_value_and_the_amendments(
    observed, client_for, neurologist
):
    client = client_for(neurologist)
    amend(client, amend_url(observed), lot="LOT-2292")

    page = client.get(amend_url(observed)).content.decode()

    assert "<td>LOT-2291</td>" in page
    assert "amended to <strong>LOT-2292</strong> by Hugo Lindqvist" in page
    assert "Injection performed" in page  # the signature of the record being amended


def test_a_second_amendment_starts_from_the_amended_value(observed, client_for, neurologist):
    client = client_for(neurologist)
    amend(client, amend_url(observed), lot="LOT-2292")

    assert current_values(client, amend_url(observed))["lot"] == "LOT-2292"
    amend(client, amend_url(observed), lot="LOT-2293", reason="Second vial")

    assert list(Amendment.objects.values_list("old_value", "new_value")) == [
        ("LOT-2291", "LOT-2292"),
        ("LOT-2292", "LOT-2293"),
    ]
    assert DoseAttempt.objects.get(trial=observed).lot == "LOT-2291"


@pytest.fixture
def make_user_nurse(db):
    from accounts.models import Role, User

    return lambda: User.objects.create_user(
        username="ola", password=PASSWORD, role=Role.NURSE, first_name="Ola", last_name="Berg"
    )


def test_people_and_choices_are_kept_as_ids_and_shown_by_name(
    observed, client_for, neurologist, make_user_nurse
):
    other = make_user_nurse()
    client = client_for(neurologist)

    amend(client, amend_url(observed), assisting_nurse=str(other.pk), spinal_level="L4-L5")

    shown = dict(Amendment.objects.values_list("field", "new_display"))
    kept = dict(Amendment.objects.values_list("field", "new_value"))
    assert shown == {"assisting_nurse": "Ola Berg", "spinal_level": "L4–L5"}
    assert kept == {"assisting_nurse": other.pk, "spinal_level": "L4-L5"}


def test_the_password_is_asked_again(observed, client_for, neurologist):
    response = amend(client_for(neurologist), amend_url(observed), lot="X", password="wrong")

    assert response.status_code == 400
    assert "The password is not correct; nothing was signed." in response.content.decode()
    assert not Amendment.objects.exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(reason, observed, client_for, neurologist):
    response = amend(client_for(neurologist), amend_url(observed), lot="X", reason=reason)

    assert response.status_code == 400
    assert not Amendment.objects.exists()


def test_the_service_refuses_an_amendment_without_a_reason(observed, neurologist):
    with pytest.raises(ProtocolError, match="Give the reason"):
        record_amend(trial_id=observed.pk, attempt_id=observed.attempts.get().pk,
                     record="injection", actor=neurologist, password=PASSWORD,
                     values={"lot": "X"}, reason=" ")  # fmt: skip


def test_an_unchanged_record_is_not_amended(observed, client_for, neurologist):
    response = amend(client_for(neurologist), amend_url(observed))

    assert response.status_code == 400
    assert "Nothing differs from the record as it stands" in response.content.decode()
    assert not Amendment.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duration_seconds", "30", "Ensure this value is greater than or equal to 60."),
        ("passes", "0", "Ensure this value is greater than or equal to 1."),
        ("needle_gauge", "40", "Ensure this value is less than or equal to 29."),
        (
            "expiry",
            "2001-01-01",
            "The product had expired when it was given.",
        ),
        ("image_guidance", "true", "Name the radiologist when image guidance was used."),
    ],
)
def test_an_impossible_correction_is_refused(
    field, value, message, observed, client_for, neurologist
):
    response = amend(client_for(neurologist), amend_url(observed), **{field: value})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Amendment.objects.exists()


def test_a_neurologist_cannot_be_named_the_assisting_nurse(observed, client_for, neurologist):
    response = amend(client_for(neurologist), amend_url(observed), assisting_nurse=neurologist.pk)

    assert response.status_code == 400
    assert not Amendment.objects.exists()
    with pytest.raises(ProtocolError, match="Name the assisting nurse"):
        record_amend(trial_id=observed.pk, attempt_id=observed.attempts.get().pk,
                     record="injection", actor=neurologist, password=PASSWORD,
                     values={"assisting_nurse": neurologist}, reason="Wrong name")  # fmt: skip


def test_only_the_neurologist_amends_the_injection_and_only_the_nurse_the_discharge(
    module_trial_in, client_for, nurse, neurologist, admin_user
):
    trial = module_trial_in("follow_up")
    for user, record in [(nurse, "injection"), (neurologist, "discharge"),
                         (admin_user, "injection"), (admin_user, "discharge")]:  # fmt: skip
        client = client_for(user)
        url = amend_url(trial, record)
        data = {"lot": "X", "discharge_note": "X", "reason": "r", "password": PASSWORD}
        assert (client.get(url).status_code, client.post(url, data).status_code) == (403, 403)
    with pytest.raises(PermissionDenied):
        record_amend(trial_id=trial.pk, attempt_id=trial.attempts.get().pk, record="injection",
                     actor=nurse, password=PASSWORD, values={"lot": "X"}, reason="r")  # fmt: skip
    assert not Amendment.objects.exists()


def test_the_nurse_amends_the_discharge_note(module_trial_in, client_for, nurse, neurologist):
    trial = module_trial_in("follow_up")
    url = amend_url(trial, "discharge")
    original = trial.attempts.get().discharge_note

    response = amend(client_for(nurse), url, discharge_note="Leaflet given; called at 18:00",
                     reason="Phone follow-up was omitted")  # fmt: skip

    assert response.status_code == 302
    assert trial.attempts.get().discharge_note == original
    page = client_for(neurologist).get(reverse("trials:detail", args=[trial.pk])).content.decode()
    assert "amended to <strong>Leaflet given; called at 18:00</strong> by Nadia Okafor" in page


def test_a_record_not_yet_signed_has_nothing_to_amend(observed, client_for, nurse):
    url = amend_url(observed, "discharge")

    assert "is not signed yet" in client_for(nurse).get(url).content.decode()
    response = amend(client_for(nurse), url, discharge_note="Home")

    assert response.status_code == 400
    assert "is not signed yet" in response.content.decode()
    assert not Amendment.objects.exists()


def test_a_decision_is_not_a_record_that_amendments_change(module_trial_in, neurologist):
    trial = module_trial_in("follow_up_decided_nonresponder")

    with pytest.raises(ProtocolError, match="no such record"):
        record_amend(trial_id=trial.pk, attempt_id=trial.attempts.get().pk, record="decision",
                     actor=neurologist, password=PASSWORD, values={"responder": True},
                     reason="Changed my mind")  # fmt: skip


def test_amendments_are_append_only(observed, client_for, neurologist):
    amend(client_for(neurologist), amend_url(observed), lot="LOT-2292")

    with pytest.raises(PermissionError):
        Amendment.objects.update(new_value="LOT-9")
    with pytest.raises(PermissionError):
        Amendment.objects.all().delete()


# --- No service writes a signed record again ----------------------------------------------------


def signed_fields(attempt: DoseAttempt) -> dict:
    attempt = DoseAttempt.objects.get(pk=attempt.pk)
    return {name: getattr(attempt, name) for name in SIGNED_FIELDS}


def test_no_later_step_changes_a_signed_attempt(module_trial_in, team, neurologist, nurse):
    trial = module_trial_in("follow_up_decided_nonresponder")
    first = trial.attempts.get()
    before = signed_fields(first)

    for step in (
        lambda: workflow.attempt_decide(
            trial_id=trial.pk,
            actor=neurologist,
            password=PASSWORD,
            responder=True,
            reason="Second look",
        ),
        lambda: workflow.attempt_discharge(
            trial_id=trial.pk, actor=nurse, password=PASSWORD, note="Again"
        ),
        lambda: workflow.injection_sign(
            trial_id=trial.pk, actor=neurologist, password=PASSWORD, dose_mcg=50, data={}
        ),
    ):
        with pytest.raises(ProtocolError):
            step()
    record_amend(trial_id=trial.pk, attempt_id=first.pk, record="injection", actor=neurologist,
                 password=PASSWORD, values={"lot": "LOT-9"}, reason="Typo")  # fmt: skip
    second_given = first.given_at + timedelta(days=1, hours=1)
    scenarios.plan_next(trial, team, dose_mcg=75, at=second_given - timedelta(hours=1))
    scenarios.full_attempt(trial, team, given_at=second_given, post_grade="1")
    scenarios.decide(trial, team, responder=True, at=second_given + timedelta(hours=5))
    scenarios.close(trial, team, outcome="pump_candidate")

    assert signed_fields(first) == before


def test_the_trial_summary_lists_the_amendments_beside_the_signed_record(
    observed, client_for, neurologist, nurse
):
    amend(client_for(neurologist), amend_url(observed), lot="LOT-2292")

    page = client_for(nurse).get(reverse("trials:summary", args=[observed.pk])).content.decode()

    assert "LOT-2291" in page  # the record as signed
    amendments = page[page.index('id="s-amendments"') :]
    for cell in ("Lot", "LOT-2291", "LOT-2292", "Hugo Lindqvist (neurologist), amended",
                 "Lot misread from the vial label"):  # fmt: skip
        assert f"<td>{cell}</td>" in amendments
