"""The embedded SQLite database holds under 8 concurrent writers: no "database is locked".

Eight signed-in nurses, each in a thread of her own, write through the real pages at the
same time (vital signs of one patient in observation, ticks of its discharge checklist), served
by gunicorn with 2 worker processes of 4 threads each, so writers contend both across
processes and within one. Every write must be answered as a user expects (a redirect to the
trial page), none with an error, and every vital-signs set must be saved.
"""

import sqlite3
import threading
import uuid
import zoneinfo
from datetime import datetime

from django.conf import settings

from tests.ops import live

WRITERS = 8
VITALS_EACH = 3
TICK_ITEMS = ["vitals_stable", "rest_today", "no_strenuous", "warning_signs"]


def vitals_form() -> dict:
    zone = zoneinfo.ZoneInfo(settings.DEFAULT_CLINIC_TIME_ZONE)
    return {
        "submission": str(uuid.uuid4()),  # one per form load, as the page gives
        "recorded_at": datetime.now(zone).strftime("%Y-%m-%dT%H:%M"),
        "heart_rate": 72, "systolic": 124, "diastolic": 78, "respiratory_rate": 14,
        "spo2": 98, "temperature_c": "36.8", "sedation": 0, "pain": 1, "note": "",
    }  # fmt: skip


def test_eight_concurrent_writers_on_sqlite_get_no_errors(tmp_path, static_root):
    db_file = tmp_path / "demo.sqlite3"
    env = live.app_env(f"sqlite:///{db_file}", static_root)
    made = live.setup_data(env, migrate=True, nurses=WRITERS, states=["observation"], sessions=True)
    (trial,), sessions = made["trial"], made["session"]
    vitals_before = count_vitals(db_file)

    answers: list[tuple[str, int]] = []
    failures: list[str] = []
    start = threading.Barrier(WRITERS)

    def writer(n: int, base_url: str) -> None:
        try:
            browser = live.Browser(base_url, cookies={"sessionid": sessions[n]})  # signed in
            browser.get("/login/")  # the CSRF cookie, as a page load gives it
            start.wait(timeout=60)  # every writer ready: now all at once
            for _ in range(VITALS_EACH):
                answer = browser.post(f"/trials/{trial}/vitals/", vitals_form())
                answers.append(("vitals", answer.status))
            item = TICK_ITEMS[n % len(TICK_ITEMS)]  # two nurses race for each item
            answer = browser.post(f"/trials/{trial}/checklist/observation/{item}/tick/", {})
            answers.append(("tick", answer.status))
        except Exception as exc:  # reported below, with the server's log
            failures.append(f"nurse{n}: {exc!r}")

    with live.gunicorn(env, workers=2, threads=4) as (server,):
        threads = [
            threading.Thread(target=writer, args=(n, server.base_url)) for n in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        log = server.log()

    assert not failures, "\n".join(failures) + "\n" + log[-3000:]
    assert len(answers) == WRITERS * (VITALS_EACH + 1)
    errors = [a for a in answers if a[1] != 302]
    assert errors == [], log[-3000:]
    assert "database is locked" not in log

    assert count_vitals(db_file) - vitals_before == WRITERS * VITALS_EACH
    with sqlite3.connect(db_file) as db:
        (journal_mode,) = db.execute("PRAGMA journal_mode").fetchone()
        ticked = {
            row[0]
            for row in db.execute(
                "SELECT item FROM trials_checklistentry WHERE checklist = 'observation'"
            )
        }
    assert journal_mode == "wal"
    assert ticked == set(TICK_ITEMS)


def count_vitals(db_file) -> int:
    with sqlite3.connect(db_file) as db:
        return db.execute("SELECT count(*) FROM trials_vitalsigns").fetchone()[0]
