"""Print the current sign-in code of each demo user (demo databases only)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_TOTP_KEYS, current_code


class Command(BaseCommand):
    help = (
        "Print the current 6-digit sign-in code of each demo user (nurse, neurologist, admin), "
        "for the demo site only. Refuses unless DEBUG is on."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Refusing: DEBUG is off. Demo codes belong to demo databases only; a real "
                "user's code comes from their own authenticator app."
            )
        devices = {
            d.user.username: d
            for d in TOTPDevice.objects.filter(
                user__username__in=DEMO_TOTP_KEYS, confirmed=True
            ).select_related("user")
        }
        if not devices:
            raise CommandError("No demo authenticators found: run `manage.py seed_demo` first.")
        self.stdout.write("Demo sign-in codes (password first, then the code):")
        for username in DEMO_TOTP_KEYS:
            device = devices.get(username)
            if device is None:
                self.stdout.write(f"  {username:<12} (no authenticator)")
                continue
            code, remaining = current_code(device)
            self.stdout.write(f"  {username:<12} {code}   valid for {remaining:>2} more seconds")
        self.stdout.write(
            "A code works once. Or add the published key to an authenticator app: see README.md."
        )
