"""Session limits and the second-factor gate, for every request after sign-in."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, resolve_url
from django.urls import Resolver404, resolve
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from accounts import sessions, two_factor


def _redirect(request, url: str):
    """A redirect the browser follows as a whole page, also from an htmx request (which would
    otherwise swap the sign-in page into a fragment of the current one)."""
    if request.headers.get("HX-Request") == "true":
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _page_to_return_to(request) -> str:
    if request.headers.get("HX-Request") == "true":
        return getattr(request.htmx, "current_url_abs_path", None) or ""
    return request.get_full_path() if request.method == "GET" else ""


class SessionLimitsMiddleware:
    """End a signed-in session after the site's idle limit or SESSION_MAX_AGE after sign-in,
    and say why on the sign-in page. Any request counts as activity except a page's automatic
    refresh (the ward board poll), so a board left open still times out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = timezone.now()
            reason = sessions.session_end_reason(
                request.session, now, idle_minutes=request.site_settings.session_idle_minutes
            )
            if reason:
                return self._end(request, reason)
            if not sessions.is_automatic_refresh(request):
                sessions.session_touch(request.session, now)
        return self.get_response(request)

    def _end(self, request, reason: str):
        back_to = _page_to_return_to(request)
        logout(request)  # deletes the session row; sends user_logged_out
        messages.info(request, reason)
        return _redirect(request, two_factor.with_next(resolve_url(settings.LOGIN_URL), back_to))


class SecondFactorMiddleware:
    """A signed-in session whose user needs a second factor reaches nothing but the sign-in,
    code, set-up and set-up code pages (and sign-out) until it has passed it."""

    EXEMPT_URL_NAMES = frozenset(
        {"login", "logout", two_factor.VERIFY, two_factor.SETUP, two_factor.ENROL}
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not two_factor.session_passed(request)
            and not self._exempt(request)
        ):
            step = two_factor.pending_step(user)
            if step:
                return _redirect(request, two_factor.step_url(step, _page_to_return_to(request)))
        return self.get_response(request)

    def _exempt(self, request) -> bool:
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in self.EXEMPT_URL_NAMES
