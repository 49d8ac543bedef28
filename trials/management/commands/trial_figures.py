"""Check or rebuild the dashboard's kept figures of each trial (TrialFigures) from the raw rows.

`--check` derives every trial's figures again from its attempts and MAS scores and lists the
trials whose kept figures differ (exits non-zero if any); `--rebuild` writes them all again.
The services keep them in step as they write (trials/services/trial_figures.py): a difference
means a write that bypassed them.
"""

from django.core.management.base import BaseCommand, CommandError

from trials.services.trial_figures import trial_figures_rebuild, trial_figures_stale


class Command(BaseCommand):
    help = (
        "Check (--check) or rebuild (--rebuild) the kept figures of every trial from the raw rows."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument(
            "--check", action="store_true", help="List trials whose figures differ."
        )
        action.add_argument("--rebuild", action="store_true", help="Write every trial's figures.")
        parser.add_argument(
            "--max-problems", type=int, default=100, help="Stop listing after this many trials."
        )

    def handle(self, *args, check: bool, rebuild: bool, max_problems: int, **options):
        if rebuild:
            written = trial_figures_rebuild()
            self.stdout.write(self.style.SUCCESS(f"Figures of {written} trials written."))
            return
        stale = trial_figures_stale()
        for trial_id, kept, derived in stale[:max_problems]:
            changed = sorted(k for k in derived if kept is None or kept[k] != derived[k])
            self.stdout.write(
                f"Trial {trial_id}: "
                + (
                    "no kept figures."
                    if kept is None
                    else ", ".join(f"{k} kept {kept[k]!r}, derived {derived[k]!r}" for k in changed)
                )
            )
        if stale:
            raise CommandError(
                f"{len(stale)} trial(s) with kept figures that differ from the raw rows."
            )
        self.stdout.write(self.style.SUCCESS("Every trial's kept figures match its raw rows."))
