from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from trials.concurrency import EditConflict
from trials.services.errors import ProtocolError
from trials.services.phase import blockers
from trials.services.signing import SignatureRefused
from trials.services.snapshot import TrialSnapshot


def submit(
    request, form, call: Callable[[dict], object], success_url: str, *, done: str = "Saved."
) -> HttpResponse | None:
    """Run the service for a valid POST; a protocol refusal becomes a form error, not a 500.

    `done` is the confirmation shown on the next page (announced to screen readers too): at the
    bedside a signature or a save that leaves no visible trace gets done twice.
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
    return redirect(success_url)


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
