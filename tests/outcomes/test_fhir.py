"""FHIR R4 export: every resource is validated with the R4B models of fhir.resources."""

import json

import pytest
from django.urls import reverse
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from audit.models import AuditEvent
from trials.models import Signature, VitalSigns
from trials.outcomes.fhir import SPASTICITY

SNOMED, LOINC = "http://snomed.info/sct", "http://loinc.org"


def validate(resource: dict):
    """Parse with the resource's own R4B model (raises on any invalid or unknown element)."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def codes(concept) -> set[tuple[str, str]]:
    return {(c.system, c.code) for c in concept.coding}


@pytest.fixture
def bundle(client_for, admin_user, cohort):
    response = client_for(admin_user).get(reverse("trials:fhir", args=[cohort.pump.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    return json.loads(response.content)


def of_type(bundle: dict, kind: str) -> list:
    return [
        validate(e["resource"]) for e in bundle["entry"] if e["resource"]["resourceType"] == kind
    ]


def test_the_bundle_and_every_resource_are_valid_r4(bundle):
    parsed = Bundle.model_validate(bundle)

    assert parsed.type == "collection"
    for entry in bundle["entry"]:
        validate(entry["resource"])
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"


def test_every_reference_resolves_inside_the_bundle(bundle):
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    references = []

    def walk(node):
        if isinstance(node, dict):
            if "reference" in node:
                references.append(node["reference"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(bundle["entry"])
    assert references
    assert set(references) <= full_urls


def test_patient(bundle, cohort):
    (patient,) = of_type(bundle, "Patient")

    assert patient.identifier[0].value == cohort.pump.patient.mrn
    assert patient.birthDate.isoformat() == cohort.pump.patient.date_of_birth.isoformat()
    assert patient.gender == "female"


def test_one_procedure_per_dose_given(bundle):
    procedures = of_type(bundle, "Procedure")

    assert len(procedures) == 2
    for procedure in procedures:
        assert (SNOMED, "277762005") in codes(procedure.code)
        assert (SNOMED, "221360009") in codes(procedure.reasonCode[0])
        assert procedure.status == "completed"


def test_medication_administration_of_intrathecal_baclofen(bundle):
    doses = sorted(m.dosage.dose.value for m in of_type(bundle, "MedicationAdministration"))

    assert doses == [50, 75]
    for med in of_type(bundle, "MedicationAdministration"):
        assert (SNOMED, "387342009") in codes(med.medicationCodeableConcept)
        assert (SNOMED, "72607000") in codes(med.dosage.route)
        assert (med.dosage.dose.system, med.dosage.dose.code) == ("http://unitsofmeasure.org", "ug")


def test_vital_signs_with_loinc_codes(bundle, cohort):
    vitals = [
        o for o in of_type(bundle, "Observation")
        if o.category[0].coding[0].code == "vital-signs"
    ]  # fmt: skip
    rows = VitalSigns.objects.filter(attempt__trial=cohort.pump).count()

    assert len(vitals) == 5 * rows
    found = {code for o in vitals for _, code in codes(o.code)}
    assert {"8867-4", "85354-9", "8310-5", "9279-1", "59408-5"} <= found
    bp = next(o for o in vitals if (LOINC, "85354-9") in codes(o.code))
    assert {next(iter(codes(c.code)))[1] for c in bp.component} == {"8480-6", "8462-4"}
    assert all(c.valueQuantity.code == "mm[Hg]" for c in bp.component)


def test_mas_and_penn_scores_under_the_local_code_system(bundle):
    exam = [o for o in of_type(bundle, "Observation") if o.code.coding[0].system == SPASTICITY]
    mas = [o for o in exam if o.code.coding[0].code == "mas"]
    penn = [o for o in exam if o.code.coding[0].code.startswith("penn-")]

    # Baseline and four post-dose assessments, ten lower-limb grades each.
    assert len(mas) == 5 * 10
    assert {o.valueCodeableConcept.text for o in mas} == {"3", "1+"}
    assert len(penn) == 5 * 2


def test_signatures_are_provenance(bundle, cohort):
    provenances = of_type(bundle, "Provenance")
    signatures = Signature.objects.filter(trial=cohort.pump)

    assert len(provenances) == signatures.count()
    recorded = {p.recorded.isoformat() for p in provenances}
    assert recorded == {s.signed_at.isoformat() for s in signatures}
    for p in provenances:
        assert p.signature[0].type[0].system == "urn:iso-astm:E1762-95:2013"
        assert p.agent[0].who.display in {s.printed_name for s in signatures}


def test_every_role_may_read_a_trial_and_the_read_is_recorded(client_for, nurse, cohort):
    response = client_for(nurse).get(reverse("trials:fhir", args=[cohort.preparing.pk]))

    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="export", trial=cohort.preparing).exists()


def test_bulk_export_is_ndjson_of_valid_resources(client_for, neurologist, cohort):
    response = client_for(neurologist).get(reverse("trials:fhir_bulk"))
    lines = b"".join(response.streaming_content).decode().splitlines()
    resources = [json.loads(line) for line in lines]

    assert response["Content-Type"] == "application/fhir+ndjson"
    for resource in resources:
        validate(resource)
    episodes = [r for r in resources if r["resourceType"] == "EpisodeOfCare"]
    assert len(episodes) == len(cohort.all)
    ids = [(r["resourceType"], r["id"]) for r in resources]
    assert len(ids) == len(set(ids))  # a shared Practitioner is written once


def test_bulk_export_follows_the_filter_and_is_recorded(client_for, admin_user, cohort):
    response = client_for(admin_user).get(reverse("trials:fhir_bulk"), {"diagnosis": "cp"})
    resources = [json.loads(x) for x in b"".join(response.streaming_content).splitlines()]

    patients = [r for r in resources if r["resourceType"] == "Patient"]
    assert [p["identifier"][0]["value"] for p in patients] == [cohort.non_responder.patient.mrn]
    assert AuditEvent.objects.get(action="export").new["diagnosis"] == "cp"


def test_nurse_cannot_bulk_export(client_for, nurse):
    assert client_for(nurse).get(reverse("trials:fhir_bulk")).status_code == 403
