"""The app the production way, in subprocesses: a database of its own, gunicorn servers, and a
small HTTP client that signs in through the real pages.

Why not pytest-django's live_server: its database is the test database, flushed with TRUNCATE
between tests, which the audit table refuses on PostgreSQL (a trigger, migration trials/0002),
and its data live in the test's transaction, invisible to another process. Here each database
is created, migrated and filled (through the same service functions the pages call, in a
`manage.py shell` subprocess), served by gunicorn with production settings (DEBUG off, hashed
static files), and dropped at the end.
"""

import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "ops-Live-pass-1357"
SECRET_KEY = secrets.token_urlsafe(50)


def is_postgres(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme in {"postgres", "postgresql", "pgsql"}


def with_db_name(url: str, name: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/" + name))


def db_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def postgres_execute(url: str, sql) -> None:
    """One statement on the server of `url`, connected to its "postgres" database."""
    import psycopg

    with psycopg.connect(with_db_name(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def postgres_database(source_url: str, prefix: str, template: str = ""):
    """A new PostgreSQL database beside the one source_url names, dropped at the end: a copy of
    `template` when given and possible, else empty. Yields (url, whether it is a copy)."""
    import psycopg
    from psycopg import sql

    plain_name = f"{prefix}_{secrets.token_hex(4)}"
    name = sql.Identifier(plain_name)
    copied = False
    if template:
        try:
            create = sql.SQL("CREATE DATABASE {} TEMPLATE {}")
            postgres_execute(source_url, create.format(name, sql.Identifier(template)))
            copied = True
        except (psycopg.errors.ObjectInUse, psycopg.errors.InvalidCatalogName):
            pass  # someone is connected to the template, or it was never created
    if not copied:
        postgres_execute(source_url, sql.SQL("CREATE DATABASE {}").format(name))
    try:
        yield with_db_name(source_url, plain_name), copied
    finally:
        postgres_execute(
            source_url,
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name),
        )


def app_env(database_url: str, static_root: Path, **extra: str) -> dict[str, str]:
    """The environment of a production deployment on this machine (plain http on 127.0.0.1)."""
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    }
    return (
        base
        | {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_STATIC_ROOT": str(static_root),
            "DATABASE_URL": database_url,
            "PYTHONUNBUFFERED": "1",
        }
        | extra
    )


def manage(env: dict[str, str], *args: str, what: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"{what or ' '.join(args)} failed (exit {done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}",
            pytrace=False,
        )
    return done.stdout


def shell(env: dict[str, str], code: str, what: str) -> str:
    return manage(env, "shell", "-c", code, what=what)


class QuickPBKDF2(PBKDF2PasswordHasher):
    """The production algorithm with few iterations, for the setup only: a hash it makes says
    its iteration count, so the servers (production hashers) check it quickly, and upgrade it at
    the user's first sign-in as they would any old hash. Signing steps in the setup re-check
    the password each time; at the full count that would take seconds."""

    iterations = 1000


# The database of `env` migrated first when asked (in the same interpreter: one start of Django
# fewer than `manage.py migrate` before it).
MIGRATE = """
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
"""

# Users and trials made through the service functions (tests/factories.py), in the database of
# `env`. Prints one line "trial <id>" per trial.
SETUP = """
from django.conf import settings
from django.contrib.auth import hashers
settings.PASSWORD_HASHERS = ["tests.ops.live.QuickPBKDF2"]
hashers.get_hashers.cache_clear()
hashers.get_hashers_by_algorithm.cache_clear()
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.models import Role, User
from tests import factories
from trials import scenarios
nurses = [
    User.objects.create_user(
        username=f"nurse{{n}}", password={password!r}, role=Role.NURSE, first_name="Nurse",
        last_name=str(n),
    )
    for n in range({nurses})
]
neurologist = User.objects.create_user(
    username="neuro", password={password!r}, role=Role.NEUROLOGIST, first_name="Hugo",
    last_name="Lindqvist",
)
TOTPDevice.objects.create(user=neurologist, name="Phone", key={totp_hex!r}, confirmed=True)
team = scenarios.Team(nurses[0], neurologist, {password!r})
for state in {states!r}:
    print("trial", factories.build_trial(state, team, factories.make_patient()).pk)
for _ in range({patients}):
    print("patient", factories.make_patient().pk)
if {sessions!r}:
    from importlib import import_module
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone
    from accounts.sessions import session_start
    for user in nurses:
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "accounts.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session_start(store, timezone.now())
        store.create()
        print("session", store.session_key)
"""

TOTP_HEX = secrets.token_hex(20)


def setup_data(
    env: dict[str, str],
    *,
    nurses: int,
    states: list[str],
    patients: int = 0,
    sessions: bool = False,
    migrate: bool = False,
) -> dict[str, list]:
    """Users nurse0…nurseN-1 and "neuro" (with an authenticator), a trial in each state and
    `patients` patients without one; with `sessions`, a signed-in session per nurse (as if she
    had signed in: the sign-in page's password hashing is not what a test of writes measures);
    with `migrate`, the database migrated first.
    Returns {"trial": [ids], "patient": [ids], "session": [keys, nurse by nurse]}."""
    code = (MIGRATE if migrate else "") + SETUP.format(
        password=PASSWORD,
        nurses=nurses,
        totp_hex=TOTP_HEX,
        states=states,
        patients=patients,
        sessions=sessions,
    )
    made: dict[str, list] = {"trial": [], "patient": [], "session": []}
    what = "migrating, creating users and trials" if migrate else "creating users and trials"
    for line in shell(env, code, what).splitlines():
        kind, _, value = line.partition(" ")
        if kind in made:
            made[kind].append(value if kind == "session" else int(value))
    return made


def totp_code() -> str:
    """The code the neurologist's authenticator shows now."""
    from django_otp.oath import TOTP

    return str(TOTP(bytes.fromhex(TOTP_HEX)).token()).zfill(6)


def collect_static(env: dict[str, str]) -> None:
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    port: int
    proc: subprocess.Popen
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 1, threads: int = 1, count: int = 1):
    """`count` gunicorn servers (gunicorn.conf.py, each on a free port); stopped at the end."""
    logdir = Path(tempfile.mkdtemp(prefix="itb_gunicorn_"))
    servers: list[Server] = []
    try:
        for n in range(count):
            port = free_port()
            log_path = logdir / f"server{n}.log"
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
                cwd=ROOT,
                env=env
                | {
                    "GUNICORN_BIND": f"127.0.0.1:{port}",
                    "GUNICORN_WORKERS": str(workers),
                    "GUNICORN_THREADS": str(threads),
                },
                stdout=log_path.open("w"),
                stderr=subprocess.STDOUT,
            )
            servers.append(Server(port, proc, log_path))
        for server in servers:
            _wait_until_up(server)
        yield servers
    finally:
        for server in servers:
            server.proc.terminate()
        for server in servers:
            try:
                server.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.proc.kill()
                server.proc.wait(timeout=5)
        shutil.rmtree(logdir, ignore_errors=True)


def _wait_until_up(server: Server, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.proc.returncode}:\n{server.log()}")
        try:
            if Browser(server.base_url).get("/readyz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer on port {server.port} in {seconds} s:\n{server.log()}")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Browser:
    """Just enough of a browser: keeps cookies (Secure ones too: this is plain http on
    127.0.0.1, as with `make serve`), and sends the CSRF token the pages carry. `base_url` may
    be changed between requests: the same cookies go to another server."""

    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, data: dict | None = None, **headers) -> Answer:
        parts = urllib.parse.urlsplit(self.base_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        body = urllib.parse.urlencode(data or {}) if method == "POST" else None
        send = {"Host": parts.netloc, **headers}
        if self.cookies:
            send["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            send["Content-Type"] = "application/x-www-form-urlencoded"
            if "csrftoken" in self.cookies:
                send["X-CSRFToken"] = self.cookies["csrftoken"]
        try:
            conn.request(method, path, body=body, headers=send)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    cookie_value = rest.split(";", 1)[0]
                    if "max-age=0" in value.lower() or cookie_value in {"", '""'}:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = cookie_value
            headers_out = {k.lower(): v for k, v in response.getheaders()}
            return Answer(response.status, headers_out, text)
        finally:
            conn.close()

    def get(self, path: str, **headers) -> Answer:
        return self.request("GET", path, **headers)

    def post(self, path: str, data: dict | None = None, **headers) -> Answer:
        if "csrftoken" not in self.cookies:
            self.get("/login/")
        return self.request("POST", path, data, **headers)

    def sign_in(self, username: str, password: str = PASSWORD, code: str = "") -> None:
        page = self.get("/login/")
        token = CSRF_INPUT.search(page.text)
        answer = self.post(
            "/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
        )
        assert answer.status == 302, f"sign-in of {username}: {answer.status}"
        if "/login/code/" in answer.location:
            assert code, f"{username} needs a second factor"
            answer = self.post("/login/code/", {"otp_token": code})
            assert answer.status == 302 and "/login/" not in answer.location, answer.status
