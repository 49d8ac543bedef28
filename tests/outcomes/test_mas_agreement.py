"""The SQL fall of the outcome figures and the CSV (trials/outcomes/mas.py) never disagrees with
the responder suggestion's (trials/responder.py), whatever the grades and the groups left out
(DOMAIN.md §4: a mean kept for speed must be rebuilt from the raw scores and shown equal)."""

from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from trials import procedure
from trials.models import Assessment, MasScore, Trial
from trials.outcomes import mas
from trials.services.snapshot import TrialSnapshot

PAIRS = [(g.key, side) for g in procedure.MUSCLE_GROUPS for side, _ in procedure.SIDES]
# Each group/side graded or not assessed (absent); upper-limb grades must not count.
GRADES = st.dictionaries(st.sampled_from(PAIRS), st.sampled_from(procedure.MAS_GRADES))


def _scores(assessment, grades) -> None:
    MasScore.objects.bulk_create(
        MasScore(assessment=assessment, group=g, side=side, grade=grade)
        for (g, side), grade in grades.items()
    )


def test_sql_and_python_falls_agree(trial_in):
    trial = trial_in("observation")  # a baseline and a dose given; no post-dose score yet
    attempt = trial.attempts.get()
    base = Assessment.objects.get(trial=trial, attempt__isnull=True)
    only_this = Trial.objects.filter(pk=trial.pk)

    @settings(max_examples=60, deadline=None)
    @given(baseline=GRADES, posts=st.lists(GRADES, min_size=1, max_size=4))
    def check(baseline, posts):
        with transaction.atomic():
            saved = transaction.savepoint()  # each example's scores are rolled back
            base.scores.all().delete()
            _scores(base, baseline)
            for i, grades in enumerate(posts):
                post = Assessment.objects.create(
                    trial=trial, attempt=attempt, minutes_after=1000 + i,
                    assessed_at=attempt.given_at, assessed_by=base.assessed_by, penn_frequency=0,
                )  # fmt: skip
                _scores(post, grades)
            snap = TrialSnapshot.load(trial.pk)
            best = snap.suggestion(snap.attempt).best
            by_attempt = dict(mas.best_fall_by_attempt(only_this))
            by_trial = dict(mas.best_fall_by_trial(only_this))
            transaction.savepoint_rollback(saved)

        expected = None if best is None else best.fall
        assert by_attempt.get((trial.pk, attempt.pk)) == expected
        assert by_trial.get(trial.pk) == expected

    check()
