"""Spasticity scores by tapping (issue 10): per muscle group and side one tap among 0 / 1 / 1+ /
2 / 3 / 4 / not assessed, the baseline grade beside each row of a post-dose form with "same as
baseline", and the Penn frequency as buttons that must be chosen. The server's rules and messages
are those of the dropdowns they replace."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories, module_data
from tests.views.support import html, local
from trials import procedure
from trials.models import Assessment

# The trials are built once for the module (tests/module_data.py): what a test changes is rolled
# back after it. The named users of the module are the people who built them.
TRIAL_STATES = ["observation", "preparation"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


GROUPS = [g.key for g in procedure.MUSCLE_GROUPS]
LOWER = list(procedure.LOWER_LIMB_GROUPS)
UPPER = list(procedure.UPPER_LIMB_GROUPS)


@pytest.fixture
def dosed_trial(module_trial_in):
    return module_trial_in(
        "observation"
    )  # baseline: every lower-limb group 3, upper limb not assessed


def scores_post(grades: dict[str, str], **overrides) -> dict:
    """The assessment form as the page sends it: a tapped radio per scored row, none for rows
    left untouched."""
    return {
        "submission": "6a1c3a4e-1f5b-4a55-9d54-1b0c9a8e4f10",
        "assessed_at": local(timezone.now()),
        "penn_frequency": "2",
        "penn_severity": "1",
        "note": "",
    } | grades | overrides  # fmt: skip


def saved_grades(assessment: Assessment) -> dict[tuple[str, str], str]:
    return {(s.group, s.side): s.grade for s in assessment.scores.all()}


def radios(page: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio" name="{name}" value="([^"]*)"', page)


def test_every_row_is_a_set_of_buttons_with_not_assessed_chosen(
    module_trial_in, client_for, neurologist
):
    page = html(
        client_for(neurologist).get(
            reverse("trials:baseline", args=[module_trial_in("preparation").pk])
        )
    )

    for group in GROUPS:
        for side in ("left", "right"):
            name = f"mas_{group}_{side}"
            assert radios(page, name) == ["0", "1", "1+", "2", "3", "4", ""], name
            checked = re.search(rf'name="{name}" value="([^"]*)"[^>]*checked', page)
            assert checked and checked.group(1) == "", name
    assert 'class="btn-check"' in page
    assert "same as baseline" not in page.lower()  # nothing to be the same as yet


def test_grades_tapped_on_the_baseline_form_are_saved_exactly(
    module_trial_in, client_for, neurologist
):
    trial = module_trial_in("preparation")
    tapped = {
        "mas_hip_flexors_left": "1+", "mas_hip_flexors_right": "0",
        "mas_knee_extensors_left": "4", "mas_ankle_plantar_flexors_right": "2",
        "mas_elbow_flexors_left": "3", "mas_wrist_flexors_right": "1",
        "mas_hip_adductors_left": "",  # "not assessed" tapped: no score, not a zero
    }  # fmt: skip

    response = client_for(neurologist).post(
        reverse("trials:baseline", args=[trial.pk]), scores_post(tapped)
    )

    assert response.status_code == 302
    baseline = Assessment.objects.get(trial=trial, attempt__isnull=True)
    assert saved_grades(baseline) == {
        tuple(name.removeprefix("mas_").rsplit("_", 1)): grade
        for name, grade in tapped.items()
        if grade
    }
    assert (baseline.penn_frequency, baseline.penn_severity) == (2, 1)


def test_the_post_dose_form_shows_the_baseline_grade_beside_each_row(
    dosed_trial, client_for, neurologist
):
    page = html(client_for(neurologist).get(reverse("trials:assessment", args=[dosed_trial.pk])))

    for group in GROUPS:
        for side in ("left", "right"):
            name = f"mas_{group}_{side}"
            row = re.search(
                rf'<div class="mas-row"[^>]*id_{name}_label.*?</div>\s*</div>', page, re.S
            )
            assert row, name
            shown = re.search(
                r'baseline <strong class="baseline-grade">([^<]*)</strong>', row.group(0)
            )
            expected = factories.BASELINE_GRADE if group in LOWER else "–"
            assert shown and shown.group(1) == expected, name
            offered = "same" in radios(page, name)
            assert offered == (group in LOWER), name  # only where the baseline scored the row


def test_same_as_baseline_records_the_baseline_grade(dosed_trial, client_for, neurologist):
    tapped = {"mas_hip_flexors_left": "same", "mas_hip_flexors_right": "2",
              "mas_knee_flexors_left": "same"}  # fmt: skip

    response = client_for(neurologist).post(
        reverse("trials:assessment", args=[dosed_trial.pk]), scores_post(tapped)
    )

    assert response.status_code == 302
    post_dose = Assessment.objects.get(trial=dosed_trial, attempt__isnull=False)
    assert saved_grades(post_dose) == {
        ("hip_flexors", "left"): factories.BASELINE_GRADE,
        ("hip_flexors", "right"): "2",
        ("knee_flexors", "left"): factories.BASELINE_GRADE,
    }


def test_same_as_baseline_is_refused_where_the_baseline_did_not_score_the_row(
    dosed_trial, client_for, neurologist
):
    response = client_for(neurologist).post(
        reverse("trials:assessment", args=[dosed_trial.pk]),
        scores_post({"mas_elbow_flexors_left": "same", "mas_hip_flexors_left": "2"}),
    )

    assert response.status_code == 400
    assert response.context["form"].errors["mas_elbow_flexors_left"] == [
        "“same” is not a Modified Ashworth grade (0, 1, 1+, 2, 3, 4)."
    ]
    assert not Assessment.objects.filter(trial=dosed_trial, attempt__isnull=False).exists()


def test_the_penn_frequency_buttons_start_with_none_chosen(dosed_trial, client_for, neurologist):
    page = html(client_for(neurologist).get(reverse("trials:assessment", args=[dosed_trial.pk])))

    assert radios(page, "penn_frequency") == ["0", "1", "2", "3", "4"]
    assert not re.search(r'name="penn_frequency"[^>]*checked', page)


def test_a_penn_frequency_left_unchosen_is_refused_with_a_clinical_message(
    dosed_trial, client_for, neurologist
):
    data = scores_post({"mas_hip_flexors_left": "2"})
    del data["penn_frequency"]

    response = client_for(neurologist).post(
        reverse("trials:assessment", args=[dosed_trial.pk]), data
    )

    assert response.status_code == 400
    assert "Choose the Penn spasm frequency (0 to 4)." in html(response)
    assert not Assessment.objects.filter(trial=dosed_trial, attempt__isnull=False).exists()
    # The rows already tapped stay tapped for the second try.
    assert re.search(r'name="mas_hip_flexors_left" value="2"[^>]*checked', html(response))


def test_penn_severity_with_no_spasms_is_still_refused_in_the_same_words(
    module_trial_in, client_for, neurologist
):
    trial = module_trial_in("preparation")

    response = client_for(neurologist).post(
        reverse("trials:baseline", args=[trial.pk]),
        scores_post({"mas_hip_flexors_left": "3"}, penn_frequency="0", penn_severity="2"),
    )

    assert response.status_code == 400
    assert "Leave severity empty when there are no spasms." in html(response)


def test_nothing_tapped_is_refused(dosed_trial, client_for, neurologist):
    response = client_for(neurologist).post(
        reverse("trials:assessment", args=[dosed_trial.pk]), scores_post({})
    )

    assert response.status_code == 400
    assert "Score at least one muscle group." in html(response)


def test_each_group_has_a_both_sides_row_that_sends_nothing_of_its_own(
    dosed_trial, client_for, neurologist
):
    page = html(client_for(neurologist).get(reverse("trials:assessment", args=[dosed_trial.pk])))

    for group in GROUPS:
        row = re.search(rf'<div class="mas-row mas-both"[^>]*data-both="{group}"[^>]*hidden', page)
        assert row, group  # shown by static/js/scores.js, which makes it work
        both = re.findall(
            rf'<input type="radio"[^>]*form="mas-both-sides" name="both_{group}"', page
        )
        expected = ["0", "1", "1+", "2", "3", "4", ""] + (["same"] if group in LOWER else [])
        assert len(both) == len(expected), group
        assert re.findall(rf'name="both_{group}"[^>]*value="([^"]*)"', page) == expected, group
    # They belong to an empty form of their own, which nothing sends.
    assert '<form id="mas-both-sides" hidden></form>' in page
    assert "js/scores.js" in page


def test_grades_sent_side_by_side_after_a_both_sides_tap_are_saved_per_side(
    dosed_trial, client_for, neurologist
):
    # What the page sends after "Both: 2" on the hip flexors: the two side rows, nothing else.
    tapped = {"mas_hip_flexors_left": "2", "mas_hip_flexors_right": "2"}

    response = client_for(neurologist).post(
        reverse("trials:assessment", args=[dosed_trial.pk]), scores_post(tapped)
    )

    assert response.status_code == 302
    post_dose = Assessment.objects.get(trial=dosed_trial, attempt__isnull=False)
    assert saved_grades(post_dose) == {("hip_flexors", "left"): "2", ("hip_flexors", "right"): "2"}


def test_the_post_dose_form_offers_the_baseline_penn_scores_in_one_tap(
    dosed_trial, client_for, neurologist
):
    page = html(client_for(neurologist).get(reverse("trials:assessment", args=[dosed_trial.pk])))

    button = re.search(r"<button[^>]*data-penn-same[^>]*>([^<]*)</button>", page)
    assert button, "no Same as baseline for the Penn scale"
    assert 'data-frequency="3"' in button.group(0) and 'data-severity="2"' in button.group(0)
    assert button.group(1) == (
        "Same as baseline: 3 – more than once an hour; severity 2 – moderate"
    )
    assert 'aria-pressed="false"' in button.group(0)
    # Nothing chosen for the neurologist: the Penn rows start empty as before.
    assert not re.search(r'name="penn_frequency"[^>]*checked', page)


def test_the_baseline_form_has_no_penn_same_as_baseline(module_trial_in, client_for, neurologist):
    page = html(
        client_for(neurologist).get(
            reverse("trials:baseline", args=[module_trial_in("preparation").pk])
        )
    )

    assert "data-penn-same" not in page
