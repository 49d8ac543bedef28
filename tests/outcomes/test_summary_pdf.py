"""The summary PDF as a medical record (trials/outcomes/summary_pdf.py): who it is about on
every page, "Page x of y", the severe-event flag, a date on every time, the response curves,
and a tagged, accessible PDF (PDF/UA-1) that fetches nothing from outside.

The pump trial of the cohort: two attempts (50 and 75 mcg), vital signs 124/78 before and after.
"""

import pytest
from django.urls import reverse

from tests.pdf_reader import pages, reader, tags
from trials.models import Trial
from trials.outcomes import summary, summary_pdf


def pdf_of(trial) -> bytes:
    return summary_pdf.render(summary.load(trial))


@pytest.fixture(scope="module")
def pump_pdf(module_cohort, django_db_blocker) -> bytes:
    """The pump trial's PDF, rendered once for the tests that read it (it only reads the trial)."""
    with django_db_blocker.unblock():
        return pdf_of(Trial.objects.get(pk=module_cohort[0]))


def test_every_page_names_the_patient_and_counts_the_pages(cohort, pump_pdf):
    patient = cohort.pump.patient
    texts = pages(pump_pdf)

    assert len(texts) > 1
    for number, text in enumerate(texts, start=1):
        assert f"{patient.last_name}, {patient.first_name}" in text, number
        assert f"MRN {patient.mrn}" in text, number
        assert f"born {patient.date_of_birth.isoformat()}" in text, number
        assert f"Page {number} of {len(texts)}" in text, number


def test_a_severe_adverse_event_is_flagged_on_every_page(cohort, adverse_event):
    adverse_event(cohort.non_responder, kind="seizure", severity="severe")
    texts = pages(pdf_of(cohort.non_responder))

    assert "Severe adverse event recorded in this trial" in texts[0]
    assert "Severe: Seizure (attempt 1)" in texts[0]
    assert all("SEVERE ADVERSE EVENT RECORDED" in text for text in texts)


def test_no_severe_flag_without_a_severe_event(pump_pdf):
    assert not any("severe adverse event" in text.lower() for text in pages(pump_pdf))


def test_every_vital_sign_time_is_dated(cohort, pump_pdf):
    text = " ".join(pages(pump_pdf))

    for attempt in cohort.pump.attempts.all():
        for vitals in attempt.vitals.all():
            assert summary.when(vitals.recorded_at) in text


def test_the_response_curves_are_drawn_with_their_numbers(pump_pdf):
    text = " ".join(pages(pump_pdf))
    _, figures = tags(pump_pdf)

    assert "Response curves" in text
    assert "Mean lower-limb MAS after 75 mcg (attempt 2)" in text
    assert "responder level (fall ≥ 1.0)" in text
    assert "systolic" in text and "diastolic" in text and "pre-dose baseline" in text
    # each chart a figure whose text alternative says what it shows
    assert len(figures) == 4
    assert any(f.startswith("Mean lower-limb MAS after 75 mcg (attempt 2): baseline 3.00")
               for f in figures)  # fmt: skip
    assert any("pre-dose baseline BP 124/78" in f for f in figures)


def test_the_pdf_is_tagged_for_assistive_technology(cohort, pump_pdf):
    pdf = reader(pump_pdf)
    catalog = pdf.trailer["/Root"]
    counts, _ = tags(pump_pdf)

    assert bool(catalog["/MarkInfo"]["/Marked"]) is True
    assert catalog["/Lang"] == "en"
    assert pdf.metadata.title == f"ITB trial #{cohort.pump.pk} – {cohort.pump.patient.full_name}"
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"]) is True
    assert counts["/H1"] == 1 and counts["/H2"] >= 10
    assert counts["/Table"] >= 8 and counts["/TH"] > counts["/Table"] and counts["/TD"] > 100


def test_nothing_but_the_apps_static_files_is_fetched():
    css = summary_pdf.read_static(summary_pdf.BASE_URL + "static/css/summary_pdf.css")

    assert b"@page" in css
    for url in ("https://example.com/x.css", "file:///etc/passwd",
                summary_pdf.BASE_URL + "media/x.png",
                summary_pdf.BASE_URL + "static/../../config/settings.py"):  # fmt: skip
        with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal will do
            summary_pdf.read_static(url)


def test_every_page_says_how_current_the_record_is_and_none_when_it_was_printed(cohort, pump_pdf):
    texts = pages(pump_pdf)
    as_of = f"record as of {summary.when(summary.last_change(cohort.pump))}"

    assert all(as_of in text for text in texts)
    assert not any("printed" in text.lower() for text in texts)


def test_the_download_is_a_pdf_kept_out_of_caches(client_for, nurse, cohort):
    response = client_for(nurse).get(reverse("trials:summary_pdf", args=[cohort.pump.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert pages(response.content)[0].startswith("ITB trial #")
