"""Stored times shown and counted safely, whatever the database holds (issue 9).

The forms and services accept only plausible times (years 2000 to 2100), but a legacy import, a
restore or a hand edit can store any value the column holds: 0001-01-01 00:00 UTC is still 31
December of year 0 in New York, 9999-12-31 23:59 UTC already year 10000 in Tokyo, and neither
exists in Python. Every page reads its times through here (the templates' `date` and `time`
filters too, trials/templatetags/stored_times.py), so such a value is shown as stored, in UTC
and flagged, and arithmetic on it stops at the calendar's end instead of raising.
"""

from datetime import UTC, date, datetime, timedelta, tzinfo

from django.utils import timezone

# Outside these years a time or day of this app is a typing or import error, shown flagged
# (the forms refuse it: trials/fields.py).
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
FLAG = "(implausible date)"
# The calendar's ends, where arithmetic on a stored time stops (Python has no year 0 or 10000).
FIRST = datetime(1, 1, 1, tzinfo=UTC)
LAST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
# The times every zone's clock can show (no zone is a day away from UTC).
EVERY_CLOCK = (FIRST + timedelta(days=1), LAST - timedelta(days=1))


def clinic_time(when: datetime, zone: tzinfo | None = None) -> datetime:
    """`when` on the clinic's clock (the active zone, or `zone`), or in UTC where that clock
    would leave the calendar (year 0 or 10000)."""
    return on_clock(when, zone)[0]


def on_clock(when: datetime, zone: tzinfo | None = None) -> tuple[datetime, bool]:
    """(the time on the clinic's clock, False) or (the time in UTC, True)."""
    try:
        return timezone.localtime(when, zone), False
    except OverflowError:
        return when.astimezone(UTC), True


def plausible(value: date | None) -> bool:
    return value is None or EARLIEST_YEAR <= value.year <= LATEST_YEAR


def shown(when: datetime | None, *, empty: str = "–") -> str:
    """ "2026-12-01 14:58" on the clinic's clock; a time it cannot show as stored, in UTC and
    flagged: "9999-12-31 23:59 UTC (implausible date)"."""
    if when is None:
        return empty
    local, utc = on_clock(when)
    text = local.replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")
    return flagged(text, local, utc=utc)


def flagged(text: str, value: date, *, utc: bool = False) -> str:
    """`text` (a formatted time or day) with " UTC" when it was left in UTC and the flag when
    its year is not plausible."""
    if utc:
        text = f"{text} UTC"
    return text if plausible(value) else f"{text} {FLAG}"


def local_day(when: datetime) -> date:
    """The clinic's calendar day of `when` (the UTC day where the clinic's clock cannot say)."""
    return clinic_time(when).date()


def later(when: datetime, delta: timedelta) -> datetime:
    """when + delta, or the first or last moment of the calendar where the sum would leave it."""
    try:
        return when + delta
    except OverflowError:
        return LAST if delta > timedelta(0) else FIRST
