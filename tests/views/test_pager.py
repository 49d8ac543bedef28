"""The pager under every paged list (templates/_pager.html): the patient list, the audit trail,
one phase's trials, a trial's timeline and the trials behind an outcome count.

Each list pages the same way. A list of one page has no pager. Otherwise the pager is a named
navigation ("Pages of …") that says which page is shown ("Page 2 of 3", aria-current) between a
Previous link (rel="prev"; "Newer" on the lists shown newest first) and a Next link (rel="next";
"Older"); the first page has no Previous link, the last no Next. Both links keep the list's
filters, whatever characters a filter holds, and name page= once. A page number that is not a
number shows the first page, one past the end the last, as the views always have.

Each list is built here with five matching rows in pages of two (three pages: 2, 2, 1). The
patient search, the audit trail and the outcome list also hold rows their filters leave out, so a
link that lost a filter would count other pages; the phase list without its phase is another page.
"""

import re
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import parse_qs

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from patients.models import Diagnosis
from tests import factories

from .support import html

PER_PAGE = 2
ROWS = 5
PAGES = 3


@dataclass(frozen=True)
class PagedList:
    """One list as its user pages it: where, with which filters, and how its pager reads."""

    client: Client
    url: str
    page_size: str  # the view's setting, for monkeypatch
    label: str
    filters: dict[str, str] = field(default_factory=dict)
    previous: str = "Previous"
    next: str = "Next"

    def get(self, page=None):
        params = self.filters if page is None else {**self.filters, "page": page}
        response = self.client.get(self.url, params)
        assert response.status_code == 200
        return response

    def rows(self, response) -> list[int]:
        """The ids of the page's rows: models, or the patient list's values (the id first)."""
        return [row[0] if isinstance(row, tuple) else row.pk for row in response.context["page"]]


@dataclass(frozen=True)
class Link:
    rel: str
    text: str
    href: str  # as the browser reads the attribute: entities decoded

    @property
    def params(self) -> dict[str, list[str]]:
        assert self.href.startswith("?"), self.href
        return parse_qs(self.href[1:], keep_blank_values=True)


@dataclass(frozen=True)
class Pager:
    label: str
    status: str  # "Page x of y", the item marked aria-current
    links: dict[str, Link]  # by rel: "prev", "next"


def pager_of(page: str) -> Pager | None:
    found = re.search(r'<nav aria-label="(Pages[^"]*)">(.*?)</nav>', page, re.S)
    if not found:
        return None
    label, nav = found.groups()
    status = re.search(r'<span [^>]*aria-current="page"[^>]*>([^<]*)</span>', nav)
    links = {}
    for attrs, text in re.findall(r"<a\b([^>]*)>([^<]*)</a>", nav):
        attr = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        links[attr["rel"]] = Link(attr["rel"], text, unescape(attr["href"]))
    return Pager(label, status.group(1) if status else "", links)


def pager(response) -> Pager:
    found = pager_of(html(response))
    assert found, "No pager on the page."
    return found


# --- The five lists, each with three pages ------------------------------------------------------


@pytest.fixture
def patients_list(monkeypatch, make_patient, nurse, client_for) -> PagedList:
    # A search with a space, an ampersand and letters outside ASCII: each must reach the next
    # page as it was typed.
    monkeypatch.setattr("trials.views.patients.PAGE_SIZE", PER_PAGE)
    for first in ["Ann", "Ben", "Cara", "Dev", "Eli"]:
        make_patient(last_name="Brontë & Søn", first_name=first)
    make_patient(last_name="Brontë", first_name="Zoë")
    make_patient(last_name="Søn", first_name="Ola")
    return PagedList(
        client_for(nurse),
        reverse("patients:list"),
        "trials.views.patients.PAGE_SIZE",
        label="Pages of the patient list",
        filters={"q": "Brontë & Søn"},
    )


@pytest.fixture
def audit_list(monkeypatch, make_patient, nurse, admin_user, client_for) -> PagedList:
    monkeypatch.setattr("audit.views.PAGE_SIZE", PER_PAGE)
    patient, other = make_patient(mrn="Ø-7 & 1/2"), make_patient()
    for n in range(ROWS):
        audit_record(actor=nurse, action="change", patient=patient, summary=f"Change {n}")
    audit_record(actor=nurse, action="view", patient=patient, summary="Viewed")
    audit_record(actor=nurse, action="change", patient=other, summary="Other patient")
    return PagedList(
        client_for(admin_user),
        reverse("trials:audit"),
        "audit.views.PAGE_SIZE",
        label="Pages of the audit trail",
        filters={"mrn": "Ø-7 & 1/2", "action": "change"},
        previous="Newer",
        next="Older",
    )


@pytest.fixture
def phase_list(monkeypatch, team, make_patient, nurse, client_for) -> PagedList:
    monkeypatch.setattr("trials.views.pages.PAGE_SIZE", PER_PAGE)
    for _ in range(ROWS):
        factories.create_trial(make_patient(), team)
    return PagedList(
        client_for(nurse),
        reverse("trials:list"),
        "trials.views.pages.PAGE_SIZE",
        label="Pages of the trials in this phase",
        filters={"phase": "preparation"},
    )


@pytest.fixture
def timeline_list(monkeypatch, team, make_patient, nurse, client_for) -> PagedList:
    # The timeline has no filter: its links carry the page only.
    monkeypatch.setattr("trials.views.pages.TIMELINE_PAGE", PER_PAGE)
    trial = factories.create_trial(make_patient(), team)
    made = AuditEvent.objects.timeline(trial.pk).count()
    assert made <= ROWS
    for n in range(ROWS - made):
        audit_record(actor=nurse, action="change", trial=trial, summary=f"Correction {n}")
    return PagedList(
        client_for(nurse),
        reverse("trials:timeline", args=[trial.pk]),
        "trials.views.pages.TIMELINE_PAGE",
        label="Pages of the timeline",
        previous="Newer",
        next="Older",
    )


@pytest.fixture
def outcomes_list(monkeypatch, team, make_patient, neurologist, client_for) -> PagedList:
    # The dashboard's filter (diagnosis) and the count's criterion (phase), both kept.
    monkeypatch.setattr("trials.views.outcomes.PAGE_SIZE", PER_PAGE)
    for _ in range(ROWS):
        factories.create_trial(make_patient(diagnosis=Diagnosis.MULTIPLE_SCLEROSIS), team)
    for _ in range(2):
        factories.create_trial(make_patient(diagnosis=Diagnosis.CEREBRAL_PALSY), team)
    return PagedList(
        client_for(neurologist),
        reverse("trials:outcomes_trials"),
        "trials.views.outcomes.PAGE_SIZE",
        label="Pages of the trials",
        filters={"diagnosis": Diagnosis.MULTIPLE_SCLEROSIS, "phase": "preparation"},
    )


LISTS = ["patients_list", "audit_list", "phase_list", "timeline_list", "outcomes_list"]


@pytest.fixture(params=LISTS)
def paged(request, db) -> PagedList:
    # `db` named here: pytest-django sets up the test database only for tests that ask for it.
    return request.getfixturevalue(request.param)


# --- The specification --------------------------------------------------------------------------


def test_each_list_pages_with_its_filters_kept(paged):
    first = paged.get()

    onward = pager(first).links["next"]

    assert onward.params == {**{k: [v] for k, v in paged.filters.items()}, "page": ["2"]}
    followed = paged.client.get(paged.url + onward.href)
    assert pager(followed).status == f"Page 2 of {PAGES}"
    assert paged.rows(followed) == paged.rows(paged.get(page=2))
    assert not set(paged.rows(followed)) & set(paged.rows(first))


def test_the_links_are_plain_urls_whatever_the_filters_hold(paged):
    # Spaces, ampersands, slashes and accents travel percent-encoded; in the HTML the links'
    # own separators are written &amp;.
    response = paged.get(page=2)

    for link in pager(response).links.values():
        assert re.fullmatch(r"\?[A-Za-z0-9%._~+/=&-]*", link.href), link.href
        assert link.href.replace("&", "&amp;") in html(response)


def test_a_page_link_names_the_page_once(paged):
    links = pager(paged.get(page=2)).links

    assert links["prev"].params["page"] == ["1"]
    assert links["next"].params["page"] == ["3"]


def test_the_first_page_has_no_previous_link(paged):
    shown = pager(paged.get())

    assert shown.status == f"Page 1 of {PAGES}"
    assert list(shown.links) == ["next"]


def test_the_last_page_has_no_next_link(paged):
    shown = pager(paged.get(page=PAGES))

    assert shown.status == f"Page {PAGES} of {PAGES}"
    assert list(shown.links) == ["prev"]
    assert shown.links["prev"].params["page"] == [str(PAGES - 1)]


def test_the_pager_is_named_and_its_links_say_where_they_go(paged):
    shown = pager(paged.get(page=2))

    assert shown.label == paged.label
    assert shown.status == f"Page 2 of {PAGES}"
    assert [(link.rel, link.text) for link in shown.links.values()] == [
        ("prev", paged.previous),
        ("next", paged.next),
    ]


@pytest.mark.parametrize("number", ["two", "1.5", ""])
def test_a_page_number_that_is_not_a_number_shows_the_first_page(paged, number):
    shown = paged.get(page=number)

    assert pager(shown).status == f"Page 1 of {PAGES}"
    assert paged.rows(shown) == paged.rows(paged.get())


def test_a_page_number_past_the_last_shows_the_last_page(paged):
    shown = paged.get(page=PAGES + 50)

    assert pager(shown).status == f"Page {PAGES} of {PAGES}"
    assert paged.rows(shown) == paged.rows(paged.get(page=PAGES))


def test_a_list_of_one_page_has_no_pager(paged, monkeypatch):
    monkeypatch.setattr(paged.page_size, ROWS)

    shown = paged.get()

    assert len(paged.rows(shown)) == ROWS
    assert pager_of(html(shown)) is None
    assert "Page 1 of 1" not in html(shown)


def test_a_search_keeps_its_exact_words_in_the_link(patients_list):
    # The search as the patient list's form sends it, and as the link sends it back.
    href = pager(patients_list.get()).links["next"].href

    assert href == "?q=Bront%C3%AB%20%26%20S%C3%B8n&page=2"
    assert parse_qs(href[1:])["q"] == ["Brontë & Søn"]
