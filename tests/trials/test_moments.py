"""A stored time the clinic's clock cannot show is shown as stored, in UTC and flagged; one the
clock can show is shown as before; arithmetic stops at the calendar's ends (issue 9)."""

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from core import moments

NEW_YORK, TOKYO = zoneinfo.ZoneInfo("America/New_York"), zoneinfo.ZoneInfo("Asia/Tokyo")
YEAR_1 = datetime(1, 1, 1, tzinfo=UTC)
YEAR_9999 = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
FLAGGED = "UTC (implausible date)"


@pytest.mark.parametrize(
    ("when", "zone", "text"),
    [
        (datetime(2026, 12, 1, 19, 58, tzinfo=UTC), NEW_YORK, "2026-12-01 14:58"),
        (YEAR_1, NEW_YORK, "0001-01-01 00:00 UTC (implausible date)"),
        (YEAR_9999, TOKYO, "9999-12-31 23:59 UTC (implausible date)"),
        (YEAR_9999, NEW_YORK, "9999-12-31 18:59 (implausible date)"),
        (datetime(1970, 1, 1, tzinfo=UTC), UTC, "1970-01-01 00:00 (implausible date)"),
    ],
)
def test_a_time_is_shown_on_the_clinics_clock_or_as_stored(when, zone, text):
    with timezone.override(zone):
        assert moments.shown(when) == text


@pytest.mark.parametrize(
    ("when", "zone", "text"),
    [
        (datetime(2026, 12, 1, 19, 58, tzinfo=UTC), NEW_YORK, "2026-12-01 14:58 · 14:58"),
        (YEAR_1, NEW_YORK, f"0001-01-01 00:00 {FLAGGED} · 00:00 {FLAGGED}"),
        (YEAR_9999, TOKYO, f"9999-12-31 23:59 {FLAGGED} · 23:59 {FLAGGED}"),
    ],
)
def test_the_templates_date_and_time_filters_show_any_stored_time(when, zone, text):
    template = Template('{{ when|date:"Y-m-d H:i" }} · {{ when|time:"H:i" }}')
    with timezone.override(zone):
        assert template.render(Context({"when": when})) == text


def test_the_utc_filter_still_shows_utc():
    template = Template('{% load tz %}{{ when|utc|date:"Y-m-d H:i" }}')
    with timezone.override(TOKYO):
        assert (
            template.render(Context({"when": YEAR_9999})) == "9999-12-31 23:59 (implausible date)"
        )


def test_arithmetic_stops_at_the_calendars_ends():
    assert moments.later(YEAR_9999, timedelta(hours=24)) == moments.LAST
    assert moments.later(YEAR_1, -timedelta(minutes=1)) == moments.FIRST
    start = datetime(2026, 12, 1, tzinfo=UTC)
    assert moments.later(start, timedelta(hours=2)) == datetime(2026, 12, 1, 2, tzinfo=UTC)
