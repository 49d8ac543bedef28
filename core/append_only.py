from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    """Rows that are written once and never changed or removed through the ORM (the audit trail,
    amendments). On PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE as well."""

    def update(self, **kwargs):
        raise PermissionError("The audit record is append-only.")

    def delete(self):
        raise PermissionError("The audit record is append-only.")
