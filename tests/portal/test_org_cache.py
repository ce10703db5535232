"""Home keeps its counts (portal.org_cache) until anything of the organization changes."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.services import invitation_create
from portal import org_cache
from portal.audit import audit_record
from tests.factories import PhoneNumberFactory

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
