"""Build the demo site: three demo logins and patients with trials in every phase.

`manage.py seed_demo` creates the users `nurse`, `neurologist` and `admin` (password
DEMO_PASSWORD) and fourteen patients whose trials stand in every phase and outcome, built through
the real services with the clock at each step's clinical time (trials/demo/site.py). Each demo
user also gets a confirmed authenticator with a published key (accounts/demo.py): `manage.py
demo_totp` prints the current codes. Running it again when the demo users exist changes nothing
(but adds a demo authenticator that is missing).

`manage.py seed_demo --patients N` also writes N synthetic patients for benchmarks, in bulk,
bypassing the services (trials/demo/bulk.py says how and why): years of history with a
clinic's open caseload today, or with --all-phases-bulk every trial in a phase drawn at random.

Demo accounts have a published password: the command refuses to run unless DEBUG is on or
--force is given.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from accounts.demo import demo_authenticators_ensure
from accounts.models import User
from trials.demo.bulk import SyntheticData
from trials.demo.site import DemoSite
from trials.demo.users import (
    DEMO_PASSWORD,
    FAST_HASHER,
    USERNAMES,
    demo_passwords_set,
    demo_users_create,
    login_lines,
)

__all__ = ["DEMO_PASSWORD", "Command"]


class Command(BaseCommand):
    help = (
        "Create the demo users (nurse, neurologist, admin; password "
        f"{DEMO_PASSWORD}) and demo patients with trials in every phase. With --patients N, "
        "also bulk-write N synthetic patients for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--patients",
            type=int,
            default=0,
            metavar="N",
            help="Also write N synthetic patients (bulk, for benchmarks; bypasses the "
            "services): referrals over max(1, N/500) years, a clinic's open caseload today.",
        )
        parser.add_argument(
            "--all-phases-bulk",
            action="store_true",
            help="With --patients: place every synthetic trial in a phase drawn at random "
            "instead (thousands open, in observation for days, at 100k).",
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed of the synthetic data."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off (the demo accounts have a published password).",
        )

    def handle(self, *args, patients: int, all_phases_bulk: bool, seed: int, force: bool, **_):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to seed: DEBUG is off. The demo accounts share a published password "
                "and belong only in demo databases. Set DJANGO_DEBUG=1, or pass --force if this "
                "database really is a demo database."
            )
        if patients < 0:
            raise CommandError("--patients must be zero or more.")

        existing = set(
            User.objects.filter(username__in=USERNAMES).values_list("username", flat=True)
        )
        if existing and len(existing) < len(USERNAMES):
            raise CommandError(
                f"Some demo usernames ({', '.join(sorted(existing))}) exist but not all of them: "
                "this database was not built by seed_demo. Use an empty database."
            )
        if existing:
            self.stdout.write("The demo site already exists (demo users found); not rebuilt.")
        else:
            self.build_site()

        added = demo_authenticators_ensure(User.objects.filter(username__in=USERNAMES))
        if added and existing:
            self.stdout.write(f"Added {added} demo authenticator(s) with the published keys.")
        if patients:
            self.write_synthetic(patients, seed=seed, all_phases=all_phases_bulk)
        for line in login_lines():
            self.stdout.write(line)

    def build_site(self) -> None:
        started = time.monotonic()
        with transaction.atomic():
            with override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
                users = demo_users_create()
                DemoSite(users, self.stdout).build()
            demo_passwords_set(users.values())
        self.stdout.write(
            self.style.SUCCESS(f"Demo site built in {time.monotonic() - started:.1f} s.")
        )

    def write_synthetic(self, patients: int, *, seed: int, all_phases: bool) -> None:
        started = time.monotonic()
        written = SyntheticData(
            nurse=User.objects.get(username="nurse"),
            neurologist=User.objects.get(username="neurologist"),
            seed=seed,
            out=self.stdout,
            all_phases=all_phases,
        ).write(patients)
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{patients} synthetic patients ({written} trials) written in {elapsed:.1f} s "
                f"({patients / max(elapsed, 1e-9):.0f} patients/s)."
            )
        )
