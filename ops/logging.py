"""Logs a machine can read: one JSON object per line on stdout.

RequestLogMiddleware writes one line per request (method, path without the query string,
status, duration in ms, user id, request id); the readiness checks write one per failed check
(ops/health.py). No query string, body, cookie or name goes into a line: a query string may
hold a patient's name or record number (the patient search), the user id is enough to find who.

The request id is the caller's X-Request-ID (a proxy in front, nginx's $request_id) when it
looks like one, otherwise a new one; either way the response carries it back, so a user's
report, the proxy's log and this log can be matched.
"""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from ops.health import HEALTH_PATH, READY_PATH

logger = logging.getLogger("ops.request")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
PROBES = {HEALTH_PATH, READY_PATH}

# What logging.LogRecord carries of its own; anything else on a record came in `extra`.
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """time (UTC, ISO 8601), level, logger, message, then the record's `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= {k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class StdoutHandler(logging.StreamHandler):
    """A StreamHandler on whatever sys.stdout is at the time of writing (a test's capture, a
    service manager's pipe), not the one it was when logging was configured."""

    def __init__(self):
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):
        pass


def request_id_of(request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def _user_id(request) -> int | None:
    user = getattr(request, "user", None)  # absent for a static file (whitenoise) or a probe
    try:
        return user.pk if user is not None and user.is_authenticated else None
    except Exception:  # a session that could not be read: the request's own error says why
        return None


class RequestLogMiddleware:
    """First in the chain, so it times and records every request, static files included.
    Health probes are recorded only when they fail (a balancer asks every few seconds)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.request_id = request_id_of(request)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        path = request.path
        if path.rstrip("/") in PROBES and response.status_code < 400:
            return response
        logger.info(
            "request",
            extra={
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": _user_id(request),
                "request_id": request.request_id,
            },
        )
        return response
