"""Ticking and unticking checklist items on the trial page, in place (htmx) or by a plain post."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests import module_data
from trials.models import ChecklistEntry

from .support import HTMX, ITEM, LABEL, element, html

# The trials are built once for the module (tests/module_data.py): what a test changes is rolled
# back after it. The named users of the module are the people who built them.
TRIAL_STATES = ["preparation"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


@pytest.fixture
def trial(module_trial_in):
    return module_trial_in("preparation")


def _url(action: str, trial, item: str = ITEM) -> str:
    return reverse(f"trials:{action}", args=[trial.pk, "preparation", item])


def _row(page: str, item: str = ITEM) -> str:
    return element(page, "li", f'id="item-preparation-{item}"')


def test_htmx_tick_returns_the_phase_panel_with_the_item_ticked_by_the_nurse(trial, as_nurse):
    response = as_nurse.post(_url("tick", trial), {"note": "Urine dipstick clear"}, **HTMX)

    page = html(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="phase-panel">')
    assert "<html" not in page
    row = _row(page)
    assert 'aria-label="done"' in row
    assert "Nadia Okafor" in row
    assert "“Urine dipstick clear”" in row
    assert reverse("trials:untick", args=[trial.pk, "preparation", ITEM]) in row
    # The other items stay open.
    assert 'aria-label="done"' not in _row(page, "consent")


def test_plain_tick_redirects_to_the_trial_page(trial, as_nurse):
    response = as_nurse.post(_url("tick", trial))

    assert (response.status_code, response["Location"]) == (302, trial.get_absolute_url())
    entry = ChecklistEntry.objects.get(trial=trial)
    assert (entry.checklist, entry.item, entry.by.username) == ("preparation", ITEM, "nadia")


def test_a_double_post_ticks_once(trial, as_nurse):
    first = as_nurse.post(_url("tick", trial), {"note": "first"}, **HTMX)
    second = as_nurse.post(_url("tick", trial), {"note": "second"}, **HTMX)

    assert (first.status_code, second.status_code) == (200, 200)
    entry = ChecklistEntry.objects.get(trial=trial, item=ITEM)
    assert entry.note == "first"
    assert AuditEvent.objects.filter(trial=trial, action="tick").count() == 1


def test_not_applicable_without_a_reason_shows_the_error_and_saves_nothing(trial, as_nurse):
    response = as_nurse.post(
        _url("tick", trial, "pregnancy"), {"not_applicable": "on", "na_reason": "  "}, **HTMX
    )

    # A form error comes back as the panel with the reason and a 400.
    assert response.status_code == 400
    page = html(response)
    assert "“Not applicable” needs a reason." in page
    assert "Not applicable:" not in _row(page, "pregnancy")
    assert 'aria-label="done"' not in _row(page, "pregnancy")
    assert not ChecklistEntry.objects.filter(trial=trial).exists()


def test_not_applicable_without_a_reason_by_plain_post_shows_the_error_on_the_trial_page(
    trial, as_nurse
):
    response = as_nurse.post(
        _url("tick", trial, "pregnancy"), {"not_applicable": "on", "na_reason": ""}, follow=True
    )

    assert response.redirect_chain == [(trial.get_absolute_url(), 302)]
    assert "“Not applicable” needs a reason." in html(response)
    assert not ChecklistEntry.objects.filter(trial=trial).exists()


def test_not_applicable_with_a_reason_shows_the_reason(trial, as_nurse):
    response = as_nurse.post(
        _url("tick", trial, "pregnancy"),
        {"not_applicable": "on", "na_reason": "Patient is 71."},
        **HTMX,
    )

    row = _row(html(response), "pregnancy")
    assert "N/A" in row
    assert "Not applicable: Patient is 71." in row
    assert ChecklistEntry.objects.get(trial=trial).state == "na"


def test_untick_clears_the_item_and_the_timeline_shows_it(trial, as_nurse):
    as_nurse.post(_url("tick", trial), **HTMX)

    response = as_nurse.post(_url("untick", trial), {"reason": "Ticked the wrong patient"}, **HTMX)

    assert response.status_code == 200
    row = _row(html(response))
    assert 'aria-label="done"' not in row
    assert _url("tick", trial) in row
    assert not ChecklistEntry.objects.filter(trial=trial).exists()

    timeline = html(as_nurse.get(trial.get_absolute_url())).split("Timeline", 1)[1]
    assert f"Unticked: Preparation – {LABEL}" in timeline
    assert "Reason: Ticked the wrong patient" in timeline
    assert f"Ticked: Preparation – {LABEL}" in timeline


def test_ticking_a_list_of_another_phase_is_refused_in_the_panel(trial, as_nurse):
    url = reverse("trials:tick", args=[trial.pk, "observation", "vitals_stable"])

    response = as_nurse.post(url, **HTMX)

    assert response.status_code == 409
    assert "can only be changed while the trial is in observation" in html(response)
    assert not ChecklistEntry.objects.filter(trial=trial).exists()


def test_the_panel_offers_a_tick_button_only_for_the_users_own_items(trial, as_nurse):
    page = html(as_nurse.get(trial.get_absolute_url()))

    assert _url("tick", trial) in _row(page)  # nurse or neurologist
    assert _url("tick", trial, "pregnancy") in _row(page, "pregnancy")  # nurse
    assert _url("tick", trial, "consent") not in _row(page, "consent")  # neurologist only


def test_every_item_the_user_may_tick_posts_to_its_own_url(trial, as_nurse):
    from trials import procedure

    page = html(as_nurse.get(trial.get_absolute_url()))

    for item in procedure.PREPARATION.items:
        row = _row(page, item.key)
        assert (_url("tick", trial, item.key) in row) == (procedure.NURSE in item.roles)
