"""The dashboard's numbers, computed by the database over the filtered trials.

`compute(trials)` runs a fixed number of queries (FIGURE_QUERIES) whatever the number of trials,
each a GROUP BY whose result has at most a few hundred rows, over one narrow table: each
trial's kept figures (TrialFigures: its phase, outcome, diagnosis and referral date, the doses
given, the decisions and the best MAS fall, written from the raw rows in the transaction that
changed them, trials/services/trial_figures.py). One query counts the trials by phase,
outcome, diagnosis, doses and decisions; one the adverse events (from their own rows); one
both histograms of days from referral, whose medians are taken in Python (days → number of
trials), so they need neither percentile_cont (PostgreSQL only) nor one row per trial.

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
from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate

from audit.models import AuditEvent
from core import moments
from trials import procedure
from trials.models import AdverseEvent, TrialFigures
from trials.procedure import Phase

from . import mas

CACHE_SECONDS = 10 * 60
CACHE_VERSION = 1
FIGURE_QUERIES = 3  # queries of compute(); the cache adds one (the newest audit row)


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


def _days_since_referral(when: str) -> ExpressionWrapper:
    # The clinic's calendar day of the event (the active time zone) minus the referral date. A
    # time stored at the calendar's ends is taken where every zone's clock has a day: the
    # database cannot convert 9999-12-31 23:59 UTC to Tokyo's year 10000.
    first, last = moments.EVERY_CLOCK
    inside = Case(
        When(**{f"{when}__lt": first}, then=Value(first)),
        When(**{f"{when}__gt": last}, then=Value(last)),
        default=F(when),
    )
    return ExpressionWrapper(TruncDate(inside) - F("referred_on"), output_field=DurationField())


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


def _tally(fig: Figures, rows) -> None:
    """Fold the counts per (phase, outcome, diagnosis, kept figures) into the figures."""
    mas_sums: dict[str, list] = {}
    for r in rows:
        n, diagnosis = r["n"], r["diagnosis"]
        fig.by_phase[r["status"]] = fig.by_phase.get(r["status"], 0) + n
        if r["status"] == Phase.COMPLETED:
            fig.completed_by_outcome[r["outcome"]] = (
                fig.completed_by_outcome.get(r["outcome"], 0) + n
            )
        if r["decided"]:
            decided, hits = fig.responders.get(diagnosis, (0, 0))
            fig.responders[diagnosis] = (decided + n, hits + (n if r["responder"] else 0))
        if r["response_dose_mcg"]:
            dose = r["response_dose_mcg"]
            fig.response_dose[dose] = fig.response_dose.get(dose, 0) + n
        for number in range(1, (r["doses_given"] or 0) + 1):  # attempts 1..n were given
            fig.given_by_number[number] = fig.given_by_number.get(number, 0) + n
        if r["mas_n"]:
            total = mas_sums.setdefault(diagnosis, [0, 0])
            total[0] += r["mas_n"]
            total[1] += r["mas_sum"]
    fig.by_phase = {code: fig.by_phase.get(code, 0) for code, _ in Phase.CHOICES}
    fig.total = sum(fig.by_phase.values())
    # 0 − mean rather than −mean: no "-0.00" when nothing changed.
    fig.mas_change = {
        diagnosis: (n, Decimal(0) - mas.rounded(Decimal(total) / (n * mas.FALL_UNITS)))
        for diagnosis, (n, total) in mas_sums.items()
    }


def _histograms(kept) -> dict[str, dict[timedelta, int]]:
    """{"first": days from referral to the first dose → trials, "decision": days to the last
    decision of the completed trials → trials}: both in one query."""

    def days(name: str, moment: str, **filters):
        return (
            kept.filter(**{f"{moment}__isnull": False}, **filters)
            .annotate(median=Value(name, CharField()), days=_days_since_referral(moment))
            .order_by()
            .values("median", "days")
            .annotate(n=Count("pk"))
        )

    histograms: dict[str, dict[timedelta, int]] = {"first": {}, "decision": {}}
    first = days("first", "first_dose_at")
    decision = days("decision", "last_decided_at", status=Phase.COMPLETED)
    for r in first.union(decision, all=True):
        histograms[r["median"]][r["days"]] = r["n"]
    return histograms


def compute(trials=None) -> Figures:
    """All figures over `trials` (a Trial queryset; None = every trial)."""
    kept = TrialFigures.objects.all()
    events = AdverseEvent.objects.all()
    if trials is not None:
        kept = kept.filter(trial__in=trials.order_by().values("pk"))
        events = events.filter(attempt__trial__in=trials.order_by().values("pk"))

    fig = Figures(response_dose=dict.fromkeys(procedure.DOSE_LADDER_MCG, 0))
    groups = ("status", "outcome", "diagnosis", "doses_given", "decided", "responder")
    rows = (
        kept.order_by()
        .values(*groups, "response_dose_mcg")
        .annotate(
            n=Count("pk"),
            mas_n=Count("mas_best_fall_units"),
            mas_sum=Sum("mas_best_fall_units"),
        )
    )
    _tally(fig, rows)

    rows = events.order_by().values("kind", "severity").annotate(n=Count("pk"))
    fig.adverse_events = {(r["kind"], r["severity"]): r["n"] for r in rows}

    histograms = _histograms(kept)
    fig.to_first_injection = median_of_histogram(histograms["first"])
    fig.to_decision = median_of_histogram(histograms["decision"])
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
