from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A model shown in the Django admin, never changed there: clinical data and the audit trail
    change only through their own pages and services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
