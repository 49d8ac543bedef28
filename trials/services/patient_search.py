"""The patient search's page, sent compiled: each match read once, with the columns its row shows.

The search finds at most `limit` patients (the first the database comes to), then sorts them by
name, counts them and shows a page with each patient's open trial. Written with the ORM, that is
`id IN (the first matches) ORDER BY name`: the database finds the matches, then reads each one
again by its id. Here the matches are read once, with the columns a row shows (the ORM's own
read of them, compiled once per process: core/baked.py), and sorted, counted and paged around
them (a common surname at 100,000 patients: 0.9 ms of the database's time, not 1.4).
tests/views/test_patient_search.py compares its pages with the ORM's.
"""

from functools import cache

from django.db import connection

from core.baked import Baked
from patients.models import Patient
from trials.models import Trial
from trials.procedure import Phase


@cache
def _matches(words: int, columns: tuple[str, ...]) -> Baked:
    """The first `limit` patients a search of `words` words finds, their `columns`, unordered."""
    return Baked(
        lambda now, limit, text, *words: (
            Patient.objects.matching(text, words).order_by().values_list(*columns)[:limit]
        ),
        values=(str,) * (words + 1),
    )


def page(
    text: str, words: list[str], columns: tuple[str, ...], *, offset: int, size: int, limit: int
) -> list[tuple]:
    """The page's rows: each patient's `columns` (its id, last and first name among them), the id
    and phase of its open trial (None without one), and how many matches there are in all."""
    matches = _matches(len(words), columns).statement(None, limit, values=(text, *words))
    sql = _page_sql(matches.sql, columns)
    params = [*matches.params, *Phase.OPEN, *Phase.OPEN, size, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    shown = matches.rows([row[: len(columns)] for row in fetched])  # as the ORM converts them
    return [(*row, *read[len(columns) :]) for row, read in zip(shown, fetched, strict=True)]


@cache
def _page_sql(matches: str, columns: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    statuses = ", ".join(["%s"] * len(Phase.OPEN))
    trials = quote(Trial._meta.db_table)

    def open_trial(column: str) -> str:  # one at most (the unique index one_open_trial_per_patient)
        return (
            f"(SELECT t.{quote(column)} FROM {trials} t WHERE t.{quote('patient_id')} = "  # noqa: S608
            f"m.{quote('id')} AND t.{quote('status')} IN ({statuses}) LIMIT 1)"
        )

    by_name = ", ".join(f"m.{quote(c)}" for c in ("last_name", "first_name", "id"))
    return (
        f"WITH m ({names}) AS ({matches}) "  # noqa: S608 - names and the ORM's own SQL only
        f"SELECT m.*, {open_trial('id')}, {open_trial('status')}, COUNT(*) OVER () FROM m "
        f"ORDER BY {by_name} LIMIT %s OFFSET %s"
    )
