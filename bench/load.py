"""The load of issue 12 (`make bench-load`): simulated users on 2 cores, per-endpoint latency,
errors and lost writes. A benchmark, not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.load

1. The database itb_bench_<BENCH_LOAD_PATIENTS> (default 2000 patients; BENCH_DB_PREFIX and
   BENCH_KEEP as for bench/bench.py) is built if missing, then copied to <that name>_load for
   this run, so every run starts from the same data (the copy is dropped afterwards unless
   BENCH_KEEP=1).
2. In a child process (bench.settings, DEBUG off) the copy gets its simulated users: each one
   its own account (load_nurse_01 …, load_neurologist_01 …, load_admin_01 …; neurologists and
   admins with a confirmed authenticator) signed in with the second factor passed as the tests
   do (bench.bench.sign_in), each with its own session cookie. It also gets the patients the
   load writes to: trials in observation, their dose given 10 hours ago (the real services via
   trials/scenarios.py), so a post-dose score is never refused for a scheduled time already
   taken; each nurse owns one nurse item of one of those trials' observation checklist.
3. gunicorn serves the copy as production does (gunicorn.conf.py: 2 × cores + 1 sync workers
   unless GUNICORN_WORKERS says otherwise; no access log), and BENCH_LOAD_USERS
   (nurses,neurologists,admins; default 25,15,10) threads act for BENCH_LOAD_SECONDS (default
   120), starting over the first 10 s, each waiting 0.5–1.5 × BENCH_LOAD_THINK seconds
   (default 5) between its actions, through the pages as a browser does (cookies, the CSRF
   token of the page, the form's own submission id and time, redirects followed):
   - nurses poll the ward board (htmx, as its 30 s refresh), open their patient's trial page
     and tick or untick their item on it (htmx), and record vital signs (form, then save);
   - neurologists open their worklist and trial pages, and score spasticity (form, then save);
   - admins open the outcomes dashboard and the trials list.
4. Afterwards a child process counts in the database what each user's saves left there: the
   vital signs and scores recorded by that user and found by the submission ids it saved, the
   tick and untick audit rows by that user, and the state of each nurse's item.

Prints per endpoint: requests, p50, p95, max and errors (an unexpected status or no answer
within 60 s), with issue 12's targets (p95 ≤ 500 ms for every endpoint, 0 errors, 0 lost
writes), and writes the tables into bench/RESULTS.md (section bench:load).
"""

import http.client
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import bench  # noqa: E402

PATIENTS = int(os.environ.get("BENCH_LOAD_PATIENTS", "2000"))
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "120"))
THINK = float(os.environ.get("BENCH_LOAD_THINK", "5"))
RAMP = 10  # seconds over which the users start
TIMEOUT = 60
COUNTS = dict(
    zip(
        ("nurse", "neurologist", "admin"),
        (int(n) for n in os.environ.get("BENCH_LOAD_USERS", "25,15,10").split(",")),
        strict=True,
    )
)
PORT = bench.PORT + 2 if bench.PORT else 0  # 0: a free one (the server's, once started)
NURSE_ITEMS = 4  # nurse items of the observation checklist (checked in prepare_here)
TARGET_P95_MS = 500
# As gunicorn.conf.py decides it.
WORKERS = int(os.environ.get("GUNICORN_WORKERS") or (os.cpu_count() or 1) * 2 + 1)


# --- Inside the copy (a child process with bench.settings) -----------------------------------


def prepare_here() -> None:
    """Users, sessions and the trials the load writes to; print JSON."""
    import django

    django.setup()
    from datetime import date, timedelta

    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from patients.models import Patient
    from trials import procedure, scenarios
    from trials.demo.users import DEMO_PASSWORD
    from trials.models import Trial
    from trials.services import workflow

    items = [i.key for i in procedure.OBSERVATION.items if procedure.NURSE in i.roles]
    assert len(items) == NURSE_ITEMS, items
    team = scenarios.Team(
        nurse=User.objects.get(username="nurse"),
        neurologist=User.objects.get(username="neurologist"),
        password=DEMO_PASSWORD,
    )
    now = timezone.now()
    observed = []
    for i in range(math.ceil(COUNTS["nurse"] / NURSE_ITEMS) or 1):
        patient = Patient.objects.create(
            mrn=f"LOAD{i + 1:04d}", first_name="Load", last_name=f"Patient {i + 1}",
            date_of_birth=date(1980, 1, 1), sex="female", weight_kg=70, diagnosis="ms",
        )  # fmt: skip
        with scenarios.clock(now - timedelta(hours=12)):
            trial = workflow.trial_create(
                patient=patient, actor=team.nurse,
                referred_on=(now - timedelta(days=30)).date(),
                indication="Load benchmark", goals="Sit longer\nSleep through the night",
            )  # fmt: skip
        scenarios.prepare(trial, team, at=now - timedelta(hours=11))
        scenarios.inject(trial, team, given_at=now - timedelta(hours=10))
        observed.append(trial.pk)

    users = []
    for role, count in COUNTS.items():
        for n in range(1, count + 1):
            user = User.objects.create_user(
                f"load_{role}_{n:02d}", role=role, first_name="Load", last_name=f"{role} {n}"
            )
            if role != "nurse":
                TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
            client = bench.sign_in(Client(), user)
            entry = {"username": user.username, "role": role,
                     "session": client.cookies["sessionid"].value}  # fmt: skip
            if role == "nurse":
                k = n - 1
                entry["item"] = [observed[k // NURSE_ITEMS], items[k % NURSE_ITEMS]]
            users.append(entry)

    others = list(
        Trial.objects.exclude(pk__in=observed).order_by("-pk").values_list("pk", flat=True)[:30]
    )
    print(
        json.dumps({
            "users": users,
            "observed": observed,
            "others": others,
            "paths": {
                "board": reverse("trials:board"),
                "worklist": reverse("trials:worklist"),
                "list": reverse("trials:list"),
                "dashboard": reverse("trials:outcomes"),
                "trial": reverse("trials:detail", args=[0]),
                "vitals": reverse("trials:vitals", args=[0]),
                "assessment": reverse("trials:assessment", args=[0]),
                "tick": reverse("trials:tick", args=[0, "observation", "ITEM"]),
                "untick": reverse("trials:untick", args=[0, "observation", "ITEM"]),
            },
            "lower_limb": list(procedure.LOWER_LIMB_GROUPS),
        })
    )  # fmt: skip


def verify_here() -> None:
    """What each simulated user saved (JSON on stdin) against what the database holds."""
    import django

    django.setup()
    from audit.models import AuditEvent
    from trials.models import Assessment, ChecklistEntry, VitalSigns

    saved = json.load(sys.stdin)
    out = {}
    for username, s in saved.items():
        row = {
            "vitals_stored": VitalSigns.objects.filter(recorded_by__username=username).count(),
            "vitals_found": VitalSigns.objects.filter(submission__in=s["vitals"]).count(),
            "scores_stored": Assessment.objects.filter(assessed_by__username=username).count(),
            "scores_found": Assessment.objects.filter(submission__in=s["scores"]).count(),
            "ticks_stored": AuditEvent.objects.filter(
                actor__username=username, action__in=["tick", "untick"]
            ).count(),
        }
        if s.get("item"):
            trial, item = s["item"]
            entry = ChecklistEntry.objects.filter(
                trial_id=trial, checklist="observation", item=item
            ).first()
            row["ticked_now"] = entry is not None
            row["ticked_by_user"] = entry is not None and entry.by.username == username
        out[username] = row
    print(json.dumps(out))


def child(flag: str, url: str, stdin: str | None = None) -> dict:
    out = subprocess.run(  # stderr passes through, so a failure shows its cause
        [sys.executable, "-m", "bench.load", flag], cwd=ROOT, env=bench.bench_env(url),
        check=True, stdout=subprocess.PIPE, input=stdin, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- The simulated users ----------------------------------------------------------------------


class Inputs(HTMLParser):
    """name → value of a page's hidden and date-time inputs (the form's CSRF token, submission
    id, time and the like), as a browser would send them back."""

    def __init__(self, html: str):
        super().__init__()
        self.values: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") in ("hidden", "datetime-local") and a.get("name"):
            self.values.setdefault(a["name"], a.get("value") or "")


CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')


class Failed(Exception):
    pass


class Browser:
    """One user's cookies; each request on a new connection (gunicorn's sync workers close it)."""

    def __init__(self, session: str, record):
        self.cookies = {"sessionid": session}
        self.record = record

    def go(self, name: str, method: str, path: str, expect: int, *, data=None, headers=None):
        """One request, timed under `name`; the body, or Failed when the status is not `expect`."""
        head = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} | (headers or {})
        body = None
        if method == "POST":
            body = urlencode(data or {}, doseq=True)
            head["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        status, text, location = None, "", ""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=TIMEOUT)
            try:
                conn.request(method, path, body=body, headers=head)
                response = conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                status, location = response.status, response.getheader("Location", "")
                for cookie in response.headers.get_all("Set-Cookie") or []:
                    key, _, value = cookie.split(";", 1)[0].partition("=")
                    if value in ("", '""') or "max-age=0" in cookie.lower():
                        self.cookies.pop(key.strip(), None)
                    else:
                        self.cookies[key.strip()] = value
            finally:
                conn.close()
        except OSError as exc:
            text = repr(exc)
        self.record(name, time.perf_counter() - started, status == expect)
        if status != expect:
            raise Failed(f"{method} {path} answered {status} (expected {expect}): {text[:200]}")
        return text, location


class SimulatedUser(threading.Thread):
    def __init__(self, spec: dict, plan: dict, start_at: float, stop_at: float, results):
        super().__init__(daemon=True)
        self.spec, self.plan = spec, plan
        self.start_at, self.stop_at = start_at, stop_at
        self.results = results
        self.rng = random.Random(spec["username"])
        self.browser = Browser(spec["session"], results.record)
        self.saved = {"vitals": [], "scores": [], "ticks": 0, "item": spec.get("item"),
                      "ticked": False}  # fmt: skip

    def path(self, key: str, trial: int = 0, item: str = "") -> str:
        return self.plan["paths"][key].replace("/0/", f"/{trial}/").replace("ITEM", item)

    def run(self):
        time.sleep(max(0.0, self.start_at - time.monotonic()))
        actions = {
            "nurse": [(self.board, 3), (self.tick, 2), (self.vitals, 1)],
            "neurologist": [(self.worklist, 1), (self.trial_page, 2), (self.score, 1)],
            "admin": [(self.dashboard, 3), (self.trial_list, 1)],
        }[self.spec["role"]]
        while time.monotonic() < self.stop_at:
            action = self.rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
            try:
                action()
            except Failed as exc:
                self.results.error(str(exc))
            self.think()

    def think(self, scale: float = 1.0):
        time.sleep(self.rng.uniform(0.5, 1.5) * THINK * scale)

    # Nurses

    def board(self):
        headers = {"HX-Request": "true", "HX-Trigger": "board", "HX-Target": "board"}
        self.browser.go("ward board (htmx poll)", "GET", self.path("board"), 200, headers=headers)

    def tick(self):
        trial, item = self.spec["item"]
        page, _ = self.browser.go("trial page", "GET", self.path("trial", trial), 200)
        token = CSRF_HEADER.search(page).group(1)
        self.think(0.2)
        verb = "untick" if self.saved["ticked"] else "tick"
        headers = {"HX-Request": "true", "HX-Target": "phase-panel", "X-CSRFToken": token}
        self.browser.go(
            "checklist tick (htmx POST)", "POST", self.path(verb, trial, item), 200,
            headers=headers, data={},
        )  # fmt: skip
        self.saved["ticks"] += 1
        self.saved["ticked"] = not self.saved["ticked"]

    def vitals(self):
        trial = self.spec["item"][0]
        path = self.path("vitals", trial)
        page, _ = self.browser.go("vital signs form", "GET", path, 200)
        form = Inputs(page).values
        self.think(0.4)
        r = self.rng
        systolic = r.randint(105, 150)
        data = form | {
            "heart_rate": r.randint(55, 95), "systolic": systolic,
            "diastolic": systolic - r.randint(30, 50), "respiratory_rate": r.randint(12, 18),
            "spo2": r.randint(94, 99), "temperature_c": f"{r.uniform(36.2, 37.6):.1f}",
            "sedation": r.choice([0, 0, 0, 1]), "pain": r.randint(0, 4), "note": "",
        }  # fmt: skip
        _, location = self.browser.go("vital signs save (POST)", "POST", path, 302, data=data)
        self.saved["vitals"].append(form["submission"])
        self.browser.go("trial page", "GET", location, 200)

    # Neurologists

    def worklist(self):
        self.browser.go("neurologist worklist", "GET", self.path("worklist"), 200)

    def trial_page(self):
        trial = self.rng.choice(self.plan["observed"] + self.plan["others"])
        self.browser.go("trial page", "GET", self.path("trial", trial), 200)

    def score(self):
        trial = self.rng.choice(self.plan["observed"])
        path = self.path("assessment", trial)
        page, _ = self.browser.go("spasticity score form", "GET", path, 200)
        form = Inputs(page).values
        self.think(0.4)
        grades = {
            f"mas_{group}_{side}": self.rng.choice(["1", "1+", "2", "3"])
            for group in self.plan["lower_limb"]
            for side in ("left", "right")
        }
        data = form | grades | {"penn_frequency": 1, "penn_severity": 1, "note": ""}
        _, location = self.browser.go("spasticity score save (POST)", "POST", path, 302, data=data)
        self.saved["scores"].append(form["submission"])
        self.browser.go("trial page", "GET", location, 200)

    # Admins

    def dashboard(self):
        self.browser.go("outcomes dashboard", "GET", self.path("dashboard"), 200)

    def trial_list(self):
        self.browser.go("trials list", "GET", self.path("list"), 200)


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {}
        self.failures: dict[str, int] = {}
        self.errors: list[str] = []

    def record(self, name: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.times.setdefault(name, []).append(seconds * 1000)
            self.failures[name] = self.failures.get(name, 0) + (not ok)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


# --- The run -----------------------------------------------------------------------------------


def report(results: Results, users: list[SimulatedUser], stored: dict, elapsed: float) -> str:
    total = sum(len(t) for t in results.times.values())
    failed = sum(results.failures.values())
    lines = [
        f"{sum(COUNTS.values())} simulated users ({COUNTS['nurse']} nurses, "
        f"{COUNTS['neurologist']} neurologists, {COUNTS['admin']} admins), {PATIENTS:,} patients, "
        f"{elapsed:.0f} s (started over {RAMP} s), think time 0.5–1.5 × {THINK:g} s; gunicorn "
        f"with gunicorn.conf.py ({WORKERS} sync workers): "
        f"{total} requests, {total / elapsed:.1f} requests/s in all, {failed} errors.",
        "",
        "| endpoint | requests | p50 ms | p95 ms | max ms | errors | p95 ≤ 500 ms, 0 errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in sorted(results.times):
        t, bad = results.times[name], results.failures[name]
        ok = percentile(t, 95) <= TARGET_P95_MS and not bad
        lines.append(
            f"| {name} | {len(t)} | {statistics.median(t):.0f} | {percentile(t, 95):.0f} | "
            f"{max(t):.0f} | {bad} | {'yes' if ok else 'no'} |"
        )
    saved = {u.spec["username"]: u.saved for u in users}
    rows = []
    for what, key, found in (
        ("vital signs", "vitals", "vitals_found"),
        ("spasticity scores", "scores", "scores_found"),
    ):
        answered = sum(len(s[key]) for s in saved.values())
        by_user = sum(stored[u][f"{key}_stored"] for u in saved)
        by_id = sum(stored[u][found] for u in saved)
        lost = sum(max(0, len(s[key]) - stored[u][found]) for u, s in saved.items())
        rows.append((what, answered, f"{by_user} by the user, {by_id} by submission id", lost))
    answered = sum(s["ticks"] for s in saved.values())
    by_user = sum(stored[u]["ticks_stored"] for u in saved)
    lost = sum(max(0, s["ticks"] - stored[u]["ticks_stored"]) for u, s in saved.items())
    rows.append(("ticks and unticks", answered, f"{by_user} audit rows by the user", lost))
    items = [u for u, s in saved.items() if s["item"]]
    wrong = [
        u
        for u in items
        if stored[u]["ticked_now"] != saved[u]["ticked"]
        or (saved[u]["ticked"] and not stored[u]["ticked_by_user"])
    ]
    rows.append(
        ("checklist items' state at the end", len(items), f"{len(items) - len(wrong)} as left",
         len(wrong))
    )  # fmt: skip
    lines += [
        "",
        "Writes: saved (answered as saved to the user) against stored (counted in the database "
        "afterwards):",
        "",
        "| write | saved | stored | lost |",
        "|---|---|---|---|",
    ]
    lines += [f"| {w} | {a} | {s} | {lost} |" for w, a, s, lost in rows]
    lost_total = sum(r[3] for r in rows)
    slow = [n for n, t in results.times.items() if percentile(t, 95) > TARGET_P95_MS]
    lines += [
        "",
        f"Targets (issue 12): p95 ≤ {TARGET_P95_MS} ms for every endpoint: "
        + ("met" if not slow else f"not met ({', '.join(sorted(slow))})")
        + f"; 0 errors: {'met' if not failed else f'not met ({failed})'}; 0 lost writes: "
        + ("met" if not lost_total else f"not met ({lost_total})")
        + ".",
    ]
    return "\n".join(lines)


def warm_up(plan: dict) -> None:
    """Each page a few times at once, not counted: every worker has loaded its templates and
    opened its database connection before the users come."""
    spec = next(u for u in plan["users"] if u["role"] == "neurologist")
    trial = plan["observed"][0]
    paths = [
        plan["paths"][key].replace("/0/", f"/{trial}/")
        for key in ("board", "worklist", "list", "dashboard", "trial", "vitals", "assessment")
    ]

    failed: list[str] = []

    def get(path: str) -> None:
        try:
            Browser(spec["session"], lambda *a: None).go("", "GET", path, 200)
        except Failed as exc:
            failed.append(str(exc))

    for path in paths:
        threads = [threading.Thread(target=get, args=(path,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if failed:
        raise RuntimeError(f"warm-up: {failed[0]}")


def main() -> None:
    global PORT
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1/postgres"
        )
    bench.collectstatic()
    url, _ = bench.build(PATIENTS)
    source = url.rsplit("/", 1)[1]
    name = f"{source}_load"
    bench.admin_sql(
        f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}" TEMPLATE "{source}"'
    )
    copy = bench.database_url(name)
    try:
        print(f"[load] {name}: users, sessions and trials in observation", flush=True)
        plan = child("--prepare", copy)
        bench.analyze(copy)
        results = Results()
        server = bench.Server(
            copy, PORT, args=["--config", "gunicorn.conf.py"],
            env={"GUNICORN_ACCESSLOG": "", "GUNICORN_LOGLEVEL": "warning"},
        )  # fmt: skip
        with server:
            PORT = server.port
            warm_up(plan)
            print(f"[load] {len(plan['users'])} users for {SECONDS} s", flush=True)
            started = time.monotonic()
            stop = started + SECONDS
            users = [
                SimulatedUser(spec, plan, started + RAMP * i / len(plan["users"]), stop, results)
                for i, spec in enumerate(plan["users"])
            ]
            for user in users:
                user.start()
            for user in users:
                user.join(timeout=SECONDS + 2 * TIMEOUT + 30)
            elapsed = time.monotonic() - started
        for text in results.errors[:10]:
            print(f"    error: {text}")
        if len(results.errors) > 10:
            print(f"    … and {len(results.errors) - 10} more errors")
        saved = {
            u.spec["username"]: {"vitals": u.saved["vitals"], "scores": u.saved["scores"],
                                 "item": u.saved["item"]}
            for u in users
        }  # fmt: skip
        stored = child("--verify", copy, json.dumps(saved))
        text = bench.machine() + "\n\n" + report(results, users, stored, elapsed)
        print("\n" + text)
        bench.write_results("load", text)
    finally:
        if not bench.KEEP:
            bench.admin_sql(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    if "--prepare" in sys.argv:
        prepare_here()
    elif "--verify" in sys.argv:
        verify_here()
    else:
        main()
