"""A trial as FHIR R4 resources (DOMAIN.md §5).

Patient; the trial as an EpisodeOfCare; per dose given a Procedure (SNOMED 277762005 lumbar
puncture, reason SNOMED 221360009 spasticity) and a MedicationAdministration (baclofen SNOMED
387342009, route intrathecal SNOMED 72607000, dose in UCUM ug); vital-sign Observations with
their LOINC codes; Modified Ashworth and Penn scores, the responder decisions and the outcome as
Observations under local code systems; each adverse event as an AdverseEvent (seriousness,
severity, onset, outcome, the attempt's Procedure and MedicationAdministration as suspects); each
signature as a Provenance; a Practitioner for each clinician named.

An amended record is exported as amended: the resources carry the current values, a note on
the resource says what was amended, and each amendment is a Provenance of its own (activity
UPDATE, the reason, the amender's modification signature).

Resource ids are UUIDs derived from the database ids, so every export of the same record carries
the same ids. In a Bundle the entries are addressed as urn:uuid: and refer to each other that
way; in NDJSON (bulk) references are relative ("Patient/<id>").
"""

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC
from html import escape

from django.utils import timezone

from trials import procedure
from trials.services.amendments import Current, amendment_note, current_values

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

Ref = Callable[[str, str], dict]


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
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


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


class TrialResources:
    """The resources of one trial loaded with Trial.objects.for_fhir()."""

    def __init__(self, trial, ref: Ref = bundle_ref):
        self.trial = trial
        self.ref = ref
        self.patient_id = resource_id("Patient", trial.patient_id)
        self.episode_id = resource_id("EpisodeOfCare", trial.pk)
        self.practitioners: dict[str, dict] = {}

    def _id(self, kind: str, pk) -> str:
        return resource_id(kind, pk)

    def practitioner(self, user) -> dict:
        rid = self._id("Practitioner", user.pk)
        if rid not in self.practitioners:
            name = {"text": user.printed_name}
            if user.last_name:
                name["family"] = user.last_name
            if user.first_name:
                name["given"] = [user.first_name]
            self.practitioners[rid] = {"resourceType": "Practitioner", "id": rid, "name": [name]}
        return self.ref("Practitioner", rid) | {"display": user.printed_name}

    @property
    def subject(self) -> dict:
        return self.ref("Patient", self.patient_id)

    def patient(self) -> dict:
        p = self.trial.patient
        return {
            "resourceType": "Patient",
            "id": self.patient_id,
            "identifier": [
                {
                    "type": concept(
                        "http://terminology.hl7.org/CodeSystem/v2-0203",
                        "MR",
                        "Medical record number",
                    ),
                    "system": MRN_SYSTEM,
                    "value": p.mrn,
                }
            ],
            "name": [{"family": p.last_name, "given": [p.first_name]}],
            "gender": p.sex,  # the Sex choices are FHIR's administrative-gender codes
            "birthDate": p.date_of_birth.isoformat(),
        }

    def episode(self) -> dict:
        t = self.trial
        period = {"start": t.referred_on.isoformat()}
        if t.closed_at:
            period["end"] = instant(t.closed_at)
        return {
            "resourceType": "EpisodeOfCare",
            "id": self.episode_id,
            "status": EPISODE_STATUS.get(t.status, "active"),
            "type": [{"text": "Intrathecal baclofen screening trial (HCPCS J0476)"}],
            "patient": self.subject,
            "period": period,
        }

    def current(self, a, names: tuple[str, ...]) -> dict[str, Current]:
        """The record's fields as they stand: amended values are the exported values."""
        return current_values({n: getattr(a, n) for n in names}, a.amendments.all())

    def amendment_notes(self, current: dict[str, Current]) -> list[dict]:
        """An Annotation per amended field: the export carries the amended value, this says so."""
        return [
            {
                "authorReference": self.practitioner(c.amendment.amended_by),
                "time": instant(c.amendment.amended_at),
                "text": f"Amended: {amendment_note(c.amendment)}",
            }
            for c in current.values()
            if c.amendment is not None
        ]

    def procedure(self, a) -> dict:
        cur = self.current(a, PROCEDURE_FIELDS)
        v = {name: c.display for name, c in cur.items()}
        details = [
            f"Spinal level {v['spinal_level'] or 'not recorded'}",
            f"needle {v['needle_type'] or 'not recorded'}"
            + (f" {v['needle_gauge']} G" if v["needle_gauge"] else ""),
            f"passes {v['passes'] or '–'}",
            f"clear CSF {v['clear_csf'] or 'not recorded'}",
            "image guidance "
            + (v["image_guidance"] or "no")
            + (f" ({v['radiologist']})" if v["radiologist"] else ""),
            f"assisting nurse {v['assisting_nurse'] or 'not recorded'}",
        ]
        notes = [{"text": "; ".join(details)}]
        if a.discharged_at:
            notes.append(
                {
                    "time": instant(a.discharged_at),
                    "text": "Discharged"
                    + (f": {v['discharge_note']}" if v["discharge_note"] else ""),
                }
            )
        out = {
            "resourceType": "Procedure",
            "id": self._id("Procedure", a.pk),
            "status": "completed",
            "code": concept(
                SNOMED,
                "277762005",
                "Lumbar puncture",
                f"Intrathecal baclofen trial injection, attempt {a.number}",
            ),
            "subject": self.subject,
            "performedDateTime": instant(a.given_at),
            "reasonCode": [concept(SNOMED, "221360009", "Spasticity")],
            "note": notes + self.amendment_notes(cur),
        }
        if v["spinal_level"]:
            out["bodySite"] = [{"text": f"Lumbar interspace {v['spinal_level']}"}]
        if a.performed_by:
            out["performer"] = [{"actor": self.practitioner(a.performed_by)}]
        return out

    def medication(self, a) -> dict:
        cur = self.current(a, MEDICATION_FIELDS)
        v = {name: c.display for name, c in cur.items()}
        seconds = f" over {v['duration_seconds']} s" if v["duration_seconds"] else ""
        note = []
        if v["lot"]:
            note.append(f"{v['product']}, lot {v['lot']}, expiry {v['expiry']}")
        if v["concentration_mcg_ml"]:
            note.append(f"{v['concentration_mcg_ml']} mcg/mL")
        note.append(
            f"Discarded {v['discarded_mcg']} mcg"
            if v["discarded_mcg"]
            else "Discarded amount not recorded"
        )
        out = {
            "resourceType": "MedicationAdministration",
            "id": self._id("MedicationAdministration", a.pk),
            "status": "completed",
            "medicationCodeableConcept": concept(
                SNOMED, "387342009", "Baclofen", v["product"] or "Baclofen intrathecal"
            ),
            "subject": self.subject,
            "context": self.ref("EpisodeOfCare", self.episode_id),
            "effectiveDateTime": instant(a.given_at),
            "partOf": [self.ref("Procedure", self._id("Procedure", a.pk))],
            "dosage": {
                "text": f"{a.dose_mcg} mcg intrathecal bolus by barbotage{seconds}",
                "route": concept(SNOMED, "72607000", "Intrathecal route"),
                "dose": quantity(a.dose_mcg, "ug", "ug"),
            },
            "note": [{"text": "; ".join(note)}, *self.amendment_notes(cur)],
        }
        if a.performed_by:
            out["performer"] = [{"actor": self.practitioner(a.performed_by)}]
        return out

    def _observation(self, key: str, *, code: dict, category: str, when, by, **rest) -> dict:
        out = {
            "resourceType": "Observation",
            "id": self._id("Observation", key),
            "status": "final",
            "category": [
                concept(OBSERVATION_CATEGORY, category, category.replace("-", " ").title())
            ],
            "code": code,
            "subject": self.subject,
            "effectiveDateTime": instant(when),
        }
        if by is not None:
            out["performer"] = [self.practitioner(by)]
        return out | rest

    def vitals(self, a) -> list[dict]:
        part_of = [self.ref("Procedure", self._id("Procedure", a.pk))]
        return [obs for v in a.vitals.all() for obs in self._vital_signs(v, part_of)]

    def _vital_signs(self, v, part_of: list[dict]) -> list[dict]:
        """The five vital-sign Observations of one VitalSigns row (LOINC codes, UCUM units)."""
        values = {
            "hr": {"valueQuantity": quantity(v.heart_rate, "beats/minute", "/min")},
            "bp": {
                "component": [
                    {"code": concept(LOINC, "8480-6", "Systolic blood pressure"),
                     "valueQuantity": quantity(v.systolic, "mmHg", "mm[Hg]")},
                    {"code": concept(LOINC, "8462-4", "Diastolic blood pressure"),
                     "valueQuantity": quantity(v.diastolic, "mmHg", "mm[Hg]")},
                ]
            },
            "temp": {"valueQuantity": quantity(float(v.temperature_c), "C", "Cel")},
            "rr": {"valueQuantity": quantity(v.respiratory_rate, "breaths/minute", "/min")},
            "spo2": {"valueQuantity": quantity(v.spo2, "%", "%")},
        }  # fmt: skip
        return [
            self._observation(
                f"vitals/{v.pk}/{name}",
                code=VITAL_CODES[name],
                category="vital-signs",
                when=v.recorded_at,
                by=v.recorded_by,
                partOf=part_of,
                **value,
            )
            for name, value in values.items()
        ]

    def scores(self, attempt_ids: set[int]) -> list[dict]:
        return [
            obs for a in self.trial.assessments.all() for obs in self._assessment(a, attempt_ids)
        ]

    def _assessment(self, a, attempt_ids: set[int]) -> list[dict]:
        """One Observation per MAS grade, plus Penn frequency (and severity when spasms)."""
        extra = {}
        if a.attempt_id is None:
            extra["note"] = [{"text": "Baseline, before the trial dose"}]
        else:
            extra["note"] = [{"text": f"{a.minutes_after} min after the injection"}]
            if a.attempt_id in attempt_ids:
                extra["partOf"] = [self.ref("Procedure", self._id("Procedure", a.attempt_id))]
        items = [
            (
                f"mas/{s.group}/{s.side}",
                concept(SPASTICITY, "mas", "Modified Ashworth Scale"),
                {
                    "bodySite": {"text": f"{procedure.MUSCLE_GROUP_LABELS[s.group]}, {s.side}"},
                    "valueCodeableConcept": concept(
                        SPASTICITY, f"mas-{s.grade}", f"MAS {s.grade}", s.grade
                    ),
                },
            )
            for s in a.scores.all()
        ]
        items.append(("penn-frequency", PENN_FREQUENCY, {"valueInteger": a.penn_frequency}))
        if a.penn_severity is not None:
            items.append(("penn-severity", PENN_SEVERITY, {"valueInteger": a.penn_severity}))
        return [
            self._observation(
                f"assessment/{a.pk}/{key}",
                code=code,
                category="exam",
                when=a.assessed_at,
                by=a.assessed_by,
                **extra,
                **value,
            )
            for key, code, value in items
        ]

    def decision(self, a) -> dict:
        extra = {"partOf": [self.ref("Procedure", self._id("Procedure", a.pk))]}
        if a.decision_reason:
            extra["note"] = [{"text": a.decision_reason}]
        return self._observation(
            f"decision/{a.pk}",
            code=concept(ITB_TRIAL, "responder", f"Responder to {a.dose_mcg} mcg (neurologist)"),
            category="exam",
            when=a.decided_at,
            by=a.decided_by,
            valueBoolean=a.responder,
            **extra,
        )

    def outcome(self) -> dict:
        t = self.trial
        extra = {"note": [{"text": t.outcome_note}]} if t.outcome_note else {}
        label = t.get_outcome_display()
        return self._observation(
            f"outcome/{t.pk}",
            code=concept(ITB_TRIAL, "trial-outcome", "ITB trial outcome"),
            category="exam",
            when=t.closed_at,
            by=None,
            valueCodeableConcept=concept(ITB_TRIAL, t.outcome, label, label),
            **extra,
        )

    def provenance(self, sig, targets: list[dict]) -> dict:
        code, display, participant = SIGNATURE_TYPES.get(sig.meaning, SIGNATURE_TYPES["approved"])
        who = self.practitioner(sig.signer)
        return {
            "resourceType": "Provenance",
            "id": self._id("Provenance", sig.pk),
            "target": targets,
            "recorded": instant(sig.signed_at),
            "activity": {"text": sig.statement},
            "agent": [
                {
                    "type": concept(PARTICIPANT_TYPE, participant, participant.title()),
                    "role": [{"text": sig.signer_role}],
                    "who": who,
                }
            ],
            "signature": [
                {
                    "type": [coding(SIGNATURE_TYPE, code, display)],
                    "when": instant(sig.signed_at),
                    "who": who,
                }
            ],
        }

    def adverse_event(self, event, suspects: list[dict]) -> dict:
        """One adverse event with the attempt's Procedure (and its baclofen) as suspect."""
        label, severity = event.get_kind_display(), event.get_severity_display()
        resolved = event.resolved_at is not None
        outcome = "not resolved"
        extension = []
        if event.action_taken:
            extension.append({"url": AE_ACTION_TAKEN, "valueString": event.action_taken})
        if resolved:
            outcome = f"resolved {local(event.resolved_at)}"
            extension.append({"url": AE_RESOLVED_AT, "valueDateTime": instant(event.resolved_at)})
        if event.resolution:
            outcome += f": {event.resolution}"
            extension.append({"url": AE_RESOLUTION, "valueString": event.resolution})
        facts = [
            f"{label}, {severity.lower()}, onset {local(event.onset_at)}",
            f"action taken: {event.action_taken or 'none recorded'}",
            outcome,
        ]
        out = {
            "resourceType": "AdverseEvent",
            "id": self._id("AdverseEvent", event.pk),
            "text": narrative("; ".join(facts) + "."),
            "actuality": "actual",
            "event": concept(ITB_ADVERSE_EVENT, event.kind, label, label),
            "subject": self.subject,
            "date": instant(event.onset_at),
            "recordedDate": instant(event.entered_at),
            "seriousness": concept(AE_SERIOUSNESS, *SERIOUSNESS[event.is_severe], severity),
            "severity": concept(AE_SEVERITY, *SEVERITY[event.severity], severity),
            "outcome": concept(
                AE_OUTCOME, *(("resolved", "Resolved") if resolved else ("ongoing", "Ongoing"))
            ),
            "recorder": self.practitioner(event.recorded_by),
            "suspectEntity": [{"instance": ref} for ref in suspects],
        }
        if extension:
            out["extension"] = extension
        return out

    def amendment_provenance(self, amendment, targets: list[dict]) -> dict:
        """A signed amendment: who corrected which record, when and why (activity UPDATE)."""
        who = self.practitioner(amendment.amended_by)
        return {
            "resourceType": "Provenance",
            "id": self._id("Provenance", f"amendment/{amendment.pk}"),
            "target": targets,
            "recorded": instant(amendment.amended_at),
            "reason": [{"text": amendment.reason}],
            "activity": concept(DATA_OPERATION, "UPDATE", "revise", amendment_note(amendment)),
            "agent": [
                {
                    "type": concept(PARTICIPANT_TYPE, "author", "Author"),
                    "role": [{"text": amendment.signer_role}],
                    "who": who,
                }
            ],
            "signature": [
                {
                    "type": [coding(SIGNATURE_TYPE, *MODIFICATION_SIGNATURE)],
                    "when": instant(amendment.amended_at),
                    "who": who,
                }
            ],
        }

    def resources(self) -> list[dict]:
        t = self.trial
        out = [self.patient(), self.episode()]
        targets = {("preparation", None): [self.ref("EpisodeOfCare", self.episode_id)]}
        given = [a for a in t.attempts.all() if a.given_at is not None]
        for a in given:
            proc, med = self.procedure(a), self.medication(a)
            out += [proc, med, *self.vitals(a)]
            proc_ref = self.ref("Procedure", proc["id"])
            targets[("injection", a.pk)] = [
                proc_ref,
                self.ref("MedicationAdministration", med["id"]),
            ]
            targets[("discharge", a.pk)] = [proc_ref]
            suspects = [proc_ref, self.ref("MedicationAdministration", med["id"])]
            out += [self.adverse_event(e, suspects) for e in a.adverse_events.all()]
            for amendment in a.amendments.all():
                target = med if amendment.field in MEDICATION_FIELDS else proc
                ref = self.ref(target["resourceType"], target["id"])
                out.append(self.amendment_provenance(amendment, [ref]))
            targets[("decision", a.pk)] = [proc_ref]
            if a.responder is not None:
                decision = self.decision(a)
                out.append(decision)
                targets[("decision", a.pk)] = [self.ref("Observation", decision["id"])]
        out += self.scores({a.pk for a in given})
        targets[("close", None)] = [self.ref("EpisodeOfCare", self.episode_id)]
        if t.outcome and t.closed_at:
            outcome = self.outcome()
            out.append(outcome)
            targets[("close", None)] = [self.ref("Observation", outcome["id"])]
        for sig in t.signatures.all():
            target = targets.get((sig.kind, sig.attempt_id)) or [
                self.ref("EpisodeOfCare", self.episode_id)
            ]
            out.append(self.provenance(sig, target))
        return out + list(self.practitioners.values())


def trial_bundle(trial) -> dict:
    """The trial as a Bundle of type collection, entries addressed by urn:uuid."""
    resources = TrialResources(trial, bundle_ref).resources()
    return {
        "resourceType": "Bundle",
        "id": resource_id("Bundle", trial.pk),
        "type": "collection",
        "timestamp": instant(timezone.now()),
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def ndjson(trials: Iterable) -> Iterator[str]:
    """One resource per line for many trials; a Patient or Practitioner shared by several trials
    is written once."""
    seen: set[tuple[str, str]] = set()
    for trial in trials:
        lines = []
        for resource in TrialResources(trial, relative_ref).resources():
            key = (resource["resourceType"], resource["id"])
            if key in seen:
                continue
            if key[0] in ("Patient", "Practitioner"):
                seen.add(key)
            lines.append(json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n")
        yield "".join(lines)
