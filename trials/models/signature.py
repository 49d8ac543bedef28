from django.conf import settings
from django.db import models
from django.db.models import Q


class Signature(models.Model):
    """An electronic signature: the signer's printed name, the time and what it means.

    Never changed or removed: on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE
    (migration 0011)."""

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="signatures")
    attempt = models.ForeignKey(
        "trials.DoseAttempt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
    )
    kind = models.CharField(max_length=16)
    meaning = models.CharField(max_length=16)
    statement = models.CharField(max_length=200)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=200)
    signer_role = models.CharField(max_length=16)
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["trial", "kind"],
                condition=Q(attempt__isnull=True),
                name="one_trial_signature_per_kind",
            ),
            models.UniqueConstraint(
                fields=["attempt", "kind"],
                condition=Q(attempt__isnull=False),
                name="one_attempt_signature_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.printed_name} – {self.meaning} – {self.signed_at:%Y-%m-%d %H:%M}"
