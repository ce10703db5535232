"""The subscription pages: what each role sees, the engine's decisions shown, isolation, queries."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from subscriptions.models import PhoneNumber, Product, Subscription
from subscriptions.views import NUMBERS_PAGE_SIZE
from tests.conftest import membership_of
from tests.factories import (
    MembershipFactory,
    PhoneNumberFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def make_number(organization, *, e164=None, product=None, **subscription):
    extra = {"e164": e164} if e164 else {}
    return PhoneNumberFactory(
        subscription__organization=organization,
        subscription__product=product or ProductFactory(),
        **{f"subscription__{key}": value for key, value in subscription.items()},
        **extra,
    ).subscription


@pytest.fixture
def license_product(db):
    return ProductFactory(name="User license", user_license=True)


# --- what each role sees ---------------------------------------------------------------


def test_members_see_only_the_numbers_assigned_to_them(client_for, organization, member, owner):
    mine = make_number(organization, e164="+14155550001", assigned_to=member)
    other = make_number(organization, e164="+14155550002", assigned_to=owner)
    content = client_for(member).get(reverse("numbers")).content.decode()
    assert mine.number.e164 in content
    assert other.number.e164 not in content
    owner_view = client_for(owner).get(reverse("numbers")).content.decode()
    assert mine.number.e164 in owner_view and other.number.e164 in owner_view


def test_a_member_cannot_open_a_number_not_assigned_to_them(
    client_for, organization, member, owner
):
    other = make_number(organization, assigned_to=owner)
    assert client_for(member).get(reverse("number_detail", args=[other.pk])).status_code == 404


def test_a5_only_super_admins_are_offered_license_cancellation(
    client_for, organization, owner, admin_user, license_product
):
    SubscriptionFactory(organization=organization, product=license_product, assigned_to=owner)
    as_owner = client_for(owner).get(reverse("licenses")).content.decode()
    assert "Request cancellation" in as_owner
    assert "Not available to you" not in as_owner
    as_admin = client_for(admin_user).get(reverse("licenses")).content.decode()
    assert "Not available to you" in as_admin
    assert "Only Super Admins" in as_admin
    assert owner.display_name in as_admin


def test_licenses_counts_the_live_licenses_and_those_assigned_to_nobody(
    client_for,
    organization,
    other_organization,
    owner,
    member,
    license_product,
    django_assert_max_num_queries,
):
    for assigned_to in (owner, member, None):
        SubscriptionFactory(
            organization=organization, product=license_product, assigned_to=assigned_to
        )
    SubscriptionFactory(
        organization=organization,
        product=license_product,
        state=Subscription.State.CANCELLED,
        cancelled_at=timezone.now(),
    )
    SubscriptionFactory(organization=other_organization, product=license_product)
    client = client_for(owner)
    client.get(reverse("licenses"))
    with django_assert_max_num_queries(40) as captured:  # counted afresh, not from the cache
        content = client.get(reverse("licenses")).content.decode()
    assert "3 licenses, 1 not assigned to anyone." in " ".join(content.split())
    # Both counts in one query: the paging takes its total from it. (The database cache
    # counts its own table when it stores what it caches.)
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
    assert len([sql for sql in counts if "_cache" not in sql]) == 1


def test_a2_cancelling_a_business_number_is_a_cancellation_request(client_for, organization, owner):
    subscription = make_number(organization)
    content = client_for(owner).get(reverse("number_detail", args=[subscription.pk])).content
    assert "Request cancellation" in content.decode()
    assert "Through a support case" in content.decode()


def test_a6_trunks_offer_delete_except_the_initial_ucaas_trunk(client_for, organization, owner):
    trunk = ProductFactory(name="SIP trunk", sip_trunk=True)
    SubscriptionFactory(organization=organization, product=trunk, label="Branch trunk")
    SubscriptionFactory(
        organization=organization, product=trunk, label="UCaaS trunk", is_initial_ucaas_trunk=True
    )
    response = client_for(owner).get(reverse("trunks"))
    rows = {row.subscription.label: row for row in response.context["rows"]}
    assert [d.label for d in rows["Branch trunk"].allowed] == ["Delete"]
    assert [d.label for d in rows["UCaaS trunk"].allowed] == ["Request cancellation"]
    assert "Initial UCaaS trunk" in response.content.decode()


def test_a8_company_settings_show_outbound_recording_and_who_may_switch_it(
    client_for, organization, owner, member
):
    organization.outbound_call_recording = True
    organization.save()
    as_owner = client_for(owner).get(reverse("settings"))
    assert "Outbound call recording: <strong>on</strong>" in as_owner.content.decode()
    assert as_owner.context["outbound_decisions"][0].allowed
    as_member = client_for(member).get(reverse("settings"))
    assert not as_member.context["outbound_decisions"][0].allowed


def test_a9_call_insights_offers_cancel_plan_and_view_or_change_plan(
    client_for, organization, owner
):
    smaller = ProductFactory(name="Call Insights Essentials", call_insights=True, tier=1)
    current = ProductFactory(name="Call Insights Professional", call_insights=True, tier=2)
    current.changeable_to.add(smaller)
    SubscriptionFactory(organization=organization, product=current)
    content = client_for(owner).get(reverse("call_insights")).content.decode()
    assert "Cancel Plan" in content
    assert "View or Change Plan" in content
    assert "Call Insights Essentials" in content


def test_a12_jetpacks_go_through_the_account_manager(client_for, organization, owner, staff):
    organization.account_manager = staff
    organization.save()
    jetpack = ProductFactory(name="Jetpack Plus", jetpack=True)
    SubscriptionFactory(organization=organization, product=jetpack)
    content = client_for(owner).get(reverse("jetpacks")).content.decode()
    assert "Contact your account manager" in content
    assert staff.display_name in content
    assert organization.contact_email in content


def test_i8_an_app_store_plan_shows_the_app_store_steps(client_for, organization, owner):
    line = ProductFactory(name="Second line", line=True)
    call_recording = ProductFactory(name="Call Recording", call_recording=True)
    subscription = make_number(
        organization, product=line, assigned_to=owner, purchase_channel="app_store"
    )
    SubscriptionFactory(
        organization=organization,
        product=call_recording,
        parent=subscription,
        purchase_channel="app_store",
    )
    own = membership_of(owner, organization)
    content = client_for(owner).get(reverse("member_plans", args=[own.pk])).content.decode()
    assert "support.apple.com/en-us/HT202039" in content
    assert "Cancel in the App Store" in content


def test_i6_cancel_line_names_the_add_ons_to_cancel_first(client_for, organization, owner):
    line = ProductFactory(name="Second line", line=True)
    subscription = make_number(organization, product=line, assigned_to=owner)
    for name, trait in (("Text Archive", "text_archive"), ("Call Recording", "call_recording")):
        SubscriptionFactory(
            organization=organization,
            product=ProductFactory(name=name, **{trait: True}),
            parent=subscription,
        )
    own = membership_of(owner, organization)
    response = client_for(owner).get(reverse("member_plans", args=[own.pk]))
    (line_row, addon_rows) = response.context["rows"][0]
    cancel_line = next(d for d in line_row.decisions if d.label == "Cancel Line")
    assert not cancel_line.allowed
    assert set(cancel_line.addons_to_cancel_first) == {"Text Archive", "Call Recording"}
    assert [d.label for row in addon_rows for d in row.allowed if d.label == "Cancel Plan"]


# --- plans of a member -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"), [("owner", 200), ("admin_user", 200), ("member", 404)]
)
def test_plans_of_another_member_are_for_admins(request, client_for, organization, persona, status):
    someone = MembershipFactory(organization=organization, role=Role.MEMBER)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("member_plans", args=[someone.pk])).status_code == status


def test_a_member_sees_their_own_plans(client_for, organization, member):
    own = membership_of(member, organization)
    assert client_for(member).get(reverse("member_plans", args=[own.pk])).status_code == 200


# --- isolation -------------------------------------------------------------------------


def test_it_checks_ownership_of_numbers_and_plans(client_for, owner, outsider, other_organization):
    foreign = make_number(other_organization, e164="+14155559999", assigned_to=outsider)
    foreign_membership = membership_of(outsider, other_organization)
    client = client_for(owner)
    for url in (
        reverse("number_detail", args=[foreign.pk]),
        reverse("member_plans", args=[foreign_membership.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert "+14155559999" not in response.content.decode()
    listing = client.get(reverse("numbers")).content.decode()
    assert "+14155559999" not in listing
    exported = client.get(reverse("numbers_csv")).content.decode()
    assert "14155559999" not in exported


# --- numbers: search, filters, paging, export ------------------------------------------


def test_numbers_are_searched_by_digits_and_filtered(client_for, organization, owner, member):
    make_number(organization, e164="+14155550101", assigned_to=member)
    make_number(organization, e164="+442071230202")
    PhoneNumber.objects.filter(e164="+442071230202").update(country="GB", number_type="toll_free")
    client = client_for(owner)

    def shown(**params):
        response = client.get(reverse("numbers"), params)
        return [row.subscription.number.e164 for row in response.context["rows"]]

    assert shown(q="(415) 555") == ["+14155550101"]
    assert shown(country="GB") == ["+442071230202"]
    assert shown(number_type="toll_free") == ["+442071230202"]
    assert shown(assigned=member.email.upper()) == ["+14155550101"]
    assert shown(assigned=member.full_name[:4]) == ["+14155550101"]
    assert shown(assignment="unassigned") == ["+442071230202"]
    assert shown(assignment="assigned") == ["+14155550101"]
    assert shown(state="cancelled") == []


def test_a_search_without_digits_says_how_to_search(client_for, owner):
    response = client_for(owner).get(reverse("numbers"), {"q": "abc"})
    assert response.status_code == 200
    assert "Search numbers by their digits" in response.content.decode()


def test_an_unknown_filter_value_is_refused_with_a_message(client_for, owner):
    response = client_for(owner).get(reverse("numbers"), {"country": "ZZ"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_numbers_page(client_for, organization, owner):
    for index in range(NUMBERS_PAGE_SIZE + 5):
        make_number(organization, e164=f"+1415555{index:04d}")
    client = client_for(owner)
    first = client.get(reverse("numbers"))
    assert len(first.context["rows"]) == NUMBERS_PAGE_SIZE
    second = client.get(reverse("numbers"), {"page": 2})
    assert len(second.context["rows"]) == 5


def test_the_csv_export_follows_the_filters_and_neutralises_formulas(
    client_for, organization, owner
):
    make_number(organization, e164="+14155550101", label="=HYPERLINK(1)")
    make_number(organization, e164="+442071230202")
    PhoneNumber.objects.filter(e164="+442071230202").update(country="GB")
    Product.objects.filter(subscriptions__phone_number__e164="+14155550101").update(name="@SUM(A1)")
    response = client_for(owner).get(reverse("numbers_csv"), {"country": "US"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Number"
    assert len(rows) == 2
    number, _, _, plan, *_ = rows[1]
    assert number == "+14155550101"
    assert plan == "'@SUM(A1)"


def test_the_csv_export_keeps_e164_numbers_as_they_are_and_quotes_every_other_formula(
    client_for, organization, owner, member
):
    """A cell that is exactly an E.164 number (a plus and digits) is a phone number, not a
    formula; anything else starting with =, +, -, @, a tab or a carriage return still gets
    a leading quote, even when it starts like a number."""
    make_number(organization, e164="+12125550147", assigned_to=member)
    Product.objects.filter(subscriptions__phone_number__e164="+12125550147").update(
        name="+12125550147+HYPERLINK(1)"
    )
    member.full_name = "+1 212 555 0147"
    member.save(update_fields=["full_name"])
    response = client_for(owner).get(reverse("numbers_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    number, _, _, plan, _, assigned, *_ = rows[1]
    assert number == "+12125550147"
    assert plan == "'+12125550147+HYPERLINK(1)"
    assert assigned == "'+1 212 555 0147"


# --- home --------------------------------------------------------------------------------


def test_home_counts_what_the_member_can_see_and_what_ends_soon(client_for, organization, owner):
    make_number(organization, e164="+14155550101")
    ending = make_number(organization, e164="+14155550102", state="cancels_at_term_end")
    response = client_for(owner).get(reverse("home"))
    holdings = {label: count for label, count, _ in response.context["holdings"]}
    assert holdings["Business numbers"] == 2
    assert list(response.context["ending_soon"]) == [ending]
    assert "+14155550102" in response.content.decode()


def test_home_counts_live_holdings_by_kind_and_sums_contact_center_seats(
    client_for, organization, owner, member
):
    seats = ProductFactory(contact_center=True)
    SubscriptionFactory(organization=organization, product=seats, quantity=5)
    SubscriptionFactory(organization=organization, product=seats, quantity=3, assigned_to=member)
    SubscriptionFactory(  # cancelled: neither counted nor seated
        organization=organization,
        product=seats,
        quantity=7,
        state="cancelled",
        cancelled_at=timezone.now(),
    )
    SubscriptionFactory(organization=organization, product=ProductFactory(user_license=True))
    make_number(organization, e164="+14155550103", quantity=4)  # a quantity, but no seats
    make_number(organization, e164="+14155550104", assigned_to=member)

    def home(user):
        context = client_for(user).get(reverse("home")).context
        counts = {label: count for label, count, _ in context["holdings"] if count}
        return counts, context["contact_center_seats"]

    assert home(owner) == (
        {"Business numbers": 2, "User licenses": 1, "Contact-center license plans": 2},
        8,
    )
    # A Member counts only what is theirs.
    assert home(member) == ({"Business numbers": 1, "Contact-center license plans": 1}, 3)


# --- query counts --------------------------------------------------------------------------


def _seed_estate(organization, member, count: int) -> None:
    """`count` numbers and `count` user licenses, half of them assigned (bulk, for speed)."""
    product = ProductFactory(name=f"Number plan {count}")
    license_product = ProductFactory(name=f"License {count}", user_license=True)
    template = SubscriptionFactory.build(organization=organization, product=product)
    numbers = Subscription.objects.bulk_create(
        Subscription(
            organization=organization,
            product=product,
            term_start=template.term_start,
            term_end=template.term_end,
            assigned_to=member if index % 2 else None,
        )
        for index in range(count)
    )
    PhoneNumber.objects.bulk_create(
        PhoneNumber(
            subscription=subscription,
            organization=subscription.organization,
            e164=f"+1{count:03d}55{index:05d}",
            country="US",
        )
        for index, subscription in enumerate(numbers)
    )
    Subscription.objects.bulk_create(
        Subscription(
            organization=organization,
            product=license_product,
            term_start=template.term_start,
            term_end=template.term_end,
            assigned_to=member if index % 3 else None,
        )
        for index in range(count)
    )


PAGES = [
    "home",
    "numbers",
    "licenses",
    "trunks",
    "settings",
    "call_insights",
    "number_testing",
    "jetpacks",
]


@pytest.mark.parametrize("name", PAGES)
def test_pages_run_a_constant_number_of_queries(
    client_for, organization, owner, member, name, django_assert_max_num_queries
):
    client = client_for(owner)
    _seed_estate(organization, member, 10)
    client.get(reverse(name))
    # Each measured view computes afresh what pages cache (the fixture forgets it):
    # cached figures would hide a count or a catalog read that grows with the rows.
    with django_assert_max_num_queries(40) as small:
        client.get(reverse(name))
    _seed_estate(organization, member, 1000)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse(name))


def test_number_details_and_plans_run_a_constant_number_of_queries(
    client_for, organization, owner, member, django_assert_max_num_queries
):
    line = ProductFactory(name="Line", line=True)
    addon = ProductFactory(name="Text Archive", text_archive=True)
    subscription = make_number(organization, product=line, assigned_to=member)
    client = client_for(owner)
    own = membership_of(member, organization)
    urls = [
        reverse("number_detail", args=[subscription.pk]),
        reverse("member_plans", args=[own.pk]),
    ]
    for url in urls:
        client.get(url)
    counts = []
    for url in urls:
        with django_assert_max_num_queries(40) as few:
            client.get(url)
        counts.append(len(few.captured_queries))
    for _ in range(20):
        SubscriptionFactory(
            organization=organization,
            product=addon,
            parent=subscription,
            state=Subscription.State.CANCELS_AT_TERM_END,
        )
        make_number(organization, product=line, assigned_to=member)
    for url, count in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(count):
            client.get(url)


def test_plan_pages_list_by_tier_then_label_and_licenses_by_label(client_for, organization, owner):
    # Ordered by the catalog's tiers without a join (literals of the product ids), and
    # Licenses' one product by label alone, as its index serves it.
    tiers = {n: ProductFactory(name=f"Insights {n}", call_insights=True, tier=n) for n in (3, 1, 2)}
    for label, tier in [("b", 2), ("a", 3), ("c", 1), ("a", 1), ("a", 2)]:
        SubscriptionFactory(organization=organization, product=tiers[tier], label=label)
    client = client_for(owner)
    rows = client.get(reverse("call_insights")).context["rows"]
    assert [(r.subscription.product.tier, r.subscription.label) for r in rows] == [
        (1, "a"),
        (1, "c"),
        (2, "a"),
        (2, "b"),
        (3, "a"),
    ]
    product = ProductFactory(user_license=True)
    made = [
        SubscriptionFactory(organization=organization, product=product, label=label)
        for label in ("z", "m", "m", "a")
    ]
    page = client.get(reverse("licenses")).context["page"]
    assert [s.pk for s in page.object_list] == [made[3].pk, made[1].pk, made[2].pk, made[0].pk]


def test_a_members_plans_list_by_kind_then_number_with_add_ons_under_their_line(
    client_for, organization, owner
):
    line = ProductFactory(name="Line", line=True)
    second = make_number(organization, e164="+15550000002", product=line, assigned_to=owner)
    first = make_number(organization, e164="+15550000001", product=line, assigned_to=owner)
    number = make_number(organization, e164="+15550000009", assigned_to=owner)
    plan = SubscriptionFactory(
        organization=organization,
        product=ProductFactory(call_insights=True),
        assigned_to=owner,
    )
    addon = SubscriptionFactory(
        organization=organization,
        product=ProductFactory(call_recording=True),
        parent=first,
        assigned_to=owner,
    )
    own = membership_of(owner, organization)
    rows = client_for(owner).get(reverse("member_plans", args=[own.pk])).context["rows"]
    # business_number, call_insights, line: the kinds in order, then the numbers.
    assert [row.subscription.pk for row, _ in rows] == [number.pk, plan.pk, first.pk, second.pk]
    assert [[a.subscription.pk for a in addons] for _, addons in rows] == [[], [], [addon.pk], []]
