"""Pages cache what they count (core.org_cache) until the organization changes."""

import pickle

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from accounts.services import invitation_create, membership_change_role
from core import org_cache
from core.models import AuditEvent
from subscriptions.models import Product
from subscriptions.services import (
    license_assign,
    line_set_calling_mode,
    number_block,
    number_set_inbound_recording,
    number_unblock,
    organization_set_outbound_recording,
    subscription_cancel,
    subscription_change_plan,
    subscription_keep,
)
from support.services import (
    case_approve_cancellation,
    case_close,
    case_request_cancellation,
    case_staff_reply,
)
from tests.conftest import membership_of
from tests.factories import CaseFactory, PhoneNumberFactory, ProductFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def _counted(queries) -> list[str]:
    """The queries that counted rows of the organization (not the cache's own)."""
    return [q["sql"] for q in queries if "COUNT(" in q["sql"] and "_cache" not in q["sql"]]


def test_home_caches_its_counts_until_a_change_commits(
    client_for,
    organization,
    owner,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    PhoneNumberFactory(subscription__organization=organization)
    client = client_for(owner)
    holdings = dict((label, n) for label, n, _ in client.get("/").context["holdings"])
    assert holdings["Business numbers"] == 1
    with django_assert_max_num_queries(30, forget_cached=False) as again:
        response = client.get("/")
    assert not _counted(again.captured_queries)
    assert response.context["member_count"] == 1
    assert response.context["pending_invitations"] == 0
    # The service says the organization changed; the new version counts once it commits.
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            organization=organization, invited_by=owner, email="new@example.com", role="member"
        )
    assert client.get(reverse("home")).context["pending_invitations"] == 1


def test_a_member_and_an_admin_have_counts_of_their_own(client_for, organization, owner, member):
    PhoneNumberFactory(subscription__organization=organization, subscription__assigned_to=owner)
    as_owner = client_for(owner).get("/").context
    as_member = client_for(member).get("/").context
    holdings = {label: n for label, n, _ in as_owner["holdings"]}
    assert holdings["Business numbers"] == 1
    assert {label: n for label, n, _ in as_member["holdings"]}["Business numbers"] == 0
    assert as_member["pending_invitations"] is None  # a Super Admin's figure only
    # Cached apart: the member's view did not replace the owner's.
    assert {label: n for label, n, _ in client_for(owner).get("/").context["holdings"]} == (
        holdings
    )


def test_a_catalog_change_makes_every_organization_count_again(
    organization, other_organization, django_capture_on_commit_callbacks
):
    for each in (organization, other_organization):
        assert org_cache.cached(each.pk, "test", lambda: 1) == 1
    with django_capture_on_commit_callbacks(execute=True):
        org_cache.catalog_changed()
        # At once, for the change's own transaction (products are saved in it)...
        assert org_cache.cached(organization.pk, "test", lambda: 2) == 2
    # ...and again once it commits: what was read meanwhile does not stand.
    for each in (organization, other_organization):
        assert org_cache.cached(each.pk, "test", lambda: 3) == 3


def test_another_organizations_change_leaves_the_cached_counts(
    organization, other_organization, django_capture_on_commit_callbacks
):
    assert org_cache.cached(organization.pk, "test", lambda: {"n": 1}) == {"n": 1}
    with django_capture_on_commit_callbacks(execute=True):
        org_cache.organization_changed(other_organization)
    assert org_cache.cached(organization.pk, "test", lambda: {"n": 2}) == {"n": 1}


def test_counts_cached_while_a_change_commits_do_not_stand_after_it(
    organization, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        org_cache.organization_changed(organization)
        # A page counting now sees the state before the commit, and caches that.
        assert org_cache.cached(organization.pk, "test", lambda: {"n": 1}) == {"n": 1}
    assert org_cache.cached(organization.pk, "test", lambda: {"n": 2}) == {"n": 2}


def test_a_rolled_back_change_leaves_the_cached_counts(organization):
    from django.db import transaction

    assert org_cache.cached(organization.pk, "test", lambda: 1) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        org_cache.organization_changed(organization)
        raise RuntimeError
    assert org_cache.cached(organization.pk, "test", lambda: 2) == 1


def test_a_version_the_cache_lost_never_matches_counts_cached_before(organization):
    assert org_cache.cached(organization.pk, "test", lambda: {"n": 1}) == {"n": 1}
    caches[org_cache.ALIAS].delete(f"cache-version:{organization.pk}")  # evicted
    assert org_cache.cached(organization.pk, "test", lambda: {"n": 2}) == {"n": 2}


def test_cached_values_are_plain_data(client_for, organization, owner, member):
    """What a deploy may read from an older release: numbers, text, lists and dicts of
    them, never a model instance (whose class may have changed)."""
    PhoneNumberFactory(subscription__organization=organization)
    for user in (owner, member):
        client = client_for(user)
        for page in ("home", "numbers", "licenses", "support", "trunks"):
            assert client.get(reverse(page)).status_code == 200
    cache = caches[org_cache.ALIAS]
    names = ["decision-context"] + [
        f"{page}:{viewpoint}"
        for page in ("home", "numbers", "licenses", "support")
        for viewpoint in ("super_admin", f"member-{member.pk}")
    ]
    found = {name: cache.get(f"org:{organization.pk}:{name}") for name in names}
    assert None not in found.values(), found

    def plain(value) -> bool:
        if isinstance(value, dict):
            return all(plain(k) and plain(v) for k, v in value.items())
        if isinstance(value, list | tuple):
            return all(plain(item) for item in value)
        return value is None or isinstance(value, str | int | float | bool)

    for name, value in found.items():
        assert plain(value), (name, value)
        assert b"django.db" not in pickle.dumps(value)


def _product(kind, **trait):
    # One product for every row: the rows are added as a bulk load would, product and all.
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
def test_list_pages_cache_their_totals_until_the_organization_changes(
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
    add(organization)  # without a service: a bulk load, say
    with django_assert_max_num_queries(40, forget_cached=False) as cached:
        assert total(client.get(reverse(name)).context) == 1
    assert not [
        q for q in cached.captured_queries if "COUNT(" in q["sql"] and f'FROM "{table}"' in q["sql"]
    ]
    # Rows change through services, which say the organization changed: once the change
    # commits, the next view counts again.
    with django_capture_on_commit_callbacks(execute=True):
        org_cache.organization_changed(organization)
    assert total(client.get(reverse(name)).context) == 2


def test_a_member_and_an_admin_cache_list_totals_of_their_own(
    client_for, organization, owner, member
):
    CaseFactory(organization=organization, opened_by=owner)
    CaseFactory(organization=organization, opened_by=member)

    def total(user):
        return client_for(user).get(reverse("support")).context["counts"]["total"]

    # Each viewpoint cached apart, whichever counts first: a Member sees their own cases.
    assert total(member) == 1
    assert total(owner) == 2
    assert total(member) == 1


# --- every kind of change leaves nothing false behind --------------------------------------


def _shown(client) -> dict:
    """Every cached figure as the pages show it (and, as Super Admins are named, the
    cached decision context)."""
    home = client.get(reverse("home")).context
    numbers = client.get(reverse("numbers")).context
    licenses = client.get(reverse("licenses")).context
    support = client.get(reverse("support")).context
    return {
        "holdings": home["holdings"],
        "contact_center_seats": home["contact_center_seats"],
        "members": home["member_count"],
        "invitations": home["pending_invitations"],
        "cases": (home["open_case_count"], home["pending_case_count"], support["counts"]),
        "numbers": (numbers["page"].paginator.count, numbers["form"].fields["country"].choices),
        "licenses": (licenses["page"].paginator.count, licenses["free_licenses"]),
        "super_admins": licenses["super_admin_names"],
    }


@pytest.fixture
def held(organization, owner, member):
    """A bit of everything the cached figures count, and what the changes below act on."""
    line = PhoneNumberFactory(
        subscription__organization=organization,
        subscription__product=ProductFactory(line=True),
        subscription__assigned_to=member,
        country="GB",
    ).subscription
    number = PhoneNumberFactory(
        subscription__organization=organization,
        subscription__product=ProductFactory(cancel_channel=Product.CancelChannel.TERM_END),
    ).subscription
    smaller = ProductFactory(name="Insights 1", call_insights=True, tier=1)
    insights = ProductFactory(name="Insights 2", call_insights=True, tier=2)
    insights.changeable_to.add(smaller)
    return {
        "line": line,
        "number": number,
        "license": SubscriptionFactory(
            organization=organization, product=ProductFactory(user_license=True)
        ),
        "trunk": SubscriptionFactory(
            organization=organization, product=ProductFactory(sip_trunk=True)
        ),
        "insights": SubscriptionFactory(organization=organization, product=insights),
        "smaller": smaller,
        "case": CaseFactory(organization=organization, opened_by=member),
    }


def _nothing(h, o, u):
    return None


def _cancel(h, o, u, **more):
    subscription_cancel(subscription=h["number"], membership=membership_of(u["owner"], o), **more)


def _block(h, o, u):
    h["blocked"] = number_block(
        subscription=h["line"], membership=membership_of(u["member"], o), e164="+15555550123"
    )


def _request_license_cancellation(h, o, u):
    h["request"], _ = case_request_cancellation(
        membership=membership_of(u["owner"], o),
        subscription=h["license"],
        full_name="Olive Owner",
        company="Acme Test Co",
        contact="owner@test.example",
    )


# (what the change is, what comes before it (before the pages cache their figures), the
# change, whether cached figures stand after it: True where it touches nothing they count)
CHANGES = [
    (
        "inbound recording",
        _nothing,
        lambda h, o, u: number_set_inbound_recording(
            subscription=h["number"], membership=membership_of(u["owner"], o), on=True
        ),
        True,
    ),
    (
        "calling mode",
        _nothing,
        lambda h, o, u: line_set_calling_mode(
            subscription=h["line"], membership=membership_of(u["member"], o), mode="voice"
        ),
        True,
    ),
    ("a number blocked", _nothing, _block, True),
    (
        "a number unblocked",
        _block,
        lambda h, o, u: number_unblock(
            subscription=h["line"],
            membership=membership_of(u["member"], o),
            blocked_id=h["blocked"].pk,
        ),
        True,
    ),
    (
        "outbound recording",
        _nothing,
        lambda h, o, u: organization_set_outbound_recording(
            organization=o, membership=membership_of(u["owner"], o), on=True
        ),
        True,
    ),
    ("cancelled at the term end", _nothing, _cancel, True),
    (
        "cancelled at the term end, with a reason",
        _nothing,
        lambda h, o, u: _cancel(h, o, u, reason="too_expensive", reason_detail="Budget"),
        True,
    ),
    (
        "kept after all",
        _cancel,
        lambda h, o, u: subscription_keep(
            subscription=h["number"], membership=membership_of(u["owner"], o)
        ),
        True,
    ),
    (
        "a smaller plan from the term end",
        _nothing,
        lambda h, o, u: subscription_change_plan(
            subscription=h["insights"],
            membership=membership_of(u["owner"], o),
            product=h["smaller"],
        ),
        True,
    ),
    (
        "a case closed",
        _nothing,
        lambda h, o, u: case_close(case=h["case"], membership=membership_of(u["member"], o)),
        False,
    ),
    ("a cancellation request opened", _nothing, _request_license_cancellation, False),
    (
        "a cancellation request approved",
        _request_license_cancellation,
        lambda h, o, u: case_approve_cancellation(case=h["request"], staff=u["staff"]),
        False,
    ),
    (
        "a SIP trunk deleted",
        _nothing,
        lambda h, o, u: subscription_cancel(
            subscription=h["trunk"], membership=membership_of(u["owner"], o)
        ),
        False,
    ),
    (
        "a member made an Admin",
        _nothing,
        lambda h, o, u: membership_change_role(
            membership=membership_of(u["member"], o), role="admin", actor=u["owner"]
        ),
        False,
    ),
    (
        "a staff reply",
        _nothing,
        lambda h, o, u: case_staff_reply(case=h["case"], staff=u["staff"], body="On it."),
        False,
    ),
    (
        "a license assigned",
        _nothing,
        lambda h, o, u: license_assign(
            subscription=h["license"],
            membership=membership_of(u["owner"], o),
            assignee=membership_of(u["member"], o),
        ),
        False,
    ),
]


@pytest.fixture
def viewed_before_and_after(
    held, organization, owner, member, staff, django_capture_on_commit_callbacks
):
    """`viewed(before, change)`: make what comes `before`, have the owner (an
    organization-wide viewpoint) and the member (a Member's own) each view the pages on a
    client of their own, then make the `change`; each step committed. It returns the
    signed-in clients, by user."""
    people = {"owner": owner, "member": member, "staff": staff}

    def viewed(before, change):
        with django_capture_on_commit_callbacks(execute=True):
            before(held, organization, people)
        viewers = {}
        for user in (owner, member):
            viewers[user] = Client()
            viewers[user].force_login(user)
            _shown(viewers[user])
        events = AuditEvent.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            change(held, organization, people)
        assert AuditEvent.objects.count() > events  # a change was made, and audited
        return viewers

    return viewed


@pytest.mark.parametrize(
    ("name", "before", "change", "figures_stand"), CHANGES, ids=[c[0] for c in CHANGES]
)
def test_cached_figures_stay_true_after_every_kind_of_change(
    name, before, change, figures_stand, viewed_before_and_after, django_assert_max_num_queries
):
    viewers = viewed_before_and_after(before, change)
    cached = {}
    for user, client in viewers.items():
        with django_assert_max_num_queries(200, forget_cached=False) as viewed:
            cached[user] = _shown(client)
        # A switch or a renewal changes nothing counted: nothing is counted again.
        assert (not _counted(viewed.captured_queries)) is figures_stand
    org_cache.forget_all()  # what the pages show when they count everything afresh
    assert cached == {user: _shown(client) for user, client in viewers.items()}
