"""Amending a signed record of one attempt: the injection record (the neurologist) or the
discharge note (the nurse). The signed values stay; each correction is signed beside them."""

from django.http import Http404

from accounts.roles import roles_required
from trials import forms, procedure
from trials.models import DoseAttempt
from trials.models.amendment import AmendedRecord
from trials.services import amendments
from trials.services.snapshot import TrialSnapshot

from .access import get_trial
from .helpers import action_page, submit


def _initial(current: dict) -> dict:
    """The record as it stands, as form values (yes/no questions take "true" / "false")."""
    return {
        name: ("true" if raw else "false") if isinstance(raw, bool) else raw
        for name, (raw, _shown) in current.items()
    }


def _rows(attempt: DoseAttempt, record: str) -> list[dict]:
    """Each field with its signed value and the amendments made to it, oldest first."""
    made = [a for a in attempt.amendments.all() if a.record == record]
    rows = []
    for name in procedure.AMENDABLE_FIELDS[record]:
        label = str(DoseAttempt._meta.get_field(name).verbose_name)
        rows.append(
            {
                "label": label[:1].upper() + label[1:],
                "signed": amendments.display_value(name, getattr(attempt, name)),
                "amendments": [a for a in made if a.field == name],
            }
        )
    return rows


def _amend_page(request, pk: int, attempt_pk: int, record: str, form_class):
    trial = get_trial(pk)
    snap = TrialSnapshot.load(trial.pk, site=request.site_settings)
    attempt = next((a for a in snap.attempts if a.pk == attempt_pk), None)
    if attempt is None:
        raise Http404("No such attempt in this trial.")
    initial = _initial(amendments.current_record(attempt, record))
    initial["version"] = amendments.record_version(attempt, record)
    form = form_class(request.POST or None, initial=initial)

    def call(data):
        amendments.record_amend(
            trial_id=trial.pk,
            attempt_id=attempt.pk,
            record=record,
            actor=request.user,
            password=data["password"],
            values=form.values(),
            reason=data["reason"],
            version=data["version"],
        )

    signature = snap.signature(record, attempt)
    label = AmendedRecord(record).label
    back = f"{trial.get_absolute_url()}#attempt-{attempt.number}"
    return submit(request, form, call, back, done="Amendment signed.") or action_page(
        request,
        trial,
        form,
        title=f"Amend the {label.lower()} – attempt {attempt.number}, {attempt.dose_mcg} mcg",
        template="trials/amend_form.html",
        extra={
            "attempt": attempt,
            "signature": signature,
            "rows": _rows(attempt, record),
            "record_label": label,
            "note": None
            if signature
            else f"The {label.lower()} is not signed yet: there is "
            "nothing to amend. Complete and sign it on its own page.",
            "submit_label": "Sign the amendment",
        },
    )


@roles_required(*procedure.ACTION_ROLES["amend_injection"])
def amend_injection(request, pk: int, attempt_pk: int):
    return _amend_page(request, pk, attempt_pk, AmendedRecord.INJECTION, forms.AmendInjectionForm)


@roles_required(*procedure.ACTION_ROLES["amend_discharge"])
def amend_discharge(request, pk: int, attempt_pk: int):
    return _amend_page(request, pk, attempt_pk, AmendedRecord.DISCHARGE, forms.AmendDischargeForm)
