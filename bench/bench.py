"""Benchmark (not a test): what users feel, as ratios to the stack's floor, on PostgreSQL.

For each N in BENCH_SIZES (default 1000,10000,100000) it creates the database itb_bench_<N>
(BENCH_DB_PREFIX instead of itb_bench_ to use other copies) on the PostgreSQL server of
DATABASE_URL, migrates it, writes the demo site and N synthetic patients
(`seed_demo --patients N`; BENCH_ALL_PHASES=1 adds --all-phases-bulk), runs VACUUM ANALYZE,
then:

1. in a child process (bench/settings.py: the production settings, DEBUG off), signs in the
   demo nurse, neurologist and admin (second factor passed, as the tests do), picks the pages
   (a trial in observation, the completed trial with the most scores, the homes, a patient
   search by part of a name and one by MRN prefix (NAME_SEARCH, MRN_SEARCH), a checklist
   tick, a PDF summary, the outcomes dashboard, Django admin's trial changelist, the CSV
   export of all trials) and measures each with Django's test Client:
   queries, SQL time and wall time of a single request (median of BENCH_SINGLE_RUNS after one
   warm-up; the dashboard with its cache cleared each time; the CSV export once);
2. starts gunicorn (BENCH_WORKERS=2 sync workers) on that database and, for BENCH_ROUNDS
   rounds, loads each page with wrk (2 threads, 16 connections, BENCH_SECONDS each) right after
   Django admin's login page under the same server, and the bare Django view of
   bench/urls.py once a round: the floor of the stack, measured alongside. Each round also
   times the streamed download of the CSV export of all trials (urllib, whole body);
3. alongside, a second gunicorn without a cache (BENCH_CACHE=dummy, bench/settings.py) loads
   Django admin's trial changelist and the dashboard as the admin, each after the admin login
   page, in the same rounds: the dashboard computed on every request, as the first request
   after a change computes it, compared with the changelist (issue 12's target: its time at
   most 1.0x the changelist's at 100k).

It prints the table of issue 12: each page's requests/s as a ratio to the admin login page of
its own pair (median of the rounds, min–max in brackets), the dashboard's time per request as
a multiple of the changelist's, the CSV download's seconds, the floor's requests/s, and the
single-request figures per page per size; then writes them into bench/RESULTS.md (the section
between the markers <!-- bench:pages --> and <!-- /bench:pages -->, appended when missing;
BENCH_RESULTS=0 leaves the file alone). A page that redirects (a lost session) or fails stops
the benchmark; a page too slow to answer within a wrk run counts as 0 requests/s.

The load of 50 simulated users is a separate step: bench/load.py (`make bench-load`).

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_SIZES=1000,10000 \\
      .venv/bin/python bench/bench.py        (`make bench` does this)
BENCH_KEEP=1 keeps a database that exists already (migrating it) instead of rebuilding it.
BENCH_DB_PREFIX=itb_benchdev_ measures the databases itb_benchdev_<N> (e.g. copies made with
`createdb -T itb_bench_1000 itb_benchdev_1000`) instead.
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
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(",") if n]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
SINGLE_RUNS = int(os.environ.get("BENCH_SINGLE_RUNS", "3"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS, CONNECTIONS = 2, 16
KEEP = os.environ.get("BENCH_KEEP") == "1"
ALL_PHASES = os.environ.get("BENCH_ALL_PHASES") == "1"
PREFIX = os.environ.get("BENCH_DB_PREFIX", "itb_bench_")
# The two searches, each filling the list's first page (50 rows) at every size, so that the
# sizes compare the same page: what grows with history is only what the search reads to find
# it. "son" is part of seven of the synthetic surnames (Wilson, Johnson, Robinson, Thompson,
# Jackson, Morrison, Ellison; trials/demo/vocabulary.py), typed as a nurse types part of a
# name; at 1,000 one whole surname finds about 14 patients (1,000 over 70 surnames), under a
# third of a page. "SYN00001" is the prefix of 100 synthetic MRNs (SYN0000100 to SYN0000199)
# at every size. The table says how many each found at each size and the reply's size.
NAME_SEARCH = "son"
MRN_SEARCH = "SYN00001"
SEARCHES = {"search_name": NAME_SEARCH, "search_mrn": MRN_SEARCH}
# 0: a free port for each server (another worktree's bench may be running on the same machine).
PORT = int(os.environ.get("BENCH_PORT", "0"))
WRITE_RESULTS = os.environ.get("BENCH_RESULTS", "1") != "0"
RESULTS = ROOT / "bench" / "RESULTS.md"
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
    # The ceiling of every page above: the app's middleware for a signed-in user, no page.
    ("hello_signed_in", "bare view, signed in (bench/urls.py)", "nurse"),
]
FLOOR = [("hello", "bare Django view"), ("admin_login", "Django admin login page")]
# Under wrk on the server without a cache (the dashboard computed on every request), each after
# the admin login page of that server, and once as a single request.
COMPUTED = [
    ("changelist", "Django admin trial changelist", "admin"),
    ("dashboard", "dashboard (computed)", "admin"),
    # The first view after a change: no copy of the record kept, every part and the PDF made.
    ("trial_cold", "trial page (observation), nothing kept", "nurse"),
    ("pdf_cold", "PDF summary, nothing kept", "neurologist"),
]
COLD = {"dashboard", "trial_cold", "pdf_cold"}  # every cache cleared before each single request
# The CSV export of all trials: its streamed download timed once a round under gunicorn, and
# once as a single request (too slow at 100k for wrk to say more).
SINGLE_ONLY = [("csv", "CSV export, all trials", "admin")]


def bench_env(url: str) -> dict:
    return os.environ | {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "PYTHONPATH": str(ROOT),
        # gunicorn.conf.py recycles a worker after about 2,000 requests, which a clinic's
        # server reaches in hours and the floor's runs here in seconds: each recycled worker
        # would start again without the records and PDFs it keeps. Not recycled here.
        "GUNICORN_MAX_REQUESTS": "0",
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
    name = f"{PREFIX}{n}" + ("_all_phases" if ALL_PHASES else "")
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


def collectstatic() -> None:
    """The hashed static files the production settings (DEBUG off) serve, as `make serve` does."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=ROOT, env=bench_env(database_url("postgres")), check=True,
    )  # fmt: skip


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
    from django.core.cache import cache, caches
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
                size = sum(len(chunk) for chunk in response.streaming_content)
            else:
                size = len(response.content)
        wall = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path} answered {response.status_code}")
        sql = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        return len(captured.captured_queries), sql, wall, size

    single = {}
    for key, _, role in PAGES + COMPUTED + SINGLE_ONLY:
        method, paths = targets[key]
        runs = []
        count = 1 if key == "csv" else SINGLE_RUNS + 1  # the first warms up
        for i in range(count):
            if key in COLD:
                cache.clear()
                caches["records"].clear()
                caches["parts"].clear()
            runs.append(once(clients[role], method, paths[i % len(paths)]))
        runs = runs[1:] or runs
        single[key] = {
            "queries": max(r[0] for r in runs),
            "sql_ms": statistics.median(r[1] for r in runs),
            "wall_ms": statistics.median(r[2] for r in runs),
            "bytes": runs[-1][3],
        }
    from patients.models import Patient

    for key, text in SEARCHES.items():
        single[key]["found"] = Patient.objects.search(text).count()
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
    ticks = []
    trials = list(Trial.objects.in_phase("preparation").order_by("pk")[:40])
    for item in procedure.PREPARATION.items:
        if procedure.NEUROLOGIST in item.roles and item.required:
            for trial in trials:
                args = [trial.pk, "preparation", item.key]
                ticks.append(
                    (reverse("trials:tick", args=args), reverse("trials:untick", args=args))
                )
    # Each pair ticked then unticked, the pairs far apart so no two connections race on one;
    # the trials in turn (one item of each, then the next item), so that the connections tick
    # different patients' checklists, as the users of a ward do, rather than all waiting for
    # the one trial's lock.
    tick_paths = [p for p, _ in ticks] + [u for _, u in ticks]
    return {
        "trial_observation": ("GET", [observed.get_absolute_url()]),
        "trial_completed": ("GET", [completed.get_absolute_url()]),
        "board": ("GET", [reverse("trials:board")]),
        "worklist": ("GET", [reverse("trials:worklist")]),
        "list": ("GET", [reverse("trials:list")]),
        "search_name": ("GET", [f"{reverse('patients:list')}?{urlencode({'q': NAME_SEARCH})}"]),
        "search_mrn": ("GET", [f"{reverse('patients:list')}?{urlencode({'q': MRN_SEARCH})}"]),
        "tick": ("POST", tick_paths),
        "pdf": ("GET", [reverse("trials:summary_pdf", args=[completed.pk])]),
        "dashboard": ("GET", [reverse("trials:outcomes")]),
        "trial_cold": ("GET", [observed.get_absolute_url()]),
        "pdf_cold": ("GET", [reverse("trials:summary_pdf", args=[completed.pk])]),
        "changelist": ("GET", ["/django-admin/trials/trial/"]),
        "csv": ("GET", [reverse("trials:outcomes_csv")]),
        "hello": ("GET", ["/bench/hello/"]),
        "hello_signed_in": ("GET", ["/bench/hello-signed-in/"]),
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
    """gunicorn on the benchmark's database, started and stopped by this process only.

    `cache="dummy"` serves without a cache (bench/settings.py); `args` replace the default
    worker options (bench/load.py serves with gunicorn.conf.py instead)."""

    def __init__(self, url: str, port: int = PORT, *, cache: str = "", args=None, env=None):
        self.url, self.port = url, port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = bench_env(url) | ({"BENCH_CACHE": cache} if cache else {}) | (env or {})
        self.args = args or ["-w", str(WORKERS), "--timeout", "120", "--log-level", "warning"]
        self.proc = None

    def __enter__(self):
        if not port_free(self.port):
            raise RuntimeError(f"port {self.port} is in use: set BENCH_PORT to a free one")
        # stdout: the app's one JSON line per request (ops/logging.py), written but not shown.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", *self.args,
             "-b", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    if probe.getsockname() != probe.getpeername():  # not connected to itself
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A free port below Linux's ephemeral range (32768–60999), where no probe of ours can
    connect to itself (a port the kernel also hands out as the source of a connection)."""
    while not port_free(port := secrets.choice(range(20000, 32000))):
        pass
    return port


def request(base: str, path: str, method: str, cookie: str, csrf: str):
    """One request without following redirects: (status, body length in bytes, seconds)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    req = urllib.request.Request(base + path, method=method, data=b"" if method == "POST" else None)
    if cookie:
        req.add_header("Cookie", cookie)
    if method == "POST":
        req.add_header("X-CSRFToken", csrf)
        req.add_header("HX-Request", "true")
    started = time.perf_counter()
    size = 0
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=600) as response:
            status = response.status
            while chunk := response.read(1 << 16):
                size += len(chunk)
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, size, time.perf_counter() - started


def check(base: str, path: str, method: str, cookie: str, csrf: str) -> None:
    """The page answers 200 to this session (not a redirect to the sign-in page)."""
    status = request(base, path, method, cookie, csrf)[0]
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


def wrk(base: str, paths: list[str], method: str, cookie: str, csrf: str, seconds: int) -> dict:
    """requests/s of one wrk run; 0 when not one request was answered within it (too slow)."""
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
             "--latency", "-s", script.name, base],
            check=True, stdout=subprocess.PIPE, text=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script.name)
    if " 0 requests in" in out:
        return {"rps": 0.0, "non_2xx": 0, "errors": 0, "p50_ms": None, "silent": True}
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "errors": sum(int(g) for g in errors.groups()) if errors else 0,
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else None,
        "silent": False,
    }


def load(url: str, prepared: dict) -> dict:
    targets, cookies, csrf = prepared["targets"], prepared["cookies"], prepared["csrf"]
    roles = {key: role for key, _, role in PAGES + COMPUTED + SINGLE_ONLY}

    def run(server: Server, key: str, seconds: int = SECONDS) -> dict:
        method, paths = targets[key]
        cookie = cookies[roles[key]] if key in roles else ""
        result = wrk(server.base, paths, method, cookie, csrf, seconds)
        # The requests wrk left in flight still run: let them finish before the next run.
        check(server.base, targets["hello"][1][0], "GET", "", csrf)
        if result["silent"]:
            if key in dict(FLOOR):
                raise RuntimeError(f"the floor ({key}) answered nothing in {seconds} s")
            print(f"    {key}: not one answer in {seconds} s (counted as 0 requests/s)")
        if result["non_2xx"] or result["errors"]:
            print(f"    {key}: {result['non_2xx']} non-2xx, {result['errors']} socket errors")
        return result

    def pair(server: Server, key: str) -> dict:
        floor = run(server, "admin_login")
        page = run(server, key)
        return page | {"ratio": page["rps"] / floor["rps"], "floor_rps": floor["rps"]}

    def download(server: Server) -> dict:
        method, paths = targets["csv"]
        status, size, seconds = request(server.base, paths[0], method, cookies["admin"], csrf)
        if status != 200:
            raise RuntimeError(f"{method} {paths[0]} answered {status} under gunicorn")
        return {"seconds": seconds, "bytes": size}

    with Server(url) as main, Server(url, PORT + 1 if PORT else 0, cache="dummy") as computed:
        for server, keys in (
            (main, [k for k, _, _ in PAGES]),
            (computed, [k for k, _, _ in COMPUTED]),
        ):
            for key in [k for k, _ in FLOOR] + keys:
                method, paths = targets[key]
                check(server.base, paths[0], method, cookies.get(roles.get(key), ""), csrf)
                # warm up both workers, their connections, templates and kept copies (a PDF is
                # made once per worker: seconds)
                run(server, key, 8 if key == "pdf" else 2)
        rounds = []
        for n in range(ROUNDS):
            one = {"hello": run(main, "hello")}
            for key, _, _ in PAGES:
                one[key] = pair(main, key)
            one["csv"] = download(main)
            for key, _, _ in COMPUTED:
                one[key] = pair(computed, key)
            rounds.append(one)
            ratios = ", ".join(f"{k} {v['ratio']:.3f}" for k, v in one.items() if "ratio" in v)
            print(f"    round {n + 1}: {ratios}, csv {one['csv']['seconds']:.1f} s", flush=True)
    return summarise(rounds)


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "low": min(values), "high": max(values)}


def summarise(rounds: list[dict]) -> dict:
    result = {}
    for key, _, _ in PAGES + COMPUTED:
        ratios = [r[key]["ratio"] for r in rounds]
        result[key] = {
            "ratio": statistics.median(ratios),
            "low": min(ratios),
            "high": max(ratios),
            "rps": statistics.median(r[key]["rps"] for r in rounds),
            "p50_ms": statistics.median(r[key]["p50_ms"] or 0 for r in rounds),
            "bad": sum(r[key]["non_2xx"] + r[key]["errors"] for r in rounds),
            "silent": sum(r[key]["silent"] for r in rounds),
        }
    # The dashboard's time per request as a multiple of the changelist's (time = 1 / rps).
    multiples = [
        r["changelist"]["rps"] / r["dashboard"]["rps"] if r["dashboard"]["rps"] else float("inf")
        for r in rounds
    ]
    result["dashboard_vs_changelist"] = spread(multiples)
    result["csv"] = spread([r["csv"]["seconds"] for r in rounds]) | {
        "bytes": rounds[-1]["csv"]["bytes"]
    }
    result["admin_login"] = {
        "rps": statistics.median(r[k]["floor_rps"] for r in rounds for k, _, _ in PAGES)
    }
    result["admin_login_computed"] = {
        "rps": statistics.median(r[k]["floor_rps"] for r in rounds for k, _, _ in COMPUTED)
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
        f"end"
    )


def fmt_times(value: float) -> str:
    return "∞" if value == float("inf") else f"{value:.2f}×"


def fmt_seconds(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} kB"


def table(results: dict) -> str:
    """Issue 12's table (ratios per size, the single request at the largest size), then the
    single requests per page per size."""
    sizes = list(results)
    last = sizes[-1]
    head = "| page | " + " | ".join(f"{n:,}" for n in sizes)
    rule = "|---|" + "---|" * len(sizes)

    def ratio(r: dict) -> str:
        cell = f"{r['ratio']:.3f} [{r['low']:.3f}–{r['high']:.3f}]"
        if r["silent"]:
            cell += f" ({r['silent']} runs without an answer)"
        return cell + (f" ({r['bad']} bad)" if r["bad"] else "")

    def single(key: str) -> str:
        s = results[last]["single"][key]
        return f"{s['queries']} queries, {s['sql_ms']:.0f} ms SQL, {fmt_seconds(s['wall_ms'])} wall"

    lines = [
        f"gunicorn {WORKERS} sync workers, wrk {THREADS} threads {CONNECTIONS} connections "
        f"{SECONDS} s, {ROUNDS} rounds. Each page's requests/s as a ratio to Django admin's login "
        "page measured just before it under the same server (median of the rounds [min–max]); "
        "the dashboard's time per request as a multiple of Django admin's trial changelist's, "
        "both on a server without a cache (computed on every request); the CSV download's "
        f"seconds under gunicorn; the single request (test Client) at {last:,}:",
        "",
        f"{head} | single request at {last:,} |",
        rule + "---|",
    ]
    for key, label, _ in PAGES:
        cells = [ratio(results[n]["load"][key]) for n in sizes]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {single(key)} |")
    cells = []
    for n in sizes:
        multiple = results[n]["load"]["dashboard_vs_changelist"]
        if multiple["median"] == float("inf"):
            cells.append(f"no answer within {SECONDS} s")
        else:
            cells.append(
                f"{fmt_times(multiple['median'])} the changelist "
                f"[{fmt_times(multiple['low'])}–{fmt_times(multiple['high'])}]"
            )
    dash, changelist = results[last]["single"]["dashboard"], results[last]["single"]["changelist"]
    lines.append(
        "| dashboard, computed (time vs Django admin's trial changelist) | "
        + " | ".join(cells)
        + f" | {fmt_seconds(dash['wall_ms'])} vs the changelist's "
        f"{fmt_seconds(changelist['wall_ms'])} ({dash['wall_ms'] / changelist['wall_ms']:.2f}×), "
        f"{dash['queries']} queries |"
    )
    for key, label, _ in COMPUTED:
        cells = [ratio(results[n]["load"][key]) for n in sizes]
        lines.append(f"| {label}, no cache (ratio) | " + " | ".join(cells) + f" | {single(key)} |")
    cells = [
        f"{results[n]['load']['csv']['median']:.2f} s [{results[n]['load']['csv']['low']:.2f}–"
        f"{results[n]['load']['csv']['high']:.2f}], {megabytes(results[n]['load']['csv']['bytes'])}"
        for n in sizes
    ]
    csv_single = results[last]["single"]["csv"]
    lines.append(
        "| CSV export, all trials (streamed download) | "
        + " | ".join(cells)
        + f" | {csv_single['queries']} queries, {fmt_seconds(csv_single['wall_ms'])} wall |"
    )
    for key, label in FLOOR:
        rps = [f"{results[n]['load'][key]['rps']:.0f} req/s" for n in sizes]
        lines.append(f"| {label} (floor) | " + " | ".join(rps) + " | |")
    rps = [f"{results[n]['load']['admin_login_computed']['rps']:.0f} req/s" for n in sizes]
    lines.append("| Django admin login page, no cache (floor) | " + " | ".join(rps) + " | |")
    lines += [
        "",
        "Single request (test Client, median): queries · SQL ms · wall ms:",
        "",
        head + " |",
        rule,
    ]
    for key, label, _ in PAGES + COMPUTED + SINGLE_ONLY:
        cells = []
        for n in sizes:
            s = results[n]["single"][key]
            cells.append(f"{s['queries']} · {s['sql_ms']:.1f} · {s['wall_ms']:.0f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    seeded = [results[n]["seeded_s"] for n in sizes]
    if any(s is not None for s in seeded):
        cells = [f"{s:.0f} s" if s is not None else "kept" for s in seeded]
        lines.append("| seed_demo --patients N | " + " | ".join(cells) + " |")
    lines += ["", "What each search found (the list shows the first 50, reading at most 200):", ""]
    lines += [head.replace("| page |", "| search |", 1) + " |", rule]
    for key, text in SEARCHES.items():
        cells = []
        for n in sizes:
            s = results[n]["single"][key]
            cells.append(f"{s['found']:,} found, {megabytes(s['bytes'])}")
        lines.append(f'| "{text}" | ' + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_results(section: str, text: str) -> None:
    """Put `text` between <!-- bench:section --> and <!-- /bench:section --> in RESULTS.md (in
    the "After" section, appended with its markers when missing)."""
    if not WRITE_RESULTS:
        return
    start, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
    current = RESULTS.read_text() if RESULTS.exists() else ""
    block = f"{start}\n{text.strip()}\n{end}"
    if start in current and end in current:
        before, rest = current.split(start, 1)
        updated = before + block + rest.split(end, 1)[1]
    else:
        if "\n## After" not in current:
            current = current.rstrip() + "\n\n## After\n"
        updated = current.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(updated)
    print(f"(written to {RESULTS.relative_to(ROOT)}, section {section})")


def main() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1/postgres"
        )
    for tool in ("wrk",):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (Debian: apt-get install {tool}).")
    collectstatic()
    results = {}
    for n in SIZES:
        url, seeded = build(n)
        prepared = prepare(url)
        print(f"[{n}] single requests: {json.dumps(prepared['single'])}", flush=True)
        results[n] = {"single": prepared["single"], "load": load(url, prepared), "seeded_s": seeded}
    text = machine() + "\n\n" + table(results)
    print("\n" + text)
    write_results("pages", text)


if __name__ == "__main__":
    if "--prepare" in sys.argv:
        prepare_here()
    else:
        main()
