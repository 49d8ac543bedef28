"""Which database the settings choose: production refuses SQLite; the embedded SQLite of the
demo waits for its turn to write instead of failing.

Each case starts a fresh interpreter with only the environment given (as
tests/security/test_deployment_settings.py does).
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL_KEY = secrets.token_urlsafe(50)
AUDIT_KEY = secrets.token_urlsafe(50)
PRINT_DATABASE = (
    "import json, config.settings as s; d = s.DATABASES['default']; "
    "print(json.dumps({'engine': d['ENGINE'], 'options': d.get('OPTIONS', {}), "
    "'health_checks': d['CONN_HEALTH_CHECKS']}))"
)


def load_settings(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-c", PRINT_DATABASE],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_database_url():
    result = load_settings(
        DJANGO_ENV="production", DJANGO_SECRET_KEY=REAL_KEY, DJANGO_AUDIT_KEY=AUDIT_KEY
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "production needs PostgreSQL" in result.stderr


def test_production_refuses_a_sqlite_database_url(tmp_path):
    result = load_settings(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=REAL_KEY,
        DJANGO_AUDIT_KEY=AUDIT_KEY,
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )
    assert result.returncode != 0
    assert "production needs PostgreSQL" in result.stderr


def test_production_starts_on_postgresql_with_health_checked_connections():
    result = load_settings(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=REAL_KEY,
        DJANGO_AUDIT_KEY=AUDIT_KEY,
        DATABASE_URL="postgres://itb@127.0.0.1:5432/itb",
    )
    assert result.returncode == 0, result.stderr
    database = json.loads(result.stdout)
    assert database["engine"] == "core.postgresql"  # Django's, its health check cheaper
    assert database["health_checks"] is True


def test_sqlite_waits_for_the_write_lock_in_wal_mode():
    result = load_settings(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)["options"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5
