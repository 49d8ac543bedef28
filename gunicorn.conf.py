"""gunicorn settings: `gunicorn` (or `make serve`) reads this file from the working directory.

Every value can be changed from the environment, so a hospital's deployment adapts it without
editing code. The app servers keep no state of their own (sessions in the database or Redis,
cache in Redis when REDIS_URL is set), so any number of them can run behind a load balancer.
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Synchronous workers: the usual 2 × CPUs + 1 (a worker waits on the database most of the time).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))

# A request that takes longer than this is killed and answered 502 by the proxy: no page of
# the app needs more than a few seconds (the largest CSV export included).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then, so a slow leak in any library never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200

# Access log and errors to stdout/stderr, for the service manager's journal. The app itself also
# writes one JSON line per request (ops/logging.py) with the user and request id.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")

# The proxy in front (nginx) says whether the request came over HTTPS (X-Forwarded-Proto); only
# trust it from these addresses.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn's runtime control socket (gunicornc) lives at one path per user by default, which
# two servers on one machine would fight over; off unless a path is given.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
