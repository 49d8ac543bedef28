"""The username django-axes counts failed sign-ins under (AXES_USERNAME_CALLABLE).

django-axes stores it in a 255-character column; a longer name typed at the sign-in page must
get the ordinary "wrong username or password" answer, not a database error. No real username is
that long (150 at most), so the cut never merges a real account's count with another's.
"""

from django.conf import settings

AXES_USERNAME_LENGTH = 255


def axes_username(request, credentials: dict | None = None) -> str | None:
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")  # set by django-axes
    if credentials:
        name = credentials.get(field)
    else:
        name = getattr(request, "data", request.POST).get(field)
    return None if name is None else str(name)[:AXES_USERNAME_LENGTH]
