"""Who is acting in the current request, for audit rows written where no request is passed:
the receivers that record changes of users and authenticators (accounts/user_audit.py) fire
from the Django admin, the account pages and scripts alike. Outside a request (a management
command, the shell) nobody is signed in and the row says "system"."""

from contextvars import ContextVar

_request: ContextVar = ContextVar("accounts_current_request", default=None)


class ActingUserMiddleware:
    """Remembers the request for the length of it (after AuthenticationMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def acting_user():
    """The signed-in user of the current request, or None (no request, or nobody signed in)."""
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None
