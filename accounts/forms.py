"""Sign-in forms: the authenticator code, the password change."""

from django import forms
from django.contrib.auth.forms import PasswordChangeForm


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


class ClinicPasswordChangeForm(PasswordChangeForm):
    """Django's form (current password, then the new one twice, checked by
    AUTH_PASSWORD_VALIDATORS), with the browser told which field is which."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].widget.attrs["autocomplete"] = "new-password"
        self.fields["new_password2"].widget.attrs["autocomplete"] = "new-password"
