"""/healthz answers a load balancer over plain HTTP, by any Host, with production settings."""

from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client

from tests.portal.test_headers import production_settings
from tests.security.test_faults import DEAD_REDIS

pytestmark = pytest.mark.django_db

# How a balancer reaches an instance: by its address, which no ALLOWED_HOSTS names.
INSTANCE = "10.0.0.7:8000"


@pytest.fixture
def production(settings):
    values = production_settings()
    settings.DEBUG = values["DEBUG"]
    settings.SECURE_SSL_REDIRECT = values["SECURE_SSL_REDIRECT"]
    settings.ALLOWED_HOSTS = ["portal.example"]
    return settings


def balancer() -> Client:
    # Made after the settings: the middleware reads them when the client's handler loads.
    return Client(HTTP_HOST=INSTANCE, raise_request_exception=False)


def test_healthz_answers_200_over_http_to_an_unknown_host_without_redirect(production):
    check = balancer()

    response = check.get("/healthz")

    assert response.status_code == 200
    assert "Location" not in response
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert check.head("/healthz").status_code == 200
    # Pages keep both guards: the unknown Host is refused, a known one sent to HTTPS.
    assert check.get("/").status_code == 400
    page = Client(HTTP_HOST="portal.example").get("/")
    assert page.status_code == 301 and page["Location"].startswith("https://portal.example/")


def test_healthz_answers_503_naming_the_database_when_it_is_down(production):
    # The cache apart from the database, as Redis is in production (without REDIS_URL the
    # cache lives in the database and would fail with it).
    production.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "org_values": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    with mock.patch.object(
        connection, "cursor", side_effect=OperationalError("connection refused")
    ):
        response = balancer().get("/healthz")

    assert response.status_code == 503
    assert "Location" not in response
    assert response.json() == {"status": "unavailable", "database": "unavailable", "cache": "ok"}


def test_healthz_answers_503_naming_the_cache_when_redis_is_down(production):
    production.CACHES = DEAD_REDIS

    response = balancer().get("/healthz")

    assert response.status_code == 503
    assert "Location" not in response
    assert response.json() == {"status": "unavailable", "database": "ok", "cache": "unavailable"}
