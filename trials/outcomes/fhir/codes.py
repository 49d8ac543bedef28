"""Code systems, extension URLs and the small builders every FHIR resource here uses."""

import uuid
from datetime import UTC
from html import escape

from core import moments
from trials import procedure

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SPASTICITY = "https://itb-trials.example/fhir/CodeSystem/spasticity"
ITB_TRIAL = "https://itb-trials.example/fhir/CodeSystem/itb-trial"
MRN_SYSTEM = "https://itb-trials.example/fhir/NamingSystem/mrn"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
SIGNATURE_TYPE = "urn:iso-astm:E1762-95:2013"
CONTENT_TYPE = "application/fhir+json"
NDJSON_CONTENT_TYPE = "application/fhir+ndjson"

NAMESPACE = uuid.UUID("6f1c2a52-4b0e-4d55-9a0c-1b2f3e4d5a60")

# Signature meaning -> (ASTM E1762 signature type, provenance participant type).
SIGNATURE_TYPES = {
    "performed": ("1.2.840.10065.1.12.1.1", "Author's Signature", "performer"),
    "approved": ("1.2.840.10065.1.12.1.6", "Validation Signature", "verifier"),
    "reviewed": ("1.2.840.10065.1.12.1.13", "Review Signature", "verifier"),
}
MODIFICATION_SIGNATURE = ("1.2.840.10065.1.12.1.16", "Modification Signature")
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
# Where each field of the signed records is exported (and so where its amendment is noted).
MEDICATION_FIELDS = (
    "product", "concentration_mcg_ml", "lot", "expiry", "duration_seconds", "discarded_mcg",
)  # fmt: skip
PROCEDURE_FIELDS = tuple(
    name
    for record in procedure.AMENDABLE_FIELDS.values()
    for name in record
    if name not in MEDICATION_FIELDS
)
AE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
ITB_ADVERSE_EVENT = "https://itb-trials.example/fhir/CodeSystem/adverse-event"
EXTENSION = "https://itb-trials.example/fhir/StructureDefinition/"
AE_ACTION_TAKEN = EXTENSION + "adverse-event-action-taken"
AE_RESOLVED_AT = EXTENSION + "adverse-event-resolved-at"
AE_RESOLUTION = EXTENSION + "adverse-event-resolution"
AE_RESOLUTION_LATE = EXTENSION + "adverse-event-resolution-late-entry"
LATE_ENTRY = EXTENSION + "late-entry"
ENTERED_AT = EXTENSION + "entered-at"
DISCHARGE_EXCEPTION = EXTENSION + "discharge-exception"
# The app's severe and life-threatening events (the ones that must stand out) are exported as
# serious; FHIR R4 severity has no "life-threatening", so it is severe with the label as text.
SERIOUSNESS = {True: ("serious", "Serious"), False: ("non-serious", "Non-serious")}
SEVERITY = {
    "mild": ("mild", "Mild"),
    "moderate": ("moderate", "Moderate"),
    "severe": ("severe", "Severe"),
    "life_threatening": ("severe", "Severe"),
}
EPISODE_STATUS = {
    procedure.Phase.COMPLETED: "finished",
    procedure.Phase.CANCELLED: "cancelled",
}


def resource_id(kind: str, pk) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{pk}"))


def bundle_ref(kind: str, rid: str) -> dict:
    return {"reference": f"urn:uuid:{rid}"}


def relative_ref(kind: str, rid: str) -> dict:
    return {"reference": f"{kind}/{rid}"}


def instant(moment) -> str:
    return moment.astimezone(UTC).isoformat()


def local(moment) -> str:
    """A time as people read it: the clinic's zone, to the minute."""
    return moments.shown(moment)


def late_entry(note: str) -> dict:
    """{"extension": [...]} saying an entry is late (DOMAIN §2a), or {} when it is not."""
    return {"extension": [{"url": LATE_ENTRY, "valueString": note}]} if note else {}


def entered(moment) -> list[dict]:
    """The server time an entry was made, for resources that have no element for it."""
    return [{"url": ENTERED_AT, "valueDateTime": instant(moment)}] if moment else []


def narrative(text: str) -> dict:
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{escape(text)}</p></div>',
    }


def coding(system: str, code: str, display: str) -> dict:
    return {"system": system, "code": code, "display": display}


def concept(system: str, code: str, display: str, text: str = "") -> dict:
    out = {"coding": [coding(system, code, display)]}
    if text:
        out["text"] = text
    return out


def quantity(value, unit: str, code: str) -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


VITAL_CODES = {
    "hr": concept(LOINC, "8867-4", "Heart rate"),
    "bp": concept(LOINC, "85354-9", "Blood pressure panel with all children optional"),
    "temp": concept(LOINC, "8310-5", "Body temperature"),
    "rr": concept(LOINC, "9279-1", "Respiratory rate"),
    "spo2": {
        "coding": [
            coding(LOINC, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
            coding(LOINC, "2708-6", "Oxygen saturation in Arterial blood"),
        ]
    },
}
PENN_FREQUENCY = concept(SPASTICITY, "penn-frequency", "Penn Spasm Frequency Scale: frequency")
PENN_SEVERITY = concept(SPASTICITY, "penn-severity", "Penn Spasm Frequency Scale: severity")
