"""The catalog and subscription models: their constraints, their reads, and the facts
and decisions `selectors` builds from them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from subscriptions.models import PhoneNumber, Product, Subscription, prefetch_line_addons
from subscriptions.policy import Action, Channel, Setting
from subscriptions.selectors import (
    decision_context,
    decision_for,
    decisions_for,
    outbound_recording_decision,
    policy_facts_from,
    subscription_facts_from,
)
from tests.conftest import membership_of
from tests.factories import (
    BlockedNumberFactory,
    MembershipFactory,
    OrganizationFactory,
    PhoneNumberFactory,
    ProductFactory,
    SubscriptionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def refused_by_database(make):
    # PostgreSQL refuses an over-long value with DataError before any check runs.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        make()


# --- constraints ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"price": Decimal("-0.01")},
        {"cancellation_fee": Decimal("-5")},
        {"minimum_quantity": 0},
        {"tier": 0},
        {"kind": "fax_machine"},
        {"kind": Product.Kind.ADDON},  # an add-on must say which one
        {"addon_code": Product.AddonCode.TEXT_ARCHIVE},  # only add-ons carry a code
        {"cancel_min_role": "owner"},
    ],
    ids=lambda values: "-".join(f"{k}={v}" for k, v in values.items()),
)
def test_product_constraints(values):
    refused_by_database(lambda: ProductFactory(**values))


def test_product_defaults_are_the_cautious_policy():
    product = ProductFactory(kind=Product.Kind.SIP_TRUNK, cancel_channel="now")
    product.refresh_from_db()
    assert product.cancellation_fee == Decimal("0.00")  # A1: no fee unless staff set one
    assert product.minimum_quantity == 1
    assert str(product) == product.name


@pytest.mark.parametrize(
    "values",
    [
        {"quantity": 0},
        {"usage_credits": Decimal("-1")},
        {"state": "paused"},
        {"state": Subscription.State.CANCELLED, "cancelled_at": None},
        {"cancelled_by_cancel_line": True},  # while still active
    ],
    ids=["quantity", "credits", "state", "cancelled_without_date", "cancel_line_but_active"],
)
def test_subscription_constraints(organization, values):
    refused_by_database(lambda: SubscriptionFactory(organization=organization, **values))


def test_a_term_cannot_end_before_it_starts(organization):
    today = timezone.localdate()
    refused_by_database(
        lambda: SubscriptionFactory(
            organization=organization, term_start=today, term_end=today - timedelta(days=1)
        )
    )


@pytest.mark.parametrize(
    "e164", ["14155550123", "+0415555012", "+1 415 555", "+123456", "+1234567890123456"]
)
def test_phone_numbers_are_e164(e164):
    number = PhoneNumberFactory.build(subscription=SubscriptionFactory(), e164=e164)
    with pytest.raises(ValidationError):
        number.full_clean()
    refused_by_database(lambda: PhoneNumberFactory(e164=e164))


def test_phone_numbers_are_unique_and_countries_iso_alpha2():
    PhoneNumberFactory(e164="+442079460321", country="GB")
    refused_by_database(lambda: PhoneNumberFactory(e164="+442079460321"))
    refused_by_database(lambda: PhoneNumberFactory(country="gb"))
    refused_by_database(lambda: PhoneNumberFactory(country="GBR"))


def test_a_caller_is_blocked_once_per_number():
    blocked = BlockedNumberFactory(e164="+12125550100")
    refused_by_database(
        lambda: BlockedNumberFactory(phone_number=blocked.phone_number, e164="+12125550100")
    )
    BlockedNumberFactory(e164="+12125550100")  # another number may block the same caller
    refused_by_database(lambda: BlockedNumberFactory(e164="spam"))


def test_str_names_the_product_and_its_number_or_label(django_assert_num_queries):
    number = PhoneNumberFactory(
        e164="+14155550123", subscription__product__name="Local business number"
    )
    assert str(number.subscription) == "Local business number +14155550123"
    trunk = SubscriptionFactory(product__name="SIP trunk", label="EU West", product__sip_trunk=True)
    assert str(trunk) == "SIP trunk EU West"
    loaded = Subscription.objects.select_related("product").get(pk=trunk.pk)
    with django_assert_num_queries(0):  # only numbers and lines have one: nothing to ask
        assert loaded.number is None


# --- reads ---------------------------------------------------------------------------


@pytest.fixture
def holdings(organization, owner, admin_user, member, other_organization):
    """A line and a number for the member, one for nobody, and another organization's."""
    line = PhoneNumberFactory(
        subscription__organization=organization,
        subscription__product=ProductFactory(line=True, name="Second line"),
        subscription__assigned_to=member,
    ).subscription
    addon = SubscriptionFactory(
        organization=organization,
        product=ProductFactory(text_archive=True, name="Text Archive"),
        parent=line,
    )
    number = PhoneNumberFactory(
        subscription__organization=organization, subscription__assigned_to=member
    ).subscription
    unassigned = PhoneNumberFactory(subscription__organization=organization).subscription
    license_ = SubscriptionFactory(
        organization=organization, product=ProductFactory(user_license=True)
    )
    elsewhere = PhoneNumberFactory(
        subscription__organization=other_organization, subscription__assigned_to=member
    ).subscription
    return {
        "line": line,
        "addon": addon,
        "number": number,
        "unassigned": unassigned,
        "license": license_,
        "elsewhere": elsewhere,
    }


def test_members_see_what_is_theirs_and_the_add_ons_of_their_lines(holdings, organization, member):
    seen = set(Subscription.objects.visible_to(membership_of(member, organization)))
    assert seen == {holdings["line"], holdings["addon"], holdings["number"]}


@pytest.mark.parametrize("persona", ["owner", "admin_user"])
def test_admins_and_super_admins_see_the_whole_organization(
    request, holdings, organization, persona
):
    user = request.getfixturevalue(persona)
    seen = set(Subscription.objects.visible_to(membership_of(user, organization)))
    assert seen == {holdings[k] for k in ("line", "addon", "number", "unassigned", "license")}


def test_reads_never_cross_organizations(holdings, organization, outsider, other_organization):
    assert set(Subscription.objects.for_organization(organization)).isdisjoint(
        {holdings["elsewhere"]}
    )
    seen = set(Subscription.objects.visible_to(membership_of(outsider, other_organization)))
    assert seen == {holdings["elsewhere"]}


@pytest.mark.parametrize("persona", ["member", "admin_user"])
def test_numbers_visible_match_the_number_subscriptions_visible(
    request, holdings, organization, persona
):
    membership = membership_of(request.getfixturevalue(persona), organization)
    numbers = {n.subscription for n in PhoneNumber.objects.visible_to(membership)}
    subscriptions = Subscription.objects.visible_to(membership).filter(
        product__kind__in=(Product.Kind.BUSINESS_NUMBER, Product.Kind.LINE)
    )
    assert numbers == set(subscriptions)
    assert holdings["elsewhere"] not in numbers


def test_i6_only_an_add_on_belongs_to_a_line_of_its_own_organization(
    organization, other_organization
):
    line = SubscriptionFactory(organization=organization, product=ProductFactory(line=True))
    text_archive = ProductFactory(text_archive=True)
    SubscriptionFactory.build(organization=organization, product=text_archive, parent=line).clean()

    def refused(field, **values):
        addon = SubscriptionFactory.build(
            **{"organization": organization, "product": text_archive, "parent": line, **values}
        )
        with pytest.raises(ValidationError) as raised:
            addon.clean()
        assert field in raised.value.message_dict

    refused("__all__", parent=SubscriptionFactory(organization=organization))  # a number
    refused("product", product=ProductFactory(line=True))
    refused("__all__", organization=other_organization)
    # Nor may a line with add-ons, or its product, stop being a line.
    SubscriptionFactory(organization=organization, product=text_archive, parent=line)
    line.product = ProductFactory(sip_trunk=True)
    with pytest.raises(ValidationError) as raised:
        line.clean()
    assert "product" in raised.value.message_dict
    line.refresh_from_db()
    line.product.kind = Product.Kind.BUSINESS_NUMBER
    with pytest.raises(ValidationError) as raised:
        line.product.clean()
    assert "kind" in raised.value.message_dict
    text_archive.kind, text_archive.addon_code = Product.Kind.JETPACK, ""
    with pytest.raises(ValidationError) as raised:
        text_archive.clean()
    assert "kind" in raised.value.message_dict


def test_of_kind_and_live(holdings, organization):
    holdings["unassigned"].state = Subscription.State.CANCELLED
    holdings["unassigned"].cancelled_at = timezone.now()
    holdings["unassigned"].save()
    ours = Subscription.objects.for_organization(organization)
    assert set(ours.of_kind(Product.Kind.LINE)) == {holdings["line"]}
    assert holdings["unassigned"] not in set(ours.live())
    assert holdings["number"] in set(ours.live().of_kind(Product.Kind.BUSINESS_NUMBER))


def test_ending_soon_is_live_terms_ending_within_the_days(organization):
    today = timezone.localdate()
    start = today - timedelta(days=400)

    def ending(days: int, **extra):
        return SubscriptionFactory(
            organization=organization,
            term_start=start,
            term_end=today + timedelta(days=days),
            **extra,
        )

    inside = {
        ending(0),
        ending(30),
        ending(12, state=Subscription.State.CANCELS_AT_TERM_END),
        ending(5, state=Subscription.State.SUSPENDED),
    }
    ending(31)
    ending(-1)
    ending(3, state=Subscription.State.CANCELLED, cancelled_at=timezone.now())
    assert set(Subscription.objects.ending_soon(today)) == inside
    assert set(Subscription.objects.ending_soon(today, days=7)) == {
        s for s in inside if s.term_end <= today + timedelta(days=7)
    }


# --- facts and decisions -------------------------------------------------------------


def _page_rows(organization, count: int):
    line_product = ProductFactory(line=True)
    addon_products = [ProductFactory(text_archive=True), ProductFactory(call_recording=True)]
    for _ in range(count):
        line = PhoneNumberFactory(
            subscription__organization=organization, subscription__product=line_product
        ).subscription
        for product in addon_products:
            SubscriptionFactory(organization=organization, product=product, parent=line)
    tiers = [ProductFactory(call_insights=True, tier=tier) for tier in (1, 2, 3)]
    tiers[1].changeable_to.set([tiers[0], tiers[2]])
    SubscriptionFactory(organization=organization, product=tiers[1])


@pytest.mark.parametrize("rows", [1, 6])
def test_a_page_of_decisions_costs_the_same_queries_for_any_number_of_rows(
    organization, owner, rows, django_assert_num_queries
):
    _page_rows(organization, rows)
    membership = membership_of(owner, organization)
    today = timezone.localdate()
    # Super Admins, the catalog and its plan options (decision_context: the account
    # manager comes with the organization), then the subscriptions with their products,
    # their add-ons, and the organization's number changes of the period (Change number):
    # the same for one row or many.
    with django_assert_num_queries(6):
        context = decision_context(organization=organization)
        subscriptions = list(
            Subscription.objects.visible_to(membership)
            .filter(parent__isnull=True)
            .with_page_relations()
        )
        prefetch_line_addons(subscriptions)
        for subscription in subscriptions:
            decisions = decisions_for(
                subscription=subscription,
                membership=membership,
                actions=list(Action),
                today=today,
                context=context,
            )
            assert all(d.reason for d in decisions.values())
            for addon in subscription.line_addons:
                decision_for(
                    subscription=addon,
                    membership=membership,
                    action=Action.CANCEL,
                    today=today,
                    context=context,
                )
    assert len(subscriptions) == rows + 1


def test_pages_of_licenses_and_plans_skip_the_add_on_query_that_only_lines_need(
    client_for, organization, owner, django_assert_max_num_queries
):
    client = client_for(owner)

    def addon_queries(name):
        with django_assert_max_num_queries(40) as captured:
            response = client.get(reverse(name))
        assert response.status_code == 200
        return sum('"parent_id" IN' in q["sql"] for q in captured.captured_queries), response

    PhoneNumberFactory(subscription__organization=organization)  # a business number
    assert addon_queries("numbers")[0] == 0
    _page_rows(organization, 2)  # lines with add-ons, and a Call Insights plan
    SubscriptionFactory(organization=organization, product=ProductFactory(user_license=True))
    assert addon_queries("licenses")[0] == 0
    assert addon_queries("call_insights")[0] == 0
    queries, numbers = addon_queries("numbers")  # with lines: their add-ons, once
    assert queries == 1
    cancel_line = [
        d for row in numbers.context["rows"] for d in row.decisions if d.addons_to_cancel_first
    ]
    assert len(cancel_line) == 2  # each line names its add-ons to cancel first (I6)
    # A line's add-ons still stop its Cancel Line (I6); nothing else reads add-ons.
    membership = membership_of(owner, organization)
    line = Subscription.objects.with_page_relations().filter(product__kind="line")[0]
    assert subscription_facts_from(subscription=line, membership=membership).addons
    plan = Subscription.objects.with_page_relations().get(product__kind="call_insights")
    with django_assert_max_num_queries(0):
        assert subscription_facts_from(subscription=plan, membership=membership).addons == ()


def test_a_subscriptions_own_pages_read_add_ons_for_a_line_only(
    client_for, organization, owner, django_assert_max_num_queries
):
    number = PhoneNumberFactory(
        subscription__organization=organization, subscription__assigned_to=owner
    ).subscription
    line = PhoneNumberFactory(
        subscription__organization=organization,
        subscription__product=ProductFactory(line=True),
        subscription__assigned_to=owner,
    ).subscription
    SubscriptionFactory(
        organization=organization,
        product=ProductFactory(text_archive=True, name="Text Archive"),
        parent=line,
    )
    client = client_for(owner)
    own_plans = reverse("member_plans", args=[membership_of(owner, organization).pk])
    for url, addon_queries in (
        (reverse("number_detail", args=[number.pk]), 0),
        (reverse("subscription_cancel", args=[number.pk]), 0),
        (reverse("number_detail", args=[line.pk]), 1),
        (reverse("subscription_cancel", args=[line.pk]), 1),
        (own_plans, 1),  # the number and the line: one query for the line's
    ):
        with django_assert_max_num_queries(40) as captured:
            response = client.get(url)
        assert response.status_code == 200, url
        sql = [q["sql"] for q in captured.captured_queries]
        assert sum('"parent_id" IN' in q for q in sql) == addon_queries, url
    # The line's Cancel Line names its add-on, on its page and on the member's Plans (I6).
    for url in (reverse("number_detail", args=[line.pk]), own_plans):
        assert "Text Archive" in client.get(url).content.decode()


def test_facts_describe_the_subscription_as_the_member_sees_it(organization, member):
    line = PhoneNumberFactory(
        e164="+447700900123",
        calling_mode=PhoneNumber.CallingMode.DATA,
        subscription__organization=organization,
        subscription__product=ProductFactory(line=True, name="Second line"),
        subscription__assigned_to=member,
        subscription__usage_credits=Decimal("12.50"),
    ).subscription
    SubscriptionFactory(
        organization=organization,
        product=ProductFactory(text_archive=True, name="Text Archive"),
        parent=line,
    )
    loaded = Subscription.objects.with_page_relations().get(pk=line.pk)
    facts = subscription_facts_from(
        subscription=loaded, membership=membership_of(member, organization)
    )
    assert facts.name == "Second line +447700900123"
    assert facts.number == "+447700900123"
    assert facts.calling_mode == "data"
    assert facts.assigned_to_member
    assert facts.usage_credits == Decimal("12.50")
    assert [(a.name, a.state) for a in facts.addons] == [("Text Archive", "active")]
    addon = loaded.addons.all()[0]
    addon_facts = subscription_facts_from(
        subscription=addon, membership=membership_of(member, organization)
    )
    assert addon_facts.assigned_to_member  # through its line
    assert addon_facts.parent_live


def test_policy_facts_carry_the_product_policy_and_its_tiers():
    small, big = (
        ProductFactory(call_insights=True, tier=1),
        ProductFactory(call_insights=True, tier=3),
    )
    middle = ProductFactory(
        call_insights=True, tier=2, cancellation_fee=Decimal("9.00"), minimum_quantity=2
    )
    middle.changeable_to.set([big, small])
    facts = policy_facts_from(product=middle)
    assert facts.kind == "call_insights"
    assert facts.cancel_channel == "term_end"
    assert facts.cancellation_fee == Decimal("9.00")
    assert facts.minimum_quantity == 2
    assert [p.product_id for p in facts.changeable_to] == [small.pk, big.pk]
    # The page's shared plan options give the same answer without a query per product.
    context = decision_context(organization=OrganizationFactory())
    assert context.plan_options == {middle.pk: facts.changeable_to}
    assert policy_facts_from(product=middle, plan_options=context.plan_options) == facts
    assert policy_facts_from(product=small, plan_options=context.plan_options).changeable_to == ()


def test_decisions_read_the_people_of_the_organization(organization, owner, admin_user, staff):
    organization.account_manager = staff
    organization.save()
    MembershipFactory(organization=organization, role=Role.SUPER_ADMIN, user__full_name="Bea Boss")
    license_ = SubscriptionFactory(
        organization=organization, product=ProductFactory(user_license=True)
    )
    context = decision_context(organization=organization)
    assert context.super_admin_names == ("Bea Boss", "Olive Owner")
    assert context.account_manager_name == staff.display_name
    refused = decision_for(
        subscription=license_,
        membership=membership_of(admin_user, organization),
        action=Action.CANCEL,
        today=timezone.localdate(),
    )
    assert not refused.allowed
    assert "your Super Admins are Bea Boss, Olive Owner" in refused.reason


def test_a_membership_of_another_organization_is_refused_everything(holdings, outsider):
    decisions = decisions_for(
        subscription=holdings["number"],
        membership=outsider.memberships.get(),
        actions=list(Action),
        today=timezone.localdate(),
    )
    assert not any(d.allowed for d in decisions.values())


def test_a_requested_plan_is_a_product_of_the_catalog(organization, admin_user):
    small, middle, big = (ProductFactory(call_insights=True, tier=t) for t in (1, 2, 3))
    middle.changeable_to.set([small, big])
    subscription = SubscriptionFactory(organization=organization, product=middle)
    membership = membership_of(admin_user, organization)
    today = timezone.localdate()
    up = decision_for(
        subscription=subscription,
        membership=membership,
        action=Action.CHANGE_PLAN,
        today=today,
        requested_plan=big,
    )
    down = decision_for(
        subscription=subscription,
        membership=membership,
        action=Action.CHANGE_PLAN,
        today=today,
        requested_plan=small,
    )
    assert (up.channel, up.takes_effect) == (Channel.NOW, today)
    assert (down.channel, down.takes_effect) == (Channel.TERM_END, subscription.term_end)
    assert up.plan.product_id == big.pk


def test_reactivation_window_counts_from_the_local_cancellation_date(organization, owner):
    subscription = PhoneNumberFactory(
        subscription__organization=organization,
        subscription__state=Subscription.State.CANCELLED,
        subscription__cancelled_at=timezone.now() - timedelta(days=29),
    ).subscription
    membership = membership_of(owner, organization)
    today = timezone.localdate()
    assert decision_for(
        subscription=subscription, membership=membership, action=Action.REACTIVATE, today=today
    ).allowed
    assert not decision_for(
        subscription=subscription,
        membership=membership,
        action=Action.REACTIVATE,
        today=today + timedelta(days=2),
    ).allowed


@pytest.mark.parametrize(("role", "allowed"), [(Role.MEMBER, False), (Role.ADMIN, True)])
def test_outbound_recording_decision_follows_the_role(organization, role, allowed):
    membership = MembershipFactory(organization=organization, role=role, user=UserFactory())
    assert outbound_recording_decision(membership=membership).allowed is allowed
    line = SubscriptionFactory(organization=organization)
    via_toggle = decision_for(
        subscription=line,
        membership=membership,
        action=Action.TOGGLE,
        today=timezone.localdate(),
        setting=Setting.OUTBOUND_RECORDING,
    )
    assert via_toggle.allowed is allowed
