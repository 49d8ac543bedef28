"""Sessions end after the site's idle limit (15 minutes by default) and 12 hours after sign-in
whatever the activity; the ward board's automatic refresh is not activity; the session key
rotates at sign-in; signing out and deactivating a user end sessions at once."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import UserSession
from accounts.sessions import ACTIVITY_RESOLUTION, LAST_ACTIVITY, LOGIN_AT
from tests.security.conftest import main_text, password_step
from trials.models import SiteSettings

BOARD = reverse("trials:board")
LOGIN = reverse("login")
POLL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "board"}


def set_times(client, *, idle=None, since_login=None) -> None:
    """Move the session's last activity and sign-in time back, as if time had passed."""
    now = int(timezone.now().timestamp())
    session = client.session
    if idle is not None:
        session[LAST_ACTIVITY] = now - int(idle.total_seconds())
    if since_login is not None:
        session[LOGIN_AT] = now - int(since_login.total_seconds())
    session.save()


def test_the_session_key_rotates_at_sign_in(nurse):
    client = Client()
    before = client.session  # an anonymous session, as a visitor has before signing in
    before["seen"] = True
    before.save()

    password_step(client, nurse.username)

    assert client.session.session_key != before.session_key
    assert not UserSession.objects.filter(session_key=before.session_key).exists()


def test_signing_out_ends_the_session_at_once(client_for, nurse):
    client = client_for(nurse)
    key = client.session.session_key
    cookie = client.cookies["sessionid"].value

    client.post(reverse("logout"))

    assert not UserSession.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get(BOARD)["Location"] == f"{LOGIN}?next={BOARD}"


def test_a_session_idle_for_15_minutes_ends_with_a_message_on_the_sign_in_page(client_for, nurse):
    client = client_for(nurse)
    key = client.session.session_key
    set_times(client, idle=timedelta(minutes=15, seconds=ACTIVITY_RESOLUTION))

    response = client.get(BOARD)

    assert (response.status_code, response["Location"]) == (
        302,
        f"{LOGIN}?next={BOARD}",
    )
    assert not UserSession.objects.filter(session_key=key).exists()
    page = main_text(client.get(response["Location"]))
    assert "Your session ended after 15 minutes without activity" in page


def test_a_session_idle_for_less_than_15_minutes_goes_on(client_for, nurse):
    client = client_for(nurse)
    set_times(client, idle=timedelta(minutes=14, seconds=59))

    assert client.get(BOARD).status_code == 200


def test_the_idle_limit_is_a_site_setting(client_for, nurse):
    site = SiteSettings.current()
    site.session_idle_minutes = 5
    site.save()
    client = client_for(nurse)
    set_times(client, idle=timedelta(minutes=6))

    response = client.get(BOARD, follow=True)

    assert "Your session ended after 5 minutes without activity" in main_text(response)


def test_the_ward_board_refresh_does_not_count_as_activity(client_for, nurse):
    client = client_for(nurse)
    set_times(client, idle=timedelta(minutes=10))
    last = client.session[LAST_ACTIVITY]

    assert client.get(BOARD, **POLL).status_code == 200

    assert client.session[LAST_ACTIVITY] == last


def test_a_board_left_open_still_times_out_and_the_page_goes_to_sign_in(client_for, nurse):
    client = client_for(nurse)
    set_times(client, idle=timedelta(minutes=16))

    response = client.get(BOARD, HTTP_HX_CURRENT_URL="http://testserver/trials/board/", **POLL)

    # htmx follows HX-Redirect with the whole page, not inside the board's container
    assert response["HX-Redirect"] == f"{LOGIN}?next=/trials/board/"
    assert "Your session ended after 15 minutes" in main_text(client.get(LOGIN))


def test_the_board_container_is_what_polls(client_for, nurse):
    """The automatic refresh is recognised by the id of the element that polls."""
    html = client_for(nurse).get(BOARD).content.decode()

    assert '<div id="board" hx-get="' in html
    assert 'hx-trigger="every 30s"' in html


@pytest.mark.parametrize(
    "request_kwargs",
    [{}, {"HTTP_HX_REQUEST": "true"}, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "other"}],
    ids=["page", "htmx-other", "htmx-other-trigger"],
)
def test_anything_else_the_user_opens_counts_as_activity(client_for, nurse, request_kwargs):
    client = client_for(nurse)
    set_times(client, idle=timedelta(minutes=10))
    before = client.session[LAST_ACTIVITY]

    client.get(BOARD, **request_kwargs)

    assert client.session[LAST_ACTIVITY] >= before + 10 * 60


def test_a_session_ends_12_hours_after_sign_in_whatever_the_activity(client_for, nurse):
    client = client_for(nurse)
    set_times(client, idle=timedelta(0), since_login=timedelta(hours=12))

    response = client.get(BOARD, follow=True)

    assert "a session lasts at most 12 hours" in main_text(response)
    assert "_auth_user_id" not in client.session


def test_eleven_hours_of_activity_keep_the_session(client_for, nurse):
    client = client_for(nurse)
    set_times(client, idle=timedelta(0), since_login=timedelta(hours=11, minutes=59))

    assert client.get(BOARD).status_code == 200


def test_a_session_without_the_sign_in_time_is_ended(client_for, nurse):
    client = client_for(nurse)
    session = client.session
    del session[LOGIN_AT]
    session.save()

    assert client.get(BOARD)["Location"].startswith(LOGIN)


def test_deactivating_a_user_ends_all_their_sessions_at_once(client_for, nurse, neurologist):
    ward, office = client_for(nurse), client_for(nurse)
    colleague = client_for(neurologist)

    nurse.is_active = False
    nurse.save()  # as the Django admin does

    assert not UserSession.objects.filter(user=nurse).exists()
    assert ward.get(BOARD).status_code == 302
    assert office.get(BOARD).status_code == 302
    assert colleague.get(BOARD).status_code == 200


def test_an_inactive_user_is_refused_on_the_next_request_whatever_the_session(client_for, nurse):
    client = client_for(nurse)
    type(nurse).objects.filter(pk=nurse.pk).update(is_active=False)  # no save, no signal

    assert client.get(BOARD)["Location"].startswith(LOGIN)


def test_each_session_row_knows_its_user(client_for, nurse, neurologist):
    client_for(nurse)
    client_for(neurologist)

    assert sorted(UserSession.objects.values_list("user__username", flat=True)) == sorted(
        [nurse.username, neurologist.username]
    )


def test_the_session_cookie_ends_with_the_browser(nurse):
    client = Client()
    response = password_step(client, nurse.username)

    cookie = response.cookies["sessionid"]
    assert (cookie["expires"], cookie["max-age"]) == ("", "")
    assert cookie["httponly"]


def test_an_admin_sets_the_idle_limit_on_the_site_settings_page(client_for, admin_user):
    client = client_for(admin_user)
    form = client.get(reverse("trials:site_settings")).context["form"]
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}

    response = client.post(reverse("trials:site_settings"), data | {"session_idle_minutes": 10})

    assert response.status_code == 302
    assert SiteSettings.current().session_idle_minutes == 10


@pytest.mark.parametrize("minutes", [0, 121])
def test_an_idle_limit_out_of_range_is_refused(client_for, admin_user, minutes):
    client = client_for(admin_user)
    form = client.get(reverse("trials:site_settings")).context["form"]
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}

    response = client.post(
        reverse("trials:site_settings"), data | {"session_idle_minutes": minutes}
    )

    assert response.status_code == 400
    assert "Ensure this value is" in response.content.decode()
    assert SiteSettings.current().session_idle_minutes == 15
