"""The outcomes dashboard: who may open it, what it shows, every count linked, fixed queries."""

import re
from html import unescape
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trials.models import SiteSettings
from trials.outcomes.figures import FIGURE_QUERIES

URL = reverse("trials:outcomes")


@pytest.fixture(autouse=True)
def _site_settings(db):
    SiteSettings.current()  # the first request would create it; count queries from the second


def test_nurse_cannot_open_the_dashboard(client_for, nurse):
    assert client_for(nurse).get(URL).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["admin_user", "neurologist"])
def test_reviewers_see_every_figure(request, client_for, cohort, role):
    response = client_for(request.getfixturevalue(role)).get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    for title in (
        "Trials by phase", "Completed trials and their outcome",
        "Responder rate, overall and by diagnosis", "Dose at which responders responded",
        "Doses given per trial", "Adverse events by type and severity",
        "Median days from referral", "Change in lower-limb Modified Ashworth",
    ):  # fmt: skip
        assert title in html
    assert "50.0 %" in html  # responder rate: 1 of 2 trials with a decided dose
    assert "-1.50" in html  # MS: mean lower-limb MAS 3 -> 1+


def test_each_figure_has_a_chart_and_a_table(client_for, admin_user, cohort):
    html = client_for(admin_user).get(URL).content.decode()

    assert html.count('<svg class="chart"') == 8
    assert html.count('<table class="table table-sm figure-table') == 8


def test_charts_need_no_script_and_no_inline_style(client_for, admin_user, cohort):
    html = client_for(admin_user).get(URL).content.decode()

    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # only external scripts
    assert " style=" not in html
    assert "<style" not in html


def test_every_count_links_to_the_trials_behind_it(client_for, admin_user, cohort):
    client = client_for(admin_user)
    html = client.get(URL).content.decode()
    links = re.findall(r'<td class="text-end"><a href="([^"]+)">(\d+)</a></td>', html)

    assert len(links) > 20
    for href, count in links:
        url = unescape(href)
        assert urlparse(url).path == reverse("trials:outcomes_trials")
        page = client.get(url)
        assert page.status_code == 200, url
        listed = page.context["page"].paginator.count
        if "ae_kind" in url or "ae_severity" in url:
            assert listed <= int(count), url  # events counted; trials listed
        else:
            assert listed == int(count), url


def test_links_keep_the_filter(client_for, admin_user, cohort):
    html = client_for(admin_user).get(URL, {"diagnosis": "cp"}).content.decode()
    hrefs = re.findall(r'<a href="(/trials/outcomes/trials/\?[^"]+)"', html)

    assert hrefs
    assert all(parse_qs(urlparse(unescape(h)).query)["diagnosis"] == ["cp"] for h in hrefs)


def test_a_filter_narrows_the_figures(client_for, admin_user, cohort):
    response = client_for(admin_user).get(URL, {"age_group": "child"})

    assert response.context["figures"].total == 1
    assert "Children (under 18 at referral)" in response.content.decode()


def test_an_invalid_filter_is_explained_not_computed(client_for, admin_user, cohort):
    response = client_for(admin_user).get(
        URL, {"referred_from": "2026-02-01", "referred_to": "2026-01-01"}
    )

    assert response.status_code == 400
    assert "must not be after" in response.content.decode()
    assert response.context["panels"] == []


def test_figures_are_recomputed_after_a_change(client_for, admin_user, cohort, adverse_event):
    client = client_for(admin_user)
    before = client.get(URL).context["figures"].adverse_events

    adverse_event(cohort.non_responder, kind="nausea", severity="moderate")

    after = client.get(URL).context["figures"].adverse_events
    assert before == {("headache", "mild"): 1}
    assert after == {("headache", "mild"): 1, ("nausea", "moderate"): 1}


def count_queries(client, params=None) -> int:
    # A request first, so the session's activity stamp (written at most every 30 s) is fresh and
    # its write does not land in the count when building the trials took longer than that.
    client.get(reverse("trials:outcomes_trials"))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, params or {}).status_code == 200
    return len(captured.captured_queries)


FILTERS = [{}, {"diagnosis": "ms", "age_group": "adult", "dose": "50"}]


@pytest.fixture(scope="module")
def query_counts(two_then_ten) -> list[tuple[int, int]]:
    """Per filter: the queries of the dashboard computed anew, with two trials and with ten."""

    def each_filter(client) -> list[int]:
        counts = []
        for params in FILTERS:
            cache.clear()
            counts.append(count_queries(client, params))
        return counts

    return list(zip(*two_then_ten(each_filter), strict=True))


@pytest.mark.parametrize("params", FILTERS)
def test_the_dashboard_runs_a_fixed_number_of_queries(query_counts, params):
    with_two, with_ten = query_counts[FILTERS.index(params)]

    assert with_two == with_ten
    # the session with its user (one read) + site settings + newest audit row + the figures
    assert with_ten <= 3 + FIGURE_QUERIES


def test_a_cached_dashboard_runs_only_the_freshness_check(client_for, admin_user, cohort):
    client = client_for(admin_user)
    cold = count_queries(client)
    warm = count_queries(client)

    assert warm == cold - FIGURE_QUERIES
