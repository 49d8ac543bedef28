"""Error reports (SENTRY_DSN) carry what failed and where, never patient data: no request body,
cookie, query string, unlisted header, client address, local variable or breadcrumb value."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from ops.sentry import scrub_event

ROOT = Path(__file__).resolve().parents[2]


def event() -> dict:
    """An event as Sentry's Django integration builds it for a failed form post."""
    return {
        "level": "error",
        "request": {
            "url": "https://itb.example-hospital.org/patients/?q=Okafor",
            "method": "POST",
            "query_string": "q=Okafor",
            "data": {"first_name": "Grace", "last_name": "Okafor", "mrn": "MRN-4471"},
            "cookies": {"sessionid": "abc123", "csrftoken": "def456"},
            "headers": {
                "User-Agent": "Mozilla/5.0",
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": "sessionid=abc123",
                "Referer": "https://itb.example-hospital.org/patients/12/?q=Okafor",
                "X-Request-ID": "ward-3f2a9c1b",
                "Authorization": "Basic c2VjcmV0",
            },
            "env": {"REMOTE_ADDR": "10.2.3.4", "SERVER_NAME": "itb"},
        },
        "user": {"id": "7", "username": "nadia", "email": "nadia@example.org"},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "stacktrace": {
                        "frames": [
                            {"function": "patient_create", "vars": {"patient": "Grace Okafor"}}
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {
                    "category": "query",
                    "message": "SELECT … WHERE mrn = %s",
                    "data": {"params": ["MRN-4471"]},
                }
            ]
        },
    }


def test_the_scrubber_leaves_no_patient_data_in_an_event():
    scrubbed = scrub_event(event(), {})

    text = json.dumps(scrubbed)
    for secret in ("Okafor", "Grace", "MRN-4471", "abc123", "10.2.3.4", "nadia", "c2VjcmV0"):
        assert secret not in text, secret


def test_the_scrubber_keeps_what_says_where_it_failed():
    scrubbed = scrub_event(event(), {})

    request = scrubbed["request"]
    assert request["url"] == "https://itb.example-hospital.org/patients/"
    assert request["method"] == "POST"
    assert request["headers"] == {
        "User-Agent": "Mozilla/5.0",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Request-ID": "ward-3f2a9c1b",
    }
    assert scrubbed["user"] == {"id": "7"}
    assert scrubbed["exception"]["values"][0]["stacktrace"]["frames"] == [
        {"function": "patient_create"}
    ]
    assert scrubbed["breadcrumbs"]["values"][0]["message"] == "SELECT … WHERE mrn = %s"


def test_the_scrubber_takes_an_event_without_a_request():
    assert scrub_event({"level": "error", "message": "worker timeout"}, {}) == {
        "level": "error",
        "message": "worker timeout",
    }


def test_sentry_dsn_turns_reporting_on_without_personal_data():
    code = (
        "import json, django, sentry_sdk; django.setup(); "
        "o = sentry_sdk.get_client().options; "
        "print(json.dumps({'dsn': o['dsn'], 'pii': o['send_default_pii'], "
        "'locals': o['include_local_variables'], "
        "'scrub': o['before_send'].__module__ + '.' + o['before_send'].__name__}))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SENTRY_"))}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=base
        | {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": "postgres://itb@127.0.0.1:5432/itb",
            "SENTRY_DSN": "https://public@sentry.example-hospital.org/3",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    options = json.loads(done.stdout.strip().splitlines()[-1])
    assert options == {
        "dsn": "https://public@sentry.example-hospital.org/3",
        "pii": False,
        "locals": False,
        "scrub": "ops.sentry.scrub_event",
    }
