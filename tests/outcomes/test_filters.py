"""The outcome filter: referral dates, diagnosis, age group at referral, outcome, dose given."""

from datetime import timedelta

import pytest

from tests.factories import clinic_today
from trials.models import Trial
from trials.outcomes.filters import OutcomeFilterForm

from .conftest import born_years_ago


def filtered(**params) -> set[int]:
    form = OutcomeFilterForm(params)
    assert form.is_valid(), form.errors
    return set(form.trials().values_list("pk", flat=True))


def test_no_filter_means_every_trial(cohort):
    assert filtered() == {t.pk for t in cohort.all}


def test_diagnosis_outcome_and_dose(cohort):
    assert filtered(diagnosis="cp") == {cohort.non_responder.pk}
    assert filtered(outcome="pump_candidate") == {cohort.pump.pk}
    assert filtered(dose="75") == {cohort.pump.pk}
    assert filtered(dose="50") == {cohort.pump.pk, cohort.non_responder.pk}
    assert filtered(dose="100") == set()


def test_referral_date_range_includes_both_ends(cohort):
    today = clinic_today()
    ten_days_ago = (today - timedelta(days=10)).isoformat()

    assert filtered(referred_from=ten_days_ago) == {cohort.non_responder.pk, cohort.preparing.pk}
    assert filtered(referred_to=ten_days_ago) == {
        cohort.pump.pk, cohort.non_responder.pk, cohort.cancelled.pk,
    }  # fmt: skip
    assert filtered(referred_from=ten_days_ago, referred_to=ten_days_ago) == {
        cohort.non_responder.pk
    }


def test_age_group_is_the_age_on_the_referral_date(cohort):
    assert filtered(age_group="child") == {cohort.non_responder.pk}
    assert filtered(age_group="adult") == {
        cohort.pump.pk, cohort.preparing.pk, cohort.cancelled.pk,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("born_days_before_18th", "group"),
    [(-1, "child"), (0, "adult"), (1, "adult")],
    ids=["18th birthday tomorrow", "18th birthday on the referral day", "just 18"],
)
def test_eighteenth_birthday_boundary(start_trial, born_days_before_18th, group):
    trial = start_trial(referred_days_ago=0, born=born_years_ago(18, days=born_days_before_18th))

    assert Trial.objects.in_age_group(group).filter(pk=trial.pk).exists()


def test_a_reversed_date_range_is_refused():
    form = OutcomeFilterForm({"referred_from": "2026-02-01", "referred_to": "2026-01-01"})

    assert not form.is_valid()
    assert "must not be after" in str(form.errors)


def test_unknown_choices_are_refused():
    assert not OutcomeFilterForm({"diagnosis": "flu"}).is_valid()
    assert not OutcomeFilterForm({"dose": "60"}).is_valid()
    assert not OutcomeFilterForm({"age_group": "teen"}).is_valid()
