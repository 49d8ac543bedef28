"""Small helpers for driving the pages: form values as a browser sends them, pieces of HTML."""

import re
import uuid
import zoneinfo
from datetime import datetime, timedelta

from django.utils import timezone

from trials.models import SiteSettings

HTMX = {"HTTP_HX_REQUEST": "true"}  # the header htmx sends with an in-place request
# A preparation item nurses and neurologists may both tick, and its label as the page shows it.
ITEM = "no_infection"
LABEL = "No active infection, MS exacerbation, urinary tract infection or non-healing wound"


def local(moment: datetime) -> str:
    """A datetime-local input value, in the clinic's zone (the zone the forms parse in)."""
    zone = zoneinfo.ZoneInfo(SiteSettings.current().time_zone)
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def vitals_post(at: datetime | None = None, **overrides) -> dict:
    """A vital-signs form as the page sends it, with its own submission id."""
    return {
        "submission": str(uuid.uuid4()),
        "recorded_at": local(at or timezone.now()),
        "heart_rate": 72, "systolic": 124, "diastolic": 78, "respiratory_rate": 14,
        "spo2": 98, "temperature_c": "36.8", "sedation": 0, "pain": 1, "note": "",
    } | overrides  # fmt: skip


def injection_post(nurse, *, dose_mcg: int, password: str, given_at=None) -> dict:
    given_at = given_at or timezone.now() - timedelta(minutes=5)
    return {
        "spinal_level": "L3-L4", "needle_type": "pencil_point", "needle_gauge": 22,
        "clear_csf": "true", "passes": 1, "image_guidance": "false", "radiologist": "",
        "product": "lioresal", "concentration_mcg_ml": "50", "lot": "LOT-2291",
        "expiry": (given_at + timedelta(days=365)).date().isoformat(),
        "given_at": local(given_at), "duration_seconds": 90, "discarded_mcg": "0",
        "assisting_nurse": nurse.pk, "dose_mcg": dose_mcg, "password": password,
    }  # fmt: skip


def html(response) -> str:
    return response.content.decode()


def element(page: str, tag: str, marker: str) -> str:
    """The first <tag ...marker...>…</tag> (tags that do not nest in themselves: li, tr)."""
    found = re.search(rf"<{tag}\b[^>]*{re.escape(marker)}[^>]*>.*?</{tag}>", page, re.S)
    assert found, f"No <{tag}> with {marker} in the page."
    return found.group(0)


def section(page: str, start: str, next_start: str) -> str:
    """From the marker `start` up to the next `next_start` (or the end of the page)."""
    assert start in page, f"{start} is not in the page."
    rest = page.split(start, 1)[1]
    return rest.split(next_start, 1)[0]
