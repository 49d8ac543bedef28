"""The patient list's search: by part of a name or the start of an MRN, in pages of PAGE_SIZE,
each page and the number of matches read in one query, whatever the size of the register."""

import pytest
from django.urls import reverse

from core.paging import page_counted_in_passing
from patients.models import Patient
from tests.views.support import html
from trials.views import patients as patient_views


def search(client, text: str, **params) -> str:
    return html(client.get(reverse("patients:list"), {"q": text, **params}))


@pytest.fixture
def holloways(make_patient):
    """Five patients named Holloway (MRN H-1 to H-5), and one who is not."""
    make_patient(last_name="Okoye", first_name="Ada", mrn="K-0042")
    return [
        make_patient(last_name="Holloway", first_name=name, mrn=f"H-{i}")
        for i, name in enumerate(["Ann", "Ben", "Cara", "Dev", "Eli"], start=1)
    ]


def test_search_by_part_of_a_name_finds_the_patient(holloways, as_nurse):
    page = search(as_nurse, "llowa")

    assert all(p.get_absolute_url() in page for p in holloways)
    assert "Okoye" not in page


def test_search_by_the_start_of_an_mrn_finds_the_patient(holloways, as_nurse):
    page = search(as_nurse, "k-00")

    assert "Okoye, Ada" in page
    assert "Holloway" not in page


def test_search_shows_the_patients_open_trial(trial_in, as_nurse):
    trial = trial_in("injection")

    page = search(as_nurse, trial.patient.mrn)

    assert reverse("trials:detail", args=[trial.pk]) in page
    assert "injection" in page


@pytest.mark.parametrize(
    ("asked", "shown", "names"),
    [
        ("1", 1, ["Ann", "Ben"]),
        ("3", 3, ["Eli"]),
        ("9", 3, ["Eli"]),
        ("9" * 25, 3, ["Eli"]),  # past what the database's OFFSET holds: the last page too
        ("x", 1, ["Ann", "Ben"]),
    ],
)
def test_search_pages_its_matches_in_name_order(
    holloways, as_nurse, monkeypatch, asked, shown, names
):
    monkeypatch.setattr(patient_views, "PAGE_SIZE", 2)

    page = search(as_nurse, "holloway", page=asked)

    assert f"Page {shown} of 3" in page
    assert [n for n in ["Ann", "Ben", "Cara", "Dev", "Eli"] if f"Holloway, {n}<" in page] == names


def test_a_search_reads_its_page_and_its_count_in_one_query(holloways, django_assert_num_queries):
    matches = Patient.objects.search("holloway").order_by("first_name")

    with django_assert_num_queries(1):
        page = page_counted_in_passing(matches, "2", 2)
        assert (page.paginator.count, page.paginator.num_pages) == (5, 3)
        assert [p.first_name for p in page] == ["Cara", "Dev"]


def test_a_search_that_finds_no_one_says_so(holloways, as_nurse):
    page = search(as_nurse, "nobody")

    assert "No patient matches “nobody”" in page


def test_search_lists_at_most_its_limit_then_asks_to_narrow_it(holloways, as_nurse, monkeypatch):
    monkeypatch.setattr(patient_views, "SEARCH_LIMIT", 3)

    page = search(as_nurse, "holloway")

    assert page.count("Holloway, ") == 3
    assert "The first 3 patients found are listed" in page


def test_each_word_added_narrows_the_search(holloways, as_nurse):
    page = search(as_nurse, "holloway cara")

    assert "Holloway, Cara" in page
    assert page.count("Holloway, ") == 1
    assert 'id="search-limit"' not in page


# --- The search sent compiled once per process (trials/views/patients.py, core/baked.py) ------


def orm_page(query: str, number):
    """The page as the ORM reads it, each time compiled (the way every search went before)."""
    found = patient_views.with_open_trial(
        Patient.objects.first_found(query, patient_views.SEARCH_LIMIT)
    )
    return page_counted_in_passing(found.order_by(*patient_views.BY_NAME), number, 2)


def shown(page) -> tuple:
    """The page's place and its patients, each as the values its row shows."""
    rows = [p if isinstance(p, tuple) else patient_views._values(p) for p in page]
    return page.number, page.paginator.count, page.paginator.num_pages, rows


@pytest.mark.parametrize(
    "query",
    ["holloway", "HOLL", "h-", "ann holloway", "a o", "a b c d e", "%", "_", "H-_", "\\", "\x00"],
)
@pytest.mark.parametrize("number", ["1", "2", "3", "4", "x", "9" * 25])
def test_a_search_sent_compiled_shows_what_the_orm_reads(
    holloways, monkeypatch, trial_in, query, number
):
    trial_in("injection", patient=holloways[1])
    monkeypatch.setattr(patient_views, "PAGE_SIZE", 2)

    assert shown(patient_views._search_page(query, number)) == shown(orm_page(query, number))


def test_a_search_seen_again_is_sent_without_compiling_it(holloways, as_nurse, monkeypatch):
    from unittest import mock

    from django.db.models.sql.compiler import SQLCompiler

    search(as_nurse, "ann holloway")
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql):
        compiled = SQLCompiler.as_sql
        page = search(as_nurse, "ben holloway")
    assert "Holloway, Ben<" in page and "Holloway, Ann<" not in page
    tables = [call.args[0].query.model._meta.db_table for call in compiled.call_args_list]
    assert "patients_patient" not in tables
