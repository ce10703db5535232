"""Personas shared by every test: owner, admin, member of one organization, an outsider, staff."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import Role
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests hash hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    # Rate-limit counters live in the cache; each test starts with none.
    cache.clear()


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Acme Test Co")


@pytest.fixture
def owner(organization):
    return MembershipFactory(
        organization=organization,
        role=Role.SUPER_ADMIN,
        user__email="owner@test.example",
        user__full_name="Olive Owner",
    ).user


@pytest.fixture
def admin_user(organization, owner):
    return MembershipFactory(
        organization=organization,
        role=Role.ADMIN,
        user__email="admin@test.example",
        user__full_name="Adam Admin",
    ).user


@pytest.fixture
def member(organization, owner):
    return MembershipFactory(
        organization=organization,
        role=Role.MEMBER,
        user__email="member@test.example",
        user__full_name="Mia Member",
    ).user


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Elsewhere Inc")


@pytest.fixture
def outsider(other_organization):
    return MembershipFactory(
        organization=other_organization,
        role=Role.SUPER_ADMIN,
        user__email="outsider@else.example",
        user__full_name="Otto Outsider",
    ).user


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@test.example", is_staff=True, is_superuser=True)


def membership_of(user, organization):
    return user.memberships.get(organization=organization)


def reauthenticate(client, password: str = PASSWORD, *, url: str = ""):
    """Confirm the password through allauth, as a member does before a sensitive action.

    `url` is where allauth sent the member (it carries the suspended request to resume).
    """
    response = client.post(url or reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, "reauthentication failed"
    return response


@pytest.fixture
def client_for(client):
    """client_for(user) signs `user` in on the test client, recently reauthenticated."""

    def sign_in(user, *, recently_authenticated: bool = True):
        client.force_login(user)
        if recently_authenticated:
            reauthenticate(client)
        return client

    return sign_in
