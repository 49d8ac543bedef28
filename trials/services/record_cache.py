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
without touching any trial) are read again on every use, so the copy is kept without them; on
PostgreSQL in the same round trip as the revision (the people the last copy of the trial this
process read named; one query more when the copy names someone else too). The timeline is read
fresh by whoever shows it.

A writer's read is never kept as it was read: its own write is about to give the trial a new
revision. A writer that changed one part of the record only (a tick adds or removes one
checklist entry) keeps the record as its write left it instead (`keep_after_write`): it reads
that part again, and the new revision, still under the lock, and the copy is kept once its
transaction commits. Nothing else of the record can have changed in between (the lock), so the
copy is the record at that revision exactly, and the next read (the next tick, the nurse's next
look at the page) need not read it all again. A transaction that rolls back keeps nothing; one
that writes again after it moves the revision on, and the copy's key is never current.

The other processes learn what such a write changed from the trial's record steps (RecordSteps,
written in the writer's transaction, under the lock): a line "revision revision-before parts"
for each of the last STEPS_KEPT changes. A process that holds no copy of the current revision
but one of an earlier revision on the chain takes that copy and reads again only the parts
changed since (`_from_earlier_copy`): a tick served by the other worker reads one part, not the
whole record. The chain holds only while every change on it wrote its step: it must end at the
current revision and run back unbroken (each step's revision the one before of the step after
it), or the record is read whole. A change that writes no step (anything but a tick or an
untick, an edit made in the database directly) gives a revision the chain does not end at, and
the next step starts a new chain. The copy taken is as new as its key or newer and nothing but
the parts read again changed since (the steps say so), so the record made is as new as the
revision read, or newer: the same promise as a whole read.
"""

import functools
import hashlib
from itertools import chain

from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection, models, transaction
from django.db.models import Prefetch, prefetch_related_objects

from core.baked import Baked, Statement
from core.writes import Write
from trials.models import ChecklistEntry, RecordSteps, Trial

CACHE = "records"
STEPS_KEPT = 8  # the changes of a record a copy may lag behind and still be brought up to date


# The read of a trial's revision and its record steps that begins every view and every write of a
# trial, compiled once per process (core/baked.py), the trial's id put in; a writer's locks the
# trial's row.
REVISION = Baked(
    lambda now, pk: Trial.objects.filter(pk=pk).values_list("revision", "record_steps__steps"),
    values=(int,),
)
LOCKED_REVISION = Baked(
    lambda now, pk: (
        Trial.objects.filter(pk=pk)
        .select_for_update(of=("self",), no_key=True)
        .values_list("revision", "record_steps__steps")
    ),
    values=(int,),
)
# A writer's read on PostgreSQL: the lock and the revision, then the record steps, in two
# statements sent in one round trip (psycopg's client-side binding, Django's default, sends them
# as one simple query, as audit/services.py's chain head). A writer that waited for the lock gets
# the trial's row as the writer before it left it, but a table joined to that row is read as it
# was when the statement began (PostgreSQL reads again only the row it locks): the steps joined
# would lack the step of the writer waited for, and the record would be read whole and the chain
# of steps begun again. The second statement begins once the lock is held, and reads them as
# they are. (SQLite serialises writers from BEGIN: the joined read above is never stale there.)
LOCKED_REVISION_SQL = (
    f"SELECT revision FROM {Trial._meta.db_table} WHERE id = %s FOR NO KEY UPDATE; "  # noqa: S608
    f"SELECT steps FROM {RecordSteps._meta.db_table} WHERE trial_id = %s"
)


# Where a process notes the people the last copy of a trial it read named (their ids): the
# next read of the trial reads them with its revision, in the same round trip (_revision_read).
PEOPLE_NAMED = "trial-people:{}"


def _revision_read(
    trial_id: int, lock: bool, also: Statement | None
) -> tuple[list, dict | None, list | None]:
    """[(revision, record steps)] of the trial ([] when there is no such trial), its row locked
    for this transaction (FOR NO KEY UPDATE) for a writer; on PostgreSQL, in the same round
    trip, {id: user} of the people the last copy of the trial this process read named (None
    when it read none, or elsewhere): most often the people the copy about to be taken names,
    read as they are now (_read_people_again), without a query of their own; and the rows of
    `also` (after the lock; in a query of its own elsewhere), or None."""
    if connection.vendor != "postgresql":
        found = (LOCKED_REVISION if lock else REVISION).rows(None, values=(trial_id,))
        return found, None, also.fetch() if also is not None and found else None
    guess = caches[CACHE].get(PEOPLE_NAMED.format(trial_id)) or ()
    people = PEOPLE.statement(None, values=_people_values(guess)) if guess else None
    if lock:
        sql, params = LOCKED_REVISION_SQL, [trial_id, trial_id]
    else:
        revision = REVISION.statement(None, values=(trial_id,))
        sql, params = revision.sql, list(revision.params)
    for statement in (people, also):
        if statement is not None:
            sql, params = f"{sql}; {statement.sql}", [*params, *statement.params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
        if lock:
            cursor.nextset()  # the second statement's row, if the trial has steps
            steps = cursor.fetchone()
            found = [(found[0][0], steps[0] if steps else None)] if found else []
        else:
            found = revision.rows(found)
        read = []
        for statement in (people, also):
            if statement is not None:
                cursor.nextset()
                read.append(statement.rows(cursor.fetchall()))
    users = _users(read.pop(0)) if people is not None else None
    return found, users, read.pop(0) if also is not None else None


def load_record(
    trial_id: int, *, lock: bool = False, also: Statement | None = None
) -> tuple[Trial, list | None]:
    """The trial with everything for_detail reads (without its audit trail), and the rows of
    `also` (a read sent with the revision's, in the same round trip on PostgreSQL, after the
    lock), or None without it. `lock`: the trial's row is locked for this transaction (FOR NO KEY
    UPDATE, as the writers lock it) by the read of its revision. Raises Trial.DoesNotExist."""
    if not -(2**63) <= int(trial_id) < 2**63:  # no id is out of a 64-bit integer's range
        raise Trial.DoesNotExist(f"No trial {trial_id}.")  # (SQLite would refuse to compare it)
    trial_id = int(trial_id)
    found, people, also_rows = _revision_read(trial_id, lock, also)
    if not found:
        raise Trial.DoesNotExist(f"No trial {trial_id}.")
    return _record(trial_id, lock, found, people), also_rows


def _record(trial_id: int, lock: bool, found: list, people: dict | None) -> Trial:
    """The record at the revision read (load_record)."""
    [(revision, steps)] = found
    key = _key(trial_id, revision)
    kept = caches[CACHE].get(key)  # a copy of its own (the cache keeps it pickled)
    if kept is None:
        kept = _from_earlier_copy(trial_id, revision, steps or "")
        if kept is not None and not lock:
            _keep(key, kept)  # a writer's read is not kept (below)
    if kept is not None:
        kept.people_named = people_named(kept, _read_people_again(kept, people))
        kept.record_steps_read = steps or ""
        return kept
    trial = Trial.objects.for_detail().get(pk=trial_id)
    trial.revision = revision  # the key: the record read after it is as new, or newer
    if not lock:
        # A writer's read is not kept: its own write is about to give the trial a new revision.
        _keep(key, trial)
    trial.people_named = people_named(trial)
    _note_people(trial_id, people_of(trial).keys(), people)
    trial.record_steps_read = steps or ""
    return trial


def _from_earlier_copy(trial_id: int, revision: str, steps: str) -> Trial | None:
    """The record at `revision` made from this process's copy of an earlier revision on the
    chain of record steps, its parts changed since read again; None when the chain does not end
    at `revision`, breaks, or reaches no copy kept."""
    changed: set[str] = set()
    reached = revision
    for after, before, parts in _steps(steps):
        if after != reached or not parts <= _part_lookups().keys():
            return None
        changed.update(parts)
        earlier = caches[CACHE].get(_key(trial_id, before))
        if earlier is not None:
            _read_parts_again(earlier, changed)
            earlier.revision = revision
            return earlier
        reached = before
    return None


def _steps(text: str):
    """The record steps' lines as (revision, revision before, {parts}), newest first; a line
    not of that form ends them."""
    for line in text.splitlines():
        words = line.split(" ")
        if len(words) != 3:
            return
        yield words[0], words[1], set(words[2].split(","))


def _read_parts_again(trial: Trial, names) -> None:
    """Read these parts of the record (names of for_detail's prefetches) again, as for_detail
    reads them."""
    names = set(names)
    if "entries" in names:  # what a tick changes: read without building a query each time
        names.discard("entries")
        _set_part(trial, "entries", _entries(trial))
    for name in names:
        trial._prefetched_objects_cache.pop(name, None)  # type: ignore[attr-defined]
    if names:
        prefetch_related_objects([trial], *(_part_lookups()[name] for name in names))


def _set_part(trial: Trial, name: str, rows: list) -> None:
    """Set a part of the record to these rows, as prefetch_related_objects leaves it: a queryset
    whose rows are already read."""
    part = getattr(trial, name).all()
    part._result_cache, part._prefetch_done = list(rows), True
    trial._prefetched_objects_cache[name] = part  # type: ignore[attr-defined]


@functools.cache
def _entry_columns() -> list[str]:
    return [f.attname for f in ChecklistEntry._meta.concrete_fields]


# The checklist entries of a trial, read again by a process that did not serve the tick before
# (_from_earlier_copy), on every such tick: compiled once per process (core/baked.py), the
# trial's id put in. In for_detail's order; the people they name are put in with every copy's
# (_read_people_again), so for_detail's join of them is not made here.
ENTRIES = Baked(
    lambda now, pk: ChecklistEntry.objects.filter(trial_id=pk).values_list(*_entry_columns()),
    values=(int,),
)


def _entries(trial: Trial) -> list[ChecklistEntry]:
    """The trial's checklist entries as for_detail's prefetch leaves them (each one's trial the
    trial itself), but for the people they name."""
    columns, db = _entry_columns(), ChecklistEntry.objects.db
    entries = [
        ChecklistEntry.from_db(db, columns, row) for row in ENTRIES.rows(None, values=(trial.pk,))
    ]
    for entry in entries:
        ChecklistEntry.trial.field.set_cached_value(entry, trial)
    return entries


@functools.cache
def _part_lookups() -> dict[str, Prefetch]:
    """{name: its prefetch} of the parts of the record for_detail reads (fixed per process)."""
    reads = Trial.objects.for_detail()._prefetch_related_lookups  # type: ignore[attr-defined]
    return {p.prefetch_to: p for p in reads}


def keep_after_write(
    trial: Trial, *changed: str, known: dict[str, list] | None = None, write: Write | None = None
) -> None:
    """After a write under the trial's lock that changed only the parts `changed` of the record
    (names of for_detail's prefetches, e.g. "entries"): read those parts again, as for_detail
    reads them, and the revision the write gave the trial; keep the record for that revision
    when the transaction commits. `known`: {part: its rows} for a part the writer holds as the
    database now has it, in for_detail's order and with its joins (a tick adds the entry it
    created to those it read under the lock): set, not read again. `write`: the write itself,
    not made yet, when it is all the change (core/writes.py): made here, in the round trip of the
    step (every part it changes known)."""
    known = known or {}
    if write is not None and not set(changed) <= known.keys():
        raise ValueError("a write made with its step changes only parts known as it leaves them")
    _read_parts_again(trial, [name for name in changed if name not in known])
    for name, rows in known.items():
        _set_part(trial, name, rows)
    before = trial.revision
    steps = _write_step(trial, before, sorted(changed), write)
    trial.revision = steps.split(" ", 1)[0]
    trial.record_steps_read = steps  # type: ignore[attr-defined]  # as a read under the lock
    key = _key(trial.pk, trial.revision)
    transaction.on_commit(lambda: _keep(key, trial))


# The step's line put at the head of the trial's record steps by the database, which has just
# given the trial its new revision: the revision is read and the step written in one statement.
STEP_SQL = (
    f"INSERT INTO {RecordSteps._meta.db_table} (trial_id, steps) "  # noqa: S608 - no input
    f"SELECT id, revision || %s FROM {Trial._meta.db_table} WHERE id = %s "
    "ON CONFLICT (trial_id) DO UPDATE SET steps = excluded.steps RETURNING steps"
)


def _write_step(trial: Trial, before: str, parts: list[str], write: Write | None = None) -> str:
    """Put the step from `before` (the revision read under the lock) to the trial's revision at
    the head of its record steps: on the chain read with the lock if that chain ended at
    `before`, else as the start of a new chain; after `write`, if given, made first (on
    PostgreSQL in the same round trip). Returns the steps as written, the trial's revision
    first."""
    read = getattr(trial, "record_steps_read", "").splitlines()
    chain = read[: STEPS_KEPT - 1] if read and read[0].split(" ")[0] == before else []
    tail = "\n".join([f" {before} {','.join(parts)}", *chain])
    together = write if connection.vendor == "postgresql" else None
    if write is not None and together is None:
        write.alone()
    with connection.cursor() as cursor:
        if together is not None:
            cursor.execute(f"{together.sql}; {STEP_SQL}", [*together.params, tail, trial.pk])
            together.done(cursor.fetchall() if cursor.description else [])
            cursor.nextset()  # the step's statement
        else:
            cursor.execute(STEP_SQL, [tail, trial.pk])
        [steps] = cursor.fetchone()
    return steps


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


def people_of(trial: Trial) -> dict:
    """{id: user} of the people the record names, as read (the ones people_named digests)."""
    return {
        user.pk: user
        for row, field in _people_links(trial)
        if (user := field.get_cached_value(row, None)) is not None
    }


PEOPLE_BAKED = 8  # a record names a handful of people; more are read by in_bulk


def _user_columns() -> list[str]:
    return [f.attname for f in get_user_model()._meta.concrete_fields]


# The people a record names, read on every view of a trial: up to PEOPLE_BAKED of them by a
# query compiled once per process (core/baked.py), their ids put in (the last repeated).
PEOPLE = Baked(
    lambda now, *ids: get_user_model().objects.filter(pk__in=ids).values_list(*_user_columns()),
    values=(int,) * PEOPLE_BAKED,
)


def _people_values(ids) -> tuple[int, ...]:
    """PEOPLE's values for these ids (at most PEOPLE_BAKED), the last repeated."""
    wanted = sorted(int(pk) for pk in ids)
    return (*wanted, *[wanted[-1]] * (PEOPLE_BAKED - len(wanted)))


def _users(rows) -> dict:
    """{id: user} of PEOPLE's rows."""
    model = get_user_model()
    users = [model.from_db(model.objects.db, _user_columns(), row) for row in rows]
    return {user.pk: user for user in users}


def _people(ids: set[int]) -> dict:
    """{id: user} of these users, as in_bulk reads them."""
    if len(ids) > PEOPLE_BAKED:
        return get_user_model().objects.in_bulk(ids)
    return _users(PEOPLE.rows(None, values=_people_values(ids)))


def _note_people(trial_id: int, ids, read: dict | None) -> None:
    """Note the people a copy of the trial names, for the next read of it (_revision_read, on
    PostgreSQL), if they are not those just read with its revision. More than PEOPLE_BAKED are
    not noted."""
    if connection.vendor != "postgresql":
        return
    ids = tuple(sorted(ids))
    if len(ids) <= PEOPLE_BAKED and (read is None or ids != tuple(sorted(read))):
        caches[CACHE].set(PEOPLE_NAMED.format(trial_id), ids)


def _read_people_again(trial: Trial, read: dict | None = None) -> list:
    """Each user the copy names as stored now; the links, for people_named. `read`: {id: user}
    of users read as they are now (with the revision): taken when they are all the copy names."""
    links = _people_links(trial)
    ids = {getattr(row, field.attname) for row, field in links} - {None}
    _note_people(trial.pk, ids, read)
    people = read if read is not None and ids <= read.keys() else _people(ids) if ids else {}
    for row, field in links:
        field.set_cached_value(row, people.get(getattr(row, field.attname)))
    return links
