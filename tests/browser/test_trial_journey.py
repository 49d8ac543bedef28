"""One patient's whole ITB trial, clicked through the real pages by a nurse and a neurologist.

The story: the nurse registers a new patient and starts a trial; nurse and neurologist tick the
preparation checklist (htmx, in place); the neurologist scores the baseline and signs
preparation; the first dose (50 mcg) is given, observed and the patient discharged; the
neurologist finds no response (the app suggests the same) and plans 75 mcg; the second dose works
(mean lower-limb MAS 3 → 1.5), and the trial closes with a pump candidate at 150 mcg/day. The
admin then finds it under "Completed".

Off the happy path too: the nurse tries to discharge before the 4 h score and is told why not;
the 4 h score is charted late, with its reason, and shown as a late entry. Nothing is typed as
if it happened in the past beyond the late-entry threshold: time passes on the app's own clock
(tests/browser/clock.py), two hours for a score, a day for the second dose. Every time shown is
the form's default "now" of that clock, except the one late entry.
"""

import re
import secrets
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from .axe import AxeAudit, check_page
from .measure import Meter

pytestmark = pytest.mark.browser

CLINIC_TZ = ZoneInfo("America/New_York")  # the site setting's default (DEFAULT_CLINIC_TIME_ZONE)
LOWER_LIMB = ("hip_flexors", "hip_adductors", "knee_extensors", "knee_flexors",
              "ankle_plantar_flexors")  # fmt: skip
DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}  # iPad Air, portrait


# --- Time in the clinic's zone, as a datetime-local input wants it ------------------------------


def _ambiguous(local: datetime) -> bool:
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def clinic_input(moment: datetime) -> str:
    """A UTC instant as the clinic's wall time, e.g. "2025-03-04T09:30".

    A backdated time that falls in the repeated hour of the autumn clock change is moved an hour
    later: the app (rightly) refuses an ambiguous wall time.
    """
    local = moment.astimezone(CLINIC_TZ)
    while _ambiguous(local):
        local = (local + timedelta(hours=1)).astimezone(CLINIC_TZ)
    return local.strftime("%Y-%m-%dT%H:%M")


def clinic_today(app=None) -> date:
    return (app.now() if app else datetime.now(UTC)).astimezone(CLINIC_TZ).date()


# --- Screenshots ----------------------------------------------------------------------------


class Screens:
    """Full-page shots of key pages at desktop and tablet width, numbered in story order."""

    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.overflow: list[str] = []

    def take(self, page: Page, name: str) -> None:
        check_page(page, name)
        self.count += 1
        stem = f"{self.count:02d}-{name}"
        page.screenshot(path=str(self.directory / f"{stem}-desktop.png"), full_page=True)
        page.set_viewport_size(TABLET)
        try:
            page.screenshot(path=str(self.directory / f"{stem}-tablet.png"), full_page=True)
            wide = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if wide > 0:
                self.overflow.append(f"{stem}: page is {wide}px wider than the tablet viewport")
        finally:
            page.set_viewport_size(DESKTOP)


# --- What a user sees ------------------------------------------------------------------------


def expect_phase(page: Page, label: str) -> None:
    """The stepper's current step and the phase badge in the trial header both say `label`."""
    stepper = page.get_by_role("list", name="Phases")
    expect(stepper.locator('[aria-current="step"]')).to_have_text(label)
    expect(page.locator("main .badge.text-bg-primary").first).to_have_text(label)
    check_page(page)


def expect_saved_without_errors(page: Page) -> None:
    expect(page.locator(".invalid-feedback, .alert-danger")).to_have_count(0)


def submit(page: Page, button: str) -> None:
    check_page(page)  # the form, filled in
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()
    check_page(page)  # where it leads


def sign(page: Page, password: str, button: str = "Save") -> None:
    page.get_by_label("Your password (to sign)").fill(password)
    submit(page, button)


# --- Steps of the story ----------------------------------------------------------------------


def log_in(page: Page, app, user, screens: Screens | None = None) -> Page:
    page.goto(app.url("/login/"))
    sign_in(page, app, user, screens)
    # innerText: what is shown (the menu has a short name for narrow screens, hidden here).
    expect(page.locator("nav")).to_contain_text(
        f"{user.printed_name} · {user.role.title()}", use_inner_text=True
    )
    check_page(page)  # the role's home
    return page


def sign_in(page: Page, app, user, screens: Screens | None = None) -> None:
    """The sign-in form the page shows: password, then the code when the user has one."""
    check_page(page)
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(app.password)
    if screens:
        screens.take(page, "login")
    page.get_by_role("button", name="Sign in").click()
    if user.totp_key:
        # The second step: the code from the user's authenticator app.
        expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
        check_page(page)
        page.locator("#id_otp_token").fill(user.current_code(app.offset))
        if screens:
            screens.take(page, "code")
        page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()


def register_patient(nurse: Page, patient: dict, screens: Screens) -> None:
    """From her home (My tasks), the referral's patient registered, then the trial's form."""
    nurse.get_by_role("link", name="New patient").click()
    text_fields = (
        "mrn", "first_name", "last_name", "date_of_birth", "weight_kg", "diagnosis_detail",
        "allergies", "anticoagulants", "oral_antispasmodics",
    )  # fmt: skip
    for field in text_fields:
        nurse.locator(f"#id_{field}").fill(patient[field])
    nurse.locator("#id_sex").select_option(patient["sex"])
    nurse.locator("#id_diagnosis").select_option(patient["diagnosis"])
    screens.take(nurse, "patient-form")
    submit(nurse, "Save and start a trial")
    expect(nurse.get_by_role("status")).to_contain_text("Patient saved.")


def start_trial(nurse: Page, patient: dict) -> str:
    """On the trial's form, where saving the patient led."""
    expect(nurse.get_by_role("heading", level=1)).to_contain_text(
        f"Start an ITB trial for {patient['first_name']} {patient['last_name']}"
    )
    nurse.locator("#id_referred_on").fill(clinic_today().isoformat())
    nurse.locator("#id_referred_by").fill("Dr P. Alvarez, MS clinic")
    nurse.locator("#id_indication").fill(
        "Severe lower-limb spasticity despite oral baclofen 20 mg three times daily."
    )
    nurse.locator("#id_goals").fill("Easier transfers and positioning; better sleep.")
    submit(nurse, "Start the trial")
    expect(nurse.get_by_role("status")).to_contain_text("Trial started.")
    expect_phase(nurse, "Preparation")
    return nurse.url


def tick(page: Page, checklist: str, item: str, note: str = "") -> None:
    """Tick one item in place (htmx) and wait until the panel shows it ticked."""
    row = page.locator(f"#item-{checklist}-{item}")
    if note:
        row.locator("input[name=note]").fill(note)
    row.get_by_role("button", name=re.compile(r"^Tick: ")).click()
    _wait_for_panel(page, row)


def mark_not_applicable(page: Page, checklist: str, item: str, reason: str) -> None:
    row = page.locator(f"#item-{checklist}-{item}")
    row.get_by_text("Not applicable…").click()
    row.get_by_role("textbox", name=re.compile("is not applicable")).fill(reason)
    row.get_by_role("button", name=re.compile(r"^Mark not applicable: ")).click()
    _wait_for_panel(page, row)
    expect(row).to_contain_text(f"Not applicable: {reason}")


def _wait_for_panel(page: Page, row) -> None:
    """The swapped-in panel shows the item done (an Untick button) or says why not."""
    error = page.locator("#phase-panel > .alert-danger")
    expect(row.get_by_role("button", name="Untick").or_(error)).to_be_visible()
    expect(error, "the panel refused the tick").to_have_count(0)


def record_scores(page: Page, grade: str, *, at: str | None = None, late: str = "") -> None:
    """Fill the assessment form: every lower-limb group at `grade`, both sides in one tap (the
    side rows show it); Penn 3/2, on a post-dose form in one tap as the baseline's."""
    if at:
        page.locator("#id_assessed_at").fill(at)
    if late:
        page.locator("#id_late_reason").fill(late)
    for group in LOWER_LIMB:
        tap(page, f"both_{group}", grade)
        for side in ("left", "right"):
            expect(
                page.locator(f'input[name="mas_{group}_{side}"][value="{grade}"]')
            ).to_be_checked()
    same = page.get_by_role("button", name=re.compile("^Same as baseline: 3 – more than once"))
    if same.count():
        same.click()
        expect(same).to_have_attribute("aria-pressed", "true")
    else:
        tap(page, "penn_frequency", "3")
        tap(page, "penn_severity", "2")
    expect(page.locator('input[name="penn_frequency"][value="3"]')).to_be_checked()
    expect(page.locator('input[name="penn_severity"][value="2"]')).to_be_checked()


def tap(page: Page, name: str, value: str) -> None:
    """Tap one segmented button (the label of a Bootstrap btn-check radio) and see it chosen."""
    choice = page.locator(f'input[name="{name}"][value="{value}"]')
    page.locator(f'label[for="{choice.get_attribute("id")}"]').click()
    expect(choice).to_be_checked()


def record_baseline(neuro: Page, at: str | None, screens: Screens) -> None:
    neuro.get_by_role("link", name="Record baseline").click()
    expect(neuro.get_by_role("heading", name="Baseline spasticity assessment")).to_be_visible()
    record_scores(neuro, "3", at=at)
    screens.take(neuro, "baseline-form")
    submit(neuro, "Save")


def sign_preparation(neuro: Page, password: str, screens: Screens) -> None:
    """The baseline was the last thing preparation waited for: its save led to this form."""
    expect(neuro.get_by_role("status")).to_contain_text("Baseline spasticity assessment saved.")
    expect(neuro.get_by_role("heading", name="Sign preparation complete")).to_be_visible()
    expect(neuro.get_by_text("Not possible yet")).to_have_count(0)
    expect(neuro.locator("#id_first_dose_mcg")).to_have_value("50")
    screens.take(neuro, "sign-preparation")
    sign(neuro, password, button="Sign preparation complete")
    expect_phase(neuro, "Injection")
    expect(neuro.locator("#phase-panel")).to_contain_text("Attempt 1 of 3: 50 mcg")


def tick_injection_day(nurse: Page, neuro: Page, attempt: int, dose: int) -> None:
    """Day-of checks and the nurse's assist items; the neurologist's skin preparation."""
    expect(nurse.locator("#checklist-day_of")).to_contain_text(f"attempt {attempt} ({dose} mcg)")
    for item in ("fasting", "medications", "identity", "resuscitation"):
        tick(nurse, "day_of", item)
    tick(nurse, "injection", "positioned")
    tick(neuro, "injection", "skin_prepared", note="Chlorhexidine; lidocaine 1 % 2 mL")
    tick(nurse, "injection", "needle_removed")
    expect(nurse.locator("#checklist-injection .card-header .badge")).to_have_text("3 / 3")


def record_injection(
    neuro: Page, app, *, attempt: int, dose: int, given_at: str | None, lot: str, screens: Screens
) -> None:
    """Fill and sign the injection record; given_at None keeps the form's default (now)."""
    neuro.reload()
    expect(neuro.locator("#phase-panel")).to_contain_text("Ready.")
    neuro.get_by_role("link", name="Sign the injection").click()
    expect(
        neuro.get_by_role("heading", name=f"Injection record – attempt {attempt}")
    ).to_contain_text(f"{dose} mcg")
    expect(neuro.locator("#id_dose_mcg")).to_have_value(str(dose))
    neuro.locator("#id_spinal_level").select_option("L3-L4")
    neuro.locator("#id_needle_type").select_option("pencil_point")
    neuro.locator("#id_needle_gauge").fill("25")
    neuro.locator("#id_clear_csf").select_option(label="Yes")
    neuro.locator("#id_passes").fill("1")
    neuro.locator("#id_image_guidance").select_option(label="No")
    neuro.locator("#id_product").select_option("lioresal")
    neuro.locator("#id_concentration_mcg_ml").fill("50")
    neuro.locator("#id_lot").fill(lot)
    neuro.locator("#id_expiry").fill((clinic_today(app) + timedelta(days=365)).isoformat())
    if given_at is None:
        given_at = neuro.locator("#id_given_at").input_value()
        shown = datetime.fromisoformat(given_at).replace(tzinfo=CLINIC_TZ)
        assert abs(app.now() - shown) < timedelta(minutes=3), (
            f"'Time given' should default to now (clinic time), shows {given_at!r}"
        )
    else:
        neuro.locator("#id_given_at").fill(given_at)
    neuro.locator("#id_duration_seconds").fill("90")
    neuro.locator("#id_discarded_mcg").fill("0")
    neuro.locator("#id_assisting_nurse").select_option(label=app.nurse.printed_name)
    neuro.get_by_label("Your password (to sign)").fill(app.password)
    screens.take(neuro, f"injection-form-{attempt}")
    submit(neuro, "Sign the injection")
    expect_saved_without_errors(neuro)
    expect_phase(neuro, "Observation")
    card = neuro.locator(f"#attempt-{attempt}")
    expect(card).to_contain_text(given_at.replace("T", " "))
    expect(card).to_contain_text(f"assisted by {app.nurse.printed_name}")


def record_vitals(
    nurse: Page,
    app,
    *,
    attempt: int,
    at: str | None = None,
    link: str = "Record vital signs",
    timed: Meter | None = None,
) -> None:
    """A set of vital signs from the link named `link` (on the trial page or the ward board);
    `timed`: the save is timed from the tap to the next page's load."""
    nurse.get_by_role("link", name=link).click()
    if at:
        nurse.locator("#id_recorded_at").fill(at)
    values = {"heart_rate": "76", "systolic": "124", "diastolic": "78", "respiratory_rate": "16",
              "spo2": "98", "temperature_c": "36.8", "pain": "1"}  # fmt: skip
    for field, value in values.items():
        nurse.locator(f"#id_{field}").fill(value)
    tap(nurse, "sedation", "0")
    with timed.tap_to_load(nurse, "vital-signs save") if timed else nullcontext():
        submit(nurse, "Save")
    expect_saved_without_errors(nurse)
    vitals = nurse.locator(f"#attempt-{attempt} table")
    expect(vitals).to_contain_text("124/78")
    expect(vitals).to_contain_text(app.nurse.printed_name)


def record_post_dose(
    neuro: Page, grade: str, *, attempt: int, at: str | None = None, late: str = "", screens=None
):
    """From the trial page as it came back after the wait (time_passes)."""
    neuro.get_by_role("link", name="Post-dose assessment").click()
    expect(neuro.get_by_role("heading", name="Post-dose spasticity assessment")).to_be_visible()
    record_scores(neuro, grade, at=at, late=late)
    if screens:
        screens.take(neuro, "post-dose-form")
    submit(neuro, "Save")
    expect_saved_without_errors(neuro)
    expect(neuro.locator(".score-table thead")).to_contain_text(f"#{attempt}")


def tick_discharge_checklist(nurse: Page) -> None:
    nurse.reload()
    expect(nurse.locator(".vitals-compare")).to_contain_text("Baseline (pre-dose): HR 76")
    for item in ("vitals_stable", "rest_today", "no_strenuous", "warning_signs"):
        tick(nurse, "observation", item)


def discharge_refused_before_the_4h_score(nurse: Page, screens: Screens) -> None:
    """The nurse tries to discharge after the 2 h score: the page says what is missing."""
    tick_discharge_checklist(nurse)
    move = nurse.locator('.next-move[data-action="discharge"]')
    expect(move.locator(".blockers")).to_contain_text(
        "The 4 h spasticity assessment is not recorded yet."
    )
    move.get_by_role("link", name="Sign the discharge").click()
    expect(nurse.locator(".blockers")).to_contain_text("The 4 h spasticity assessment")
    screens.take(nurse, "discharge-refused")
    nurse.get_by_role("link", name="Back to the trial").click()


def discharge(nurse: Page, app, *, attempt: int, ticked: bool = False) -> None:
    """`ticked`: the checklist was ticked earlier (the page is refreshed to see what changed
    since); otherwise it is ticked now, and the panel the last tick brought offers the link."""
    if ticked:
        nurse.reload()
    else:
        tick_discharge_checklist(nurse)
    nurse.get_by_role("link", name="Sign the discharge").click()
    expect(nurse.get_by_text("Rest for the remainder of the day")).to_be_visible()
    nurse.locator("#id_note").fill("Home with his partner; leaflet given.")
    sign(nurse, app.password, button="Sign the discharge")
    expect_phase(nurse, "Follow-up")
    expect(nurse.locator(f"#attempt-{attempt}")).to_contain_text("Discharged")


def decide(neuro: Page, app, verdict: str, screens: Screens, *, fall: str) -> None:
    """The suggestion on the trial page and on the form agrees with `verdict`, which is signed.

    `fall`: the fall in mean lower-limb MAS the form's comparison table shows for the 2 h score.
    """
    neuro.reload()
    expect_phase(neuro, "Follow-up")
    expect(neuro.locator("#decision")).to_contain_text(f"Suggestion: {verdict}:")
    neuro.get_by_role("link", name="Decide the response").click()
    suggestion = neuro.locator(".alert-info")
    expect(suggestion).to_contain_text(f"Suggestion: {verdict}:")
    two_hours = suggestion.get_by_role("row").filter(has=neuro.get_by_role("cell", name="2 h"))
    for i in range(neuro.locator("input[name^=goal_]").count() // 3):
        neuro.locator(f"input[name=goal_{i}]").first.check()
    expect(two_hours.get_by_role("cell").nth(3), "the Fall column").to_have_text(fall)
    choice = neuro.get_by_label(verdict, exact=True)
    expect(choice, "the form preselects the suggestion").to_be_checked()
    screens.take(neuro, f"decision-{verdict.lower().replace(' ', '-')}")
    sign(neuro, app.password, button="Sign the decision")
    expect(neuro.get_by_role("status")).to_contain_text("Decision signed.")
    if verdict == "Responder":
        expect(neuro.locator("#decision")).to_contain_text(f"Decision: {verdict} by")
    else:  # a rung is left: the save led on to the plan's form, which says what was decided
        expect(neuro.locator(".alert-info")).to_contain_text(
            f"{verdict}, decided by {app.neurologist.printed_name}."
        )


def visit_the_menu(page: Page, app, axe: AxeAudit) -> None:
    """The role's home, then each page its menu links to (Django's own admin aside)."""
    page.goto(app.url("/"))
    axe.check(page)
    links = page.locator("nav a.nav-link, nav a.navbar-text").evaluate_all(
        "links => links.map(a => a.href)"
    )
    for href in links:
        if "admin/" in href:  # Django's admin (the "Users" link) is not ours to fix
            continue
        page.goto(href)
        axe.check(page)


# --- The story -------------------------------------------------------------------------------


# Issue 10: one trial, tried by hand as a new user would before the bedside work, took 272
# clicks; the goal is under half. Reported beside the journey's own count, and asserted. The
# count includes signing in again after each wait (the site's 15-minute idle limit), which a
# journey tried by hand in one sitting did not need: reported apart.
CLICKS_BEFORE = 272
WAITS = "time passes: tabs come back"


def test_nurse_and_neurologist_take_a_new_patient_through_the_trial(
    live_app, new_tab, screenshots_dir, meter
):
    app = live_app
    screens = Screens(screenshots_dir)
    axe = AxeAudit()

    def open_tab(name: str) -> Page:
        page = new_tab(name).page
        axe.watch(page)  # every page this user reaches is checked by axe-core
        return page

    mrn = f"E2E{secrets.token_hex(3).upper()}"
    patient = {
        "mrn": mrn, "first_name": "Robin", "last_name": "Ellery", "name": "Ellery, Robin",
        "date_of_birth": "1984-03-14", "sex": "male", "weight_kg": "72.5", "diagnosis": "ms",
        "diagnosis_detail": "Secondary progressive", "allergies": "None known",
        "anticoagulants": "None", "oral_antispasmodics": "Baclofen 20 mg three times daily",
    }  # fmt: skip

    def time_passes(back: tuple[Page, ...] | None = None, **delta) -> None:
        """The app's clock moves on; the tabs in `back` (both by default: the users who act
        next) come back to their page and refresh it. When the session has ended meanwhile
        (idle limit, or the 12 h limit overnight) the app shows its sign-in form, and signing
        in there brings the user back to the page. A tab left out comes back at a later call."""
        step = meter.current
        meter.step(WAITS)
        app.move_clock(**delta)
        for page, user in ((nurse, app.nurse), (neuro, app.neurologist)):
            if back is not None and page not in back:
                continue
            url = page.url
            page.reload()
            if "/login/" in page.url:
                sign_in(page, app, user)
                assert page.url == url, f"signing in again led to {page.url}, not back to {url}"
        meter.step(step)

    # The nurse registers the patient and starts the trial.
    meter.step("nurse signs in")
    nurse = log_in(open_tab("nurse"), app, app.nurse, screens)
    expect(nurse.get_by_role("heading", name="My tasks")).to_be_visible()
    meter.step("register the patient")
    register_patient(nurse, patient, screens)
    meter.step("start the trial")
    trial_url = start_trial(nurse, patient)
    screens.take(nurse, "trial-started")
    meter.step("preparation items")
    with meter.tap_to_paint(nurse, "checklist tick (htmx)"):
        tick(nurse, "preparation", "no_infection")
    mark_not_applicable(nurse, "preparation", "pregnancy", "Male patient")

    # The neurologist finds the trial among his tasks and completes preparation.
    meter.step("neurologist signs in")
    neuro = log_in(open_tab("neurologist"), app, app.neurologist)
    expect(neuro.get_by_role("heading", name="My tasks")).to_be_visible()
    task_row = neuro.get_by_role("link", name=re.compile(patient["name"]))
    expect(task_row).to_contain_text("Tick: Indication documented")
    meter.step("preparation items")
    task_row.click()
    expect_phase(neuro, "Preparation")
    for item in ("indication", "eligibility", "anticoagulation", "other_treatments", "consent",
                 "goals"):  # fmt: skip
        tick(neuro, "preparation", item)
    mark_not_applicable(neuro, "preparation", "imaging", "No spine imaging ordered")
    expect(neuro.locator("#checklist-preparation .card-header .badge")).to_have_text("9 / 9")
    screens.take(neuro, "preparation-ticked")
    meter.step("baseline scores")
    record_baseline(neuro, None, screens)
    meter.step("sign preparation")
    sign_preparation(neuro, app.password, screens)

    # Attempt 1, 50 mcg: the day-of checks, the pre-dose vital signs, the dose given now.
    meter.step("#1 day-of and injection items")
    nurse.goto(trial_url)
    expect_phase(nurse, "Injection")
    tick_injection_day(nurse, neuro, attempt=1, dose=50)
    meter.step("#1 pre-dose vital signs")
    record_vitals(nurse, app, attempt=1, link="Record pre-dose vital signs")
    expect(nurse.locator("#attempt-1 .vitals-baseline")).to_contain_text("Baseline")
    screens.take(nurse, "injection-checklists")
    meter.step("#1 injection record")
    record_injection(
        neuro, app, attempt=1, dose=50, given_at=None, lot="LIO-24-0815", screens=screens
    )
    given_first = app.now()
    meter.step("#1 vital signs")
    nurse.goto(trial_url)
    expect_phase(nurse, "Observation")
    time_passes(back=(nurse,), minutes=15)  # the neurologist comes back for the 2 h score
    taps_before, typed_before = meter.total("clicks"), meter.total("typed fields")
    record_vitals(nurse, app, attempt=1, timed=meter)
    set_taps = meter.total("clicks") - taps_before
    set_typed = meter.total("typed fields") - typed_before
    meter.notes["one vital-signs set"] = f"{set_taps} taps + {set_typed} typed numbers"
    # Issue 10's target for the bedside: a set in at most 5 taps plus the numbers (counted).
    assert set_taps <= 5, f"a vital-signs set took {set_taps} taps"
    time_passes(minutes=105)
    meter.step("#1 2 h score")
    record_post_dose(neuro, "3", attempt=1)

    # 2 h after the dose the nurse tries to discharge: the 4 h score is not there yet.
    meter.step("#1 discharge items, refused")
    discharge_refused_before_the_4h_score(nurse, screens)

    # The 4 h score is taken on time but charted 75 minutes later: a late entry, with its reason.
    time_passes(minutes=120 + 75)
    meter.step("#1 4 h score (late)")
    four_hours = clinic_input(given_first + timedelta(minutes=240))
    record_post_dose(
        neuro, "3", attempt=1, at=four_hours, late="Called to an emergency; scored on paper."
    )
    late_mark = neuro.locator(".late-entry").first
    expect(late_mark).to_contain_text(f"late entry · entered {clinic_input(app.now())[:10]}")
    expect(late_mark).to_contain_text("Theo Marsh: Called to an emergency; scored on paper.")
    screens.take(neuro, "late-entry")
    meter.step("#1 discharge")
    discharge(nurse, app, attempt=1, ticked=True)

    # No change from baseline: the app suggests "not a responder"; the neurologist agrees
    # and plans 75 mcg.
    meter.step("#1 decision")
    decide(neuro, app, "Not a responder", screens, fall="0.00")
    meter.step("plan attempt 2")
    # The decision leaves a rung of the ladder: its save led to the plan's form.
    expect(neuro.get_by_role("heading", name="Plan the next attempt")).to_be_visible()
    expect(neuro.get_by_text("at least 24 hours after the last one")).to_be_visible()
    expect(neuro.locator("#id_dose_mcg")).to_have_value("75")
    submit(neuro, "Plan the attempt")
    expect_phase(neuro, "Injection")
    expect(neuro.locator("#phase-panel")).to_contain_text("Attempt 2 of 3: 75 mcg, not before")

    # Attempt 2, 75 mcg, the next day (more than 24 h after the first dose).
    time_passes(hours=20)
    meter.step("#2 day-of and injection items")
    expect_phase(nurse, "Injection")  # her tab came back to the trial page
    tick_injection_day(nurse, neuro, attempt=2, dose=75)
    meter.step("#2 pre-dose vital signs")
    record_vitals(nurse, app, attempt=2, link="Record pre-dose vital signs")
    meter.step("#2 injection record")
    record_injection(
        neuro, app, attempt=2, dose=75, given_at=None, lot="LIO-24-0816", screens=screens
    )
    meter.step("#2 vital signs")
    nurse.get_by_role("link", name="Ward board").click()
    board_row = nurse.locator(".board-row", has_text=patient["name"])
    expect(board_row).to_contain_text("#2 · 75 mcg")
    screens.take(nurse, "ward-board")
    expect(board_row.get_by_role("link", name=patient["name"], exact=True)).to_have_attribute(
        "href", re.compile(r"/trials/\d+/$")
    )
    time_passes(back=(nurse,), minutes=15)
    # The board's row opens the vital-signs form at the due time, as My tasks does.
    link = f"Record vital signs: {patient['name']}"
    record_vitals(nurse, app, attempt=2, link=link)
    expect_phase(nurse, "Observation")
    screens.take(nurse, "observation")
    time_passes(back=(neuro,), minutes=105)  # the nurse comes back after the 4 h score
    meter.step("#2 2 h score")
    record_post_dose(neuro, "1+", attempt=2, screens=screens)
    time_passes(minutes=120)
    meter.step("#2 4 h score")
    record_post_dose(neuro, "1+", attempt=2)
    meter.step("#2 discharge")
    discharge(nurse, app, attempt=2)

    # Mean lower-limb MAS fell from 3 to 1.5: the app suggests "responder"; confirmed.
    meter.step("#2 decision")
    decide(neuro, app, "Responder", screens, fall="1.50")
    expect(neuro.locator("#decision")).to_contain_text(
        re.compile(r"3\.00 at baseline, 1\.50 at 2 h.*\(fall 1\.50")
    )
    meter.step("follow-up and close")
    tick(neuro, "follow_up", "appointment")
    neuro.get_by_role("link", name="Close the trial with an outcome").click()
    expect(neuro.get_by_text("Suggested starting daily pump dose: 150 mcg/day")).to_be_visible()
    expect(neuro.get_by_label("Pump candidate (refer for implant)")).to_be_checked()
    follow_up = (clinic_today(app) + timedelta(days=14)).isoformat()
    neuro.locator("#id_follow_up_on").fill(follow_up)
    screens.take(neuro, "close-trial")
    sign(neuro, app.password, button="Sign and close the trial")
    expect_phase(neuro, "Completed")
    expect(
        neuro.get_by_role("heading", name="Outcome: Pump candidate (refer for implant)")
    ).to_be_visible()
    expect(neuro.get_by_text("Suggested starting daily pump dose:")).to_contain_text("150 mcg/day")
    expect(neuro.get_by_text(f"follow-up {follow_up}")).to_be_visible()
    screens.take(neuro, "trial-completed")

    # The admin sees the trial among the completed ones.
    meter.step("admin finds it")
    admin = log_in(open_tab("admin"), app, app.admin)
    expect(admin.get_by_role("heading", name="All trials")).to_be_visible()
    completed = admin.locator("#phase-completed")
    expect(completed.get_by_role("link", name=patient["name"])).to_be_visible()
    expect(completed).to_contain_text("#1 50 mcg (non-responder) · #2 75 mcg (responder)")
    expect(completed).to_contain_text("Pump candidate")
    screens.take(admin, "all-trials-admin")
    # The journey ends here; the menu sweep below is the axe gate's, not something users do.
    clicks = meter.total("clicks")
    again = meter.in_step(WAITS, "clicks")
    meter.notes["clicks against issue 10's count before"] = (
        f"{clicks} of {CLICKS_BEFORE} ({clicks / CLICKS_BEFORE:.0%}; the goal is under 50%); "
        f"{again} of them signing in again after the waits"
    )
    journey = meter.summary()
    steps = meter.step_table()
    meter.step("(menu sweep for axe, not counted)")

    # Every page shot at tablet width fits it: nothing to scroll sideways.
    assert not screens.overflow, "\n".join(screens.overflow)

    # Each role's home and every page of its menu pass axe-core, as do all the pages above.
    for page in (nurse, neuro, admin):
        visit_the_menu(page, app, axe)
    report = axe.counts()
    (screenshots_dir / "axe-report.txt").write_text(report + "\n")
    print("\naxe-core violations per page (elements)\n" + report)

    # What the whole journey took its users, counted as the test did it; and two timings.
    print("\n" + journey)
    print("\nper step\n" + steps)
    failures = axe.failures()
    assert not failures, "Serious or critical accessibility violations:\n" + "\n".join(failures)
    assert clicks * 2 < CLICKS_BEFORE, f"{clicks} clicks: not under half of {CLICKS_BEFORE}"
