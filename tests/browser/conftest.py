"""The real app in a subprocess, on its own fresh database, driven by headless Chromium.

Why not pytest-django's live_server: it flushes the database between tests with TRUNCATE, and on
PostgreSQL the audit table refuses TRUNCATE (a trigger, migration trials/0002). So the session
fixture below creates a database of its own (a new PostgreSQL database when DATABASE_URL points
at PostgreSQL, else a temporary SQLite file), migrates it, creates the users and runs
`manage.py runserver` against it. The browser tests never request the `db` fixture: pytest-django
only guards this process's connections, the server subprocess is unaffected.

Debian's Chromium is used as is (never `playwright install`).
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000
PASSWORD = "e2e-Journey-pass-2468"


@dataclass(frozen=True)
class E2EUser:
    username: str
    role: str
    first_name: str
    last_name: str
    totp_key: str = ""  # base32; the user gets a confirmed authenticator with it when set

    def current_code(self, offset: float = 0) -> str:
        """The code the user's authenticator app would show now (on the app's moved clock)."""
        import base64
        import time

        from django_otp.oath import TOTP

        totp = TOTP(base64.b32decode(self.totp_key))
        totp.time = time.time() + offset
        return str(totp.token()).zfill(6)

    @property
    def printed_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


# The neurologist and the admin sign in with a second factor (required for their roles); the
# nurse has none, as a nurse may.
NURSE = E2EUser("nurse_e2e", "nurse", "Nell", "Harper")
NEUROLOGIST = E2EUser(
    "neuro_e2e", "neurologist", "Theo", "Marsh", "E2ENEUROE2ENEUROE2ENEUROE2ENEURO"
)
ADMIN = E2EUser("admin_e2e", "admin", "Ada", "Quinn", "E2EADMINE2EADMINE2EADMINE2EADMIN")

CREATE_USERS = """
import base64
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.models import User
for username, role, first, last, totp_key in {users!r}:
    user = User.objects.create_user(
        username=username, password={password!r}, role=role, first_name=first, last_name=last
    )
    if totp_key:
        TOTPDevice.objects.create(
            user=user, name="e2e", key=base64.b32decode(totp_key).hex(), confirmed=True
        )
print("users:", User.objects.count(), "authenticators:", TOTPDevice.objects.count())
"""


@dataclass
class LiveApp:
    base_url: str
    database_url: str
    log_path: Path
    clock_file: Path
    password: str = PASSWORD
    nurse: E2EUser = NURSE
    neurologist: E2EUser = NEUROLOGIST
    admin: E2EUser = ADMIN

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def offset(self) -> float:
        return float(self.clock_file.read_text() or 0)

    def now(self):
        """The app's clock (UTC): real time plus the offset the test moved it by."""
        from datetime import UTC, datetime, timedelta

        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def move_clock(self, **delta) -> None:
        """Move the app's clock forward, e.g. move_clock(hours=2): time passes on the ward."""
        from datetime import timedelta

        self.clock_file.write_text(str(self.offset + timedelta(**delta).total_seconds()))

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


# --- The database ---------------------------------------------------------------------------


def _is_postgres(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme in {"postgres", "postgresql", "pgsql"}


def _with_db_name(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


class _Postgres:
    """A fresh database beside the one DATABASE_URL names; dropped (WITH FORCE) at the end."""

    def __init__(self, url: str):
        import psycopg

        self.psycopg = psycopg
        self.name = f"itb_e2e_{secrets.token_hex(4)}"
        self.admin_url = _with_db_name(url, "postgres")
        self.url = _with_db_name(url, self.name)

    def _execute(self, sql) -> None:
        with self.psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def create(self, template: str = "") -> bool:
        """Create the database: a copy of `template` (a migrated database) when given and
        possible, else empty. Returns whether it is a copy."""
        from psycopg import sql

        name = sql.Identifier(self.name)
        if template:
            try:
                self._execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(name, sql.Identifier(template))
                )
                return True
            except (self.psycopg.errors.ObjectInUse, self.psycopg.errors.InvalidCatalogName):
                pass  # someone is connected to the template, or it was never created
        self._execute(sql.SQL("CREATE DATABASE {}").format(name))
        return False

    def drop(self) -> None:
        from psycopg import sql

        self._execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], env: dict, what: str) -> None:
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
            f"{what} failed (exit {done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}",
            pytrace=False,
        )


def _wait_until_up(proc: subprocess.Popen, url: str, log_path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"runserver exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own server
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"runserver did not answer {url} in {seconds} s", pytrace=False)


def _migrated_test_database(django_db_blocker) -> str:
    """The name of this process's test database (migrated, its tables empty), with this process's
    connections to it closed so that it can be copied; "" when it is not a database of its own."""
    from django.db import connection, connections

    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
        connections.close_all()
    return (
        "" if name == urllib.parse.urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") else name
    )


@pytest.fixture(scope="session")
def live_app(request, django_db_blocker):
    """The app served by `manage.py runserver` on a free port, on a database of its own.

    On PostgreSQL the database is a copy of the test database (CREATE DATABASE … TEMPLATE, as
    tests/ops/conftest.py's pg_site does): seconds faster than migrating again. The test database
    exists when a test of the run uses the database (pytest-django makes it for those only); in a
    run of browser tests alone, the new database is migrated."""
    workdir = Path(tempfile.mkdtemp(prefix="itb_e2e_"))
    source_url = os.environ.get("DATABASE_URL", "")
    postgres = _Postgres(source_url) if _is_postgres(source_url) else None
    copied = False
    if postgres:
        request.getfixturevalue("django_db_setup")
        copied = postgres.create(template=_migrated_test_database(django_db_blocker))
    database_url = postgres.url if postgres else f"sqlite:///{workdir / 'e2e.sqlite3'}"
    env = os.environ | {
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": database_url,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "tests.browser.settings",
        "PYTHONUNBUFFERED": "1",
    }
    proc = None
    log_file = None
    log_path = workdir / "runserver.log"
    clock_file = workdir / "clock-offset"
    clock_file.write_text("0")
    env["ITB_TEST_CLOCK_FILE"] = str(clock_file)
    try:
        if not copied:
            _run(["migrate", "--no-input"], env, "migrate")
        # The server starts (seconds of imports and checks) while another process creates the
        # users: no request reaches it before they exist (the test signs in after this).
        port = _free_port()
        log_file = log_path.open("w")
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        users = [
            (u.username, u.role, u.first_name, u.last_name, u.totp_key)
            for u in (NURSE, NEUROLOGIST, ADMIN)
        ]
        _run(
            ["shell", "-c", CREATE_USERS.format(users=users, password=PASSWORD)],
            env,
            "creating the users",
        )
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_up(proc, base_url + "/login/", log_path)
        yield LiveApp(
            base_url=base_url, database_url=database_url, log_path=log_path, clock_file=clock_file
        )
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if log_file is not None:
            log_file.close()
        if postgres is not None:
            postgres.drop()
        shutil.rmtree(workdir, ignore_errors=True)


# --- The browser ----------------------------------------------------------------------------


# Module scope, not session: while Playwright's sync API is open its event loop counts as
# running in this thread, and Django then refuses to open a database connection in the tests
# that come after ("You cannot call this from an async context").
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"the browser tests drive Debian's Chromium at {CHROMIUM}, not installed here")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


@dataclass
class Tab:
    """One user's browser context and page, with what went wrong in it."""

    name: str
    context: object
    page: object
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture
def meter(monkeypatch):
    """What this test's users did (clicks, typed fields, page loads per tab), counted as done."""
    from .measure import Meter

    meter = Meter()
    meter.install(monkeypatch)
    return meter


@pytest.fixture
def new_tab(browser, request, screenshots_dir, meter):
    """new_tab("nurse") -> a Tab in a fresh context (1366×900). On failure: URL, alerts, shots.

    Each tab's actions and page loads are counted by `meter`, under the tab's name.
    """
    tabs: list[Tab] = []

    def open_tab(name: str) -> Tab:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        tab = Tab(name, context, page)
        meter.watch(page, name)
        page.on("pageerror", lambda exc: tab.page_errors.append(f"{page.url}: {exc}"))
        page.on(
            "console",
            lambda msg: (
                tab.console_errors.append(f"{page.url}: {msg.text}")
                if msg.type == "error"
                else None
            ),
        )
        tabs.append(tab)
        return tab

    yield open_tab

    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for tab in tabs:
            print(f"\n--- {tab.name}: {tab.page.url}")
            try:
                for alert in tab.page.locator(".alert, .invalid-feedback, .errorlist").all():
                    if alert.is_visible():
                        print("  visible message:", " ".join(alert.inner_text().split()))
                shot = screenshots_dir / f"FAILED-{tab.name}.png"
                tab.page.screenshot(path=str(shot), full_page=True)
                print("  screenshot:", shot)
            except Exception as exc:  # context only: never hide the real failure
                print("  (could not inspect the page:", exc, ")")
            for line in tab.page_errors + tab.console_errors:
                print("  browser:", line)
        app = request.getfixturevalue("live_app")
        print("\n--- runserver log (tail)\n" + app.log_tail())
    for tab in tabs:
        tab.context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
