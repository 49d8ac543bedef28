"""Ticking checklist items in place (htmx) or by a plain form post."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.roles import CLINICAL, roles_required
from audit.web import audit_denied
from core.errors import ProtocolError
from trials import presenters, procedure
from trials.forms import TickForm
from trials.models import Trial
from trials.services import checklist
from trials.services.snapshot import TrialSnapshot


def _item_or_404(checklist_key: str, item_key: str) -> procedure.Item:
    found = procedure.CHECKLISTS.get(checklist_key)
    item = found.item(item_key) if found else None
    if item is None:
        raise Http404("No such checklist item.")
    return item


def _snapshot_or_404(request, pk: int) -> TrialSnapshot:
    """The trial as it stands, after a refusal (the change was rolled back)."""
    try:
        return TrialSnapshot.load(pk, site=request.site_settings)
    except Trial.DoesNotExist as exc:
        raise Http404("No such trial.") from exc


def _respond(request, snap: TrialSnapshot, error: str | None = None, status: int = 409):
    """htmx gets the phase panel re-rendered in place; a plain post goes back to the trial page."""
    if request.htmx:
        context = presenters.panel_context(snap, request.user)
        context |= {"panel_error": error, "oob": True}
        return render(
            request, "trials/_phase_panel.html", context, status=200 if not error else status
        )
    if error:
        messages.error(request, error)
    return redirect(snap.trial)


def _change(request, pk: int, call: Callable[[], checklist.ChecklistChange]) -> HttpResponse:
    """Run the tick or untick; the panel shows the trial as the service left it (read once,
    under its lock), or as it stands after a refusal."""
    try:
        change = call()
    except Trial.DoesNotExist as exc:
        raise Http404("No such trial.") from exc
    except ProtocolError as exc:
        return _respond(request, _snapshot_or_404(request, pk), " ".join(exc.messages))
    except PermissionDenied as exc:
        snap = _snapshot_or_404(request, pk)  # a missing trial is a 404 whoever asks
        if not request.htmx:
            raise  # the 403 handler records it
        audit_denied(request, status=403, reason=str(exc))
        return _respond(request, snap, str(exc), status=403)
    return _respond(request, change.snap)


@require_POST
@roles_required(*CLINICAL)
def tick(request, pk: int, checklist_key: str, item_key: str):
    _item_or_404(checklist_key, item_key)
    form = TickForm(request.POST)
    if not form.is_valid():
        errors = " ".join(e for errs in form.errors.values() for e in errs)
        return _respond(request, _snapshot_or_404(request, pk), errors, status=400)
    return _change(
        request,
        pk,
        lambda: checklist.checklist_tick(
            trial_id=pk,
            checklist_key=checklist_key,
            item_key=item_key,
            actor=request.user,
            not_applicable=form.cleaned_data["not_applicable"],
            note=form.cleaned_data["note"],
            na_reason=form.cleaned_data["na_reason"],
            at=form.cleaned_data["at"],
            late=form.cleaned_data["late_reason"],
        ),
    )


@require_POST
@roles_required(*CLINICAL)
def untick(request, pk: int, checklist_key: str, item_key: str):
    _item_or_404(checklist_key, item_key)
    return _change(
        request,
        pk,
        lambda: checklist.checklist_untick(
            trial_id=pk,
            checklist_key=checklist_key,
            item_key=item_key,
            actor=request.user,
            reason=request.POST.get("reason", ""),
        ),
    )
