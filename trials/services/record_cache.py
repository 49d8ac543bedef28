"""A trial's record read once per change, not once per request.

The trial page and every protocol check read the whole record (for_detail: ten queries and some
hundreds of rows built into models). Each process keeps a copy of that read in its own memory
(the "records" cache, config/settings.py), keyed by the trial and its revision: a random token
the database writes on every change to anything of the record, the patient included (migration
0016). A request first reads the revision (one query, under the trial's lock for a writer), then
takes the copy of that revision or reads the record and keeps it.

Why this cannot show a stale record:
- Every write to the record gives the trial a new revision, written by the database's triggers,
  so no path of the app (or an edit made outside it) can forget it.
- A revision is random, never a counter: a rolled-back write's token is never read as current,
  and two writes in one transaction leave two tokens, so a copy taken between them is never
  mistaken for the record as committed.
- A copy may be newer than its key (a write committed between the revision's read and the
  record's), never older.
What the copy does not keep: the people named on the record (a user's name may be corrected
without touching any trial) are read again on every use, in one query, so the copy is kept
without them; the timeline is read fresh by whoever shows it.

A writer's read is never kept as it was read: its own write is about to give the trial a new
revision. A writer that changed one part of the record only (a tick adds or removes one
checklist entry) keeps the record as its write left it instead (`keep_after_write`): it reads
that part again, and the new revision, still under the lock, and the copy is kept once its
transaction commits. Nothing else of the record can have changed in between (the lock), so the
copy is the record at that revision exactly, and the next read (the next tick, the nurse's next
look at the page) need not read it all again. A transaction that rolls back keeps nothing; one
that writes again after it moves the revision on, and the copy's key is never current.
"""

import functools
import hashlib
from itertools import chain

from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import models, transaction
from django.db.models import Prefetch, prefetch_related_objects

from core.baked import Baked
from trials.models import Trial

CACHE = "records"


# The read of a trial's revision that begins every view and every write of a trial, compiled once
# per process (core/baked.py), the trial's id put in; a writer's locks the trial's row.
REVISION = Baked(lambda now, pk: Trial.objects.filter(pk=pk).values_list("revision"), values=(int,))
LOCKED_REVISION = Baked(
    lambda now, pk: (
        Trial.objects.filter(pk=pk)
        .select_for_update(of=("self",), no_key=True)
        .values_list("revision")
    ),
    values=(int,),
)


def load_record(trial_id: int, *, lock: bool = False) -> Trial:
    """The trial with everything for_detail reads (without its audit trail). `lock`: the trial's
    row is locked for this transaction (FOR NO KEY UPDATE, as the writers lock it) by the read of
    its revision. Raises Trial.DoesNotExist."""
    found = (LOCKED_REVISION if lock else REVISION).rows(None, values=(int(trial_id),))
    if not found:
        raise Trial.DoesNotExist(f"No trial {trial_id}.")
    [(revision,)] = found
    key = _key(trial_id, revision)
    cache = caches[CACHE]
    kept = cache.get(key)  # a copy of its own (the cache keeps it pickled)
    if kept is not None:
        kept.people_named = people_named(kept, _read_people_again(kept))
        return kept
    trial = Trial.objects.for_detail().get(pk=trial_id)
    trial.revision = revision  # the key: the record read after it is as new, or newer
    if not lock:
        # A writer's read is not kept: its own write is about to give the trial a new revision.
        _keep(key, trial)
    trial.people_named = people_named(trial)
    return trial


def keep_after_write(trial: Trial, *changed: str, known: dict[str, list] | None = None) -> None:
    """After a write under the trial's lock that changed only the parts `changed` of the record
    (names of for_detail's prefetches, e.g. "entries"): read those parts again, as for_detail
    reads them, and the revision the write gave the trial; keep the record for that revision
    when the transaction commits. `known`: {part: its rows} for a part the writer holds as the
    database now has it, in for_detail's order and with its joins (a tick adds the entry it
    created to those it read under the lock): set, not read again."""
    known = known or {}
    for name in changed:
        trial._prefetched_objects_cache.pop(name, None)  # type: ignore[attr-defined]
    if unknown := [name for name in changed if name not in known]:
        reads = Trial.objects.for_detail()._prefetch_related_lookups  # type: ignore[attr-defined]
        lookups = {p.prefetch_to: p for p in reads}
        prefetch_related_objects([trial], *(lookups[name] for name in unknown))
    for name, rows in known.items():
        # As prefetch_related_objects leaves a part: a queryset whose rows are already read.
        part = getattr(trial, name).all()
        part._result_cache, part._prefetch_done = list(rows), True
        trial._prefetched_objects_cache[name] = part  # type: ignore[attr-defined]
    trial.revision = Trial.objects.filter(pk=trial.pk).values_list("revision", flat=True).get()
    key = _key(trial.pk, trial.revision)
    transaction.on_commit(lambda: _keep(key, trial))


def _key(trial_id: int, revision: str) -> str:
    return f"trial-record:{trial_id}:{revision}"


def _rows(obj):
    """The model and every row prefetched under it, at any depth."""
    yield obj
    for rows in getattr(obj, "_prefetched_objects_cache", {}).values():
        for row in rows:
            yield from _rows(row)


@functools.cache
def _user_fields(model: type[models.Model]) -> tuple:
    """The model's foreign keys to a user (fixed for the process: looked up once per model)."""
    user_model = get_user_model()
    return tuple(
        f for f in model._meta.concrete_fields if f.is_relation and f.related_model is user_model
    )


@functools.cache
def _people_joins() -> dict[type[models.Model], tuple]:
    """{model: its foreign keys to a user that for_detail joins (select_related)}, read from
    for_detail's own prefetches, at any depth: where the record names people."""
    joins: dict[type[models.Model], tuple] = {}

    def walk(queryset) -> None:
        selected = queryset.query.select_related
        names = set(selected) if isinstance(selected, dict) else set()
        joins[queryset.model] = tuple(f for f in _user_fields(queryset.model) if f.name in names)
        for lookup in queryset._prefetch_related_lookups:
            if isinstance(lookup, Prefetch) and lookup.queryset is not None:
                walk(lookup.queryset)

    walk(Trial.objects.for_detail())
    return joins


def _people_links(trial: Trial) -> list:
    """(row, field) for each user the record names (a select_related join of for_detail)."""
    joins = _people_joins()
    return [
        (row, field)
        for row in chain(_rows(trial), [trial.patient])
        for field in joins.get(row.__class__, ())
    ]


def _keep(key: str, trial: Trial) -> None:
    """Keep a copy of the record without the people it names: they are read again on every use
    (_read_people_again), so a copy need not hold them (a third of its size, and of the time to
    unpickle it, on a trial in observation)."""
    held = [
        (row, f, f.get_cached_value(row)) for row, f in _people_links(trial) if f.is_cached(row)
    ]
    for row, field, _ in held:
        field.delete_cached_value(row)
    try:
        caches[CACHE].set(key, trial)
    finally:
        for row, field, person in held:
            field.set_cached_value(row, person)


def people_named(trial: Trial, links: list | None = None) -> str:
    """A digest of the people the record names, as read: a part of a page kept by the record's
    revision (templatetags/kept.py) is kept by this too, so a corrected name shows at once."""
    links = _people_links(trial) if links is None else links
    names = sorted(
        {(user.pk, user.printed_name, user.role) for row, field in links
         if (user := field.get_cached_value(row)) is not None}
    )  # fmt: skip
    return hashlib.sha256(repr(names).encode()).hexdigest()[:16]


PEOPLE_BAKED = 8  # a record names a handful of people; more are read by in_bulk


def _user_columns() -> list[str]:
    return [f.attname for f in get_user_model()._meta.concrete_fields]


# The people a record names, read on every view of a trial: up to PEOPLE_BAKED of them by a
# query compiled once per process (core/baked.py), their ids put in (the last repeated).
PEOPLE = Baked(
    lambda now, *ids: get_user_model().objects.filter(pk__in=ids).values_list(*_user_columns()),
    values=(int,) * PEOPLE_BAKED,
)


def _people(ids: set[int]) -> dict:
    """{id: user} of these users, as in_bulk reads them."""
    model = get_user_model()
    if len(ids) > PEOPLE_BAKED:
        return model.objects.in_bulk(ids)
    wanted = sorted(int(pk) for pk in ids)
    rows = PEOPLE.rows(None, values=(*wanted, *[wanted[-1]] * (PEOPLE_BAKED - len(wanted))))
    users = [model.from_db(model.objects.db, _user_columns(), row) for row in rows]
    return {user.pk: user for user in users}


def _read_people_again(trial: Trial) -> list:
    """Each user the copy names as stored now; the links, for people_named."""
    links = _people_links(trial)
    ids = {getattr(row, field.attname) for row, field in links} - {None}
    people = _people(ids) if ids else {}
    for row, field in links:
        field.set_cached_value(row, people.get(getattr(row, field.attname)))
    return links
