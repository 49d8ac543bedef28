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

A read may also take values that change from call to call (a session's key, a trial's id):
declared as `values=(str,)` or `(int,)`, given to the builder as stand-ins and found again in the
compiled parameters (as they are, or escaped for a LIKE pattern, as the lookup wrote them), then
put in on each call. A value is only ever a parameter, never part of the SQL.

The rows come back through the compiler's own converters, as the QuerySet would return them
(tests/views/test_baked_reads.py compares the two).
"""

from collections.abc import Callable, Hashable, Sequence
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
class Slot:
    """A parameter that holds the read's value number `index`, between `before` and `after`,
    escaped for a LIKE pattern if `like`."""

    index: int
    before: str = ""
    after: str = ""
    like: bool = False
    whole: bool = False  # the parameter is the value itself (an int)


def stand_in(kind: type, index: int):
    """The stand-in for value number `index` while the read is compiled: a number no id takes,
    or a text no user types, whose LIKE escaping is visible (% and _)."""
    if kind is int:
        return -(2**40) - index
    if kind is str:
        return f"\ue000{index}%_\ue001"
    raise BakeError(f"a baked read takes values of type int or str, not {kind.__name__}")


@dataclass(frozen=True)
class Compiled:
    using: str  # the database alias
    compiler: SQLCompiler
    sql: str
    params: tuple


@dataclass(frozen=True)
class Statement:
    """A baked read's SQL and parameters as sent, and the compiler that makes its rows."""

    using: str
    sql: str
    params: list
    compiler: SQLCompiler

    def rows(self, fetched: list) -> list[tuple]:
        """The rows of what the database returned for this statement, through the compiler's
        own converters, as the QuerySet would return them."""
        return [tuple(row) for row in self.compiler.results_iter(results=[fetched])]

    def fetch(self) -> list[tuple]:
        """The statement sent alone: its rows."""
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self.params)
            return self.rows(cursor.fetchall())


class BakeError(ValueError):
    pass


class Baked:
    """`Baked(lambda now, n: Trial.objects.observed_now(now).values_list(...)[:n])`; then
    `.rows(now, 40)` returns what list(that QuerySet) would, as tuples."""

    def __init__(self, build: Callable[..., QuerySet], *, values: Sequence[type] = ()) -> None:
        self.build = build
        self.kinds = tuple(values)
        self._compiled: dict[tuple, Compiled] = {}  # by the read's other inputs

    def rows(
        self, now: datetime | None = None, *inputs: Hashable, values: Sequence = ()
    ) -> list[tuple]:
        """The rows at `now` (None: a read that does not move with the clock), built with the
        read's other `inputs` (a limit, say), which select its compiled form, and its `values`
        (as declared), put in as parameters."""
        return self.statement(now, *inputs, values=values).fetch()

    def statement(
        self, now: datetime | None = None, *inputs: Hashable, values: Sequence = ()
    ) -> "Statement":
        """The read as `rows` would send it, to be sent with other statements in one round trip:
        its SQL and parameters, and how its rows are made of what the database returned."""
        if len(values) != len(self.kinds) or not all(
            type(v) is kind for v, kind in zip(values, self.kinds, strict=False)
        ):
            raise BakeError(f"this read takes values of the types {self.kinds}, not {values!r}")
        compiled = self._compiled.get(inputs) or self._bake(inputs)
        connection = connections[compiled.using]
        params = [self._value(p, now, values, connection) for p in compiled.params]
        return Statement(compiled.using, compiled.sql, params, compiled.compiler)

    def _bake(self, inputs: tuple) -> Compiled:
        stand_ins = [stand_in(kind, i) for i, kind in enumerate(self.kinds)]
        first, second = (self.build(moment, *inputs, *stand_ins) for moment in SENTINELS)
        compiler = first.query.get_compiler(using=first.db)
        sql, params = compiler.as_sql()
        other_sql, other_params = second.query.get_compiler(using=second.db).as_sql()
        if sql != other_sql or len(params) != len(other_params):
            raise BakeError("the read's SQL changes with the moment: it cannot be baked")
        moving = tuple(
            self._slot(a, stand_ins, connections[first.db]) or self._moving(a, b)
            for a, b in zip(params, other_params, strict=True)
        )
        found = {p.index for p in moving if isinstance(p, Slot)}
        if found != set(range(len(stand_ins))):
            raise BakeError("a value of the read is not one of its parameters as given")
        compiled = Compiled(first.db, compiler, sql, moving)
        self._compiled[inputs] = compiled
        return compiled

    @staticmethod
    def _slot(param, stand_ins: list, connection) -> Slot | None:
        for index, value in enumerate(stand_ins):
            if isinstance(value, int):
                if type(param) is int and param == value:
                    return Slot(index, whole=True)
                continue
            if not isinstance(param, str):
                continue
            escaped = connection.ops.prep_for_like_query(value)
            for form, like in ((escaped, True), (value, False)):
                if form in param:
                    before, _, after = param.partition(form)
                    if value in before + after or escaped in before + after:
                        raise BakeError("a parameter holds a value twice: it cannot be baked")
                    return Slot(index, before, after, like)
        if isinstance(param, str) and "\ue000" in param:
            raise BakeError(f"a value was written in an unknown way: {param!r}")
        return None

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
    def _value(param, now: datetime | None, values: Sequence, connection):
        if isinstance(param, Slot):
            value = values[param.index]
            if param.whole:
                return value
            text = connection.ops.prep_for_like_query(value) if param.like else value
            return f"{param.before}{text}{param.after}"
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
