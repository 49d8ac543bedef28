"""The ward board: the trials in observation now, what is due and what is overdue.

It reads the open work only, whatever the history: the trials dosed in the last day (at most
BOARD_LIMIT of them, then "N more") and, apart, the trials whose discharge was never recorded
a day after their dose (the most recent STALE_LIMIT, then "N more") so that a forgotten
discharge neither hides the patients being observed nor grows the board. A forgotten discharge
shows only its record (no clock, no viewer), so its row is kept as HTML by its trial's revision
and the clinic's time zone (kept_rows.rendered): its trial is read and its row written once per
change, not on every poll of the board.
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property, partial

from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from accounts.roles import ANY_ROLE, roles_required
from core.baked import Baked
from trials.models import DoseAttempt, Trial
from trials.models.trial import OBSERVED_HOURS, heads_of
from trials.procedure import ACTION_ROLES
from trials.schedule import Schedule, vitals_schedule
from trials.services import kept_rows
from trials.tasks import vitals_url

BOARD_LIMIT = 40  # more patients in observation at once than any day unit has beds
STALE_LIMIT = 10
# The two lists' heads, compiled once per process (core/baked.py): only the clock moves them.
OBSERVED_NOW = Baked(lambda now, limit: Trial.objects.observed_now(now).heads_query(limit))
NOT_RECORDED = Baked(
    lambda now, limit: Trial.objects.discharge_not_recorded(now).heads_query(limit)
)


@dataclass
class BoardRow:
    trial: Trial
    attempt: DoseAttempt
    since: timedelta
    vitals: Schedule
    html: str = ""  # the row as shown (row_html)

    @cached_property
    def vitals_url(self) -> str | None:
        """The form for the next check, as My tasks opens it; None once the schedule is done."""
        slot = self.vitals.next_due
        return vitals_url(self.trial, slot) if slot else None

    @property
    def since_label(self) -> str:
        # A dose signed a moment ahead of this clock (allowed skew) shows as just given.
        minutes = max(0, int(self.since.total_seconds() // 60))
        return f"{minutes // 60} h {minutes % 60:02d} min"


@dataclass
class Board:
    rows: list[BoardRow]
    more: int  # in observation, dosed today, beyond BOARD_LIMIT
    stale: list[SafeString]  # discharge not recorded: the rows as shown (stale_rows)
    stale_more: int
    observed_hours: int = OBSERVED_HOURS


def slim(trial: Trial) -> None:
    """What the board keeps of a trial it has read (with_board_row): its latest attempt given,
    with the times of its vital signs as plain datetimes (`vitals_times`), not as models."""
    trial.given_attempts = trial.given_attempts[-1:]
    for attempt in trial.given_attempts:
        attempt.vitals_times = [v.recorded_at for v in attempt.vitals_rows]
        del attempt.vitals_rows


def board_rows(now, site, trials) -> list[BoardRow]:
    """The board's rows of `trials` as with_board_row reads them, slimmed (slim)."""
    rows = []
    for trial in trials:
        attempt = trial.given_attempts[-1] if trial.given_attempts else None
        if attempt is None:
            continue
        recorded = attempt.vitals_times
        schedule = vitals_schedule(attempt.given_at, site.vitals_schedule, recorded, now)
        rows.append(BoardRow(trial, attempt, now - attempt.given_at, schedule))
    # Overdue first, then missed checks, then severe events, then the one due soonest.
    rows.sort(
        key=lambda r: (
            not r.vitals.overdue,
            not r.vitals.missed,
            not r.trial.has_severe_ae,
            r.vitals.next_due.due_at if r.vitals.next_due else now + timedelta(days=1),
        )
    )
    return rows


def ward_board(now, site) -> Board:
    """A fixed number of queries: the two bounded lists (each with its count), and the rows of
    their trials whose revision this process keeps no copy of (kept_rows)."""
    heads, more = heads_of(OBSERVED_NOW.rows(now, BOARD_LIMIT))
    shown = kept_rows.rows("board", heads, Trial.objects.with_board_row, slim)
    stale_heads, stale_more = heads_of(NOT_RECORDED.rows(now, STALE_LIMIT))
    return Board(
        rows=board_rows(now, site, shown),
        more=more,
        stale=stale_rows(stale_heads),
        stale_more=stale_more,
    )


def stale_row(trial: Trial) -> str:
    return render_to_string("trials/_stale_row.html", {"trial": trial})


def stale_rows(heads) -> list[SafeString]:
    """The rows of the discharges not recorded, in the order of `heads`: each kept as HTML by
    its trial's revision and the clinic's time zone (the time of the dose it shows)."""
    zone = timezone.get_current_timezone_name()
    rows = kept_rows.rendered(f"stale:{zone}", heads, Trial.objects.with_stale_row, stale_row)
    return [rows[pk] for pk, _ in heads if pk in rows]


def row_html(row: BoardRow, may_record: bool) -> str:
    """The row's HTML, kept by its trial's revision and by everything else it shows: the time
    since the dose, the schedule of checks as of now, whether the viewer may record vital signs,
    and the clinic's time zone (kept_rows)."""
    context = {"row": row, "can": {"record_vitals": may_record}}
    render = partial(render_to_string, "trials/_board_row.html", context)
    zone = timezone.get_current_timezone_name()
    return kept_rows.html("board", row.trial, render, row.since_label, row.vitals, may_record, zone)


@require_GET
@roles_required(*ANY_ROLE)
def board(request):
    now = timezone.now()
    shown = ward_board(now, request.site_settings)
    may_record = request.user.role in ACTION_ROLES["record_vitals"]
    for row in shown.rows:
        row.html = row_html(row, may_record)
    context = {"board": shown, "now": now}
    template = "trials/_board_rows.html" if request.htmx else "trials/board.html"
    return render(request, template, context)


def next_vitals_due(now, site, *, leaving: int) -> Trial | None:
    """The next patient whose vital signs are due now (the time has come, the window is open),
    in the board's order, other than the one whose set was just saved."""
    trials = list(Trial.objects.for_ward_board(now)[:BOARD_LIMIT])
    for trial in trials:
        slim(trial)
    rows = board_rows(now, site, trials)
    return next((r.trial for r in rows if r.trial.pk != leaving and r.vitals.overdue), None)
