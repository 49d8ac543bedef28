"""The 403 and 404 pages, each writing one audit row for the refused request.

A 404 is recorded when a page of the app was asked for an object it does not show (a missing id,
or one that does not belong to the trial in the URL); unknown addresses are not recorded.
"""

from django.views import defaults

from trials.services.audit import audit_denied


def permission_denied(request, exception):
    audit_denied(request, status=403, reason=str(exception) or "Forbidden")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    user = getattr(request, "user", None)
    if getattr(request, "resolver_match", None) is not None and user and user.is_authenticated:
        audit_denied(request, status=404, reason=_reason(exception))
    return defaults.page_not_found(request, exception)


def _reason(exception) -> str:
    message = exception.args[0] if exception and exception.args else ""
    return str(message) if isinstance(message, str) and message else "Not found"
