"""An amended signed record is what billing, the summary, the CSV and FHIR show, with the
amendment noted (who, when, why); the signed record itself is kept."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from tests import factories
from tests.conftest import PASSWORD
from tests.module_data import check_deferred
from trials.models import DoseAttempt, Trial
from trials.outcomes import summary
from trials.services.amendments import current_value, record_amend
from trials.services.snapshot import TrialSnapshot

from .test_fhir import of_type

REASON = "Second ampule opened and discarded; miscounted at signing"


def amend(trial, neurologist, reason=REASON, **values):
    attempt = trial.attempts.order_by("number").first()
    return record_amend(
        trial_id=trial.pk,
        attempt_id=attempt.pk,
        record="injection",
        actor=neurologist,
        password=PASSWORD,
        values=values,
        reason=reason,
    )


@pytest.fixture(scope="module")
def module_amended(module_team, django_db_blocker) -> int:
    """A 50 mcg dose signed with nothing discarded, then amended to 50 mcg discarded."""
    with django_db_blocker.unblock():
        trial = factories.build_trial("follow_up", module_team, factories.make_patient())
        amend(trial, module_team.neurologist, discarded_mcg=Decimal(50))
        check_deferred()
        return trial.pk


@pytest.fixture
def amended(db, module_amended) -> Trial:
    return Trial.objects.get(pk=module_amended)


def test_the_signed_record_keeps_its_value_and_the_current_value_is_the_amended_one(amended):
    attempt = DoseAttempt.objects.prefetch_related("amendments").get(trial=amended)
    current = current_value(attempt, "discarded_mcg")

    assert attempt.discarded_mcg == Decimal(0)  # as signed
    assert current.value == Decimal(50)
    assert current.display == "50.0"
    assert current.amendment.reason == REASON


def test_a_field_never_amended_is_the_signed_value(amended):
    attempt = DoseAttempt.objects.prefetch_related("amendments").get(trial=amended)

    current = current_value(attempt, "lot")
    assert (current.value, current.amendment) == (attempt.lot, None)


def test_the_newest_amendment_wins(amended, neurologist):
    amend(amended, neurologist, reason="Only part of the second ampule", discarded_mcg="25.0")
    attempt = DoseAttempt.objects.prefetch_related("amendments").get(trial=amended)

    current = current_value(attempt, "discarded_mcg")
    assert current.value == Decimal(25)
    assert current.amendment.reason == "Only part of the second ampule"


def test_billing_uses_the_amended_discarded_amount(amended):
    data = summary.build(TrialSnapshot.load(amended.pk))

    (block,) = data.billing
    assert [line.text for line in block.lines] == [
        "J0476 × 1 (50 mcg given)",
        "J0476-JW × 1 (50 mcg discarded)",
    ]
    (note,) = block.amended
    assert "Amount discarded (mcg) amended from 0.0 to 50.0 by Hugo Lindqvist" in note
    assert note.endswith(REASON)


def test_the_summary_shows_the_amended_value_marked_as_amended(amended):
    data = summary.build(TrialSnapshot.load(amended.pk))
    facts = dict(data.attempts[0].facts)

    assert facts["Discarded"] == "50.0 mcg (amended; see Amendments)"
    assert "(amended" not in facts["Product"]
    (row,) = data.amendments.rows
    assert row[3:5] == ["0.0", "50.0"] and row[-1] == REASON


def test_the_summary_page_and_pdf_show_the_amended_billing(amended, client_for, nurse):
    client = client_for(nurse)
    html = client.get(reverse("trials:summary", args=[amended.pk])).content.decode()

    assert "J0476-JW" in html
    assert "billed from the amended record" in html
    assert client.get(reverse("trials:summary_pdf", args=[amended.pk])).status_code == 200


def test_an_amended_imaging_changes_the_cpt_code(trial_in, neurologist):
    trial = trial_in("follow_up")
    amend(trial, neurologist, image_guidance=True, radiologist="Dr Ines Moreau")

    (block,) = summary.build(TrialSnapshot.load(trial.pk)).billing
    assert block.cpt == "62323"


def attempt_rows(client) -> list[dict]:
    response = client.get(reverse("trials:outcomes_csv"), {"sheet": "attempts"})
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_csv_exports_the_amended_values_and_names_the_amendment(
    amended, trial_in, client_for, admin_user
):
    plain = trial_in("follow_up")
    rows = {int(r["trial_id"]): r for r in attempt_rows(client_for(admin_user))}

    row = rows[amended.pk]
    assert (row["discarded_mcg"], row["j0476_units"], row["j0476_jw_units"]) == ("50.0", "1", "1")
    assert row["j0476_modifier"] == ""  # the JW line is the second one
    assert "Amount discarded (mcg) amended from 0.0 to 50.0" in row["amendments"]
    assert "by Hugo Lindqvist (neurologist)" in row["amendments"]
    assert row["amendments"].endswith(REASON)
    untouched = rows[plain.pk]
    assert (untouched["discarded_mcg"], untouched["j0476_modifier"]) == ("0.0", "JZ")
    assert untouched["amendments"] == ""


def test_the_csv_joins_several_amendments_of_one_attempt(amended, neurologist, client_for):
    amend(amended, neurologist, reason="Lot misread", lot="LOT-2292")

    (row,) = attempt_rows(client_for(neurologist))
    assert row["amendments"].count(" | ") == 1
    assert "Lot misread" in row["amendments"]


@pytest.fixture
def fhir(amended, client_for, nurse) -> dict:
    response = client_for(nurse).get(reverse("trials:fhir", args=[amended.pk]))
    return json.loads(response.content)


def test_fhir_exports_the_amended_value_with_a_note_saying_so(fhir):
    (med,) = of_type(fhir, "MedicationAdministration")

    texts = [n.text for n in med.note]
    assert "Discarded 50.0 mcg" in texts[0]
    amended_note = next(t for t in texts if t.startswith("Amended:"))
    assert "from 0.0 to 50.0 by Hugo Lindqvist" in amended_note
    assert REASON in amended_note
    assert med.note[1].authorReference.display == "Hugo Lindqvist"


def test_fhir_has_a_provenance_for_the_amendment(fhir):
    (med,) = of_type(fhir, "MedicationAdministration")
    updates = [
        p
        for p in of_type(fhir, "Provenance")
        if p.activity.coding and p.activity.coding[0].code == "UPDATE"
    ]

    (update,) = updates
    assert update.target[0].reference == f"urn:uuid:{med.id}"
    assert update.reason[0].text == REASON
    assert update.signature[0].type[0].code == "1.2.840.10065.1.12.1.16"
    assert update.agent[0].who.display == "Hugo Lindqvist"


def test_an_amended_procedure_field_is_noted_on_the_procedure(trial_in, neurologist, client_for):
    trial = trial_in("follow_up")
    amend(trial, neurologist, reason="Level misread from the image", spinal_level="L4-L5")

    bundle = json.loads(
        client_for(neurologist).get(reverse("trials:fhir", args=[trial.pk])).content
    )
    (proc,) = of_type(bundle, "Procedure")
    assert proc.bodySite[0].text == "Lumbar interspace L4–L5"
    assert proc.note[0].text.startswith("Spinal level L4–L5")
    assert any("Level misread" in n.text for n in proc.note)
    assert not any(
        n.text.startswith("Amended:") for n in of_type(bundle, "MedicationAdministration")[0].note
    )
