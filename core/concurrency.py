"""Optimistic concurrency for edit forms: a save against a record that changed since the form
was opened is refused, with the other person's values shown beside yours, nothing overwritten.

An edit form carries `version`, a token of the record's edited fields as the form showed them
(`version_of`). The service, holding the row lock, compares it with the token of the record as
it stands; a different token means someone saved in between, and the save is refused
(EditConflict) unless what you submit equals what is on record. The re-shown form carries the
new token, so saving again after reading the other person's values is a deliberate choice.

Why a token of the values and not a version column (or django-concurrency, which checks a
version held on the instance at save()): the services re-read the row under select_for_update
and save chosen fields, and an amendment adds rows instead of updating one; the token needs no
migration, works for all of them alike, and a change the form does not show (a trial's phase)
does not conflict with an edit of the trial's referral details.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import forms
from django.db import models

from core import moments
from core.errors import ProtocolError

STALE_FORM = (
    "This form is incomplete or out of date (it does not say which version of the record it "
    "was opened on). Open the page again and enter your change."
)


def version_of(values: Mapping[str, Any]) -> str:
    """A short token that changes whenever one of the values changes."""
    payload = json.dumps(dict(values), sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def instance_values(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: instance.serializable_value(name) for name in fields}


def instance_version(instance: models.Model, fields: Iterable[str]) -> str:
    return version_of(instance_values(instance, fields))


@dataclass(frozen=True)
class ConflictRow:
    label: str
    theirs: str  # on record now
    yours: str  # what the refused form said


class EditConflict(ProtocolError):
    """Someone saved the record after this form was opened. Carries the rows to show and the
    record's current version (for the re-shown form)."""

    def __init__(self, *, what: str, rows: list[ConflictRow], version: str, by: str, at, change):
        when = f" at {moments.shown(at)}" if at else ""
        super().__init__(
            f"{by or 'Someone else'} changed {what}{when}, after you opened this form. "
            "Nothing of yours was saved.",
            "Their values are on record now; yours are beside them below. Check them, and "
            "save again if yours should stand.",
        )
        self.rows, self.version, self.change = rows, version, change


def refuse_if_stale(
    *,
    given: str | None,
    current: Mapping[str, Any],
    rows: list[ConflictRow],
    what: str,
    last_change=None,
) -> None:
    """Raise EditConflict when `given` (the form's version; None for a caller that is not a
    form: a script, a test) is not the version of `current` and the form would change
    something. `rows`: each edited field, on record now and as submitted. `last_change`: the
    audit row (or amendment) of the other person's save, shown with the refusal."""
    if given is None or given == version_of(current):
        return
    differing = [row for row in rows if row.theirs != row.yours]
    if not differing:
        return  # you submit what is on record: nothing of anyone's is overwritten
    by = getattr(last_change, "actor_name", None) or getattr(last_change, "printed_name", "")
    at = getattr(last_change, "at", None) or getattr(last_change, "amended_at", None)
    summary = getattr(last_change, "summary", None) or str(last_change or "")
    raise EditConflict(
        what=what, rows=differing, version=version_of(current), by=by, at=at, change=summary
    )


def model_rows(model, names: Iterable[str], current: Mapping, yours: Mapping) -> list[ConflictRow]:
    """Conflict rows for model fields, labelled and shown as a reader sees them."""
    rows = []
    for name in names:
        if name not in yours:
            continue
        field = model._meta.get_field(name)
        label = str(field.verbose_name)
        rows.append(
            ConflictRow(
                label[:1].upper() + label[1:],
                shown(field, current.get(name)),
                shown(field, yours[name]),
            )
        )
    return rows


def shown(field, value) -> str:
    if isinstance(value, models.Model):
        value = value.pk
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, datetime):
        return moments.shown(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class VersionMixin(forms.Form):
    """The hidden version of the record the form was opened on. A model form takes it from its
    instance (over the form's fields); any other form from `initial["version"]`."""

    version = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk and "version" not in self.initial:
            self.initial["version"] = instance_version(instance, self._meta.fields)

    def clean(self):
        data = super().clean()
        if "version" in self._errors:  # a hidden field's error, said where it can be read
            del self._errors["version"]
            self.add_error(None, STALE_FORM)
        return data

    def show_conflict(self, conflict: EditConflict) -> None:
        """Show the refusal; the form now carries the record's current version."""
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = conflict.version
        self.conflict = conflict
        for message in conflict.messages:
            self.add_error(None, message)
