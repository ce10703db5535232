"""Sign-in, rate limits, health, security headers, the demo data command."""

from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Organization, User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_members_sign_in_with_their_email(client, member):
    response = client.post(
        reverse("account_login"), {"login": member.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == member


def test_a_wrong_password_is_refused_with_a_message(client, member):
    response = client.post(reverse("account_login"), {"login": member.email, "password": "nope"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_repeated_failed_sign_ins_are_rate_limited(client, member):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": member.email, "password": "nope"})
    # Even the right password is refused until the limit expires.
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_healthz_answers_ok_when_the_database_and_cache_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_healthz_answers_503_when_the_database_does_not(client):
    with mock.patch.object(connection, "cursor", side_effect=Exception("database is down")):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_healthz_answers_503_when_the_cache_does_not(client):
    with mock.patch("portal.health.cache.set", side_effect=Exception("cache is down")):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["cache"] == "unavailable"


def test_pages_carry_a_strict_content_security_policy(client_for, owner):
    response = client_for(owner).get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "img-src 'self' data:" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_pages_carry_no_inline_script_or_handler(client_for, owner):
    content = client_for(owner).get(reverse("home")).content.decode()
    assert "<script>" not in content
    for handler in (" onclick=", " onload=", " onsubmit=", "hx-on"):
        assert handler not in content
    assert '"includeIndicatorStyles": false' in content


def test_seed_demo_creates_the_demo_sign_ins_and_is_idempotent(django_capture_on_commit_callbacks):
    call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (User.objects.count(), Organization.objects.count(), Membership.objects.count())
    call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counts == (
        User.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
    )
    acme = Organization.objects.get(account_id="AC-100234")
    assert acme.name == "Acme Logistics"
    assert acme.account_manager.email == "staff@switchboard.example"
    roles = dict(acme.memberships.values_list("user__email", "role"))
    assert roles == {
        "owner@acme.example": "super_admin",
        "admin@acme.example": "admin",
        "agent@acme.example": "member",
    }
    assert User.objects.get(email="owner@acme.example").check_password("switchboard-demo")
    assert User.objects.get(email="staff@switchboard.example").is_staff


def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_password_reset_requests_are_rate_limited_with_a_clear_page(client, member):
    url = reverse("account_reset_password")
    statuses = [client.post(url, {"email": member.email}).status_code for _ in range(8)]
    assert 429 in statuses
    limited = client.post(url, {"email": member.email})
    assert limited.status_code == 429
    assert "Too many attempts" in limited.content.decode()
    assert "Contact support" in limited.content.decode()


def test_failed_sign_ins_from_one_address_do_not_lock_the_member_out_elsewhere(member):
    attacker = Client(REMOTE_ADDR="198.51.100.66")
    for _ in range(6):
        attacker.post(reverse("account_login"), {"login": member.email, "password": "nope"})
    # The attacker's address stays limited, even with the right password...
    limited = attacker.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert "Too many failed login attempts" in limited.content.decode()
    # ...while the member, from their own address, signs in.
    own = Client(REMOTE_ADDR="203.0.113.7")
    response = own.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert own.get(reverse("home")).status_code == 200
