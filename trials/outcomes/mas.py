"""Lower-limb Modified Ashworth from baseline to the best post-dose assessment, in SQL.

The rule is the responder rule's (trials/responder.py, DOMAIN.md §4): lower-limb groups only,
1+ counts as 1.5, and only the group/side pairs scored both at baseline and at that post-dose
time are compared. For one post-dose assessment the fall is the mean of (baseline − post) over
those pairs, which equals the baseline mean minus the post mean over the same pairs. The best
post-dose assessment is the one with the largest fall. The dashboard reads each trial's best
fall from TrialFigures, written from best_fall_units_by_trial(); the CSV export reads it here.

Why raw SQL: levels of aggregation (the mean per assessment, then the best per attempt or
trial) that the ORM cannot nest; the filtered trials still come from
the ORM as a subquery. The SQL is plain (WITH, CASE, AVG, MAX, GROUP BY) and runs unchanged on
SQLite and PostgreSQL. Only table and column names from the models are formatted into it (hence
the S608 noqa); every value is a bound parameter.
"""

import math
from collections.abc import Iterator
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection

from trials import procedure
from trials.models import Assessment, MasScore, Trial

TWO_PLACES = Decimal("0.01")
# A fall in whole units of 1/FALL_UNITS grade: the mean of n differences of half grades, n at
# most one per lower-limb group and side, is then a whole number (2 × lcm(1..10) = 5040), which
# sums exactly on every database (TrialFigures keeps it; the dashboard averages it).
MAX_PAIRS = len(procedure.LOWER_LIMB_GROUPS) * len(procedure.SIDES)
FALL_UNITS = 2 * math.lcm(*range(1, MAX_PAIRS + 1))


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _scores_sql(*, baseline: bool, trial_ids: tuple[str, list] | None) -> tuple[str, list]:
    """Lower-limb grades as numbers, of the baseline or of the post-dose assessments."""
    score, assessment = _q(MasScore._meta.db_table), _q(Assessment._meta.db_table)
    value = "CASE s.grade " + " ".join("WHEN %s THEN %s" for _ in procedure.MAS_VALUE) + " END"
    params: list = [p for grade, v in procedure.MAS_VALUE.items() for p in (grade, float(v))]
    # Parameters follow the SQL text: the CASE, then the groups, then the trials.
    groups = ", ".join("%s" for _ in procedure.LOWER_LIMB_GROUPS)
    params += procedure.LOWER_LIMB_GROUPS
    where = "a.attempt_id IS NULL" if baseline else "a.attempt_id IS NOT NULL"
    where += f" AND s.{_q('group')} IN ({groups})"
    if trial_ids is not None:
        where += f" AND a.trial_id IN ({trial_ids[0]})"
        params += trial_ids[1]
    sql = (
        f"SELECT a.trial_id AS trial_id, a.attempt_id AS attempt_id, a.id AS assessment_id, "  # noqa: S608
        f"s.{_q('group')} AS grp, s.side AS side, {value} AS v "
        f"FROM {score} s JOIN {assessment} a ON a.id = s.assessment_id WHERE {where}"
    )
    return sql, params


def _falls_sql(trials) -> tuple[str, list]:
    """WITH base, post, falls: one row per post-dose assessment with a comparable pair."""
    trial_ids = None
    if trials is not None:
        try:
            sql, params = trials.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # e.g. Trial.objects.none()
            sql, params = f"SELECT id FROM {_q(Trial._meta.db_table)} WHERE 1 = 0", ()  # noqa: S608
        trial_ids = (sql, list(params))
    base_sql, base_params = _scores_sql(baseline=True, trial_ids=trial_ids)
    post_sql, post_params = _scores_sql(baseline=False, trial_ids=trial_ids)
    sql = (
        f"WITH base AS ({base_sql}), post AS ({post_sql}), "  # noqa: S608
        "falls AS ("
        "SELECT p.trial_id AS trial_id, p.attempt_id AS attempt_id, "
        f"AVG(b.v - p.v) AS fall, SUM(b.v - p.v) * {FALL_UNITS} / COUNT(*) AS fall_units "
        "FROM post p JOIN base b "
        "ON b.trial_id = p.trial_id AND b.grp = p.grp AND b.side = p.side "
        "GROUP BY p.trial_id, p.attempt_id, p.assessment_id) "
    )
    return sql, base_params + post_params


def rounded(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(TWO_PLACES)


def _best_by_trial_sql(trials) -> tuple[str, list]:
    falls, params = _falls_sql(trials)
    sql = f"{falls} SELECT trial_id, MAX(fall) FROM falls GROUP BY trial_id ORDER BY trial_id"  # noqa: S608
    return sql, params


def best_fall_by_trial(trials=None) -> Iterator[tuple[int, Decimal]]:
    """(trial id, best fall) ascending by trial id, streamed (for the CSV export)."""
    yield from _stream(*_best_by_trial_sql(trials))


def best_fall_units_by_trial(trials=None) -> Iterator[tuple[int, int]]:
    """(trial id, best fall in units of 1/FALL_UNITS grade) ascending by trial id, streamed:
    exact, what TrialFigures keeps for the dashboard's mean change per diagnosis."""
    falls, params = _falls_sql(trials)
    sql = (
        f"{falls} SELECT trial_id, MAX(fall_units) FROM falls "  # noqa: S608
        "GROUP BY trial_id ORDER BY trial_id"
    )
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(2000):
            for trial_id, units in rows:
                yield trial_id, round(units)  # a whole number already (a float on SQLite)


def best_fall_by_attempt(trials=None) -> Iterator[tuple[tuple[int, int], Decimal]]:
    """((trial id, attempt id), best fall) ascending, streamed (for the CSV export)."""
    falls, params = _falls_sql(trials)
    sql = (
        f"{falls} SELECT trial_id, attempt_id, MAX(fall) FROM falls "  # noqa: S608
        "GROUP BY trial_id, attempt_id ORDER BY trial_id, attempt_id"
    )
    for trial_id, attempt_id, fall in _stream(sql, params, width=3):
        yield (trial_id, attempt_id), fall


def _stream(sql: str, params: list, width: int = 2, size: int = 2000):
    # A server-side cursor on PostgreSQL: rows arrive in chunks, never all in memory.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(size):
            for row in rows:
                yield (*row[: width - 1], rounded(row[width - 1]))
