"""A reader's trial page shown from its kept parts, without its record.

Every part of the trial page that shows the record is kept by the record's key or the phase
panel's (templatetags/kept.py, presenters.record_key and panel_key). Working those keys out took
the whole record (record_cache: its copy unpickled, some hundreds of models) and the panel's
schedules and blockers, on every view, only to find the parts kept. So each process also keeps,
for each trial and each way of viewing it (the viewer's role, the clinic's time zone, the site's
settings: what record_key holds besides the record), the page's *frame*:
- the revision it was made from, and the two keys worked out from that record;
- the people the record names, with their names as read then (record_key holds them too);
- until when the panel's key holds: the clock moves what the panel shows (a vital sign
  overdue, a window missed, an age reached at midnight) only at moments the record itself
  fixes (presenters.panel_clock_until);
- what the page shows outside its kept parts: the patient's name and the trial's phase.

A view reads the trial's revision and those people in one query. When the revision is the
frame's, the people are as they were and the clock has not reached the frame's limit, the page's
keys are the frame's, and the page is rendered from its kept parts alone (`kept_only`): a part
no longer kept stops that rendering, and the page is made from the record as before. Otherwise
(a change, a renamed clinician, the clock) the page is made from the record and its frame kept
again. The query is the only one added, and only to the first view after a change.

Frames live in the "parts" cache (as private as the parts), so whatever forgets the parts
forgets them too.
"""

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from patients.models import Patient
from trials.models import SiteSettings, Trial
from trials.services.record_cache import people_of
from trials.templatetags.kept import CACHE

# The user columns the record's people are compared by: what printed_name and the role read.
PEOPLE_COLUMNS = ("id", "username", "first_name", "last_name", "role")
PATIENT_FIELDS = ("id", "first_name", "last_name", "mrn")


@dataclass(frozen=True)
class Frame:
    revision: str
    people: tuple[int, ...]  # the ids of the users the record names
    people_digest: str  # of their PEOPLE_COLUMNS as read with the record
    record_key: str
    panel_key: str
    clock_from: datetime  # the panel's key holds from this moment ...
    clock_until: datetime | None  # ... until this one (None: for ever, a closed trial)
    status: str
    patient: tuple  # PATIENT_FIELDS

    def holds_at(self, now: datetime) -> bool:
        return self.clock_from <= now and (self.clock_until is None or now < self.clock_until)


@dataclass(frozen=True)
class Page:
    """The trial and its patient as the page shows them outside its kept parts (and as the
    page view's audit row names them), and the page's keys."""

    trial: Trial
    record_key: str
    panel_key: str


def _frame_key(trial_id: int, user, site: SiteSettings) -> str:
    settings = repr([getattr(site, f.attname) for f in site._meta.concrete_fields])
    view = f"{user.role}:{timezone.get_current_timezone_name()}:{settings}"
    return f"trial-frame:{trial_id}:{hashlib.sha256(view.encode()).hexdigest()[:24]}"


def _digest(rows) -> str:
    return hashlib.sha256(repr(sorted(rows)).encode()).hexdigest()[:16]


def find(trial_id: int, user, site: SiteSettings) -> Page | None:
    """The page's trial and keys from this process's frame, when the frame still holds for the
    trial as it is now, the people it names and the clock; None otherwise (no query is made when
    there is no frame, or the clock has moved past it)."""
    frame = caches[CACHE].get(_frame_key(trial_id, user, site))
    if frame is None or not frame.holds_at(timezone.now()):
        return None
    found = _revision_and_people(trial_id, frame.people)
    if not found:
        return None  # no such trial: the page made from the record answers 404
    revision, people = found[0][0], [row[1:] for row in found if row[1] is not None]
    if revision != frame.revision or _digest(people) != frame.people_digest:
        return None
    patient = Patient(**dict(zip(PATIENT_FIELDS, frame.patient, strict=True)))
    trial = Trial(pk=trial_id, status=frame.status, patient=patient)
    return Page(trial, frame.record_key, frame.panel_key)


def keep(
    trial: Trial,
    context: dict,
    user,
    site: SiteSettings,
    *,
    clock: tuple[datetime, datetime | None],
) -> None:
    """Keep the frame of a page just rendered from the record `trial` (a reader's: its keys are
    not empty). `clock`: from when (at or before its panel's key was worked out) until when
    (presenters.panel_clock_until) that key holds."""
    if not context["record_key"] or not context["panel_key"]:
        return
    people = people_of(trial)
    frame = Frame(
        revision=trial.revision,
        people=tuple(sorted(people)),
        people_digest=_digest(
            tuple(getattr(u, c) for c in PEOPLE_COLUMNS) for u in people.values()
        ),
        record_key=context["record_key"],
        panel_key=context["panel_key"],
        clock_from=clock[0],
        clock_until=clock[1],
        status=trial.status,
        patient=tuple(getattr(trial.patient, f) for f in PATIENT_FIELDS),
    )
    caches[CACHE].set(_frame_key(trial.pk, user, site), frame)


def _revision_and_people(trial_id: int, people: tuple[int, ...]) -> list[tuple]:
    """The trial's revision beside each of these users' PEOPLE_COLUMNS (one row of NULLs when
    none is found), in one query; no row when there is no such trial."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(len(people)), [*people, trial_id])
        return cursor.fetchall()


@functools.cache
def _sql(count: int) -> str:
    """The query of _revision_and_people for `count` users. The names are the models' own
    (their _meta), quoted; every value is a parameter."""
    quote = connection.ops.quote_name
    user_model = get_user_model()
    columns = ", ".join(f"u.{quote(_column(user_model, c))}" for c in PEOPLE_COLUMNS)
    ids = ", ".join(["%s"] * count) or "NULL"
    trials, users = quote(Trial._meta.db_table), quote(user_model._meta.db_table)
    return (
        f"SELECT t.{quote(_column(Trial, 'revision'))}, {columns} FROM {trials} t "  # noqa: S608
        f"LEFT OUTER JOIN {users} u ON u.{quote(_column(user_model, 'id'))} IN ({ids}) "
        f"WHERE t.{quote(_column(Trial, 'id'))} = %s"
    )


def _column(model, name: str) -> str:
    return next(f.column for f in model._meta.concrete_fields if f.name == name)
