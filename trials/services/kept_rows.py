"""The homes' rows read once per change of their trial, not once per view.

A home (the ward board, the neurologist's worklist, the trials by phase) lists tens of open
trials and is polled all day, while each of its trials changes a few times a day. Each read is
split in two:
- the heads: which trials the home shows now, in its order, with each one's revision (one
  query through the home's own index, with the count of those not shown: `TrialQuerySet.heads`);
- the rows: what the home shows of each trial, read for the trials this process keeps no copy
  of at that revision (one read for all of them), kept for the next view.

A row is kept by (kind, trial, revision), where `kind` names what the row holds (each home reads
its own parts of a trial). The revision is the token the database writes on every change to
anything of the trial's record, the patient included (migration trials/0016): why a copy can
never be older than its key is in record_cache. A copy read a moment after its heads may be
newer than they are, never older, and it is kept by the revision it was read at.

What is kept here depends on the trial's record only. What depends on the clock (the board's
"since", the checks due, the step due now) or on the viewer is computed from the row on every
view; a row's HTML that depends on one of them too is kept by it as well (`html`).

Copies live in each process's own memory (the "rows" cache, config/settings.py), never in a
shared store, as the records do. These reads are the homes' (GET); a writer's transaction
never keeps a row (`rows` reads under its lock would be about to change).
"""

import hashlib
from collections.abc import Callable, Sequence

from django.core.cache import caches
from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe

from trials.models import Trial

CACHE = "rows"
Heads = Sequence[tuple[int, str]]  # (trial id, revision), in the home's order


def _key(kind: str, pk: int, revision: str) -> str:
    return f"{kind}:{pk}:{revision}"


def rows(
    kind: str,
    heads: Heads,
    read: Callable[[], QuerySet],
    slim: Callable[[Trial], None] | None = None,
) -> list[Trial]:
    """The trials of `heads` in their order, each as `read()` reads it (a queryset of Trial with
    the row's joins and prefetches, built only when a row is missing): this process's copy of
    its revision, or, for the trials without one, read in one query (plus the prefetches) and
    kept. `slim(trial)`, if given, makes a trial just read into what the home keeps of it (plain
    values in place of related models that are only looked at: each model costs its unpickling
    on every view)."""
    cache = caches[CACHE]
    keys = {pk: _key(kind, pk, revision) for pk, revision in heads}
    kept = cache.get_many(keys.values()) if keys else {}
    missing = [pk for pk, key in keys.items() if key not in kept]
    fresh: dict[int, Trial] = {}
    if missing:
        fresh = {trial.pk: trial for trial in read().filter(pk__in=missing)}
        if slim is not None:
            for trial in fresh.values():
                slim(trial)
        cache.set_many({_key(kind, t.pk, t.revision): t for t in fresh.values()})
    # A trial gone between the two reads (none is ever deleted by the app) is left out.
    found = (kept.get(key) or fresh.get(pk) for pk, key in keys.items())
    return [trial for trial in found if trial is not None]


def rendered(
    kind: str, heads: Heads, read: Callable[[], QuerySet], render: Callable[[Trial], str]
) -> dict[int, SafeString]:
    """{trial id: its row} for the trials of `heads`, each row as `render` writes it from the
    trial as `read()` reads it: this process's copy of the row at that revision, or, for the
    trials without one, read in one query (plus `read`'s prefetches), written and kept. For a
    row that depends on the trial's record only (no clock, no viewer)."""
    cache = caches[CACHE]
    keys = {pk: _key(f"html:{kind}", pk, revision) for pk, revision in heads}
    kept = cache.get_many(keys.values()) if keys else {}
    missing = [pk for pk, key in keys.items() if key not in kept]
    if missing:
        written = {t.pk: (t.revision, render(t)) for t in read().filter(pk__in=missing)}
        cache.set_many({_key(f"html:{kind}", pk, rev): part for pk, (rev, part) in written.items()})
        kept |= {keys[pk]: part for pk, (_, part) in written.items()}
    return {pk: mark_safe(kept[key]) for pk, key in keys.items() if key in kept}  # noqa: S308


def html(kind: str, trial: Trial, render: Callable[[], str], *also: object) -> SafeString:
    """The HTML of a trial's row as `render` writes it, kept by the trial's revision and `also`
    (what else the row shows that its record does not hold: the step due now, say)."""
    digest = hashlib.sha256(repr(also).encode()).hexdigest()[:16]
    return _kept(f"{_key(f'html:{kind}', trial.pk, trial.revision)}:{digest}", render)


def by_values(kind: str, rows: Sequence[tuple], render: Callable[[tuple], str]) -> list[SafeString]:
    """The HTML of rows that each show only their own values (`rows`: a tuple each, the columns
    as read; nothing related, no clock, no viewer), as `render` writes a row from its tuple:
    kept by those values themselves, so any change to one is a new row. One look in the cache
    for them all; only the rows not kept are rendered. The patient list's rows."""
    keys = [f"html:{kind}:{hashlib.sha256(repr(row).encode()).hexdigest()}" for row in rows]
    cache = caches[CACHE]
    kept = cache.get_many(keys) if keys else {}
    if written := {
        key: render(row) for key, row in zip(keys, rows, strict=True) if key not in kept
    }:
        cache.set_many(written)
        kept |= written
    return [mark_safe(kept[key]) for key in keys]  # noqa: S308 - the template's own output


def _kept(key: str, render: Callable[[], str]) -> SafeString:
    cache = caches[CACHE]
    part = cache.get(key)
    if part is None:
        part = render()
        cache.set(key, part)
    return mark_safe(part)  # noqa: S308 - the template's own escaped output
