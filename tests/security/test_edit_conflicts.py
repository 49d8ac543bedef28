"""Optimistic concurrency on every edit form (patient, trial details, site settings, adverse-event
resolution, amendments of a signed injection or discharge): two people open the same form; the
second saves; the first person's save of the form as it was opened is refused with the other
person's values shown beside theirs, and nothing is overwritten. Saving the re-shown form again
is then a deliberate choice and stands. Sequential stale forms, on either database; the real
races (two connections at once, PostgreSQL) are in test_concurrent_edits.py."""

from types import SimpleNamespace

import pytest

from core.concurrency import STALE_FORM
from tests import module_data
from tests.factories import PASSWORD
from tests.security.edit_records import RECORDS, bound_values, page_values, person
from trials.services import workflow

REFUSED = "after you opened this form. Nothing of yours was saved."

# One trial in each state an edited record needs, built once for the module (tests/module_data.py):
# what a test saves is rolled back after it. The named users of the module built them.
TRIAL_STATES = sorted({spec.state for spec in RECORDS.values() if spec.state})
TRIAL_STATES += ["preparation_ready"]  # test_a_phase_change_does_not_make_the_trial_details_...
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


@pytest.fixture
def editing(module_trial_in, make_patient, adverse_event_of, team, admin_user, client_for):
    """editing(name) -> (spec, ctx, first client, second client, second user)."""

    def build(name: str):
        spec = RECORDS[name]
        trial = module_trial_in(spec.state) if spec.state else None
        event = adverse_event_of(trial) if name == "adverse-event resolution" else None
        ctx = SimpleNamespace(trial=trial, event=event, patient=make_patient(allergies="none"))
        second = person(spec.second, team, admin_user)
        first = client_for(person(spec.first, team, admin_user))
        return spec, ctx, first, client_for(second), second

    return build


def open_both(spec, ctx, first, second):
    url = spec.url(ctx)
    return url, page_values(first, url), page_values(second, url)


@pytest.mark.parametrize("name", RECORDS)
def test_a_stale_form_is_refused_and_nothing_is_overwritten(name, editing, audit_mark):
    spec, ctx, first, second, second_user = editing(name)
    url, yours, theirs = open_both(spec, ctx, first, second)
    assert second.post(url, theirs | spec.theirs(ctx)).status_code == 302
    on_record = spec.stored(ctx)
    new_rows = audit_mark()

    response = first.post(url, yours | spec.yours(ctx))

    assert response.status_code == 400
    page = response.content.decode()
    assert REFUSED in page
    assert f"{second_user.printed_name} changed " in page
    assert spec.stored(ctx) == on_record
    assert [r for r in new_rows() if r.action not in ("view", "deny")] == []
    conflict = response.context["form"].conflict
    assert spec.conflict_label in [row.label for row in conflict.rows]
    assert 'id="edit-conflict"' in page


@pytest.mark.parametrize("name", RECORDS)
def test_saving_again_after_reading_their_values_stands(name, editing):
    spec, ctx, first, second, _ = editing(name)
    url, yours, theirs = open_both(spec, ctx, first, second)
    second.post(url, theirs | spec.theirs(ctx))
    refused = first.post(url, yours | spec.yours(ctx))
    assert refused.status_code == 400

    again = first.post(url, bound_values(refused.context["form"]) | spec.yours(ctx))

    assert again.status_code == 302
    stored = spec.stored(ctx)
    for field, value in spec.yours(ctx).items():
        if field in stored:
            assert stored[field] == value, field


@pytest.mark.parametrize("name", RECORDS)
def test_a_form_without_its_version_is_refused(name, editing):
    spec, ctx, first, _second, _ = editing(name)
    url = spec.url(ctx)
    data = page_values(first, url) | spec.yours(ctx)
    before = spec.stored(ctx)
    del data["version"]

    response = first.post(url, data)

    assert response.status_code == 400
    assert STALE_FORM in response.content.decode()
    assert spec.stored(ctx) == before


@pytest.mark.parametrize("name", RECORDS)
def test_an_up_to_date_form_saves(name, editing):
    spec, ctx, first, _second, _ = editing(name)
    url = spec.url(ctx)

    response = first.post(url, page_values(first, url) | spec.yours(ctx))

    assert response.status_code == 302


def test_the_conflict_shows_their_value_beside_yours(editing, neurologist):
    spec, ctx, first, second, _ = editing("patient")
    url, yours, theirs = open_both(spec, ctx, first, second)
    second.post(url, theirs | {"weight_kg": "64.0"})

    response = first.post(url, yours | {"allergies": "penicillin (rash)"})

    rows = {row.label: (row.theirs, row.yours) for row in response.context["form"].conflict.rows}
    assert rows == {"Weight (kg)": ("64.0", "68.0"), "Allergies": ("none", "penicillin (rash)")}
    page = response.content.decode()
    assert '<td class="theirs">64.0</td><td class="yours">68.0</td>' in page
    assert "Their change: Patient details changed: weight_kg" in page


@pytest.mark.parametrize(
    ("name", "same"),
    [("patient", {"weight_kg": "64.0"}), ("site settings", {"fasting_hours": "9"})],
)
def test_a_stale_form_that_says_what_is_now_on_record_saves(editing, name, same):
    spec, ctx, first, second, _ = editing(name)
    url, yours, theirs = open_both(spec, ctx, first, second)
    assert second.post(url, theirs | same).status_code == 302

    # The first person typed the same correction: nothing of anyone's would be overwritten.
    response = first.post(url, yours | same)

    assert response.status_code == 302


def test_a_phase_change_does_not_make_the_trial_details_form_stale(
    module_trial_in, team, client_for
):
    trial = module_trial_in("preparation_ready")
    client = client_for(team.neurologist)
    url = RECORDS["trial details"].url(SimpleNamespace(trial=trial))
    opened = page_values(client, url)
    workflow.preparation_sign(
        trial_id=trial.pk, actor=team.neurologist, password=PASSWORD, first_dose_mcg=50
    )

    response = client.post(url, opened | {"goals": "Sleep through the night"})

    assert response.status_code == 302
    trial.refresh_from_db()
    assert (trial.status, trial.goals) == ("injection", "Sleep through the night")
