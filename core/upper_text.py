"""A text kept upper-cased by the database (a generated column), searched without upper-casing it.

Django's case-blind lookups (`icontains`, `istartswith`, `iexact`) upper-case both sides on
PostgreSQL: `UPPER(column) LIKE UPPER('%text%')`, a function call on every row the search reads.
A column the database keeps as UPPER(...) of others needs only the searched text upper-cased:
`column LIKE UPPER('%text%')`, the same test as `icontains` on its source, with the text
upper-cased by the same function. On SQLite the lookups are the `i` lookups' own SQL (LIKE,
case-blind for ASCII as before). tests/patients/test_patient_services.py checks the search's
answers; tests/patients/test_search_indexes.py that PostgreSQL's indexes serve it.
"""

from django.db import models
from django.db.models.lookups import Contains, IExact, StartsWith


class UpperText(models.TextField):
    """The output field of a GeneratedField whose expression is Upper(...)."""


@UpperText.register_lookup
class UpperContains(Contains):
    lookup_name = "upper_contains"

    def get_rhs_op(self, connection, rhs):
        return connection.operators["icontains"] % rhs


@UpperText.register_lookup
class UpperStartsWith(StartsWith):
    lookup_name = "upper_startswith"

    def get_rhs_op(self, connection, rhs):
        return connection.operators["istartswith"] % rhs


@UpperText.register_lookup
class UpperExact(IExact):
    lookup_name = "upper_exact"

    def get_rhs_op(self, connection, rhs):
        return connection.operators["iexact"] % rhs
