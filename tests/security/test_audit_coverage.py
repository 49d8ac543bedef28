"""Every create, change, tick, untick, signature, transition, export, sign-in, failed sign-in,
refused request and view of a patient's record writes exactly one audit row: who, when (UTC),
what, which object, old and new values. Driven through the pages users open."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories, module_data
from trials.models import Trial

HTMX = {"HTTP_HX_REQUEST": "true"}

# The trials are built once for the module (tests/module_data.py): the rows a test writes are
# rolled back after it. The named users of the module are the people who built them.
TRIAL_STATES = ["preparation", "preparation_ready", "observation", "observation", "completed"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


def one(rows, **expected):
    """The single row written, checked against `expected`."""
    assert len(rows) == 1, [(r.action, r.summary) for r in rows]
    row = rows[0]
    for name, value in expected.items():
        assert getattr(row, name) == value, name
    assert row.at.utcoffset() == timedelta(0)
    return row


def patient_post(**overrides) -> dict:
    return {
        "mrn": "H-7001", "first_name": "Ines", "last_name": "Moreau",
        "date_of_birth": "1990-02-03", "sex": "female", "weight_kg": "61.5", "diagnosis": "ms",
        "allergies": "none known",
    } | overrides  # fmt: skip


# --- Changes -------------------------------------------------------------------------------------


def test_registering_a_patient_writes_one_create_row(client_for, nurse, audit_mark):
    client = client_for(nurse)
    new_rows = audit_mark()

    assert client.post(reverse("patients:create"), patient_post()).status_code == 302

    row = one(new_rows(), action="create", actor=nurse, actor_name="Nadia Okafor")
    assert (row.object_type, row.patient.mrn, row.new["mrn"]) == ("Patient", "H-7001", "H-7001")


def test_changing_a_patient_writes_one_row_with_old_and_new(
    client_for, nurse, make_patient, audit_mark
):
    patient = make_patient(mrn="H-7002", weight_kg="68.0")
    client = client_for(nurse)
    data = patient_post(mrn="H-7002", first_name=patient.first_name,
                        last_name=patient.last_name, weight_kg="64.0",
                        date_of_birth=patient.date_of_birth.isoformat())  # fmt: skip
    url = reverse("patients:edit", args=[patient.pk])
    data["version"] = client.get(url).context["form"]["version"].value()  # the form opened
    new_rows = audit_mark()

    assert client.post(url, data).status_code == 302

    row = one(new_rows(), action="change", actor=nurse, patient=patient)
    assert (row.old["weight_kg"], row.new["weight_kg"]) == ("68.0", "64.0")


def test_a_tick_writes_one_row_and_its_htmx_refresh_is_not_a_view(
    client_for, nurse, module_trial_in, audit_mark
):
    trial = module_trial_in("preparation")
    client = client_for(nurse)
    new_rows = audit_mark()

    url = reverse("trials:tick", args=[trial.pk, "preparation", "no_infection"])
    assert client.post(url, {"note": "afebrile"}, **HTMX).status_code == 200

    row = one(new_rows(), action="tick", actor=nurse, trial=trial, object_type="ChecklistEntry")
    assert (row.old, row.new["state"], row.new["note"]) == ({"state": None}, "done", "afebrile")


def test_an_untick_writes_one_row_keeping_the_old_tick(
    client_for, nurse, module_trial_in, audit_mark
):
    trial = module_trial_in("preparation")
    client = client_for(nurse)
    client.post(reverse("trials:tick", args=[trial.pk, "preparation", "no_infection"]), **HTMX)
    new_rows = audit_mark()

    url = reverse("trials:untick", args=[trial.pk, "preparation", "no_infection"])
    assert client.post(url, {"reason": "ticked by mistake"}, **HTMX).status_code == 200

    row = one(new_rows(), action="untick", actor=nurse, reason="ticked by mistake")
    assert (row.old["state"], row.old["by"], row.new) == ("done", "Nadia Okafor", {"state": None})


def test_signing_writes_one_signature_row_and_one_transition_row(
    client_for, neurologist, module_trial_in, audit_mark
):
    trial = module_trial_in("preparation_ready")
    client = client_for(neurologist)
    new_rows = audit_mark()

    data = {"first_dose_mcg": 50, "password": factories.PASSWORD}
    response = client.post(reverse("trials:sign_preparation", args=[trial.pk]), data)

    assert response.status_code == 302
    assert [r.action for r in new_rows()] == ["sign", "transition"]
    sign = one(new_rows(action="sign"), actor=neurologist, object_type="Signature")
    assert (sign.new["meaning"], sign.new["printed_name"]) == ("approved", "Hugo Lindqvist")
    move = one(new_rows(action="transition"), trial=trial, object_type="Trial")
    assert (move.old, move.new) == ({"status": "preparation"}, {"status": "injection"})


def test_changing_a_site_setting_writes_one_row(client_for, admin_user, audit_mark):
    client = client_for(admin_user)
    page = client.get(reverse("trials:site_settings"))
    data = {
        name: value
        for name, value in page.context["form"].initial.items()
        if value is not None and not hasattr(value, "pk")
    }
    data["responder_threshold"] = "1.5"
    new_rows = audit_mark()

    response = client.post(reverse("trials:site_settings"), data)

    assert response.status_code == 302, response.context["form"].errors
    row = one(new_rows(), action="change", actor=admin_user, object_type="SiteSettings")
    assert row.new["responder_threshold"] == "1.5"


# --- Exports (written by the outcome views; checked here, not duplicated) ------------------------


@pytest.mark.parametrize(
    ("name", "per_trial"),
    [("trials:outcomes_csv", False), ("trials:fhir_bulk", False), ("trials:fhir", True),
     ("trials:summary_pdf", True)],
)  # fmt: skip
def test_each_export_writes_one_export_row_and_no_view_row(
    name, per_trial, client_for, neurologist, module_trial_in, audit_mark
):
    trial = module_trial_in("completed")
    client = client_for(neurologist)
    new_rows = audit_mark()

    response = client.get(reverse(name, args=[trial.pk] if per_trial else []))
    b"".join(response.streaming_content) if response.streaming else response.content

    assert response.status_code == 200
    row = one(new_rows(), action="export", actor=neurologist)
    assert row.trial == (trial if per_trial else None)


# --- Views of a patient's record -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("patients:detail", "the patient record"),
        ("patients:edit", "the patient record (edit form)"),
        ("trials:detail", "the trial page"),
        ("trials:summary", "the summary"),
    ],
)
def test_each_view_of_a_patient_record_writes_exactly_one_view_row(
    name, what, client_for, nurse, module_trial_in, audit_mark
):
    trial = module_trial_in("completed")
    client = client_for(nurse)
    new_rows = audit_mark()
    pk = trial.patient_id if name.startswith("patients:") else trial.pk

    assert client.get(reverse(name, args=[pk])).status_code == 200

    row = one(new_rows(), action="view", actor=nurse, patient=trial.patient)
    assert what in row.summary
    assert row.new == {"path": reverse(name, args=[pk])}
    if name.startswith("trials:"):
        assert row.trial == trial


def test_each_page_load_is_one_view_row(client_for, nurse, module_trial_in, audit_mark):
    trial = module_trial_in("observation")
    client = client_for(nurse)
    new_rows = audit_mark()

    for _ in range(3):
        client.get(reverse("trials:detail", args=[trial.pk]))

    assert len(new_rows(action="view", trial=trial)) == 3
    assert len(new_rows()) == 3


def test_views_stay_out_of_the_trial_pages_timeline(client_for, nurse, module_trial_in):
    trial = module_trial_in("preparation")
    client = client_for(nurse)
    client.get(reverse("trials:detail", args=[trial.pk]))

    response = client.get(reverse("trials:detail", args=[trial.pk]))

    assert "Viewed" not in response.content.decode()
    assert Trial.objects.get(pk=trial.pk).audit.filter(action="view").count() == 2


def test_lists_and_the_ward_board_are_not_record_views(
    client_for, nurse, module_trial_in, audit_mark
):
    module_trial_in("observation")
    client = client_for(nurse)
    new_rows = audit_mark()

    for name in ("patients:list", "trials:list", "trials:board"):
        assert client.get(reverse(name)).status_code == 200
    client.get(reverse("trials:board"), **HTMX)

    assert new_rows() == []


# --- Signing in and out --------------------------------------------------------------------------


def test_signing_in_writes_one_login_row(nurse, audit_mark):
    new_rows = audit_mark()

    response = Client().post(
        reverse("login"), {"username": "nadia", "password": factories.PASSWORD}
    )

    assert response.status_code == 302
    row = one(new_rows(), action="login", actor=nurse, object_type="User")
    assert row.new["username"] == "nadia"


@pytest.mark.parametrize("username", ["nadia", "nobody-by-this-name"])
def test_a_failed_sign_in_writes_one_row_with_the_username_and_never_the_password(
    username, nurse, audit_mark
):
    new_rows = audit_mark()

    response = Client().post(
        reverse("login"), {"username": username, "password": "Wrong-Pa55word-xyz"}
    )

    assert response.status_code == 200
    row = one(new_rows(), action="login_failed", actor=None, actor_name="anonymous")
    assert row.new["username"] == username
    stored = json.dumps([row.summary, row.old, row.new, row.reason])
    assert "Wrong-Pa55word" not in stored


def test_signing_out_writes_one_logout_row(client_for, nurse, audit_mark):
    client = client_for(nurse)
    new_rows = audit_mark()

    assert client.post(reverse("logout")).status_code == 302

    one(new_rows(), action="logout", actor=nurse)


# --- Refused requests ----------------------------------------------------------------------------


def test_a_403_writes_one_deny_row_with_the_path_and_the_reason(client_for, nurse, audit_mark):
    client = client_for(nurse)
    new_rows = audit_mark()

    assert client.get(reverse("trials:site_settings")).status_code == 403

    row = one(new_rows(), action="deny", actor=nurse)
    assert row.new == {"status": 403, "method": "GET", "path": reverse("trials:site_settings")}
    assert row.reason == "This page is for the admin only."


def test_a_refused_htmx_tick_writes_one_deny_row(client_for, nurse, module_trial_in, audit_mark):
    trial = module_trial_in("preparation")
    client = client_for(nurse)
    new_rows = audit_mark()

    # "Indication documented" is the neurologist's item.
    url = reverse("trials:tick", args=[trial.pk, "preparation", "indication"])
    assert client.post(url, **HTMX).status_code == 403

    row = one(new_rows(), action="deny", actor=nurse)
    assert "Only a neurologist may tick" in row.reason


def test_a_404_for_an_object_of_another_trial_writes_one_deny_row(
    client_for, nurse, module_trial_in, adverse_event_of, audit_mark
):
    mine, other = module_trial_in("observation"), module_trial_in("observation", 2)
    event = adverse_event_of(other)
    client = client_for(nurse)
    new_rows = audit_mark()

    url = reverse("trials:adverse_event_resolve", args=[mine.pk, event.pk])
    assert client.get(url).status_code == 404

    row = one(new_rows(), action="deny", actor=nurse)
    assert (row.new["status"], row.new["path"]) == (404, url)


def test_an_unknown_address_is_not_recorded(client_for, nurse, audit_mark):
    client = client_for(nurse)
    new_rows = audit_mark()

    assert client.get("/no-such-page/").status_code == 404

    assert new_rows() == []
