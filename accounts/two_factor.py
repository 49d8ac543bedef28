"""Who needs a second factor, and what a signed-in user still has to do for it.

Neurologists and admins sign off clinical steps and manage the site: an authenticator code
(TOTP, django-otp) is required for them. A nurse may add an authenticator; from then on it is
required for her too. `pending_step()` is the one rule the sign-in page and
SecondFactorMiddleware both follow.
"""

import base64
import io

from django.http import QueryDict
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from accounts.models import Role

ROLES_REQUIRING_SECOND_FACTOR = frozenset({Role.NEUROLOGIST, Role.ADMIN})
DEVICE_NAME = "Authenticator app"

VERIFY = "accounts:verify"
SETUP = "accounts:setup"
ENROL = "accounts:enrol"
BACKUP_CODES = "accounts:backup_codes"


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def session_passed(request) -> bool:
    """Whether this session has passed the second factor: django_otp.login() wrote the device
    into it. Read from the server-side session, without loading the device on every request as
    django-otp's OTPMiddleware and user.is_verified() do; instead, removing an authenticator
    ends its user's sessions (accounts/signals.py)."""
    return DEVICE_ID_SESSION_KEY in request.session


def pending_step(user) -> str | None:
    """The URL name of the step this signed-in, not yet verified user must take, or None.

    VERIFY when the user has an authenticator, SETUP when their role needs one and they have
    none, None when nothing is required (a nurse without an authenticator)."""
    if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        return VERIFY
    if user.role in ROLES_REQUIRING_SECOND_FACTOR:
        return SETUP
    return None


def needs_enrolment(user) -> bool:
    """A neurologist or admin without an authenticator: adding one takes a set-up code from an
    admin (accounts/enrolment.py). A nurse may add one with her password alone."""
    return user.role in ROLES_REQUIRING_SECOND_FACTOR and confirmed_device(user) is None


def with_next(url: str, next_url: str) -> str:
    """url?next=next_url, written as Django's redirect_to_login writes it."""
    if not next_url:
        return url
    query = QueryDict(mutable=True)
    query["next"] = next_url
    return f"{url}?{query.urlencode(safe='/')}"


def step_url(step: str, next_url: str = "") -> str:
    return with_next(reverse(step), next_url)


def safe_next(request, default: str = "home") -> str:
    """The ?next= (or posted next) URL when it stays on this site, else the default page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(default)


def unconfirmed_device(user) -> TOTPDevice:
    """The authenticator being set up: the same key until it is confirmed, so reloading the
    page does not invalidate a key already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def base32_key(device: TOTPDevice) -> str:
    """The key as an authenticator app asks for it: base32, in groups of four."""
    key = base64.b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_code_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI for an <img> (the CSP allows data: images; no inline SVG,
    script or style needed)."""
    out = io.BytesIO()
    write_qrcode_image(text, out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()
