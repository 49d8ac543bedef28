"""Sign-ins, failed sign-ins and sign-outs go into the audit trail.

Django sends these signals from its own login and logout (django-axes and django-otp keep
sending them). A failed sign-in keeps the username that was tried, never the password.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.services import audit_record

USERNAME_KEEP = 150


def _client(request) -> dict:
    if request is None:
        return {}
    return {"ip": request.META.get("REMOTE_ADDR", ""), "path": request.path[:200]}


@receiver(user_logged_in, dispatch_uid="audit_login")
def record_login(sender, request, user, **kwargs):
    audit_record(
        actor=user,
        action="login",
        obj=user,
        summary=f"Signed in: {user.printed_name} ({user.get_username()})",
        new={"username": user.get_username()} | _client(request),
    )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def record_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:USERNAME_KEEP]
    audit_record(
        actor=None,
        actor_name="anonymous",
        action="login_failed",
        summary=f"Failed sign-in for username “{username[:60]}”",
        new={"username": username} | _client(request),
    )


@receiver(user_logged_out, dispatch_uid="audit_logout")
def record_logout(sender, request, user, **kwargs):
    if user is None:
        return  # signing out when not signed in
    audit_record(
        actor=user,
        action="logout",
        obj=user,
        summary=f"Signed out: {user.printed_name} ({user.get_username()})",
        new=_client(request),
    )
