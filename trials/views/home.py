"""Each role lands on its own home: nurse → ward board, neurologist → worklist, admin → trials."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from trials import procedure
from trials.models import Trial
from trials.procedure import Phase
from trials.schedule import attempt_assessment_schedule

from .access import roles_required


@require_GET
@login_required
def home(request):
    if request.user.role == procedure.NEUROLOGIST:
        return redirect("trials:worklist")
    if request.user.role == procedure.ADMIN:
        return redirect("trials:list")
    return redirect("trials:board")


def _neurologist_step(trial, site, now) -> str | None:
    """What this trial waits for from a neurologist, in words; None when it waits for no one."""
    attempts = list(trial.attempts.all())
    attempt = attempts[-1] if attempts else None
    if trial.status == Phase.PREPARATION:
        return "Eligibility, baseline scores and preparation sign-off"
    if trial.status == Phase.INJECTION:
        return f"Injection: attempt {attempt.number}, {attempt.dose_mcg} mcg"
    if trial.status == Phase.OBSERVATION:
        slots = attempt_assessment_schedule(attempt, attempt.assessments.all(), site, now)
        due = [s for s in slots.slots if s.overdue]
        if due:
            return "Post-dose assessment due: " + ", ".join(s.label for s in due)
        if attempt.assessments.all() and not attempt.is_decided:
            return "Response can be decided"
        return None
    if trial.status == Phase.FOLLOW_UP:
        if not attempt.is_decided and not attempt.assessments.all():
            return (
                f"Record the post-dose scores of attempt {attempt.number} (late entry), then "
                "decide the response"
            )
        if not attempt.is_decided:
            return f"Decide the response to attempt {attempt.number} ({attempt.dose_mcg} mcg)"
        return "Plan the next attempt or close the trial"
    return None


@require_GET
@roles_required(*procedure.ACTION_ROLES["view_worklist"])
def worklist(request):
    now = timezone.now()
    site = request.site_settings
    rows = []
    for trial in Trial.objects.for_worklist():
        step = _neurologist_step(trial, site, now)
        if step:
            rows.append((trial, step))
    order = {phase: i for i, phase in enumerate(Phase.OPEN)}
    rows.sort(key=lambda r: (order[r[0].status], r[0].created_at))
    return render(request, "trials/worklist.html", {"rows": rows})
