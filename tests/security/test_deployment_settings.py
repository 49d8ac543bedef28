"""Production settings: no start without a real secret key or with DEBUG on; deploy checks pass.

Each case starts a fresh interpreter with only the environment a deployment would have.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL_KEY = secrets.token_urlsafe(50)
AUDIT_KEY = secrets.token_urlsafe(50)


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=base | {"DATABASE_URL": "postgres://app@127.0.0.1:5432/itb"} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def load_settings(**env: str) -> subprocess.CompletedProcess:
    return run("-c", "import config.settings", **env)


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("key", ["short", "dev-only-insecure-key-never-used-in-production-x"])
def test_production_refuses_a_weak_or_development_secret_key(key):
    result = load_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=key)
    assert result.returncode != 0
    assert "long random value" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = load_settings(
        DJANGO_ENV="production", DJANGO_DEBUG="1", DJANGO_SECRET_KEY=REAL_KEY,
        DJANGO_AUDIT_KEY=AUDIT_KEY,
    )  # fmt: skip
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off" in result.stderr


def test_production_settings_start_with_a_real_secret_key():
    result = load_settings(
        DJANGO_ENV="production", DJANGO_SECRET_KEY=REAL_KEY, DJANGO_AUDIT_KEY=AUDIT_KEY
    )
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_an_audit_key():
    result = load_settings(DJANGO_ENV="production", DJANGO_SECRET_KEY=REAL_KEY)
    assert result.returncode != 0
    assert "DJANGO_AUDIT_KEY must be set" in result.stderr


@pytest.mark.parametrize("key", ["short", REAL_KEY], ids=["short", "the-secret-key"])
def test_production_refuses_a_weak_audit_key_or_the_secret_key_again(key):
    result = load_settings(
        DJANGO_ENV="production", DJANGO_SECRET_KEY=REAL_KEY, DJANGO_AUDIT_KEY=key
    )
    assert result.returncode != 0
    assert "DJANGO_AUDIT_KEY must be a long random value, not the secret key" in result.stderr


def test_check_deploy_reports_nothing_with_production_settings():
    result = run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=REAL_KEY,
        DJANGO_AUDIT_KEY=AUDIT_KEY,
        DJANGO_ALLOWED_HOSTS="itb.example-hospital.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
