"""The only writer of the audit trail. Every row is hashed and chained to the one before it.

The services of every app call `audit_record` inside the transaction of the change it records,
with the acting user and the reason; no request reaches here. What a request adds (the path of a
viewed page, a refused request) is written by the view layer's helpers in audit/web.py.

Chaining needs the inserts in a single order: on PostgreSQL each writer takes a transaction-level
advisory lock before it reads the last row, so the next writer waits until this transaction
commits (or rolls back, and its row never existed). SQLite serialises writers by itself.
"""

from collections.abc import Iterable
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import User

from .chain import GENESIS, row_hash
from .models import AuditEvent

# An arbitrary constant naming "the audit chain" among PostgreSQL advisory locks.
CHAIN_LOCK_KEY = 0x17B_A0D1
# The chain's lock, then the ids of the next rows and the last row's hash: two statements sent
# in one round trip (psycopg's client-side binding, Django's default, sends them as one simple
# query). Each statement of a simple query reads the rows committed when it begins, so the
# second one, which begins once the lock is held, reads the last row of the writer before.
CHAIN_HEAD_SQL = (
    "SELECT pg_advisory_xact_lock(%s); "
    "SELECT ARRAY(SELECT nextval(pg_get_serial_sequence('trials_auditevent', 'id')) "
    "FROM generate_series(1, %s)), "
    "(SELECT hash FROM trials_auditevent ORDER BY id DESC LIMIT 1)"
)


def audit_record(
    *,
    actor: User | None,
    action: str,
    summary: str,
    trial: models.Model | None = None,  # a trials.Trial; its patient is recorded too
    patient: models.Model | None = None,  # a patients.Patient
    obj: models.Model | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str = "",
    actor_name: str | None = None,
) -> AuditEvent:
    """Append one audit row. Call inside the transaction of the change it records."""
    patient_id = patient.pk if patient is not None else getattr(trial, "patient_id", None)
    event = AuditEvent(
        actor=actor,
        actor_name=_text(actor_name or getattr(actor, "printed_name", "") or "system")[:200],
        action=action,
        trial_id=trial.pk if trial is not None else None,
        patient_id=patient_id,
        # __class__, not type(): request.user is a SimpleLazyObject that names the User.
        object_type=obj.__class__.__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        summary=_text(summary)[:300],
        old=_jsonable(old or {}),
        new=_jsonable(new or {}),
        reason=_text(reason),
    )
    _append([event])
    return event


def audit_bulk_append(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Append many unsaved rows at once, chained in the order given (seed_demo's bulk path)."""
    events = list(events)
    if events:
        _append(events)
    return events


def _append(events: list[AuditEvent]) -> None:
    with transaction.atomic(savepoint=False):
        next_ids, prev_hash = _chain_head(len(events))
        for event, pk in zip(events, next_ids, strict=True):
            event.pk = pk
            event.at = timezone.now()
            event.prev_hash = prev_hash
            event.hash = prev_hash = row_hash(event, prev_hash)
        if len(events) == 1:
            events[0].save(force_insert=True)
        else:
            AuditEvent.objects.bulk_create(events, batch_size=1000)


def _chain_head(count: int) -> tuple[list[int], str]:
    """Serialise writers, then give the ids of the next `count` rows and the last row's hash."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The lock in a statement of its own: a statement reads the rows committed when it
            # began, so the last hash is read by the next one, once the lock is held.
            cursor.execute(CHAIN_HEAD_SQL, [CHAIN_LOCK_KEY, count])
            cursor.nextset()  # the second statement's row
            ids, last = cursor.fetchone()
        return sorted(ids), last or GENESIS
    head = AuditEvent.objects.order_by("-pk").values_list("pk", "hash").first()
    start = head[0] + 1 if head else 1
    return list(range(start, start + count)), head[1] if head else GENESIS


def _text(value: str) -> str:
    return value.replace("\x00", "") if "\x00" in value else value


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str):
            out[key] = _text(value)
        elif value is None or isinstance(value, (bool, int, float)):
            out[key] = value
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        else:
            out[key] = _text(str(value))
    return out
