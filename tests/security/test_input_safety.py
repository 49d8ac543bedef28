"""Input the forms do not ask for changes nothing; script and SQL in every text field is stored as
typed and shown escaped; an id that does not belong to the object in the URL answers 404.

The trials are built once for the module (tests/module_data.py), those of TRIAL_STATES: what a
test posts to its trial is rolled back after it."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from core.concurrency import instance_version
from tests import factories, module_data
from tests.views.support import injection_post, local, vitals_post
from trials.models import AdverseEvent, Amendment, ChecklistEntry, Trial, VitalSigns
from trials.services.amendments import current_record, record_version
from trials.services.records import RESOLUTION_FIELDS
from trials.views import amend as amend_views

PASSWORD = factories.PASSWORD
SCRIPT = "<script>alert(1)</script>"
SQL = "'; DROP TABLE trials_trial; --"
PAYLOAD = SCRIPT + SQL
SCRIPT_SHOWN = "&lt;script&gt;alert(1)&lt;/script&gt;"


@dataclass(frozen=True)
class Case:
    """A form post whose text fields all carry the payload, and where the values are stored."""

    state: str | None
    role: str
    url: Callable
    data: Callable
    stored: Callable  # ctx -> {field: stored value}
    lengths: tuple = ()  # (field, max length): the payload cut to fit
    shown: bool = True  # False: no page shows this text (the assessment note)


def url(name, *, attempt=False, event=False):
    def build(ctx):
        if name.startswith("patients:"):
            return reverse(name)
        args = [ctx.patient.pk] if name == "trials:create" else [ctx.trial.pk]
        if attempt:
            args.append(ctx.trial.attempts.order_by("number").first().pk)
        if event:
            args.append(ctx.event.pk)
        return reverse(name, args=args)

    return build


def as_it_stands(attempt) -> dict:
    """The amendment form's values for the injection record as it stands (nothing amended)."""
    current = current_record(attempt, "injection")
    values = {k: v for k, v in amend_views._initial(current).items() if v is not None}
    return values | {"version": record_version(attempt, "injection")}


def attempt_of(ctx):
    return ctx.trial.attempts.order_by("number").first()


def fields(obj, *names) -> dict:
    obj.refresh_from_db()
    return {n: getattr(obj, n) for n in names}


TEXT_CASES = {
    "patient": Case(
        None, "nurse", url("patients:create"),
        lambda ctx, p: {"mrn": p, "first_name": p, "last_name": p, "date_of_birth": "1990-02-03",
                        "sex": "female", "weight_kg": "61.5", "diagnosis": "other",
                        "diagnosis_detail": p, "allergies": p, "anticoagulants": p,
                        "oral_antispasmodics": p},
        lambda ctx: fields(ctx.new_patient(), "mrn", "first_name", "last_name",
                           "diagnosis_detail", "allergies", "anticoagulants",
                           "oral_antispasmodics"),
        (("mrn", 32),),
    ),
    "trial": Case(
        None, "neurologist", url("trials:create"),
        lambda ctx, p: {"referred_on": factories.clinic_today().isoformat(), "referred_by": p,
                        "indication": p, "goals": p},
        lambda ctx: fields(ctx.patient.trials.get(), "referred_by", "indication", "goals"),
    ),
    "tick note": Case(
        "preparation", "nurse",
        lambda ctx: reverse("trials:tick", args=[ctx.trial.pk, "preparation", "no_infection"]),
        lambda ctx, p: {"note": p},
        lambda ctx: fields(ctx.trial.entries.get(item="no_infection"), "note"),
    ),
    "not applicable reason": Case(
        "preparation", "nurse",
        lambda ctx: reverse("trials:tick", args=[ctx.trial.pk, "preparation", "pregnancy"]),
        lambda ctx, p: {"not_applicable": "on", "na_reason": p},
        lambda ctx: fields(ctx.trial.entries.get(item="pregnancy"), "na_reason"),
    ),
    "baseline note": Case(
        "preparation", "neurologist", url("trials:baseline"),
        lambda ctx, p: {"assessed_at": local(timezone.now()), "penn_frequency": 0,
                        "mas_hip_flexors_left": "2", "note": p, "submission": uuid.uuid4()},
        lambda ctx: fields(ctx.trial.assessments.get(), "note"), shown=False,
    ),
    "injection record": Case(
        "injection_ready", "neurologist", url("trials:injection"),
        lambda ctx, p: injection_post(ctx.team.nurse, dose_mcg=50, password=PASSWORD)
        | {"radiologist": p, "lot": p, "image_guidance": "true"},
        lambda ctx: fields(attempt_of(ctx), "radiologist", "lot"),
    ),
    "vital signs note": Case(
        "observation", "nurse", url("trials:vitals"),
        lambda ctx, p: vitals_post(note=p),
        lambda ctx: fields(VitalSigns.objects.filter(attempt__trial=ctx.trial).last(), "note"),
    ),
    "adverse event": Case(
        "observation", "nurse", url("trials:adverse_event"),
        lambda ctx, p: {"kind": "headache", "severity": "mild", "onset_at": local(timezone.now()),
                        "action_taken": p, "resolution": p, "resolved_at": local(timezone.now()),
                        "attempt_number": 1, "submission": uuid.uuid4()},
        lambda ctx: fields(AdverseEvent.objects.get(attempt__trial=ctx.trial, kind="headache",
                                                    resolution__startswith="<"),
                           "action_taken", "resolution"),
    ),
    "adverse event update": Case(
        "observation", "nurse", url("trials:adverse_event_resolve", event=True),
        lambda ctx, p: {"action_taken": p, "resolution": p, "resolved_at": local(timezone.now()),
                        "version": instance_version(ctx.event, RESOLUTION_FIELDS)},
        lambda ctx: fields(ctx.event, "action_taken", "resolution"),
    ),
    "pain medication": Case(
        "observation", "nurse", url("trials:pain_medication"),
        lambda ctx, p: {"drug": p, "dose": p, "route": p, "given_at": local(timezone.now()),
                        "submission": uuid.uuid4()},
        lambda ctx: fields(attempt_of(ctx).pain_medications.get(), "drug", "dose", "route"),
        (("drug", 100), ("dose", 50), ("route", 30)),
    ),
    "discharge note": Case(
        "observation_ready", "nurse", url("trials:discharge"),
        lambda ctx, p: {"note": p, "password": PASSWORD},
        lambda ctx: fields(attempt_of(ctx), "discharge_note"),
    ),
    "decision reason": Case(
        "follow_up", "neurologist", url("trials:decide"),
        lambda ctx, p: {"responder": "false", "reason": p, "password": PASSWORD},
        lambda ctx: fields(attempt_of(ctx), "decision_reason"),
    ),
    "outcome note": Case(
        "follow_up_ready", "neurologist", url("trials:close"),
        lambda ctx, p: {"outcome": "not_candidate", "note": p, "password": PASSWORD},
        lambda ctx: fields(ctx.trial, "outcome_note"),
    ),
    "cancel reason": Case(
        "injection", "neurologist", url("trials:cancel"),
        lambda ctx, p: {"reason": p},
        lambda ctx: fields(ctx.trial, "cancel_reason"),
    ),
    "amendment": Case(
        "follow_up", "neurologist", url("trials:amend_injection", attempt=True),
        lambda ctx, p: as_it_stands(attempt_of(ctx))
        | {"lot": p, "reason": p, "password": PASSWORD},
        lambda ctx: fields(Amendment.objects.get(), "new_value", "reason"),
    ),
}  # fmt: skip


# Two in observation and two in follow-up: a test may need a second trial in its trial's state.
TRIAL_STATES = sorted({case.state for case in TEXT_CASES.values() if case.state})
TRIAL_STATES += ["observation", "follow_up"]
# The named users of the module are the people who built its trials.
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


@pytest.fixture
def ctx_for(module_trial_in, make_patient, adverse_event_of, team):
    def build(case: Case) -> SimpleNamespace:
        trial = module_trial_in(case.state) if case.state else None
        patient = trial.patient if trial else make_patient()
        event = adverse_event_of(trial) if case.state == "observation" else None
        return SimpleNamespace(
            trial=trial, patient=patient, event=event, team=team,
            new_patient=lambda: patient.__class__.objects.latest("pk"),
        )  # fmt: skip

    return build


def pages(client, ctx) -> list[str]:
    trial = ctx.trial or ctx.patient.trials.first()
    urls = [reverse("patients:detail", args=[(trial.patient if trial else ctx.new_patient()).pk])]
    if trial:
        urls += [
            reverse("trials:detail", args=[trial.pk]),
            reverse("trials:summary", args=[trial.pk]),
        ]
    return [client.get(u).content.decode() for u in urls]


@pytest.mark.parametrize("name", TEXT_CASES)
def test_script_and_sql_are_stored_verbatim_and_shown_escaped(
    name, ctx_for, client_for, team, admin_user
):
    case = TEXT_CASES[name]
    ctx = ctx_for(case)
    client = client_for(getattr(team, case.role))
    data = case.data(ctx, PAYLOAD)
    limits = dict(case.lengths)
    for field, limit in limits.items():
        data[field] = PAYLOAD[:limit]

    response = client.post(case.url(ctx), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    stored = case.stored(ctx)
    assert stored and stored == {f: PAYLOAD[: limits.get(f, len(PAYLOAD))] for f in stored}
    Trial.objects.count()  # the table is still there
    shown = "".join(pages(client, ctx))
    shown += client_for(admin_user).get(reverse("trials:audit")).content.decode()
    assert SCRIPT not in shown and "'; DROP TABLE" not in shown
    assert SCRIPT_SHOWN in shown or not case.shown


def test_the_summary_pdf_takes_script_and_sql_text(module_trial_in, client_for, neurologist):
    trial = module_trial_in("injection")
    client = client_for(neurologist)
    client.post(reverse("trials:cancel", args=[trial.pk]), {"reason": PAYLOAD})

    response = client.get(reverse("trials:summary_pdf", args=[trial.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


# --- Fields the forms do not ask for -------------------------------------------------------------

LONG_AGO = "2000-01-01T00:00"


def extras(ctx, other) -> dict:
    """Everything a forged post might add: state, people, times, other objects' ids."""
    other_attempt = other.attempts.order_by("number").first()
    return {
        "status": "completed", "outcome": "pump_candidate", "closed_at": LONG_AGO,
        "signer": ctx.team.neurologist.pk, "signed_at": LONG_AGO, "printed_name": "Mallory",
        "meaning": "approved", "kind": "close", "signer_role": "admin",
        "created_by": ctx.team.neurologist.pk, "recorded_by": ctx.team.neurologist.pk,
        "given_by": ctx.team.neurologist.pk, "performed_by": ctx.team.nurse.pk,
        "decided_by": ctx.team.nurse.pk, "decided_at": LONG_AGO, "amended_by": ctx.team.nurse.pk,
        # ("at" is no longer forged: ticks, discharge and decision now take their clinical time.)
        "amended_at": LONG_AGO, "by": ctx.team.neurologist.pk,
        "patient": other.patient_id, "trial": other.pk, "attempt": other_attempt.pk,
        "responder": "true", "suggested_responder": "true", "given_at": LONG_AGO,
        "discharged_at": LONG_AGO, "state": "na", "old_value": "forged", "id": 999999,
        "pk": 999999,
    }  # fmt: skip


def test_extra_fields_on_vital_signs_change_nothing(module_trial_in, team, client_for):
    trial, other = module_trial_in("observation"), module_trial_in("observation", 2)
    ctx = SimpleNamespace(team=team)
    attempt = trial.attempts.get()
    given_at = attempt.given_at

    data = extras(ctx, other) | vitals_post()
    response = client_for(team.nurse).post(reverse("trials:vitals", args=[trial.pk]), data)

    assert response.status_code == 302
    vitals = VitalSigns.objects.latest("pk")
    assert (vitals.attempt, vitals.recorded_by) == (attempt, team.nurse)
    assert vitals.pk != 999999
    attempt.refresh_from_db()
    assert (attempt.given_at, attempt.responder) == (given_at, None)
    assert Trial.objects.get(pk=trial.pk).status == "observation"
    recent = timezone.now() - timedelta(minutes=1)
    assert not VitalSigns.objects.filter(attempt__trial=other, recorded_at__gt=recent).exists()


def test_extra_fields_on_a_tick_change_nothing(module_trial_in, team, client_for):
    trial, other = module_trial_in("preparation"), module_trial_in("observation")
    ctx = SimpleNamespace(team=team)

    url = reverse("trials:tick", args=[trial.pk, "preparation", "no_infection"])
    client_for(team.nurse).post(url, extras(ctx, other) | {"note": "ok"})

    entry = ChecklistEntry.objects.get(trial=trial, item="no_infection")
    assert (entry.by, entry.state, entry.attempt, entry.checklist) == (
        team.nurse, "done", None, "preparation"
    )  # fmt: skip
    assert entry.at > timezone.now() - timedelta(minutes=1)


def test_extra_fields_on_a_signature_change_nothing(module_trial_in, team, client_for):
    trial, other = module_trial_in("observation_ready"), module_trial_in("observation")
    ctx = SimpleNamespace(team=team)
    attempt = trial.attempts.get()
    given_at = attempt.given_at

    data = extras(ctx, other) | {"note": "Home", "password": PASSWORD}
    response = client_for(team.nurse).post(reverse("trials:discharge", args=[trial.pk]), data)

    assert response.status_code == 302
    signature = trial.signatures.get(kind="discharge")
    assert (signature.signer, signature.printed_name, signature.meaning, signature.signer_role) == (
        team.nurse, "Nadia Okafor", "performed", "nurse"
    )  # fmt: skip
    assert signature.attempt == attempt
    assert signature.signed_at > timezone.now() - timedelta(minutes=1)
    attempt.refresh_from_db()
    assert (attempt.given_at, attempt.responder, attempt.decided_by) == (given_at, None, None)
    assert Trial.objects.get(pk=trial.pk).status == "follow_up"
    assert not other.signatures.filter(kind="discharge").exists()


def test_extra_fields_on_a_decision_change_nothing(module_trial_in, team, client_for):
    trial, other = module_trial_in("follow_up"), module_trial_in("observation")
    ctx = SimpleNamespace(team=team)

    data = {"responder": "false", "reason": "No change", "password": PASSWORD}
    response = client_for(team.neurologist).post(
        reverse("trials:decide", args=[trial.pk]), extras(ctx, other) | data
    )

    assert response.status_code == 302
    attempt = trial.attempts.get()
    assert (attempt.responder, attempt.decided_by) == (False, team.neurologist)
    assert attempt.decided_at > timezone.now() - timedelta(minutes=1)
    assert Trial.objects.get(pk=trial.pk).status == "follow_up"
    assert other.attempts.get().responder is None


def test_extra_fields_on_a_new_trial_change_nothing(
    make_patient, module_trial_in, team, client_for
):
    patient, other = make_patient(), module_trial_in("observation")
    ctx = SimpleNamespace(team=team)

    data = extras(ctx, other) | {"referred_on": factories.clinic_today().isoformat()}
    response = client_for(team.nurse).post(reverse("trials:create", args=[patient.pk]), data)

    assert response.status_code == 302
    trial = Trial.objects.latest("pk")
    assert (trial.patient, trial.status, trial.created_by, trial.outcome, trial.closed_at) == (
        patient, "preparation", team.nurse, "", None
    )  # fmt: skip
    assert Trial.objects.get(pk=other.pk).status == "observation"


def test_extra_fields_on_an_amendment_change_nothing(module_trial_in, team, client_for):
    trial, other = module_trial_in("follow_up"), module_trial_in("follow_up", 2)
    ctx = SimpleNamespace(team=team)
    attempt = trial.attempts.get()

    data = extras(ctx, other) | as_it_stands(attempt)
    data |= {"lot": "LOT-2292", "reason": "Misread", "password": PASSWORD}
    url = reverse("trials:amend_injection", args=[trial.pk, attempt.pk])
    response = client_for(team.neurologist).post(url, data)

    assert response.status_code == 302
    amendment = Amendment.objects.get()
    assert (amendment.attempt, amendment.trial, amendment.amended_by) == (
        attempt, trial, team.neurologist
    )  # fmt: skip
    assert (amendment.old_value, amendment.meaning, amendment.printed_name) == (
        "LOT-2291", "amended", "Hugo Lindqvist"
    )  # fmt: skip
    assert amendment.amended_at > timezone.now() - timedelta(minutes=1)
    attempt.refresh_from_db()
    assert attempt.lot == "LOT-2291"


# --- Ids that do not belong to the object in the URL ---------------------------------------------


def test_an_adverse_event_of_another_trial_answers_404(
    module_trial_in, adverse_event_of, client_for, nurse
):
    mine, other = module_trial_in("observation"), module_trial_in("observation", 2)
    event = adverse_event_of(other)
    client = client_for(nurse)
    url = reverse("trials:adverse_event_resolve", args=[mine.pk, event.pk])

    data = {"resolution": "Settled", "resolved_at": local(timezone.now())}
    assert (client.get(url).status_code, client.post(url, data).status_code) == (404, 404)

    event.refresh_from_db()
    assert (event.resolution, event.resolved_at) == ("", None)


@pytest.mark.parametrize(("name", "role"), [("trials:amend_injection", "neurologist"),
                                            ("trials:amend_discharge", "nurse")])  # fmt: skip
def test_an_attempt_of_another_trial_answers_404(name, role, module_trial_in, team, client_for):
    mine, other = module_trial_in("follow_up"), module_trial_in("follow_up", 2)
    client = client_for(getattr(team, role))
    url = reverse(name, args=[mine.pk, other.attempts.get().pk])

    data = {"lot": "X", "discharge_note": "X", "reason": "r", "password": PASSWORD}
    assert (client.get(url).status_code, client.post(url, data).status_code) == (404, 404)
    assert not Amendment.objects.exists()


@pytest.mark.parametrize(
    ("name", "after_pk"),
    [
        ("trials:adverse_event_resolve", [999999]),
        ("trials:amend_injection", [999999]),
        ("trials:tick", ["preparation", "no_such_item"]),
        ("trials:tick", ["no_such_list", "consent"]),
    ],
)
def test_an_id_or_key_that_does_not_exist_answers_404(
    name, after_pk, module_trial_in, client_for, team
):
    trial = module_trial_in("observation")

    response = client_for(team.neurologist).post(reverse(name, args=[trial.pk, *after_pk]))

    assert response.status_code == 404
