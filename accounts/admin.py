"""Users and authenticators in the Django admin.

Separation of duties (accounts/duties.py): an admin's own role, rights, groups, permissions and
active status are changed by another admin, never by themselves. Every change made here is
written to the audit trail with who made it (accounts/user_audit.py); a password reset too.

Authenticators are seen and removed here (a lost phone), never added, edited or shown with their
key: an admin who could read or set a clinician's key, and reset their password, could sign in
as them. Their owner adds one on the account page.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from .duties import OWN_ACCOUNT_GUARDED, own_account_refusal
from .models import User


@admin.register(User)
class ClinicUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Clinic", {"fields": ("role",)}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("Clinic", {"fields": ("role",)}))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or obj.pk != request.user.pk:
            return form

        class OwnAccountForm(form):  # type: ignore[valid-type, misc]  # a class made at run time
            def clean(self):
                data = super().clean()
                refused = own_account_refusal(
                    set(self.changed_data) & OWN_ACCOUNT_GUARDED, new_role=data.get("role")
                )
                if refused:
                    raise ValidationError(refused)
                return data

        return OwnAccountForm

    def user_change_password(self, request, id, form_url=""):
        # The password and its audit row are saved together or not at all.
        with transaction.atomic():
            return super().user_change_password(request, id, form_url)


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(TOTPDeviceAdmin):
    list_display = ["user", "name", "created_at", "last_used_at", "confirmed"]
    readonly_fields = ["user", "name", "confirmed", "created_at", "last_used_at"]

    def get_list_display(self, request):
        return self.list_display

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": self.readonly_fields})]

    def get_urls(self):
        # Without django-otp's key and QR code pages.
        return admin.ModelAdmin.get_urls(self)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
