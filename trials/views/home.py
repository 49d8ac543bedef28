"""Each role lands on its own home: nurses and neurologists → their tasks, admin → trials. The
ward board and the neurologist's worklist stay one tap away in the navigation."""

from functools import partial

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.roles import roles_required
from core.baked import Baked
from trials import procedure, tasks
from trials.models import Trial
from trials.models.trial import heads_of
from trials.procedure import Phase
from trials.services import kept_rows
from trials.services.phase import decision_blockers
from trials.services.snapshot import TrialSnapshot

WORKLIST_LIMIT = 50
# The worklist's heads, compiled once per process (core/baked.py): only the clock moves them.
WAITING = Baked(
    lambda now, limit: Trial.objects.waiting_for_neurologist(now).heads_query(limit, "status")
)
TASKS_LIMIT = 60  # open trials read for one page of tasks; more than a day unit runs at once


@require_GET
@login_required
def home(request):
    if request.user.role in procedure.ACTION_ROLES["view_tasks"]:
        return redirect("trials:tasks")
    return redirect("trials:list")


@require_GET
@roles_required(*procedure.ACTION_ROLES["view_tasks"])
def my_tasks(request):
    """Every open trial's next task for this role, the most urgent first: at most TASKS_LIMIT
    open trials read, then how many more there are (a fixed number of queries)."""
    now = timezone.now()
    shown, more = Trial.objects.for_tasks().first_with_more(TASKS_LIMIT)
    rows = tasks.tasks_by_trial(shown, request.site_settings, request.user.role, now)
    context = {
        "due": [r for r in rows if not r.task.upcoming],
        "upcoming": [r for r in rows if r.task.upcoming],
        "more": more,
    }
    return render(request, "trials/tasks.html", context)


def _neurologist_step(trial, site, now) -> str | None:
    """What this trial waits for from a neurologist, in words; None when it waits for no one.
    Whether the response can be decided is the protocol's own answer (decision_blockers), read
    from the trial as the worklist loaded it (TrialSnapshot.of_row)."""
    snap = TrialSnapshot.of_row(trial, site)
    attempt = snap.attempt
    if trial.status == Phase.PREPARATION:
        return "Eligibility, baseline scores and preparation sign-off"
    if trial.status == Phase.INJECTION:
        return f"Injection: attempt {attempt.number}, {attempt.dose_mcg} mcg"
    if trial.status not in (Phase.OBSERVATION, Phase.FOLLOW_UP):
        return None
    if trial.status == Phase.FOLLOW_UP and attempt.is_decided:
        return "Plan the next attempt or close the trial"
    if trial.status == Phase.OBSERVATION:  # dosed in the last day (waiting_for_neurologist)
        due = [s for s in snap.assessment_plan(attempt, now).slots if s.overdue]
        if due:
            return "Post-dose assessment due: " + ", ".join(s.label for s in due)
    if attempt.is_decided:
        return None
    if decision_blockers(snap):
        # During observation the scores are still to come; after discharge they are late.
        if trial.status == Phase.OBSERVATION:
            return None
        return (
            f"Record the post-dose scores of attempt {attempt.number} (late entry), then "
            "decide the response"
        )
    return f"Decide the response to attempt {attempt.number} ({attempt.dose_mcg} mcg)"


@require_GET
@roles_required(*procedure.ACTION_ROLES["view_worklist"])
def worklist(request):
    """The open trials in the order of the phases, the oldest first: at most WORKLIST_LIMIT,
    then how many more open trials there are (a fixed number of queries, whatever the history).
    A trial in observation is waiting on the clock (its assessments due): its row is kept by its
    revision and the step it waits for now. Any other trial's step follows from its record alone:
    its row is kept as HTML by its revision, and the trial is not read at all (kept_rows)."""
    now = timezone.now()
    site = request.site_settings
    found = WAITING.rows(now, WORKLIST_LIMIT)
    heads, more = heads_of(found)
    observed = [(pk, rev) for pk, rev, status, _ in found if status == Phase.OBSERVATION]
    settled = [(pk, rev) for pk, rev, status, _ in found if status != Phase.OBSERVATION]
    by_record = kept_rows.rendered(
        "worklist-settled", settled, Trial.objects.with_worklist_row, partial(_row, site, now)
    )
    by_clock = {
        trial.pk: kept_rows.html("worklist", trial, partial(_worklist_row, trial, step), step)
        for trial in kept_rows.rows("worklist", observed, Trial.objects.with_worklist_row)
        if (step := _neurologist_step(trial, site, now))
    }
    rows = [row for pk, _ in heads if (row := by_record.get(pk) or by_clock.get(pk))]
    return render(request, "trials/worklist.html", {"rows": rows, "more": more})


def _row(site, now, trial: Trial) -> str:
    """The row of a trial not in observation, or "" when it waits for no neurologist: its step
    does not depend on `now` (only an observed trial's assessments do)."""
    step = _neurologist_step(trial, site, now)
    return _worklist_row(trial, step) if step else ""


def _worklist_row(trial: Trial, step: str) -> str:
    return render_to_string("trials/_worklist_row.html", {"trial": trial, "step": step})
