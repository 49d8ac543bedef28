"""Access helpers of the trial pages: the roles of a phase move, and a trial or 404. The role
checks of a page are accounts/roles.py's; the services check again when data changes."""

from django.shortcuts import get_object_or_404

from trials import procedure
from trials.models import Trial


def move_roles(action: str) -> tuple[str, ...]:
    roles: set[str] = set()
    for move in procedure.MOVES:
        if move.action == action:
            roles |= move.roles
    return tuple(roles)


def get_trial(trial_id: int) -> Trial:
    """Every signed-in clinic user may see every trial of the clinic; a missing one is a 404."""
    return get_object_or_404(Trial.objects.with_patient().with_severe_flag(), pk=trial_id)
