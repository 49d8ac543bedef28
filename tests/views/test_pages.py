"""The read pages as each role sees them: homes, the trial list, the ward board, the trial page,
the worklist, the decision page and the patient search."""

import zoneinfo
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories, module_data
from tests.module_data import check_deferred
from trials import scenarios
from trials.models import SiteSettings, Trial
from trials.services import records

from .conftest import adverse_event, inject
from .support import element, html, section

# The board tests read one ward built for the module (module_ward); the module's named users are
# the people who built it, and every other test of the module builds what it needs, as before.
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user
# Made before any test starts: a test that asks for a user by name inside its body
# (request.getfixturevalue) would otherwise make them inside its own transaction.
pytestmark = pytest.mark.usefixtures("module_people")

# --- Home ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "home"),
    [("nurse", "trials:tasks"), ("neurologist", "trials:tasks"), ("admin_user", "trials:list")],
)
def test_home_sends_each_role_to_its_own_page(request, client_for, user, home):
    client = client_for(request.getfixturevalue(user))

    response = client.get(reverse("home"))

    assert (response.status_code, response["Location"]) == (302, reverse(home))


# --- All trials ----------------------------------------------------------------------------------


def test_trial_list_groups_trials_by_phase(trial_in, make_patient, as_admin):
    waiting = trial_in("preparation", patient=make_patient(last_name="Abara"))
    observed = trial_in("observation", patient=make_patient(last_name="Bekele"))
    closed = trial_in("completed", patient=make_patient(last_name="Cruz"))

    page = html(as_admin.get(reverse("trials:list")))

    def phase(code):
        return section(page, f'id="phase-{code}"', 'id="phase-')

    assert waiting.get_absolute_url() in phase("preparation")
    assert "Abara" in phase("preparation") and "Bekele" not in phase("preparation")
    assert observed.get_absolute_url() in phase("observation")
    assert "Bekele" in phase("observation") and "Abara" not in phase("observation")
    assert closed.get_absolute_url() in phase("completed")
    assert "Pump candidate" in phase("completed")
    assert "None." in phase("injection")
    assert 'All trials <span class="text-muted fs-6">(2 open)</span>' in page


# --- Ward board ----------------------------------------------------------------------------------


def _board_row(page: str, trial) -> str:
    return element(page, "tr", f'data-trial="{trial.pk}"')


@pytest.fixture(scope="module")
def module_ward(module_team, django_db_blocker) -> dict[str, int]:
    """Three trials in observation (one late with its vital signs, one that missed them, one with
    a severe adverse event) and two trials that are not in observation: built once for the board
    tests, which only read them (ids by name)."""
    team = module_team
    with django_db_blocker.unblock():
        now = timezone.now()
        # Vital signs are due at 15, 30, 45, 60, 90, 120 min...; each time owns the window from
        # halfway after the previous time to halfway before the next one.
        late = inject(team, now - timedelta(hours=2, minutes=10), vitals_at=[15], last_name="Late")
        missed = inject(
            team, now - timedelta(hours=2, minutes=35), vitals_at=[15], last_name="Missed"
        )
        severe = inject(team, now - timedelta(minutes=10), last_name="Severe")
        adverse_event(team, severe, severity="severe", kind="respiratory_depression")
        made = {
            "late": late,
            "missed": missed,
            "severe": severe,
            "preparing": factories.build_trial("preparation", team, factories.make_patient()),
            "followed_up": factories.build_trial("follow_up", team, factories.make_patient()),
        }
        check_deferred()
    return {name: trial.pk for name, trial in made.items()}


@pytest.fixture
def ward(db, module_ward) -> dict[str, Trial]:
    return {name: Trial.objects.get(pk=pk) for name, pk in module_ward.items()}


def test_board_shows_only_trials_in_observation(ward, as_nurse):
    page = html(as_nurse.get(reverse("trials:board")))

    assert page.count('class="board-row') == 3
    for name in ("late", "missed", "severe"):
        _board_row(page, ward[name])
    assert f'data-trial="{ward["preparing"].pk}"' not in page
    assert f'data-trial="{ward["followed_up"].pk}"' not in page


def test_board_marks_a_trial_overdue_for_vital_signs(ward, as_nurse):
    page = html(as_nurse.get(reverse("trials:board")))

    late = _board_row(page, ward["late"])
    assert 'class="board-row overdue"' in late
    assert "2 h · " in late and "overdue</span>" in late  # the 2 h set is due and still open
    assert "4 missed" in late  # 30, 45, 60 and 90 min
    assert "overdue" not in _board_row(page, ward["severe"])  # its 15 min set is not due yet
    # Overdue rows come first.
    assert page.index(f'data-trial="{ward["late"].pk}"') < page.index(
        f'data-trial="{ward["severe"].pk}"'
    )


def test_board_shows_vital_signs_whose_window_closed_as_missed(ward, as_nurse):
    page = html(as_nurse.get(reverse("trials:board")))

    row = _board_row(page, ward["missed"])
    assert "5 missed" in row  # 30, 45, 60, 90 and 120 min
    assert "1 of 12 done" in row


def test_board_flags_a_severe_adverse_event(ward, as_nurse):
    page = html(as_nurse.get(reverse("trials:board")))

    assert "severe adverse event" in _board_row(page, ward["severe"])
    assert "severe adverse event" not in _board_row(page, ward["late"])


def test_board_refresh_by_htmx_returns_only_the_rows(ward, as_nurse):
    response = as_nurse.get(reverse("trials:board"), HTTP_HX_REQUEST="true")

    page = html(response)
    assert response.status_code == 200
    assert "<html" not in page and "<nav" not in page
    assert page.lstrip().startswith('<p class="small text-muted mb-2" id="board-updated">')
    _board_row(page, ward["late"])


def test_board_counts_each_vital_sign_once_when_assessments_exist(injected, team, as_nurse):
    # Regression: counting vitals through a join with the assessments counted each one twice.
    given_at = timezone.now() - timedelta(hours=4, minutes=10)
    trial = injected(given_at, vitals_at=[15, 30])
    for minutes in (120, 240):
        scenarios.score(trial, team, minutes_after=minutes, grade="2", given_at=given_at)

    row = _board_row(html(as_nurse.get(reverse("trials:board"))), trial)

    assert "2 of 12 done" in row
    assert 'class="board-row overdue"' in row  # the 4 h set


def test_board_time_since_injection_is_never_negative(injected, as_nurse):
    trial = injected(timezone.now() + timedelta(minutes=3))

    row = _board_row(html(as_nurse.get(reverse("trials:board"))), trial)

    assert "-1 h" not in row
    assert "0 h 00 min" in row


# --- The trial page ------------------------------------------------------------------------------


def test_severe_adverse_event_banner_on_the_trial_page_and_its_action_pages(
    trial_in, as_nurse, record_adverse_event
):
    trial = trial_in("observation")
    record_adverse_event(trial, severity="severe", kind="respiratory_depression")

    trial_page = html(as_nurse.get(trial.get_absolute_url()))
    vitals_page = html(as_nurse.get(reverse("trials:vitals", args=[trial.pk])))

    assert 'id="severe-ae-banner"' in trial_page
    assert "Severe: Respiratory depression" in trial_page
    assert 'id="severe-ae-banner"' in vitals_page


def test_no_banner_for_a_mild_adverse_event(trial_in, as_nurse, record_adverse_event):
    trial = trial_in("observation")
    record_adverse_event(trial, severity="mild")

    assert "severe-banner" not in html(as_nurse.get(trial.get_absolute_url()))
    assert "severe-banner" not in html(as_nurse.get(reverse("trials:vitals", args=[trial.pk])))


def test_trial_page_says_what_blocks_the_next_step(trial_in, as_nurse):
    trial = trial_in("preparation")

    page = html(as_nurse.get(trial.get_absolute_url()))

    blockers = element(page, "ul", "blockers")
    assert "Preparation: “Indication documented” is not ticked yet." in blockers
    assert "The baseline spasticity assessment is not recorded yet." in blockers
    assert "Preparation: “Pregnancy status checked”" not in blockers  # optional item
    assert 'Sign preparation complete</span> <span class="text-muted small">(neurologist)' in page


def test_trial_page_says_ready_when_nothing_blocks(trial_in, as_neurologist):
    trial = trial_in("preparation_ready")

    page = html(as_neurologist.get(trial.get_absolute_url()))

    assert "blockers" not in page
    assert "Ready." in page
    assert reverse("trials:sign_preparation", args=[trial.pk]) in page


def test_times_are_shown_in_the_clinic_time_zone(trial_in, as_admin, as_nurse):
    trial = trial_in("observation")
    given_at = trial.attempts.get().given_at
    settings_form = {
        "fasting_policy": "midnight", "fasting_hours": 6,
        "vitals_minutes": "15, 30, 45, 60, 90, 120, 180, 240, 300, 360, 420, 480",
        "assessment_minutes": "120, 240, 360, 480", "responder_threshold": "1.0",
        "discharge_assessment_minutes": "120, 240", "assessment_window_minutes": 30,
        "late_entry_minutes": 60, "time_zone": "Asia/Tokyo",
    }  # fmt: skip
    url = reverse("trials:site_settings")
    settings_form["version"] = as_admin.get(url).context["form"]["version"].value()
    assert as_admin.post(url, settings_form).status_code == 302
    assert SiteSettings.current().time_zone == "Asia/Tokyo"

    page = html(as_nurse.get(trial.get_absolute_url()))

    tokyo = given_at.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    new_york = given_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert f"{tokyo:%Y-%m-%d %H:%M} over 90 s" in page
    assert f"given {tokyo:%Y-%m-%d %H:%M}" in page
    assert f"{new_york:%Y-%m-%d %H:%M} over 90 s" not in page


# --- Worklist and decision -----------------------------------------------------------------------


def test_worklist_lists_a_follow_up_trial_awaiting_the_decision(trial_in, as_neurologist):
    waiting = trial_in("follow_up")
    preparing = trial_in("preparation")
    closed = trial_in("completed")

    page = html(as_neurologist.get(reverse("trials:worklist")))

    row = element(page, "a", f'href="{waiting.get_absolute_url()}"')
    assert "Follow-up" in row
    assert "Decide the response to attempt 1 (50 mcg)" in row
    prep = element(page, "a", f'href="{preparing.get_absolute_url()}"')
    assert "Eligibility, baseline scores and preparation sign-off" in prep
    assert closed.get_absolute_url() not in page


def test_decision_page_shows_baseline_and_best_post_dose_means_and_the_groups_counted(
    injected, team, as_neurologist
):
    given_at = timezone.now() - timedelta(hours=4, minutes=30)
    trial = injected(given_at, vitals_at=[15, 30])
    groups = ["hip_flexors", "knee_extensors"]  # scored after the dose; baseline scored all five
    for minutes, grade in ((120, "2"), (240, "1+")):
        with scenarios.clock(given_at + timedelta(minutes=minutes)) as at:
            records.assessment_record(
                trial_id=trial.pk, actor=team.neurologist, grades=scenarios.grades(grade, groups),
                penn_frequency=1, penn_severity=1, assessed_at=at,
            )  # fmt: skip

    page = html(as_neurologist.get(reverse("trials:decide", args=[trial.pk])))

    assert (
        "Responder: mean lower-limb MAS 3.00 at baseline, 1.50 at 4 h (fall 1.50; threshold 1.0)."
    ) in page
    best = element(page, "tr", 'class="fw-semibold"')
    assert [cell in best for cell in ("4 h", "3.00", "1.50")] == [True, True, True]
    counted = (
        "Hip flexors (left), Hip flexors (right), Knee extensors (left), Knee extensors (right)"
    )
    assert counted in best
    assert "Ankle plantar flexors" not in best


# --- Patient search ------------------------------------------------------------------------------


@pytest.fixture
def two_patients(make_patient):
    return (
        make_patient(mrn="ZX-4417", first_name="Astrid", last_name="Halvorsen"),
        make_patient(mrn="QQ-1203", first_name="Bruno", last_name="Castell"),
    )


@pytest.mark.parametrize("query", ["ZX-4417", "zx-44", "halvor", "Astrid"])
def test_patient_search_finds_by_mrn_and_by_name(two_patients, as_nurse, query):
    response = as_nurse.get(reverse("patients:list"), {"q": query})

    page = html(response)
    assert "Halvorsen, Astrid" in page
    assert "Castell" not in page
    assert f'value="{query}"' in page


def test_patient_search_says_when_nothing_matches(two_patients, as_nurse):
    page = html(as_nurse.get(reverse("patients:list"), {"q": "Nobody"}))
    assert "No patient matches “Nobody”." in page
