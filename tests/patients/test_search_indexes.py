"""On PostgreSQL the patient search is served by indexes, not by reading every patient.

With sequential scans priced out (enable_seqscan off), the plan of each search must use the
search indexes of migration patients/0003, on the columns the database keeps upper-cased: the
trigram index for the names, the MRN index for "equals" and "starts with". On a table of a few
rows the planner would rightly scan; what is checked here is that an index that serves the
search exists and is usable.
"""

import pytest
from django.db import connection

from patients.models import Patient

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL indexes (pg_trgm, text_pattern_ops)"
)


@pytest.fixture
def plan(db):
    def explain(queryset) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()

    return explain


def test_name_search_uses_the_trigram_and_mrn_indexes(plan, make_patient):
    make_patient(last_name="Holloway")

    text = plan(Patient.objects.search("holl").order_by())

    assert "patient_search_names_trgm" in text
    assert "patient_search_mrn_prefix" in text
    assert "Seq Scan" not in text


def test_two_word_search_uses_the_trigram_indexes(plan):
    text = plan(Patient.objects.search("maren holloway").order_by())

    # Every word must match: the planner may read one word's indexes and check the other's.
    assert "patient_search_names_trgm" in text
    assert "Seq Scan" not in text


def test_patient_list_pages_by_name_through_its_index(plan):
    text = plan(Patient.objects.order_by("last_name", "first_name")[:50])

    assert "patient_by_name" in text


def test_a_search_reads_a_bounded_number_of_matches(plan):
    text = plan(Patient.objects.first_found("holl", 200).order_by("last_name", "first_name"))

    # The matches are read from the search indexes and LIMIT-ed before they are sorted by name,
    # never by walking every patient in name order (patient_by_name) to filter them.
    assert "patient_search_names_trgm" in text and "Limit" in text
    assert "patient_by_name" not in text
    assert "Seq Scan" not in text


def test_an_exact_mrn_is_found_through_the_mrn_index(plan):
    # The audit review's MRN filter (audit/review.py): equal, whatever the case typed.
    text = plan(Patient.objects.filter(search_mrn__upper_exact="h-100"))

    assert "patient_search_mrn_prefix" in text
    assert "Seq Scan" not in text
