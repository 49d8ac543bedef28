"""The trial summary for the medical record: print page and PDF, for every role."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from trials.models import Signature
from trials.outcomes import summary
from trials.services.snapshot import TrialSnapshot


@pytest.mark.parametrize("role", ["nurse", "neurologist", "admin_user"])
def test_every_role_may_read_the_summary(request, client_for, cohort, role):
    trial = cohort.pump  # completed
    client = client_for(request.getfixturevalue(role))

    assert client.get(reverse("trials:summary", args=[trial.pk])).status_code == 200
    assert client.get(reverse("trials:summary_pdf", args=[trial.pk])).status_code == 200


def test_anonymous_is_sent_to_login(client, cohort):
    trial = cohort.pump  # completed

    assert client.get(reverse("trials:summary", args=[trial.pk])).status_code == 302


def test_a_missing_trial_is_not_found(client_for, nurse):
    assert client_for(nurse).get(reverse("trials:summary", args=[999999])).status_code == 404


def test_the_page_holds_the_whole_record(client_for, admin_user, cohort):
    trial = cohort.pump
    html = client_for(admin_user).get(reverse("trials:summary", args=[trial.pk])).content.decode()

    for text in (
        trial.patient.mrn, "Indication and goals", "Preparation", "Attempt 1 · 50 mcg",
        "Attempt 2 · 75 mcg", "Spinal level", "L3–L4", "Pencil-point", "Image guidance",
        "Vital signs", "Modified Ashworth Scale", "Hip flexors (left)", "Penn Spasm Frequency",
        "Adverse events", "Decision and outcome", "Pump candidate", "150 mcg/day", "Signatures",
        "Billing", "J0476", "JZ", "CPT 62322",
    ):  # fmt: skip
        assert text in html, text
    for signature in Signature.objects.filter(trial=trial):
        assert signature.printed_name in html
        assert signature.statement in html


def test_every_signature_is_listed_with_name_time_and_meaning(cohort):
    data = summary.build(TrialSnapshot.load(cohort.pump.pk))
    signatures = Signature.objects.filter(trial=cohort.pump)

    assert len(data.signatures.rows) == signatures.count() == 8
    expected = {(s.printed_name, s.meaning, summary.when(s.signed_at)) for s in signatures}
    assert {(row[1], row[3], row[0]) for row in data.signatures.rows} == expected


def test_mas_table_sets_baseline_against_each_post_dose_time(cohort):
    data = summary.build(TrialSnapshot.load(cohort.pump.pk))

    assert data.mas.headers == [
        "Muscle group", "Baseline", "#1 · 50 mcg 2 h", "#1 · 50 mcg 4 h", "#2 · 75 mcg 2 h",
        "#2 · 75 mcg 4 h",
    ]  # fmt: skip
    assert data.mas.rows[0] == ["Hip flexors (left)", "3", "3", "3", "1+", "1+"]


def test_billing_block_has_one_line_per_dose_given(cohort):
    data = summary.build(TrialSnapshot.load(cohort.pump.pk))

    assert [([line.text for line in b.lines], b.cpt) for b in data.billing] == [
        (["J0476-JZ × 1 (50 mcg given, nothing discarded)"], "62322"),
        (["J0476-JZ × 2 (75 mcg given, nothing discarded)"], "62322"),
    ]


def test_pdf_download_is_a_pdf_and_is_recorded(client_for, nurse, cohort):
    response = client_for(nurse).get(reverse("trials:summary_pdf", args=[cohort.pump.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF-")
    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.trial_id) == (nurse, cohort.pump.pk)


def test_a_trial_without_any_dose_has_a_summary(client_for, nurse, cohort):
    response = client_for(nurse).get(reverse("trials:summary_pdf", args=[cohort.preparing.pk]))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
