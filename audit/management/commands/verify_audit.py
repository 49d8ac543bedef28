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
from itertools import chain

from django.core.management.base import BaseCommand, CommandError

from audit.chain import GENESIS
from audit.verify import Walked, chain_problems, missing_heads, walk

_HASH = re.compile(r"[0-9a-f]{64}")

logger = logging.getLogger("ops.audit")  # "ops": JSON lines on stdout (config/settings.py LOGGING)


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
        walked = walk(expected)
        problems = 0
        for problem in chain(chain_problems(walked), missing_heads(walked)):
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

    def _checkpoint(self, walked: "Walked") -> None:
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
