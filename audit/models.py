from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models.expressions import RawSQL
from django.utils import timezone

from core.append_only import AppendOnlyQuerySet

# Who looked, who signed in or out, who was refused (a page, a sign-in, a signing password):
# kept, but not clinical changes of a trial.
ACCESS_ACTIONS = (
    "view", "deny", "login", "login_failed", "logout", "sign_refused", "sign_locked",
)  # fmt: skip
# Nor is a download a change to what it downloads: what "record as of" leaves out too.
NOT_RECORD_CHANGES = (*ACCESS_ACTIONS, "export")


def _one_row(pk: int) -> RawSQL:
    """An id as a one-row subquery, `(SELECT id)`: the planner estimates its rows as any id's
    share of the table, not as this one's (AuditEventQuerySet.timeline)."""
    return RawSQL("SELECT %s", [pk], output_field=models.BigIntegerField())


class AuditEventQuerySet(AppendOnlyQuerySet):
    def changes(self) -> "AuditEventQuerySet":
        """Rows that record a change or an export, not a page view, sign-in or refusal."""
        return self.exclude(action__in=ACCESS_ACTIONS)

    def record_changes(self) -> "AuditEventQuerySet":
        """Rows that record a change to a record: not an export either (a download changes
        nothing in what it exports)."""
        return self.changes().exclude(action="export")

    def timeline(self, trial_id: int) -> "AuditEventQuerySet":
        """One trial's changes, newest first (the trial page's timeline), read through the
        partial index audit_trial_changes: a page view adds a row to the trial too, and a trial
        viewed ten thousand times must not make its timeline read ten thousand rows.

        The id is compared as a one-row subquery, `trial_id = (SELECT id)`, so that PostgreSQL
        plans for a trial's usual share of the table, not for this trial's rows, page views
        included. A trial whose views fill most of the table (the one trial a small clinic
        watches all day) would otherwise make walking the whole table back in time (the `at`
        index, filtered) look cheaper than the trial's own index of changes: 11 ms against
        0.04 ms a read, on every view of its page (bench/RESULTS.md)."""
        return self.changes().filter(trial_id=_one_row(trial_id)).order_by("-at", "-id")

    def last_record_change(self, *, trial_id: int, patient_id: int) -> "datetime | None":
        """When one trial's record last changed (record_changes of of_trial_record): the later
        of its two latest_record_changes."""
        reads = self.latest_record_changes(trial_id=trial_id, patient_id=patient_id)
        latest = [rows.values_list("at", flat=True).first() for rows in reads]
        return max((at for at in latest if at is not None), default=None)

    def latest_record_changes(
        self, *, trial_id: int, patient_id: int
    ) -> "tuple[AuditEventQuerySet, AuditEventQuerySet]":
        """The trial's changes, and its patient's that belong to no trial, newest first: each
        read from its partial index (Meta), whose first row is the latest however many
        downloads and views came after it. The ids are named as one-row subqueries (as in
        timeline), so that the plans do not rest on this trial's or patient's rows."""
        changes = self.record_changes().order_by("-at")
        return (
            changes.filter(trial_id=_one_row(trial_id)),
            changes.filter(patient_id=_one_row(patient_id), trial_id__isnull=True),
        )

    def of_trial_record(self, *, trial_id: int, patient_id: int) -> "AuditEventQuerySet":
        """The rows about one trial's record: the trial's own, and its patient's that belong to
        no trial (a rename, a corrected date of birth); not those of the patient's other trials."""
        return self.filter(
            models.Q(trial_id=trial_id) | models.Q(patient_id=patient_id, trial_id__isnull=True)
        )


class AuditEvent(models.Model):
    """Who did what, when, to which object, old → new, and why. Rows are never changed.

    On PostgreSQL a trigger (trials migration 0002, firing ALWAYS since 0011) refuses UPDATE,
    DELETE and TRUNCATE as well. Each row carries the keyed hash of its content chained to the
    previous row's (audit/chain.py); audit.services.audit_record is the only writer.

    The table kept its name (trials_auditevent) and its triggers when the model moved here from
    the trials app (audit migration 0001, trials migration 0015: the state moved, not the data).
    The trial and patient are named, not imported: this app knows neither.
    """

    # Set before the insert (not auto_now_add) because the row's hash covers it.
    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=200)
    action = models.CharField(max_length=40, db_index=True)
    # Indexed by audit_trial_all and audit_trial_changes (Meta), not alone: see Meta.
    trial = models.ForeignKey(
        "trials.Trial",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit",
        db_index=False,
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

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        db_table = "trials_auditevent"
        ordering = ["at", "id"]
        # A trial's rows in the timeline's order: its changes alone (the timeline), and all of
        # them (the trial's record, a trial's deletion refused). No index of the trial alone: on
        # a trial ticked for hours since the statistics were last taken, the planner took that
        # smaller index, read every change and sorted them, for the 21 the timeline shows
        # (0.8 ms of the database's 1.5 ms per tick, bench/RESULTS.md).
        indexes = [
            models.Index(
                fields=["trial", "-at", "-id"],
                condition=~models.Q(action__in=ACCESS_ACTIONS),
                name="audit_trial_changes",
            ),
            models.Index(fields=["trial", "-at", "-id"], name="audit_trial_all"),
            # When a trial's record last changed ("record as of", trials/outcomes/summary.py):
            # its latest change that is not an export, and its patient's latest change that
            # belongs to no trial, each the first row of its index, however many downloads and
            # views came after.
            models.Index(
                fields=["trial", "-at"],
                condition=~models.Q(action__in=NOT_RECORD_CHANGES),
                name="audit_trial_record_changes",
            ),
            models.Index(
                fields=["patient", "-at"],
                condition=models.Q(trial__isnull=True) & ~models.Q(action__in=NOT_RECORD_CHANGES),
                name="audit_patient_record_changes",
            ),
        ]

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
