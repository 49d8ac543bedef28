"""Every form of the app, fuzzed through its real URL: arbitrary text, numbers, unicode, dates and
empty values in every field never make a server error. Impossible clinical values (SpO2 above
100, a Modified Ashworth grade outside 0, 1, 1+, 2, 3, 4, a dose off the 25/50/75/100 ladder) are
refused with a clear message and nothing is saved.

Each example runs in a transaction rolled back after it, so every example meets the same trial:
one trial in each state a form needs, built once for the module (tests/module_data.py) and met
by every test that posts to a trial in that state. FUZZ_EXAMPLES=500 in the environment runs a
longer search than the default 25 per test.
"""

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from django import forms
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from tests import factories, module_data
from tests.views.support import injection_post, local, vitals_post
from trials.models import Assessment, DoseAttempt, Trial, VitalSigns

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY = [
    "", " ", "0", "-1", "1+", "4", "5", "100", "101", "-0", "NaN", "nan", "inf", "-inf", "1e400",
    "9" * 40, "0x10", "1,5", "½", "٣", "2026-02-30", "2026-13-01T25:61", "0000-00-00",
    "9999-12-31T23:59", "1899-12-31", "0001-01-01", "9999-12-31", "0001-01-01T00:00", "true",
    "on", "null", "None", "[]", "{}",
    "<script>alert(1)</script>", "'; DROP TABLE trials_trial; --", "\x00", "\u202e\u0000",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "a" * 5000,
]  # fmt: skip
VALUE = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    st.dates().map(str),
)
FIELD_VALUE = st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3))


@dataclass(frozen=True)
class Target:
    """One form at its URL: who posts it, in which trial state."""

    url: Callable[[SimpleNamespace], str]
    role: str
    state: str | None = None
    fields: tuple[str, ...] = ()  # for POST-only URLs, whose form cannot be read from a GET
    headers: dict = field(default_factory=dict)


def on_trial(name: str) -> Callable[[SimpleNamespace], str]:
    return lambda ctx: reverse(name, args=[ctx.trial.pk])


def on_attempt(name: str) -> Callable[[SimpleNamespace], str]:
    return lambda ctx: reverse(name, args=[ctx.trial.pk, ctx.trial.attempts.get().pk])


TICK = ("note", "not_applicable", "na_reason")
tick_url = lambda ctx: reverse("trials:tick", args=[ctx.trial.pk, "preparation", "no_infection"])  # noqa: E731

FORMS = {
    "PatientForm (new)": Target(lambda ctx: reverse("patients:create"), "nurse"),
    "PatientForm (edit)": Target(lambda ctx: reverse("patients:edit", args=[ctx.patient.pk]),
                                 "nurse"),
    "TrialForm": Target(lambda ctx: reverse("trials:create", args=[ctx.patient.pk]),
                        "neurologist"),
    "TrialEditForm": Target(on_trial("trials:edit"), "neurologist", "preparation"),
    "TickForm": Target(tick_url, "nurse", "preparation", TICK),
    "TickForm (htmx)": Target(tick_url, "nurse", "preparation", TICK,
                              {"HTTP_HX_REQUEST": "true"}),
    "AssessmentForm (baseline)": Target(on_trial("trials:baseline"), "neurologist",
                                        "preparation"),
    "AssessmentForm (post-dose)": Target(on_trial("trials:assessment"), "neurologist",
                                         "observation"),
    "SignPreparationForm": Target(on_trial("trials:sign_preparation"), "neurologist",
                                  "preparation_ready"),
    "InjectionForm": Target(on_trial("trials:injection"), "neurologist", "injection_ready"),
    "VitalSignsForm": Target(on_trial("trials:vitals"), "nurse", "observation"),
    "AdverseEventForm": Target(on_trial("trials:adverse_event"), "nurse", "observation"),
    "ResolveAdverseEventForm": Target(
        lambda ctx: reverse("trials:adverse_event_resolve", args=[ctx.trial.pk, ctx.event.pk]),
        "nurse", "observation"),
    "PainMedicationForm": Target(on_trial("trials:pain_medication"), "nurse", "observation"),
    "DischargeForm": Target(on_trial("trials:discharge"), "nurse", "observation_ready"),
    "DecisionForm": Target(on_trial("trials:decide"), "neurologist", "follow_up"),
    "NextAttemptForm": Target(on_trial("trials:plan_next"), "neurologist",
                              "follow_up_decided_nonresponder"),
    "CloseForm": Target(on_trial("trials:close"), "neurologist", "follow_up_ready"),
    "CancelForm": Target(on_trial("trials:cancel"), "neurologist", "injection"),
    "SiteSettingsForm": Target(lambda ctx: reverse("trials:site_settings"), "admin"),
    "AmendInjectionForm": Target(on_attempt("trials:amend_injection"), "neurologist",
                                 "follow_up"),
    "AmendDischargeForm": Target(on_attempt("trials:amend_discharge"), "nurse", "follow_up"),
}  # fmt: skip

# Filters read from the query string.
GET_FORMS = {
    "patients:list": ("q", "page"),
    "trials:list": ("phase", "page"),
    "trials:outcomes": ("referred_from", "referred_to", "diagnosis", "age_group", "outcome",
                        "dose"),
    "trials:outcomes_trials": ("referred_from", "dose", "figure", "value", "page"),
    "trials:audit": ("mrn", "user", "action", "date_from", "date_to", "page"),
    "trials:audit_csv": ("mrn", "user", "action", "date_from", "date_to"),
}  # fmt: skip


# The trials the forms are posted to, one in each state, built once for the module by its
# named users (tests/module_data.py).
# The dose tests (below) post to the trials of SignPreparationForm and NextAttemptForm: a state
# listed twice would build a second trial that no test takes.
TRIAL_STATES = sorted(
    {target.state for target in FORMS.values() if target.state}
    | {"preparation_ready", "follow_up_decided_nonresponder"}
)
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


@pytest.fixture
def form_at_url(
    request, module_trial_in, make_patient, adverse_event_of, client_for, team, admin_user
):
    """(client, url, field names, initial values) of the test's FORMS entry, built once for all
    its examples."""
    target = FORMS[request.node.callspec.params["name"]]
    trial = module_trial_in(target.state) if target.state else None
    event = adverse_event_of(trial) if target.state == "observation" else None
    ctx = SimpleNamespace(trial=trial, patient=make_patient(), event=event)
    client = client_for(admin_user if target.role == "admin" else getattr(team, target.role))
    url = target.url(ctx)
    if target.fields:
        return client, url, target.fields, {}
    form = client.get(url).context["form"]
    # What the page offers, with the signer's password: a near-valid post to mutate.
    base = {name: form[name].value() for name in form.fields}
    base = {k: v for k, v in base.items() if v is not None} | {"password": factories.PASSWORD}
    return client, url, tuple(form.fields), base


def post_rolled_back(client, url: str, data: dict, **headers):
    with transaction.atomic():
        response = client.post(url, data, **headers)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("name", FORMS)
@fuzz
@given(data=st.data())
def test_no_input_to_a_form_makes_a_server_error(name, data, form_at_url):
    client, url, fields, base = form_at_url
    post = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(fields, FIELD_VALUE)))
    if data.draw(st.booleans()):
        post = base | post  # mutate a few fields of what the page offers

    response = post_rolled_back(client, url, post, **FORMS[name].headers)

    assert response.status_code < 500


# --- Dates at the extremes ------------------------------------------------------------------------

# Days and times no record of this app can have: before any date of birth it accepts (1900) or
# after the last plausible year (2100), down to year 1 and up to the last day Python can count.
EXTREME_DAYS = [date(1, 1, 1), date(1899, 12, 31), date(2101, 1, 1), date(9999, 12, 31)]
EXTREME = st.one_of(
    st.sampled_from(EXTREME_DAYS).map(str),
    st.sampled_from(EXTREME_DAYS).map(lambda d: f"{d}T00:00"),
    st.just("9999-12-31T23:59"),
    st.dates(max_value=date(1899, 12, 31)).map(str),
    st.dates(min_value=date(2101, 1, 1)).map(str),
    st.datetimes(max_value=datetime(1899, 12, 31)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    st.datetimes(min_value=datetime(2101, 1, 1)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
)
CHANGES = ["create", "change", "tick", "untick", "sign", "transition", "decide", "amend"]
TIMES_OF_POST_ONLY_FORMS = {"TickForm": ("at",), "TickForm (htmx)": ("at",)}


# Posts that save, for the forms whose page does not offer one: an extreme date in them is then
# the only reason to refuse (test_the_posts_the_extremes_start_from_are_saved).
VALID = {
    "PatientForm (new)": lambda team: {
        "mrn": "MRN-EXTREME", "first_name": "Ines", "last_name": "Extreme",
        "date_of_birth": "1990-01-01", "sex": "female", "weight_kg": "60",
        "diagnosis": "ms",
    },
    "TrialForm": lambda team: {
        "referred_on": factories.clinic_today().isoformat(), "referred_by": "Dr A",
    },
    "VitalSignsForm": lambda team: vitals_post(),
    "InjectionForm": lambda team: injection_post(
        team.nurse, dose_mcg=50, password=factories.PASSWORD
    ),
    "CloseForm": lambda team: {
        "outcome": "not_candidate", "note": "No response.", "password": factories.PASSWORD,
        "follow_up_on": factories.clinic_today().isoformat(),
    },
}  # fmt: skip


def saved_changes(client, url: str, post: dict, headers: dict) -> tuple[int, int]:
    """(status, clinical changes audited) of the post, rolled back afterwards."""
    with transaction.atomic():
        before = AuditEvent.objects.filter(action__in=CHANGES).count()
        response = client.post(url, post, **headers)
        saved = AuditEvent.objects.filter(action__in=CHANGES).count() - before
        transaction.set_rollback(True)
    return response.status_code, saved


@pytest.mark.parametrize("name", VALID)
def test_the_posts_the_extremes_start_from_are_saved(name, form_at_url, team):
    client, url, _fields, base = form_at_url
    status, saved = saved_changes(client, url, base | VALID[name](team), FORMS[name].headers)
    assert status == 302
    assert saved > 0


@pytest.fixture
def date_fields(request, form_at_url) -> tuple[str, ...]:
    """The date and time fields of the test's form, read from its page once for all examples."""
    name = request.node.callspec.params["name"]
    if name in TIMES_OF_POST_ONLY_FORMS:
        return TIMES_OF_POST_ONLY_FORMS[name]
    client, url, _fields, _base = form_at_url
    form = client.get(url).context["form"]
    return tuple(
        n for n, f in form.fields.items() if isinstance(f, forms.DateField | forms.DateTimeField)
    )


@pytest.mark.parametrize("name", FORMS)
@fuzz
@given(data=st.data())
def test_a_date_at_the_extremes_is_refused_and_nothing_is_saved(
    name, data, form_at_url, date_fields, team
):
    client, url, _fields, base = form_at_url
    dated = date_fields
    if not dated:
        pytest.skip(f"{name} has no date or time field")
    extremes = data.draw(st.sets(st.sampled_from(dated), min_size=1))
    post = base | VALID.get(name, lambda team: {})(team)
    post |= {n: data.draw(EXTREME, label=n) for n in extremes}

    status, saved = saved_changes(client, url, post, FORMS[name].headers)

    assert status < 500
    assert saved == 0, f"{name} saved {post}"


@pytest.mark.parametrize("name", GET_FORMS)
@fuzz
@given(data=st.data())
def test_no_filter_in_the_query_string_makes_a_server_error(name, data, as_admin):
    client = as_admin
    query = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(GET_FORMS[name], VALUE)))

    response = client.get(reverse(name), query)
    if response.streaming:
        b"".join(response.streaming_content)

    assert response.status_code < 500


@fuzz
@given(pk=st.integers(min_value=-(2**70), max_value=2**70))
@example(pk=2**63 - 1)  # the largest id a 64-bit column holds
@example(pk=2**63)  # one past it: SQLite cannot even compare it
def test_no_id_in_a_url_makes_a_server_error(pk, as_nurse):
    client = as_nurse
    for name in ("trials:detail", "trials:vitals", "patients:detail", "trials:summary"):
        if pk < 0:
            continue  # the URL patterns take no sign: no route
        assert client.get(reverse(name, args=[pk])).status_code == 404


@pytest.fixture
def as_admin(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture
def as_nurse(client_for, nurse):
    return client_for(nurse)


# --- Impossible clinical values ------------------------------------------------------------------


@pytest.fixture
def observed(module_trial_in):
    return module_trial_in("observation")


@pytest.fixture
def preparing(module_trial_in):
    return module_trial_in("preparation")


@pytest.fixture
def ready_to_inject(module_trial_in):
    return module_trial_in("injection_ready")


@pytest.fixture
def as_neurologist(client_for, neurologist):
    return client_for(neurologist)


@fuzz
@given(spo2=st.integers(min_value=101, max_value=10**9))
def test_spo2_above_100_is_refused_with_a_clear_message(spo2, observed, as_nurse):
    before = VitalSigns.objects.count()

    response = post_rolled_back(
        as_nurse, reverse("trials:vitals", args=[observed.pk]), vitals_post(spo2=spo2)
    )

    assert response.status_code == 400
    assert "SpO₂ is a percentage: it cannot be above 100." in response.content.decode()
    assert VitalSigns.objects.count() == before


def test_a_plausible_spo2_is_saved(observed, client_for, nurse):
    before = VitalSigns.objects.count()

    response = client_for(nurse).post(
        reverse("trials:vitals", args=[observed.pk]), vitals_post(spo2=100)
    )

    assert response.status_code == 302
    assert VitalSigns.objects.count() == before + 1


NOT_MAS = st.text(max_size=4).filter(lambda g: g not in ("", "0", "1", "1+", "2", "3", "4"))


@fuzz
@given(grade=st.one_of(st.sampled_from(["5", "-1", "1-", "2+", "1.5", "0.5", "+1"]), NOT_MAS))
def test_a_grade_outside_the_modified_ashworth_scale_is_refused(grade, preparing, as_neurologist):
    trial = preparing
    data = {"assessed_at": local(trial.created_at), "penn_frequency": 0,
            "mas_hip_flexors_left": "2", "mas_hip_flexors_right": grade}  # fmt: skip

    response = post_rolled_back(as_neurologist, reverse("trials:baseline", args=[trial.pk]), data)

    assert response.status_code == 400
    if "\x00" not in grade:
        assert "is not a Modified Ashworth grade (0, 1, 1+, 2, 3, 4)." in response.content.decode()
    assert not Assessment.objects.filter(trial=trial).exists()


def test_a_grade_on_the_scale_is_saved(preparing, client_for, neurologist):
    trial = preparing
    data = {"submission": uuid.uuid4(), "assessed_at": local(trial.created_at),
            "penn_frequency": 0, "mas_hip_flexors_left": "1+"}  # fmt: skip

    response = client_for(neurologist).post(reverse("trials:baseline", args=[trial.pk]), data)

    assert response.status_code == 302
    assert Assessment.objects.get(trial=trial).scores.get().grade == "1+"


OFF_LADDER = st.integers(min_value=-1000, max_value=10**6).filter(
    lambda d: d not in (25, 50, 75, 100)
)


@fuzz
@given(dose=OFF_LADDER)
def test_an_injected_dose_off_the_ladder_is_refused(dose, ready_to_inject, as_neurologist, nurse):
    trial = ready_to_inject
    data = injection_post(nurse, dose_mcg=dose, password=factories.PASSWORD)

    response = post_rolled_back(as_neurologist, reverse("trials:injection", args=[trial.pk]), data)

    assert response.status_code == 400
    assert f"{dose} is not a dose of the protocol (25, 50, 75, 100 mcg)." in (
        response.content.decode()
    )
    assert not DoseAttempt.objects.filter(trial=trial, given_at__isnull=False).exists()


@pytest.mark.parametrize("dose", ["60", "125", "0", "-75", "75.0"])
def test_a_next_dose_off_the_ladder_is_refused(dose, module_trial_in, client_for, neurologist):
    trial = module_trial_in("follow_up_decided_nonresponder")

    response = client_for(neurologist).post(
        reverse("trials:plan_next", args=[trial.pk]), {"dose_mcg": dose}
    )

    assert response.status_code == 400
    assert "is not a dose of the protocol (25, 50, 75, 100 mcg)." in response.content.decode()
    assert trial.attempts.count() == 1
    assert Trial.objects.get(pk=trial.pk).status == "follow_up"


@pytest.mark.parametrize("dose", ["75", "100", "60"])
def test_a_first_dose_other_than_25_or_50_is_refused(
    dose, module_trial_in, client_for, neurologist
):
    trial = module_trial_in("preparation_ready")

    response = client_for(neurologist).post(
        reverse("trials:sign_preparation", args=[trial.pk]),
        {"first_dose_mcg": dose, "password": factories.PASSWORD},
    )

    assert response.status_code == 400
    assert "The first dose is 50 mcg (25 mcg for small children)." in response.content.decode()
    assert not trial.attempts.exists()
