"""By keyboard alone (Tab, Shift+Tab, Space, Enter and typing; no mouse, no clicks): a nurse ticks
a checklist item and keeps her place, then records a set of vital signs.

The trials are made directly in the app's database (the services, as the demo does), so the test
only drives what it is about.
"""

import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from .conftest import ROOT

pytestmark = pytest.mark.browser

MAKE_TRIALS = """
from accounts.models import User
from tests import factories
from trials import scenarios
team = scenarios.Team(
    User.objects.get(username={nurse!r}), User.objects.get(username={neuro!r}), {password!r}
)
for state, last_name in (("preparation", "Keyes"), ("observation", "Tabor")):
    patient = factories.make_patient(mrn="KB-" + state[:4].upper(), last_name=last_name)
    print(state, factories.build_trial(state, team, patient).pk)
"""
VITALS = {"heart_rate": "71", "systolic": "131", "diastolic": "79", "respiratory_rate": "15",
          "spo2": "97", "temperature_c": "36.6", "pain": "2"}  # fmt: skip
MAX_TABS = 120


@pytest.fixture(scope="module")
def trials(live_app) -> dict[str, int]:
    """A trial in preparation and one in observation: {"preparation": pk, "observation": pk}."""
    env = os.environ | {
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": live_app.database_url,
        "DJANGO_SETTINGS_MODULE": "tests.browser.settings",
    }
    code = MAKE_TRIALS.format(
        nurse=live_app.nurse.username,
        neuro=live_app.neurologist.username,
        password=live_app.password,
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return {state: int(pk) for state, pk in re.findall(r"^(\w+) (\d+)$", done.stdout, re.M)}


def focused(page: Page, js: str):
    """Evaluate `js` (an expression over `el`) on the focused element."""
    return page.evaluate(f"() => {{ const el = document.activeElement; return {js}; }}")


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if focused(page, f"el && el.matches({selector!r})"):
            return
    pytest.fail(f"{MAX_TABS} presses of Tab never reached {selector}")


def sign_in_by_keyboard(page: Page, app) -> None:
    page.goto(app.url("/login/"))
    tab_to(page, "#id_username")
    page.keyboard.type(app.nurse.username)
    page.keyboard.press("Tab")
    page.keyboard.type(app.password)
    page.keyboard.press("Enter")
    expect(page.locator("nav")).to_contain_text(app.nurse.printed_name)


def test_a_nurse_ticks_a_checklist_item_by_keyboard_and_keeps_her_place(live_app, new_tab, trials):
    page = new_tab("nurse").page
    sign_in_by_keyboard(page, live_app)
    page.goto(live_app.url(f"/trials/{trials['preparation']}/"))
    row = page.locator("#item-preparation-no_infection")

    tab_to(page, '#item-preparation-no_infection button[aria-label^="Tick: "]')
    page.keyboard.press("Space")

    untick = row.get_by_role("button", name=re.compile(r"^Untick: No active infection"))
    expect(untick).to_be_visible()
    expect(untick, "focus comes back to the row just ticked").to_be_focused()
    page.keyboard.press("Tab")
    assert focused(page, "!!el.closest('#checklist-preparation')"), (
        "the next Tab stays in the checklist, after the ticked row"
    )


def test_a_nurse_records_vital_signs_by_keyboard(live_app, new_tab, trials):
    page = new_tab("nurse").page
    sign_in_by_keyboard(page, live_app)
    page.goto(live_app.url(f"/trials/{trials['observation']}/"))

    tab_to(page, 'a[href$="/vitals/"]')
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("form.vitals-form, form[method=post]").first).to_be_visible()

    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        name, kind = focused(page, "[el.name || '', el.type || el.tagName.toLowerCase()]")
        if kind == "submit" and focused(page, "el.textContent.trim()") == "Save":
            break
        if name in VITALS:
            page.keyboard.press("Control+A")
            page.keyboard.type(VITALS[name])
        elif name == "sedation" and kind == "radio":
            page.keyboard.press("Space")  # the first grade, 0 (awake), checked by Space
        elif name == "sedation" and kind == "select-one":
            page.keyboard.press("ArrowDown")
    else:
        pytest.fail("Tab never reached the Save button")
    page.keyboard.press("Enter")
    page.wait_for_load_state()

    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Vital signs .*saved"))
    expect(page.locator("#attempt-1 .vitals-table")).to_contain_text("131/79")
