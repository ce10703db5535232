"""Pages keep their counts (portal.org_cache) until what they count changes."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.services import invitation_create, membership_change_role
from portal import org_cache
from portal.audit import audit_record
from portal.models import AuditEvent
from portal.org_cache import Topic
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


@pytest.mark.usefixtures("parts_drawn_afresh")  # reads the figures from each view
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
    def figures(organization_id: int, n: int) -> tuple:
        return (
            org_cache.kept(organization_id, "all", lambda: n),
            # Only the people: as the decision context, which holds the catalog too.
            org_cache.kept(organization_id, "people", lambda: n, depends_on=[Topic.PEOPLE]),
        )

    for each in (organization, other_organization):
        assert figures(each.pk, 1) == (1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="admin.product_changed", organization=None)  # the catalog
    for each in (organization, other_organization):
        assert figures(each.pk, 2) == (2, 2)


def test_another_organizations_change_leaves_the_kept_counts(
    organization, other_organization, django_capture_on_commit_callbacks
):
    assert org_cache.kept(organization.pk, "test", lambda: {"n": 1}) == {"n": 1}
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="team.role_changed", organization=other_organization)
    assert org_cache.kept(organization.pk, "test", lambda: {"n": 2}) == {"n": 1}


def test_a_change_drops_only_the_figures_that_depend_on_what_it_touched(
    organization, django_capture_on_commit_callbacks
):
    def figures(n: int) -> tuple:
        return (
            org_cache.kept(organization.pk, "people", lambda: n, depends_on=[Topic.PEOPLE]),
            org_cache.kept(organization.pk, "holdings", lambda: n, depends_on=[Topic.HOLDINGS]),
            org_cache.kept(organization.pk, "all", lambda: n),  # on every topic, by default
        )

    assert figures(1) == (1, 1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="test.switched", organization=organization, changed=[Topic.SETTINGS])
    assert figures(2) == (1, 1, 2)
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="test.added", organization=organization, changed=[Topic.HOLDINGS])
    assert figures(3) == (1, 3, 3)
    # A caller that does not say what it touched touched everything.
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(action="test.changed", organization=organization)
    assert figures(4) == (4, 4, 4)


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
    cache.delete(org_cache._token_key(organization.pk, Topic.CASES))  # evicted
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


# --- a change that names its topics leaves nothing false behind ----------------------------


def _shown(client) -> dict:
    """Every kept figure as the pages show it (and, as Super Admins are named, the kept
    decision context)."""
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
    """A bit of everything the kept figures count, and what the changes below act on."""
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


# (what the change is, what comes before it (before the pages keep their figures), the
# change, whether kept figures stand after it: True where it touches nothing they count)
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
    """`viewed(before, change, view=...)`: make what comes `before`, have the owner (an
    organization-wide viewpoint) and the member (a Member's own) each `view` the pages on
    a client of their own, then make the `change`, audited; each step committed. It
    returns the signed-in clients, by user."""
    people = {"owner": owner, "member": member, "staff": staff}

    def viewed(before, change, *, view):
        with django_capture_on_commit_callbacks(execute=True):
            before(held, organization, people)
        viewers = {}
        for user in (owner, member):
            viewers[user] = Client()
            viewers[user].force_login(user)
            view(user, viewers[user])
        events = AuditEvent.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            change(held, organization, people)
        assert AuditEvent.objects.count() > events  # a change was made, and audited
        return viewers

    return viewed


@pytest.mark.parametrize(
    ("name", "before", "change", "figures_stand"), CHANGES, ids=[c[0] for c in CHANGES]
)
def test_kept_figures_stay_true_after_every_kind_of_change(
    name, before, change, figures_stand, viewed_before_and_after, django_assert_max_num_queries
):
    # Viewing keeps every figure.
    viewers = viewed_before_and_after(before, change, view=lambda user, client: _shown(client))
    kept = {}
    for user, client in viewers.items():
        with django_assert_max_num_queries(200) as viewed:
            kept[user] = _shown(client)
        counted = [
            q["sql"]
            for q in viewed.captured_queries
            if "COUNT(" in q["sql"] and "portal_cache" not in q["sql"]  # the cache's own
        ]
        # A switch or a renewal is marked as touching nothing counted: nothing is recounted.
        assert (not counted) is figures_stand, counted
    cache.clear()  # what the pages show when they count everything afresh
    assert kept == {user: _shown(client) for user, client in viewers.items()}


# --- pages keep their drawn rows (kept parts) until the organization changes ------------

CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
# What each request draws anew: its CSP nonce, a form's key against double submission.
PER_REQUEST = re.compile(r'(nonce|name="submission_key" value)="[^"]*"')


def _pages(held, organization, user, owner, member) -> list[str]:
    """The URLs of every page with a kept part that `user` may open."""
    urls = [
        reverse("home"),
        reverse("numbers"),
        reverse("numbers") + "?country=GB",
        reverse("licenses"),
        reverse("team"),
        reverse("member_plans", args=[membership_of(member, organization).pk]),
        reverse("support"),
        reverse("case_detail", args=[held["case"].pk]),
    ]
    if user == owner:
        urls.append(reverse("activity"))  # Super Admins only
    return urls


def _drawn(client, urls) -> dict:
    """Each page's HTML, without what each request draws anew (its CSRF token, masked
    afresh, and the like)."""
    drawn = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        drawn[url] = _same(response.text)
    return drawn


def _same(html: str) -> str:
    return PER_REQUEST.sub(r'\1=""', CSRF_VALUE.sub("", html))


@pytest.mark.parametrize(("name", "before", "change", "_"), CHANGES, ids=[c[0] for c in CHANGES])
def test_kept_pages_show_every_kind_of_change_at_once(
    settings, organization, owner, member, held, name, before, change, _, viewed_before_and_after
):
    # Viewing keeps every page's part.
    viewers = viewed_before_and_after(
        before,
        change,
        view=lambda user, client: _drawn(client, _pages(held, organization, user, owner, member)),
    )
    for user, client in viewers.items():
        urls = _pages(held, organization, user, owner, member)
        kept = _drawn(client, urls)
        settings.KEEP_PAGE_PARTS = False
        assert kept == _drawn(client, urls)  # as drawn afresh
        settings.KEEP_PAGE_PARTS = True


def test_a_second_view_reads_no_rows(client_for, organization, owner):
    for _ in range(3):
        PhoneNumberFactory(subscription__organization=organization)
    client = client_for(owner)
    first = client.get(reverse("numbers"))
    with CaptureQueriesContext(connection) as second:  # the view as it is, part kept
        again = client.get(reverse("numbers"))
    assert len(second) < 40
    assert not [q for q in second.captured_queries if "subscriptions_subscription" in q["sql"]]
    assert _same(again.text) == _same(first.text)


def test_a_kept_part_carries_the_token_of_whoever_views_it(organization, owner):
    license = SubscriptionFactory(
        organization=organization, product=ProductFactory(user_license=True)
    )
    sessions = []
    for _ in range(2):  # two browsers of one Super Admin: one session and token each
        client = Client(enforce_csrf_checks=True)
        client.force_login(owner)
        sessions.append(client)
    _first, second = (client.get(reverse("licenses")).text for client in sessions)
    assert "kept-part-csrf-hole" not in second
    # The second view came from the part the first one kept, yet its forms post.
    action = reverse("assign_license", args=[license.pk])
    token = re.search(
        rf'action="{action}">\s*<input type="hidden" name="csrfmiddlewaretoken" '
        r'value="([^"]+)"',
        second,
    )[1]
    assert sessions[1].post(action, {"csrfmiddlewaretoken": token, "email": ""}).status_code == 302
    assert sessions[0].post(action, {"csrfmiddlewaretoken": "x" * 64, "email": ""}).status_code == (
        403
    )


def test_data_cannot_spell_the_token_hole(client_for, organization, owner):
    hole = '<input type="hidden" name="csrfmiddlewaretoken" value="kept-part-csrf-hole">'
    SubscriptionFactory(
        organization=organization, product=ProductFactory(user_license=True), label=hole
    )
    client = client_for(owner)
    client.get(reverse("licenses"))
    kept = client.get(reverse("licenses")).text
    assert "&lt;input type=&quot;hidden&quot;" in kept  # the label, escaped
    assert hole not in kept and "kept-part-csrf-hole</" not in kept


def test_a_member_never_sees_a_part_kept_for_someone_else(client_for, organization, owner, member):
    theirs = PhoneNumberFactory(
        subscription__organization=organization, subscription__assigned_to=member
    )
    others = PhoneNumberFactory(subscription__organization=organization)
    as_owner = client_for(owner).get(reverse("numbers")).text
    assert theirs.e164 in as_owner and others.e164 in as_owner
    as_member = Client()
    as_member.force_login(member)
    shown = as_member.get(reverse("numbers")).text
    assert theirs.e164 in shown and others.e164 not in shown


def test_a_part_kept_yesterday_is_drawn_again_today(client_for, organization, owner):
    late = timezone.now().replace(hour=23, minute=59)
    with time_machine.travel(late, tick=False):
        product = PhoneNumberFactory(subscription__organization=organization).subscription.product
        client = client_for(owner)
        # Filtered, so counted afresh: the total Numbers keeps (for a minute, in real time
        # with Redis) is not what this test is about.
        numbers = reverse("numbers") + "?assignment=unassigned"
        client.get(numbers)
        added = PhoneNumberFactory(  # without an audit (and with no new product, which would)
            subscription__organization=organization, subscription__product=product
        )
        assert added.e164 not in client.get(numbers).text  # kept (up to a minute)
    with time_machine.travel(late + timedelta(minutes=2), tick=False):  # the next day
        assert added.e164 in client.get(numbers).text


def test_a_member_keeps_a_bounded_number_of_parts_a_minute(client_for, organization, owner):
    _add_number(organization)
    client = client_for(owner)
    with time_machine.travel(timezone.now().replace(second=0), tick=False):
        for n in range(org_cache.PARTS_KEPT_PER_MINUTE + 1):  # made-up URLs, one part each
            client.get(reverse("numbers") + f"?n={n}")
        late = reverse("numbers") + "?assignment=unassigned"  # filtered: counts afresh
        client.get(late)
        # Past the bound, a view is drawn (and answered) but not kept: the cache holds no
        # part for it, so nothing of it stands.
        added = PhoneNumberFactory(  # without an audit, so a kept part would stand
            subscription__organization=organization,
            subscription__product=_product(Product.Kind.BUSINESS_NUMBER),
        )
        assert added.e164 in client.get(late).text
        assert added.e164 not in client.get(reverse("numbers") + "?n=0").text  # kept
