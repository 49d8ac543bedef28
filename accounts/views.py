"""Signing in (password, then the authenticator code or its set-up), the account page, backup
codes, and the admins' page of set-up codes.

The password step is Django's LoginView: django-axes counts and locks failed attempts, Django
rotates the session key and sends user_logged_in. A user who needs a second factor then reaches
only the code (or set-up) page until it is passed (SecondFactorMiddleware); passing it rotates
the session key again. A wrong code (authenticator, backup or set-up code) is a failed sign-in
like a wrong password: it is sent as Django's user_login_failed, so django-axes counts it and
the audit trail records it.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.models import VerifyNotAllowed

from accounts import backup_codes, enrolment, sessions, two_factor
from accounts.forms import (
    ClinicPasswordChangeForm,
    CodeForm,
    EnrolmentCodeForm,
    IssueForm,
    PasswordCheckForm,
    SignInCodeForm,
)
from accounts.models import Role, User
from audit.services import audit_record

ISSUED_SESSION_KEY = "itb_issued_enrolment_code"  # the set-up code just issued, shown once


class SignInView(auth_views.LoginView):
    """The password step; then straight to the code or set-up page when the user needs it."""

    def get_success_url(self) -> str:
        url = super().get_success_url()
        step = two_factor.pending_step(self.request.user)
        return two_factor.step_url(step, url) if step else url


def lockout_response(request, original_response=None, credentials=None):
    """The page django-axes shows for a locked username (AXES_LOCKOUT_CALLABLE): the same for
    a username that exists and one that does not."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(
        request,
        "registration/locked_out.html",
        context,
        status=429,  # Too Many Requests
    )


def _throttled_message(device) -> str | None:
    allowed, details = device.verify_is_allowed()
    if allowed:
        return None
    if details and details.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
        return (
            "After a wrong code, wait a few seconds before the next try (longer after each "
            "wrong code), then enter the code your authenticator app shows now."
        )
    return "The code cannot be checked just now. Wait a few seconds and try again."


def _wrong_code(request, user):
    """Count the wrong code as a failed sign-in; when that locks the username, sign out and
    show the lockout page (django-axes' AxesMiddleware shows it too)."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    if getattr(request, "axes_locked_out", False):
        logout(request)
        return lockout_response(request)
    return None


def _locked(request, user):
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        logout(request)
        return lockout_response(request)
    return None


def _passed(request, device, message: str = ""):
    otp_login(request, device)
    request.session.cycle_key()  # a new key for the now fully signed-in session
    if message:
        messages.success(request, message)
    return redirect(two_factor.safe_next(request))


@login_required
def verify(request):
    """The code step of signing in: the authenticator's code, or one backup code."""
    user = request.user
    step = None if two_factor.session_passed(request) else two_factor.pending_step(user)
    if step != two_factor.VERIFY:
        target = two_factor.step_url(step, request.GET.get("next", "")) if step else None
        return redirect(target or two_factor.safe_next(request))
    form = SignInCodeForm(request.POST or None)
    if request.method == "POST":
        locked = _locked(request, user)
        if locked:
            return locked
        if form.is_valid():
            response = _check_sign_in_code(request, user, form)
            if response:
                return response
    context = {
        "form": form,
        "next": request.GET.get("next", request.POST.get("next", "")),
        "second_factor_pending": True,  # base.html: no menu of pages that cannot be opened yet
    }
    return render(request, "registration/verify.html", context)


def _check_sign_in_code(request, user, form):
    """The response once the code is right (or the lockout page); None after a wrong code,
    with the form saying why."""
    token, backup = form.cleaned_data["otp_token"], form.kind == "backup"
    device = backup_codes.backup_device(user) if backup else two_factor.confirmed_device(user)
    if device is not None:
        throttled = _throttled_message(device)
        if throttled:
            form.add_error("otp_token", throttled)
            return None
        with transaction.atomic():
            if verify_token(user, device.persistent_id, token):
                message = ""
                if backup:
                    left = backup_codes.backup_code_used(user=user)
                    message = (
                        f"You signed in with a backup code; {left} left. Each works once: "
                        "make new ones on your account page when they run low."
                    )
                return _passed(request, device, message)
    response = _wrong_code(request, user)
    if response:
        return response
    form.add_error(
        "otp_token",
        "That backup code is wrong or has been used already."
        if backup
        else "That code is wrong or has expired. Enter the code your authenticator app shows now.",
    )
    return None


@login_required
def setup(request):
    """Add an authenticator: scan or type the key, confirm with a code. Required before
    anything else for a neurologist or admin without one, who first gives the set-up code an
    admin issued; any nurse may add one."""
    user = request.user
    if two_factor.confirmed_device(user) is not None:
        if not two_factor.session_passed(request):
            return redirect(two_factor.step_url(two_factor.VERIFY, request.GET.get("next", "")))
        messages.info(request, "Two-step sign-in is already on for your account.")
        return redirect("accounts:account")
    required = user.role in two_factor.ROLES_REQUIRING_SECOND_FACTOR
    if required and request.session.get(enrolment.SESSION_KEY) != user.pk:
        return redirect(two_factor.step_url(two_factor.ENROL, request.GET.get("next", "")))
    device = two_factor.unconfirmed_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"]):
            return _authenticator_added(request, user, device)
        form.add_error(
            "otp_token",
            "That code does not match. Check the key in your app and enter the code it shows now.",
        )
    uri = device.config_url
    context = {
        "form": form,
        "key": two_factor.base32_key(device),
        "otpauth_uri": uri,
        "qr_code": two_factor.qr_code_data_uri(uri),
        "required": required,
        "second_factor_pending": required,
        "next": request.GET.get("next", request.POST.get("next", "")),
    }
    return render(request, "accounts/two_factor_setup.html", context)


def _authenticator_added(request, user, device):
    """Turn it on, sign the session in with it, and show the first backup codes once."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(
            actor=user,
            action="two_factor",
            obj=user,
            summary=f"Added an authenticator: {user.printed_name}",
            new={"event": "authenticator_added"},
        )
        codes = backup_codes.backup_codes_issue(user=user)
    next_url = two_factor.safe_next(request)
    otp_login(request, device)
    request.session.cycle_key()  # a new key for the now fully signed-in session
    request.session.pop(enrolment.SESSION_KEY, None)
    request.session[backup_codes.SESSION_KEY] = codes
    messages.success(
        request,
        "Two-step sign-in is on. From now on you sign in with your password and a code from "
        "your authenticator app.",
    )
    return redirect(two_factor.step_url(two_factor.BACKUP_CODES, next_url))


@never_cache
@login_required
def enrol(request):
    """The set-up code an admin issued, before a neurologist or admin may add an
    authenticator (accounts/enrolment.py)."""
    user = request.user
    next_url = request.GET.get("next", request.POST.get("next", ""))
    if (
        not two_factor.needs_enrolment(user)
        or request.session.get(enrolment.SESSION_KEY) == user.pk
    ):
        return redirect(two_factor.step_url(two_factor.SETUP, next_url))
    form = EnrolmentCodeForm(request.POST or None)
    if request.method == "POST":
        locked = _locked(request, user)
        if locked:
            return locked
        if form.is_valid():
            if enrolment.enrolment_code_redeem(user=user, code=form.cleaned_data["enrolment_code"]):
                request.session[enrolment.SESSION_KEY] = user.pk
                return redirect(two_factor.step_url(two_factor.SETUP, next_url))
            response = _wrong_code(request, user)
            if response:
                return response
            form.add_error(
                "enrolment_code",
                "That set-up code is wrong, has been used already or has expired. Ask an admin "
                "for a new one.",
            )
    context = {"form": form, "next": next_url, "second_factor_pending": True}
    return render(request, "accounts/enrolment_code.html", context)


@never_cache
@login_required
def backup_codes_page(request):
    """The backup codes just made, shown once; otherwise how many are left, and new ones
    (after the password)."""
    user = request.user
    if two_factor.confirmed_device(user) is None:
        messages.info(request, "Backup codes come with an authenticator: set one up first.")
        return redirect("accounts:account")
    new = request.session.pop(backup_codes.SESSION_KEY, None)
    form = PasswordCheckForm(request.POST or None, user=user)
    if request.method == "POST":
        if form.is_valid():
            request.session[backup_codes.SESSION_KEY] = backup_codes.backup_codes_issue(user=user)
            return redirect("accounts:backup_codes")
        if "password" in form.errors and form.data.get("password"):
            response = _wrong_code(request, user)
            if response:
                return response
    context = {
        "codes": [backup_codes.display(c) for c in new] if new else [],
        "left": backup_codes.codes_left(user),
        "form": form,
        "next": two_factor.safe_next(request, default="accounts:account"),
    }
    return render(request, "accounts/backup_codes.html", context)


@never_cache
@login_required
def enrolment_codes(request):
    """Admins issue set-up codes to neurologists and admins who have no authenticator (new
    users, or after a lost phone's authenticator was removed)."""
    if request.user.role != Role.ADMIN:
        raise PermissionDenied("This page is for admins only.")
    waiting = User.objects.awaiting_enrolment().order_by("last_name", "first_name", "username")
    issued = request.session.pop(ISSUED_SESSION_KEY, None)
    form = IssueForm(request.POST or None, users=waiting)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["user"]
        code = enrolment.enrolment_code_issue(user=target, actor=request.user)
        request.session[ISSUED_SESSION_KEY] = {
            "code": code,
            "name": f"{target.printed_name} ({target.get_username()})",
        }
        return redirect("accounts:enrolment_codes")
    context = {
        "users": waiting,
        "issued": issued,
        "hours": enrolment.ENROLMENT_HOURS,
        "form": form,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/enrolment_codes.html", context, status=status)


@require_GET
@login_required
def account(request):
    device = two_factor.confirmed_device(request.user)
    context = {
        "device": device,
        "backup_codes_left": backup_codes.codes_left(request.user) if device else 0,
        "is_admin": request.user.role == Role.ADMIN,
        "required": request.user.role in two_factor.ROLES_REQUIRING_SECOND_FACTOR,
        "idle_minutes": request.site_settings.session_idle_minutes,
        "max_hours": int(settings.SESSION_MAX_AGE.total_seconds() // 3600),
    }
    return render(request, "accounts/account.html", context)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view; the user's other sessions end (this one stays, under a new key)."""

    form_class = ClinicPasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form):
        response = super().form_valid(form)  # saves; update_session_auth_hash rotates the key
        user_id = self.request.user.pk
        assert user_id is not None  # signed in (login_required)
        sessions.sessions_end_for_user(
            user_id=user_id, keep_session_key=self.request.session.session_key
        )
        messages.success(
            self.request, "Your password has been changed. Your other sessions have ended."
        )
        return response
