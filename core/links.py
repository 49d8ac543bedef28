"""A record's link, for the rows of a list: reverse() once per kind of page, not once per row.

reverse() walks the URL resolver for every call; a list of fifty trials spent more on its links
than on its query. A page whose path holds one integer (`<int:pk>`) is reversed once, with a
marker for the integer, for each URLconf and script prefix; each row then fills in its own.
"""

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

MARKER = 918273645  # an integer no record has: replaced by the row's own


def record_url(viewname: str, pk: int) -> str:
    """reverse(viewname, args=[pk]) for a URL whose only argument is an `<int:...>`."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _template(viewname, urlconf, get_script_prefix()).replace("{pk}", str(int(pk)))


@lru_cache(maxsize=32)
def _template(viewname: str, urlconf: str, prefix: str) -> str:
    url = reverse(viewname, args=[MARKER], urlconf=urlconf)
    if url.count(str(MARKER)) != 1 or "{pk}" in url:
        raise ValueError(f"{viewname} is not a path with one integer argument: {url}")
    return url.replace(str(MARKER), "{pk}")
