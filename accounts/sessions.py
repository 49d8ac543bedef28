"""Sessions: stored with their user, idle and absolute limits, ended all at once.

`SESSION_ENGINE = "accounts.sessions"`: Django's database sessions, in accounts.UserSession,
whose `user` column follows the session's own `_auth_user_id` on every save (the key rotates
at sign-in and on a password change; each save writes the row under the current key).

With REDIS_URL set, `SESSION_ENGINE = "accounts.sessions_cached"`: the same rows, read through
the shared cache first (Django's cached_db), so a request does not read its session from the
database. The database stays the record, because it knows whose each session is: ending a
user's sessions deletes their cache entries first, then their rows. Without a shared cache
(each process its own memory) that fast path would let another process go on serving an ended
session, so it is used only with Redis.

Each signed-in session carries two timestamps (Unix seconds): when the user signed in
(LOGIN_AT, written at every sign-in) and when they last did something (LAST_ACTIVITY, renewed
by SessionLimitsMiddleware on every request except the ward board's automatic refresh).
`session_end_reason()` decides from them whether the session is over.

Activity is written at most every ACTIVITY_RESOLUTION seconds, so a busy page does not write
its session row on every request; the idle limit allows for it and so never ends a session
early: with 15 minutes, a session ends between 15 minutes and 15 minutes 30 seconds after the
last request.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDatabaseStore
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.cache import caches
from django.utils import timezone

from core.baked import Baked

if TYPE_CHECKING:
    from accounts.models import UserSession

LOGIN_AT = "itb_login_at"
LAST_ACTIVITY = "itb_last_activity"

# htmx requests that a page makes on its own, not the user: the HX-Trigger ids (the id of the
# element that polls). The ward board's container polls every 30 s, My tasks' every minute.
AUTOMATIC_REFRESH_TRIGGERS = frozenset({"board", "tasks"})
ACTIVITY_RESOLUTION = 30  # seconds


def _session_model():
    from accounts.models import UserSession

    return UserSession


def _columns() -> list[str]:
    """Every column of a session, in the model's order (as Model.from_db takes them)."""
    return [f.attname for f in _session_model()._meta.concrete_fields]


def _user_columns() -> list[str]:
    from accounts.backends import user_fields

    return ["user__" + name for name in user_fields()]


# Every request's read of its session (Django's _get_session_from_db), compiled once per process
# (core/baked.py): the session's key and the clock put in. With it, the row of the user whose
# session it is (a LEFT JOIN on the session's `user` column; NULLs for a session nobody signed
# in to), which accounts/backends.py uses instead of reading the user again.
SESSION = Baked(
    lambda now, key: (
        _session_model()
        .objects.filter(session_key=key, expire_date__gt=now)
        .values_list(*_columns(), *_user_columns())
    ),
    values=(str,),
)


class SessionStore(DatabaseSessionStore):
    user_row: tuple | None = None  # the user's row, read with the session (SESSION)

    @classmethod
    def get_model_class(cls):
        return _session_model()

    def _get_session_from_db(self):
        """As Django's: the unexpired session of this key, or None (and no key any more)."""
        key = self.session_key
        rows = SESSION.rows(timezone.now(), values=(key,)) if isinstance(key, str) else []
        if not rows:
            self._session_key = None
            return None
        model = self.model
        columns = _columns()
        session_row, user_row = rows[0][: len(columns)], rows[0][len(columns) :]
        session = cast("UserSession", model.from_db(model.objects.db, columns, session_row))
        self.user_row = user_row if session.user_id is not None else None
        return session

    def create_model_instance(self, data):
        obj = cast("UserSession", super().create_model_instance(data))
        try:
            obj.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            obj.user_id = None
        return obj


class CachedSessionStore(CachedDatabaseStore, SessionStore):
    """The sessions above, read through the cache first (SESSION_ENGINE accounts.sessions_cached).
    Writes go to the database, then to the cache."""


def sessions_end_for_user(*, user_id: int, keep_session_key: str | None = None) -> int:
    """Delete the user's sessions (all, or all but the one given); their next request is
    anonymous. Returns how many were ended.

    The cached copies go first (none may outlive its row; without the cached engine there are
    none), and an unreachable cache raises rather than leave a copy that would keep the
    session alive."""
    from accounts.models import UserSession

    sessions = UserSession.objects.filter(user_id=user_id)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    keys = list(sessions.values_list("session_key", flat=True))
    if keys:
        prefix = CachedSessionStore.cache_key_prefix
        caches[settings.SESSION_CACHE_ALIAS].delete_many([prefix + key for key in keys])
    deleted, _ = UserSession.objects.filter(session_key__in=keys).delete()
    return deleted


def session_start(session, now: datetime) -> None:
    """Called at every sign-in: the absolute and the idle limits count from now."""
    stamp = int(now.timestamp())
    session[LOGIN_AT] = stamp
    session[LAST_ACTIVITY] = stamp


def session_touch(session, now: datetime) -> None:
    stamp = int(now.timestamp())
    if stamp - session.get(LAST_ACTIVITY, 0) >= ACTIVITY_RESOLUTION:
        session[LAST_ACTIVITY] = stamp


def is_automatic_refresh(request) -> bool:
    """A page refreshing itself (the ward board poll), which is not the user doing anything."""
    return (
        request.method == "GET"
        and request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Trigger") in AUTOMATIC_REFRESH_TRIGGERS
    )


def session_end_reason(session, now: datetime, *, idle_minutes: int) -> str | None:
    """Why this signed-in session is over, in words for the sign-in page; None if it is not."""
    login_at = session.get(LOGIN_AT)
    last_activity = session.get(LAST_ACTIVITY)
    if not isinstance(login_at, int) or not isinstance(last_activity, int):
        # Signed in before these limits existed, or tampered with: start again.
        return "Your session has ended. Please sign in again."
    stamp = now.timestamp()
    if stamp - login_at >= settings.SESSION_MAX_AGE.total_seconds():
        hours = settings.SESSION_MAX_AGE // timedelta(hours=1)
        return (
            f"Your session ended: a session lasts at most {hours} hours, whatever the "
            "activity. Please sign in again."
        )
    if stamp - last_activity >= idle_minutes * 60 + ACTIVITY_RESOLUTION:
        unit = "minute" if idle_minutes == 1 else "minutes"
        return (
            f"Your session ended after {idle_minutes} {unit} without activity. "
            "Please sign in again."
        )
    return None
