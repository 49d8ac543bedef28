"""The outcomes as CSV for a statistician: one row per trial, or one row per dose attempt.

- RFC 4180 through the csv module (excel dialect: CRLF line ends, fields quoted when needed).
- Spreadsheet-safe: every cell that begins with =, +, -, @, a tab or a carriage return gets a
  leading apostrophe, so a spreadsheet shows it as text instead of running it as a formula. This
  applies to numbers too (a negative number would begin with '-'); the columns are chosen so
  that numbers are rarely negative: the MAS column is the *fall* from baseline (positive = less
  spasticity).
- Dates are ISO 8601 (YYYY-MM-DD); times ISO 8601 in the clinic's zone with the UTC offset.
  Booleans are 1 / 0, empty when unknown or not decided yet.
- Amended records are exported as amended: the injection columns and the billing hold the
  current values, and the `amendments` column says what was amended, by whom, when and why.
- Streamed: a fixed number of queries whatever the number of rows (the rows, the MAS comparison
  and, for attempts, the amendments, walked in step), read through server-side cursors on
  PostgreSQL.
"""

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from itertools import groupby
from types import SimpleNamespace

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from accounts.models import User
from core import moments
from core.spreadsheet import stream
from trials import procedure
from trials.billing import NOT_RECORDED
from trials.late import late_note
from trials.models import Amendment, DoseAttempt
from trials.services.amendments import amendment_note, current_values

from . import mas
from .billing import attempt_billing

CHUNK = 2000
ADULT_AGE = 18


def _in_step(rows: Iterable, key, extras: Iterator) -> Iterator[tuple]:
    """Pair each row with the extra value of the same key; both ascend by key."""
    extra = next(extras, None)
    for row in rows:
        k = key(row)
        while extra is not None and extra[0] < k:
            extra = next(extras, None)
        yield row, (extra[1] if extra is not None and extra[0] == k else None)


def _local_day(moment: datetime | None) -> date | None:
    return moments.local_day(moment) if moment else None


def _days(start: date, moment: datetime | None) -> int | None:
    day = _local_day(moment)
    return (day - start).days if day else None


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


TRIAL_HEADER = [
    "trial_id",
    "patient_mrn",
    "sex",
    "diagnosis",
    "age_at_referral_years",
    "age_group",
    "referred_on",
    "status",
    "outcome",
    "closed_at",
    "doses_given",
    "highest_dose_given_mcg",
    "first_injection_at",
    "days_referral_to_first_injection",
    "responder",
    "response_dose_mcg",
    "last_decision_at",
    "days_referral_to_last_decision",
    "adverse_events",
    "severe_adverse_events",
    "mas_lower_limb_fall_best",
]


def trial_rows(trials) -> Iterator[list]:
    given = Q(attempts__given_at__isnull=False)
    severe = Q(attempts__adverse_events__severity__in=procedure.SEVERE_AE)
    rows = (
        trials.order_by("pk")
        .annotate(
            doses_given=Count("attempts", filter=given, distinct=True),
            highest_dose=Max("attempts__dose_mcg", filter=given),
            first_given=Min("attempts__given_at"),
            decided=Count("attempts", filter=Q(attempts__responder__isnull=False), distinct=True),
            response_dose=Min("attempts__dose_mcg", filter=Q(attempts__responder=True)),
            last_decided=Max("attempts__decided_at"),
            events=Count("attempts__adverse_events", distinct=True),
            severe=Count("attempts__adverse_events", filter=severe, distinct=True),
        )
        .values_list(
            "pk",
            "patient__mrn",
            "patient__sex",
            "patient__diagnosis",
            "patient__date_of_birth",
            "referred_on",
            "status",
            "outcome",
            "closed_at",
            "doses_given",
            "highest_dose",
            "first_given",
            "decided",
            "response_dose",
            "last_decided",
            "events",
            "severe",
        )
        .iterator(chunk_size=CHUNK)
    )
    falls = mas.best_fall_by_trial(trials)
    for row, fall in _in_step(rows, lambda r: r[0], falls):
        (
            pk,
            mrn,
            sex,
            diagnosis,
            born,
            referred,
            status,
            outcome,
            closed,
            doses,
            highest,
            first,
            decided,
            response_dose,
            last_decided,
            events,
            severe_n,
        ) = row
        age = _age(born, referred)
        yield [
            pk,
            mrn,
            sex,
            diagnosis,
            age,
            "child" if age < ADULT_AGE else "adult",
            referred,
            status,
            outcome,
            closed,
            doses,
            highest,
            first,
            _days(referred, first),
            None if not decided else response_dose is not None,
            response_dose,
            last_decided,
            _days(referred, last_decided),
            events,
            severe_n,
            fall,
        ]


# The injection columns an amendment may correct: exported as amended.
AMENDED_COLUMNS = {
    "spinal_level": "spinal_level",
    "needle_type": "needle_type",
    "needle_gauge": "needle_gauge",
    "needle_passes": "passes",
    "clear_csf": "clear_csf",
    "image_guidance": "image_guidance",
    "product": "product",
    "concentration_mcg_ml": "concentration_mcg_ml",
    "discarded_mcg": "discarded_mcg",
}
ATTEMPT_HEADER = [
    "trial_id",
    "patient_mrn",
    "diagnosis",
    "attempt_number",
    "dose_mcg",
    "planned_at",
    "not_before",
    "given_at",
    "given_entered_at",
    "given_late_entry",
    "days_referral_to_injection",
    *AMENDED_COLUMNS,
    "j0476_units",
    "j0476_modifier",
    "j0476_jw_units",
    "billing_note",
    "cpt_code",
    "effect_worn_off_at",
    "effect_worn_off_entered_at",
    "effect_worn_off_late_entry",
    "discharged_at",
    "discharge_entered_at",
    "discharge_late_entry",
    "discharge_exception",
    "responder",
    "suggested_responder",
    "decided_at",
    "decision_entered_at",
    "decision_late_entry",
    "goal_outcomes",
    "adverse_events",
    "severe_adverse_events",
    "mas_lower_limb_fall_best",
    "amendments",
]


ATTEMPT_FIELDS = [
    "trial_id", "pk", "trial__patient__mrn", "trial__patient__diagnosis", "trial__referred_on",
    "number", "dose_mcg", "planned_at", "not_before", "given_at", "given_entered_at",
    "given_late_reason", "performed_by_id", *AMENDED_COLUMNS.values(), "effect_worn_off_at",
    "effect_worn_off_entered_at", "effect_worn_off_late_reason", "effect_worn_off_by_id",
    "discharged_at",
    "discharge_entered_at", "discharge_late_reason", "discharge_exception", "discharged_by_id",
    "responder", "suggested_responder", "decided_at", "decision_entered_at",
    "decision_late_reason", "decided_by_id", "goal_outcomes", "events", "severe",
]  # fmt: skip
# The attempt's own entries: (entry time, late reason, who entered it), as in trials/late.py.
LATE_PARTS = {
    "given": ("given_entered_at", "given_late_reason", "performed_by_id"),
    "worn_off": (
        "effect_worn_off_entered_at",
        "effect_worn_off_late_reason",
        "effect_worn_off_by_id",
    ),
    "discharge": ("discharge_entered_at", "discharge_late_reason", "discharged_by_id"),
    "decision": ("decision_entered_at", "decision_late_reason", "decided_by_id"),
}


def _late(r: dict, part: str, names: dict[int, str]) -> str:
    entered, reason, by = LATE_PARTS[part]
    return late_note(r[entered], names.get(r[by], ""), r[reason])


def _goals(outcomes: dict) -> str:
    """E.g. "Sleep through the night: met; Easier transfers: partly"."""
    return "; ".join(f"{goal}: {mark}" for goal, mark in (outcomes or {}).items())


def _amendments_by_attempt(attempts) -> Iterator[tuple[tuple[int, int], list[Amendment]]]:
    """((trial id, attempt id), amendments oldest first), ascending, streamed."""
    made = (
        Amendment.objects.filter(attempt__in=attempts.values("pk"))
        .order_by("trial_id", "attempt_id", "amended_at", "pk")
        .iterator(chunk_size=CHUNK)
    )
    for key, group in groupby(made, key=lambda m: (m.trial_id, m.attempt_id)):
        yield key, list(group)


def attempt_rows(trials) -> Iterator[list]:
    attempts = DoseAttempt.objects.filter(trial__in=trials.order_by().values("pk"))
    rows = (
        attempts.order_by("trial_id", "pk")
        .annotate(
            events=Count("adverse_events"),
            severe=Count(
                "adverse_events", filter=Q(adverse_events__severity__in=procedure.SEVERE_AE)
            ),
        )
        .values_list(*ATTEMPT_FIELDS)
        .iterator(chunk_size=CHUNK)
    )
    key = lambda r: (r[0], r[1])  # noqa: E731
    falls = mas.best_fall_by_attempt(trials)
    amended = _amendments_by_attempt(attempts)
    # The few clinicians who entered things, for the late-entry notes (one query).
    names = {u.pk: u.printed_name for u in User.objects.only("username", "first_name", "last_name")}
    for (row, fall), made in _in_step(_in_step(rows, key, falls), lambda p: key(p[0]), amended):
        r = dict(zip(ATTEMPT_FIELDS, row, strict=True))
        current = current_values({f: r[f] for f in AMENDED_COLUMNS.values()}, made or [])
        bill = attempt_billing(SimpleNamespace(**r), current)
        unknown = bill is not None and bill.jw_units is None
        yield [
            r["trial_id"],
            r["trial__patient__mrn"],
            r["trial__patient__diagnosis"],
            r["number"],
            r["dose_mcg"],
            r["planned_at"],
            r["not_before"],
            r["given_at"],
            r["given_entered_at"],
            _late(r, "given", names),
            _days(r["trial__referred_on"], r["given_at"]),
            *(current[f].value for f in AMENDED_COLUMNS.values()),
            bill and bill.units,
            bill and bill.modifier,
            bill and bill.jw_units,
            NOT_RECORDED if unknown else "",
            bill and bill.cpt,
            r["effect_worn_off_at"],
            r["effect_worn_off_entered_at"],
            _late(r, "worn_off", names),
            r["discharged_at"],
            r["discharge_entered_at"],
            _late(r, "discharge", names),
            r["discharge_exception"],
            r["responder"],
            r["suggested_responder"],
            r["decided_at"],
            r["decision_entered_at"],
            _late(r, "decision", names),
            _goals(r["goal_outcomes"]),
            r["events"],
            r["severe"],
            fall,
            " | ".join(amendment_note(m) for m in made or []),
        ]


SHEETS = {
    "trials": (TRIAL_HEADER, trial_rows),
    "attempts": (ATTEMPT_HEADER, attempt_rows),
}


def export(trials, sheet: str) -> Iterator[str]:
    """The CSV of one sheet. The rows are read while the response streams, after the view (and
    the middleware's clinic time zone) has returned, so the zone is kept for them here."""
    header, rows = SHEETS[sheet]
    zone = timezone.get_current_timezone()

    def in_clinic_zone():
        with timezone.override(zone):
            yield from stream(header, rows(trials))

    return in_clinic_zone()
