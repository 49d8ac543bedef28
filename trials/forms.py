"""Forms parse and range-check input; the services decide what the protocol allows."""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone

from core import moments
from core.concurrency import VersionMixin
from core.fields import (
    DATETIME_FORMAT,
    ClinicalDateField,
    ClinicalDateTimeField,
    ClinicalTimesMixin,
    DateInput,
    DateTimeLocalInput,
    LateEntryMixin,
    now_local,
)
from trials import procedure
from trials.models import AdverseEvent, DoseAttempt, PainMedication, SiteSettings, Trial, VitalSigns
from trials.models.observation import VITAL_RANGES
from trials.models.site import parse_minutes

# Impossible clinical values are refused in the clinician's words, not Django's generic ones.
LADDER = ", ".join(str(d) for d in procedure.DOSE_LADDER_MCG)
NOT_ON_LADDER = {"invalid_choice": f"%(value)s is not a dose of the protocol ({LADDER} mcg)."}
NOT_A_MAS_GRADE = {
    "invalid_choice": "“%(value)s” is not a Modified Ashworth grade (0, 1, 1+, 2, 3, 4)."
}
# Radio buttons drawn as Bootstrap segmented buttons (btn-check): one tap each.
SEGMENT = {"class": "btn-check", "autocomplete": "off"}


class PasswordMixin(forms.Form):
    password = forms.CharField(
        label="Your password (to sign)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Signing records your printed name, the time and what the signature means.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields([name for name in self.fields if name != "password"] + ["password"])


class SubmissionMixin(forms.Form):
    """A hidden id per form load, so a double submit saves once."""

    submission = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This form is out of date; reload the page and enter it again."
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4())

    def full_clean(self):
        super().full_clean()
        # The field is hidden: its message goes to the top of the form, where it is seen.
        hidden = self.errors.pop("submission", None)  # errors: filled by full_clean above
        if hidden:
            self.errors.setdefault(
                NON_FIELD_ERRORS,
                self.error_class(error_class="nonfield", renderer=self.renderer),
            ).extend(hidden)


class TrialForm(forms.ModelForm):
    referred_on = ClinicalDateField(future=False, help_text="Date of the referral for the trial.")

    class Meta:
        model = Trial
        fields = ["referred_on", "referred_by", "indication", "goals"]
        widgets = {
            "indication": forms.Textarea(attrs={"rows": 2}),
            "goals": forms.Textarea(attrs={"rows": 2}),
        }


class TrialEditForm(VersionMixin, TrialForm):
    follow_up_on = ClinicalDateField(required=False, label="Follow-up appointment")

    class Meta(TrialForm.Meta):
        fields = [*TrialForm.Meta.fields, "follow_up_on"]


class NotApplicableForm(forms.Form):
    na_reason = forms.CharField(label="Reason not applicable", max_length=500)


class TickForm(ClinicalTimesMixin, LateEntryMixin):
    """A tick is done now unless the user says when it was done (then perhaps a late entry)."""

    note = forms.CharField(required=False, max_length=500)
    not_applicable = forms.BooleanField(required=False)
    na_reason = forms.CharField(required=False, max_length=500)
    at = ClinicalDateTimeField(required=False, label="Done at")

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("not_applicable") and not data.get("na_reason", "").strip():
            self.add_error("na_reason", "“Not applicable” needs a reason.")
        return data


class AssessmentForm(SubmissionMixin, ClinicalTimesMixin, LateEntryMixin):
    """Modified Ashworth per group and side (not assessed unless a grade is tapped) and the Penn
    scale. Nothing is preselected: an untouched row records no score and the Penn frequency must
    be chosen. A post-dose form shows the baseline grade of each row and offers "same as
    baseline", which records that grade. A post-dose assessment's scheduled time comes from the
    time it was done (the service decides).

    The page adds a "both sides" row to each group and, on a post-dose form, "same as baseline"
    for the Penn scale (static/js/scores.js): each tap sets the side rows (or the two Penn rows)
    the page then shows and sends. They are no fields: what is saved is what the side rows say,
    checked here as if each had been tapped on its own."""

    SAME = "same"

    assessed_at = ClinicalDateTimeField(label="Assessed at")
    penn_frequency = forms.TypedChoiceField(
        choices=procedure.PENN_FREQUENCY_CHOICES,
        coerce=int,
        empty_value=None,
        label="Penn spasm frequency",
        widget=forms.RadioSelect(attrs=SEGMENT),
        error_messages={"required": "Choose the Penn spasm frequency (0 to 4)."},
    )
    penn_severity = forms.TypedChoiceField(
        choices=[("", "– (no spasms)"), *procedure.PENN_SEVERITY_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
        label="Penn spasm severity",
        widget=forms.RadioSelect(attrs=SEGMENT),
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self,
        *args,
        baseline: bool = False,
        baseline_grades: dict[tuple[str, str], str] | None = None,
        baseline_penn: tuple[int, int | None] | None = None,
        **kw,
    ):
        super().__init__(*args, **kw)
        self.initial.setdefault("assessed_at", now_local())
        self.baseline_grades = baseline_grades
        self.baseline_penn = baseline_penn
        for group in procedure.MUSCLE_GROUPS:
            for side, side_label in procedure.SIDES:
                choices = procedure.MAS_CHOICES + [("", "not assessed")]
                if (baseline_grades or {}).get((group.key, side)):
                    choices.append((self.SAME, "same as baseline"))
                self.fields[self.mas_name(group.key, side)] = forms.ChoiceField(
                    choices=choices,
                    required=False,
                    label=f"{group.label} ({side_label.lower()})",
                    error_messages=NOT_A_MAS_GRADE,
                    widget=forms.RadioSelect(attrs=SEGMENT),
                )

    @staticmethod
    def mas_name(group: str, side: str) -> str:
        return f"mas_{group}_{side}"

    def rows(self):
        """(group, [(side label, field, baseline grade or None), …], both-sides choices) for the
        template. Both sides offer "same as baseline" only where the baseline scored each side."""
        baseline = self.baseline_grades
        for group in procedure.MUSCLE_GROUPS:
            sides = [
                (
                    side_label,
                    self[self.mas_name(group.key, side)],
                    None if baseline is None else baseline.get((group.key, side), ""),
                )
                for side, side_label in procedure.SIDES
            ]
            both = procedure.MAS_CHOICES + [("", "not assessed")]
            if all(grade for _, _, grade in sides):
                both.append((self.SAME, "Same as baseline"))
            yield group, sides, both

    def penn_baseline_label(self) -> str:
        """The baseline's Penn scores in words ("3 – more than once an hour; severity 2 –
        moderate"), for the post-dose form's "same as baseline"; "" when there is none."""
        if self.baseline_penn is None:
            return ""
        frequency, severity = self.baseline_penn
        words = dict(procedure.PENN_FREQUENCY_CHOICES)[frequency]
        if severity is not None:
            words += f"; severity {dict(procedure.PENN_SEVERITY_CHOICES)[severity]}"
        return words

    def clean(self):
        super().clean()
        data = self.cleaned_data
        for (group, side), grade in (self.baseline_grades or {}).items():
            if data.get(self.mas_name(group, side)) == self.SAME:
                data[self.mas_name(group, side)] = grade
        frequency, severity = data.get("penn_frequency"), data.get("penn_severity")
        if frequency == 0 and severity is not None:
            self.add_error("penn_severity", "Leave severity empty when there are no spasms.")
        if frequency is not None and frequency > 0 and severity is None:
            self.add_error("penn_severity", "Give the severity (1 to 3) when spasms occur.")
        if not any(data.get(name) for name in self.fields if name.startswith("mas_")):
            raise forms.ValidationError("Score at least one muscle group.")
        return data

    def grades(self) -> dict[tuple[str, str], str]:
        return {
            (group.key, side): self.cleaned_data.get(self.mas_name(group.key, side)) or ""
            for group in procedure.MUSCLE_GROUPS
            for side, _ in procedure.SIDES
        }


class SignPreparationForm(PasswordMixin):
    first_dose_mcg = forms.TypedChoiceField(
        label="First dose",
        choices=[
            (procedure.FIRST_DOSE_MCG, f"{procedure.FIRST_DOSE_MCG} mcg"),
            (
                procedure.SMALL_FIRST_DOSE_MCG,
                f"{procedure.SMALL_FIRST_DOSE_MCG} mcg (children; adults only with a reason)",
            ),
        ],
        coerce=int,
        initial=procedure.FIRST_DOSE_MCG,
        error_messages={"invalid_choice": "The first dose is 50 mcg (25 mcg for small children)."},
    )
    reason = forms.CharField(
        required=False,
        max_length=500,
        label="Reason for 25 mcg",
        help_text="Needed for an adult (e.g. relies on spasticity to walk).",
    )


def shape_injection_fields(fields: dict) -> None:
    """Required fields, yes/no questions and the nurse list of an injection record form."""
    for name in procedure.INJECTION_REQUIRED_FIELDS:
        if name in fields:
            fields[name].required = True
    yes_no = [("", "—"), ("true", "Yes"), ("false", "No")]
    for name in ("clear_csf", "image_guidance"):
        fields[name] = forms.TypedChoiceField(
            choices=yes_no, coerce=lambda v: v == "true", label=fields[name].label
        )
    fields["assisting_nurse"].queryset = get_user_model().objects.filter(
        role=procedure.NURSE, is_active=True
    )
    fields["assisting_nurse"].label = "Assisting nurse"


class InjectionForm(ClinicalTimesMixin, LateEntryMixin, forms.ModelForm):
    dose_mcg = forms.TypedChoiceField(
        choices=procedure.DOSE_CHOICES,
        coerce=int,
        label="Dose injected (mcg)",
        error_messages=NOT_ON_LADDER,
    )
    duration_seconds = forms.IntegerField(
        min_value=procedure.MIN_INJECTION_SECONDS,
        max_value=3600,
        label="Injected over (seconds)",
        help_text="Barbotage over at least 60 seconds.",
    )
    expiry = ClinicalDateField(required=False, label="Expiry")  # not year 1 or 9999
    password = PasswordMixin.base_fields["password"]

    class Meta:
        model = DoseAttempt
        fields = list(procedure.INJECTION_RECORD_FIELDS)
        field_classes = {"given_at": ClinicalDateTimeField}
        widgets = {"given_at": DateTimeLocalInput(), "expiry": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shape_injection_fields(self.fields)
        if not self.initial.get("given_at"):
            self.initial["given_at"] = now_local()
        if self.instance and self.instance.pk:
            self.initial.setdefault("dose_mcg", self.instance.dose_mcg)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("image_guidance") and not (data.get("radiologist") or "").strip():
            self.add_error("radiologist", "Name the radiologist when image guidance was used.")
        return data


class VitalSignsForm(SubmissionMixin, ClinicalTimesMixin, LateEntryMixin, forms.ModelForm):
    class Meta:
        model = VitalSigns
        fields = [
            "recorded_at", "heart_rate", "systolic", "diastolic", "respiratory_rate", "spo2",
            "temperature_c", "sedation", "pain", "headache", "note",
        ]  # fmt: skip
        field_classes = {"recorded_at": ClinicalDateTimeField}
        widgets = {"recorded_at": DateTimeLocalInput(), "note": forms.Textarea(attrs={"rows": 2})}
        error_messages = {
            "spo2": {
                "max_value": "SpO₂ is a percentage: it cannot be above 100.",
                "min_value": "SpO₂ below %(limit_value)s is not a plausible reading; check it.",
            }
        }

    def __init__(self, *args, measured_at: datetime | None = None, previous=None, **kwargs):
        super().__init__(*args, **kwargs)
        measured = moments.clinic_time(measured_at or timezone.now())  # the page says which
        self.initial.setdefault("recorded_at", measured.strftime(DATETIME_FORMAT))
        self.previous = previous
        # Numeric keypads, and the plausible ranges the model validates for the page's warning
        # as you type (static/js/vitals.js); the server still decides.
        for name, (low, high) in VITAL_RANGES.items():
            field = self.fields[name]
            field.widget.attrs.update(
                inputmode="decimal" if name == "temperature_c" else "numeric",
                autocomplete="off",
                enterkeyhint="next",
                **{"class": "form-control form-control-lg", "data-min": low, "data-max": high},
            )
            if previous is not None:
                field.help_text = f"Previous: {getattr(previous, name)}"
        sedation = cast(forms.ChoiceField, self.fields["sedation"])
        sedation.choices = procedure.SEDATION_CHOICES  # no empty choice: one tap, none preset
        sedation.widget = forms.RadioSelect(choices=sedation.choices, attrs=SEGMENT)
        self.fields["headache"].widget.attrs.update(SEGMENT)

    def measurements(self):
        """The number fields, in the form's order."""
        return [self[name] for name in VITAL_RANGES]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        systolic, diastolic = data.get("systolic"), data.get("diastolic")
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            self.add_error("diastolic", "The diastolic pressure must be lower than the systolic.")
        return data


class AdverseEventForm(SubmissionMixin, ClinicalTimesMixin, LateEntryMixin, forms.ModelForm):
    """An adverse event of any given dose of the trial (the latest by default)."""

    attempt_number = forms.TypedChoiceField(coerce=int, label="After the dose of", choices=[])

    class Meta:
        model = AdverseEvent
        fields = ["kind", "severity", "onset_at", "action_taken", "resolution", "resolved_at"]
        field_classes = {"onset_at": ClinicalDateTimeField, "resolved_at": ClinicalDateTimeField}
        widgets = {
            "onset_at": DateTimeLocalInput(),
            "resolved_at": DateTimeLocalInput(),
            "action_taken": forms.Textarea(attrs={"rows": 2}),
            "resolution": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, attempts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("onset_at", now_local())
        given = [a for a in attempts if a.is_given]
        cast(forms.ChoiceField, self.fields["attempt_number"]).choices = [
            (a.number, f"Attempt {a.number} ({a.dose_mcg} mcg, given "
             f"{moments.shown(a.given_at)})")
            for a in reversed(given)
        ]  # fmt: skip
        if given:
            self.initial.setdefault("attempt_number", given[-1].number)
        self.order_fields(["attempt_number"])


class ResolveAdverseEventForm(VersionMixin, ClinicalTimesMixin, LateEntryMixin):
    action_taken = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    resolved_at = ClinicalDateTimeField(label="Resolved at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("resolved_at", now_local())


class PainMedicationForm(SubmissionMixin, ClinicalTimesMixin, LateEntryMixin, forms.ModelForm):
    class Meta:
        model = PainMedication
        fields = ["drug", "dose", "route", "given_at"]
        field_classes = {"given_at": ClinicalDateTimeField}
        widgets = {"given_at": DateTimeLocalInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("given_at", now_local())


class DischargeForm(ClinicalTimesMixin, LateEntryMixin, PasswordMixin):
    at = ClinicalDateTimeField(label="Discharged at", required=False, help_text="Empty: now.")
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Discharge note"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("at", now_local())


class DischargeExceptionForm(DischargeForm):
    """The physician's discharge before the criteria are met: a signed exception."""

    exception = forms.CharField(
        label="Reason for the exception",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="E.g. leaving against medical advice; transfer to another hospital.",
    )


class EffectWornOffForm(ClinicalTimesMixin, LateEntryMixin):
    at = ClinicalDateTimeField(label="Effect worn off at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("at", now_local())


class DecisionForm(ClinicalTimesMixin, LateEntryMixin, PasswordMixin):
    responder = forms.TypedChoiceField(
        choices=[("true", "Responder"), ("false", "Not a responder")],
        coerce=lambda v: v == "true",
        widget=forms.RadioSelect,
        label="Decision",
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when you override the suggestion.",
    )
    at = ClinicalDateTimeField(label="Decided at", required=False, help_text="Empty: now.")

    def __init__(self, *args, goals: Iterable[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("at", now_local())
        self.goals = list(goals)
        for i, goal in enumerate(self.goals):
            self.fields[f"goal_{i}"] = forms.ChoiceField(
                choices=procedure.GOAL_OUTCOMES,
                widget=forms.RadioSelect,
                label=f"Goal: {goal}",
                error_messages={"required": f"Mark the goal “{goal}”."},
            )
        self.order_fields(["responder", "reason"] + [f"goal_{i}" for i in range(len(self.goals))])

    def goal_outcomes(self) -> dict[str, str]:
        return {goal: self.cleaned_data[f"goal_{i}"] for i, goal in enumerate(self.goals)}


class NextAttemptForm(forms.Form):
    """Every dose of the protocol; the next rung preselected; a reason to leave the ladder."""

    dose_mcg = forms.TypedChoiceField(
        choices=procedure.DOSE_CHOICES, coerce=int, label="Next dose", error_messages=NOT_ON_LADDER
    )
    reason = forms.CharField(
        required=False,
        max_length=500,
        label="Reason (to skip or repeat a step)",
        help_text="Needed when the dose is not the next step of the ladder.",
    )

    def __init__(self, *args, last_dose: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        rung = procedure.next_rung(last_dose) if last_dose is not None else None
        if rung is not None:
            self.initial.setdefault("dose_mcg", rung)
            self.fields[
                "dose_mcg"
            ].help_text = f"After {last_dose} mcg the ladder's next step is {rung} mcg."


class CloseForm(PasswordMixin):
    outcome = forms.ChoiceField(choices=procedure.OUTCOME_CHOICES, widget=forms.RadioSelect)
    follow_up_on = ClinicalDateField(required=False, label="Follow-up appointment")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Reason")


class SiteSettingsForm(VersionMixin, forms.ModelForm):
    class Meta:
        model = SiteSettings
        fields = [
            "fasting_policy", "fasting_hours", "vitals_minutes", "assessment_minutes",
            "discharge_assessment_minutes", "assessment_window_minutes", "late_entry_minutes",
            "responder_threshold", "time_zone", "session_idle_minutes",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session_idle_minutes"].required = False

    def clean(self):
        data = super().clean()
        try:
            scheduled = set(parse_minutes(data.get("assessment_minutes") or ""))
            required = set(parse_minutes(data.get("discharge_assessment_minutes") or ""))
        except forms.ValidationError:
            return data  # the field's own error is shown
        if not required <= scheduled:
            self.add_error(
                "discharge_assessment_minutes",
                "Each assessment required before discharge must be one of the scheduled "
                "assessment times.",
            )
        return data

    def clean_session_idle_minutes(self) -> int:
        # Left empty (or out of an older form): the current limit stays.
        value = self.cleaned_data.get("session_idle_minutes")
        return self.instance.session_idle_minutes if value is None else value


class AmendmentReasonMixin(VersionMixin, forms.Form):
    reason = forms.CharField(
        label="Reason for the amendment",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The original stays on the record beside the amended value.",
    )


class AmendInjectionForm(AmendmentReasonMixin, PasswordMixin, forms.ModelForm):
    """Corrected values of a signed injection record. Never saved as a model form: the service
    trials.services.amendments.record_amend writes amendments and keeps the original."""

    duration_seconds = InjectionForm.base_fields["duration_seconds"]
    expiry = InjectionForm.base_fields["expiry"]

    class Meta:
        model = DoseAttempt
        fields = list(procedure.AMENDABLE_FIELDS["injection"])
        widgets = {"expiry": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shape_injection_fields(self.fields)

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AmendDischargeForm(AmendmentReasonMixin, PasswordMixin):
    discharge_note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Discharge note"
    )

    def values(self) -> dict:
        return {"discharge_note": self.cleaned_data["discharge_note"].strip()}
