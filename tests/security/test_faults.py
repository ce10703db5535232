"""Faults survived: the database or Redis refusing connections, then coming back."""

from unittest import mock

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts import services as accounts_services
from accounts.models import Invitation
from core.audit import AuditAction
from core.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_portal_answers_503_while_the_database_is_down_and_recovers_by_itself(owner, settings):
    if connection.vendor != "postgresql":
        pytest.skip("connections are refused only by a database server (PostgreSQL)")
    settings.DEBUG = False
    balancer = Client()  # the load balancer's health check carries no session
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    assert client.get(reverse("home")).status_code == 200
    events = AuditEvent.objects.count()

    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = "1"
    try:
        page = client.get(reverse("home"))
        assert page.status_code == 503
        assert "briefly unavailable" in page.content.decode()
        health = balancer.get(reverse("healthz"))
        assert health.status_code == 503
        assert health.json()["database"] == "unavailable"
        change = client.post(reverse("outbound_recording"), {"on": "1"})
        assert change.status_code == 503
    finally:
        connection.close()
        connection.settings_dict.update(original)

    # The database is back: no restart, the next request simply works.
    assert client.get(reverse("home")).status_code == 200
    assert balancer.get(reverse("healthz")).status_code == 200
    assert AuditEvent.objects.count() == events
    owner.memberships.first().organization.refresh_from_db()
    assert owner.memberships.first().organization.outbound_call_recording is False


# Redis refusing connections: nothing listens on port 1.
DEAD_REDIS = {
    alias: {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "KEY_PREFIX": prefix,
    }
    for alias, prefix in (("default", ""), ("org_values", "org"))
}


@pytest.fixture
def production_with_redis(settings):
    """DEBUG off, with the session engine production uses beside Redis."""
    settings.DEBUG = False
    settings.SESSION_ENGINE = "core.sessions"
    return settings


def test_a_redis_outage_keeps_members_signed_in_and_is_a_503_at_worst(
    owner, organization, production_with_redis, caplog
):
    production_with_redis.CACHES = DEAD_REDIS
    client = Client(raise_request_exception=False)
    client.force_login(owner)  # the session is in the database, whatever the cache

    # Signed-in pages work: the session and the organization's counts come from the
    # database while the cache is down.
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert organization.name in home.content.decode()
    assert client.get(reverse("team")).status_code == 200

    # A change commits, its cache version cannot be set: the change stands, the member
    # is told so.
    invited = client.post(reverse("team_invite"), {"email": "new@test.example", "role": "member"})
    assert invited.status_code == 302
    assert Invitation.objects.filter(email="new@test.example", organization=organization).exists()
    assert AuditEvent.objects.filter(action=AuditAction.TEAM_INVITED).count() == 1
    assert "cache version not renewed" in caplog.text

    # Signing in cannot count failures without the cache: the 503 page, not a 500.
    signing_in = Client(raise_request_exception=False).post(
        reverse("account_login"), {"login": owner.email, "password": "wrong"}
    )
    assert signing_in.status_code == 503
    assert signing_in["Retry-After"] == "30"
    assert "briefly unavailable" in signing_in.content.decode()


class BreakableCache(LocMemCache):
    """A cache whose every call fails, as Redis's client does, once it is broken."""

    broken = False

    def __getattribute__(self, name):
        if type(self).broken and name in ("get", "get_many", "set", "add", "delete", "has_key"):
            raise RedisConnectionError("Connection refused")
        return super().__getattribute__(name)


@pytest.fixture
def breakable_cache(production_with_redis):
    production_with_redis.CACHES = {
        alias: {"BACKEND": f"{__name__}.BreakableCache", "LOCATION": alias}
        for alias in ("default", "org_values")
    }
    BreakableCache.broken = False
    yield BreakableCache
    BreakableCache.broken = False


def test_a_cache_failing_after_a_change_commits_leaves_the_change_done_and_shown(
    owner, organization, breakable_cache, caplog
):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    assert client.get(reverse("team")).status_code == 200  # the cache holds its counts
    create = accounts_services.invitation_create

    def create_then_lose_the_cache(**kwargs):
        # The cache breaks right after the change commits, before its version is renewed.
        with transaction.atomic():
            transaction.on_commit(lambda: setattr(breakable_cache, "broken", True))
            return create(**kwargs)

    with mock.patch.object(accounts_services, "invitation_create", create_then_lose_the_cache):
        invited = client.post(
            reverse("team_invite"), {"email": "late@test.example", "role": "member"}
        )
    assert breakable_cache.broken
    assert invited.status_code == 302
    assert Invitation.objects.filter(email="late@test.example").exists()
    assert "cache version not renewed" in caplog.text
    # Still broken: the team page shows the invitation, computed from the database.
    team = client.get(reverse("team"))
    assert team.status_code == 200
    assert "late@test.example" in team.content.decode()
