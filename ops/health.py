"""What the load balancer and the service manager ask: is the process up (/healthz), and can it
serve requests now (/readyz: database reachable, every migration applied, cache reachable).

HealthMiddleware answers both first in the middleware chain (config/settings.py), before the
https redirect, sessions, sign-in, the second-factor gate, the clinic's settings (a database
query) and the audit trail: a probe over plain http from the balancer gets its answer, a
signed-in browser is not redirected, no session or audit row is written, and /healthz does not
depend on the database. The answers name the checks and never carry data.

django-health-check would do the database and cache checks, but not the migrations one, and
its views run behind the whole middleware chain; these few lines do exactly what is needed.
"""

import json
import logging
import secrets
from collections.abc import Callable

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("ops.health")

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"

_migrations_applied = False  # once true in a process, it stays true (new code, new process)


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_migrations() -> None:
    global _migrations_applied
    if _migrations_applied:
        return
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        raise RuntimeError(f"{len(plan)} migration(s) not applied: {names}")
    _migrations_applied = True


def check_cache() -> None:
    key, value = "ops:readyz", secrets.token_hex(8)
    cache.set(key, value, 10)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not return what was just stored")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "migrations": check_migrations,
    "cache": check_cache,
}
NEEDS_DATABASE = {"migrations"}


def readiness() -> tuple[bool, dict[str, str]]:
    """Run every check: ({name: "ok" | "failing" | "not checked"}, all ok). A failure is logged
    with its cause (one JSON line, ops/logging.py); the answer names only the check."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name in NEEDS_DATABASE and results.get("database") != "ok":
            results[name] = "not checked"
            continue
        try:
            check()
        except Exception as exc:
            results[name] = "failing"
            logger.error(
                "readiness check failed",
                extra={"check": name, "error": f"{type(exc).__name__}: {exc}"[:500]},
            )
        else:
            results[name] = "ok"
    return all(r == "ok" for r in results.values()), results


def _answer(status: int, body: dict) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


class HealthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/")
        if path == HEALTH_PATH:
            return _answer(200, {"status": "ok"})
        if path == READY_PATH:
            ready, checks = readiness()
            return _answer(
                200 if ready else 503,
                {"status": "ok" if ready else "unavailable"} | {"checks": checks},
            )
        return self.get_response(request)
