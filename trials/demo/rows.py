"""The unsaved rows of one batch of synthetic data, and their insert with the times they carry.

Each row gets its id when it is made (ids reserved from the table's sequence), so the rows that
point at it are complete at once and a whole batch goes to the database in one pass per table:
COPY on PostgreSQL, executemany elsewhere. Every value is written as set on the row, its past
times included: bulk_create() would stamp the auto_now / auto_now_add fields with the time of
the insert (Django's "raw" save, the one loaddata uses for fixtures, keeps them too). The
models are left as they are; a time left unset fails loudly on its NOT NULL column.
"""

import json
from collections import defaultdict

from django.db import connection
from django.db.models import JSONField, Model
from django.db.models.base import ModelState

from audit.models import AuditEvent
from audit.services import audit_bulk_append
from patients.models import Patient
from trials.models import (
    AdverseEvent,
    Assessment,
    ChecklistEntry,
    DoseAttempt,
    MasScore,
    Signature,
    Trial,
    VitalSigns,
)
from trials.procedure import Phase
from trials.services.trial_figures import trial_figures_rebuild

# The order of the inserts: each table after the ones it points at.
MODELS = (
    Patient, Trial, DoseAttempt, Assessment, MasScore, VitalSigns, AdverseEvent, Signature,
    ChecklistEntry,
)  # fmt: skip
ID_BLOCK = 20_000


class Ids:
    """Ids for new rows, reserved from each table's sequence (SQLite: after the largest id)."""

    def __init__(self) -> None:
        self.free: dict[type[Model], list[int]] = defaultdict(list)
        self.top: dict[str, int] = {}  # SQLite: the largest id handed out per table

    def next(self, model: type[Model]) -> int:
        free = self.free[model]
        if not free:
            free.extend(reversed(self.reserve(model, ID_BLOCK)))
        return free.pop()

    def reserve(self, model: type[Model], count: int) -> list[int]:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One statement moves the sequence past the block (seeding is the only writer
                # of these tables while it runs); nextval() per id costs ~20 µs each.
                cursor.execute(
                    "SELECT setval(seq, nextval(seq) + %s - 1) "
                    "FROM pg_get_serial_sequence(%s, 'id') AS seq",
                    [count, table],
                )
                last = cursor.fetchone()[0]
                return list(range(last - count + 1, last + 1))
            # One writer at a time on SQLite: ids after the largest so far, in this run too.
            cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            start = max(cursor.fetchone()[0] or 0, self.top.get(table, 0)) + 1
            self.top[table] = start + count - 1
            return list(range(start, start + count))


def insert_as_given(model: type[Model], objs: list) -> None:
    """INSERT the rows with every value as set on them (ids included)."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg adapts the Python values (aware datetimes, Decimal, date, UUID) itself;
            # a JSON value goes as its text, which COPY reads into the jsonb column.
            json_fields = [f for f in fields if isinstance(f, JSONField)]
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for obj in objs:
                    row = {f.attname: getattr(obj, f.attname) for f in fields}
                    for f in json_fields:
                        value = row[f.attname]
                        row[f.attname] = None if value is None else json.dumps(value, cls=f.encoder)
                    copy.write_row(list(row.values()))
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - our names
                [
                    [f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields]
                    for o in objs
                ],
            )
    alias = connection.alias
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


class Shape:
    """How one model's rows are made quickly: its defaults and its relations' column names."""

    def __init__(self, model: type[Model]) -> None:
        fields = [f for f in model._meta.concrete_fields if not f.generated]
        computed = [f for f in fields if f.has_default() and callable(f.default)]
        self.fixed = {f.attname: f.get_default() for f in fields if f not in computed}
        self.computed = computed
        self.columns = {f.name: f.attname for f in fields if f.is_relation}


SHAPES: dict[type[Model], Shape] = {}


def instance(model: type[Model], values: dict):
    """An unsaved instance with these values, made the way Model.from_db fills one.

    Model.__init__ sets each field through its descriptor, ~30 µs a row: at the millions of rows
    of --patients 100000 that was most of the run. A relation is given as its instance
    (trial=trial, already with its id): its id column is set (read `trial_id` back, not
    `trial`: the instance is not cached).
    """
    shape = SHAPES.get(model) or SHAPES.setdefault(model, Shape(model))
    obj = model.__new__(model)
    obj._state = ModelState()
    data = obj.__dict__
    data.update(shape.fixed)
    for f in shape.computed:
        data[f.attname] = f.get_default()
    for name, value in values.items():
        column = shape.columns.get(name)
        if column is None:
            data[name] = value
        else:
            data[column] = value.pk if value is not None else None
    return obj


class Rows:
    """The unsaved rows of one batch; `new` makes a row with its id and keeps it for the insert."""

    def __init__(self, ids: Ids) -> None:
        self.ids = ids
        self.objs: dict[type[Model], list] = defaultdict(list)
        self.untried: list[Patient] = []  # patients without a trial, for their audit row

    def new(self, model: type[Model], **values):
        obj = instance(model, values | {"id": self.ids.next(model)})
        self.objs[model].append(obj)
        return obj

    @property
    def trials(self) -> list[Trial]:
        return self.objs[Trial]

    def save(self, seed: int) -> None:
        for model in MODELS:
            insert_as_given(model, self.objs[model])
        # The dashboard's kept figures of these trials, derived from the rows just written.
        trial_figures_rebuild(Trial.objects.filter(pk__in=[t.pk for t in self.trials]))
        audit_bulk_append(self.audit(seed))  # hashed and chained like every other audit row

    def audit(self, seed: int) -> list[AuditEvent]:
        """One row per synthetic trial or patient, at the time of the seed, saying what it is."""
        return [
            AuditEvent(
                actor=None,
                actor_name="seed_demo",
                action="seed",
                trial_id=trial.pk,
                patient_id=trial.patient_id,
                object_type="Trial",
                object_id=str(trial.pk),
                summary=f"Synthetic benchmark trial written in bulk by seed_demo "
                f"({Phase.LABELS[trial.status]}); not entered through the app.",
                new={"status": trial.status, "outcome": trial.outcome, "seed": seed},
            )
            for trial in self.trials
        ] + [
            AuditEvent(
                actor=None,
                actor_name="seed_demo",
                action="seed",
                patient_id=patient.pk,
                object_type="Patient",
                object_id=str(patient.pk),
                summary="Synthetic benchmark patient written in bulk by seed_demo.",
                new={"seed": seed},
            )
            for patient in self.untried
        ]
