"""Adverse events in the FHIR export (DOMAIN.md §5): one R4 AdverseEvent each, with event,
seriousness, severity, onset, outcome and the attempt's Procedure as the suspect entity."""

import json
from datetime import timedelta

from django.urls import reverse

from trials import scenarios
from trials.outcomes.fhir import AE_RESOLVED_AT
from trials.services import records

from .test_fhir import of_type

SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"


def bundle_of(client, trial) -> dict:
    response = client.get(reverse("trials:fhir", args=[trial.pk]))
    assert response.status_code == 200
    return json.loads(response.content)


def code(concept) -> tuple[str, str]:
    return concept.coding[0].system, concept.coding[0].code


def record_event(trial, team, **data):
    """An event entered when it is over (or at its onset when not resolved): not a late entry."""
    onset = trial.attempts.get().given_at + timedelta(minutes=95)
    fields = {"kind": "hypotension", "severity": "severe", "onset_at": onset, "action_taken": "",
              "resolution": "", "resolved_at": None} | data  # fmt: skip
    with scenarios.clock(fields["resolved_at"] or onset):
        return records.adverse_event_record(trial_id=trial.pk, actor=team.nurse, data=fields)


def test_each_adverse_event_is_a_valid_adverse_event_resource(client_for, nurse, cohort):
    bundle = bundle_of(client_for(nurse), cohort.non_responder)

    (event,) = of_type(bundle, "AdverseEvent")  # the child's mild headache
    assert event.actuality == "actual"
    assert event.event.coding[0].code == "headache"
    assert event.event.text == "Headache (post-dural-puncture)"
    assert code(event.severity) == (SEVERITY, "mild")
    assert code(event.seriousness) == (SERIOUSNESS, "non-serious")
    assert code(event.outcome) == (OUTCOME, "ongoing")
    assert event.subject.reference == f"urn:uuid:{of_type(bundle, 'Patient')[0].id}"


def test_the_attempts_procedure_is_the_suspect_entity(client_for, nurse, cohort):
    bundle = bundle_of(client_for(nurse), cohort.non_responder)

    (event,) = of_type(bundle, "AdverseEvent")
    (procedure,) = of_type(bundle, "Procedure")
    (medication,) = of_type(bundle, "MedicationAdministration")
    suspects = [s.instance.reference for s in event.suspectEntity]
    assert suspects == [f"urn:uuid:{procedure.id}", f"urn:uuid:{medication.id}"]


def test_onset_and_recorder_are_exported(client_for, nurse, cohort):
    bundle = bundle_of(client_for(nurse), cohort.non_responder)
    row = cohort.non_responder.attempts.get().adverse_events.get()

    (event,) = of_type(bundle, "AdverseEvent")
    assert event.date == row.onset_at
    assert event.recorder.display == row.recorded_by.printed_name


def test_a_severe_resolved_event_is_serious_and_resolved(trial_in, team, client_for, nurse):
    trial = trial_in("observation")
    given_at = trial.attempts.get().given_at
    record_event(
        trial,
        team,
        action_taken="Legs raised; IV fluid bolus.",
        resolution="Blood pressure back to baseline.",
        resolved_at=given_at + timedelta(minutes=140),
    )

    (event,) = of_type(bundle_of(client_for(nurse), trial), "AdverseEvent")
    assert code(event.seriousness) == (SERIOUSNESS, "serious")
    assert code(event.severity) == (SEVERITY, "severe")
    assert code(event.outcome) == (OUTCOME, "resolved")
    resolved = next(e for e in event.extension if e.url == AE_RESOLVED_AT)
    assert resolved.valueDateTime == given_at + timedelta(minutes=140)
    assert "Legs raised; IV fluid bolus." in event.text.div
    assert "Blood pressure back to baseline." in event.text.div


def test_a_life_threatening_event_is_serious_and_says_life_threatening(
    trial_in, team, client_for, nurse
):
    trial = trial_in("observation")
    record_event(trial, team, kind="respiratory_depression", severity="life_threatening")

    (event,) = of_type(bundle_of(client_for(nurse), trial), "AdverseEvent")
    assert code(event.seriousness) == (SERIOUSNESS, "serious")
    assert code(event.severity) == (SEVERITY, "severe")  # R4 has no stronger grade
    assert event.severity.text == "Life-threatening"


def test_free_text_in_the_narrative_is_escaped(trial_in, team, client_for, nurse):
    trial = trial_in("observation")
    record_event(trial, team, severity="mild", action_taken="<b>fluids</b> & rest")

    (event,) = of_type(bundle_of(client_for(nurse), trial), "AdverseEvent")
    assert "&lt;b&gt;fluids&lt;/b&gt; &amp; rest" in event.text.div
