from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class Role(models.TextChoices):
    NURSE = "nurse", "Nurse"
    NEUROLOGIST = "neurologist", "Neurologist"
    ADMIN = "admin", "Admin"


class UserQuerySet(models.QuerySet):
    def awaiting_enrolment(self) -> "UserQuerySet":
        """Active neurologists and admins without a confirmed authenticator: they can set one
        up only with a set-up code an admin issues (accounts/enrolment.py)."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        with_device = TOTPDevice.objects.filter(confirmed=True).values("user_id")
        return self.filter(is_active=True, role__in=[Role.NEUROLOGIST, Role.ADMIN]).exclude(
            pk__in=with_device
        )


class ClinicUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A clinic user. The role decides which checklist items and actions are theirs."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.NURSE)

    objects: ClassVar[ClinicUserManager] = ClinicUserManager()

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.printed_name

    @property
    def printed_name(self) -> str:
        """The name shown beside a signature."""
        full = self.get_full_name().strip()
        return full or self.username

    @property
    def is_nurse(self) -> bool:
        return self.role == Role.NURSE

    @property
    def is_neurologist(self) -> bool:
        return self.role == Role.NEUROLOGIST

    @property
    def is_site_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_clinical(self) -> bool:
        return self.role in (Role.NURSE, Role.NEUROLOGIST)


class UserSession(AbstractBaseSession):
    """A database session that knows whose it is, so all of a user's sessions can be ended at
    once (deactivation, password change). accounts/sessions.py keeps `user` in step with the
    session's own data on every save."""

    # No database constraint: a session may outlive its user for a moment; the ORM still
    # deletes a user's sessions with the user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = "session"
        verbose_name_plural = "sessions"

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions import SessionStore

        return SessionStore


class EnrolmentCode(models.Model):
    """A one-time set-up code an admin issued to a neurologist or admin without an
    authenticator: only with it can they add one (a password alone is not enough to take the
    account's second factor). Only its SHA-256 is kept; it works once, before expires_at."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when issued on the server (manage.py).",
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"Set-up code for user {self.user_id}, issued {self.issued_at:%Y-%m-%d %H:%M}"
