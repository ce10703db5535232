"""Home keeps its counts (portal.org_cache) until anything of the organization changes."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.services import invitation_create
from portal import org_cache
from portal.audit import audit_record
from subscriptions.models import Product
from tests.factories import CaseFactory, PhoneNumberFactory, ProductFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def test_home_keeps_its_counts_until_an_audited_change(
    client_for,
    organization,
    owner,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    PhoneNumberFactory(subscription__organization=organization)
    client = client_for(owner)
    assert (
        dict((label, n) for label, n, _ in client.get("/").context["holdings"])["Business numbers"]
        == 1
    )
    with django_assert_max_num_queries(30) as kept:
        response = client.get("/")
    assert not [q for q in kept.captured_queries if "COUNT(" in q["sql"]]
    assert response.context["member_count"] == 1
    assert response.context["pending_invitations"] == 0
    # Every change is audited, and the audit marks the organization changed on commit.
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            organization=organization, invited_by=owner, email="new@example.com", role="member"
        )
    assert client.get(reverse("home")).context["pending_invitations"] == 1


def test_a_member_and_an_admin_keep_counts_of_their_own(client_for, organization, owner, member):
    PhoneNumberFactory(subscription__organization=organization, subscription__assigned_to=owner)
    as_owner = client_for(owner).get("/").context
    as_member = client_for(member).get("/").context
    holdings = {label: n for label, n, _ in as_owner["holdings"]}
    assert holdings["Business numbers"] == 1
    assert {label: n for label, n, _ in as_member["holdings"]}["Business numbers"] == 0
    assert as_member["pending_invitations"] is None  # a Super Admin's figure only
    # Kept apart: the member's view did not replace the owner's.
    assert {label: n for label, n, _ in client_for(owner).get("/").context["holdings"]} == (
        holdings
    )


def test_a_change_to_no_organization_marks_every_organization_changed(
    organization, other_organization, django_capture_on_commit_callbacks
):
    for each in (organization, other_organization):
        assert org_cache.kept(each.pk, "test", lambda: {"n": 1}) == {"n": 1}
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="admin.product_changed", organization=None)  # the catalog
    for each in (organization, other_organization):
        assert org_cache.kept(each.pk, "test", lambda: {"n": 2}) == {"n": 2}


def test_another_organizations_change_leaves_the_kept_counts(
    organization, other_organization, django_capture_on_commit_callbacks
):
    assert org_cache.kept(organization.pk, "test", lambda: {"n": 1}) == {"n": 1}
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="team.role_changed", organization=other_organization)
    assert org_cache.kept(organization.pk, "test", lambda: {"n": 2}) == {"n": 1}


def test_counts_kept_while_a_change_commits_do_not_stand_after_it(
    organization, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="team.role_changed", organization=organization)
        # A page counting now sees the state before the commit, and keeps that.
        assert org_cache.kept(organization.pk, "test", lambda: {"n": 1}) == {"n": 1}
    assert org_cache.kept(organization.pk, "test", lambda: {"n": 2}) == {"n": 2}


def test_a_token_the_cache_lost_never_matches_counts_kept_before(organization):
    assert org_cache.kept(organization.pk, "test", lambda: {"n": 1}) == {"n": 1}
    cache.delete(org_cache._token_key(organization.pk))  # evicted
    assert org_cache.kept(organization.pk, "test", lambda: {"n": 2}) == {"n": 2}


def _product(kind, **trait):
    # One product for every row: saving a new one would drop what is kept by itself
    # (the catalog's signal), and this test is about the audit.
    return Product.objects.filter(kind=kind).first() or ProductFactory(kind=kind, **trait)


def _add_number(organization):
    product = _product(Product.Kind.BUSINESS_NUMBER)
    PhoneNumberFactory(subscription__organization=organization, subscription__product=product)


def _add_license(organization):
    SubscriptionFactory(
        organization=organization, product=_product(Product.Kind.USER_LICENSE, user_license=True)
    )


def _add_case(organization):
    CaseFactory(organization=organization)


def _listed(context):
    return context["page"].paginator.count


@pytest.mark.parametrize(
    ("name", "table", "add", "total"),
    [
        ("numbers", "subscriptions_phonenumber", _add_number, _listed),
        ("licenses", "subscriptions_subscription", _add_license, _listed),
        ("support", "support_case", _add_case, lambda context: context["counts"]["total"]),
    ],
)
def test_list_pages_keep_their_totals_until_an_audited_change(
    client_for,
    organization,
    owner,
    name,
    table,
    add,
    total,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    add(organization)
    client = client_for(owner)
    assert total(client.get(reverse(name)).context) == 1
    add(organization)  # without an audit: a bulk load, say
    with django_assert_max_num_queries(40) as kept:
        assert total(client.get(reverse(name)).context) == 1
    assert not [
        q for q in kept.captured_queries if "COUNT(" in q["sql"] and f'FROM "{table}"' in q["sql"]
    ]
    # Rows change through services, which audit them: the audit marks the organization
    # changed when the change commits, and the next view counts again.
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="test.added", organization=organization)
    assert total(client.get(reverse(name)).context) == 2


def test_a_member_and_an_admin_keep_list_totals_of_their_own(
    client_for, organization, owner, member
):
    CaseFactory(organization=organization, opened_by=owner)
    CaseFactory(organization=organization, opened_by=member)

    def total(user):
        return client_for(user).get(reverse("support")).context["counts"]["total"]

    # Each viewpoint kept apart, whichever counts first: a Member sees their own cases.
    assert total(member) == 1
    assert total(owner) == 2
    assert total(member) == 1
