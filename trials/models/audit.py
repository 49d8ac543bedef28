from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# Who looked, who signed in or out, who was refused (a page, a sign-in, a signing password):
# kept, but not clinical changes of a trial.
ACCESS_ACTIONS = (
    "view", "deny", "login", "login_failed", "logout", "sign_refused", "sign_locked",
)  # fmt: skip


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit record is append-only.")

    def delete(self):
        raise PermissionError("The audit record is append-only.")

    def changes(self) -> "AppendOnlyQuerySet":
        """Rows that record a change or an export, not a page view, sign-in or refusal."""
        return self.exclude(action__in=ACCESS_ACTIONS)


class AuditEvent(models.Model):
    """Who did what, when, to which object, old → new, and why. Rows are never changed.

    On PostgreSQL a trigger (migration 0002, firing ALWAYS since 0011) refuses UPDATE, DELETE and
    TRUNCATE as well. Each row carries the keyed hash of its content chained to the previous
    row's (trials/audit_chain.py); trials.services.audit.audit_record is the only writer.
    """

    # Set before the insert (not auto_now_add) because the row's hash covers it.
    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=200)
    action = models.CharField(max_length=40, db_index=True)
    trial = models.ForeignKey(
        "trials.Trial", on_delete=models.PROTECT, null=True, blank=True, related_name="audit"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="audit"
    )
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    summary = models.CharField(max_length=300)
    old = models.JSONField(default=dict, blank=True)
    new = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name}: {self.summary}"

    def save(self, *args, **kwargs):
        # Append-only: an existing row is never written again. (A new row has its id already:
        # audit_record sets it, because the row's hash covers it.)
        if not self._state.adding:
            raise PermissionError("The audit record is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit record is append-only.")


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
