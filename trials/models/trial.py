from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from core import paging
from core.links import record_url
from trials import procedure
from trials.procedure import Phase

ADULT_AGE = 18  # a child is under 18 on the referral date
# A dose's observation lasts hours (vital signs to 8 h by default); a trial still in observation
# a day after its dose has a discharge nobody recorded.
OBSERVED_HOURS = 24
OBSERVED = timedelta(hours=OBSERVED_HOURS)


def _recent_order(phase: str) -> list[str]:
    """The trial list's order in a phase: open ones newest first, closed ones newest closed."""
    return ["-closed_at", "-pk"] if phase in Phase.CLOSED else ["-created_at", "-pk"]


def _attempts_where(**lookups):
    from .attempt import DoseAttempt

    return DoseAttempt.objects.filter(trial=OuterRef("pk"), **lookups)


class TrialQuerySet(models.QuerySet):
    def open(self) -> "TrialQuerySet":
        return self.filter(status__in=Phase.OPEN)

    def in_phase(self, phase: str) -> "TrialQuerySet":
        return self.filter(status=phase)

    def phase_counts(self) -> dict[str, int]:
        """{phase: number of trials} for every phase, zeros included, in one query."""
        return counts_by_phase(list(self.phase_counts_query()))

    def phase_counts_query(self) -> "models.QuerySet":
        """The read of phase_counts: (phase, number of trials) of the phases that have any."""
        return self.order_by().values_list("status").annotate(n=models.Count("pk"))

    def with_patient(self) -> "TrialQuerySet":
        return self.select_related("patient")

    def with_severe_flag(self) -> "TrialQuerySet":
        from .observation import AdverseEvent

        # A scalar subquery, not EXISTS: PostgreSQL may run an EXISTS of the select list as one
        # hashed subplan over every attempt of the history; this one runs for the rows read only
        # (the page's LIMIT), through the attempts' and the adverse events' foreign-key indexes.
        severe = (
            AdverseEvent.objects.filter(
                attempt__trial=OuterRef("pk"), severity__in=procedure.SEVERE_AE
            )
            .order_by()
            .values(flag=Value(True))[:1]
        )
        flag = Subquery(severe, output_field=models.BooleanField())
        return self.annotate(has_severe_ae=Coalesce(flag, Value(False)))

    def with_attempts(self) -> "TrialQuerySet":
        """The attempts as a trial's line in a list shows them (trials/_trial_item.html): the
        number, the dose and the decision only, not the forty columns of the record."""
        from .attempt import DoseAttempt

        shown = DoseAttempt.objects.only("trial_id", "number", "dose_mcg", "responder")
        return self.prefetch_related(Prefetch("attempts", queryset=shown.order_by("number")))

    def for_list(self) -> "TrialQuerySet":
        return self.with_patient().with_severe_flag().with_attempts().order_by("-created_at")

    def recent_in_phase(self, phase: str) -> "TrialQuerySet":
        """One phase for the trial list: open ones newest first, closed ones newest closed first
        (each read through its partial index, trial_open_recent / trial_closed_recent)."""
        return self.in_phase(phase).for_list().order_by(*_recent_order(phase))

    def recent_heads_of_each_phase(self, n: int) -> dict[str, list[tuple[int, str]]]:
        """{phase: its n first trials as recent_in_phase orders them, as (id, revision)} for
        every phase, in one query however many phases and trials: the trials whose ids are the
        union of each phase's n first, read from its partial index. Each trial's row is read
        apart (for_list; trials/services/kept_rows.py)."""
        return heads_by_phase(list(self.recent_heads_query(n)))

    def recent_heads_query(self, n: int) -> "models.QuerySet":
        """The read of recent_heads_of_each_phase: (id, revision, phase), the newest first (the
        trial list sends it baked, core/baked.py). The union is composed from each phase's
        compiled query because the ORM's union() refuses sliced parts on SQLite."""
        parts = [
            self.in_phase(code).order_by(*_recent_order(code)).values(shown=F("pk"))[:n].query
            for code, _ in Phase.CHOICES
        ]
        compiled = [part.sql_with_params() for part in parts]
        # Only the ORM's own SQL is joined here; every value stays a query parameter.
        sql = " UNION ALL ".join(
            f"SELECT shown FROM ({part_sql}) AS phase_{i}"  # noqa: S608 - the ORM's SQL
            for i, (part_sql, _) in enumerate(compiled)
        )
        params = tuple(p for _, part_params in compiled for p in part_params)
        recency = Case(  # as _recent_order: closed ones by closing, open ones by start
            When(status__in=Phase.CLOSED, then=F("closed_at")), default=F("created_at")
        )
        heads = self.filter(pk__in=RawSQL(sql, params))  # noqa: S611 - as above
        return heads.order_by(recency.desc(), "-pk").values_list("pk", "revision", "status")

    # --- The homes: read the open work only, whatever the history -------------------------

    def first_with_more(self, limit: int) -> tuple[list["Trial"], int]:
        """The first `limit` trials and how many more the query finds, in one query: the
        total is counted by the database before the LIMIT (COUNT(*) OVER ()), not by a second
        query. The homes' reads sort all their (open) rows anyway, so the count costs nothing."""
        return paging.first_with_more(self, limit)

    @staticmethod
    def _dosed_since(moment) -> Exists:
        """The latest dose was given at or after `moment` and its attempt is not discharged."""
        return Exists(_attempts_where(given_at__gte=moment, discharged_at__isnull=True))

    def with_dosed_at(self) -> "TrialQuerySet":
        """`dosed_at`: when the latest dose was given (None before the first)."""
        latest = _attempts_where(given_at__isnull=False).order_by("-number").values("given_at")
        return self.annotate(dosed_at=Subquery(latest[:1]))

    def heads(self, limit: int) -> tuple[list[tuple[int, str]], int]:
        """The first `limit` trials as (id, revision), and how many more the query finds, in
        one query (COUNT(*) OVER (), as first_with_more): which trials a home shows and at
        which revision, its rows read apart (trials/services/kept_rows.py)."""
        return heads_of(list(self.heads_query(limit)))

    def heads_query(self, limit: int, *also: str) -> "models.QuerySet":
        """The read of heads(): (id, revision, the columns `also`, how many the query finds) of
        the first `limit` (the homes send it baked, core/baked.py; heads_of turns its rows into
        heads)."""
        counted = self.annotate(**{paging.FOUND: Window(Count("pk"))})
        return counted.values_list("pk", "revision", *also, paging.FOUND)[:limit]

    def observed_now(self, now) -> "TrialQuerySet":
        """Trials in observation dosed in the last OBSERVED_HOURS, the longest observed first:
        the ward board's trials (each trial's row: with_board_row)."""
        return (
            self.in_phase(Phase.OBSERVATION)
            .filter(self._dosed_since(now - OBSERVED))
            .with_dosed_at()
            .order_by("dosed_at", "pk")
        )

    def with_board_row(self) -> "TrialQuerySet":
        """What the board shows of a trial: the patient, the severe flag and the attempts given
        (`given_attempts`), each with the times of its vital signs (`vitals_rows`): plain lists,
        which a process keeps cheaply (trials/services/kept_rows.py)."""
        from .attempt import DoseAttempt
        from .observation import VitalSigns

        vitals = VitalSigns.objects.only("attempt_id", "recorded_at")
        given = (
            DoseAttempt.objects.filter(given_at__isnull=False)
            .only("trial_id", "number", "dose_mcg", "given_at")
            .prefetch_related(Prefetch("vitals", queryset=vitals, to_attr="vitals_rows"))
        )
        return (
            self.with_patient()
            .with_severe_flag()
            .prefetch_related(
                Prefetch("attempts", queryset=given.order_by("number"), to_attr="given_attempts")
            )
        )

    def for_ward_board(self, now) -> "TrialQuerySet":
        """The board's trials (observed_now) with their rows (with_board_row), in one read."""
        return self.observed_now(now).with_board_row()

    def discharge_not_recorded(self, now) -> "TrialQuerySet":
        """Trials still in observation more than OBSERVED_HOURS after their dose: the discharge
        was never signed. The most recent first (each trial's row: with_stale_row)."""
        return (
            self.in_phase(Phase.OBSERVATION)
            .exclude(self._dosed_since(now - OBSERVED))
            .with_dosed_at()
            .order_by("-dosed_at", "-pk")
        )

    def with_stale_row(self) -> "TrialQuerySet":
        """What the board shows of a discharge not recorded: the patient and the time of the
        dose (`dosed_at`)."""
        return self.with_patient().with_dosed_at()

    def for_detail(self) -> "TrialQuerySet":
        """Everything the trial page and the protocol checks read, in a fixed number of queries.
        Not the audit trail, which only grows: the page reads its latest changes alone
        (presenters.timeline)."""
        from .amendment import Amendment
        from .assessment import Assessment
        from .attempt import DoseAttempt
        from .checklist import ChecklistEntry
        from .observation import AdverseEvent, PainMedication, VitalSigns
        from .signature import Signature

        attempts = DoseAttempt.objects.select_related(
            "performed_by",
            "assisting_nurse",
            "decided_by",
            "planned_by",
            "discharged_by",
            "effect_worn_off_by",
        ).prefetch_related(
            Prefetch("vitals", queryset=VitalSigns.objects.select_related("recorded_by")),
            Prefetch("adverse_events", queryset=AdverseEvent.objects.select_related("recorded_by")),
            Prefetch(
                "pain_medications", queryset=PainMedication.objects.select_related("given_by")
            ),
            Prefetch("amendments", queryset=Amendment.objects.order_by("amended_at", "pk")),
        )
        return self.select_related("patient").prefetch_related(
            Prefetch("attempts", queryset=attempts.order_by("number")),
            Prefetch("entries", queryset=ChecklistEntry.objects.select_related("by")),
            Prefetch(
                "assessments",
                queryset=Assessment.objects.select_related("assessed_by").prefetch_related(
                    "scores"
                ),
            ),
            Prefetch("signatures", queryset=Signature.objects.select_related("signer")),
        )

    def waiting_for_neurologist(self, now) -> "TrialQuerySet":
        """Open trials a neurologist may have to act on, in the order of the phases and then the
        oldest first (each trial's row: with_worklist_row). A trial left in observation past
        OBSERVED_HOURS (discharge not recorded) waits for a nurse instead."""
        rank = Case(
            *(When(status=phase, then=Value(i)) for i, phase in enumerate(Phase.OPEN)),
            output_field=models.IntegerField(),
        )
        return (
            self.open()
            .exclude(Q(status=Phase.OBSERVATION) & ~self._dosed_since(now - OBSERVED))
            .alias(phase_rank=rank)
            .order_by("phase_rank", "created_at", "pk")
        )

    def with_worklist_row(self) -> "TrialQuerySet":
        """What the worklist reads of a trial: the patient, the severe flag, and the attempts and
        assessments (what a TrialSnapshot reads for the decision: TrialSnapshot.of_row) as plain
        lists, `attempt_rows` and `assessment_rows`, which a process keeps cheaply."""
        from .assessment import Assessment
        from .attempt import DoseAttempt

        # The columns the step reads (views/home.py: the attempt's dose, decision and schedule;
        # which post-dose slots are assessed), not the forty of the record: a kept row is small.
        attempts = DoseAttempt.objects.only(
            "trial_id", "number", "dose_mcg", "responder", "given_at", "effect_worn_off_at"
        ).order_by("number")
        assessments = Assessment.objects.only(
            "trial_id", "attempt_id", "minutes_after", "slot_minutes"
        )
        return (
            self.with_patient()
            .with_severe_flag()
            .prefetch_related(
                Prefetch("attempts", queryset=attempts, to_attr="attempt_rows"),
                Prefetch("assessments", queryset=assessments, to_attr="assessment_rows"),
            )
        )

    def for_tasks(self) -> "TrialQuerySet":
        """Open trials with what the "My tasks" home reads (trials/tasks.py), in a fixed number
        of queries: attempts with their vital signs and adverse events, the checklist entries,
        assessments and signatures. The phases whose clock runs first (observation, injection),
        then follow-up and preparation; within a phase the oldest first."""
        from .assessment import Assessment
        from .attempt import DoseAttempt
        from .checklist import ChecklistEntry
        from .observation import AdverseEvent, VitalSigns
        from .signature import Signature

        order = (Phase.OBSERVATION, Phase.INJECTION, Phase.FOLLOW_UP, Phase.PREPARATION)
        rank = Case(
            *(When(status=phase, then=Value(i)) for i, phase in enumerate(order)),
            output_field=models.IntegerField(),
        )
        vitals = VitalSigns.objects.only("attempt_id", "recorded_at", "pre_dose")
        attempts = DoseAttempt.objects.order_by("number").prefetch_related(
            Prefetch("vitals", queryset=vitals),
            Prefetch("adverse_events", queryset=AdverseEvent.objects.all()),
        )
        return (
            self.open()
            .with_patient()
            .with_severe_flag()
            .alias(task_rank=rank)
            .order_by("task_rank", "created_at", "pk")
            .prefetch_related(
                Prefetch("attempts", queryset=attempts),
                Prefetch("entries", queryset=ChecklistEntry.objects.all()),
                Prefetch("assessments", queryset=Assessment.objects.all()),
                Prefetch("signatures", queryset=Signature.objects.all()),
            )
        )

    # --- Outcome review (trials/outcomes): named reads over many trials ---------------------

    def referred_between(self, start=None, end=None) -> "TrialQuerySet":
        """Trials referred on or after `start` and on or before `end` (either may be None)."""
        qs = self
        if start is not None:
            qs = qs.filter(referred_on__gte=start)
        if end is not None:
            qs = qs.filter(referred_on__lte=end)
        return qs

    def in_age_group(self, group: str) -> "TrialQuerySet":
        """Children (under 18 on the referral date) or adults: group is "child" or "adult"."""
        from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear

        born = "patient__date_of_birth"
        qs = self.alias(
            _age_years=ExtractYear("referred_on") - ExtractYear(born),
            _referred_md=ExtractMonth("referred_on") * 100 + ExtractDay("referred_on"),
            _born_md=ExtractMonth(born) * 100 + ExtractDay(born),
        )
        child = Q(_age_years__lt=ADULT_AGE) | Q(
            _age_years=ADULT_AGE, _referred_md__lt=models.F("_born_md")
        )
        if group == "child":
            return qs.filter(child)
        if group == "adult":
            return qs.exclude(child)
        raise ValueError(f"Unknown age group {group!r}: use 'child' or 'adult'.")

    def with_dose_given(self, dose_mcg: int) -> "TrialQuerySet":
        """Trials in which a dose of `dose_mcg` was given."""
        return self.filter(Exists(_attempts_where(dose_mcg=dose_mcg, given_at__isnull=False)))

    def injected(self) -> "TrialQuerySet":
        """Trials with at least one dose given."""
        return self.filter(Exists(_attempts_where(given_at__isnull=False)))

    def decided(self) -> "TrialQuerySet":
        """Trials with at least one attempt whose response the neurologist decided."""
        return self.filter(Exists(_attempts_where(responder__isnull=False)))

    def responders(self) -> "TrialQuerySet":
        """Trials with an attempt decided as responder."""
        return self.filter(Exists(_attempts_where(responder=True)))

    def responded_at_dose(self, dose_mcg: int) -> "TrialQuerySet":
        """Responders whose first attempt decided responder was at `dose_mcg`."""
        from .attempt import DoseAttempt

        earlier = DoseAttempt.objects.filter(
            trial=OuterRef("trial"), responder=True, number__lt=OuterRef("number")
        )
        first = _attempts_where(responder=True, dose_mcg=dose_mcg).filter(~Exists(earlier))
        return self.filter(Exists(first))

    def with_given_attempts(self, count: int) -> "TrialQuerySet":
        """Trials with exactly `count` doses given (attempts are given in order 1, 2, 3)."""
        if count == 0:
            return self.exclude(Exists(_attempts_where(given_at__isnull=False)))
        return self.filter(Exists(_attempts_where(number=count, given_at__isnull=False))).exclude(
            Exists(_attempts_where(number=count + 1, given_at__isnull=False))
        )

    def with_adverse_event(self, kind: str = "", severity: str = "") -> "TrialQuerySet":
        from .observation import AdverseEvent

        events = AdverseEvent.objects.filter(attempt__trial=OuterRef("pk"))
        if kind:
            events = events.filter(kind=kind)
        if severity:
            events = events.filter(severity=severity)
        return self.filter(Exists(events))

    def with_mas_comparison(self) -> "TrialQuerySet":
        """Trials with a lower-limb group/side scored at baseline and again after a dose."""
        from .assessment import MasScore

        at_baseline = MasScore.objects.filter(
            assessment__trial=OuterRef("assessment__trial"),
            assessment__attempt__isnull=True,
            group=OuterRef("group"),
            side=OuterRef("side"),
        )
        post_dose = MasScore.objects.filter(
            assessment__trial=OuterRef("pk"),
            assessment__attempt__isnull=False,
            group__in=procedure.LOWER_LIMB_GROUPS,
        ).filter(Exists(at_baseline))
        return self.filter(Exists(post_dose))

    def for_outcome_list(self) -> "TrialQuerySet":
        """The drill-down list behind a dashboard count: newest referral first."""
        return (
            self.with_patient().with_severe_flag().with_attempts().order_by("-referred_on", "-pk")
        )

    def for_fhir(self) -> "TrialQuerySet":
        """What the FHIR export reads: attempts with their vitals, amendments, adverse events,
        scores and signatures."""
        from .amendment import Amendment
        from .assessment import Assessment
        from .attempt import DoseAttempt
        from .observation import AdverseEvent, VitalSigns
        from .signature import Signature

        return self.select_related("patient").prefetch_related(
            Prefetch(
                "attempts",
                queryset=DoseAttempt.objects.select_related(
                    "performed_by", "decided_by", "assisting_nurse", "discharged_by"
                )
                .order_by("number")
                .prefetch_related(
                    Prefetch(
                        "vitals",
                        queryset=VitalSigns.objects.select_related("recorded_by").order_by(
                            "recorded_at", "pk"
                        ),
                    ),
                    Prefetch(
                        "amendments",
                        queryset=Amendment.objects.select_related("amended_by").order_by(
                            "amended_at", "pk"
                        ),
                    ),
                    Prefetch(
                        "adverse_events",
                        queryset=AdverseEvent.objects.select_related("recorded_by").order_by(
                            "onset_at", "pk"
                        ),
                    ),
                ),
            ),
            Prefetch(
                "assessments",
                queryset=Assessment.objects.select_related("assessed_by").prefetch_related(
                    "scores"
                ),
            ),
            Prefetch("signatures", queryset=Signature.objects.select_related("signer")),
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
    # Written by the database only (migration 0016): a new random token on every change to the
    # trial's record. The app never sets it; trials/services/record_cache.py keys copies by it.
    revision = models.CharField(
        max_length=32,
        default="",
        editable=False,
        help_text="Written by the database on every change to the trial's record "
        "(migration 0016); keys the cached copies of it.",
    )

    objects = TrialQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The homes read the open trials only: these stay small however long the history.
            models.Index(
                fields=["status", "-created_at"],
                condition=Q(status__in=Phase.OPEN),
                name="trial_open_recent",
            ),
            models.Index(
                fields=["status", "-closed_at"],
                condition=Q(status__in=Phase.CLOSED),
                name="trial_closed_recent",
            ),
        ]
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
        return record_url("trials:detail", self.pk)

    @property
    def is_open(self) -> bool:
        return self.status in Phase.OPEN

    @property
    def phase_label(self) -> str:
        return Phase.LABELS[self.status]

    @property
    def goal_list(self) -> list[str]:
        """The treatment goals, one per line (or separated by semicolons)."""
        parts = self.goals.replace(";", "\n").splitlines()
        return [p.strip(" -•\t") for p in parts if p.strip(" -•\t")]

    def latest_attempt(self):
        """The newest attempt; uses prefetched attempts when present."""
        attempts = list(self.attempts.all())
        return attempts[-1] if attempts else None


def heads_of(found: list[tuple]) -> tuple[list[tuple[int, str]], int]:
    """heads_query's rows as heads(): [(id, revision)] and how many more the query found."""
    return [(row[0], row[1]) for row in found], (found[0][-1] - len(found)) if found else 0


def heads_by_phase(found: list[tuple[int, str, str]]) -> dict[str, list[tuple[int, str]]]:
    """recent_heads_query's rows as recent_heads_of_each_phase(): {phase: [(id, revision)]}."""
    groups: dict[str, list[tuple[int, str]]] = {code: [] for code, _ in Phase.CHOICES}
    for pk, revision, status in found:
        groups[status].append((pk, revision))
    return groups


def counts_by_phase(found: list[tuple[str, int]]) -> dict[str, int]:
    """phase_counts_query's rows as phase_counts(): every phase, zeros included."""
    return {code: 0 for code, _ in Phase.CHOICES} | dict(found)


def with_open_trial(patients: models.QuerySet) -> models.QuerySet:
    """The patients, each with the id and status of its open trial (`open_trial_id`,
    `open_trial_status`; None without one), for the patient list. Here and not on the patients'
    QuerySet: patients know nothing of trials."""
    open_trials = Trial.objects.open().filter(patient=OuterRef("pk")).order_by()  # one at most
    return patients.annotate(
        open_trial_id=Subquery(open_trials.values("pk")[:1]),
        open_trial_status=Subquery(open_trials.values("status")[:1]),
    )
