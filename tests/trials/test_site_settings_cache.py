"""Each process keeps the site settings it read for a few seconds (trials/models/site.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trials.models import SiteSettings
from trials.models import site as site_settings


@pytest.fixture
def clock(monkeypatch):
    """The cache's clock, moved by hand; the cache keeps a copy for 5 s as in production."""
    now = [1000.0]
    monkeypatch.setattr(site_settings, "_clock", lambda: now[0])
    monkeypatch.setattr(site_settings, "CACHE_SECONDS", 5.0)

    def move(seconds: float) -> None:
        now[0] += seconds

    return move


def reads(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def test_settings_are_read_once_for_a_few_seconds(db, clock):
    SiteSettings.current()
    clock(4.9)
    assert reads(SiteSettings.current) == 0
    clock(0.2)
    assert reads(SiteSettings.current) == 1


def test_a_change_saved_in_this_process_is_seen_at_once(db, clock):
    site = SiteSettings.current()
    site.late_entry_minutes = 120
    site.save()
    assert SiteSettings.current().late_entry_minutes == 120


def test_a_change_made_elsewhere_is_seen_within_the_cache_seconds(db, clock):
    SiteSettings.current()
    SiteSettings.objects.filter(pk=1).update(time_zone="Asia/Tokyo")  # another app server
    assert SiteSettings.current().time_zone != "Asia/Tokyo"
    clock(5)
    assert SiteSettings.current().time_zone == "Asia/Tokyo"


def test_each_reader_gets_its_own_copy(db, clock):
    mine = SiteSettings.current()
    mine.fasting_hours = 12  # a form's unsaved, perhaps invalid input
    assert SiteSettings.current().fasting_hours == 6


def test_the_settings_page_edits_the_row_as_stored(db, clock):
    SiteSettings.current()
    SiteSettings.objects.filter(pk=1).update(fasting_hours=8)
    assert SiteSettings.fresh().fasting_hours == 8
