"""The audit trail's hash chain: each row's hash covers its content and the previous row's hash.

Changing a row's content breaks its own hash; removing or moving a row breaks the link of the row
after it. `python manage.py verify_audit` walks the chain. This module is pure (no model imports)
so that the migration that chained the existing rows computes exactly what the app computes.
"""

import hashlib
import json
from datetime import UTC
from typing import Any

GENESIS = "0" * 64  # the prev_hash of the first row


def _normal(value: Any) -> Any:
    """JSON values as the database gives them back: PostgreSQL's jsonb prints 2.0 as 2."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def canonical(row, prev_hash: str) -> bytes:
    """The bytes a row's hash is taken over: every column but the hash, in a fixed form."""
    content = {
        "id": row.pk,
        "at": row.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": row.actor_id,
        "actor_name": row.actor_name,
        "action": row.action,
        "trial_id": row.trial_id,
        "patient_id": row.patient_id,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "summary": row.summary,
        "old": _normal(row.old),
        "new": _normal(row.new),
        "reason": row.reason,
        "prev_hash": prev_hash,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def row_hash(row, prev_hash: str) -> str:
    return hashlib.sha256(canonical(row, prev_hash)).hexdigest()
