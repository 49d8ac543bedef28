"""The dashboard's numbers, worked out by hand for a small cohort (see conftest.py)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from patients.models import Diagnosis
from trials.models import Trial
from trials.outcomes import figures, mas
from trials.outcomes.figures import Median, median_of_histogram
from trials.procedure import Phase
from trials.services.snapshot import TrialSnapshot


def test_phase_counts_and_completed_outcomes(cohort):
    fig = figures.compute()

    assert fig.total == 4
    assert fig.by_phase == {
        Phase.PREPARATION: 1, Phase.INJECTION: 0, Phase.OBSERVATION: 0, Phase.FOLLOW_UP: 1,
        Phase.COMPLETED: 1, Phase.CANCELLED: 1,
    }  # fmt: skip
    assert fig.completed == 1
    assert fig.completed_by_outcome == {"pump_candidate": 1}


def test_responder_rate_counts_trials_with_a_decided_dose(cohort):
    fig = figures.compute()

    # MS: 50 mcg no, 75 mcg yes -> one responder trial; CP: 50 mcg no.
    assert fig.responders == {
        Diagnosis.MULTIPLE_SCLEROSIS: (1, 1),
        Diagnosis.CEREBRAL_PALSY: (1, 0),
    }
    assert (fig.decided, fig.responder_count) == (2, 1)


def test_dose_at_which_responders_responded(cohort):
    assert figures.compute().response_dose == {25: 0, 50: 0, 75: 1, 100: 0}


def test_doses_given_per_trial(cohort):
    fig = figures.compute()

    assert fig.given_attempts == 3
    assert fig.attempts_per_trial == {0: 2, 1: 1, 2: 1, 3: 0}


def test_adverse_events_by_type_and_severity(cohort):
    assert figures.compute().adverse_events == {("headache", "mild"): 1}


def days_after_referral(trial, moment) -> int:
    return (timezone.localtime(moment).date() - trial.referred_on).days


def test_median_days_from_referral(cohort):
    fig = figures.compute()

    # Days on the clinic's calendar, so worked out from the times the scenarios gave: the pump
    # trial's first dose about 27 days after its referral, the child's about 8; the only
    # completed trial decided its 75 mcg dose about 28 days after referral.
    pump, child = cohort.pump, cohort.non_responder
    first = [days_after_referral(t, t.attempts.get(number=1).given_at) for t in (pump, child)]
    decided = days_after_referral(pump, pump.attempts.get(number=2).decided_at)
    assert fig.to_first_injection == Median(2, Decimal(sum(first)) / 2)
    assert fig.to_decision == Median(1, Decimal(decided))


def test_mas_change_to_best_post_dose_by_diagnosis(cohort):
    fig = figures.compute()

    # Baseline 3 everywhere; best post-dose 1+ (MS, 75 mcg) and 3 (CP).
    assert fig.mas_change == {
        Diagnosis.MULTIPLE_SCLEROSIS: (1, Decimal("-1.50")),
        Diagnosis.CEREBRAL_PALSY: (1, Decimal("0.00")),
    }


def test_mas_change_agrees_with_the_responder_rule(cohort):
    snap = TrialSnapshot.load(cohort.pump.pk)
    best = max(
        snap.suggestion(a).best.fall for a in snap.attempts if snap.suggestion(a).best is not None
    )

    assert dict(mas.best_fall_by_trial())[cohort.pump.pk] == best


def test_figures_follow_the_filter(cohort):
    child = figures.compute(Trial.objects.in_age_group("child"))

    assert child.total == 1
    assert child.responders == {Diagnosis.CEREBRAL_PALSY: (1, 0)}
    assert child.mas_change == {Diagnosis.CEREBRAL_PALSY: (1, Decimal("0.00"))}
    assert child.adverse_events == {("headache", "mild"): 1}


def test_empty_selection_has_zero_figures(cohort):
    fig = figures.compute(Trial.objects.none())

    assert fig.total == 0
    assert fig.to_first_injection == Median(0, None)
    assert fig.mas_change == {}


def test_median_of_a_histogram():
    days = {timedelta(days=d): n for d, n in {3: 2, 10: 1, 40: 1}.items()}

    assert median_of_histogram(days) == Median(4, Decimal("6.5"))
    assert median_of_histogram({timedelta(days=5): 3}) == Median(3, Decimal("5.0"))
    assert median_of_histogram({}) == Median(0, None)
