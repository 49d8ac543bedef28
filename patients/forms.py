from django import forms
from django.utils import timezone

from core.concurrency import VersionMixin

from .models import Patient
from .services import FIELDS


class PatientForm(VersionMixin, forms.ModelForm):
    class Meta:
        model = Patient
        fields = FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "anticoagulants": forms.Textarea(attrs={"rows": 2}),
            "oral_antispasmodics": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["version"]  # a new patient: no earlier version to compare with

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        # Today on the clinic's calendar: a request runs in the clinic's time zone.
        if born > timezone.localdate():
            raise forms.ValidationError("The date of birth cannot be in the future.")
        if born.year < 1900:
            raise forms.ValidationError("Check the year of birth.")
        return born

    def clean_mrn(self):
        return self.cleaned_data["mrn"].strip()
