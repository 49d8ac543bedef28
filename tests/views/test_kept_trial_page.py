"""The trial page is rendered once per key, part by part, and every change still shows at once.

The panel (the current phase's checklists with their forms, the observation schedule, what
blocks the next step) is kept by presenters.panel_key: the record's revision, the viewer's role,
and what the clock decides in it now; each request puts its own CSRF token into the kept forms
(templatetags/kept.py). The parts around it (the trial's head, its details, the record) show the
record only, and are kept by presenters.record_key. These tests look at the page once (its parts
kept), then after a change by someone else, after the clock moved on, as the other role, and
post the kept forms.
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests.conftest import sign_in
from tests.trials.test_record_cache import forget_everything_kept, page_without_tokens
from tests.views.support import HTMX, html, section
from trials import procedure
from trials.services import checklist
from trials.templatetags.kept import CSRF_STAND_IN

# The clock moves up to 20 minutes between two looks here: the session outlasts it.
pytestmark = pytest.mark.usefixtures("long_idle_limit")


def panel(client, trial) -> str:
    page = html(client.get(trial.get_absolute_url()))
    return section(page, '<div id="phase-panel">', '<div class="col-lg-4">')


def tick_labels(part: str) -> set[str]:
    return set(re.findall(r'aria-label="Tick: ([^"]+)"', part))


def labels(role: str) -> set[str]:
    return {i.label for i in procedure.PREPARATION.items if role in i.roles}


def ticked(part: str) -> list[str]:
    return re.findall(r"✓</span>\s*<span[^>]*>([^<]+)", part)


# "imaging" is optional: its tick changes nothing the clock or the blockers decide, and the
# neurologist is already named on the record (the first tick): only the revision tells.
@pytest.mark.parametrize("item", ["imaging", "indication"])
def test_a_tick_by_another_user_shows_at_once_on_a_kept_panel(trial_in, client_for, team, item):
    trial = trial_in("preparation")
    first = "goals" if item == "imaging" else "imaging"
    checklist.checklist_tick(
        trial_id=trial.pk, checklist_key="preparation", item_key=first, actor=team.neurologist
    )
    label = procedure.PREPARATION.item(item).label
    nurse = client_for(team.nurse)
    assert label not in ticked(panel(nurse, trial))  # kept for the nurse

    checklist.checklist_tick(
        trial_id=trial.pk, checklist_key="preparation", item_key=item, actor=team.neurologist
    )

    after = panel(nurse, trial)
    assert label in ticked(after)
    assert team.neurologist.printed_name in after


def test_the_clock_moving_on_marks_a_vital_sign_overdue_on_a_kept_panel(injected, as_nurse, frozen):
    trial = injected(timezone.now() - timedelta(minutes=10))  # the 15 min set is not due yet
    assert "15 min overdue" not in panel(as_nurse, trial)  # kept

    frozen.shift(timedelta(minutes=10))

    assert "15 min overdue" in panel(as_nurse, trial)


def test_the_clock_moving_on_marks_a_slot_missed_on_a_kept_panel(injected, as_nurse, frozen):
    trial = injected(timezone.now() - timedelta(minutes=20))
    first = panel(as_nurse, trial)
    assert "15 min overdue" in first and "15 min missed" not in first

    frozen.shift(timedelta(minutes=15))  # the 15 min window closed empty

    assert "15 min missed" in panel(as_nurse, trial)


@pytest.mark.parametrize("first, then", [("nurse", "neurologist"), ("neurologist", "nurse")])
def test_a_panel_kept_for_one_role_never_shows_the_other_roles_buttons(
    trial_in, client_for, team, first, then
):
    trial = trial_in("preparation")
    assert tick_labels(panel(client_for(getattr(team, first)), trial)) == labels(first)

    shown = panel(client_for(getattr(team, then)), trial)

    assert tick_labels(shown) == labels(then)
    sign = 'href="{}"'.format(reverse("trials:sign_preparation", args=[trial.pk]))
    assert (sign in shown) == (then == "neurologist")


def test_the_csrf_token_of_a_kept_panel_is_the_requests_own_and_a_post_with_it_works(
    trial_in, team
):
    trial = trial_in("preparation")
    nurse = sign_in(Client(enforce_csrf_checks=True), team.nurse)
    tokens = []
    for _ in range(2):  # the second look takes the kept panel
        page = html(nurse.get(trial.get_absolute_url()))
        assert CSRF_STAND_IN not in page
        header = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        part = section(page, '<div id="phase-panel">', '<div class="col-lg-4">')
        in_forms = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', part))
        assert in_forms == {header}  # the request's own token, as the page's header has it
        tokens.append(header)
    assert tokens[0] != tokens[1]  # masked afresh for each request, not kept with the panel

    url = reverse("trials:tick", args=[trial.pk, "preparation", "no_infection"])
    response = nurse.post(url, {"csrfmiddlewaretoken": tokens[1], "note": ""})

    assert response.status_code == 302
    assert "no_infection" in {e.item for e in trial.entries.all()}


def test_a_post_without_the_token_is_still_refused(trial_in, team):
    trial = trial_in("preparation")
    nurse = sign_in(Client(enforce_csrf_checks=True), team.nurse)
    panel(nurse, trial)
    url = reverse("trials:tick", args=[trial.pk, "preparation", "no_infection"])

    assert nurse.post(url, {"csrfmiddlewaretoken": CSRF_STAND_IN}).status_code == 403


def test_a_refused_ticks_message_is_not_kept_with_the_panel(trial_in, as_nurse):
    trial = trial_in("preparation")
    url = reverse("trials:tick", args=[trial.pk, "preparation", "no_infection"])
    refused = as_nurse.post(url, {"not_applicable": "on", "na_reason": " "}, **HTMX)
    assert 'class="alert alert-danger"' in html(refused)

    assert 'class="alert alert-danger"' not in panel(as_nurse, trial)


# A tick keeps the record as it left it, its entries those read under the lock plus the one it
# stored (record_cache.keep_after_write, `known`): the next page is the page read cold.
@pytest.mark.parametrize("verb", ["tick", "untick"])
def test_the_page_after_a_tick_through_the_page_is_the_page_read_cold(
    trial_in, client_for, team, clock_stands_still, django_capture_on_commit_callbacks, verb
):
    trial = trial_in("preparation")
    neurologist = client_for(team.neurologist)
    args = [trial.pk, "preparation", "indication"]
    if verb == "untick":
        neurologist.post(reverse("trials:tick", args=args), **HTMX)
    neurologist.get(trial.get_absolute_url())  # the page kept before the change
    with django_capture_on_commit_callbacks(execute=True):
        neurologist.post(reverse(f"trials:{verb}", args=args), {"note": "By the page."}, **HTMX)

    kept = page_without_tokens(neurologist, trial.get_absolute_url())
    forget_everything_kept()
    cold = page_without_tokens(neurologist, trial.get_absolute_url())

    assert kept == cold
    assert ("Indication documented" in ticked(kept)) == (verb == "tick")


# --- The record's parts around the panel: kept by the record key alone -------------------------


def test_a_severe_adverse_event_shows_at_once_above_a_kept_page(
    injected, as_nurse, record_adverse_event
):
    trial = injected()
    assert 'id="severe-ae-banner"' not in html(as_nurse.get(trial.get_absolute_url()))  # kept

    record_adverse_event(trial, severity="severe")

    page = html(as_nurse.get(trial.get_absolute_url()))
    assert 'id="severe-ae-banner"' in page and 'id="severe-events"' in page


def test_a_corrected_patient_name_shows_at_once_on_a_kept_page(trial_in, as_nurse):
    trial = trial_in("preparation")
    as_nurse.get(trial.get_absolute_url())  # kept

    trial.patient.last_name = "Corrected-Name"
    trial.patient.save()

    head = section(html(as_nurse.get(trial.get_absolute_url())), "<h1", "</h1>")
    assert "Corrected-Name" in head


@pytest.mark.parametrize("first, then", [("nurse", "neurologist"), ("neurologist", "nurse")])
def test_kept_trial_details_offer_the_edit_button_to_the_roles_that_may_edit(
    trial_in, client_for, team, first, then
):
    trial = trial_in("preparation")
    edit = 'href="{}"'.format(reverse("trials:edit", args=[trial.pk]))
    html(client_for(getattr(team, first)).get(trial.get_absolute_url()))  # kept for `first`

    page = html(client_for(getattr(team, then)).get(trial.get_absolute_url()))

    assert (edit in page) == (then in procedure.ACTION_ROLES["edit_trial"])


def test_a_kept_part_rendered_without_a_request_has_no_token_input(db):
    from django.template import engines

    part = engines["django"].from_string(
        '{% load kept %}{% kept key "test-forms" %}<form>{% csrf_token %}</form>{% endkept %}'
    )
    key = f"test:{CSRF_STAND_IN[-8:]}"
    assert part.render({"key": key}) == part.render({"key": key}) == "<form></form>"
    with_token = part.render({"key": key, "csrf_token": "t0ken"})
    assert (
        with_token == '<form><input type="hidden" name="csrfmiddlewaretoken" value="t0ken"></form>'
    )


def test_the_pages_parts_are_kept_apart_from_the_records(trial_in, as_nurse):
    from django.core.cache import caches

    from trials.templatetags.kept import CACHE as PARTS

    trial = trial_in("preparation")
    forget_everything_kept()

    as_nurse.get(trial.get_absolute_url())

    records = [key for key in caches["records"]._cache if f":{trial.pk}:" in key]
    parts = [key for key in caches[PARTS]._cache if f":{trial.pk}:" in key]
    assert len(records) == 1 and "trial-record:" in records[0]
    assert {key.split(":")[3] for key in parts if ":kept:" in key} == {
        "trial-head", "phase-panel", "trial-record", "trial-details", "trial-signatures"
    }  # fmt: skip
    # and the page's frame, beside its parts (trials/services/kept_page.py)
    assert [key for key in parts if ":kept:" not in key] == [
        key for key in parts if f":trial-frame:{trial.pk}:" in key
    ]


# --- The page's frame: the page from its kept parts alone, without the record -----------------
# (trials/services/kept_page.py)


def not_read(*args, **kwargs):
    raise AssertionError("the record was read")


def test_a_page_whose_parts_are_kept_is_shown_without_reading_the_record(
    trial_in, as_nurse, clock_stands_still, monkeypatch
):
    trial = trial_in("observation")
    first = page_without_tokens(as_nurse, trial.get_absolute_url())  # its parts and frame kept
    monkeypatch.setattr("trials.views.pages.TrialSnapshot.load", not_read)

    assert page_without_tokens(as_nurse, trial.get_absolute_url()) == first


def test_a_page_view_from_the_frame_is_audited_as_one_from_the_record(
    trial_in, as_nurse, nurse, clock_stands_still
):
    trial = trial_in("observation")
    url = trial.get_absolute_url()
    forget_everything_kept()
    as_nurse.get(url)  # from the record
    as_nurse.get(url)  # from the frame

    views = AuditEvent.objects.filter(trial=trial, action="view").order_by("pk")
    shown = ["actor", "actor_name", "patient", "object_type", "object_id", "summary", "new"]
    from_record, from_frame = views.values(*shown)
    assert from_frame == from_record
    assert from_frame["actor"] == nurse.pk and from_frame["new"] == {"path": url}
    assert str(trial.patient) in from_frame["summary"]


def test_a_renamed_clinician_shows_at_once_on_a_kept_page(trial_in, as_nurse, team):
    trial = trial_in("preparation")
    checklist.checklist_tick(
        trial_id=trial.pk, checklist_key="preparation", item_key="imaging", actor=team.neurologist
    )
    for _ in range(2):  # the second from the frame
        assert team.neurologist.printed_name in html(as_nurse.get(trial.get_absolute_url()))

    team.neurologist.last_name = "Renamed"  # not the trial's record: its revision stays
    team.neurologist.save()

    assert "Renamed" in html(as_nurse.get(trial.get_absolute_url()))


@pytest.mark.parametrize(
    "part", ["trial-head", "phase-panel", "trial-record", "trial-details", "trial-signatures"]
)
def test_a_part_no_longer_kept_is_made_from_the_record(
    trial_in, as_nurse, clock_stands_still, part
):
    from django.core.cache import caches

    from trials.templatetags.kept import CACHE as PARTS

    trial = trial_in("observation")
    url = trial.get_absolute_url()
    forget_everything_kept()
    cold = page_without_tokens(as_nurse, url)
    parts = caches[PARTS]
    [key] = [key for key in parts._cache if f":kept:{part}:{trial.pk}:" in key]
    parts.delete(key.split(":", 2)[2])  # as the cache drops a part it holds too many of

    assert page_without_tokens(as_nurse, url) == cold
    assert AuditEvent.objects.filter(trial=trial, action="view").count() == 2  # one per view
