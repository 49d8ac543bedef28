from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from trials import procedure


class Assessment(models.Model):
    """A spasticity assessment: baseline (no attempt) or post-dose at a time after the injection."""

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="assessments")
    attempt = models.ForeignKey(
        "trials.DoseAttempt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
    )
    # The real minutes from the dose to the assessment, and the scheduled slot (minutes) whose
    # window holds that time; no slot: an unscheduled assessment. Both come from assessed_at.
    minutes_after = models.PositiveSmallIntegerField(
        "Minutes after injection", null=True, blank=True
    )
    slot_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    assessed_at = models.DateTimeField()
    entered_at = models.DateTimeField(default=timezone.now, editable=False)
    late_reason = models.TextField(blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    penn_frequency = models.PositiveSmallIntegerField(
        "Penn spasm frequency", choices=procedure.PENN_FREQUENCY_CHOICES
    )
    penn_severity = models.PositiveSmallIntegerField(
        "Penn spasm severity", choices=procedure.PENN_SEVERITY_CHOICES, null=True, blank=True
    )
    note = models.TextField(blank=True)
    submission = models.UUIDField(unique=True, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["attempt_id", "minutes_after"]
        constraints = [
            models.UniqueConstraint(
                fields=["trial"], condition=Q(attempt__isnull=True), name="one_baseline_per_trial"
            ),
            models.UniqueConstraint(
                fields=["attempt", "slot_minutes"],
                condition=Q(attempt__isnull=False, slot_minutes__isnull=False),
                name="one_assessment_per_slot",
                violation_error_message="An assessment for this scheduled time is recorded.",
            ),
            models.CheckConstraint(
                condition=Q(attempt__isnull=True) | Q(minutes_after__isnull=False),
                name="post_dose_has_time",
            ),
            models.CheckConstraint(
                condition=(Q(penn_frequency=0) & Q(penn_severity__isnull=True))
                | (
                    Q(penn_frequency__gte=1)
                    & Q(penn_frequency__lte=4)
                    & Q(penn_severity__gte=1)
                    & Q(penn_severity__lte=3)
                ),
                name="penn_severity_only_with_spasms",
                violation_error_message="Give the Penn severity (1 to 3) only when spasms occur "
                "(frequency 1 to 4).",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return "Baseline" if self.attempt_id is None else f"{self.minutes_after} min post-dose"

    @property
    def is_baseline(self) -> bool:
        return self.attempt_id is None

    @property
    def label(self) -> str:
        """ "Baseline", "4 h (242 min after the dose)" or "unscheduled, 35 min after the dose"."""
        if self.is_baseline:
            return "Baseline"
        if self.slot_minutes is None:
            return f"unscheduled, {self.minutes_after} min after the dose"
        slot = duration_label(self.slot_minutes)
        if self.minutes_after == self.slot_minutes:
            return slot
        return f"{slot} ({self.minutes_after} min after the dose)"

    @property
    def short_label(self) -> str:
        if self.is_baseline:
            return "Baseline"
        if self.slot_minutes is None:
            return f"{self.minutes_after} min (unscheduled)"
        return duration_label(self.slot_minutes)


def duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest} min"


class MasScore(models.Model):
    """One Modified Ashworth grade. A group not assessed has no row (it is not a zero)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    group = models.CharField(
        max_length=32, choices=[(g.key, g.label) for g in procedure.MUSCLE_GROUPS]
    )
    side = models.CharField(max_length=5, choices=procedure.SIDES)
    grade = models.CharField(max_length=2, choices=procedure.MAS_CHOICES)

    class Meta:
        ordering = ["assessment_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "group", "side"], name="one_grade_per_group_side"
            ),
            models.CheckConstraint(
                condition=Q(grade__in=procedure.MAS_GRADES),
                name="mas_grade_valid",
                violation_error_message="A Modified Ashworth grade is 0, 1, 1+, 2, 3 or 4.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.side}: {self.grade}"
