"""At the bedside, by keyboard or screen reader: every checklist button says which item it acts on,
focus comes back to the ticked row after an in-place swap, and resolving an adverse event is a
real button."""

import re

import pytest
from django.urls import reverse

from .support import HTMX, ITEM, LABEL, element, html


@pytest.fixture
def trial(trial_in):
    return trial_in("preparation")


def _row(page: str, item: str = ITEM) -> str:
    return element(page, "li", f'id="item-preparation-{item}"')


def _button_names(fragment: str) -> list[str]:
    return re.findall(r'<button\b[^>]*aria-label="([^"]*)"', fragment)


def test_each_open_item_names_its_tick_and_not_applicable_buttons_after_the_item(trial, as_nurse):
    page = html(as_nurse.get(trial.get_absolute_url()))

    assert _button_names(_row(page)) == [f"Tick: {LABEL}", f"Mark not applicable: {LABEL}"]


def test_a_ticked_item_names_its_untick_button_after_the_item(trial, as_nurse):
    response = as_nurse.post(reverse("trials:tick", args=[trial.pk, "preparation", ITEM]), **HTMX)

    assert _button_names(_row(html(response))) == [f"Untick: {LABEL}"]


def test_no_two_checklist_buttons_on_the_page_share_a_name(trial, as_nurse):
    names = _button_names(html(as_nurse.get(trial.get_absolute_url())))

    assert names
    assert len(names) == len(set(names))


def test_the_page_loads_the_script_that_returns_focus_to_the_ticked_row(trial, as_nurse):
    page = html(as_nurse.get(trial.get_absolute_url()))

    assert re.search(r'<script src="[^"]*js/keep-place[^"]*\.js" defer>', page)


def test_resolving_an_adverse_event_is_a_button_named_after_the_event(
    trial_in, as_nurse, record_adverse_event
):
    trial = trial_in("observation")
    event = record_adverse_event(trial, kind="headache")
    resolve_url = reverse("trials:adverse_event_resolve", args=[trial.pk, event.pk])

    page = html(as_nurse.get(trial.get_absolute_url()))

    link = re.search(rf'<a class="([^"]*)" href="{re.escape(resolve_url)}">([^<]*)</a>', page)
    assert link, "no link to the resolution form"
    assert "btn" in link.group(1).split()
    assert link.group(2).startswith("Resolve: Headache")
    assert as_nurse.get(resolve_url).status_code == 200
