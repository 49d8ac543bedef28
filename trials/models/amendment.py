from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.append_only import AppendOnlyQuerySet
from trials import procedure


class AmendedRecord(models.TextChoices):
    INJECTION = "injection", "Injection record"
    DISCHARGE = "discharge", "Discharge"


class Amendment(models.Model):
    """A correction of one field of a signed record, signed in turn ("amended").

    The signed record itself is never changed: pages show its original value with the
    amendments beside it. Created only by trials.services.amendments.record_amend; never changed
    or removed (on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE, migration 0011).
    """

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="amendments")
    attempt = models.ForeignKey(
        "trials.DoseAttempt", on_delete=models.PROTECT, related_name="amendments"
    )
    record = models.CharField(max_length=16, choices=AmendedRecord.choices)
    field = models.CharField(max_length=40)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    old_display = models.TextField(blank=True)
    new_display = models.TextField(blank=True)
    reason = models.TextField()
    meaning = models.CharField(max_length=16, default=procedure.AMENDMENT_MEANING, editable=False)
    amended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    printed_name = models.CharField(max_length=200)
    signer_role = models.CharField(max_length=16)
    amended_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["amended_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="amendment_has_reason"),
            models.CheckConstraint(
                condition=Q(meaning=procedure.AMENDMENT_MEANING), name="amendment_meaning"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.field_label}: {self.old_display or '–'} amended to "
            f"{self.new_display or '–'} by {self.printed_name}"
        )

    @property
    def field_label(self) -> str:
        from .attempt import DoseAttempt

        label = str(DoseAttempt._meta.get_field(self.field).verbose_name)
        return label[:1].upper() + label[1:]
