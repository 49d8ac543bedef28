"""The timeline: the trial page shows the latest changes, the trial's timeline page all of them.

A trial's history only grows (every tick, untick, amendment and signature is a change), and each
view of its page adds a row to the audit trail too. The trial page reads the latest
TIMELINE_LATEST changes however long that history, and links to the timeline page, which lists
every change, newest first, in pages.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_bulk_append, audit_record
from patients.models import Patient
from tests import factories, module_data
from trials.models import Trial
from trials.services.timeline import TIMELINE_FIELDS, TIMELINE_LATEST
from trials.views.pages import TIMELINE_PAGE

from .support import HTMX, ITEM, LABEL, element, html

# The completed trial is built once for the module (tests/module_data.py): the changes and views
# a test adds to its history are rolled back after it. The named users of the module are the
# people who built it.
TRIAL_STATES = ["completed"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


@pytest.fixture
def completed(module_trial_in):
    return module_trial_in("completed")


def add_changes(trial, user, count: int) -> None:
    """`count` more changes on the trial's record, numbered in the order they were made."""
    for n in range(1, count + 1):
        audit_record(actor=user, action="change", trial=trial, summary=f"Correction no. {n:04d}")


def timeline_of(page: str) -> str:
    return element(page, "div", 'aria-label="Timeline, scrollable"')


def changes_of(trial) -> int:
    return AuditEvent.objects.timeline(trial.pk).count()


def test_the_trial_page_shows_the_latest_changes_and_links_to_the_rest(
    completed, nurse, client_for
):
    add_changes(completed, nurse, TIMELINE_LATEST + 5)

    page = html(client_for(nurse).get(completed.get_absolute_url()))

    shown = timeline_of(page)
    assert shown.count("<li") == TIMELINE_LATEST
    # Newest first: the last correction made heads the list; the first ones are not on it.
    assert shown.index(f"Correction no. {TIMELINE_LATEST + 5:04d}") < shown.index(
        f"Correction no. {TIMELINE_LATEST + 4:04d}"
    )
    assert "Correction no. 0001" not in shown
    more = element(page, "p", 'id="timeline-more"')
    assert f"The latest {TIMELINE_LATEST} changes" in more
    assert reverse("trials:timeline", args=[completed.pk]) in more


@pytest.mark.parametrize("beyond", [0, 1])
def test_the_link_to_older_changes_shows_only_when_there_are_some(
    trial_in, nurse, client_for, beyond
):
    trial = trial_in("preparation")
    add_changes(trial, nurse, TIMELINE_LATEST - changes_of(trial) + beyond)
    assert changes_of(trial) == TIMELINE_LATEST + beyond

    page = html(client_for(nurse).get(trial.get_absolute_url()))

    assert timeline_of(page).count("<li") == TIMELINE_LATEST
    assert ('id="timeline-more"' in page) == bool(beyond)


def test_a_short_history_is_shown_whole_without_a_link(trial_in, nurse, client_for):
    trial = trial_in("preparation")
    total = changes_of(trial)
    assert 0 < total < TIMELINE_LATEST

    page = html(client_for(nurse).get(trial.get_absolute_url()))

    assert timeline_of(page).count("<li") == total
    assert 'id="timeline-more"' not in page


def test_views_of_the_page_do_not_push_changes_off_it(completed, nurse, client_for):
    add_changes(completed, nurse, 3)
    client = client_for(nurse)
    for _ in range(TIMELINE_LATEST + 1):
        client.get(completed.get_absolute_url())

    shown = timeline_of(html(client.get(completed.get_absolute_url())))

    assert "Correction no. 0001" in shown
    assert "Viewed" not in shown


def test_the_timeline_page_lists_every_change_newest_first_in_pages(
    completed, neurologist, client_for
):
    add_changes(completed, neurologist, TIMELINE_PAGE + 10)
    total = changes_of(completed)
    client = client_for(neurologist)
    url = reverse("trials:timeline", args=[completed.pk])

    pages = -(-total // TIMELINE_PAGE)
    first = html(client.get(url))
    second = html(client.get(url, {"page": 2}))
    last = html(client.get(url, {"page": pages}))

    listed = element(first, "ol", 'id="timeline"')
    assert listed.count("<li") == TIMELINE_PAGE
    assert listed.index(f"Correction no. {TIMELINE_PAGE + 10:04d}") < listed.index(
        f"Correction no. {TIMELINE_PAGE + 9:04d}"
    )
    assert f"({total} changes, newest first)" in first
    assert f"Page 1 of {pages}" in first and "?page=2" in first
    # The earliest corrections are on the second page, the changes that built the trial after
    # them; the last page holds what is left.
    assert "Correction no. 0001" in element(second, "ol", 'id="timeline"')
    assert "Correction no. 0001" not in listed
    rest = element(last, "ol", 'id="timeline"')
    assert rest.count("<li") == total - (pages - 1) * TIMELINE_PAGE
    assert f"Page {pages} of {pages}" in last and f"?page={pages - 1}" in last


# Not a page number: the first page. Past the last page, however far (past what the database's
# OFFSET holds too): the last page.
@pytest.mark.parametrize(
    ("number", "shown"),
    [("0", 1), ("-1", 1), ("two", 1), ("1e9", 1), ("99999", "last"), ("9" * 25, "last")],
)
def test_a_page_number_that_is_not_one_shows_a_page_not_an_error(
    number, shown, completed, nurse, client_for
):
    url = reverse("trials:timeline", args=[completed.pk])
    total = changes_of(completed)
    pages = -(-total // TIMELINE_PAGE)
    expected = pages if shown == "last" else shown

    response = client_for(nurse).get(url, {"page": number})

    assert response.status_code == 200
    assert f"Page {expected} of {pages}" in html(response)
    rows = element(html(response), "ol", 'id="timeline"').count("<li")
    assert rows == min(TIMELINE_PAGE, total - (expected - 1) * TIMELINE_PAGE)


def test_opening_the_timeline_is_recorded_as_a_view_of_the_record(
    completed, admin_user, client_for
):
    url = reverse("trials:timeline", args=[completed.pk])

    client_for(admin_user).get(url, {"page": 1})

    row = AuditEvent.objects.filter(action="view", trial=completed).latest("id")
    assert row.actor == admin_user
    assert row.new == {"path": f"{url}?page=1"}
    assert f"timeline of trial #{completed.pk}" in row.summary


def test_the_pages_read_the_same_number_of_queries_however_long_the_history(
    completed, nurse, client_for
):
    client = client_for(nurse)
    urls = [completed.get_absolute_url(), reverse("trials:timeline", args=[completed.pk])]

    def queries() -> list[int]:
        counts = []
        for url in urls:
            client.get(url)  # the record kept for this revision, as on a second look
            with CaptureQueriesContext(connection) as run:
                assert client.get(url).status_code == 200
            counts.append(len(run))
        return counts

    short = queries()
    add_changes(completed, nurse, TIMELINE_PAGE * 3)

    assert queries() == short


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's query plan")
def test_the_latest_changes_are_read_through_their_index_not_the_trials_page_views(completed):
    # On a table of a few rows the planner would rightly scan and sort; what is checked is that
    # an index that serves the read in its order exists and is usable.
    with connection.cursor() as cursor:
        for method in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
    plan = AuditEvent.objects.timeline(completed.pk)[:TIMELINE_LATEST].explain()

    # A partial index of the changes in the timeline's order: no sort, and the trial's page
    # views (rows of the same trial) are not in it to be read and thrown away.
    assert "audit_trial_changes" in plan
    assert "Sort" not in plan


def other_trials(beside, by, count: int = 300) -> list[Trial]:
    """`count` more trials, each of its own patient, for the audit table to hold their rows."""
    patients = Patient.objects.bulk_create(
        factories.unsaved_patient(mrn=f"OTHER{n}") for n in range(count)
    )
    return Trial.objects.bulk_create(
        Trial(patient=p, created_by=by, referred_on=beside.referred_on) for p in patients
    )


def audit_row(action: str, trial, by) -> AuditEvent:
    return AuditEvent(actor=by, actor_name="N", action=action, trial=trial, summary="-")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's query plan")
def test_a_trial_whose_page_views_fill_the_audit_table_still_reads_its_changes_by_its_index(
    completed, nurse
):
    # The one trial a clinic watches all day while 300 others are worked on: its page views are
    # half of the audit table, the others' changes the rest, in turn. At the server's default
    # costs the planner must still read the trial's few changes through their index, not walk
    # the table back in time past its views and the others' changes (the `at` index).
    others = other_trials(completed, nurse)
    audit_bulk_append(
        audit_row(action, trial, nurse)
        for n in range(3000)
        for action, trial in [("view", completed), ("change", others[n % 300])]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE trials_auditevent")
        cursor.execute("SET LOCAL random_page_cost = 4")

    plan = AuditEvent.objects.timeline(completed.pk)[:TIMELINE_LATEST].explain()

    assert "audit_trial_changes" in plan
    assert "Filter" not in plan  # no row read and thrown away


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's query plan")
def test_a_trial_ticked_for_hours_since_the_statistics_reads_only_its_latest_changes(
    completed, nurse
):
    # When the statistics are taken, 300 trials have a change or two each; then one trial is
    # ticked and unticked for hours (1,500 changes) before they are taken again. Planning for a
    # trial's usual share, the planner must still read the latest changes in order from their
    # index, not read all 1,500 by the trial and sort them (each tick's reply reads them).
    others = other_trials(completed, nurse)
    audit_bulk_append(audit_row("tick", others[n % 300], nurse) for n in range(600))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE trials_auditevent")
    audit_bulk_append(audit_row("tick", completed, nurse) for _ in range(1500))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL random_page_cost = 4")

    plan = AuditEvent.objects.timeline(completed.pk)[: TIMELINE_LATEST + 1].explain()

    assert "audit_trial_changes" in plan
    assert "Sort" not in plan


def test_the_timeline_sent_compiled_reads_what_the_orm_reads(completed, nurse):
    from trials import presenters

    add_changes(completed, nurse, TIMELINE_LATEST + 3)
    orm = AuditEvent.objects.timeline(completed.pk).only(*TIMELINE_FIELDS)
    latest = list(orm[:TIMELINE_LATEST])

    for _ in range(2):  # compiled, then sent as compiled
        shown = presenters.timeline(completed)
        assert [(e.pk, e.at, e.actor_name, e.summary, e.reason) for e in shown.latest] == [
            (e.pk, e.at, e.actor_name, e.summary, e.reason) for e in latest
        ]
        assert shown.more


# --- The tick's reply: the timeline read with the trial's lock, the tick's own change added ----


def tick_reply(client, trial, action: str = "tick", item: str = ITEM) -> str:
    url = reverse(f"trials:{action}", args=[trial.pk, "preparation", item])
    response = client.post(url, **HTMX)
    assert response.status_code == 200
    return html(response)


@pytest.mark.parametrize("before", [TIMELINE_LATEST - 2, TIMELINE_LATEST - 1, TIMELINE_LATEST])
def test_a_ticks_reply_shows_the_timeline_a_page_read_after_it_shows(
    trial_in, nurse, client_for, before
):
    trial = trial_in("preparation")
    added = before - changes_of(trial)
    add_changes(trial, nurse, added)
    client = client_for(nurse)

    reply = tick_reply(client, trial)
    page = html(client.get(trial.get_absolute_url()))

    shown = timeline_of(reply)  # the tick first, over the last correction made before it
    assert shown.index(f"Ticked: Preparation – {LABEL}") < shown.index(f"no. {added:04d}")
    assert timeline_of(reply) == timeline_of(page)
    more = before + 1 > TIMELINE_LATEST
    assert ('id="timeline-more"' in reply) == more == ('id="timeline-more"' in page)


def test_an_unticks_reply_shows_the_untick_over_the_tick(trial_in, nurse, client_for):
    trial = trial_in("preparation")
    client = client_for(nurse)
    tick_reply(client, trial)

    reply = timeline_of(tick_reply(client, trial, "untick"))

    assert reply.index(f"Unticked: Preparation – {LABEL}") < reply.index("Ticked: Preparation")
    assert reply == timeline_of(html(client.get(trial.get_absolute_url())))


def test_a_second_tick_of_the_item_adds_nothing_to_the_timeline(trial_in, nurse, client_for):
    trial = trial_in("preparation")
    client = client_for(nurse)
    first = timeline_of(tick_reply(client, trial))

    again = timeline_of(tick_reply(client, trial))  # a double click: nothing written

    assert again == first
    assert again.count(f"Ticked: Preparation – {LABEL}") == 1
