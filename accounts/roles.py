"""The roles, and the two checks on them: `roles_required` on a page (403 for a role that may not
use it) and `require_role` in a service (again, when data changes).

Which role may do what is declared with what it is about: the trial procedure's actions and moves
in trials/procedure.py (ACTION_ROLES, MOVES); the duties outside the procedure below, which
ACTION_ROLES lists too so that the navigation (the `can` flags) reads one table.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from accounts.models import Role, User

NURSE: str = Role.NURSE.value
NEUROLOGIST: str = Role.NEUROLOGIST.value
ADMIN: str = Role.ADMIN.value

ANY_ROLE = (NURSE, NEUROLOGIST, ADMIN)
CLINICAL = (NURSE, NEUROLOGIST)

# Duties outside the trial procedure.
EDIT_PATIENT = frozenset({NURSE, NEUROLOGIST})  # register and edit patients
AUDIT_REVIEW = frozenset({ADMIN})  # read and export the audit trail
MANAGE_USERS = frozenset({ADMIN})  # the accounts, in the Django admin (DOMAIN: roles)


def require_role(actor: User, action_roles: frozenset[str], doing: str) -> None:
    if getattr(actor, "role", None) not in action_roles:
        roles = " or ".join(sorted(action_roles))
        raise PermissionDenied(f"Only a {roles} may {doing}.")


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
