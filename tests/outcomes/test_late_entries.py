"""Late entries and the discharge exception in the exports (DOMAIN.md §2a, §3): the summary, its
PDF, the CSV and FHIR mark each late entry "late entry · entered <time> by <name>: <reason>",
give the time it was entered, and show a signed discharge exception wherever the discharge is."""

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.conftest import PASSWORD
from tests.module_data import check_deferred
from trials import scenarios
from trials.late import late_note
from trials.models import DoseAttempt, SiteSettings, Trial
from trials.outcomes import summary
from trials.outcomes.fhir import DISCHARGE_EXCEPTION, ENTERED_AT, LATE_ENTRY, SPASTICITY
from trials.services import records, workflow
from trials.services.snapshot import TrialSnapshot

from .test_fhir import of_type

DOSE_LATE = "Charted after an emergency on the ward"
VITALS_LATE = "Transcribed from the paper chart"
EVENT_LATE = "Recorded once the patient was stable"
SCORE_LATE = "Scored on paper during the transfer"
DECISION_LATE = "Decided in clinic, charted the next day"
TRANSFER = "Transfer to the regional spinal unit"
MEDICATION_LATE = "Given by the night team, charted in the morning"
WORN_OFF_LATE = "Noted at the bedside, charted after the transfer call"


@pytest.fixture(scope="module")
def module_late(module_team, django_db_blocker) -> int:
    with django_db_blocker.unblock():
        trial = build_late(module_team, factories.make_patient())
        check_deferred()
        return trial.pk


@pytest.fixture
def late(db, module_late) -> Trial:
    return Trial.objects.get(pk=module_late)


def build_late(team, patient) -> Trial:
    """A trial whose dose, a vital-signs set, a severe adverse event, the 2 h score, the end of
    the effect and the decision were entered late, discharged early as a signed exception (the
    transfer)."""
    start = timezone.now() - timedelta(hours=40)
    with scenarios.clock(start):
        trial = workflow.trial_create(
            patient=patient, actor=team.neurologist, referred_on=factories.clinic_today()
        )
    scenarios.prepare(trial, team, at=start + timedelta(minutes=5))
    given = start + timedelta(hours=1)
    scenarios.ready_for_injection(trial, team, at=given - timedelta(minutes=20))
    with scenarios.clock(given + timedelta(hours=2)):
        workflow.injection_sign(
            trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, dose_mcg=50,
            data=scenarios.injection_data(team, given_at=given), late=DOSE_LATE,
        )  # fmt: skip
        records.vitals_record(
            trial_id=trial.pk, actor=team.nurse,
            data=vitals(given + timedelta(minutes=15)) | {"late_reason": VITALS_LATE},
        )  # fmt: skip
        records.adverse_event_record(
            trial_id=trial.pk, actor=team.nurse,
            data={"kind": "hypotension", "severity": "severe",
                  "onset_at": given + timedelta(minutes=30), "action_taken": "IV fluids",
                  "resolution": "", "resolved_at": None, "late_reason": EVENT_LATE},
        )  # fmt: skip
        records.pain_medication_record(
            trial_id=trial.pk, actor=team.nurse,
            data={"drug": "Paracetamol", "dose": "1 g", "route": "oral",
                  "given_at": given + timedelta(minutes=40), "late_reason": MEDICATION_LATE},
        )  # fmt: skip
    with scenarios.clock(given + timedelta(hours=3, minutes=30)):
        records.assessment_record(
            trial_id=trial.pk, actor=team.neurologist, grades=scenarios.grades("2"),
            penn_frequency=2, penn_severity=1, assessed_at=given + timedelta(minutes=120),
            late=SCORE_LATE,
        )  # fmt: skip
    with scenarios.clock(given + timedelta(hours=3, minutes=40)):
        workflow.attempt_effect_worn_off(
            trial_id=trial.pk, actor=team.neurologist, at=given + timedelta(hours=2, minutes=30),
            late=WORN_OFF_LATE,
        )  # fmt: skip
        scenarios.tick_all(trial.pk, "observation", team)
        workflow.attempt_discharge_exception(
            trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, reason=TRANSFER
        )
    with scenarios.clock(given + timedelta(hours=26)):
        workflow.attempt_decide(
            trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, responder=True,
            at=given + timedelta(hours=5), late=DECISION_LATE,
        )  # fmt: skip
    return trial


def vitals(at) -> dict:
    return {
        "recorded_at": at, "heart_rate": 70, "systolic": 120, "diastolic": 75,
        "respiratory_rate": 14, "spo2": 98, "temperature_c": 36.8, "sedation": 0, "pain": 1,
        "headache": False, "note": "",
    }  # fmt: skip


def note_for(entered_at, user, reason) -> str:
    return late_note(entered_at, user.printed_name, reason)


@pytest.fixture
def attempt(late) -> DoseAttempt:
    return late.attempts.get()


def test_the_summary_marks_the_late_dose_and_decision(late, attempt, neurologist):
    data = summary.build(TrialSnapshot.load(late.pk))
    facts = dict(data.attempts[0].facts)
    decision = dict(data.attempts[0].decision)

    expected = note_for(attempt.given_entered_at, neurologist, DOSE_LATE)
    assert expected.startswith("late entry · entered ")
    assert facts["Time given"].endswith(f" · {expected}")
    decided = note_for(attempt.decision_entered_at, neurologist, DECISION_LATE)
    assert decision["Decided by"].endswith(f" · {decided}")


def test_the_summary_marks_the_late_end_of_the_effect(late, attempt, neurologist):
    facts = dict(summary.build(TrialSnapshot.load(late.pk)).attempts[0].facts)

    expected = note_for(attempt.effect_worn_off_entered_at, neurologist, WORN_OFF_LATE)
    assert facts["Effect worn off"] == (
        f"{summary.when(attempt.effect_worn_off_at)} by Hugo Lindqvist · {expected}"
    )


def test_the_summary_says_when_the_end_of_the_effect_was_not_recorded(trial_in):
    trial = trial_in("follow_up")
    facts = dict(summary.build(TrialSnapshot.load(trial.pk)).attempts[0].facts)

    assert facts["Effect worn off"] == "not recorded"


def test_the_summary_shows_the_discharge_exception(late):
    facts = dict(summary.build(TrialSnapshot.load(late.pk)).attempts[0].facts)

    assert "by Hugo Lindqvist" in facts["Discharged"]
    assert (
        f"signed exception: discharged before the criteria were met – {TRANSFER}"
        in (facts["Discharged"])
    )


def test_the_summary_marks_late_vitals_events_and_scores(late, attempt):
    data = summary.build(TrialSnapshot.load(late.pk))
    part = data.attempts[0]

    late_vitals = [row for row in part.vitals.rows if VITALS_LATE in row[-1]]
    assert len(late_vitals) == 1
    assert late_vitals[0][-1].startswith("late entry · entered ")
    assert not any("late entry" in row[-1] for row in part.vitals.rows if row not in late_vitals)
    assert part.vitals.rows[0][0].startswith("Baseline (pre-dose) ")
    (event,) = part.adverse_events.rows
    assert EVENT_LATE in event[-1]
    assessed = data.mas.rows[-1]
    assert assessed[0] == "Assessed"
    assert "late entry" not in assessed[1] and SCORE_LATE in assessed[2]
    assert SCORE_LATE in data.penn.rows[1][1]
    (medication,) = part.pain_medication.rows
    assert medication[1:4] == ["Paracetamol", "1 g", "oral"]
    assert medication[-1].startswith("Nadia Okafor · late entry · entered ")
    assert medication[-1].endswith(MEDICATION_LATE)


def test_entries_made_in_time_are_not_marked(late):
    data = summary.build(TrialSnapshot.load(late.pk))

    assert not any("late entry" in row[1] for row in data.preparation.rows)


def test_the_summary_page_and_pdf_carry_the_marks(late, client_for, nurse):
    client = client_for(nurse)
    html = client.get(reverse("trials:summary", args=[late.pk])).content.decode()

    for text in (
        DOSE_LATE, VITALS_LATE, EVENT_LATE, SCORE_LATE, DECISION_LATE, TRANSFER, MEDICATION_LATE,
        WORN_OFF_LATE,
    ):  # fmt: skip
        assert text in html, text
    assert client.get(reverse("trials:summary_pdf", args=[late.pk])).status_code == 200


def test_the_trial_page_marks_the_late_score(late, client_for, neurologist):
    html = client_for(neurologist).get(late.get_absolute_url()).content.decode()

    assert SCORE_LATE in html


def test_the_csv_has_entry_times_late_notes_and_the_exception(
    late, attempt, client_for, admin_user, neurologist
):
    response = client_for(admin_user).get(reverse("trials:outcomes_csv"), {"sheet": "attempts"})
    text = b"".join(response.streaming_content).decode()
    (row,) = csv.DictReader(io.StringIO(text, newline=""))

    assert datetime.fromisoformat(row["given_entered_at"]) == attempt.given_entered_at.replace(
        microsecond=0
    )
    with timezone.override(SiteSettings.current().time_zone):  # the CSV's times are the clinic's
        dose_note = note_for(attempt.given_entered_at, neurologist, DOSE_LATE)
    assert row["given_late_entry"] == dose_note
    assert row["discharge_late_entry"] == ""  # discharged at the time it happened
    assert datetime.fromisoformat(row["effect_worn_off_at"]) == attempt.effect_worn_off_at.replace(
        microsecond=0
    )
    assert datetime.fromisoformat(
        row["effect_worn_off_entered_at"]
    ) == attempt.effect_worn_off_entered_at.replace(microsecond=0)
    with timezone.override(SiteSettings.current().time_zone):
        worn_off_note = note_for(attempt.effect_worn_off_entered_at, neurologist, WORN_OFF_LATE)
    assert row["effect_worn_off_late_entry"] == worn_off_note
    assert row["discharge_exception"] == TRANSFER
    assert row["decision_late_entry"].endswith(DECISION_LATE)
    decided, entered = (
        datetime.fromisoformat(row[k]) for k in ("decided_at", "decision_entered_at")
    )
    assert entered - decided > timedelta(hours=20)


@pytest.fixture
def bundle(late, client_for, nurse) -> dict:
    return json.loads(client_for(nurse).get(reverse("trials:fhir", args=[late.pk])).content)


def extensions(resource, url) -> list:
    return [e for e in resource.extension or [] if e.url == url]


def test_fhir_marks_the_late_dose_on_procedure_and_medication(bundle, attempt):
    for kind in ("Procedure", "MedicationAdministration"):
        (resource,) = of_type(bundle, kind)
        (mark,) = extensions(resource, LATE_ENTRY)
        assert mark.valueString.endswith(DOSE_LATE)
        (entered,) = extensions(resource, ENTERED_AT)
        assert entered.valueDateTime == attempt.given_entered_at


def test_fhir_shows_the_discharge_exception(bundle):
    (procedure,) = of_type(bundle, "Procedure")

    assert extensions(procedure, DISCHARGE_EXCEPTION)[0].valueString == TRANSFER
    assert any(TRANSFER in n.text and n.text.startswith("Discharged") for n in procedure.note)


def test_fhir_observations_are_issued_when_entered_and_marked_when_late(bundle, attempt):
    observations = of_type(bundle, "Observation")
    vitals = [o for o in observations if o.category[0].coding[0].code == "vital-signs"]
    marked = [o for o in vitals if extensions(o, LATE_ENTRY)]
    row = attempt.vitals.get(late_reason=VITALS_LATE)

    assert len(marked) == 5  # the five observations of the late set
    assert {o.issued for o in marked} == {row.entered_at}
    assert all(o.issued is not None for o in vitals)
    scores = [o for o in observations if o.code.coding[0].system == SPASTICITY]
    post = attempt.assessments.get()
    late_scores = [o for o in scores if o.issued == post.entered_at]
    assert len(late_scores) == 10 + 2  # ten grades, Penn frequency and severity
    assert all(SCORE_LATE in extensions(o, LATE_ENTRY)[0].valueString for o in late_scores)
    assert not any(extensions(o, LATE_ENTRY) for o in scores if o not in late_scores)
    (decision,) = [o for o in observations if o.code.coding[0].code == "responder"]
    assert decision.issued == attempt.decision_entered_at
    assert DECISION_LATE in extensions(decision, LATE_ENTRY)[0].valueString


def test_fhir_adverse_event_is_recorded_when_entered_and_marked_late(bundle, attempt):
    (event,) = of_type(bundle, "AdverseEvent")
    row = attempt.adverse_events.get()

    assert event.recordedDate == row.entered_at
    assert event.date == row.onset_at
    assert EVENT_LATE in extensions(event, LATE_ENTRY)[0].valueString
    assert EVENT_LATE in event.text.div


def test_fhir_records_the_late_end_of_the_effect(bundle, attempt):
    observations = of_type(bundle, "Observation")
    (worn_off,) = [o for o in observations if o.code.coding[0].code == "effect-worn-off"]

    assert worn_off.effectiveDateTime == attempt.effect_worn_off_at
    assert worn_off.issued == attempt.effect_worn_off_entered_at
    assert worn_off.valueBoolean is True
    assert worn_off.performer[0].display == "Hugo Lindqvist"
    assert WORN_OFF_LATE in extensions(worn_off, LATE_ENTRY)[0].valueString
    assert worn_off.partOf[0].reference == f"urn:uuid:{of_type(bundle, 'Procedure')[0].id}"
