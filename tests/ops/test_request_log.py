"""One JSON line on stdout per request: method, path without the query string, status, duration,
user id, request id (the caller's X-Request-ID, or a new one), and one per failed check."""

import json

import pytest
from django.test import Client


def log_lines(captured: str, logger: str = "ops.request") -> list[dict]:
    lines = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == logger]


def test_each_request_writes_one_json_line_without_the_query_string(client_for, nurse, capsys):
    client = client_for(nurse)
    capsys.readouterr()

    response = client.get("/patients/?q=Okafor", headers={"x-request-id": "ward-3f2a9c1b"})

    (line,) = log_lines(capsys.readouterr().out)
    assert line["method"] == "GET"
    assert line["path"] == "/patients/"
    assert "Okafor" not in json.dumps(line)
    assert line["status"] == response.status_code == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["user_id"] == nurse.pk
    assert line["request_id"] == "ward-3f2a9c1b" == response["X-Request-ID"]
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


def test_a_request_without_an_id_gets_a_new_one_in_the_line_and_the_answer(db, capsys):
    response = Client().get("/login/")

    (line,) = log_lines(capsys.readouterr().out)
    assert line["user_id"] is None
    assert len(line["request_id"]) == 32 and line["request_id"] == response["X-Request-ID"]


@pytest.mark.parametrize("given", ["", "x", "has spaces in it", "<script>alert(1)</script>"])
def test_an_id_that_does_not_look_like_one_is_replaced(db, capsys, given):
    Client().get("/login/", headers={"x-request-id": given})

    (line,) = log_lines(capsys.readouterr().out)
    assert line["request_id"] != given and len(line["request_id"]) == 32


def test_a_refused_post_is_logged_with_its_status(client_for, nurse, capsys):
    client = client_for(nurse)
    capsys.readouterr()

    response = client.post("/trials/outcomes/")  # nurses may not see outcomes; GET only

    (line,) = log_lines(capsys.readouterr().out)
    assert line["method"] == "POST" and line["status"] == response.status_code >= 400


def test_healthy_probes_are_not_logged_but_a_failed_check_is(db, capsys, database_down):
    Client().get("/healthz")
    assert log_lines(capsys.readouterr().out) == []

    Client().get("/readyz")

    out = capsys.readouterr().out
    (request,) = log_lines(out)
    assert request["path"] == "/readyz" and request["status"] == 503
    (check,) = log_lines(out, "ops.health")
    assert check["check"] == "database" and check["level"] == "ERROR"
    assert "OperationalError" in check["error"]
