"""Behind a proxy that appends to X-Forwarded-For, sign-in, password reset and
reauthentication work, and allauth's rate limits count the address the audit log records."""

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse

from core.audit import AuditAction
from core.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

# What the proxy's X-Forwarded-For may hold: the client's own claims first, the address
# the proxy saw last (with a port, from some balancers).
FORWARDED = {
    "one address": ("203.0.113.7", "203.0.113.7"),
    "two addresses": ("198.51.100.9, 203.0.113.7", "203.0.113.7"),
    "three addresses": ("192.0.2.1, 198.51.100.9, 203.0.113.7", "203.0.113.7"),
    "an IPv4 port": ("198.51.100.9, 203.0.113.7:443", "203.0.113.7"),
    "an IPv6 port": ("198.51.100.9, [2001:db8::1]:443", "2001:db8::1"),
}


@pytest.fixture
def behind_a_proxy(settings):
    settings.TRUSTED_CLIENT_IP_HEADER = "X-Forwarded-For"
    # What portal/settings.py once passed on to allauth: the adapter's answer wins over it.
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Forwarded-For"


def through_proxy(forwarded: str) -> Client:
    return Client(headers={"X-Forwarded-For": forwarded}, REMOTE_ADDR="10.0.0.2")


@pytest.mark.parametrize("forwarded", FORWARDED, ids=str)
def test_members_sign_in_behind_an_appending_proxy(behind_a_proxy, member, forwarded):
    client = through_proxy(FORWARDED[forwarded][0])
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("forwarded", FORWARDED, ids=str)
def test_password_resets_are_sent_behind_an_appending_proxy(
    behind_a_proxy, member, mailoutbox, forwarded
):
    client = through_proxy(FORWARDED[forwarded][0])
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.status_code == 302
    assert [message.to for message in mailoutbox] == [[member.email]]


@pytest.mark.parametrize("forwarded", FORWARDED, ids=str)
def test_members_reauthenticate_behind_an_appending_proxy(behind_a_proxy, member, forwarded):
    client = through_proxy(FORWARDED[forwarded][0])
    client.force_login(member)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("forwarded", FORWARDED, ids=str)
def test_sessions_and_the_audit_log_record_the_same_client_address(
    behind_a_proxy, owner, organization, forwarded
):
    header, address = FORWARDED[forwarded]
    client = through_proxy(header)
    client.post(reverse("account_login"), {"login": owner.email, "password": PASSWORD})
    assert list(UserSession.objects.filter(user=owner).values_list("ip", flat=True)) == [address]
    client.post(
        reverse("outbound_recording"), {"on": "0" if organization.outbound_call_recording else "1"}
    )
    event = AuditEvent.objects.get(action=AuditAction.OUTBOUND_RECORDING_CHANGED)
    assert event.ip_address == address


def test_failed_sign_ins_are_limited_by_the_address_the_proxy_saw(behind_a_proxy, member):
    # Ten failures a minute per address: what the client writes before the proxy's
    # address, and the port, do not make a new one.
    for attempt in range(10):
        client = through_proxy(f"198.51.100.{attempt}, 203.0.113.7:{4000 + attempt}")
        response = client.post(
            reverse("account_login"),
            {"login": f"nobody{attempt}@test.example", "password": "nope"},
        )
        assert response.status_code == 200
    same_address = through_proxy("192.0.2.50, 203.0.113.7").post(
        reverse("account_login"), {"login": member.email, "password": PASSWORD}
    )
    assert "Too many failed login attempts" in same_address.content.decode()
    other_address = through_proxy("192.0.2.50, 203.0.113.8").post(
        reverse("account_login"), {"login": member.email, "password": PASSWORD}
    )
    assert other_address.status_code == 302


def test_an_anonymous_refusal_does_not_speak_of_roles(client):
    # No address at all (no REMOTE_ADDR, no header): allauth refuses to sign anyone in.
    response = client.post(
        reverse("account_login"),
        {"login": "someone@test.example", "password": "nope"},
        REMOTE_ADDR="",
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "role" not in body.lower()
    assert "contact support" in body
