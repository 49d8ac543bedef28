"""Form fields for the time of a clinical event, and the late-entry reason that goes with it.

A clinical time is typed on the clinic's clock. It must be a plausible date, and on the night
the clocks go back the repeated hour (01:30 happens twice) is entered by saying which one.
"""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core import moments

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
FOLD_CHOICES = [
    ("0", "The first time (before the clocks went back)"),
    ("1", "The second time (after the clocks went back)"),
]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def now_local() -> str:
    return timezone.localtime().strftime(DATETIME_FORMAT)


class ClinicalDateTimeField(forms.DateTimeField):
    """A time on the clinic's clock, between the years 2000 and 2100. The repeated hour of the
    autumn change is accepted once the user says which of the two it was (`fold`)."""

    widget = DateTimeLocalInput

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(**kwargs)
        self.fold: str | None = None

    def prepare_value(self, value):
        # A stored time the clinic's clock cannot show (year 10000 in Tokyo) is offered as
        # stored, in UTC, where Django's field would fail; sent back, it is refused as implausible.
        if isinstance(value, datetime) and timezone.is_aware(value):
            return moments.clinic_time(value).replace(tzinfo=None)
        return super().prepare_value(value)

    def to_python(self, value):
        if isinstance(value, datetime) or value in self.empty_values:
            return super().to_python(value)
        naive = None
        for fmt in self.input_formats:
            try:
                naive = datetime.strptime(str(value).strip(), fmt)  # noqa: DTZ007 - clinic clock
                break
            except ValueError:
                continue
        if naive is None:
            raise ValidationError("Enter a date and time, e.g. 2026-12-01 14:58.", code="invalid")
        if not EARLIEST_YEAR <= naive.year <= LATEST_YEAR:
            raise ValidationError(
                f"{naive:%Y-%m-%d} is not a plausible date for this record.", code="out_of_range"
            )
        zone = timezone.get_current_timezone()
        first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
        if first.utcoffset() == second.utcoffset():
            return first
        if first.utcoffset() > second.utcoffset():  # the clocks went back: the hour repeats
            if self.fold not in ("0", "1"):
                raise ValidationError(
                    f"{naive:%Y-%m-%d %H:%M} happened twice that night (the clocks went back). "
                    "Say which one below.",
                    code="ambiguous",
                )
            return second if self.fold == "1" else first
        raise ValidationError(
            f"{naive:%Y-%m-%d %H:%M} did not exist on the clinic's clock (the clocks went "
            "forward); check the time.",
            code="nonexistent",
        )


class ClinicalDateField(forms.DateField):
    """A calendar day of the trial (referral, follow-up, an audit filter), within the same
    plausible years as a clinical time: year 1 or 9999 is a typing error, and a day past 9999-12-31
    cannot even be computed."""

    widget = DateInput

    def __init__(self, *, future: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.future = future

    def to_python(self, value):
        day = super().to_python(value)
        if day is None:
            return day
        if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
            raise ValidationError(f"{day:%Y-%m-%d} is not a plausible date.", code="out_of_range")
        if not self.future and day > timezone.localdate():
            raise ValidationError(f"{day:%Y-%m-%d} is in the future.", code="future")
        return day


class ClinicalTimesMixin(forms.Form):
    """Gives every ClinicalDateTimeField its "which of the two" answer, asked only when needed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        order = []
        for name, field in list(self.fields.items()):
            if name == "late_reason":
                continue
            order.append(name)
            if isinstance(field, ClinicalDateTimeField):
                fold_name = f"{name}_fold"
                self.fields[fold_name] = forms.ChoiceField(
                    choices=FOLD_CHOICES, required=False, widget=forms.HiddenInput, label=""
                )
                if self.is_bound:
                    field.fold = self.data.get(fold_name)
                order.append(fold_name)
                if "late_reason" in self.fields and "late_reason" not in order:
                    order.append("late_reason")  # the reason right below the time it is about
        self.order_fields(order)

    def full_clean(self):
        super().full_clean()
        for name, field in self.fields.items():
            if not isinstance(field, ClinicalDateTimeField):
                continue
            codes = {e.code for e in self.errors.as_data().get(name, [])}
            if "ambiguous" in codes:
                fold = self.fields[f"{name}_fold"]
                fold.widget = forms.RadioSelect(choices=FOLD_CHOICES)
                fold.label = f"Which {field.label or name}?"


class LateEntryMixin(forms.Form):
    """The reason asked for an entry made well after the event (DOMAIN §2a). The service decides
    whether the entry is late; the field says when it is needed."""

    late_reason = forms.CharField(
        label="Reason for a late entry",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="Needed only when the time above is more than the site's late-entry threshold "
        "ago. The entry is then marked “late entry” with your name and the time you enter it.",
    )
