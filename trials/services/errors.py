from django.core.exceptions import PermissionDenied

from accounts.models import User


class ProtocolError(Exception):
    """The protocol does not allow this now. Carries sentences a clinician can act on."""

    def __init__(self, *messages: str):
        self.messages = [m for m in messages if m]
        super().__init__(" ".join(self.messages))


def require_role(actor: User, action_roles: frozenset[str], doing: str) -> None:
    if getattr(actor, "role", None) not in action_roles:
        roles = " or ".join(sorted(action_roles))
        raise PermissionDenied(f"Only a {roles} may {doing}.")
