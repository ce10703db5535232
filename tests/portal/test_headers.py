"""Production settings are strict, and every page carries the security headers."""

import json
import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-for-this-test-only-0123456789",
    "ALLOWED_HOSTS": "portal.example",
}


def production_settings(**environ: str) -> dict:
    """The settings module as production imports it (a fresh interpreter, DEBUG off), with
    `environ` on top of the production environment."""
    code = (
        "import json; from portal import settings as s; print(json.dumps({k: getattr(s, k) "
        "for k in ['DEBUG', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_HSTS_PRELOAD', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', "
        "'SESSION_COOKIE_NAME', 'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_NAME', "
        "'SESSION_COOKIE_HTTPONLY', 'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY',"
        " 'X_FRAME_OPTIONS', 'LOG_FORMAT', 'MAILERS']}, default=str))"
    )
    env = {**os.environ, **PRODUCTION_ENV, **environ}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_production_settings_are_strict():
    values = production_settings()
    assert values["DEBUG"] is False
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_HSTS_PRELOAD"]
    assert values["SECURE_SSL_REDIRECT"]
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert values["SESSION_COOKIE_HTTPONLY"]
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["LOG_FORMAT"] == "json"


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, **PRODUCTION_ENV, "SECRET_KEY": ""}
    done = subprocess.run(
        [sys.executable, "-c", "import portal.settings"], env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr


PAGES = [
    "home",
    "numbers",
    "licenses",
    "trunks",
    "settings",
    "call_insights",
    "number_testing",
    "jetpacks",
    "team",
    "activity",
    "support",
    "usersessions_list",
    "mfa_index",
    "account_email",
]


@pytest.fixture
def production_headers(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True


def assert_strict_headers(response) -> None:
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_every_page_carries_the_security_headers(production_headers, owner, organization):
    client = Client()
    client.force_login(owner)
    for name in PAGES:
        response = client.get(reverse(name), secure=True)
        assert response.status_code == 200, name
        assert_strict_headers(response)
    anonymous = Client()
    for url in (reverse("account_login"), reverse("account_reset_password"), "/nowhere/"):
        assert_strict_headers(anonymous.get(url, secure=True))


def test_static_files_and_the_400_page_carry_the_security_headers(production_headers, settings):
    settings.WHITENOISE_USE_FINDERS = True  # WhiteNoise serves them as from STATIC_ROOT
    client = Client()
    stylesheet = client.get("/static/css/portal.css", secure=True)
    assert stylesheet.status_code == 200
    assert stylesheet["Content-Type"].startswith("text/css")
    assert_strict_headers(stylesheet)
    refused = client.get(reverse("account_login"), {"next": "\x00"}, secure=True)
    assert refused.status_code == 400
    assert_strict_headers(refused)
