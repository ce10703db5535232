"""Sessions end when they should; organizations can require two-factor authentication."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client, RequestFactory
from django.urls import reverse

from core.http import client_ip
from core.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def requiring(organization):
    organization.require_mfa = True
    organization.save()
    return organization


def test_admins_without_mfa_are_sent_to_set_it_up(requiring, admin_user, member):
    client = signed_in(admin_user)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("mfa_index")
    assert client.get(reverse("mfa_index")).status_code == 200
    # Members are not asked.
    assert signed_in(member).get(reverse("home")).status_code == 200


def test_admins_with_mfa_go_on(requiring, admin_user):
    Authenticator.objects.create(
        user=admin_user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    client = Client()
    client.force_login(admin_user)
    assert client.get(reverse("home")).status_code == 200


def test_only_super_admins_require_mfa_and_it_is_audited(
    client_for, organization, owner, admin_user
):
    client_for(admin_user).post(reverse("require_mfa"), {"on": "1"})
    organization.refresh_from_db()
    assert organization.require_mfa is False
    client_for(owner).post(reverse("require_mfa"), {"on": "1"})
    organization.refresh_from_db()
    assert organization.require_mfa is True
    assert AuditEvent.objects.filter(action="organization.require_mfa_changed").count() == 1


def test_members_see_and_end_their_other_sessions(member):
    first, second = signed_in(member), signed_in(member)
    page = first.get(reverse("usersessions_list"))
    assert page.status_code == 200
    first.post(reverse("usersessions_list"), {"action": "end"})
    assert second.get(reverse("home")).status_code == 302
    assert first.get(reverse("home")).status_code == 200


def test_a_password_change_ends_the_other_sessions(member):
    first, second = signed_in(member), signed_in(member)
    new = "an-entirely-new-passphrase-7"
    response = first.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert second.get(reverse("home")).status_code == 302
    assert first.get(reverse("home")).status_code == 200


def test_a_deactivated_member_is_signed_out_at_the_next_request(member):
    client = signed_in(member)
    member.is_active = False
    member.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_client_address_comes_from_the_trusted_header_only(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    settings.TRUSTED_CLIENT_IP_HEADER = None
    assert client_ip(request) == "10.0.0.5"
    settings.TRUSTED_CLIENT_IP_HEADER = "X-Forwarded-For"
    # The address the proxy appended last; what the client wrote before it is ignored.
    assert client_ip(request) == "203.0.113.9"


@pytest.fixture
def staff_without_mfa(db):
    return UserFactory(email="new.staff@test.example", is_staff=True, is_superuser=True)


def test_staff_without_mfa_are_sent_to_set_it_up_before_admin(staff_without_mfa, organization):
    client = signed_in(staff_without_mfa)
    for path in (reverse("admin:index"), reverse("admin:accounts_organization_changelist")):
        response = client.get(path)
        assert response.status_code == 302 and response.url == reverse("mfa_index")
    page = client.get(reverse("mfa_index"), follow=True)
    assert page.status_code == 200
    assert "Staff accounts must use two-factor authentication" in page.content.decode()
    # Nothing staff post in admin is carried out until then.
    response = client.post(
        reverse("admin:accounts_organization_change", args=[organization.pk]),
        {"name": "Renamed by a password alone", "account_id": organization.account_id},
    )
    assert response.status_code == 302 and response.url == reverse("mfa_index")
    organization.refresh_from_db()
    assert organization.name == "Acme Test Co"
    assert not AuditEvent.objects.filter(action__startswith="admin.").exists()


def test_staff_with_mfa_reach_admin_after_their_code(staff_without_mfa):
    secret = generate_totp_secret()
    TOTP.activate(staff_without_mfa, secret)
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": staff_without_mfa.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    assert client.get(reverse("admin:index")).status_code == 302  # the password is not enough
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
