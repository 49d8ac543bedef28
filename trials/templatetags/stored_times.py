"""The templates' `date` and `time` filters, safe for any stored time (issue 9).

Loaded as a builtin after Django's own filters (config/settings.py, TEMPLATES), so these replace
them in every template. Django's filters move a time to the clinic's zone first and raise when
that leaves the calendar (9999-12-31 23:59 UTC is year 10000 in Tokyo): here such a time is
formatted as stored, in UTC, and any time outside the plausible years is flagged
(core/moments.py). Every other value is formatted exactly as Django's filters do.
"""

from datetime import date as Date
from datetime import datetime

from django import template
from django.template import defaultfilters
from django.utils import timezone

from core import moments

register = template.Library()


# The formats of the templates made of numbers only (no day or month names, which Django
# translates): written here as Django writes them (`Y` is four digits, zero-padded, as in
# django.utils.dateformat), without its lookup of the format and the language on every call,
# which cost the lists most of their rendering. tests/trials/test_stored_times.py compares them.
NUMERIC = {
    "Y-m-d": "{0.year:04d}-{0.month:02d}-{0.day:02d}",
    "H:i": "{0.hour:02d}:{0.minute:02d}",
    "H:i:s": "{0.hour:02d}:{0.minute:02d}:{0.second:02d}",
    "Y-m-d H:i": "{0.year:04d}-{0.month:02d}-{0.day:02d} {0.hour:02d}:{0.minute:02d}",
    "Y-m-d H:i:s": (
        "{0.year:04d}-{0.month:02d}-{0.day:02d} {0.hour:02d}:{0.minute:02d}:{0.second:02d}"
    ),
}
TIME_ONLY = {"H:i", "H:i:s"}  # what the `time` filter also takes


def _written(django_filter, value, arg):
    """What `django_filter` writes for `value`; the numeric formats written here directly."""
    numeric = NUMERIC.get(arg) if isinstance(arg, str) else None
    if numeric is not None and isinstance(value, datetime):
        if django_filter is defaultfilters.date or arg in TIME_ONLY:
            return numeric.format(value)
    elif (
        numeric
        and arg == "Y-m-d"
        and isinstance(value, Date)
        and django_filter is defaultfilters.date
    ):
        return numeric.format(value)
    return django_filter(value, arg)


def _format(django_filter, value, arg):
    if not isinstance(value, datetime) or timezone.is_naive(value):
        return _written(django_filter, value, arg)
    if getattr(value, "convert_to_local_time", True):  # not already moved by the `utc` filter
        local, utc = moments.on_clock(value)
    else:
        local, utc = value, False
    return moments.flagged(_written(django_filter, local, arg), local, utc=utc)


@register.filter(is_safe=False)
def date(value, arg=None):
    """`{{ vitals.recorded_at|date:"Y-m-d H:i" }}`: Django's `date`, for any stored time."""
    return _format(defaultfilters.date, value, arg)


@register.filter(is_safe=False)
def time(value, arg=None):
    """`{{ slot.due_at|time:"H:i" }}`: Django's `time`, for any stored time."""
    return _format(defaultfilters.time, value, arg)
