"""The outcomes CSV: one row per trial or per dose, ISO dates, formula-safe, streamed, audited."""

import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from core.spreadsheet import safe_cell
from trials.models import SiteSettings
from trials.outcomes.csv_export import ATTEMPT_HEADER, TRIAL_HEADER

URL = reverse("trials:outcomes_csv")


@pytest.fixture(autouse=True)
def _site_settings(db):
    SiteSettings.current()


def download(client, **params) -> tuple[StreamingHttpResponse, list[dict]]:
    response = client.get(URL, params)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return response, list(csv.DictReader(io.StringIO(text, newline="")))


def test_nurse_cannot_export(client_for, nurse):
    assert client_for(nurse).get(URL).status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_one_row_per_trial(client_for, admin_user, cohort):
    response, rows = download(client_for(admin_user))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="itb-outcomes-trials-')
    assert list(rows[0]) == TRIAL_HEADER
    by_id = {int(r["trial_id"]): r for r in rows}
    assert set(by_id) == {t.pk for t in cohort.all}
    pump = by_id[cohort.pump.pk]
    assert pump["status"] == "completed"
    assert pump["outcome"] == "pump_candidate"
    assert (pump["doses_given"], pump["highest_dose_given_mcg"]) == ("2", "75")
    assert (pump["responder"], pump["response_dose_mcg"]) == ("1", "75")
    assert pump["mas_lower_limb_fall_best"] == "1.50"
    assert pump["referred_on"] == cohort.pump.referred_on.isoformat()
    child = by_id[cohort.non_responder.pk]
    assert (child["age_group"], child["responder"], child["adverse_events"]) == ("child", "0", "1")
    assert by_id[cohort.preparing.pk]["responder"] == ""  # not decided: empty, not 0


def test_one_row_per_attempt(client_for, neurologist, cohort):
    _, rows = download(client_for(neurologist), sheet="attempts")

    assert list(rows[0]) == ATTEMPT_HEADER
    pump = [r for r in rows if int(r["trial_id"]) == cohort.pump.pk]
    assert [(r["attempt_number"], r["dose_mcg"], r["responder"]) for r in pump] == [
        ("1", "50", "0"), ("2", "75", "1"),
    ]  # fmt: skip
    assert [r["mas_lower_limb_fall_best"] for r in pump] == ["0.00", "1.50"]
    assert [
        (r["j0476_units"], r["j0476_modifier"], r["j0476_jw_units"], r["cpt_code"]) for r in pump
    ] == [("1", "JZ", "0", "62322"), ("2", "JZ", "0", "62322")]


def test_times_are_iso_8601_with_offset(client_for, admin_user, cohort):
    _, rows = download(client_for(admin_user), sheet="attempts")
    given = next(r["given_at"] for r in rows if r["given_at"])

    assert given[10] == "T"
    assert given[-6] in "+-" and given[-3] == ":"


def test_the_filter_applies(client_for, admin_user, cohort):
    _, rows = download(client_for(admin_user), diagnosis="cp")

    assert [int(r["trial_id"]) for r in rows] == [cohort.non_responder.pk]


def test_every_export_is_recorded_with_its_filter(client_for, admin_user, cohort):
    download(client_for(admin_user), diagnosis="cp", sheet="attempts")

    event = AuditEvent.objects.get(action="export")
    assert event.actor == admin_user
    assert event.new["diagnosis"] == "cp"
    assert event.new["sheet"] == "attempts"
    assert "Cerebral palsy" in event.summary


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_a_spreadsheet_would_run_are_escaped(text):
    assert safe_cell(text) == "'" + text


def test_plain_cells_are_left_alone():
    assert [safe_cell(v) for v in ("abc", 12, None, True, False, "a=b")] == [
        "abc", "12", "", "1", "0", "a=b",
    ]  # fmt: skip


def test_a_dangerous_value_is_escaped_and_quoted_in_the_file(client_for, admin_user, start_trial):
    start_trial(mrn='=HYPERLINK("x","y"),1')

    response = client_for(admin_user).get(URL)
    text = b"".join(response.streaming_content).decode()

    assert '"\'=HYPERLINK(""x"",""y""),1"' in text  # RFC 4180: quotes doubled
    assert text.endswith("\r\n")
    row = next(csv.DictReader(io.StringIO(text, newline="")))
    assert row["patient_mrn"] == '\'=HYPERLINK("x","y"),1'


def test_an_unknown_sheet_is_refused(client_for, admin_user):
    assert client_for(admin_user).get(URL, {"sheet": "patients"}).status_code == 400


def count_queries(client, sheet: str) -> int:
    # A request first, so the session's activity stamp (written at most every 30 s) is fresh and
    # its write does not land in the count when building the trials took longer than that.
    client.get(reverse("trials:outcomes_trials"))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, {"sheet": sheet})
        b"".join(response.streaming_content)
    return len(captured.captured_queries)


SHEETS = ["trials", "attempts"]


@pytest.fixture(scope="module")
def query_counts(two_then_ten) -> dict[str, tuple[int, int]]:
    """Per sheet: the queries of the export with two trials and with ten."""
    with_two, with_ten = two_then_ten(
        lambda client: [count_queries(client, sheet) for sheet in SHEETS]
    )
    return dict(zip(SHEETS, zip(with_two, with_ten, strict=True), strict=True))


@pytest.mark.parametrize("sheet", SHEETS)
def test_the_export_runs_a_fixed_number_of_queries(query_counts, sheet):
    with_two, with_ten = query_counts[sheet]

    assert with_two == with_ten
    # the session with its user (one read) + site settings + the audit row (the chain's head
    # and the insert; on PostgreSQL the chain's lock and the row's id first), then the rows and
    # the MAS comparison and, for the attempts, the amendments and the names of the clinicians
    # (late entries)
    assert with_ten <= 10
