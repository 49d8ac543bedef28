"""Sign-in bookkeeping on Django's own signals, so every way in (the sign-in page, the Django
admin's, a test's force_login) and every way of changing a user or an authenticator (the pages,
the Django admin, a script) gets it: the session limits start at sign-in, the second factor is
asked for again, and deactivating a user or removing their authenticator ends their sessions at
once."""

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.sessions import session_start, sessions_end_for_user


@receiver(user_logged_in, dispatch_uid="accounts_session_start")
def _start_session_limits(sender, request, user, **kwargs):
    if request is None:
        return
    session_start(request.session, timezone.now())
    # A password sign-in, even into a session that had passed the second factor, asks for the
    # code again (django-otp's own receiver keeps a device that an OTP login form verified).
    if getattr(user, "otp_device", None) is None:
        request.session.pop(DEVICE_ID_SESSION_KEY, None)


@receiver(post_save, sender=User, dispatch_uid="accounts_end_sessions_of_inactive_user")
def _end_sessions_of_inactive_user(sender, instance: User, **kwargs):
    # Whatever saved the user (the Django admin, a script): an inactive user has no session.
    if not instance.is_active:
        sessions_end_for_user(user_id=instance.pk)


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="accounts_end_sessions_of_removed_device")
def _end_sessions_verified_by_removed_device(sender, instance: TOTPDevice, **kwargs):
    # A session that passed the second factor counts as passed for as long as it lasts
    # (accounts.two_factor.session_passed); removing the authenticator (a lost phone) ends them.
    if instance.confirmed:
        sessions_end_for_user(user_id=instance.user_id)
