"""The audit trail's hash chain walked in id order: every row that does not fit, and every head
recorded earlier (a checkpoint) that the chain no longer contains. `manage.py verify_audit`
reports what this finds.

A row whose content was changed no longer matches its own hash; a row removed or moved breaks the
link of the row after it (its prev_hash names another row's hash, or none). The chain alone
cannot show rows removed from its end: an expected head, kept outside the database, can.
"""

from collections.abc import Iterator

from .chain import GENESIS, row_hash
from .models import AuditEvent

CHUNK = 2000


def walk(expected: set[str]) -> "Walked":
    """Every row in id order, counted as it goes by (iterate it once)."""
    return Walked(AuditEvent.objects.order_by("pk").iterator(chunk_size=CHUNK), expected)


def chain_problems(rows) -> Iterator[str]:
    """Sentences about each row that breaks the chain; `rows` in id order."""
    prev_pk, prev_hash = None, GENESIS
    for row in rows:
        if row.hash != row_hash(row, row.prev_hash):
            yield f"Row {row.pk} was altered or moved: its content no longer matches its hash."
        if row.prev_hash != prev_hash:
            yield _broken_link(row, prev_pk)
        prev_pk, prev_hash = row.pk, row.hash


def _broken_link(row, prev_pk: int | None) -> str:
    follows = AuditEvent.objects.filter(hash=row.prev_hash).values_list("pk", flat=True).first()
    after = f"row {prev_pk}" if prev_pk is not None else "the start of the chain"
    if follows is not None:
        return f"Row {row.pk} is out of order: in the chain it follows row {follows}, not {after}."
    return (
        f"Row {row.pk} does not follow {after}: a row between them was removed, or the row "
        "before it was rewritten."
    )


def missing_heads(walked: "Walked") -> Iterator[str]:
    """After the walk: each expected head the chain did not contain."""
    for hash_ in sorted(walked.expected - walked.found.keys()):
        yield (
            f"The expected head {hash_} is not in the audit trail: rows were removed from its "
            "end (or rewritten) since that head was recorded."
        )


class Walked:
    """The rows, counted as they go by, remembering the last one and where the expected hashes
    were met (row id, and position in the walk)."""

    def __init__(self, rows, expected: set[str]):
        self.rows, self.count, self.last, self.expected = rows, 0, None, expected
        self.found: dict[str, int] = {}
        self.position: dict[str, int] = {}

    def __iter__(self):
        for row in self.rows:
            self.count, self.last = self.count + 1, row
            if row.hash in self.expected:
                self.found[row.hash], self.position[row.hash] = row.pk, self.count
            yield row
