"""The admin's audit page: rows filtered by patient (MRN), user, action and date range, in pages,
in a fixed number of queries; the same rows exported as a streamed, spreadsheet-safe CSV, the
export itself audited. Only admins may open either."""

import csv
import io
from datetime import UTC, datetime
from unittest.mock import patch

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from trials.models import SiteSettings


def write(actor, *, at: datetime, action="change", summary="Changed", patient=None, **extra):
    with patch("django.utils.timezone.now", return_value=at):
        return audit_record(actor=actor, action=action, summary=summary, patient=patient, **extra)


def day(d: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, d, hour, tzinfo=UTC)


def rows_of(response) -> int:
    return response.content.decode().count('class="audit-row ')


def csv_of(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def as_admin(client_for, admin_user):
    SiteSettings.current()  # the clinic's zone: America/New_York by default
    return client_for(admin_user)


@pytest.mark.parametrize("name", ["trials:audit", "trials:audit_csv"])
def test_only_an_admin_may_open_the_audit_trail(name, client_for, nurse, neurologist, as_admin):
    assert client_for(nurse).get(reverse(name)).status_code == 403
    assert client_for(neurologist).get(reverse(name)).status_code == 403
    assert as_admin.get(reverse(name)).status_code == 200


def test_rows_filtered_by_patient_mrn(as_admin, nurse, make_patient):
    ines, omar = make_patient(mrn="H-100"), make_patient(mrn="H-200")
    for _ in range(3):
        write(nurse, at=day(1), patient=ines)
    write(nurse, at=day(1), patient=omar)

    response = as_admin.get(reverse("trials:audit"), {"mrn": "h-100"})

    assert rows_of(response) == 3
    assert response.context["page"].paginator.count == 3


def test_rows_filtered_by_user_include_failed_sign_ins_with_their_username(
    as_admin, nurse, neurologist
):
    write(nurse, at=day(1), summary="By the nurse")
    write(neurologist, at=day(1), summary="By the neurologist")
    write(None, at=day(1), action="login_failed", actor_name="anonymous",
          summary="Failed sign-in", new={"username": "nadia"})  # fmt: skip

    response = as_admin.get(reverse("trials:audit"), {"user": nurse.pk})

    summaries = [e.summary for e in response.context["page"]]
    assert "By the nurse" in summaries and "Failed sign-in" in summaries
    assert "By the neurologist" not in summaries


def test_rows_filtered_by_action(as_admin, nurse):
    write(nurse, at=day(1), action="tick")
    write(nurse, at=day(1), action="view")
    write(nurse, at=day(1), action="view")

    response = as_admin.get(reverse("trials:audit"), {"action": "view"})

    assert [e.action for e in response.context["page"]] == ["view", "view"]


def test_rows_filtered_by_dates_in_the_clinics_zone(as_admin, nurse):
    write(nurse, at=day(1), summary="1 March")
    write(nurse, at=day(2), summary="2 March")
    write(nurse, at=day(3, hour=3), summary="2 March, 22:00 in New York")
    write(nurse, at=day(4), summary="4 March")

    response = as_admin.get(
        reverse("trials:audit"), {"date_from": "2026-03-02", "date_to": "2026-03-03"}
    )

    assert [e.summary for e in response.context["page"]] == [
        "2 March, 22:00 in New York",
        "2 March",
    ]


def test_a_backwards_date_range_is_refused(as_admin):
    response = as_admin.get(
        reverse("trials:audit"), {"date_from": "2026-03-05", "date_to": "2026-03-01"}
    )

    assert response.status_code == 400
    assert "The &#x27;from&#x27; date must not be after the &#x27;to&#x27; date." in (
        response.content.decode()
    )
    assert as_admin.get(reverse("trials:audit_csv"), {"date_from": "x"}).status_code == 400


def test_rows_come_in_pages_newest_first(as_admin, nurse):
    for n in range(120):
        write(nurse, at=day(1), action="tick", summary=f"Row {n}")

    first = as_admin.get(reverse("trials:audit"), {"action": "tick"})
    last = as_admin.get(reverse("trials:audit"), {"action": "tick", "page": 3})

    assert (rows_of(first), rows_of(last)) == (50, 20)
    assert first.context["page"][0].summary == "Row 119"
    assert "Page 3 of 3" in last.content.decode()
    assert "action=tick&amp;page=2" in last.content.decode()


def test_the_page_reads_in_a_fixed_number_of_queries(as_admin, nurse, make_patient):
    patient = make_patient(mrn="H-300")

    def queries(**params) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert as_admin.get(reverse("trials:audit"), params).status_code == 200
        return len(captured)

    for _ in range(3):
        write(nurse, at=day(1), patient=patient)
    small = queries(), queries(mrn="H-300", user=nurse.pk)
    for _ in range(150):
        write(nurse, at=day(1), patient=patient, old={"a": 1}, new={"a": 2})
    large = queries(), queries(mrn="H-300", user=nurse.pk)

    assert small == large
    assert max(large) <= 12


def test_the_csv_holds_the_filtered_rows_oldest_first_with_their_hashes(
    as_admin, nurse, make_patient
):
    patient = make_patient(mrn="H-400")
    first = write(nurse, at=day(1), patient=patient, summary="First", old={"x": 1}, new={"x": 2})
    write(nurse, at=day(2), patient=patient, summary="Second")
    write(nurse, at=day(2), summary="Another patient's")

    response = as_admin.get(reverse("trials:audit_csv"), {"mrn": "H-400"})

    assert response.streaming
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="itb-audit-')
    header, *rows = csv_of(response)
    assert header[:5] == ["id", "time_utc", "user_id", "user", "action"]
    assert [r[header.index("summary")] for r in rows] == ["First", "Second"]
    row = dict(zip(header, rows[0], strict=True))
    assert row["time_utc"] == "2026-03-01T12:00:00.000000+00:00"
    assert (row["user"], row["patient_mrn"], row["old"], row["new"]) == (
        "Nadia Okafor", "H-400", '{"x": 1}', '{"x": 2}'
    )  # fmt: skip
    assert (row["prev_hash"], row["hash"]) == (first.prev_hash, first.hash)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_quoted(start, as_admin, nurse):
    write(nurse, at=day(1), action="tick", summary=f'{start}HYPERLINK("http://x")')

    header, *rows = csv_of(as_admin.get(reverse("trials:audit_csv"), {"action": "tick"}))

    assert rows[0][header.index("summary")] == f'\'{start}HYPERLINK("http://x")'


def test_the_export_writes_one_audit_row_with_its_filter(as_admin, admin_user, nurse):
    before = AuditEvent.objects.count()

    response = as_admin.get(reverse("trials:audit_csv"), {"action": "tick", "user": nurse.pk})
    csv_of(response)

    row = AuditEvent.objects.get(pk__gt=0, action="export")
    assert AuditEvent.objects.count() == before + 1
    assert (row.actor, row.new) == (
        admin_user, {"export": "audit CSV", "action": "tick", "user": "nadia"}
    )  # fmt: skip


def test_what_rows_say_is_shown_escaped(as_admin, nurse):
    write(nurse, at=day(1), summary="<script>alert(1)</script>", new={"note": "<b>x</b>"})

    page = as_admin.get(reverse("trials:audit")).content.decode()

    assert "<script>alert(1)</script>" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
