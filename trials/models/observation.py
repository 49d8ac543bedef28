from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from trials import procedure

# Plausible ranges: a value outside them is a typing error, not a patient state.
VITAL_RANGES = {
    "heart_rate": (20, 250),
    "systolic": (50, 260),
    "diastolic": (20, 160),
    "respiratory_rate": (4, 60),
    "spo2": (50, 100),
    "temperature_c": (30, 43),
    "pain": (0, 10),
}


def ranged(name: str) -> list:
    low, high = VITAL_RANGES[name]
    return [MinValueValidator(low), MaxValueValidator(high)]


def range_check(name: str, field: str | None = None) -> models.CheckConstraint:
    low, high = VITAL_RANGES[name]
    field = field or name
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": low, f"{field}__lte": high}),
        name=f"vitals_{name}_range",
        violation_error_message=f"{VITAL_LABELS[name]} must be between {low} and {high}.",
    )


VITAL_LABELS = {
    "heart_rate": "Heart rate", "systolic": "Systolic pressure", "diastolic": "Diastolic pressure",
    "respiratory_rate": "Respiratory rate", "spo2": "SpO₂", "temperature_c": "Temperature",
    "pain": "Pain",
}  # fmt: skip


class VitalSigns(models.Model):
    attempt = models.ForeignKey(
        "trials.DoseAttempt", on_delete=models.PROTECT, related_name="vitals"
    )
    recorded_at = models.DateTimeField("Measured at")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now, editable=False)
    late_reason = models.TextField(blank=True)
    pre_dose = models.BooleanField(
        default=False, help_text="The baseline set, measured on the day before the dose."
    )
    heart_rate = models.PositiveSmallIntegerField(
        "Heart rate (/min)", validators=ranged("heart_rate")
    )
    systolic = models.PositiveSmallIntegerField("Systolic BP (mmHg)", validators=ranged("systolic"))
    diastolic = models.PositiveSmallIntegerField(
        "Diastolic BP (mmHg)", validators=ranged("diastolic")
    )
    respiratory_rate = models.PositiveSmallIntegerField(
        "Respiratory rate (/min)", validators=ranged("respiratory_rate")
    )
    spo2 = models.PositiveSmallIntegerField("SpO₂ (%)", validators=ranged("spo2"))
    temperature_c = models.DecimalField(
        "Temperature (°C)", max_digits=3, decimal_places=1, validators=ranged("temperature_c")
    )
    sedation = models.PositiveSmallIntegerField(
        "Sedation level", choices=procedure.SEDATION_CHOICES
    )
    pain = models.PositiveSmallIntegerField("Pain (0–10)", validators=ranged("pain"))
    headache = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    submission = models.UUIDField(unique=True, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["recorded_at"]
        verbose_name_plural = "vital signs"
        constraints = [
            range_check("heart_rate"),
            range_check("systolic"),
            range_check("diastolic"),
            range_check("respiratory_rate"),
            range_check("spo2"),
            range_check("temperature_c"),
            range_check("pain"),
            models.CheckConstraint(
                condition=Q(sedation__gte=0) & Q(sedation__lte=3),
                name="vitals_sedation_range",
                violation_error_message="The sedation level is 0 to 3.",
            ),
            models.CheckConstraint(
                condition=Q(diastolic__lt=models.F("systolic")),
                name="vitals_diastolic_below_systolic",
                violation_error_message="The diastolic pressure must be lower than the systolic.",
            ),
        ]

    def __str__(self) -> str:
        return f"Vitals at {self.recorded_at:%H:%M}"

    @property
    def blood_pressure(self) -> str:
        return f"{self.systolic}/{self.diastolic}"


class AdverseEvent(models.Model):
    attempt = models.ForeignKey(
        "trials.DoseAttempt", on_delete=models.PROTECT, related_name="adverse_events"
    )
    kind = models.CharField("Event", max_length=32, choices=procedure.AE_TYPES)
    severity = models.CharField(max_length=16, choices=procedure.AE_SEVERITIES)
    onset_at = models.DateTimeField("Onset")
    action_taken = models.TextField(blank=True)
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_entered_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_late_reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now, editable=False)
    late_reason = models.TextField(blank=True)
    submission = models.UUIDField(unique=True, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["onset_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("onset_at")),
                name="ae_resolved_after_onset",
                violation_error_message="The resolution cannot be before the onset.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()})"

    @property
    def is_severe(self) -> bool:
        return self.severity in procedure.SEVERE_AE


class PainMedication(models.Model):
    attempt = models.ForeignKey(
        "trials.DoseAttempt", on_delete=models.PROTECT, related_name="pain_medications"
    )
    drug = models.CharField(max_length=100)
    dose = models.CharField(max_length=50, help_text="E.g. 1 g, 400 mg.")
    route = models.CharField(max_length=30, default="oral")
    given_at = models.DateTimeField()
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now, editable=False)
    late_reason = models.TextField(blank=True)
    submission = models.UUIDField(unique=True, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["given_at"]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose} {self.route}"
