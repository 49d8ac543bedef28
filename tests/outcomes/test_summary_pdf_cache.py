"""The summary PDF from the cache (trials/outcomes/summary_pdf.py): a PDF is laid out once per
version of the record; a second download of an unchanged trial is served from the cache; any
change to the record gives a new PDF with it; two trials never share one; every download is
still checked and audited.

`layouts` stands in for WeasyPrint and keeps the HTML of each layout, so these tests read what
was laid out and count the layouts; the last test lays out a real PDF.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from patients.services import patient_update
from tests.pdf_reader import pages
from trials.models import SiteSettings
from trials.outcomes import summary, summary_pdf

from .test_amended_exports import amend


@pytest.fixture
def layouts(monkeypatch) -> list[str]:
    """The HTML of each layout, in order. The stand-in PDF is that HTML's bytes."""
    made: list[str] = []

    def write_pdf(html: str, files: dict[str, bytes]) -> bytes:
        made.append(html)
        return b"%PDF-stand-in\n" + html.encode()

    monkeypatch.setattr(summary_pdf, "write_pdf", write_pdf)
    return made


def download(client, trial):
    response = client.get(reverse("trials:summary_pdf", args=[trial.pk]))
    assert response.status_code == 200
    return response.content


def test_a_second_download_of_an_unchanged_trial_is_not_laid_out_again(
    client_for, nurse, neurologist, cohort, layouts
):
    first = download(client_for(nurse), cohort.pump)
    with time_machine.travel(timezone.now() + timedelta(minutes=50)):
        second = download(client_for(neurologist), cohort.pump)

    assert len(layouts) == 1
    assert second == first


def test_a_pdf_is_kept_an_hour_from_its_layout(client_for, nurse, cohort, layouts):
    download(client_for(nurse), cohort.pump)
    with time_machine.travel(timezone.now() + timedelta(seconds=summary_pdf.CACHE_SECONDS + 1)):
        download(client_for(nurse), cohort.pump)  # signed in again: the session has timed out

    assert len(layouts) == 2


def test_a_new_adverse_event_gives_a_new_pdf_with_it(
    client_for, nurse, cohort, adverse_event, layouts
):
    client = client_for(nurse)
    before = download(client, cohort.non_responder)
    adverse_event(cohort.non_responder, kind="seizure", severity="severe")
    after = download(client, cohort.non_responder)

    assert len(layouts) == 2
    assert b"Severe: Seizure (attempt 1)" not in before
    assert b"Severe: Seizure (attempt 1)" in after


def test_an_amendment_gives_a_new_pdf_with_the_amended_value(
    client_for, nurse, neurologist, trial_in, layouts
):
    trial = trial_in("follow_up")
    client = client_for(nurse)
    download(client, trial)
    amend(trial, neurologist, discarded_mcg=Decimal(25))
    after = download(client, trial)

    assert len(layouts) == 2
    assert b"25.0 mcg (amended; see Amendments)" in after


def test_a_patient_renamed_gives_a_new_pdf_with_the_new_name(client_for, nurse, cohort, layouts):
    client = client_for(nurse)
    download(client, cohort.pump)
    patient_update(actor=nurse, patient_id=cohort.pump.patient_id, data={"last_name": "Okonkwo"})
    after = download(client, cohort.pump)

    assert len(layouts) == 2
    assert b"Okonkwo, " in after


def test_two_trials_never_share_a_pdf(client_for, nurse, cohort, layouts):
    client = client_for(nurse)
    pump, child = download(client, cohort.pump), download(client, cohort.non_responder)

    assert len(layouts) == 2
    assert f"ITB trial #{cohort.pump.pk} ".encode() in pump
    assert f"ITB trial #{cohort.non_responder.pk} ".encode() in child
    assert f"ITB trial #{cohort.pump.pk} ".encode() not in child


def test_every_download_is_audited_the_cached_ones_too(
    client_for, nurse, neurologist, cohort, layouts
):
    download(client_for(nurse), cohort.pump)
    download(client_for(neurologist), cohort.pump)

    rows = AuditEvent.objects.filter(action="export", trial=cohort.pump).order_by("pk")
    assert len(layouts) == 1
    assert [(r.actor, r.summary) for r in rows] == [
        (nurse, f"Exported summary PDF of trial #{cohort.pump.pk}."),
        (neurologist, f"Exported summary PDF of trial #{cohort.pump.pk}."),
    ]


def test_a_download_from_the_cache_is_still_refused_to_who_may_not_read_it(
    client, client_for, nurse, cohort, layouts
):
    url = reverse("trials:summary_pdf", args=[cohort.pump.pk])
    download(client_for(nurse), cohort.pump)
    no_role = User.objects.create_user(username="visitor", password="x", role="")

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    assert client_for(no_role).get(url).status_code == 403
    assert client_for(nurse).get(reverse("trials:summary_pdf", args=[999999])).status_code == 404
    assert len(layouts) == 1


def test_the_cache_costs_no_query(client_for, nurse, cohort, layouts, clock_stands_still):
    client = client_for(nurse)
    download(client, cohort.preparing)  # the client's first request may do more than later ones
    with CaptureQueriesContext(connection) as laid_out:
        download(client, cohort.pump)
    with CaptureQueriesContext(connection) as cached:
        download(client, cohort.pump)

    assert len(layouts) == 2
    assert len(cached) == len(laid_out)


def test_the_pdf_reads_nothing_but_the_stylesheets_in_its_key():
    css = summary_pdf.BASE_URL + "static/css/summary_pdf.css"
    fetch = summary_pdf.LinkedFiles({css: b"@page { size: A4 }"})

    assert fetch(css).read() == b"@page { size: A4 }"
    with pytest.raises(ValueError, match="reads only the stylesheets its HTML links"):
        fetch(summary_pdf.BASE_URL + "static/css/curves.css")


def test_a_changed_stylesheet_changes_the_key():
    css = summary_pdf.BASE_URL + "static/css/summary_pdf.css"
    html = f'<link rel="stylesheet" href="{css}">'

    assert summary_pdf.linked_files(html) == {css: summary_pdf.read_static(css)}
    assert summary_pdf.cache_key(html, {css: b"h1 { color: red }"}) != summary_pdf.cache_key(
        html, {css: b"h1 { color: blue }"}
    )


def test_the_pdf_served_from_the_cache_is_the_one_laid_out(client_for, nurse, cohort, monkeypatch):
    calls = []
    write_pdf = summary_pdf.write_pdf

    def spy(html, files):
        calls.append(html)
        return write_pdf(html, files)

    monkeypatch.setattr(summary_pdf, "write_pdf", spy)
    first = download(client_for(nurse), cohort.non_responder)
    second = download(client_for(nurse), cohort.non_responder)

    assert len(calls) == 1
    assert second == first
    with timezone.override(SiteSettings.current().time_zone):
        as_of = summary.when(summary.last_change(cohort.non_responder))
    assert f"record as of {as_of}" in pages(second)[0]
