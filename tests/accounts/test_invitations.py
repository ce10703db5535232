"""Joining an organization by invitation: new accounts, existing accounts, expired links."""

from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, User
from core.models import AuditEvent
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "a-long-enough-passphrase-42"


def accept_url(invitation: Invitation) -> str:
    return reverse("invitation_accept", args=[invitation.token])


def test_it_creates_the_account_and_the_membership(client, organization, owner):
    invitation = InvitationFactory(organization=organization, role=Role.ADMIN, invited_by=owner)
    response = client.post(
        accept_url(invitation),
        {"full_name": "Nina New", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email=invitation.email)
    assert user.full_name == "Nina New"
    assert Membership.objects.get(user=user, organization=organization).role == Role.ADMIN
    assert EmailAddress.objects.get(user=user).verified
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert AuditEvent.objects.filter(action="team.joined", actor=user).exists()
    # Signed in straight away.
    assert client.get(reverse("home")).status_code == 200


def test_a_weak_password_is_refused_and_nothing_is_created(client, organization):
    invitation = InvitationFactory(organization=organization)
    response = client.post(
        accept_url(invitation), {"full_name": "Nina", "password1": "short", "password2": "short"}
    )
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    assert not User.objects.filter(email=invitation.email).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_mismatched_passwords_are_refused(client, organization):
    invitation = InvitationFactory(organization=organization)
    response = client.post(
        accept_url(invitation),
        {"full_name": "Nina", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD + "x"},
    )
    assert response.status_code == 400
    assert "The two passwords differ" in response.content.decode()
    assert not User.objects.filter(email=invitation.email).exists()


def test_an_expired_invitation_cannot_be_used(client, organization):
    invitation = InvitationFactory(organization=organization)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.post(
            accept_url(invitation),
            {"full_name": "Late", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
        )
    assert response.status_code == 410
    assert not User.objects.filter(email=invitation.email).exists()


def test_a_used_invitation_cannot_be_used_twice(client, organization):
    invitation = InvitationFactory(organization=organization)
    data = {"full_name": "Nina", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    client.post(accept_url(invitation), data)
    client.logout()
    response = client.post(accept_url(invitation), data)
    assert response.status_code == 410
    assert User.objects.filter(email=invitation.email).count() == 1


def test_an_existing_account_accepts_while_signed_in(client, organization, other_organization):
    existing = MembershipFactory(organization=other_organization).user
    invitation = InvitationFactory(organization=organization, email=existing.email)
    # Not signed in: asked to sign in, no account form.
    page = client.get(accept_url(invitation)).content.decode()
    assert "Sign in" in page and "password1" not in page
    client.force_login(existing)
    response = client.post(accept_url(invitation))
    assert response.status_code == 302
    assert Membership.objects.filter(user=existing, organization=organization).exists()
    # The newly joined organization becomes the active one.
    assert client.get(reverse("home")).context["organization"] == organization


def test_someone_else_cannot_accept_an_invitation_for_another_address(client, organization):
    invitation = InvitationFactory(organization=organization)
    stranger = UserFactory()
    client.force_login(stranger)
    client.post(accept_url(invitation))
    assert not Membership.objects.filter(user=stranger, organization=organization).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_unknown_token_answers_404(client):
    assert client.get(reverse("invitation_accept", args=["nope"])).status_code == 404


def test_inviting_again_replaces_the_earlier_invitation(client_for, owner, organization):
    client = client_for(owner)
    client.post(reverse("team_invite"), {"email": "twice@test.example", "role": "member"})
    client.post(reverse("team_invite"), {"email": "twice@test.example", "role": "admin"})
    usable = Invitation.objects.usable().filter(email="twice@test.example")
    assert usable.count() == 1
    assert usable.get().role == Role.ADMIN


def test_a_withdrawn_invitation_cannot_be_used(client, client_for, owner, organization):
    invitation = InvitationFactory(organization=organization)
    client_for(owner).post(reverse("invitation_revoke", args=[invitation.pk]))
    client.logout()
    response = client.get(accept_url(invitation))
    assert response.status_code == 410


def test_there_is_no_open_sign_up(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "walk-in@test.example", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert not User.objects.filter(email="walk-in@test.example").exists()
    assert response.status_code in (200, 302, 403)
