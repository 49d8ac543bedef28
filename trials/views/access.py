"""Access helpers: who may open which page. The services check again when data changes."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from trials import procedure
from trials.models import Trial


def roles_required(*roles: str):
    """Login, then 403 for a role that may not use this page."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                allowed = " or ".join(sorted(roles))
                raise PermissionDenied(f"This page is for the {allowed} only.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


ANY_ROLE = (procedure.NURSE, procedure.NEUROLOGIST, procedure.ADMIN)
CLINICAL = (procedure.NURSE, procedure.NEUROLOGIST)


def move_roles(action: str) -> tuple[str, ...]:
    roles: set[str] = set()
    for move in procedure.MOVES:
        if move.action == action:
            roles |= move.roles
    return tuple(roles)


def get_trial(trial_id: int) -> Trial:
    """Every signed-in clinic user may see every trial of the clinic; a missing one is a 404."""
    return get_object_or_404(Trial.objects.with_patient().with_severe_flag(), pk=trial_id)
