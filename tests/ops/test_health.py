"""/healthz (the process answers) and /readyz (it can serve: database, migrations, cache), as a
load balancer asks them: unauthenticated, over plain http, with no data in the answer, no
session, no audit row, no redirect."""

import json

import pytest
from django.test import Client

from audit.models import AuditEvent
from ops import health


@pytest.fixture
def probe(db):
    return Client()


def test_healthz_answers_ok(probe):
    response = probe.get("/healthz")

    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


def test_readyz_answers_ok_with_each_check(probe):
    response = probe.get("/readyz")

    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "cache": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


def test_readyz_answers_503_when_the_database_is_down(probe, database_down):
    response = probe.get("/readyz")

    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "unavailable",
        "checks": {"database": "failing", "migrations": "not checked", "cache": "ok"},
    }


def test_healthz_still_answers_when_the_database_is_down(probe, database_down):
    assert probe.get("/healthz").status_code == 200


def test_readyz_answers_503_when_a_migration_is_not_applied(probe, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)
    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        lambda self, targets: [(type("M", (), {"app_label": "trials", "name": "0099_new"}), False)],
    )

    response = probe.get("/readyz")

    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["migrations"] == "failing"


def test_readyz_answers_503_when_the_cache_is_unreachable(probe, monkeypatch):
    def refused(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("django.core.cache.cache.set", refused)

    response = probe.get("/readyz")

    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["cache"] == "failing"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_write_no_session_and_no_audit_row(probe, path):
    before = AuditEvent.objects.count()

    response = probe.get(path)

    assert "sessionid" not in response.cookies
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_a_signed_in_browser_before_its_second_factor_is_not_redirected(path, neurologist):
    browser = Client()
    browser.force_login(neurologist)  # password given, code not yet

    assert browser.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_over_plain_http_are_not_redirected_to_https(probe, path, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert probe.get(path).status_code == 200
