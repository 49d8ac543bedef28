"""The templates' `date` and `time` filters write the numeric formats themselves, exactly as
Django's own filters write them (trials/templatetags/stored_times.py): any day of the calendar,
any time, naive or with a zone, and every other value or format left to Django."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.template import defaultfilters
from hypothesis import given, settings
from hypothesis import strategies as st

from trials.templatetags import stored_times

FORMATS = sorted(stored_times.NUMERIC)
ZONES = st.sampled_from([None, UTC, ZoneInfo("America/New_York"), timezone(timedelta(hours=14))])


@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(timezones=ZONES), form=st.sampled_from(FORMATS))
def test_a_time_is_written_as_djangos_date_filter_writes_it(moment, form):
    assert stored_times._written(defaultfilters.date, moment, form) == defaultfilters.date(
        moment, form
    )


@settings(max_examples=100, deadline=None)
@given(moment=st.datetimes(timezones=ZONES), form=st.sampled_from(sorted(stored_times.TIME_ONLY)))
def test_a_time_of_day_is_written_as_djangos_time_filter_writes_it(moment, form):
    assert stored_times._written(defaultfilters.time, moment, form) == defaultfilters.time(
        moment, form
    )


@settings(max_examples=100, deadline=None)
@given(day=st.dates())
def test_a_day_is_written_as_django_writes_it(day):
    assert stored_times._written(defaultfilters.date, day, "Y-m-d") == defaultfilters.date(
        day, "Y-m-d"
    )


@pytest.mark.parametrize(
    ("value", "form"),
    [
        (date(2026, 12, 7), "H:i"),  # a day has no time: Django's answer, whatever it is
        (date(2026, 12, 7), "Y-m-d H:i"),
        (datetime(2026, 12, 7, 9, 5), "d M H:i"),  # month names are Django's (translated)
        (None, "Y-m-d"),
        ("", "Y-m-d"),
        ("2026-12-07", "Y-m-d"),
        (datetime(2026, 12, 7, 9, 5), None),  # the site's default format
    ],
)
def test_every_other_value_or_format_is_left_to_django(value, form):
    assert answer(stored_times._written, defaultfilters.date, value, form) == answer(
        lambda django_filter, *args: django_filter(*args), defaultfilters.date, value, form
    )


def answer(write, *args) -> str:
    """The text written, or the error raised (Django refuses a time format for a day)."""
    try:
        return write(*args)
    except TypeError as refused:
        return f"refused: {refused}"


def test_the_time_filter_leaves_a_day_format_to_django():
    moment = datetime(2026, 12, 7, 9, 5, tzinfo=UTC)

    assert stored_times._written(defaultfilters.time, moment, "Y-m-d") == defaultfilters.time(
        moment, "Y-m-d"
    )
