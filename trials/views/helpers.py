from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from core.concurrency import EditConflict
from core.errors import ProtocolError
from trials import procedure
from trials.services.phase import blockers
from trials.services.signing import SignatureRefused
from trials.services.snapshot import TrialSnapshot


def submit(
    request,
    form,
    call: Callable[[dict], object],
    success_url: str | Callable[[], str],
    *,
    done: str = "Saved.",
) -> HttpResponse | None:
    """Run the service for a valid POST; a protocol refusal becomes a form error, not a 500.

    `done` is the confirmation shown on the next page (announced to screen readers too): at the
    bedside a signature or a save that leaves no visible trace gets done twice. `success_url`
    may be a function, asked once the service has run (where to go may depend on what it did).
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        call(form.cleaned_data)
    except EditConflict as conflict:
        form.show_conflict(conflict)  # their values beside yours; the form's version renewed
        return None
    except ProtocolError as exc:
        if isinstance(exc, SignatureRefused):
            # After the service's rollback, so the refusal stays in the audit trail.
            exc.record(trial_id=request.resolver_match.kwargs.get("pk"), path=request.path)
        for message in exc.messages:
            form.add_error(None, message)
        return None
    messages.success(request, done)
    return redirect(success_url() if callable(success_url) else success_url)


def next_step_url(request, trial, action: str) -> str:
    """Where a save that completes a step leads: the form of the move `action` (the signature
    that step was waiting for) when it is this user's to make and nothing blocks it now, so she
    signs it next without looking for the link; otherwise the trial page. The form still asks
    for her password and shows her what she signs."""
    snap = TrialSnapshot.load(trial.pk, request.site_settings)
    move = procedure.find_move(action, snap.trial.status)
    if move is not None and request.user.role in move.roles and not blockers(snap, action):
        return reverse(move.url_name, args=[trial.pk])
    return trial.get_absolute_url()


def action_page(
    request,
    trial,
    form,
    *,
    title: str,
    template: str = "trials/action_form.html",
    action: str | None = None,
    extra: dict | None = None,
) -> HttpResponse:
    """The form page of one action, with what blocks it shown above the form."""
    context = {"trial": trial, "form": form, "title": title}
    if action:
        snap = TrialSnapshot.load(trial.pk)
        context["snap"] = snap
        context["blockers"] = blockers(snap, action)
    context |= extra or {}
    status = 400 if request.method == "POST" else 200
    return render(request, template, context, status=status)
