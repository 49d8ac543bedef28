"""The resources of one trial: Patient, EpisodeOfCare, per dose a Procedure and a
MedicationAdministration, and the Observations (vital signs, scores, decisions, outcome)."""

from collections.abc import Callable

from trials import procedure
from trials.late import entry_note
from trials.services.amendments import Current, amendment_note, current_values

from . import events
from .codes import (
    DISCHARGE_EXCEPTION,
    EPISODE_STATUS,
    ITB_TRIAL,
    LOINC,
    MEDICATION_FIELDS,
    MRN_SYSTEM,
    OBSERVATION_CATEGORY,
    PENN_FREQUENCY,
    PENN_SEVERITY,
    PROCEDURE_FIELDS,
    SNOMED,
    SPASTICITY,
    VITAL_CODES,
    bundle_ref,
    concept,
    entered,
    instant,
    late_entry,
    quantity,
    resource_id,
)

Ref = Callable[[str, str], dict]


class TrialResources:
    """The resources of one trial loaded with Trial.objects.for_fhir()."""

    def __init__(self, trial, ref: Ref = bundle_ref):
        self.trial = trial
        self.ref = ref
        self.patient_id = resource_id("Patient", trial.patient_id)
        self.episode_id = resource_id("EpisodeOfCare", trial.pk)
        self.practitioners: dict[str, dict] = {}

    def id_of(self, kind: str, pk) -> str:
        return resource_id(kind, pk)

    def practitioner(self, user) -> dict:
        rid = self.id_of("Practitioner", user.pk)
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
        given_late = entry_note(a, "given")
        notes = [{"text": "; ".join(details)}]
        if given_late:
            notes.append({"text": f"Time given: {given_late}"})
        extension = entered(a.given_entered_at) + late_entry(given_late).get("extension", [])
        if a.discharged_at:
            notes.append({"time": instant(a.discharged_at), "text": self.discharge_text(a, v)})
        if a.discharge_exception:
            extension.append({"url": DISCHARGE_EXCEPTION, "valueString": a.discharge_exception})
        out = {
            "resourceType": "Procedure",
            "id": self.id_of("Procedure", a.pk),
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
        if extension:
            out["extension"] = extension
        if v["spinal_level"]:
            out["bodySite"] = [{"text": f"Lumbar interspace {v['spinal_level']}"}]
        if a.performed_by:
            out["performer"] = [{"actor": self.practitioner(a.performed_by)}]
        return out

    def discharge_text(self, a, v: dict[str, str]) -> str:
        parts = ["Discharged" + (f" by {a.discharged_by.printed_name}" if a.discharged_by else "")]
        if v["discharge_note"]:
            parts.append(v["discharge_note"])
        if a.discharge_exception:
            parts.append(
                "signed exception: discharged before the criteria were met – "
                + a.discharge_exception
            )
        if note := entry_note(a, "discharge"):
            parts.append(note)
        return "; ".join(parts)

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
            "id": self.id_of("MedicationAdministration", a.pk),
            "status": "completed",
            "medicationCodeableConcept": concept(
                SNOMED, "387342009", "Baclofen", v["product"] or "Baclofen intrathecal"
            ),
            "subject": self.subject,
            "context": self.ref("EpisodeOfCare", self.episode_id),
            "effectiveDateTime": instant(a.given_at),
            "partOf": [self.ref("Procedure", self.id_of("Procedure", a.pk))],
            "dosage": {
                "text": f"{a.dose_mcg} mcg intrathecal bolus by barbotage{seconds}",
                "route": concept(SNOMED, "72607000", "Intrathecal route"),
                "dose": quantity(a.dose_mcg, "ug", "ug"),
            },
            "note": [{"text": "; ".join(note)}, *self.amendment_notes(cur)],
        }
        given_late = entry_note(a, "given")
        if extension := entered(a.given_entered_at) + late_entry(given_late).get("extension", []):
            out["extension"] = extension
        if a.performed_by:
            out["performer"] = [{"actor": self.practitioner(a.performed_by)}]
        return out

    def _observation(
        self, key: str, *, code: dict, category: str, when, by, issued=None, late="", **rest
    ) -> dict:
        """An Observation; `issued` is when it was entered, `late` its late-entry note."""
        out = {
            "resourceType": "Observation",
            "id": self.id_of("Observation", key),
            "status": "final",
            "category": [
                concept(OBSERVATION_CATEGORY, category, category.replace("-", " ").title())
            ],
            "code": code,
            "subject": self.subject,
            "effectiveDateTime": instant(when),
        }
        if issued is not None:
            out["issued"] = instant(issued)
        if by is not None:
            out["performer"] = [self.practitioner(by)]
        out |= rest | late_entry(late)
        if late:
            out["note"] = [*out.get("note", []), {"text": late}]
        return out

    def vitals(self, a) -> list[dict]:
        part_of = [self.ref("Procedure", self.id_of("Procedure", a.pk))]
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
                issued=v.entered_at,
                late=entry_note(v),
                partOf=part_of,
                **({"note": [{"text": "Pre-dose baseline"}]} if v.pre_dose else {}),
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
            extra["note"] = [{"text": f"{a.label} ({a.minutes_after} min after the injection)"}]
            if a.attempt_id in attempt_ids:
                extra["partOf"] = [self.ref("Procedure", self.id_of("Procedure", a.attempt_id))]
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
                issued=a.entered_at,
                late=entry_note(a),
                **extra,
                **value,
            )
            for key, code, value in items
        ]

    def effect_worn_off(self, a) -> dict:
        """The physician's record that the dose's effect has worn off (later optional
        assessments then not owed), at its clinical time, issued when entered."""
        return self._observation(
            f"worn-off/{a.pk}",
            code=concept(ITB_TRIAL, "effect-worn-off", "Effect of the test dose worn off"),
            category="exam",
            when=a.effect_worn_off_at,
            by=a.effect_worn_off_by,
            issued=a.effect_worn_off_entered_at,
            late=entry_note(a, "worn_off"),
            valueBoolean=True,
            partOf=[self.ref("Procedure", self.id_of("Procedure", a.pk))],
        )

    def decision(self, a) -> dict:
        extra = {"partOf": [self.ref("Procedure", self.id_of("Procedure", a.pk))]}
        if a.decision_reason:
            extra["note"] = [{"text": a.decision_reason}]
        if a.goal_outcomes:
            extra["component"] = [
                {
                    "code": {"text": f"Treatment goal: {goal}"},
                    "valueCodeableConcept": {"text": mark},
                }
                for goal, mark in a.goal_outcomes.items()
            ]
        return self._observation(
            f"decision/{a.pk}",
            code=concept(ITB_TRIAL, "responder", f"Responder to {a.dose_mcg} mcg (neurologist)"),
            category="exam",
            when=a.decided_at,
            by=a.decided_by,
            issued=a.decision_entered_at,
            late=entry_note(a, "decision"),
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

    def resources(self) -> list[dict]:
        t = self.trial
        out = [self.patient(), self.episode()]
        targets = {("preparation", None): [self.ref("EpisodeOfCare", self.episode_id)]}
        given = [a for a in t.attempts.all() if a.given_at is not None]
        for a in given:
            proc, med = self.procedure(a), self.medication(a)
            out += [proc, med, *self.vitals(a)]
            if a.effect_worn_off_at is not None:
                out.append(self.effect_worn_off(a))
            proc_ref = self.ref("Procedure", proc["id"])
            targets[("injection", a.pk)] = [
                proc_ref,
                self.ref("MedicationAdministration", med["id"]),
            ]
            targets[("discharge", a.pk)] = [proc_ref]
            suspects = [proc_ref, self.ref("MedicationAdministration", med["id"])]
            out += [events.adverse_event(self, e, suspects) for e in a.adverse_events.all()]
            for amendment in a.amendments.all():
                target = med if amendment.field in MEDICATION_FIELDS else proc
                ref = self.ref(target["resourceType"], target["id"])
                out.append(events.amendment_provenance(self, amendment, [ref]))
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
            out.append(events.signature_provenance(self, sig, target))
        return out + list(self.practitioners.values())
