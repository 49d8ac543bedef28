from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.moments import later
from trials import procedure


class SpinalLevel(models.TextChoices):
    L2_L3 = "L2-L3", "L2–L3"
    L3_L4 = "L3-L4", "L3–L4"
    L4_L5 = "L4-L5", "L4–L5"
    L5_S1 = "L5-S1", "L5–S1"


class NeedleType(models.TextChoices):
    PENCIL_POINT = "pencil_point", "Pencil-point (atraumatic)"
    CUTTING = "cutting", "Cutting (Quincke)"
    OTHER = "other", "Other"


class Product(models.TextChoices):
    LIORESAL = "lioresal", "Lioresal Intrathecal (baclofen injection)"
    GABLOFEN = "gablofen", "Gablofen (baclofen injection)"
    OTHER = "other", "Other baclofen intrathecal product"


class DoseAttempt(models.Model):
    """One test dose: the day-of checks, the injection, its observation and the decision."""

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    dose_mcg = models.PositiveSmallIntegerField("Dose (mcg)", choices=procedure.DOSE_CHOICES)
    not_before = models.DateTimeField(
        null=True, blank=True, help_text="At least 24 h after the previous dose."
    )
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    planned_at = models.DateTimeField(auto_now_add=True)
    plan_reason = models.TextField(
        blank=True, help_text="Why the dose leaves the ladder (a skipped or repeated step, 25 mcg)."
    )

    # The injection record (filled and signed by the performing physician).
    spinal_level = models.CharField(max_length=8, choices=SpinalLevel.choices, blank=True)
    needle_type = models.CharField(max_length=16, choices=NeedleType.choices, blank=True)
    needle_gauge = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(18), MaxValueValidator(29)]
    )
    clear_csf = models.BooleanField("Clear CSF return", null=True, blank=True)
    passes = models.PositiveSmallIntegerField(
        "Number of passes",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    image_guidance = models.BooleanField(null=True, blank=True)
    radiologist = models.CharField(max_length=200, blank=True)
    product = models.CharField(max_length=16, choices=Product.choices, blank=True)
    concentration_mcg_ml = models.DecimalField(
        "Concentration (mcg/mL)",
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(2000)],
    )
    lot = models.CharField(max_length=64, blank=True)
    expiry = models.DateField(null=True, blank=True)
    given_at = models.DateTimeField("Time given", null=True, blank=True)
    given_entered_at = models.DateTimeField(null=True, blank=True, editable=False)
    given_late_reason = models.TextField(blank=True)
    duration_seconds = models.PositiveIntegerField(
        "Injected over (seconds)", null=True, blank=True, help_text="Barbotage over at least 60 s."
    )
    discarded_mcg = models.DecimalField(
        "Amount discarded (mcg)",
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assisting_nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # The physician's note that the effect has worn off: later optional assessments not owed.
    effect_worn_off_at = models.DateTimeField(null=True, blank=True)
    effect_worn_off_entered_at = models.DateTimeField(null=True, blank=True, editable=False)
    effect_worn_off_late_reason = models.TextField(blank=True)
    effect_worn_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # Discharge (clinical time, entry time) and, when the criteria were not met, the reason of
    # the physician's signed exception.
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharge_entered_at = models.DateTimeField(null=True, blank=True, editable=False)
    discharge_late_reason = models.TextField(blank=True)
    discharge_exception = models.TextField(blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discharge_note = models.TextField(blank=True)

    # The neurologist's decision on this dose.
    responder = models.BooleanField(null=True, blank=True)
    suggested_responder = models.BooleanField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_entered_at = models.DateTimeField(null=True, blank=True, editable=False)
    decision_late_reason = models.TextField(blank=True)
    # {treatment goal: "met" | "partly" | "not_met"} as marked with the decision.
    goal_outcomes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["trial_id", "number"]
        indexes = [
            # The board and the worklist look for doses given in the last day and not discharged:
            # a range of this small index, whatever the history (Trial.objects._dosed_since).
            models.Index(
                fields=["given_at"],
                condition=Q(given_at__isnull=False, discharged_at__isnull=True),
                name="attempt_not_discharged",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["trial", "number"], name="one_attempt_per_number"),
            models.CheckConstraint(
                condition=Q(number__gte=1) & Q(number__lte=procedure.MAX_ATTEMPTS),
                name="at_most_three_attempts",
                violation_error_message="A trial has at most three dose attempts.",
            ),
            models.CheckConstraint(
                condition=Q(dose_mcg__in=procedure.DOSE_LADDER_MCG),
                name="dose_on_ladder",
                violation_error_message="The dose must be one of the protocol's: 25, 50, 75 or "
                "100 mcg.",
            ),
            models.CheckConstraint(
                condition=Q(given_at__isnull=True)
                | Q(duration_seconds__gte=procedure.MIN_INJECTION_SECONDS),
                name="given_over_at_least_one_minute",
                violation_error_message="Baclofen is given by barbotage over at least 1 minute.",
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number}: {self.dose_mcg} mcg"

    @property
    def is_given(self) -> bool:
        return self.given_at is not None

    @property
    def is_decided(self) -> bool:
        return self.responder is not None

    def next_allowed_at(self):
        """The earliest time of the next attempt: 24 h after this dose."""
        if self.given_at is None:
            return None
        return later(self.given_at, timedelta(hours=procedure.MIN_HOURS_BETWEEN_ATTEMPTS))

    @property
    def pump_daily_dose_mcg(self) -> int:
        return procedure.PUMP_DOSE_FACTOR * self.dose_mcg
