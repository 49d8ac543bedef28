"""Sign-in forms: the authenticator code (or a backup code), the set-up code, the password
check before new backup codes, the password change."""

from typing import cast

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.db.models import QuerySet

from accounts import backup_codes, enrolment
from accounts.models import User


class CodeForm(forms.Form):
    otp_token = forms.CharField(
        label="6-digit code from your authenticator app",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "autofocus": True,
            }
        ),
    )

    def clean_otp_token(self) -> str:
        token = self.cleaned_data["otp_token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError("The code is the 6 digits your authenticator app shows.")
        return token


class SignInCodeForm(forms.Form):
    """The code step of signing in: the authenticator's 6 digits, or one backup code.
    `kind` says which it is once valid ("totp" or "backup")."""

    otp_token = forms.CharField(
        label="6-digit code from your authenticator app, or a backup code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_otp_token(self) -> str:
        token = self.cleaned_data["otp_token"].replace(" ", "").replace("-", "")
        if token.isdigit() and len(token) == 6:
            self.kind = "totp"
            return token
        if backup_codes.looks_like_backup_code(token):
            self.kind = "backup"
            return backup_codes.normalise(token)
        raise forms.ValidationError(
            "Enter the 6 digits your authenticator app shows, or one of your backup codes "
            "(8 letters and digits)."
        )


class EnrolmentCodeForm(forms.Form):
    enrolment_code = forms.CharField(
        label="Set-up code from an admin",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
        help_text="12 letters and digits, for example ABCD-EFGH-JKLM.",
    )

    def clean_enrolment_code(self) -> str:
        code = enrolment.normalise(self.cleaned_data["enrolment_code"])
        if len(code) != enrolment.GROUPS * enrolment.GROUP_LENGTH:
            raise forms.ValidationError("A set-up code has 12 letters and digits.")
        return code


class IssueForm(forms.Form):
    """Whom an admin issues a set-up code to: one of the users awaiting one."""

    user = forms.ModelChoiceField(queryset=User.objects.none())

    def __init__(self, *args, users: QuerySet[User], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = users


class PasswordCheckForm(forms.Form):
    """The user's own password again, before something that changes how they sign in."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class ClinicPasswordChangeForm(PasswordChangeForm):
    """Django's form (current password, then the new one twice, checked by
    AUTH_PASSWORD_VALIDATORS), with the browser told which field is which."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].widget.attrs["autocomplete"] = "new-password"
        self.fields["new_password2"].widget.attrs["autocomplete"] = "new-password"
