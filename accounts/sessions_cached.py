"""SESSION_ENGINE with a shared cache (REDIS_URL): see accounts/sessions.py."""

from accounts.sessions import CachedSessionStore as SessionStore

__all__ = ["SessionStore"]
