"""Benchmark (not a test): what users feel, as ratios to the stack's floor, on PostgreSQL.

For each N in BENCH_SIZES (default 1000,10000,100000) it creates the database itb_bench_<N> on
the PostgreSQL server of DATABASE_URL, migrates it, writes the demo site and N synthetic patients
(`seed_demo --patients N`; BENCH_ALL_PHASES=1 adds --all-phases-bulk), runs VACUUM ANALYZE,
then:

1. in a child process (bench/settings.py: the production settings, DEBUG off), signs in the
   demo nurse, neurologist and admin (second factor passed, as the tests do), picks the pages
   (a trial in observation, the completed trial with the most scores, the homes, a patient
   search, a checklist tick, a PDF summary) and measures each once with Django's test Client:
   queries, SQL time and wall time of a single request (median of BENCH_SINGLE_RUNS);
2. starts gunicorn (BENCH_WORKERS=2 sync workers) on that database and, for BENCH_ROUNDS
   rounds, loads each page with wrk (2 threads, 16 connections, BENCH_SECONDS each) right after
   Django admin's login page under the same server, and the bare Django view of
   bench/urls.py once a round: the floor of the stack, measured alongside.

It prints the table of issue 12: each page's requests/s as a ratio to the admin login page of
its own pair (median of the rounds, min–max in brackets), the floor's requests/s, and the
single-request figures per page per size. Every wrk run must answer 200 throughout: a page
that redirects (a lost session) or fails stops the benchmark.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_SIZES=1000,10000 \\
      .venv/bin/python bench/bench.py        (`make bench` does this)
BENCH_KEEP=1 keeps a database that exists already (migrating it) instead of rebuilding it.
Needs gunicorn (pip) and wrk (Debian: apt-get install wrk).
"""

import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(",") if n]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
SINGLE_RUNS = int(os.environ.get("BENCH_SINGLE_RUNS", "3"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS, CONNECTIONS = 2, 16
KEEP = os.environ.get("BENCH_KEEP") == "1"
ALL_PHASES = os.environ.get("BENCH_ALL_PHASES") == "1"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
SECRET = secrets.token_urlsafe(50)  # shared by the child that signs in and the server

# key, label, who loads it. Under wrk and once as a single request.
PAGES = [
    ("trial_observation", "trial page (observation)", "nurse"),
    ("trial_completed", "trial page (completed)", "nurse"),
    ("board", "ward board", "nurse"),
    ("worklist", "neurologist worklist", "neurologist"),
    ("list", "trials list", "admin"),
    ("search_name", "patient search (name)", "nurse"),
    ("search_mrn", "patient search (MRN prefix)", "nurse"),
    ("tick", "checklist tick (POST)", "neurologist"),
    ("pdf", "PDF summary", "neurologist"),
]
FLOOR = [("hello", "bare Django view"), ("admin_login", "Django admin login page")]
# Measured as single requests only (too slow or too cached for wrk to say more).
SINGLE_ONLY = [
    ("dashboard", "dashboard (computed)", "admin"),
    ("changelist", "Django admin trial changelist", "admin"),
]


def bench_env(url: str) -> dict:
    return os.environ | {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "PYTHONPATH": str(ROOT),
    }


# --- Databases -------------------------------------------------------------------------------


def database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_sql(*statements: str) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def manage(url: str, *args: str) -> None:
    env = os.environ | {"DATABASE_URL": url, "DJANGO_DEBUG": "1"}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def build(n: int) -> tuple[str, float | None]:
    name = f"itb_bench_{n}" + ("_all_phases" if ALL_PHASES else "")
    url = database_url(name)
    if KEEP and database_exists(name):
        print(f"[{n}] keeping database {name} (migrating it to the current models)", flush=True)
        manage(url, "migrate", "--noinput", "-v", "0")
        analyze(url)
        return url, None
    print(f"[{n}] building {name}", flush=True)
    admin_sql(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    manage(url, "migrate", "--noinput", "-v", "0")
    started = time.monotonic()
    manage(url, "seed_demo", "--patients", str(n), *(["--all-phases-bulk"] if ALL_PHASES else []))
    seeded = time.monotonic() - started
    analyze(url)
    print(f"[{n}] seeded in {seeded:.0f} s", flush=True)
    return url, seeded


def analyze(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


# --- Inside one database (a child process with bench.settings) -------------------------------


def prepare_here() -> None:
    """Sign in, pick the pages, measure each as a single request; print JSON."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.middleware.csrf import CSRF_ALLOWED_CHARS
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.utils.crypto import get_random_string

    setup_test_environment(debug=False)
    targets = pick_targets()
    csrf = get_random_string(32, CSRF_ALLOWED_CHARS)
    clients, cookies = {}, {}
    from accounts.models import User

    for role in ("nurse", "neurologist", "admin"):
        clients[role] = sign_in(Client(), User.objects.get(username=role))
        cookies[role] = f"sessionid={clients[role].cookies['sessionid'].value}; csrftoken={csrf}"

    def once(client, method: str, path: str):
        headers = {"HTTP_HX_REQUEST": "true"} if method == "POST" else {}
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method.lower())(path, **headers)
            if response.streaming:
                for _ in response.streaming_content:
                    pass
            else:
                _ = response.content
        wall = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path} answered {response.status_code}")
        sql = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        return len(captured.captured_queries), sql, wall

    single = {}
    for key, _, role in PAGES + SINGLE_ONLY:
        method, paths = targets[key]
        runs = []
        for i in range(SINGLE_RUNS + 1):  # the first warms up
            if key == "dashboard":
                cache.clear()
            runs.append(once(clients[role], method, paths[i % len(paths)]))
        runs = runs[1:]
        single[key] = {
            "queries": max(r[0] for r in runs),
            "sql_ms": statistics.median(r[1] for r in runs),
            "wall_ms": statistics.median(r[2] for r in runs),
        }
    print(json.dumps({"targets": targets, "cookies": cookies, "csrf": csrf, "single": single}))


def sign_in(client, user):
    """Signed in with the second factor passed, as tests/conftest.py's sign_in does."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts import two_factor

    client.force_login(user)
    if two_factor.pending_step(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = two_factor.confirmed_device(user).persistent_id
        session.save()
    return client


def pick_targets() -> dict:
    from datetime import timedelta

    from django.db.models import Count, Max
    from django.urls import reverse
    from django.utils import timezone

    from patients.models import Patient
    from trials import procedure
    from trials.models import Trial

    day_ago = timezone.now() - timedelta(hours=24)
    observed = (
        Trial.objects.in_phase("observation")
        .annotate(given=Max("attempts__given_at"), vitals=Count("attempts__vitals"))
        .filter(given__gte=day_ago)
        .order_by("-vitals", "pk")
        .first()
    )
    completed = (
        Trial.objects.filter(status="completed", closed_at__gte=day_ago - timedelta(days=365))
        .annotate(n=Count("assessments"))
        .order_by("-n", "pk")
        .first()
    )
    name = (
        Patient.objects.filter(mrn__startswith="SYN")
        .order_by("mrn")
        .values_list("last_name", flat=True)[:1][0]
    )
    ticks = []
    for trial in Trial.objects.in_phase("preparation").order_by("pk")[:40]:
        for item in procedure.PREPARATION.items:
            if procedure.NEUROLOGIST in item.roles and item.required:
                args = [trial.pk, "preparation", item.key]
                ticks.append(
                    (reverse("trials:tick", args=args), reverse("trials:untick", args=args))
                )
    # Each pair ticked then unticked, the pairs far apart so no two connections race on one.
    tick_paths = [p for p, _ in ticks] + [u for _, u in ticks]
    return {
        "trial_observation": ("GET", [observed.get_absolute_url()]),
        "trial_completed": ("GET", [completed.get_absolute_url()]),
        "board": ("GET", [reverse("trials:board")]),
        "worklist": ("GET", [reverse("trials:worklist")]),
        "list": ("GET", [reverse("trials:list")]),
        "search_name": ("GET", [f"{reverse('patients:list')}?q={name}"]),
        "search_mrn": ("GET", [f"{reverse('patients:list')}?q=SYN00001"]),
        "tick": ("POST", tick_paths),
        "pdf": ("GET", [reverse("trials:summary_pdf", args=[completed.pk])]),
        "dashboard": ("GET", [reverse("trials:outcomes")]),
        "changelist": ("GET", ["/django-admin/trials/trial/"]),
        "hello": ("GET", ["/bench/hello/"]),
        "admin_login": ("GET", ["/django-admin/login/"]),
    }


def prepare(url: str) -> dict:
    out = subprocess.run(  # stderr passes through, so a failure shows its cause
        [sys.executable, __file__, "--prepare"], cwd=ROOT, env=bench_env(url), check=True,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- Under load: gunicorn and wrk ------------------------------------------------------------


class Server:
    """gunicorn on the benchmark's database, started and stopped by this process only."""

    def __init__(self, url: str):
        self.url = url
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-w", str(WORKERS),
             "-b", f"127.0.0.1:{PORT}", "--timeout", "120", "--log-level", "warning"],
            cwd=ROOT, env=bench_env(self.url),
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", PORT), timeout=1):
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def check(path: str, method: str, cookie: str, csrf: str) -> None:
    """The page answers 200 to this session (not a redirect to the sign-in page)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(
        BASE + path, method=method, data=b"" if method == "POST" else None
    )
    if cookie:
        request.add_header("Cookie", cookie)
    if method == "POST":
        request.add_header("X-CSRFToken", csrf)
        request.add_header("HX-Request", "true")
    try:
        status = urllib.request.build_opener(NoRedirect).open(request, timeout=120).status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status != 200:
        raise RuntimeError(f"{method} {path} answered {status} under gunicorn")


LUA = """
local paths = {%(paths)s}
local headers = {%(headers)s}
local counter = 0
function setup(thread)
  thread:set("first", counter * math.floor(#paths / %(threads)d))
  counter = counter + 1
end
local i = -1
function request()  -- also called once before setup() has run: first is nil then
  i = i + 1
  return wrk.format("%(method)s", paths[(((first or 0) + i) %% #paths) + 1], headers, "")
end
"""


def wrk(paths: list[str], method: str, cookie: str, csrf: str, seconds: int, warm_up=False) -> dict:
    headers = {"Cookie": cookie} if cookie else {}
    if method == "POST":  # as htmx posts a tick
        headers |= {"X-CSRFToken": csrf, "HX-Request": "true",
                    "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    lua = LUA % {
        "paths": ", ".join(json.dumps(p) for p in paths),
        "headers": ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()),
        "method": method,
        "threads": THREADS,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        out = subprocess.run(
            ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s",
             "--latency", "-s", script.name, BASE],
            check=True, stdout=subprocess.PIPE, text=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script.name)
    if " 0 requests in" in out:
        if warm_up:
            return {}
        raise RuntimeError(f"wrk got no answer from {method} {paths[0]}:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "errors": sum(int(g) for g in errors.groups()) if errors else 0,
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else None,
    }


def load(url: str, prepared: dict) -> dict:
    targets, cookies, csrf = prepared["targets"], prepared["cookies"], prepared["csrf"]
    roles = {key: role for key, _, role in PAGES}

    def run(key: str, seconds: int = SECONDS, warm_up: bool = False) -> dict:
        method, paths = targets[key]
        cookie = cookies[roles[key]] if key in roles else ""
        result = wrk(paths, method, cookie, csrf, seconds, warm_up)
        # The requests wrk left in flight still run: let them finish before the next run.
        check(targets["hello"][1][0], "GET", "", csrf)
        if result and (result["non_2xx"] or result["errors"]):
            print(f"    {key}: {result['non_2xx']} non-2xx, {result['errors']} socket errors")
        return result

    with Server(url):
        for key, (method, paths) in targets.items():
            if key in roles or key in dict(FLOOR):
                check(paths[0], method, cookies.get(roles.get(key), ""), csrf)
        for key in [k for k, _ in FLOOR] + [k for k, _, _ in PAGES]:
            run(key, 2, warm_up=True)  # both workers, their connections and templates
        rounds = []
        for n in range(ROUNDS):
            one = {"hello": run("hello")}
            for key, _, _ in PAGES:
                floor = run("admin_login")
                page = run(key)
                one[key] = page | {"ratio": page["rps"] / floor["rps"], "floor_rps": floor["rps"]}
            rounds.append(one)
            ratios = ", ".join(f"{k} {v['ratio']:.3f}" for k, v in one.items() if "ratio" in v)
            print(f"    round {n + 1}: {ratios}", flush=True)
    return summarise(rounds)


def summarise(rounds: list[dict]) -> dict:
    result = {}
    for key, _, _ in PAGES:
        ratios = [r[key]["ratio"] for r in rounds]
        result[key] = {
            "ratio": statistics.median(ratios),
            "low": min(ratios),
            "high": max(ratios),
            "rps": statistics.median(r[key]["rps"] for r in rounds),
            "p50_ms": statistics.median(r[key]["p50_ms"] or 0 for r in rounds),
            "bad": sum(r[key]["non_2xx"] + r[key]["errors"] for r in rounds),
        }
    result["admin_login"] = {
        "rps": statistics.median(r[k]["floor_rps"] for r in rounds for k, _, _ in PAGES)
    }
    result["hello"] = {"rps": statistics.median(r["hello"]["rps"] for r in rounds)}
    return result


# --- The table -------------------------------------------------------------------------------


def machine() -> str:
    cpu = ""
    if Path("/proc/cpuinfo").exists():
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = found.group(1).strip() if found else ""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        stdout=subprocess.PIPE, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, commit {commit}, load average {load1:.1f} at the "
        f"end; gunicorn {WORKERS} sync workers, wrk {THREADS} threads {CONNECTIONS} connections "
        f"{SECONDS} s, {ROUNDS} rounds"
    )


def table(results: dict) -> str:
    sizes = list(results)
    head = "| page | " + " | ".join(f"{n:,}" for n in sizes) + " |"
    rule = "|---|" + "---|" * len(sizes)
    lines = [
        "Requests/s as a ratio to Django admin's login page under the same server (median of "
        "the rounds [min–max]); the floor in requests/s:",
        "",
        head,
        rule,
    ]
    for key, label, _ in PAGES:
        cells = []
        for n in sizes:
            r = results[n]["load"][key]
            cell = f"{r['ratio']:.3f} [{r['low']:.3f}–{r['high']:.3f}]"
            cells.append(cell + (f" ({r['bad']} bad)" if r["bad"] else ""))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for key, label in FLOOR:
        rps = [f"{results[n]['load'][key]['rps']:.0f} req/s" for n in sizes]
        lines.append(f"| {label} (floor) | " + " | ".join(rps) + " |")
    lines += [
        "",
        "Single request (test Client, median): queries · SQL ms · wall ms:",
        "",
        head,
        rule,
    ]
    for key, label, _ in PAGES + SINGLE_ONLY:
        cells = []
        for n in sizes:
            s = results[n]["single"][key]
            cells.append(f"{s['queries']} · {s['sql_ms']:.1f} · {s['wall_ms']:.0f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    seeded = [results[n]["seeded_s"] for n in sizes]
    if any(s is not None for s in seeded):
        cells = [f"{s:.0f} s" if s is not None else "kept" for s in seeded]
        lines.append("| seed_demo --patients N | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1/postgres"
        )
    for tool in ("wrk",):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (Debian: apt-get install {tool}).")
    results = {}
    for n in SIZES:
        url, seeded = build(n)
        prepared = prepare(url)
        print(f"[{n}] single requests: {json.dumps(prepared['single'])}", flush=True)
        results[n] = {"single": prepared["single"], "load": load(url, prepared), "seeded_s": seeded}
    print("\n" + machine() + "\n")
    print(table(results))


if __name__ == "__main__":
    if "--prepare" in sys.argv:
        prepare_here()
    else:
        main()
