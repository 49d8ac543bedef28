"""Hostile or odd input gets a clear answer, never a server error (issue 9): an audit filter
to the last day of year 9999, a sign-in name longer than the database holds, a form body in a
character set the app does not read. An unexpected error shows a page without patient data."""

import pytest
from django.test import Client
from django.urls import reverse

from trials.views import pages


@pytest.mark.parametrize("param", ["date_to", "date_from"])
def test_an_audit_filter_to_year_9999_is_a_form_error(client_for, admin_user, param):
    response = client_for(admin_user).get(reverse("trials:audit"), {param: "9999-12-31"})
    assert response.status_code == 400
    assert "9999-12-31 is not a plausible date" in response.content.decode()


def test_the_audit_export_refuses_a_filter_to_year_9999(client_for, admin_user):
    url = reverse("trials:audit_csv")
    response = client_for(admin_user).get(url, {"date_to": "9999-12-31"})
    assert response.status_code == 400
    assert "not a plausible date" in response.content.decode()


def test_a_sign_in_name_longer_than_255_characters_is_a_wrong_name_or_password(db):
    client = Client()
    response = client.post(reverse("login"), {"username": "a" * 300, "password": "whatever1"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode().lower()
    assert not client.session.get("_auth_user_id")


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_form_body_declared_utf_16_is_refused_with_a_message(
    settings, client_for, nurse, signed_in
):
    settings.DEBUG = False
    client = client_for(nurse) if signed_in else Client()
    client.handler.enforce_csrf_checks = True
    client.raise_request_exception = False
    client.get(reverse("login"))  # the CSRF cookie, as a browser has it
    response = client.generic(
        "POST",
        reverse("login"),
        "username=nadia&password=x".encode("utf-16"),
        content_type="application/x-www-form-urlencoded; charset=utf-16",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 400
    assert "character set other than UTF-8" in response.content.decode()


def test_a_server_error_shows_a_page_without_the_patients_data(
    settings, monkeypatch, trial_in, client_for, nurse
):
    settings.DEBUG = False
    trial = trial_in("preparation")
    patient = trial.patient

    def fail(*args, **kwargs):
        raise RuntimeError(f"failed for {patient.full_name} {patient.mrn}")

    monkeypatch.setattr(pages.presenters, "trial_context", fail)
    client = client_for(nurse)
    client.raise_request_exception = False
    response = client.get(reverse("trials:detail", args=[trial.pk]))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert patient.last_name not in page and patient.mrn not in page
    assert "no-store" in response["Cache-Control"]


def test_a_bad_request_has_its_own_page(settings, client_for, nurse):
    settings.DEBUG = False
    client = client_for(nurse)
    client.raise_request_exception = False
    response = client.post(reverse("login"), "%", content_type="multipart/form-data; boundary=")
    assert response.status_code == 400
    assert "The request could not be read" in response.content.decode()
