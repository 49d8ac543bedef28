"""The templates' `date` and `time` filters, safe for any stored time (issue 9).

Loaded as a builtin after Django's own filters (config/settings.py, TEMPLATES), so these replace
them in every template. Django's filters move a time to the clinic's zone first and raise when
that leaves the calendar (9999-12-31 23:59 UTC is year 10000 in Tokyo): here such a time is
formatted as stored, in UTC, and any time outside the plausible years is flagged
(core/moments.py). Every other value is formatted exactly as Django's filters do.
"""

from datetime import datetime

from django import template
from django.template import defaultfilters
from django.utils import timezone

from core import moments

register = template.Library()


def _format(django_filter, value, arg):
    if not isinstance(value, datetime) or timezone.is_naive(value):
        return django_filter(value, arg)
    if getattr(value, "convert_to_local_time", True):  # not already moved by the `utc` filter
        local, utc = moments.on_clock(value)
    else:
        local, utc = value, False
    return moments.flagged(django_filter(local, arg), local, utc=utc)


@register.filter(is_safe=False)
def date(value, arg=None):
    """`{{ vitals.recorded_at|date:"Y-m-d H:i" }}`: Django's `date`, for any stored time."""
    return _format(defaultfilters.date, value, arg)


@register.filter(is_safe=False)
def time(value, arg=None):
    """`{{ slot.due_at|time:"H:i" }}`: Django's `time`, for any stored time."""
    return _format(defaultfilters.time, value, arg)
