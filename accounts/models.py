from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    NURSE = "nurse", "Nurse"
    NEUROLOGIST = "neurologist", "Neurologist"
    ADMIN = "admin", "Admin"


class User(AbstractUser):
    """A clinic user. The role decides which checklist items and actions are theirs."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.NURSE)

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
