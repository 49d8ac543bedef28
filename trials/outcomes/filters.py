"""Which trials an outcome review covers, and which of them stand behind one dashboard count.

The filter (referral dates, diagnosis, age group, outcome, dose) applies to every figure and
export. A criterion narrows the filtered trials to those behind one count: the link on each
number of the dashboard carries the filter and the figure's criterion.
"""

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.urls import reverse

from patients.models import Diagnosis
from trials import procedure
from trials.models import Trial
from trials.procedure import Phase

AGE_GROUPS = [("child", "Children (under 18 at referral)"), ("adult", "Adults (18 and over)")]
ATTEMPT_COUNTS = [(n, str(n)) for n in range(procedure.MAX_ATTEMPTS + 1)]


class OutcomeFilterForm(forms.Form):
    referred_from = forms.DateField(
        label="Referred from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    referred_to = forms.DateField(
        label="Referred to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    diagnosis = forms.ChoiceField(
        choices=[("", "All diagnoses"), *Diagnosis.choices], required=False
    )
    age_group = forms.ChoiceField(
        label="Age group", choices=[("", "All ages"), *AGE_GROUPS], required=False
    )
    outcome = forms.ChoiceField(
        choices=[("", "Any outcome"), *procedure.OUTCOME_CHOICES], required=False
    )
    dose = forms.TypedChoiceField(
        label="Dose given",
        choices=[("", "Any dose"), *procedure.DOSE_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("referred_from"), data.get("referred_to")
        if start and end and start > end:
            raise forms.ValidationError("The 'referred from' date must not be after 'referred to'.")
        return data

    def trials(self):
        """The filtered trials (call after is_valid())."""
        data = self.cleaned_data
        qs = Trial.objects.referred_between(data.get("referred_from"), data.get("referred_to"))
        if data.get("diagnosis"):
            qs = qs.filter(patient__diagnosis=data["diagnosis"])
        if data.get("age_group"):
            qs = qs.in_age_group(data["age_group"])
        if data.get("outcome"):
            qs = qs.filter(outcome=data["outcome"])
        if data.get("dose"):
            qs = qs.with_dose_given(data["dose"])
        return qs

    @property
    def params(self) -> dict[str, str]:
        """The filter as query parameters (only the fields set), e.g. for links and the audit."""
        out = {}
        for name, value in self.cleaned_data.items():
            if value in (None, ""):
                continue
            out[name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    @property
    def is_filtered(self) -> bool:
        return bool(self.params)

    @property
    def description(self) -> str:
        """The filter in words, for headings and the audit record."""
        data = self.cleaned_data
        parts = []
        if data.get("referred_from") or data.get("referred_to"):
            start = data.get("referred_from")
            end = data.get("referred_to")
            parts.append(
                f"referred {start.isoformat() if start else '…'} to "
                f"{end.isoformat() if end else '…'}"
            )
        for name in ("diagnosis", "age_group", "outcome", "dose"):
            if data.get(name):
                field = self.fields[name]
                parts.append(str(dict(field.choices)[data[name]]))
        return "; ".join(parts) or "all trials"


class CriterionForm(forms.Form):
    """The criterion of one dashboard count (all optional, combined with AND)."""

    phase = forms.ChoiceField(choices=[("", "Any"), *Phase.CHOICES], required=False)
    injected = forms.BooleanField(required=False)
    decided = forms.BooleanField(required=False)
    responder = forms.BooleanField(required=False)
    response_dose = forms.TypedChoiceField(
        choices=[("", "Any"), *procedure.DOSE_CHOICES], coerce=int, empty_value=None, required=False
    )
    attempts = forms.TypedChoiceField(
        choices=[("", "Any"), *ATTEMPT_COUNTS], coerce=int, empty_value=None, required=False
    )
    ae_kind = forms.ChoiceField(choices=[("", "Any"), *procedure.AE_TYPES], required=False)
    ae_severity = forms.ChoiceField(choices=[("", "Any"), *procedure.AE_SEVERITIES], required=False)
    mas = forms.BooleanField(required=False)

    def apply(self, qs):
        data = self.cleaned_data
        if data.get("phase"):
            qs = qs.in_phase(data["phase"])
        if data.get("injected"):
            qs = qs.injected()
        if data.get("decided"):
            qs = qs.decided()
        if data.get("responder"):
            qs = qs.responders()
        if data.get("response_dose"):
            qs = qs.responded_at_dose(data["response_dose"])
        if data.get("attempts") is not None:
            qs = qs.with_given_attempts(data["attempts"])
        if data.get("ae_kind") or data.get("ae_severity"):
            qs = qs.with_adverse_event(data.get("ae_kind", ""), data.get("ae_severity", ""))
        if data.get("mas"):
            qs = qs.with_mas_comparison()
        return qs

    @property
    def description(self) -> list[str]:
        data = self.cleaned_data
        words = []
        if data.get("phase"):
            words.append(f"phase: {Phase.LABELS[data['phase']].lower()}")
        if data.get("injected"):
            words.append("at least one dose given")
        if data.get("decided"):
            words.append("response decided for at least one dose")
        if data.get("responder"):
            words.append("responders")
        if data.get("response_dose"):
            words.append(f"first responded at {data['response_dose']} mcg")
        if data.get("attempts") is not None:
            words.append(f"{data['attempts']} dose(s) given")
        if data.get("ae_kind"):
            words.append(f"adverse event: {dict(procedure.AE_TYPES)[data['ae_kind']].lower()}")
        if data.get("ae_severity"):
            words.append(f"severity: {dict(procedure.AE_SEVERITIES)[data['ae_severity']].lower()}")
        if data.get("mas"):
            words.append("lower-limb MAS compared with baseline")
        return words


def drill_url(filters: dict[str, str], **criterion) -> str:
    """The list of the trials behind one count: the dashboard filter plus the criterion."""
    query = filters | {key: str(value) for key, value in criterion.items() if value is not None}
    return f"{reverse('trials:outcomes_trials')}?{urlencode(query)}"
