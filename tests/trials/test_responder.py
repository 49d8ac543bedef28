"""The responder suggestion (DOMAIN.md §4), checked against means worked out by hand.

Rule: mean lower-limb MAS over the group/side pairs scored both at baseline and after the dose;
1+ counts as 1.5; a group not assessed is left out (not a zero); a responder's mean falls by at
least the site threshold at any post-dose assessment.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.factories import create_trial
from trials import procedure, scenarios
from trials.models import SiteSettings
from trials.responder import suggest

LOWER = procedure.LOWER_LIMB_GROUPS  # 5 lower-limb groups × 2 sides = 10 pairs
ONE = Decimal("1.0")


@dataclass
class Score:
    group: str
    side: str
    grade: str


@dataclass
class Post:
    label: str
    minutes_after: int
    rows: list = field(default_factory=list)

    @property
    def scores(self):
        return SimpleNamespace(all=lambda: self.rows)


def every_pair(grade: str, groups=LOWER) -> list[Score]:
    return [Score(g, side, grade) for g in groups for side in ("left", "right")]


def at_2h(rows) -> Post:
    return Post("2 h", 120, rows)


def test_fall_of_exactly_one_point_is_a_responder():
    # baseline 10 × 3 = 30 / 10 = 3.00; post 10 × 2 = 20 / 10 = 2.00; fall 1.00
    result = suggest(every_pair("3"), [at_2h(every_pair("2"))], ONE)
    assert (result.best.baseline_mean, result.best.post_mean) == (Decimal("3.00"), Decimal("2.00"))
    assert result.best.fall == Decimal("1.00")
    assert result.responder is True


def test_fall_of_point_nine_is_not_a_responder():
    # post: 9 pairs at 2 and hip flexors left at 3 → (18 + 3) / 10 = 2.10; fall 3.00 − 2.10 = 0.90
    post = [s for s in every_pair("2") if (s.group, s.side) != ("hip_flexors", "left")]
    post.append(Score("hip_flexors", "left", "3"))
    result = suggest(every_pair("3"), [at_2h(post)], ONE)
    assert result.best.fall == Decimal("0.90")
    assert result.responder is False


def test_one_plus_counts_as_one_and_a_half():
    # baseline 2.00; post 1+ everywhere = 1.50; fall 0.50
    result = suggest(every_pair("2"), [at_2h(every_pair("1+"))], ONE)
    assert result.best.post_mean == Decimal("1.50")
    assert result.best.fall == Decimal("0.50")
    assert result.responder is False


def test_mixed_grades_are_averaged_over_the_scored_pairs():
    # baseline: 3 + 2 + 1.5 + 1.5 = 8 / 4 = 2.00
    # post:   1.5 + 1.5 + 1 + 0   = 4 / 4 = 1.00 → fall 1.00
    baseline = [
        Score("hip_flexors", "left", "3"),
        Score("hip_flexors", "right", "2"),
        Score("knee_flexors", "left", "1+"),
        Score("knee_flexors", "right", "1+"),
    ]
    post = [
        Score("hip_flexors", "left", "1+"),
        Score("hip_flexors", "right", "1+"),
        Score("knee_flexors", "left", "1"),
        Score("knee_flexors", "right", "0"),
    ]
    result = suggest(baseline, [at_2h(post)], ONE)
    assert (result.best.baseline_mean, result.best.post_mean) == (Decimal("2.00"), Decimal("1.00"))
    assert result.responder is True


def test_group_not_assessed_after_the_dose_is_left_out_not_counted_as_zero():
    # Only the knee extensors are scored at both times: baseline (2 + 2) / 2 = 2.00,
    # post (1 + 1) / 2 = 1.00, fall 1.00. Counting hip flexors left (4) at baseline would give
    # 2.67; counting it as 0 after the dose would give a post mean of 0.67.
    baseline = [Score("hip_flexors", "left", "4"), *every_pair("2", ["knee_extensors"])]
    post = every_pair("1", ["knee_extensors"])
    result = suggest(baseline, [at_2h(post)], ONE)

    assert result.best.counted == [("knee_extensors", "left"), ("knee_extensors", "right")]
    assert result.best.counted_labels == ["Knee extensors (left)", "Knee extensors (right)"]
    assert (result.best.baseline_mean, result.best.post_mean) == (Decimal("2.00"), Decimal("1.00"))


def test_group_not_assessed_at_baseline_is_left_out():
    # post scores ankle plantar flexors too, baseline did not: only hip adductors count.
    baseline = every_pair("3", ["hip_adductors"])
    post = every_pair("2", ["hip_adductors"]) + every_pair("0", ["ankle_plantar_flexors"])
    result = suggest(baseline, [at_2h(post)], ONE)
    assert result.best.counted == [("hip_adductors", "left"), ("hip_adductors", "right")]
    assert result.best.post_mean == Decimal("2.00")


def test_upper_limb_groups_are_ignored():
    # elbow flexors 4 → 0 would be a huge fall, but only the lower limb counts: 3.00 → 3.00.
    upper = ["elbow_flexors", "elbow_extensors", "wrist_flexors"]
    baseline = every_pair("3") + every_pair("4", upper)
    post = every_pair("3") + every_pair("0", upper)
    result = suggest(baseline, [at_2h(post)], ONE)
    assert result.best.fall == Decimal("0.00")
    assert all(group not in upper for group, _ in result.best.counted)
    assert result.responder is False


def test_best_post_dose_assessment_is_chosen():
    # 2 h: 3.00 → 2.50 (fall 0.50); 4 h: 3.00 → 1.00 (fall 2.00); 6 h: wearing off, 2.00
    posts = [
        Post("2 h", 120, every_pair("3")[:5] + every_pair("2")[5:]),
        Post("4 h", 240, every_pair("1")),
        Post("6 h", 360, every_pair("2")),
    ]
    result = suggest(every_pair("3"), posts, ONE)
    assert [c.fall for c in result.comparisons] == [
        Decimal("0.50"),
        Decimal("2.00"),
        Decimal("1.00"),
    ]
    assert result.best.label == "4 h"
    assert result.responder is True


def test_effect_at_two_hours_counts_even_if_it_has_worn_off_at_four():
    posts = [Post("2 h", 120, every_pair("2")), Post("4 h", 240, every_pair("3"))]
    result = suggest(every_pair("3"), posts, ONE)
    assert result.best.label == "2 h"
    assert result.responder is True


def test_no_common_group_gives_no_suggestion():
    baseline = every_pair("3", ["hip_flexors"])
    post = every_pair("1", ["knee_flexors"])
    result = suggest(baseline, [at_2h(post)], ONE)
    assert result.best is None
    assert result.responder is None
    assert result.text.startswith("No suggestion")


def test_no_post_dose_assessment_gives_no_suggestion():
    assert suggest(every_pair("3"), [], ONE).responder is None


@pytest.mark.parametrize(
    ("post_grade", "expected"),
    [("2", False), ("1+", True)],  # falls of 1.00 and 1.50
)
def test_site_threshold_is_respected(post_grade, expected):
    result = suggest(every_pair("3"), [at_2h(every_pair(post_grade))], Decimal("1.5"))
    assert result.responder is expected


def test_suggestion_text_gives_the_means_and_the_threshold():
    result = suggest(every_pair("3"), [at_2h(every_pair("2"))], ONE)
    assert result.text == (
        "Responder: mean lower-limb MAS 3.00 at baseline, 2.00 at 2 h (fall 1.00; threshold 1.0)."
    )


@pytest.mark.parametrize(("threshold", "suggested"), [("1.0", True), ("1.5", False)])
def test_decision_records_the_suggestion_under_the_site_threshold(
    team, patient, threshold, suggested
):
    site = SiteSettings.current()
    site.responder_threshold = Decimal(threshold)
    site.save()
    trial = _trial_falling_one_point(team, patient)

    # Confirming the suggestion needs no reason; the decision keeps what was suggested.
    scenarios.decide(trial, team, responder=suggested)

    assert trial.attempts.get().suggested_responder is suggested


def _trial_falling_one_point(team, patient):
    trial = create_trial(patient, team)
    given_at = timezone.now() - timedelta(days=1)
    scenarios.prepare(trial, team, at=given_at - timedelta(hours=2))  # baseline all 3
    return scenarios.full_attempt(trial, team, given_at=given_at, post_grade="2")
