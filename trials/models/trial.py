from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse

from trials import procedure
from trials.procedure import Phase


class TrialQuerySet(models.QuerySet):
    def open(self) -> "TrialQuerySet":
        return self.filter(status__in=Phase.OPEN)

    def in_phase(self, phase: str) -> "TrialQuerySet":
        return self.filter(status=phase)

    def phase_counts(self) -> dict[str, int]:
        """{phase: number of trials} for every phase, zeros included, in one query."""
        rows = self.order_by().values_list("status").annotate(n=models.Count("pk"))
        return {code: 0 for code, _ in Phase.CHOICES} | dict(rows)

    def with_patient(self) -> "TrialQuerySet":
        return self.select_related("patient")

    def with_severe_flag(self) -> "TrialQuerySet":
        from .observation import AdverseEvent

        severe = AdverseEvent.objects.filter(
            attempt__trial=OuterRef("pk"), severity__in=procedure.SEVERE_AE
        )
        return self.annotate(has_severe_ae=Exists(severe))

    def with_attempts(self) -> "TrialQuerySet":
        from .attempt import DoseAttempt

        return self.prefetch_related(
            Prefetch("attempts", queryset=DoseAttempt.objects.order_by("number"))
        )

    def for_list(self) -> "TrialQuerySet":
        return self.with_patient().with_severe_flag().with_attempts().order_by("-created_at")

    def for_ward_board(self) -> "TrialQuerySet":
        """Trials now in observation with what the board needs: the current attempt's vitals."""
        from .attempt import DoseAttempt
        from .observation import VitalSigns

        given = DoseAttempt.objects.filter(given_at__isnull=False).prefetch_related(
            Prefetch("vitals", queryset=VitalSigns.objects.only("attempt_id", "recorded_at"))
        )
        return (
            self.in_phase(Phase.OBSERVATION)
            .with_patient()
            .with_severe_flag()
            .prefetch_related(
                Prefetch("attempts", queryset=given.order_by("number"), to_attr="given_attempts")
            )
        )

    def for_detail(self) -> "TrialQuerySet":
        """Everything the trial page and the protocol checks read, in a fixed number of queries."""
        from .assessment import Assessment
        from .attempt import DoseAttempt
        from .audit import AuditEvent, Signature
        from .checklist import ChecklistEntry
        from .observation import AdverseEvent, PainMedication, VitalSigns

        attempts = DoseAttempt.objects.select_related(
            "performed_by", "assisting_nurse", "decided_by", "planned_by"
        ).prefetch_related(
            Prefetch("vitals", queryset=VitalSigns.objects.select_related("recorded_by")),
            Prefetch("adverse_events", queryset=AdverseEvent.objects.select_related("recorded_by")),
            Prefetch(
                "pain_medications", queryset=PainMedication.objects.select_related("given_by")
            ),
        )
        return self.select_related("patient", "created_by").prefetch_related(
            Prefetch("attempts", queryset=attempts.order_by("number")),
            Prefetch("entries", queryset=ChecklistEntry.objects.select_related("by")),
            Prefetch(
                "assessments",
                queryset=Assessment.objects.select_related("assessed_by").prefetch_related(
                    "scores"
                ),
            ),
            Prefetch("signatures", queryset=Signature.objects.select_related("signer")),
            Prefetch("audit", queryset=AuditEvent.objects.order_by("-at", "-id")),
        )

    def for_worklist(self) -> "TrialQuerySet":
        """Open trials with their attempts and post-dose assessments (the neurologist's list)."""
        from .attempt import DoseAttempt

        return (
            self.open()
            .with_patient()
            .with_severe_flag()
            .prefetch_related(
                Prefetch(
                    "attempts",
                    queryset=DoseAttempt.objects.order_by("number").prefetch_related("assessments"),
                )
            )
        )


class Trial(models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="trials")
    status = models.CharField(max_length=16, choices=Phase.CHOICES, default=Phase.PREPARATION)
    referred_on = models.DateField(help_text="Date of the referral for the trial.")
    referred_by = models.CharField(max_length=200, blank=True)
    goals = models.TextField(
        "Treatment goals",
        blank=True,
        help_text="E.g. positioning, care time, sleep, pain, gait, wheelchair tolerance.",
    )
    indication = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=procedure.OUTCOME_CHOICES, blank=True)
    outcome_note = models.TextField(blank=True)
    follow_up_on = models.DateField("Follow-up appointment", null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrialQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=Phase.OPEN),
                name="one_open_trial_per_patient",
                violation_error_message="This patient already has an open trial.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[c for c, _ in Phase.CHOICES]), name="trial_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=Phase.COMPLETED) | ~Q(outcome=""),
                name="completed_trial_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(status=Phase.CANCELLED) | ~Q(cancel_reason=""),
                name="cancelled_trial_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"ITB trial #{self.pk} – {self.patient}"

    def get_absolute_url(self) -> str:
        return reverse("trials:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in Phase.OPEN

    @property
    def phase_label(self) -> str:
        return Phase.LABELS[self.status]

    def latest_attempt(self):
        """The newest attempt; uses prefetched attempts when present."""
        attempts = list(self.attempts.all())
        return attempts[-1] if attempts else None
