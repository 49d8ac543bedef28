"""A trial's latest changes, as its page shows them beside the record (the timeline).

Read when the page is rendered: one query that reads one row more than it shows, through the
index of the trial's changes, and stops there: the same cost however long the trial's history.
(It counted them all once, for "the latest 20 of 850": on a trial ticked for hours, most of the
database's time on every tick and view of its page.) The trial is named as a one-row subquery
(AuditEventQuerySet.timeline), so the plan rests on a trial's usual share of the audit table,
not on this trial's: a trial viewed ten thousand times, its views half of the table, made the
default `random_page_cost` (4) walk the whole table back in time (the `at` index), 11 ms a read
instead of 0.04. Nor is there an index of the trial alone for the planner to prefer: on a trial
ticked for hours since the statistics were taken, it read every change by that smaller index
and sorted them (audit migration 0003). A tick reads them with the trial's lock
instead (`statement`, in the lock's round trip on PostgreSQL) and adds the change it made
(`of_rows`): its reply shows the timeline with no query after the write.
"""

import functools
from dataclasses import dataclass

from audit.models import AuditEvent
from core.baked import Baked, Statement

# The changes the trial page shows; the trial's timeline page lists them all, in pages.
TIMELINE_LATEST = 20
# Only what the timeline shows (templatetags/clinical.py, timeline_rows): not each row's old and
# new values, JSON the page would decode for nothing.
TIMELINE_FIELDS = ("at", "actor_name", "summary", "reason")


@dataclass
class Timeline:
    latest: list[AuditEvent]
    more: bool  # older changes than the latest, listed on the timeline page


@functools.cache
def _columns() -> list[str]:
    """The id and TIMELINE_FIELDS, in the model's order (as AuditEvent.from_db takes them)."""
    shown = {"id", *TIMELINE_FIELDS}
    return [f.attname for f in AuditEvent._meta.concrete_fields if f.attname in shown]


# The read of the latest changes on every trial page and tick, compiled once per process
# (core/baked.py), the trial's id put in.
LATEST = Baked(
    lambda now, limit, pk: AuditEvent.objects.timeline(pk).values_list(*_columns())[:limit],
    values=(int,),
)


def statement(trial_id: int) -> Statement:
    """The read of the trial's latest changes (one more than shown), to send with others."""
    return LATEST.statement(None, TIMELINE_LATEST + 1, values=(trial_id,))


def latest(trial_id: int) -> Timeline:
    return of_rows(LATEST.rows(None, TIMELINE_LATEST + 1, values=(trial_id,)))


def of_rows(rows: list[tuple], made: list[AuditEvent] | tuple = ()) -> Timeline:
    """The timeline of the rows `statement` read, and of the changes `made` since (in the order
    made), as a read after them would find it."""
    db = AuditEvent.objects.db
    events = [*reversed(made), *(AuditEvent.from_db(db, _columns(), row) for row in rows)]
    return Timeline(events[:TIMELINE_LATEST], more=len(events) > TIMELINE_LATEST)
