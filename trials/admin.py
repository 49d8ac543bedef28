"""Django admin shows trials read-only: clinical data changes only through the trial pages."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import SiteSettings, Trial


@admin.register(Trial)
class TrialAdmin(ReadOnlyAdmin):
    list_display = ("id", "patient", "status", "referred_on", "outcome", "created_at")
    list_filter = ("status", "outcome")
    search_fields = ("patient__last_name", "patient__mrn")
    list_select_related = ("patient",)
    date_hierarchy = "referred_on"


@admin.register(SiteSettings)
class SiteSettingsAdmin(ReadOnlyAdmin):
    list_display = ("time_zone", "fasting_policy", "responder_threshold", "updated_at")
