"""The signed-in user of every request, read by a query compiled once per process.

Django's ModelBackend builds and compiles `User.objects.get(pk=...)` on every request that looks
at `request.user`, which is every request of a signed-in user: about half a millisecond of CPU
before the page starts. This backend sends the same read compiled once (core/baked.py), with
the user's id put in, and builds the user from its row as the QuerySet would (Model.from_db).
What is refused stays as Django refuses it: an unknown id, an inactive user.

A database session's read brings its user's row along (accounts/sessions.py, joined on the
session's `user` column), so a signed-in request reads its session and its user in one query:
AuthenticationMiddleware below hands that row to this backend for the length of Django's own
get_user (which still checks the backend, the active flag and the session's password hash).
The row is used only for the id the session names; otherwise the user is read as above.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib import auth
from django.contrib.auth import backends, get_user_model
from django.contrib.auth import middleware as auth_middleware
from django.utils.functional import SimpleLazyObject

from core.baked import Baked

# The user row the session's read brought (sessions.SessionStore.user_row), while get_user runs.
_session_user_row: ContextVar[tuple | None] = ContextVar("session_user_row", default=None)


def user_fields() -> list[str]:
    """The user's columns, in the order Model.from_db takes them (the session's read joins
    them too)."""
    return [f.attname for f in get_user_model()._meta.concrete_fields]


USER = Baked(
    lambda now, pk: get_user_model()._default_manager.filter(pk=pk).values_list(*user_fields()),
    values=(int,),
)


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        row = _session_user_row.get()
        rows = (
            [row] if row is not None and row[_pk_index()] == pk else USER.rows(None, values=(pk,))
        )
        if not rows:
            return None
        user = model.from_db(model._default_manager.db, user_fields(), rows[0])
        return user if self.user_can_authenticate(user) else None


def _pk_index() -> int:
    return user_fields().index(get_user_model()._meta.pk.attname)


@contextmanager
def _with_session_user_row(row: tuple | None):
    token = _session_user_row.set(row)
    try:
        yield
    finally:
        _session_user_row.reset(token)


def get_user(request):
    """Django's get_user (django.contrib.auth.middleware), given the user row that the session's
    read brought, if any."""
    if not hasattr(request, "_cached_user"):
        session = request.session
        session.keys()  # loads the session: its read brings the user's row
        with _with_session_user_row(getattr(session, "user_row", None)):
            request._cached_user = auth.get_user(request)
    return request._cached_user


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with the user read together with the session (get_user above)."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))
