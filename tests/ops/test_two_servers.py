"""Scale out: two app servers on different ports, one PostgreSQL database, one Redis, no state of
their own. Requests alternate between the two servers, as a load balancer would send them.

What a user relies on: signed in through one server, she is signed in through the other (and
signing out through either ends it on both); what she records through one appears on the pages
served by the other; the dashboard's figures cached by one are the other's too, and a change
made through either is seen on the next view through both.
"""

import re
import uuid
import zoneinfo
from datetime import datetime

import redis
from django.conf import settings

from tests.ops import live


def clinic_now() -> datetime:
    return datetime.now(zoneinfo.ZoneInfo(settings.DEFAULT_CLINIC_TIME_ZONE))


def board_row(html: str, trial: int) -> str:
    found = re.search(rf'<tr class="([^"]*)" data-trial="{trial}">', html)
    assert found, f"trial {trial} is not on the ward board"
    return found[1]


def dashboard_total(html: str) -> int:
    found = re.search(r">(\d+) trials?</a>", html)
    assert found, "the dashboard shows no total"
    return int(found[1])


def figure_keys(site) -> tuple[redis.Redis, list[bytes]]:
    client = redis.Redis.from_url(site.env["REDIS_URL"])
    prefix = site.env["DJANGO_CACHE_KEY_PREFIX"]
    return client, sorted(client.scan_iter(match=f"{prefix}:*outcomes:figures:*"))


def test_two_app_servers_share_sessions_records_and_the_dashboard_cache(pg_site):
    observed, *_ = pg_site.trials
    (patient,) = pg_site.patients
    with live.gunicorn(pg_site.env, count=2) as (one, two):
        neurologist = live.Browser(one.base_url)
        neurologist.sign_in("neuro", code=live.totp_code())  # password and code through one
        neurologist.base_url = two.base_url
        assert neurologist.get("/trials/board/").status == 200  # signed in through two

        nurse = live.Browser(two.base_url)
        nurse.sign_in("nurse0")  # through two
        nurse.base_url = one.base_url
        tick = nurse.post(f"/trials/{observed}/checklist/observation/rest_today/tick/", {})
        assert tick.status == 302  # through one
        nurse.base_url = two.base_url
        trial_page = nurse.get(f"/trials/{observed}/")  # through two
        assert f"/trials/{observed}/checklist/observation/rest_today/untick/" in trial_page.text

        assert "severe" not in board_row(neurologist.get("/trials/board/").text, observed)
        event = {
            "submission": str(uuid.uuid4()), "attempt_number": 1,
            "kind": "headache", "severity": "severe",
            "onset_at": clinic_now().strftime("%Y-%m-%dT%H:%M"),
            "action_taken": "", "resolution": "", "resolved_at": "",
        }  # fmt: skip
        nurse.base_url = one.base_url
        assert nurse.post(f"/trials/{observed}/adverse-events/new/", event).status == 302
        assert "severe" in board_row(neurologist.get("/trials/board/").text, observed)

        total = dashboard_total(neurologist.get("/trials/outcomes/").text)  # computed by two
        cache, keys = figure_keys(pg_site)
        assert len(keys) == 1, "the figures are cached in Redis"
        left = cache.pttl(keys[0])
        neurologist.base_url = one.base_url
        assert dashboard_total(neurologist.get("/trials/outcomes/").text) == total
        assert cache.pttl(keys[0]) <= left, "one read the figures two cached, not its own"

        trial = {
            "referred_on": clinic_now().date().isoformat(),
            "referred_by": "Dr Okafor", "indication": "Spasticity", "goals": "Walking",
        }  # fmt: skip
        assert neurologist.post(f"/trials/start/{patient}/", trial).status == 302  # through one
        neurologist.base_url = two.base_url
        assert dashboard_total(neurologist.get("/trials/outcomes/").text) == total + 1
        assert len(figure_keys(pg_site)[1]) == 2  # new figures, under the newest change

        assert neurologist.post("/logout/").status == 302  # through two
        neurologist.base_url = one.base_url
        assert neurologist.get("/trials/board/").location.startswith("/login/")
        logs = one.log() + two.log()
    assert "Traceback" not in logs, logs[-3000:]
