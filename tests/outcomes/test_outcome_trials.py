"""The list of the trials behind one dashboard count."""

from django.urls import reverse

URL = reverse("trials:outcomes_trials")


def listed(client, **params) -> set[int]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return {t.pk for t in response.context["page"]}


def test_nurse_cannot_list_outcomes(client_for, nurse):
    assert client_for(nurse).get(URL).status_code == 403


def test_each_criterion_selects_the_trials_behind_the_count(client_for, admin_user, cohort):
    client = client_for(admin_user)
    c = cohort

    assert listed(client, phase="completed") == {c.pump.pk}
    assert listed(client, decided=1) == {c.pump.pk, c.non_responder.pk}
    assert listed(client, responder=1) == {c.pump.pk}
    assert listed(client, response_dose=75) == {c.pump.pk}
    assert listed(client, response_dose=50) == set()
    assert listed(client, attempts=0) == {c.preparing.pk, c.cancelled.pk}
    assert listed(client, attempts=1) == {c.non_responder.pk}
    assert listed(client, attempts=2) == {c.pump.pk}
    assert listed(client, injected=1) == {c.pump.pk, c.non_responder.pk}
    assert listed(client, ae_kind="headache") == {c.non_responder.pk}
    assert listed(client, ae_kind="headache", ae_severity="severe") == set()
    assert listed(client, mas=1) == {c.pump.pk, c.non_responder.pk}


def test_criterion_and_filter_combine(client_for, neurologist, cohort):
    client = client_for(neurologist)

    assert listed(client, decided=1, diagnosis="cp") == {cohort.non_responder.pk}
    assert listed(client, decided=1, age_group="adult") == {cohort.pump.pk}


def test_the_page_says_which_trials_it_lists(client_for, admin_user, cohort):
    html = client_for(admin_user).get(URL, {"responder": 1, "diagnosis": "ms"}).content.decode()

    assert "Multiple sclerosis" in html
    assert "responders" in html
    assert cohort.pump.patient.last_name in html


def test_the_list_is_paged(client_for, admin_user, cohort, monkeypatch):
    monkeypatch.setattr("trials.views.outcomes.PAGE_SIZE", 3)
    client = client_for(admin_user)

    first = client.get(URL)
    second = client.get(URL, {"page": 2})

    assert first.context["page"].paginator.num_pages == 2
    assert len(first.context["page"]) + len(second.context["page"]) == 4
    assert "page=2" in first.content.decode()


def test_an_invalid_criterion_is_a_bad_request(client_for, admin_user):
    assert client_for(admin_user).get(URL, {"attempts": "7"}).status_code == 400
