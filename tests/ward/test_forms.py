"""The ward's forms: clinical words, no silent defaults, and times a clock can really show."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.views.support import html, local, vitals_post
from trials.forms import AssessmentForm, NextAttemptForm, VitalSignsForm
from trials.models import AdverseEvent, VitalSigns


@pytest.fixture
def observed(trial_in):
    return trial_in("observation")


def test_the_penn_frequency_has_no_default(db):
    form = AssessmentForm()
    assert form["penn_frequency"].value() in (None, "")
    assert "Choose the Penn spasm frequency" in str(
        AssessmentForm({"mas_hip_flexors_left": "2", "assessed_at": "2026-12-01T10:00"}).errors
    )


def test_an_adverse_event_resolved_before_its_onset_is_refused_in_clinical_words(
    observed, client_for, nurse
):
    now = timezone.now()
    response = client_for(nurse).post(
        reverse("trials:adverse_event", args=[observed.pk]),
        {"submission": uuid.uuid4(), "attempt_number": 1, "kind": "headache",
         "severity": "mild", "onset_at": local(now), "resolved_at": local(now - timedelta(hours=1)),
         "action_taken": "", "resolution": "Settled."},
    )  # fmt: skip
    page = html(response)
    assert response.status_code == 400
    assert "The resolution cannot be before the onset." in page
    assert "Constraint" not in page and "violated" not in page
    assert not AdverseEvent.objects.exists()


def test_a_vitals_form_without_its_submission_id_is_refused(observed, client_for, nurse):
    data = vitals_post()
    del data["submission"]
    response = client_for(nurse).post(reverse("trials:vitals", args=[observed.pk]), data)
    assert response.status_code == 400
    assert "This form is out of date; reload the page" in html(response)


def test_a_time_in_year_9999_is_refused_at_the_form(db):
    form = VitalSignsForm(vitals_post() | {"recorded_at": "9999-12-31T23:59"})
    assert form.errors["recorded_at"] == ["9999-12-31 is not a plausible date for this record."]


def test_the_repeated_hour_of_the_autumn_change_asks_which_one(db):
    # 2026-11-01 01:30 happened twice in New York (the clinic's default zone).
    with timezone.override("America/New_York"):
        form = VitalSignsForm(vitals_post() | {"recorded_at": "2026-11-01T01:30"})
        assert "happened twice that night" in form.errors["recorded_at"][0]
        assert 'type="radio"' in str(form["recorded_at_fold"])
        first = VitalSignsForm(vitals_post() | {"recorded_at": "2026-11-01T01:30",
                                                "recorded_at_fold": "0"})  # fmt: skip
        second = VitalSignsForm(vitals_post() | {"recorded_at": "2026-11-01T01:30",
                                                 "recorded_at_fold": "1"})  # fmt: skip
        assert first.is_valid() and second.is_valid()
    # (An ambiguous local time never compares equal across zones, PEP 495: compare in UTC.)
    assert first.cleaned_data["recorded_at"].astimezone(UTC) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )
    assert second.cleaned_data["recorded_at"].astimezone(UTC) == datetime(
        2026, 11, 1, 6, 30, tzinfo=UTC
    )


def test_a_time_that_never_existed_on_the_clock_is_refused(db):
    with timezone.override("America/New_York"):
        form = VitalSignsForm(vitals_post() | {"recorded_at": "2026-03-08T02:30"})
        assert "did not exist on the clinic's clock" in form.errors["recorded_at"][0]


def test_after_50_mcg_the_form_offers_every_dose_with_75_preselected(db):
    form = NextAttemptForm(last_dose=50)
    assert [d for d, _ in form.fields["dose_mcg"].choices] == [25, 50, 75, 100]
    assert form.initial["dose_mcg"] == 75
    assert "next step is 75 mcg" in form.fields["dose_mcg"].help_text


def test_a_vitals_note_is_shown_on_the_trial_page(observed, client_for, nurse):
    client = client_for(nurse)
    client.post(reverse("trials:vitals", args=[observed.pk]), vitals_post(note="Asleep, roused."))
    assert VitalSigns.objects.filter(note="Asleep, roused.").exists()
    assert "Asleep, roused." in html(client.get(observed.get_absolute_url()))
