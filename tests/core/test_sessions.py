"""Sliding session expiry, saved every SESSION_REFRESH_SECONDS instead of every request."""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.middleware import SlidingSessionMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture
def db_sessions(settings):
    # The database engine, so that a save shows as an UPDATE of django_session.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.SESSION_REFRESH_SECONDS = 300
    settings.SESSION_COOKIE_AGE = 3600


def _session_writes(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum("django_session" in q["sql"] and "UPDATE" in q["sql"] for q in queries)


def _stored(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_page_views_do_not_write_the_session_until_it_is_old_enough(db_sessions, client, owner):
    client.force_login(owner)
    client.get(reverse("home"))  # the first view after sign-in stamps the session
    assert _session_writes(client, reverse("home")) == 0
    assert _session_writes(client, reverse("settings")) == 0


def test_an_old_enough_session_is_saved_again_and_its_expiry_slides(db_sessions, client, owner):
    client.force_login(owner)
    client.get(reverse("home"))
    session = client.session
    session[SlidingSessionMiddleware.KEY] = int(time.time()) - 301
    session.save()
    soon = timezone.now() + timedelta(seconds=10)
    Session.objects.filter(session_key=session.session_key).update(expire_date=soon)
    assert _session_writes(client, reverse("home")) == 1
    stored = _stored(client)
    assert stored.expire_date > timezone.now() + timedelta(seconds=3500)  # an hour again
    assert stored.get_decoded()[SlidingSessionMiddleware.KEY] >= int(time.time()) - 5


def test_a_session_idle_past_its_age_is_signed_out(db_sessions, client, owner):
    client.force_login(owner)
    client.get(reverse("home"))
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=_stored(client).expire_date.replace(year=2000)
    )
    response = client.get(reverse("home"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_anonymous_visitors_get_no_session(client):
    client.get(reverse("account_login"))
    assert Session.objects.count() == 0
