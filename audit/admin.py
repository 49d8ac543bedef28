"""The audit trail in the Django admin, read-only (the review page is audit/views.py)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "action", "summary", "trial")
    list_filter = ("action",)
    search_fields = ("summary", "actor_name")
    list_select_related = ("trial",)
