"""Benchmark (not a test): outcome pages against Django's own admin list, on PostgreSQL.

For each N in BENCH_SIZES (default 1000,10000,100000) it creates a fresh database
itb_bench_<N> on the PostgreSQL server of DATABASE_URL, migrates it, writes N synthetic patients
with `manage.py seed_demo --patients N`, runs ANALYZE, and then measures with Django's test
Client, logged in as the demo admin, the median server time over BENCH_RUNS runs (default 5) of:

- the outcomes dashboard, cold (cache cleared before each run: every figure computed by the
  database) and cached (the figures cached while no audit row is added);
- the CSV export, one row per trial (the whole stream consumed);
- one trial's FHIR bundle (the completed trial with the most records);
- Django's admin changelist of trials (/django-admin/trials/trial/), as the reference.

Run:  DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
      BENCH_SIZES=1000,10000 .venv/bin/python bench/bench.py
(`make bench` does this.) BENCH_KEEP=1 keeps a database that exists already instead of
rebuilding it. Each size runs in its own process, since Django reads DATABASE_URL at start-up.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(",") if n]
RUNS = max(5, int(os.environ.get("BENCH_RUNS", "5")))
KEEP = os.environ.get("BENCH_KEEP") == "1"


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
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def build(n: int) -> str:
    name = f"itb_bench_{n}"
    url = database_url(name)
    if KEEP and database_exists(name):
        print(f"[{n}] keeping database {name} (migrating it to the current models)", flush=True)
        manage(url, "migrate", "--noinput", "-v", "0")
        return url
    print(f"[{n}] building {name}", flush=True)
    started = time.monotonic()
    admin_sql(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    manage(url, "migrate", "--noinput", "-v", "0")
    manage(url, "seed_demo", "--patients", str(n))
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"[{n}] built in {time.monotonic() - started:.0f} s", flush=True)
    return url


def measure(url: str) -> dict:
    env = os.environ | {"DATABASE_URL": url, "DJANGO_DEBUG": "1", "BENCH_RUNS": str(RUNS)}
    out = subprocess.run(  # noqa: S603 - stderr passes through, so a failure shows its cause
        [sys.executable, __file__, "--measure"], cwd=ROOT, env=env, check=True,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- Inside one database (a child process) ---------------------------------------------------


def _timed(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    if response.streaming:
        for _ in response.streaming_content:
            pass
    else:
        _ = response.content
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return elapsed * 1000


def _median(client, url: str, before=None) -> float:
    _timed(client, url)  # warm-up: connections, templates, caches of Python itself
    runs = []
    for _ in range(RUNS):
        if before:
            before()
        runs.append(_timed(client, url))
    return statistics.median(runs)


def measure_here() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.db.models import Count
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from accounts.models import User
    from trials.models import DoseAttempt, MasScore, Trial

    setup_test_environment(debug=False)  # allows the test client's host; no query logging
    # The pages are measured, not the sign-in: the second-factor gate (it would send the
    # force-logged-in admin to the code page) is left out; every other middleware runs.
    middleware = [m for m in settings.MIDDLEWARE if "SecondFactor" not in m]
    override_settings(MIDDLEWARE=middleware).enable()
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    trial = (
        Trial.objects.filter(status="completed")
        .annotate(n=Count("assessments"))
        .order_by("-n", "pk")
        .first()
    )
    result = {
        "trials": Trial.objects.count(),
        "attempts": DoseAttempt.objects.count(),
        "mas_scores": MasScore.objects.count(),
        "dashboard_cold": _median(client, reverse("trials:outcomes"), before=cache.clear),
        "dashboard_cached": _median(client, reverse("trials:outcomes")),
        "csv": _median(client, reverse("trials:outcomes_csv") + "?sheet=trials"),
        "fhir_trial": _median(client, reverse("trials:fhir", args=[trial.pk])),
        "admin_list": _median(client, "/django-admin/trials/trial/"),
    }
    print(json.dumps(result))


COLUMNS = [
    ("trials", "trials", "{:>9,}"),
    ("dashboard_cold", "dashboard (computed)", "{:>20.0f}"),
    ("dashboard_cached", "dashboard (cached)", "{:>18.0f}"),
    ("csv", "CSV per trial", "{:>13.0f}"),
    ("fhir_trial", "FHIR 1 trial", "{:>12.0f}"),
    ("admin_list", "admin list", "{:>10.0f}"),
]


def main() -> None:
    if "DATABASE_URL" not in os.environ or not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1/postgres"
        )
    results = []
    for n in SIZES:
        results.append(measure(build(n)))
        print(f"[{n}] measured: {results[-1]}", flush=True)
    print(f"\nMedian server time in ms over {RUNS} runs (Django test Client, PostgreSQL):\n")
    print(" | ".join(title for _, title, _ in COLUMNS))
    print("-|-".join("-" * len(title) for _, title, _ in COLUMNS))
    for row in results:
        print(" | ".join(fmt.format(row[key]) for key, _, fmt in COLUMNS))


if __name__ == "__main__":
    if "--measure" in sys.argv:
        measure_here()
    else:
        main()
