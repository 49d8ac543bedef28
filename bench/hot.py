"""The hot paths (the trial page, the checklist tick) one request at a time, not a test.

Signs in and picks the pages as bench/bench.py does (production settings, DEBUG off), then
either measures each page (median wall time and the queries of single requests) or profiles
one page with pyinstrument (requirements-dev.txt) over a number of requests.

Run against a copy of a benchmark database (it ticks and unticks checklist items there):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itb_hot_1k .venv/bin/python bench/hot.py
    ... bench/hot.py --profile trial_observation [--runs 50]
    ... bench/hot.py --cold tick      (nothing of the trial kept: as a process never shown it)
"""

import argparse
import logging
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "trial_observation": "nurse",
    "trial_completed": "nurse",
    "tick": "neurologist",
    "board": "nurse",
    "worklist": "neurologist",
    "list": "admin",
    "search_name": "nurse",
    "search_mrn": "nurse",
    "pdf": "neurologist",
    "hello_signed_in": "nurse",  # the app's middleware for a signed-in user, no page
    "admin_login": None,  # the floor the benchmark's ratios are taken to
}


def setup() -> None:
    os.environ |= {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
    }
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)
    logging.getLogger("ops").setLevel(logging.WARNING)  # no request log lines among the figures


def requests_for(key: str, runs: int):
    """(client, method, path) for `runs` requests of the page; a tick alternates tick, untick."""
    from django.test import Client

    from accounts.models import User
    from bench.bench import pick_targets, sign_in

    targets = pick_targets()
    method, paths = targets[key]
    role = PAGES[key]
    client = sign_in(Client(), User.objects.get(username=role)) if role else Client()
    if key == "tick":  # tick then untick the same item, so the trial ends as it started
        half = len(paths) // 2
        paths = [p for pair in zip(paths[:half], paths[half:], strict=True) for p in pair]
    return [(client, method, paths[i % len(paths)]) for i in range(runs)]


COLD = False  # --cold: each request finds nothing kept of the trial, as a process never shown it


def once(client, method: str, path: str) -> tuple[int, float, float]:
    from django.core.cache import caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if COLD:  # nor a frame of the page or any part of it (trials/services/kept_page.py)
        caches["records"].clear()
        caches["parts"].clear()

    headers = {"HTTP_HX_REQUEST": "true"} if method == "POST" else {}
    started, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method.lower())(path, **headers)
        _ = response.content
    wall = (time.perf_counter() - started) * 1000
    cpu = (time.process_time() - cpu) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{method} {path} answered {response.status_code}")
    return len(captured.captured_queries), wall, cpu


def measure(runs: int, keys: list[str]) -> None:
    for key in keys or PAGES:
        batch = requests_for(key, runs + 2)
        results = [once(*r) for r in batch][2:]  # the first two warm up
        queries = sorted({q for q, _, _ in results})
        walls = [w for _, w, _ in results]
        cpus = [c for _, _, c in results]
        print(
            f"{key:18} queries {'/'.join(map(str, queries)):8} "
            f"wall median {statistics.median(walls):6.1f} ms  min {min(walls):6.1f} ms  "
            f"CPU (this process) median {statistics.median(cpus):6.1f} ms"
        )


def profile(key: str, runs: int, show_sql: bool, cprofile: str) -> None:
    from pyinstrument import Profiler

    batch = requests_for(key, runs + 2)
    for r in batch[:2]:
        once(*r)
    if show_sql:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            once(*batch[2])
        for q in captured.captured_queries:
            print(f"{q['time']:>6} {q['sql'][:300]}")
        return
    if cprofile:
        import cProfile
        import pstats

        with cProfile.Profile() as prof:
            for r in batch[2:]:
                once(*r)
        pstats.Stats(prof).sort_stats(cprofile).print_stats(60)
        return
    profiler = Profiler(interval=0.0005)
    with profiler:
        for r in batch[2:]:
            once(*r)
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", choices=list(PAGES))
    parser.add_argument("--sql", action="store_true", help="print the queries of one request")
    parser.add_argument("--cprofile", default="", help="cProfile sorted by this (tottime...)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cold", action="store_true", help="no kept record for any request")
    parser.add_argument("pages", nargs="*", choices=[[], *PAGES], help="measure only these")
    args = parser.parse_args()
    setup()
    global COLD
    COLD = args.cold
    if args.profile:
        profile(args.profile, args.runs, args.sql, args.cprofile)
    else:
        measure(args.runs, args.pages)


if __name__ == "__main__":
    main()
