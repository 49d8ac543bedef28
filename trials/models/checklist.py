from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class EntryState(models.TextChoices):
    DONE = "done", "Done"
    NOT_APPLICABLE = "na", "Not applicable"


class ChecklistEntry(models.Model):
    """A ticked (or not-applicable) checklist item. An untick deletes the entry; the audit keeps it.

    Trial-level lists (preparation, follow-up) have no attempt; the others belong to one attempt.
    """

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="entries")
    attempt = models.ForeignKey(
        "trials.DoseAttempt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    checklist = models.CharField(max_length=16)
    item = models.CharField(max_length=32)
    state = models.CharField(max_length=4, choices=EntryState.choices, default=EntryState.DONE)
    note = models.TextField(blank=True)
    na_reason = models.TextField("Reason not applicable", blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # When it was done (as the user says) and when it was entered (the server's clock).
    at = models.DateTimeField(default=timezone.now)
    entered_at = models.DateTimeField(default=timezone.now, editable=False)
    late_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(
                fields=["trial", "checklist", "item"],
                condition=Q(attempt__isnull=True),
                name="one_entry_per_trial_item",
            ),
            models.UniqueConstraint(
                fields=["attempt", "checklist", "item"],
                condition=Q(attempt__isnull=False),
                name="one_entry_per_attempt_item",
            ),
            models.CheckConstraint(
                condition=~Q(state=EntryState.NOT_APPLICABLE) | ~Q(na_reason=""),
                name="not_applicable_needs_reason",
                violation_error_message="“Not applicable” needs a reason.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.checklist}.{self.item}: {self.state}"
