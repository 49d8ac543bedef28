"""The ward board: every trial in observation, what is due and what is overdue."""

from dataclasses import dataclass
from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from trials.models import DoseAttempt, Trial
from trials.schedule import Schedule, vitals_schedule

from .access import ANY_ROLE, roles_required


@dataclass
class BoardRow:
    trial: Trial
    attempt: DoseAttempt
    since: timedelta
    vitals: Schedule

    @property
    def since_label(self) -> str:
        # A dose signed a moment ahead of this clock (allowed skew) shows as just given.
        minutes = max(0, int(self.since.total_seconds() // 60))
        return f"{minutes // 60} h {minutes % 60:02d} min"


def board_rows(now, site) -> list[BoardRow]:
    rows = []
    for trial in Trial.objects.for_ward_board():
        attempt = trial.given_attempts[-1] if trial.given_attempts else None
        if attempt is None:
            continue
        recorded = [v.recorded_at for v in attempt.vitals.all()]
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


@require_GET
@roles_required(*ANY_ROLE)
def board(request):
    now = timezone.now()
    context = {"rows": board_rows(now, request.site_settings), "now": now}
    template = "trials/_board_rows.html" if request.htmx else "trials/board.html"
    return render(request, template, context)
