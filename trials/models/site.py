import copy
import time
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction

from trials import procedure


def parse_minutes(text: str) -> list[int]:
    """'15, 30, 60' -> [15, 30, 60]; raises ValidationError with a sentence a person can act on."""
    try:
        values = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError as exc:
        raise ValidationError("Write whole minutes separated by commas, e.g. 15, 30, 60.") from exc
    if not values:
        raise ValidationError("Give at least one time in minutes.")
    if any(v <= 0 or v > 24 * 60 for v in values):
        raise ValidationError("Each time must be between 1 and 1440 minutes after the injection.")
    if values != sorted(set(values)):
        raise ValidationError("Times must be in increasing order without repeats.")
    return values


def validate_minutes(text: str) -> None:
    parse_minutes(text)


def validate_time_zone(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(f"'{name}' is not a known time zone (e.g. America/New_York).")


def _csv(values) -> str:
    return ", ".join(str(v) for v in values)


# Every request reads the site settings (the clinic's zone, the idle limit) and they change a few
# times a year: each process keeps the row it read for CACHE_SECONDS instead of reading it on every
# request. A change saved (save()) is seen at once by the process that saved it, which forgets its
# copy, and by the other app server processes within CACHE_SECONDS.
CACHE_SECONDS = 5.0
_cache: dict[str, tuple[float, "SiteSettings"]] = {}
_clock = time.monotonic


class FastingPolicy(models.TextChoices):
    NONE = "none", "No fasting"
    MIDNIGHT = "midnight", "Nothing by mouth after midnight"
    HOURS = "hours", "Nothing by mouth for a number of hours"


class SiteSettings(models.Model):
    """The clinic's own choices where hospitals differ (DOMAIN.md: *site setting*). One row."""

    fasting_policy = models.CharField(
        max_length=10, choices=FastingPolicy.choices, default=FastingPolicy.MIDNIGHT
    )
    fasting_hours = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="Used when the policy is a number of hours.",
    )
    vitals_minutes = models.CharField(
        "Vital signs schedule (minutes after injection)",
        max_length=200,
        default=_csv(procedure.DEFAULT_VITALS_MINUTES),
        validators=[validate_minutes],
    )
    assessment_minutes = models.CharField(
        "Spasticity assessments (minutes after injection)",
        max_length=100,
        default=_csv(procedure.DEFAULT_ASSESSMENT_MINUTES),
        validators=[validate_minutes],
        help_text="2 h and 4 h, plus 6 h and 8 h if the effect lasts.",
    )
    discharge_assessment_minutes = models.CharField(
        "Assessments required before discharge (minutes after injection)",
        max_length=100,
        default=_csv(procedure.DEFAULT_DISCHARGE_ASSESSMENT_MINUTES),
        validators=[validate_minutes],
        help_text="Each must be one of the scheduled assessment times. The later ones are owed "
        "only while the effect lasts.",
    )
    assessment_window_minutes = models.PositiveSmallIntegerField(
        "Assessment window (± minutes)",
        default=procedure.DEFAULT_ASSESSMENT_WINDOW_MINUTES,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
        help_text="An assessment belongs to the scheduled time within this many minutes of it.",
    )
    late_entry_minutes = models.PositiveSmallIntegerField(
        "Late-entry threshold (minutes)",
        default=procedure.DEFAULT_LATE_ENTRY_MINUTES,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
        help_text="An entry made longer than this after the event is a late entry: it needs a "
        "reason and is marked as late wherever it is shown.",
    )
    responder_threshold = models.DecimalField(
        "Responder threshold (fall in mean lower-limb MAS)",
        max_digits=3,
        decimal_places=1,
        default=1,
        validators=[MinValueValidator(0.5), MaxValueValidator(4)],
    )
    time_zone = models.CharField(
        max_length=64, default=settings.DEFAULT_CLINIC_TIME_ZONE, validators=[validate_time_zone]
    )
    session_idle_minutes = models.PositiveSmallIntegerField(
        "Sign out after inactivity (minutes)",
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="A session ends after this many minutes without activity (the ward board's "
        "automatic refresh does not count), and 12 hours after sign-in in any case.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "site settings"
        verbose_name_plural = "site settings"

    def __str__(self) -> str:
        return "Site settings"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Not a rule, the cache's upkeep: this process's copy (current()) is stale now, and again
        # once the transaction commits (another thread may read the old row in between).
        SiteSettings.forget()
        transaction.on_commit(SiteSettings.forget)

    @classmethod
    def current(cls) -> "SiteSettings":
        """The settings, as read at most CACHE_SECONDS ago by this process. A copy: a caller
        that changes it (a form) changes nothing the next request reads."""
        cached = _cache.get("row")
        now = _clock()
        if cached is None or now - cached[0] >= CACHE_SECONDS:
            cached = (now, cls.fresh())
            _cache["row"] = cached
        return copy.copy(cached[1])

    @classmethod
    def fresh(cls) -> "SiteSettings":
        """The settings as the database holds them now (the settings page edits these)."""
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    @staticmethod
    def forget() -> None:
        """Drop this process's copy: the next current() reads the database."""
        _cache.clear()

    @property
    def vitals_schedule(self) -> list[int]:
        return parse_minutes(self.vitals_minutes)

    @property
    def assessment_schedule(self) -> list[int]:
        return parse_minutes(self.assessment_minutes)

    @property
    def discharge_assessments(self) -> list[int]:
        return parse_minutes(self.discharge_assessment_minutes)

    @property
    def fasting_text(self) -> str:
        if self.fasting_policy == FastingPolicy.HOURS:
            return f"Nothing by mouth for {self.fasting_hours} hours before the injection"
        return self.get_fasting_policy_display()
