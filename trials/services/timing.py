"""The time rules of DOMAIN §2a, checked by the services under the trial's lock.

Every clinical entry has the time it happened (what the user says) and the time it was entered
(the server's clock). A time may not lie in the future nor before what it depends on; an entry
made longer than the site's threshold after the event is a late entry and needs a reason.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from core import moments
from core.errors import ProtocolError
from trials.models import SiteSettings

# A clock on a ward PC may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)
# Nothing clinical in this app happened before this; earlier is a typing error (year 1 or 0202).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def clinic_day(clinic_zone: str, when: datetime | None = None) -> date:
    """The calendar day at the clinic at `when` (now by default), whichever zone this code runs
    in: a product's expiry and a patient's age are judged on the clinic's calendar."""
    return moments.clinic_time(when or timezone.now(), ZoneInfo(clinic_zone)).date()


def shown(when: datetime) -> str:
    return moments.shown(when)


def check_time(
    when: datetime,
    *,
    what: str,
    after: Iterable[tuple[datetime | None, str]] = (),
    now: datetime | None = None,
) -> None:
    """Refuse a time in the future, implausibly old, or before any of `after` (time, what)."""
    now = now or timezone.now()
    if when > now + CLOCK_SKEW:
        raise ProtocolError(f"The time of the {what} ({shown(when)}) is in the future.")
    if when < EARLIEST:
        raise ProtocolError(f"The time of the {what} ({when:%Y-%m-%d}) is not a plausible date.")
    # Times are typed to the minute: what happened in the same minute as what it depends on
    # (the pre-dose vital signs in the minute the attempt was planned) is not "before" it.
    problems = [
        f"The {what} cannot be before {label} ({shown(earlier)})."
        for earlier, label in after
        if earlier is not None and when < earlier.replace(second=0, microsecond=0)
    ]
    if problems:
        raise ProtocolError(*problems)


# The calendar days of a trial (referral, follow-up) share the clinical times' plausible years.
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def check_day(
    day: date | None,
    *,
    what: str,
    future: bool,
    after: Iterable[tuple[date | None, str]] = (),
) -> None:
    """Refuse an implausible day, a day in the future (unless `future`), or one before any of
    `after` (day, what): a referral before the patient was born is a typing error. "The future"
    is after today on the clinic's calendar, whichever zone this code runs in (a request runs in
    the clinic's; a command or a script in the server's, UTC, a day ahead of a clinic in New York
    every evening)."""
    if day is None:
        return
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ProtocolError(f"The {what} ({day:%Y-%m-%d}) is not a plausible date.")
    if not future and day > clinic_day(SiteSettings.current().time_zone):
        raise ProtocolError(f"The {what} ({day:%Y-%m-%d}) is in the future.")
    problems = [
        f"The {what} ({day:%Y-%m-%d}) cannot be before {label} ({earlier:%Y-%m-%d})."
        for earlier, label in after
        if earlier is not None and day < earlier
    ]
    if problems:
        raise ProtocolError(*problems)


def late_reason(
    when: datetime, reason: str, *, threshold_minutes: int, what: str, now: datetime | None = None
) -> str:
    """The reason to keep with the entry: required, and kept, only when the entry is late."""
    now = now or timezone.now()
    delay = now - when
    if delay <= timedelta(minutes=threshold_minutes):
        return ""
    reason = (reason or "").strip()
    if not reason:
        raise ProtocolError(
            f"The {what} happened {_delay(delay)} ago ({shown(when)}): this is a late entry. "
            "Say why it is entered late; it will be marked as a late entry with your name and "
            "the time you enter it."
        )
    return reason


def _delay(delay: timedelta) -> str:
    minutes = int(delay.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours >= 48:
        return f"{hours // 24} days"
    if hours:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{rest} min"
