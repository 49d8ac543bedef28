"""A row's INSERT or DELETE as one statement, to be sent with another in one round trip.

A tick stores its checklist entry, then writes the trial's record step (trials/services/
record_cache.py), which reads the revision the entry gave the trial: two statements, one after
the other, with nothing to decide between them. On PostgreSQL both go in one round trip (two
statements of one simple query, as psycopg's client-side binding, Django's default, sends them);
elsewhere the write is made by the ORM, alone, as before.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, models, router
from django.db.models.sql import InsertQuery


@dataclass(frozen=True)
class Write:
    sql: str
    params: list
    # Given the rows the statement returned, once it ran (the new row's id).
    done: Callable[[list], None]
    # The same write made by the ORM, for a database that takes one statement at a time.
    alone: Callable[[], object]


def insert(obj: models.Model) -> Write:
    """The INSERT that obj.save(force_insert=True) sends for a new row (its fields' pre_save
    included), returning the row's id; once it ran, the object is saved with that id."""
    meta, using = obj._meta, router.db_for_write(type(obj), instance=obj)
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    query = InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = [meta.pk]
    [(sql, params)] = compiler.as_sql()

    def done(rows: list) -> None:
        [(obj.pk,)] = rows
        obj._state.adding, obj._state.db = False, using

    return Write(sql, list(params), done, lambda: obj.save(force_insert=True, using=using))


def delete(obj: models.Model) -> Write:
    """The DELETE of the object's row; the object keeps its id (for the audit row that names
    it)."""
    model = type(obj)
    query = model._default_manager.filter(pk=obj.pk)
    table, column = model._meta.db_table, str(model._meta.pk.column)
    using = router.db_for_write(model, instance=obj)
    quote = connections[using].ops.quote_name
    sql = f"DELETE FROM {quote(table)} WHERE {quote(column)} = %s"  # noqa: S608 - names only
    return Write(sql, [obj.pk], lambda rows: None, lambda: query.delete())
