"""How current the summary is (trials/outcomes/summary.py): "record as of" the latest change to
the trial's record, its patient's details included, never the time it was read or printed; who
read it and when is in the audit trail instead.
"""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_bulk_append
from patients.services import patient_update
from tests.factories import clinic_today
from trials.models import SiteSettings
from trials.outcomes import summary
from trials.services import workflow


def as_of(trial):
    return summary.last_change(trial)


def test_the_record_is_as_of_its_latest_change(cohort):
    trial = cohort.non_responder
    latest = AuditEvent.objects.filter(trial=trial).exclude(action__in=["view", "export"])

    assert as_of(trial) == latest.order_by("-at").first().at
    assert summary.load(trial).as_of == summary.when(as_of(trial))


def test_reading_the_record_does_not_change_it(client_for, nurse, cohort):
    trial = cohort.pump
    before = as_of(trial)
    client = client_for(nurse)
    client.get(reverse("trials:summary", args=[trial.pk]))
    client.get(reverse("trials:summary_pdf", args=[trial.pk]))
    client.get(reverse("patients:detail", args=[trial.patient_id]))

    assert as_of(trial) == before


def test_a_change_to_the_patients_details_is_a_change_to_the_record(nurse, cohort):
    trial = cohort.pump
    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        patient_update(actor=nurse, patient_id=trial.patient_id, data={"allergies": "Latex"})

    assert as_of(trial) == later


def test_another_trial_of_the_same_patient_is_not(neurologist, cohort):
    closed = cohort.pump
    before = as_of(closed)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        workflow.trial_create(patient=closed.patient, actor=neurologist, referred_on=clinic_today())

    assert as_of(closed) == before


def test_the_page_and_the_pdf_say_it_and_name_no_time_of_printing(client_for, nurse, cohort):
    trial = cohort.pump
    page = client_for(nurse).get(reverse("trials:summary", args=[trial.pk])).content.decode()
    with timezone.override(SiteSettings.current().time_zone):
        shown = summary.when(as_of(trial))

    assert f"record as of {shown}" in page
    assert "printed" not in page.lower()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's query plan")
def test_the_latest_change_is_read_first_however_many_downloads_and_views_came_after(nurse, cohort):
    # After the statistics are taken, the trial's PDF is downloaded and its patient's page
    # viewed 1,500 times each. At the server's default costs, each latest change must be read
    # from its partial index of changes, which holds no download or view to read and throw away.
    trial = cohort.pump
    before = as_of(trial)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE trials_auditevent")

    def row(action: str, **about) -> AuditEvent:
        return AuditEvent(actor=nurse, actor_name="N", action=action, summary="-", **about)

    audit_bulk_append(row("export", trial=trial, patient_id=trial.patient_id) for _ in range(1500))
    audit_bulk_append(row("view", patient_id=trial.patient_id) for _ in range(1500))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL random_page_cost = 4")
    reads = AuditEvent.objects.latest_record_changes(trial_id=trial.pk, patient_id=trial.patient_id)
    trials, patients = (rows[:1].explain() for rows in reads)

    assert as_of(trial) == before
    assert "audit_trial_record_changes" in trials
    assert "audit_patient_record_changes" in patients
    assert "Filter" not in trials + patients  # no download or view read and thrown away
