"""The admin's review of the audit trail: which rows a filter selects, and the same rows as CSV."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from core.fields import ClinicalDateField

from .models import AuditEvent

ACTIONS = [
    ("create", "Create"),
    ("change", "Change"),
    ("tick", "Tick"),
    ("untick", "Untick"),
    ("sign", "Signature"),
    ("transition", "Phase change"),
    ("decide", "Decision"),
    ("amend", "Amendment"),
    ("export", "Export"),
    ("view", "View of a patient record"),
    ("deny", "Access denied"),
    ("login", "Sign-in"),
    ("login_failed", "Failed sign-in"),
    ("logout", "Sign-out"),
    ("two_factor", "Two-step sign-in (authenticator, backup and set-up codes)"),
    ("sign_refused", "Signature refused (wrong password)"),
    ("sign_locked", "Signature refused (signing locked)"),
    ("seed", "Demo data (seed)"),
    ("user_create", "User created"),
    ("user_change", "User details changed"),
    ("user_delete", "User deleted"),
    ("role_change", "Role change"),
    ("permission_change", "Admin rights, groups or permissions"),
    ("user_activate", "Account activated"),
    ("user_deactivate", "Account deactivated"),
    ("password_change", "Password changed by its owner"),
    ("password_reset", "Password reset by someone else"),
    ("authenticator_add", "Authenticator added"),
    ("authenticator_change", "Authenticator changed"),
    ("authenticator_remove", "Authenticator removed"),
]

CSV_HEADER = [
    "id", "time_utc", "user_id", "user", "action", "patient_mrn", "patient_id", "trial_id",
    "object_type", "object_id", "summary", "old", "new", "reason", "prev_hash", "hash",
]  # fmt: skip
CSV_COLUMNS = [
    "pk", "at", "actor_id", "actor_name", "action", "patient__mrn", "patient_id", "trial_id",
    "object_type", "object_id", "summary", "old", "new", "reason", "prev_hash", "hash",
]  # fmt: skip
CHUNK = 2000


class AuditFilterForm(forms.Form):
    mrn = forms.CharField(label="Patient MRN", required=False, max_length=32)
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("last_name", "first_name", "username"),
        required=False,
        empty_label="Anyone",
    )
    action = forms.ChoiceField(choices=[("", "Any action"), *ACTIONS], required=False)
    # Bounded days: "to 9999-12-31" is a form error, not a day after it that cannot exist.
    date_from = ClinicalDateField(label="From", required=False)
    date_to = ClinicalDateField(label="To", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if select else ("form-control form-control-sm")
            )

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("The 'from' date must not be after the 'to' date.")
        return data

    def events(self):
        """The selected rows, newest first (call after is_valid()). Days are the clinic's days."""
        data = self.cleaned_data
        rows = AuditEvent.objects.select_related("patient").order_by("-pk")
        if data.get("mrn", "").strip():
            rows = rows.filter(patient__search_mrn__upper_exact=data["mrn"].strip())
        if data.get("user"):
            user = data["user"]
            tried = Q(action="login_failed", new__username=user.get_username())
            rows = rows.filter(Q(actor=user) | tried)
        if data.get("action"):
            rows = rows.filter(action=data["action"])
        if data.get("date_from"):
            rows = rows.filter(at__gte=_local_midnight(data["date_from"]))
        if data.get("date_to"):
            rows = rows.filter(at__lt=_local_midnight(data["date_to"] + timedelta(days=1)))
        return rows

    @property
    def params(self) -> dict[str, str]:
        """The filter as given, for the export's audit row and the page links."""
        data = self.cleaned_data
        params = {
            "mrn": data.get("mrn", "").strip(),
            "user": data["user"].get_username() if data.get("user") else "",
            "action": data.get("action", ""),
            "date_from": data["date_from"].isoformat() if data.get("date_from") else "",
            "date_to": data["date_to"].isoformat() if data.get("date_to") else "",
        }
        return {k: v for k, v in params.items() if v}


def _local_midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def csv_rows(events) -> Iterator[list]:
    """One list of cells per row, read in chunks through one query."""
    for values in events.values_list(*CSV_COLUMNS).iterator(chunk_size=CHUNK):
        row = dict(zip(CSV_COLUMNS, values, strict=True))
        row["at"] = row["at"].astimezone(UTC).isoformat(timespec="microseconds")
        row["old"] = json.dumps(row["old"], sort_keys=True, ensure_ascii=False)
        row["new"] = json.dumps(row["new"], sort_keys=True, ensure_ascii=False)
        yield [row[c] for c in CSV_COLUMNS]
