"""Personas shared by every test: owner, admin, member of one organization, an outsider, staff."""

from contextlib import contextmanager

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.cache import caches
from django.db.models import FETCH_RAISE, query
from django.test import override_settings
from django.urls import reverse

from accounts.models import Role
from core import org_cache
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, UserFactory
from tests.worker_cache import worker_prefix


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests hash hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextmanager
def lazy_fetches_raise():
    """Inside, every queryset defaults to Django 6.1's FETCH_RAISE fetch mode: reading a
    related object or a deferred field that the query did not load raises
    FieldFetchBlocked instead of quietly running one more query (per row, on a list)."""
    previous = query.DEFAULT_FETCH_MODE
    query.DEFAULT_FETCH_MODE = FETCH_RAISE
    try:
        yield
    finally:
        query.DEFAULT_FETCH_MODE = previous


def _lazy_fetches_failing(assert_queries):
    @contextmanager
    def wrapped(*args, forget_cached: bool = True, **kwargs):
        # What is measured is what a page computes: a value cached by an earlier view
        # (even one made before rows were added without a service) would hide its reads.
        if forget_cached:
            org_cache.forget_all()
        with assert_queries(*args, **kwargs) as captured, lazy_fetches_raise():
            yield captured

    return wrapped


# pytest-django's query-counting fixtures, where a lazy fetch also fails the test, and
# what pages cache (core.org_cache) is computed afresh unless `forget_cached=False`.
@pytest.fixture
def django_assert_num_queries(django_assert_num_queries):
    return _lazy_fetches_failing(django_assert_num_queries)


@pytest.fixture
def django_assert_max_num_queries(django_assert_max_num_queries):
    return _lazy_fetches_failing(django_assert_max_num_queries)


@pytest.fixture(scope="session", autouse=True)
def _caches_per_worker():
    """Under pytest-xdist (`make test`), every worker keeps its Redis keys apart.

    The workers share REDIS_URL's database: each worker's keys carry its name in the
    prefix, and clearing a cache deletes only that worker's keys (tests/worker_cache.py).
    The database cache needs nothing: each worker has a test database of its own.
    """
    if not (settings.REDIS_URL and worker_prefix()):
        yield
        return
    per_worker = {
        alias: {
            **config,
            "BACKEND": "tests.worker_cache.WorkerRedisCache",
            "KEY_PREFIX": worker_prefix() + config.get("KEY_PREFIX", ""),
        }
        for alias, config in settings.CACHES.items()
    }
    with override_settings(CACHES=per_worker):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    # Rate-limit counters and cached counts live in the caches; each test starts with none.
    for cache in caches.all():
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
    """A staff user with TOTP set up, as staff must have before admin lets them in."""
    user = UserFactory(email="staff@test.example", is_staff=True, is_superuser=True)
    TOTP.activate(user, generate_totp_secret())
    return user


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
