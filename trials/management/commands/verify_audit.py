"""Walk the audit trail's hash chain in id order and report every row that does not fit.

A row whose content was changed no longer matches its own hash; a row removed or moved breaks the
link of the row after it (its prev_hash names another row's hash, or none). Exits non-zero when
anything is wrong, with one line per problem naming the row.

The chain alone cannot show rows removed from its end. `--expect-head HASH` can: the hash of a
head recorded earlier (`--checkpoint` prints it and logs it as one JSON line, for the operator to
keep outside the database) must still be in the chain.
"""

import logging
import re
from collections.abc import Iterator
from itertools import chain

from django.core.management.base import BaseCommand, CommandError

from trials.audit_chain import GENESIS, row_hash
from trials.models import AuditEvent

CHUNK = 2000
_HASH = re.compile(r"[0-9a-f]{64}")

logger = logging.getLogger("ops.audit")  # "ops": JSON lines on stdout (config/settings.py LOGGING)


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


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain; exits non-zero on an altered, removed or moved row."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-problems", type=int, default=100, help="Stop listing after this many problems."
        )
        parser.add_argument(
            "--expect-head",
            action="append",
            default=[],
            metavar="HASH",
            help="A head hash recorded earlier (--checkpoint) that must still be in the chain: "
            "fails when rows were removed from its end. May be given more than once.",
        )
        parser.add_argument(
            "--checkpoint",
            action="store_true",
            help="When intact, print the head (last row id and hash) and log it as one JSON line "
            "to keep outside the database.",
        )

    def handle(self, *args, max_problems: int, expect_head: list[str], checkpoint: bool, **_):
        expected = {h.strip().lower() for h in expect_head}
        if malformed := sorted(h for h in expected if not _HASH.fullmatch(h)):
            raise CommandError(f"Not a head hash (64 hexadecimal digits): {', '.join(malformed)}")
        expected.discard(GENESIS)  # the head of an empty trail: every chain starts from it
        walked = _Walked(AuditEvent.objects.order_by("pk").iterator(chunk_size=CHUNK), expected)
        problems = 0
        for problem in chain(chain_problems(walked), _missing_heads(walked)):
            problems += 1
            if problems <= max_problems:
                self.stderr.write(problem)
        if problems:
            raise CommandError(
                f"The audit trail is NOT intact: {problems} problem(s) in {walked.count} rows."
            )
        head = f"; last row {walked.last.pk}, hash {walked.last.hash}" if walked.last else ""
        self.stdout.write(f"Audit trail intact: {walked.count} rows chained{head}.")
        for hash_, pk in sorted(walked.found.items(), key=lambda found: found[1]):
            since = walked.count - walked.position[hash_]
            self.stdout.write(f"Expected head {hash_} found at row {pk}; {since} row(s) since.")
        if checkpoint:
            self._checkpoint(walked)

    def _checkpoint(self, walked: "_Walked") -> None:
        head_id = walked.last.pk if walked.last else None
        head_hash = walked.last.hash if walked.last else GENESIS
        self.stdout.write(
            f"Checkpoint: head row {head_id or '(none)'}, hash {head_hash}, {walked.count} rows. "
            f"Keep it outside the database; later: verify_audit --expect-head {head_hash}"
        )
        logger.info(
            "audit checkpoint",
            extra={"event": "audit_checkpoint", "head_id": head_id, "head_hash": head_hash,
                   "rows": walked.count},
        )  # fmt: skip


def _missing_heads(walked: "_Walked") -> Iterator[str]:
    """After the walk: each expected head the chain did not contain."""
    for hash_ in sorted(walked.expected - walked.found.keys()):
        yield (
            f"The expected head {hash_} is not in the audit trail: rows were removed from its "
            "end (or rewritten) since that head was recorded."
        )


class _Walked:
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
