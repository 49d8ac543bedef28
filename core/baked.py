"""A read the homes send on every view, compiled to SQL once per process.

Building a QuerySet and compiling it costs Django about 1.3 ms of CPU per query (the ward board's
heads: 1.6 ms in all, 0.12 ms of it the query itself), on pages whose whole budget is a few
milliseconds. A home's read has the same shape on every view; only the clock moves. So the read
is declared once as a function of `now` (the named QuerySet methods, as before), compiled once
per process and database, and sent again with the moving values put in.

Which values move is found, not assumed: the read is compiled at two moments (SENTINELS), and
every parameter either is the same in both (a constant: a phase, a flag) or lies at the same
offset from each moment (`now - 24 h`). Anything else (a value that depends on the moment in any
other way) is refused when the read is first baked. Its other inputs (a page's limit) are given
to it with each call, and it is compiled once per process for each set of them; it must depend
on nothing else: a value it read from elsewhere (a setting, a user) would be kept as it was when
compiled, so such a read is not for baking.

The rows come back through the compiler's own converters, as the QuerySet would return them
(tests/core/test_baked.py compares the two).
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connections
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler

SENTINELS = (datetime(2001, 1, 1, tzinfo=UTC), datetime(2002, 3, 4, 5, 6, 7, 8, tzinfo=UTC))


@dataclass(frozen=True)
class Offset:
    """A parameter that is `now + delta`; `adapted`: it was written as the database's text."""

    delta: timedelta
    adapted: bool


@dataclass(frozen=True)
class Compiled:
    using: str  # the database alias
    compiler: SQLCompiler
    sql: str
    params: tuple


class BakeError(ValueError):
    pass


class Baked:
    """`Baked(lambda now, n: Trial.objects.observed_now(now).values_list(...)[:n])`; then
    `.rows(now, 40)` returns what list(that QuerySet) would, as tuples."""

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        self._compiled: dict[tuple, Compiled] = {}  # by the read's other inputs

    def rows(self, now: datetime | None = None, *inputs: Hashable) -> list[tuple]:
        """The rows at `now` (None: a read that does not move with the clock), built with the
        read's other `inputs` (a limit, say), which select its compiled form."""
        compiled = self._compiled.get(inputs) or self._bake(inputs)
        connection = connections[compiled.using]
        params = [self._value(p, now, connection) for p in compiled.params]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        return [tuple(row) for row in compiled.compiler.results_iter(results=[fetched])]

    def _bake(self, inputs: tuple) -> Compiled:
        first, second = (self.build(moment, *inputs) for moment in SENTINELS)
        compiler = first.query.get_compiler(using=first.db)
        sql, params = compiler.as_sql()
        other_sql, other_params = second.query.get_compiler(using=second.db).as_sql()
        if sql != other_sql or len(params) != len(other_params):
            raise BakeError("the read's SQL changes with the moment: it cannot be baked")
        moving = tuple(self._moving(a, b) for a, b in zip(params, other_params, strict=True))
        compiled = Compiled(first.db, compiler, sql, moving)
        self._compiled[inputs] = compiled
        return compiled

    @staticmethod
    def _moving(first, second):
        if first == second:
            return first
        at_first, at_second = _as_moment(first), _as_moment(second)
        if at_first is None or at_second is None:
            raise BakeError(f"a parameter changes with the moment but is not one: {first!r}")
        delta = at_first - SENTINELS[0]
        if at_second - SENTINELS[1] != delta:
            raise BakeError(f"a parameter is not the moment plus a fixed offset: {first!r}")
        return Offset(delta, adapted=isinstance(first, str))

    @staticmethod
    def _value(param, now: datetime | None, connection):
        if not isinstance(param, Offset):
            return param
        if now is None:
            raise BakeError("this read moves with the clock: give it the moment")
        moment = now + param.delta
        return connection.ops.adapt_datetimefield_value(moment) if param.adapted else moment


def _as_moment(value) -> datetime | None:
    """The moment a parameter holds: a datetime (PostgreSQL), or SQLite's text of one in UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None
