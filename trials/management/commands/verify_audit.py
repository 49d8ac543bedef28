"""Walk the audit trail's hash chain in id order and report every row that does not fit.

A row whose content was changed no longer matches its own hash; a row removed or moved breaks the
link of the row after it (its prev_hash names another row's hash, or none). Exits non-zero when
anything is wrong, with one line per problem naming the row.
"""

from collections.abc import Iterator

from django.core.management.base import BaseCommand, CommandError

from trials.audit_chain import GENESIS, row_hash
from trials.models import AuditEvent

CHUNK = 2000


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

    def handle(self, *args, max_problems: int, **options):
        walked = _Walked(AuditEvent.objects.order_by("pk").iterator(chunk_size=CHUNK))
        problems = 0
        for problem in chain_problems(walked):
            problems += 1
            if problems <= max_problems:
                self.stderr.write(problem)
        if problems:
            raise CommandError(
                f"The audit trail is NOT intact: {problems} problem(s) in {walked.count} rows."
            )
        head = f"; last row {walked.last.pk}, hash {walked.last.hash}" if walked.last else ""
        self.stdout.write(f"Audit trail intact: {walked.count} rows chained{head}.")


class _Walked:
    """The rows, counted as they go by, remembering the last one."""

    def __init__(self, rows):
        self.rows, self.count, self.last = rows, 0, None

    def __iter__(self):
        for row in self.rows:
            self.count, self.last = self.count + 1, row
            yield row
