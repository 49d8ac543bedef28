"""The responder suggestion (DOMAIN.md §4), computed from raw scores and never stored.

Mean lower-limb Modified Ashworth over the group/side pairs scored at both times; 1+ counts as
1.5; a group not assessed is left out, not counted as zero. A responder's mean falls by at least
the site threshold (default 1.0) at any post-dose assessment.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from trials import procedure

LOWER_LIMB = {g.key for g in procedure.MUSCLE_GROUPS if g.lower_limb}


def lower_limb_grades(scores) -> dict[tuple[str, str], Decimal]:
    """{(group, side): value} for the lower-limb grades of one assessment's MasScore rows."""
    return {
        (s.group, s.side): procedure.MAS_VALUE[s.grade]
        for s in scores
        if s.group in LOWER_LIMB and s.grade in procedure.MAS_VALUE
    }


@dataclass
class Comparison:
    label: str
    minutes_after: int | None
    baseline_mean: Decimal | None
    post_mean: Decimal | None
    counted: list[tuple[str, str]] = field(default_factory=list)

    @property
    def fall(self) -> Decimal | None:
        if self.baseline_mean is None or self.post_mean is None:
            return None
        return self.baseline_mean - self.post_mean

    @property
    def counted_labels(self) -> list[str]:
        return [f"{procedure.MUSCLE_GROUP_LABELS[g]} ({side})" for g, side in self.counted]


@dataclass
class Suggestion:
    threshold: Decimal
    comparisons: list[Comparison]

    @property
    def best(self) -> Comparison | None:
        scored = [c for c in self.comparisons if c.fall is not None]
        return max(scored, key=lambda c: c.fall) if scored else None

    @property
    def responder(self) -> bool | None:
        """True / False, or None when nothing can be compared yet."""
        best = self.best
        if best is None:
            return None
        return best.fall >= self.threshold

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


def _mean(values) -> Decimal:
    values = list(values)
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))


def compare(baseline: dict, post: dict, *, label: str, minutes_after: int | None) -> Comparison:
    both = sorted(set(baseline) & set(post))
    if not both:
        return Comparison(label, minutes_after, None, None, [])
    return Comparison(
        label,
        minutes_after,
        _mean(baseline[k] for k in both),
        _mean(post[k] for k in both),
        both,
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
        )
        for a in post_assessments
    ]
    return Suggestion(Decimal(threshold), comparisons)
