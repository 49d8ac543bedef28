"""What a request adds to the audit trail, for the view layer: a view of a patient's record (with
the path that showed it), a refused request, and the 403 and 404 pages that record theirs.

The services never see a request: they are given the acting user and the reason, and call
audit.services.audit_record. These helpers take the request apart (its user, method and path)
and do the same.

A 404 is recorded when a page of the app was asked for an object it does not show (a missing id,
or one that does not belong to the trial in the URL); unknown addresses are not recorded.
"""

from django.views import defaults

from .models import AuditEvent
from .services import audit_record


def audit_view(request, *, patient=None, trial=None, what: str = "") -> AuditEvent:
    """One row for one view of a patient's record (a page, not an htmx refresh of it)."""
    patient = patient if patient is not None else getattr(trial, "patient", None)
    subject = f"trial #{trial.pk}" if trial is not None else "the patient record"
    return audit_record(
        actor=request.user,
        action="view",
        trial=trial,
        patient=patient,
        obj=trial if trial is not None else patient,
        summary=f"Viewed {what or subject} of {patient}",
        new={"path": request.get_full_path()[:500]},
    )


def audit_denied(request, *, status: int, reason: str) -> AuditEvent:
    """One row for a refused request: who, which path, and why."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return audit_record(
        actor=user if signed_in else None,
        actor_name=None if signed_in else "anonymous",
        action="deny",
        summary=f"Access denied ({status}): {request.method} {request.path}",
        new={"status": status, "method": request.method, "path": request.get_full_path()[:500]},
        reason=reason,
    )


def permission_denied(request, exception):
    """handler403 (config/urls.py)."""
    audit_denied(request, status=403, reason=str(exception) or "Forbidden")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    """handler404 (config/urls.py)."""
    user = getattr(request, "user", None)
    if getattr(request, "resolver_match", None) is not None and user and user.is_authenticated:
        audit_denied(request, status=404, reason=_reason(exception))
    return defaults.page_not_found(request, exception)


def _reason(exception) -> str:
    message = exception.args[0] if exception and exception.args else ""
    return str(message) if isinstance(message, str) and message else "Not found"
