"""Ticking checklist items in place (htmx) or by a plain form post."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.roles import CLINICAL, roles_required
from audit.web import audit_denied
from core.errors import ProtocolError
from trials import presenters, procedure
from trials.forms import TickForm
from trials.services import checklist
from trials.services.snapshot import TrialSnapshot

from .access import get_trial


def _item_or_404(checklist_key: str, item_key: str) -> procedure.Item:
    found = procedure.CHECKLISTS.get(checklist_key)
    item = found.item(item_key) if found else None
    if item is None:
        raise Http404("No such checklist item.")
    return item


def _respond(request, trial, error: str | None = None, status: int = 409):
    """htmx gets the phase panel re-rendered in place; a plain post goes back to the trial page."""
    if request.htmx:
        snap = TrialSnapshot.load(trial.pk, site=request.site_settings)
        context = presenters.trial_context(snap, request.user)
        context |= {"panel_error": error, "oob": True}
        return render(
            request, "trials/_phase_panel.html", context, status=200 if not error else status
        )
    if error:
        messages.error(request, error)
    return redirect(trial)


@require_POST
@roles_required(*CLINICAL)
def tick(request, pk: int, checklist_key: str, item_key: str):
    trial = get_trial(pk)
    _item_or_404(checklist_key, item_key)
    form = TickForm(request.POST)
    if not form.is_valid():
        errors = " ".join(e for errs in form.errors.values() for e in errs)
        return _respond(request, trial, errors, status=400)
    try:
        checklist.checklist_tick(
            trial_id=trial.pk,
            checklist_key=checklist_key,
            item_key=item_key,
            actor=request.user,
            not_applicable=form.cleaned_data["not_applicable"],
            note=form.cleaned_data["note"],
            na_reason=form.cleaned_data["na_reason"],
            at=form.cleaned_data["at"],
            late=form.cleaned_data["late_reason"],
        )
    except ProtocolError as exc:
        return _respond(request, trial, " ".join(exc.messages))
    except PermissionDenied as exc:
        if not request.htmx:
            raise  # the 403 handler records it
        audit_denied(request, status=403, reason=str(exc))
        return _respond(request, trial, str(exc), status=403)
    return _respond(request, trial)


@require_POST
@roles_required(*CLINICAL)
def untick(request, pk: int, checklist_key: str, item_key: str):
    trial = get_trial(pk)
    _item_or_404(checklist_key, item_key)
    try:
        checklist.checklist_untick(
            trial_id=trial.pk,
            checklist_key=checklist_key,
            item_key=item_key,
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except ProtocolError as exc:
        return _respond(request, trial, " ".join(exc.messages))
    except PermissionDenied as exc:
        if not request.htmx:
            raise  # the 403 handler records it
        audit_denied(request, status=403, reason=str(exc))
        return _respond(request, trial, str(exc), status=403)
    return _respond(request, trial)
