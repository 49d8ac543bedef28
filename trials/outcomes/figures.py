"""The dashboard's numbers, computed by the database over the filtered trials.

`compute(trials)` runs a fixed number of queries (FIGURE_QUERIES) whatever the number of trials:
each figure is one GROUP BY whose result has at most a few dozen rows. Medians are taken in
Python from a histogram the database counts (days → number of trials), so they need neither
percentile_cont (PostgreSQL only) nor one row per trial.

`outcome_figures(form)` caches the result, keyed by the filter and by the newest audit row:
every change to clinical data writes an AuditEvent in the same transaction (trials/services),
so a new audit row means the figures may have changed. CACHE_SECONDS bounds what a transaction
committing out of id order could leave stale.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, Max, OuterRef, Q
from django.db.models.functions import TruncDate

from trials import procedure
from trials.models import AdverseEvent, AuditEvent, DoseAttempt
from trials.procedure import Phase

from . import mas

CACHE_SECONDS = 10 * 60
CACHE_VERSION = 1
FIGURE_QUERIES = 8  # queries of compute(); the cache adds one (the newest audit row)


@dataclass(frozen=True)
class Median:
    trials: int
    days: Decimal | None


@dataclass
class Figures:
    total: int = 0
    by_phase: dict[str, int] = field(default_factory=dict)
    completed_by_outcome: dict[str, int] = field(default_factory=dict)
    # diagnosis -> (trials with a decided attempt, responders)
    responders: dict[str, tuple[int, int]] = field(default_factory=dict)
    response_dose: dict[int, int] = field(default_factory=dict)
    given_by_number: dict[int, int] = field(default_factory=dict)
    adverse_events: dict[tuple[str, str], int] = field(default_factory=dict)
    to_first_injection: Median = Median(0, None)
    to_decision: Median = Median(0, None)
    # diagnosis -> (trials compared, mean change best post-dose − baseline)
    mas_change: dict[str, tuple[int, Decimal]] = field(default_factory=dict)

    @property
    def completed(self) -> int:
        return self.by_phase.get(Phase.COMPLETED, 0)

    @property
    def given_attempts(self) -> int:
        return sum(self.given_by_number.values())

    @property
    def attempts_per_trial(self) -> dict[int, int]:
        """{doses given: trials}. Attempts are given in order, so a trial with n doses given has
        given attempts 1..n: trials with exactly n = given attempts numbered n − numbered n+1."""
        counts = {0: self.total - self.given_by_number.get(1, 0)}
        for n in range(1, procedure.MAX_ATTEMPTS + 1):
            counts[n] = self.given_by_number.get(n, 0) - self.given_by_number.get(n + 1, 0)
        return counts

    @property
    def decided(self) -> int:
        return sum(d for d, _ in self.responders.values())

    @property
    def responder_count(self) -> int:
        return sum(r for _, r in self.responders.values())


def _scoped(qs, path: str, trials):
    """Restrict a related table to the filtered trials (no subquery when nothing is filtered)."""
    return qs if trials is None else qs.filter(**{f"{path}__in": trials.order_by().values("pk")})


def _days_since_referral(when: str, referred_on: str) -> ExpressionWrapper:
    # The clinic's calendar day of the event (the active time zone) minus the referral date.
    return ExpressionWrapper(TruncDate(when) - F(referred_on), output_field=DurationField())


def median_of_histogram(counts: dict[timedelta, int]) -> Median:
    """The median number of days from {days: trials}; the mean of the middle two when even."""
    total = sum(counts.values())
    if not total:
        return Median(0, None)
    ordered = sorted((delta.days, n) for delta, n in counts.items())
    middle = [(total - 1) // 2, total // 2]
    values, seen = [], 0
    for days, n in ordered:
        while middle and middle[0] < seen + n:
            values.append(days)
            middle.pop(0)
        seen += n
    return Median(total, (Decimal(sum(values)) / 2).quantize(Decimal("0.1")))


def compute(trials=None) -> Figures:
    """All figures over `trials` (a Trial queryset; None = every trial)."""
    from trials.models import Trial

    base = Trial.objects.all() if trials is None else trials
    fig = Figures()

    rows = base.order_by().values("status", "outcome").annotate(n=Count("pk"))
    for row in rows:
        fig.by_phase[row["status"]] = fig.by_phase.get(row["status"], 0) + row["n"]
        if row["status"] == Phase.COMPLETED:
            fig.completed_by_outcome[row["outcome"]] = row["n"]
    fig.by_phase = {code: fig.by_phase.get(code, 0) for code, _ in Phase.CHOICES}
    fig.total = sum(fig.by_phase.values())

    attempts = _scoped(DoseAttempt.objects.all(), "trial", trials)
    rows = (
        attempts.order_by()
        .values("trial__patient__diagnosis")
        .annotate(
            decided=Count("trial", distinct=True, filter=Q(responder__isnull=False)),
            responders=Count("trial", distinct=True, filter=Q(responder=True)),
        )
    )
    fig.responders = {
        r["trial__patient__diagnosis"]: (r["decided"], r["responders"])
        for r in rows
        if r["decided"]
    }

    earlier = DoseAttempt.objects.filter(
        trial=OuterRef("trial"), responder=True, number__lt=OuterRef("number")
    )
    rows = (
        attempts.filter(responder=True)
        .filter(~Exists(earlier))
        .order_by()
        .values("dose_mcg")
        .annotate(n=Count("pk"))
    )
    fig.response_dose = dict.fromkeys(procedure.DOSE_LADDER_MCG, 0) | {
        r["dose_mcg"]: r["n"] for r in rows
    }

    rows = (
        attempts.filter(given_at__isnull=False).order_by().values("number").annotate(n=Count("pk"))
    )
    fig.given_by_number = {r["number"]: r["n"] for r in rows}

    events = _scoped(AdverseEvent.objects.all(), "attempt__trial", trials)
    rows = events.order_by().values("kind", "severity").annotate(n=Count("pk"))
    fig.adverse_events = {(r["kind"], r["severity"]): r["n"] for r in rows}

    first = (
        attempts.filter(number=1, given_at__isnull=False)
        .annotate(days=_days_since_referral("given_at", "trial__referred_on"))
        .order_by()
        .values("days")
        .annotate(n=Count("pk"))
    )
    fig.to_first_injection = median_of_histogram({r["days"]: r["n"] for r in first})

    later = DoseAttempt.objects.filter(
        trial=OuterRef("trial"), responder__isnull=False, number__gt=OuterRef("number")
    )
    decisions = (
        attempts.filter(responder__isnull=False, trial__status=Phase.COMPLETED)
        .filter(~Exists(later))
        .annotate(days=_days_since_referral("decided_at", "trial__referred_on"))
        .order_by()
        .values("days")
        .annotate(n=Count("pk"))
    )
    fig.to_decision = median_of_histogram({r["days"]: r["n"] for r in decisions})

    fig.mas_change = mas.change_by_diagnosis(trials)
    return fig


def outcome_figures(form) -> Figures:
    """The figures for a valid OutcomeFilterForm, from the cache while no data changed."""
    newest = AuditEvent.objects.changes().aggregate(newest=Max("pk"))["newest"]
    text = json.dumps([CACHE_VERSION, newest, sorted(form.params.items())])
    key = "outcomes:figures:" + hashlib.sha256(text.encode()).hexdigest()
    figures = cache.get(key)
    if figures is None:
        figures = compute(form.trials() if form.is_filtered else None)
        cache.set(key, figures, CACHE_SECONDS)
    return figures
