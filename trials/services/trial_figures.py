"""The kept figures of each trial (TrialFigures): derived from the raw rows, written in the
transaction that changed those rows, and rebuilt or checked from them at any time.

The raw attempts and scores stay the source of truth (DOMAIN.md §4); a trial's figures are only
what the outcome dashboard would otherwise work out again from every attempt and every MAS
score of every trial on each visit, with copies of the trial's phase, outcome and referral date
and of its patient's diagnosis, so that the dashboard reads one narrow table. The services call
trial_figures_refresh() under the trial's lock after each write a figure comes from: a trial
started or moved (phase.trial_transition: a dose given, a plan, a close, a cancel), its details
edited, an assessment recorded (or a baseline replaced), a decision; patients.services after a
diagnosis changed, for each of the patient's trials. Adverse events are counted from their own
rows.

trial_figures_rebuild() writes the figures again from the raw rows (the migration that made the
table, the bulk seed after each batch, `manage.py trial_figures --rebuild`);
trial_figures_stale() lists the trials whose kept figures differ from those derived now (the
tests, `manage.py trial_figures --check`). Both take `apps`, so that the migration runs them
with its historical models.
"""

from collections import defaultdict
from collections.abc import Iterator

from django.apps import apps as global_apps
from django.db import transaction

from trials.outcomes import mas

FIELDS = (
    "status",
    "outcome",
    "referred_on",
    "diagnosis",
    "doses_given",
    "decided",
    "responder",
    "response_dose_mcg",
    "first_dose_at",
    "last_decided_at",
    "mas_best_fall_units",
)
CHUNK = 2000  # trials derived and written per transaction when rebuilding or checking
ATTEMPT_COLUMNS = ("trial_id", "number", "dose_mcg", "given_at", "responder", "decided_at")


def figures_of_attempts(attempts) -> dict:
    """The figures of one trial's attempts (given in number order)."""
    given = [a for a in attempts if a.given_at is not None]
    decided = [a for a in attempts if a.responder is not None]
    effective = [a for a in decided if a.responder]
    return {
        "doses_given": len(given),
        "decided": bool(decided),
        "responder": bool(effective),
        "response_dose_mcg": effective[0].dose_mcg if effective else None,
        "first_dose_at": next((a.given_at for a in given if a.number == 1), None),
        "last_decided_at": decided[-1].decided_at if decided else None,
    }


def _derive(ids: list[int], apps) -> dict[int, dict]:
    """{trial id: figures} from the trials, their attempts and MAS scores: three queries."""
    trial_model = apps.get_model("trials", "Trial")
    attempt_model = apps.get_model("trials", "DoseAttempt")
    trials = trial_model.objects.filter(pk__in=ids)
    attempts = defaultdict(list)
    rows = attempt_model.objects.filter(trial_id__in=ids).order_by("trial_id", "number")
    for attempt in rows.values_list(*ATTEMPT_COLUMNS, named=True):
        attempts[attempt.trial_id].append(attempt)
    falls = dict(mas.best_fall_units_by_trial(trials))
    columns = trials.order_by("pk").values_list(
        "pk", "status", "outcome", "referred_on", "patient__diagnosis"
    )
    return {
        pk: {"status": status, "outcome": outcome, "referred_on": referred_on}
        | {"diagnosis": diagnosis}
        | figures_of_attempts(attempts[pk])
        | {"mas_best_fall_units": falls.get(pk)}
        for pk, status, outcome, referred_on, diagnosis in columns
    }


def _save(figures: dict[int, dict], apps) -> None:
    model = apps.get_model("trials", "TrialFigures")
    model.objects.bulk_create(
        [model(trial_id=pk, **values) for pk, values in figures.items()],
        update_conflicts=True,
        unique_fields=["trial"],
        update_fields=list(FIELDS),
    )


def trial_figures_refresh(*, trial_id: int) -> None:
    """Write one trial's figures from its raw rows. Call it in the transaction that changed
    them, holding the trial's lock (phase.lock_trial), after the change: three queries."""
    _save(_derive([trial_id], global_apps), global_apps)


def trial_figures_refresh_for_patient(*, patient_id: int) -> None:
    """Write the figures of each of the patient's trials (their diagnosis changed), each trial
    locked as the trial services lock it, so that none writes an older diagnosis after this."""
    trial_model = global_apps.get_model("trials", "Trial")
    trial_figures_rebuild(trial_model.objects.filter(patient_id=patient_id))


def _locked_chunks(trials, apps) -> Iterator[list[int]]:
    """The ids of `trials` (None: all) in chunks, each locked in its own transaction, so that
    no service changes a trial between its figures being derived and written or compared."""
    trial_model = apps.get_model("trials", "Trial")
    qs = trial_model.objects.all() if trials is None else trials
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            chunk = trial_model.objects.filter(pk__in=ids[start : start + CHUNK])
            yield list(
                chunk.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True)
            )


def trial_figures_rebuild(trials=None, *, apps=global_apps) -> int:
    """Write the figures of `trials` (a Trial queryset; None: every trial) from the raw rows.
    Returns the number of trials written."""
    written = 0
    for ids in _locked_chunks(trials, apps):
        _save(_derive(ids, apps), apps)
        written += len(ids)
    return written


def trial_figures_stale(trials=None, *, apps=global_apps) -> list[tuple[int, dict | None, dict]]:
    """(trial id, kept figures or None, figures derived now) of each trial of `trials` (None:
    every trial) whose kept figures are missing or differ from those derived from the raw rows."""
    model = apps.get_model("trials", "TrialFigures")
    stale = []
    for ids in _locked_chunks(trials, apps):
        kept = {
            row.pop("trial_id"): row
            for row in model.objects.filter(trial_id__in=ids).values("trial_id", *FIELDS)
        }
        for pk, derived in _derive(ids, apps).items():
            if kept.get(pk) != derived:
                stale.append((pk, kept.get(pk), derived))
    return stale
