"""Issue a set-up code for two-step sign-in from the server: for the first admin (no admin can
issue one on the page yet), or an admin who lost their phone. Audited like one issued on the
page, as done "on the server"."""

from django.core.management.base import BaseCommand, CommandError

from accounts import enrolment, two_factor
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Print a one-time set-up code with which a neurologist or admin without an "
        "authenticator can add one (accounts/enrolment.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with the username {username!r}.")
        if not two_factor.needs_enrolment(user):
            raise CommandError(
                f"{username} needs no set-up code: only a neurologist or admin without an "
                "authenticator does (remove a lost phone's authenticator in the Django admin "
                "first)."
            )
        code = enrolment.enrolment_code_issue(
            user=user, actor=None, actor_name="server (manage.py issue_enrolment_code)"
        )
        self.stdout.write(
            f"Set-up code for {user.printed_name} ({username}): {code}\n"
            f"It works once, for {enrolment.ENROLMENT_HOURS} hours: after the password, "
            "the set-up page asks for it."
        )
