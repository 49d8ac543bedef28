"""A page of a list whose every row the database reads anyway, counted in the same query.

Django's Paginator counts the list (one query), then reads the page (another). Where the page's
query must read every row before its LIMIT (a search sorted by name reads all its matches to
sort them), the database can count those rows in passing: COUNT(*) OVER (). One query, one pass
over the matches, instead of two. A list read in index order that stops at its LIMIT (every
patient by name) is better served by the Paginator: counting there would read the whole table.
"""

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window

FOUND = "rows_found"  # the annotation each row of the page carries: the list's length
# A page number past any list: asked for, it shows the last page (as one past the end does)
# rather than an OFFSET the database cannot hold (a bigint).
PAST_ANY_LIST = 10**9


def first_with_more(queryset: QuerySet, limit: int) -> tuple[list, int]:
    """The first `limit` rows and how many more the query finds, in one query: the total is
    counted by the database before the LIMIT (COUNT(*) OVER ()), not by a second query. For
    reads that go through all their rows anyway (the homes' open trials, one trial's changes)."""
    shown = list(queryset.annotate(**{FOUND: Window(Count("pk"))})[:limit])
    return shown, (getattr(shown[0], FOUND) - len(shown)) if shown else 0


def page_number(number: object) -> int:
    """The page asked for: a number that is not one is the first, one past any list the last."""
    try:
        return min(max(1, int(str(number))), PAST_ANY_LIST)
    except ValueError:
        return 1


def page_of(rows: list, number: int, per_page: int, found: int | None = None) -> Page:
    """The page `number` of a list whose rows carry the list's length (FOUND, counted before
    the page's OFFSET and LIMIT), or of length `found`."""
    paginator = Paginator(rows, per_page)
    if found is None:
        found = getattr(rows[0], FOUND) if rows else 0
    paginator.count = found
    return Page(rows, number, paginator)


def page_counted_in_passing(queryset: QuerySet, number: object, per_page: int) -> Page:
    """What Paginator(queryset, per_page).get_page(number) returns (a number that is not one
    shows the first page, one past the end the last), read in one query."""
    wanted = page_number(number)
    counted = queryset.annotate(**{FOUND: Window(Count("pk"))})
    paginator = Paginator(counted, per_page)
    rows = list(counted[(wanted - 1) * per_page : wanted * per_page])
    if not rows and wanted > 1:  # past the end: the last page, as get_page does
        wanted = paginator.num_pages  # counted by the paginator: a second query, this once
        rows = list(counted[(wanted - 1) * per_page : wanted * per_page])
    else:
        paginator.count = getattr(rows[0], FOUND) if rows else 0
    return Page(rows, wanted, paginator)
