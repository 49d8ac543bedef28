"""Django admin shows trials read-only: clinical data changes only through the trial pages."""

from django.contrib import admin

from .models import AuditEvent, SiteSettings, Trial


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Trial)
class TrialAdmin(ReadOnlyAdmin):
    list_display = ("id", "patient", "status", "referred_on", "outcome", "created_at")
    list_filter = ("status", "outcome")
    search_fields = ("patient__last_name", "patient__mrn")
    list_select_related = ("patient",)
    date_hierarchy = "referred_on"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "action", "summary", "trial")
    list_filter = ("action",)
    search_fields = ("summary", "actor_name")
    list_select_related = ("trial",)


@admin.register(SiteSettings)
class SiteSettingsAdmin(ReadOnlyAdmin):
    list_display = ("time_zone", "fasting_policy", "responder_threshold", "updated_at")
