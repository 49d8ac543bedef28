"""`can` in every template: {action: may the signed-in user do it}, from procedure.py's roles."""

from trials.presenters import can_flags


def permissions(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can": {}}
    return {"can": can_flags(user)}
