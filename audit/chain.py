"""The audit trail's hash chain: each row's hash covers its content and the previous row's hash.

Changing a row's content breaks its own hash; removing or moving a row breaks the link of the row
after it. `python manage.py verify_audit` walks the chain. The hash is an HMAC-SHA256 keyed with
settings.AUDIT_KEY (DJANGO_AUDIT_KEY), which is not in the database: someone who can write to the
table but does not hold the key cannot recompute the hashes after a row they rewrote. This module
has no model imports so that the migrations that chain the existing rows compute exactly what the
app computes.
"""

import hashlib
import hmac
import json
from datetime import UTC
from typing import Any

from django.conf import settings

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
    """HMAC-SHA256 of the row's canonical bytes under the audit key (read at each call, so a
    changed setting is seen at once)."""
    key = settings.AUDIT_KEY.encode()
    return hmac.new(key, canonical(row, prev_hash), hashlib.sha256).hexdigest()
