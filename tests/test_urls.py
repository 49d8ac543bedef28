"""The URL table: every named URL of the app, what each role gets when it opens it.

A new URL pattern without a row here fails `test_every_url_name_has_a_row`, so adding a page
means deciding, in this table, who may open it.
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.urls import URLResolver, get_resolver, reverse

from tests import factories, module_data
from tests.module_data import check_deferred
from trials import scenarios
from trials.models import DoseAttempt

OK, REDIRECT, FORBIDDEN, POST_ONLY = 200, 302, 403, 405
LOGIN = "login"  # 302 to /login/?next=<the page>
ROLES = ("anonymous", "nurse", "neurologist", "admin")


@dataclass(frozen=True)
class Row:
    """Expected GET status per role, and what the URL's kwargs point at."""

    nurse: int
    neurologist: int
    admin: int
    anonymous: int | str = LOGIN
    # a trial state, "patient", "event", "checklist_item" or "attempt:<state>" (its last attempt)
    needs: str | None = None


# One row per URL name. `needs` names a trial state in which the page makes sense.
URLS: dict[str, Row] = {
    "home": Row(REDIRECT, REDIRECT, REDIRECT),
    "login": Row(OK, OK, OK, anonymous=OK),
    "logout": Row(POST_ONLY, POST_ONLY, POST_ONLY, anonymous=POST_ONLY),
    # Sign-in and account (accounts/urls.py). The code page sends a user who has passed the
    # second factor (or needs none) on; set-up sends one who has an authenticator to the
    # account page.
    "accounts:verify": Row(REDIRECT, REDIRECT, REDIRECT),
    "accounts:setup": Row(OK, REDIRECT, REDIRECT),
    # The set-up code page sends whoever needs none on to set-up; backup codes come with an
    # authenticator (the nurse here has none); admins issue set-up codes.
    "accounts:enrol": Row(REDIRECT, REDIRECT, REDIRECT),
    "accounts:backup_codes": Row(REDIRECT, OK, OK),
    "accounts:enrolment_codes": Row(FORBIDDEN, FORBIDDEN, OK),
    "accounts:account": Row(OK, OK, OK),
    "accounts:password_change": Row(OK, OK, OK),
    "patients:list": Row(OK, OK, OK),
    "patients:create": Row(OK, OK, FORBIDDEN),
    "patients:detail": Row(OK, OK, OK, needs="patient"),
    "patients:edit": Row(OK, OK, FORBIDDEN, needs="patient"),
    "trials:list": Row(OK, OK, OK),
    "trials:board": Row(OK, OK, OK),
    "trials:worklist": Row(FORBIDDEN, OK, OK),
    "trials:tasks": Row(OK, OK, FORBIDDEN),
    "trials:site_settings": Row(FORBIDDEN, FORBIDDEN, OK),
    "trials:create": Row(OK, OK, FORBIDDEN, needs="patient"),
    "trials:detail": Row(OK, OK, OK, needs="observation"),
    "trials:edit": Row(FORBIDDEN, OK, FORBIDDEN, needs="preparation"),
    "trials:timeline": Row(OK, OK, OK, needs="completed"),
    "trials:tick": Row(POST_ONLY, POST_ONLY, POST_ONLY, POST_ONLY, needs="checklist_item"),
    "trials:untick": Row(POST_ONLY, POST_ONLY, POST_ONLY, POST_ONLY, needs="checklist_item"),
    "trials:baseline": Row(FORBIDDEN, OK, FORBIDDEN, needs="preparation"),
    "trials:sign_preparation": Row(FORBIDDEN, OK, FORBIDDEN, needs="preparation"),
    "trials:injection": Row(FORBIDDEN, OK, FORBIDDEN, needs="injection"),
    "trials:vitals": Row(OK, OK, FORBIDDEN, needs="observation"),
    "trials:assessment": Row(FORBIDDEN, OK, FORBIDDEN, needs="observation"),
    "trials:adverse_event": Row(OK, OK, FORBIDDEN, needs="observation"),
    "trials:adverse_event_resolve": Row(OK, OK, FORBIDDEN, needs="event"),
    "trials:pain_medication": Row(OK, OK, FORBIDDEN, needs="observation"),
    "trials:discharge": Row(OK, FORBIDDEN, FORBIDDEN, needs="observation"),
    "trials:discharge_exception": Row(FORBIDDEN, OK, FORBIDDEN, needs="observation"),
    "trials:effect_worn_off": Row(FORBIDDEN, OK, FORBIDDEN, needs="observation"),
    "trials:decide": Row(FORBIDDEN, OK, FORBIDDEN, needs="follow_up"),
    "trials:plan_next": Row(FORBIDDEN, OK, FORBIDDEN, needs="follow_up_decided_nonresponder"),
    "trials:close": Row(FORBIDDEN, OK, FORBIDDEN, needs="follow_up_decided_nonresponder"),
    "trials:cancel": Row(FORBIDDEN, OK, FORBIDDEN, needs="injection"),
    "trials:outcomes": Row(FORBIDDEN, OK, OK),
    "trials:outcomes_trials": Row(FORBIDDEN, OK, OK),
    "trials:outcomes_csv": Row(FORBIDDEN, OK, OK),
    "trials:fhir_bulk": Row(FORBIDDEN, OK, OK),
    "trials:summary": Row(OK, OK, OK, needs="completed"),
    "trials:summary_pdf": Row(OK, OK, OK, needs="completed"),
    "trials:fhir": Row(OK, OK, OK, needs="completed"),
    "trials:audit": Row(FORBIDDEN, FORBIDDEN, OK),
    "trials:audit_csv": Row(FORBIDDEN, FORBIDDEN, OK),
    "trials:amend_injection": Row(FORBIDDEN, OK, FORBIDDEN, needs="attempt:observation"),
    "trials:amend_discharge": Row(OK, FORBIDDEN, FORBIDDEN, needs="attempt:follow_up"),
}


def url_names(patterns=None, namespace: str = ""):
    """Every URL name reachable from the root URLconf, namespaced; django-admin left out."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern.url_patterns, prefix)
        else:
            # An unnamed pattern cannot have a row; show it so the set comparison fails.
            yield namespace + pattern.name if pattern.name else f"<unnamed {pattern.pattern}>"


def test_every_url_name_has_a_row():
    assert set(url_names()) == set(URLS)


# The trials the table's pages are opened on, built once for the module (tests/module_data.py):
# each page is only opened, and whatever the request writes is rolled back after its test.
STATES = ["preparation", "injection", "observation", "follow_up", "completed"]
STATES += ["follow_up_decided_nonresponder"]
# The named users of the module are the people who built those trials.
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


@pytest.fixture(scope="module")
def module_trials(module_team, django_db_blocker) -> dict[str, dict]:
    """The URL kwargs for each `needs` of the table."""

    def trial_in(state):
        return factories.build_trial(state, module_team, factories.make_patient())

    with django_db_blocker.unblock():
        made = {state: {"pk": trial_in(state).pk} for state in STATES}
        made["patient"] = {"pk": factories.make_patient().pk}
        for state in ("observation", "follow_up"):
            attempt = DoseAttempt.objects.filter(trial=made[state]["pk"]).order_by("-number")[0]
            made[f"attempt:{state}"] = made[state] | {"attempt_pk": attempt.pk}
        made["checklist_item"] = made["observation"] | {
            "checklist_key": "observation",
            "item_key": "vitals_stable",
        }
        trial = trial_in("observation")  # with an adverse event, which no other page has
        given_at = trial.attempts.get().given_at
        event = scenarios.adverse_event(trial, module_team, onset=given_at + timedelta(hours=1))
        made["event"] = {"pk": trial.pk, "event_pk": event.pk}
        check_deferred()
        return made


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), [(name, role) for name in URLS for role in ROLES])
def test_get_answers_each_role_as_the_table_says(name, role, request, module_trials):
    row = URLS[name]
    kwargs = dict(module_trials[row.needs]) if row.needs else {}
    if name == "trials:create":
        kwargs = {"patient_pk": kwargs.pop("pk")}
    url = reverse(name, kwargs=kwargs)
    client = request.getfixturevalue("client")
    if role != "anonymous":
        user = request.getfixturevalue("admin_user" if role == "admin" else role)
        client = request.getfixturevalue("client_for")(user)  # past the second factor

    response = client.get(url)

    expected = getattr(row, role)
    if expected == LOGIN:
        assert (response.status_code, response["Location"]) == (
            REDIRECT,
            f"/login/?next={quote(url, safe='/')}",
        )
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("name", ["trials:tick", "trials:untick"])
def test_checklist_endpoints_refuse_get_even_for_the_role_that_may_tick(
    name, trial_in, client_for, nurse
):
    trial = trial_in("observation")
    url = reverse(name, args=[trial.pk, "observation", "vitals_stable"])

    response = client_for(nurse).get(url)

    assert response.status_code == POST_ONLY
    assert response["Allow"] == "POST"
    assert not trial.entries.filter(checklist="observation").exists()


def test_logout_is_post_only_and_signs_out(client_for, nurse):
    client = client_for(nurse)

    assert client.get(reverse("logout")).status_code == POST_ONLY
    assert client.get(reverse("trials:board")).status_code == OK

    response = client.post(reverse("logout"))

    assert (response.status_code, response["Location"]) == (REDIRECT, reverse("login"))
    assert client.get(reverse("trials:board")).status_code == REDIRECT
