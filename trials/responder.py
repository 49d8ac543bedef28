"""The responder suggestion (DOMAIN.md §4), computed from raw scores and never stored.

Mean lower-limb Modified Ashworth over the group/side pairs scored at both times; 1+ counts as
1.5; a group not assessed is left out, not counted as zero. A responder's mean falls by at least
the site threshold (default 1.0) at any post-dose assessment.

`compare` is the one computation of that mean: the suggestion, the decision form, the scores
table on the trial page, the summary and its PDF all show its Comparison. The outcome figures
and the CSV compute the same fall in SQL (trials/outcomes/mas.py) for speed; a test holds the
two equal.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from trials import procedure

TWO_PLACES = Decimal("0.01")


def lower_limb_grades(scores) -> dict[tuple[str, str], Decimal]:
    """{(group, side): value} for the lower-limb grades of one assessment's MasScore rows."""
    return {
        (s.group, s.side): procedure.MAS_VALUE[s.grade]
        for s in scores
        if s.group in procedure.LOWER_LIMB_GROUPS and s.grade in procedure.MAS_VALUE
    }


@dataclass
class Comparison:
    """One post-dose assessment against the baseline, over the pairs scored at both times.

    The means and the fall are rounded to 0.01 for showing; the rule and the choice of the best
    time use the exact fall, so a fall just under the threshold never rounds over it.
    """

    label: str
    minutes_after: int | None
    baseline_total: Decimal = Decimal(0)
    post_total: Decimal = Decimal(0)
    counted: list[tuple[str, str]] = field(default_factory=list)
    assessment: Any = None  # the post-dose Assessment compared, when compare() was given it

    def _mean(self, total: Decimal) -> Decimal | None:
        return (total / len(self.counted)).quantize(TWO_PLACES) if self.counted else None

    @property
    def baseline_mean(self) -> Decimal | None:
        return self._mean(self.baseline_total)

    @property
    def post_mean(self) -> Decimal | None:
        return self._mean(self.post_total)

    @property
    def fall(self) -> Decimal | None:
        return self._mean(self.baseline_total - self.post_total)

    @property
    def exact_fall(self) -> Decimal | None:
        if not self.counted:
            return None
        return (self.baseline_total - self.post_total) / len(self.counted)

    @property
    def counted_labels(self) -> list[str]:
        return [f"{procedure.MUSCLE_GROUP_LABELS[g]} ({side})" for g, side in self.counted]

    @property
    def counted_text(self) -> str:
        """E.g. "4 groups scored at both times" (a group is one muscle group on one side)."""
        n = len(self.counted)
        return f"{n} group{'' if n == 1 else 's'} scored at both times"


@dataclass
class Suggestion:
    threshold: Decimal
    comparisons: list[Comparison]

    @property
    def best(self) -> Comparison | None:
        scored = [c for c in self.comparisons if c.counted]
        return max(scored, key=lambda c: c.exact_fall) if scored else None

    @property
    def responder(self) -> bool | None:
        """True / False, or None when nothing can be compared yet."""
        best = self.best
        if best is None:
            return None
        return best.exact_fall >= self.threshold

    @property
    def text(self) -> str:
        if not self.comparisons:
            return "No post-dose assessment yet."
        if self.responder is None:
            return (
                "No suggestion: no lower-limb group was scored both at baseline and after the dose."
            )
        best = self.best
        verdict = "Responder" if self.responder else "Not a responder"
        return (
            f"{verdict}: mean lower-limb MAS {best.baseline_mean:.2f} at baseline, "
            f"{best.post_mean:.2f} at {best.label} (fall {best.fall:.2f}; "
            f"threshold {self.threshold:.1f})."
        )


def compare(
    baseline: dict, post: dict, *, label: str, minutes_after: int | None, assessment=None
) -> Comparison:
    """The lower-limb means of `baseline` and `post` ({(group, side): value}) over their pairs."""
    both = sorted(set(baseline) & set(post))
    return Comparison(
        label,
        minutes_after,
        sum((baseline[k] for k in both), Decimal(0)),
        sum((post[k] for k in both), Decimal(0)),
        both,
        assessment,
    )


def suggest(baseline_scores, post_assessments, threshold: Decimal) -> Suggestion:
    """baseline_scores: MasScore rows; post_assessments: Assessment objects with .scores."""
    base = lower_limb_grades(baseline_scores)
    comparisons = [
        compare(
            base,
            lower_limb_grades(a.scores.all()),
            label=a.label,
            minutes_after=a.minutes_after,
            assessment=a,
        )
        for a in post_assessments
    ]
    return Suggestion(Decimal(threshold), comparisons)
