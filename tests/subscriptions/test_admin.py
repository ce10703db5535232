"""Staff edit the catalog's policies and the subscriptions in admin; each change is audited."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from subscriptions.models import PhoneNumber, Product, SpareNumber, Subscription
from tests.factories import (
    BlockedNumberFactory,
    PhoneNumberFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def test_every_subscriptions_admin_page_renders(client, staff, organization):
    number = PhoneNumberFactory(subscription__organization=organization)
    BlockedNumberFactory(phone_number=number)
    client.force_login(staff)
    for model, obj in (
        ("product", number.subscription.product),
        ("subscription", number.subscription),
        ("phonenumber", number),
    ):
        for url in (
            reverse(f"admin:subscriptions_{model}_changelist"),
            reverse(f"admin:subscriptions_{model}_add"),
            reverse(f"admin:subscriptions_{model}_change", args=[obj.pk]),
        ):
            assert client.get(url).status_code == 200, url


def test_subscriptions_are_found_by_organization_account_id_and_number(client, staff):
    mine = PhoneNumberFactory(
        e164="+14155550123", subscription__organization__account_id="AC-123456"
    )
    other = PhoneNumberFactory(e164="+442079460321")
    client.force_login(staff)
    url = reverse("admin:subscriptions_subscription_changelist")
    # An account ID whole; a number by its first digits, as typed (exact and prefix lookups).
    for query in ("AC-123456", "ac123456", "+1 415 555 0123", "+1415555"):
        page = client.get(url, {"q": query}).content.decode()
        assert mine.e164 in page
        assert other.e164 not in page
    line = PhoneNumberFactory(e164="+447700900123", subscription__product=ProductFactory(line=True))
    filtered = client.get(url, {"product__kind__exact": "line"})
    assert filtered.status_code == 200
    assert line.e164 in filtered.content.decode()
    assert mine.e164 not in filtered.content.decode()


def _policy_form(product: Product, **changes) -> dict:
    data = {
        "name": product.name,
        "kind": product.kind,
        "addon_code": product.addon_code,
        "tier": product.tier,
        "price": product.price,
        "billing_period": product.billing_period,
        "is_active": "on",
        "cancel_channel": product.cancel_channel,
        "change_channel": product.change_channel,
        "cancel_min_role": product.cancel_min_role,
        "manage_min_role": product.manage_min_role,
        "minimum_quantity": product.minimum_quantity,
        "cancellation_fee": product.cancellation_fee,
        "reactivation_hold_days": product.reactivation_hold_days,
        "changeable_to": [],
    }
    data.update(changes)
    return data


def test_staff_change_a_policy_without_a_deploy_and_it_is_audited(client, staff):
    product = ProductFactory(call_insights=True, name="Call Insights Professional")
    bigger = ProductFactory(call_insights=True, tier=3)
    client.force_login(staff)
    response = client.post(
        reverse("admin:subscriptions_product_change", args=[product.pk]),
        _policy_form(product, cancellation_fee="15.00", changeable_to=[bigger.pk]),
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert str(product.cancellation_fee) == "15.00"
    assert list(product.changeable_to.all()) == [bigger]
    event = AuditEvent.objects.get(action="admin.product_changed")
    assert event.organization is None
    assert event.after["cancellation_fee"] == "15.00"


def test_a_plan_changes_only_to_plans_of_its_kind(client, staff):
    product = ProductFactory(call_insights=True)
    jetpack = ProductFactory(jetpack=True, name="Jetpack Boost")
    client.force_login(staff)
    response = client.post(
        reverse("admin:subscriptions_product_change", args=[product.pk]),
        _policy_form(product, changeable_to=[jetpack.pk, product.pk]),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["changeable_to"]
    assert any("Jetpack Boost" in error for error in errors)
    assert any("itself" in error for error in errors)
    assert not product.changeable_to.exists()


def test_inline_changes_are_audited_with_the_organization(client, staff, organization):
    number = PhoneNumberFactory(subscription__organization=organization)
    blocked = BlockedNumberFactory(phone_number=number)
    client.force_login(staff)
    response = client.post(
        reverse("admin:subscriptions_phonenumber_change", args=[number.pk]),
        {
            "subscription": number.subscription.pk,
            "e164": number.e164,
            "country": "US",
            "number_type": "local",
            "inbound_recording": "on",
            "calling_mode": "voice",
            "blocked-TOTAL_FORMS": "2",
            "blocked-INITIAL_FORMS": "1",
            "blocked-MIN_NUM_FORMS": "0",
            "blocked-MAX_NUM_FORMS": "1000",
            "blocked-0-id": blocked.pk,
            "blocked-0-phone_number": number.pk,
            "blocked-0-e164": blocked.e164,
            "blocked-0-DELETE": "on",
            "blocked-1-phone_number": number.pk,
            "blocked-1-e164": "+12125550999",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    events = {e.action: e for e in AuditEvent.objects.filter(organization=organization)}
    assert set(events) == {
        "admin.phonenumber_changed",
        "admin.blockednumber_added",
        "admin.blockednumber_deleted",
    }
    assert events["admin.blockednumber_deleted"].target_id == str(blocked.pk)
    assert list(number.blocked.values_list("e164", flat=True)) == ["+12125550999"]


def subscription_form(organization, product, *, term_start, term_end, addons=(), **fields):
    """The admin's subscription form as the browser posts it: no phone number, and one
    add-on form (with a product and a state) per dict in `addons`."""
    form = {
        "organization": organization.pk,
        "product": product.pk,
        "label": "",
        "state": "active",
        "quantity": 1,
        "term_start": term_start,
        "term_end": term_end,
        "usage_credits": "0",
        "purchase_channel": "portal",
        "phone_number-TOTAL_FORMS": "0",
        "phone_number-INITIAL_FORMS": "0",
        "phone_number-MIN_NUM_FORMS": "0",
        "phone_number-MAX_NUM_FORMS": "1",
        "addons-TOTAL_FORMS": str(len(addons)),
        "addons-INITIAL_FORMS": "0",
        "addons-MIN_NUM_FORMS": "0",
        "addons-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for i, addon in enumerate(addons):
        values = {"state": "active", "term_start": term_start, "term_end": term_end, **addon}
        form.update({f"addons-{i}-{name}": value for name, value in values.items()})
    return form


def test_a_subscription_saved_in_admin_is_audited_in_its_organization(client, staff, organization):
    subscription = SubscriptionFactory(organization=organization, label="Old name")
    client.force_login(staff)
    url = reverse("admin:subscriptions_subscription_change", args=[subscription.pk])
    response = client.post(
        url,
        subscription_form(
            organization,
            subscription.product,
            term_start=subscription.term_start.isoformat(),
            term_end=subscription.term_end.isoformat(),
            label="New name",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="admin.subscription_changed")
    assert event.organization == organization
    assert event.after == {"label": "New name"}


def test_i6_an_add_on_added_to_a_line_in_admin_takes_its_organization(client, staff, organization):
    line = SubscriptionFactory(organization=organization, product=ProductFactory(line=True))
    client.force_login(staff)
    url = reverse("admin:subscriptions_subscription_change", args=[line.pk])

    def form(addon_product):
        return subscription_form(
            organization,
            line.product,
            term_start=line.term_start.isoformat(),
            term_end=line.term_end.isoformat(),
            addons=[{"parent": line.pk, "product": addon_product.pk}],
        )

    # A product that is not an add-on is refused, and nothing is saved.
    response = client.post(url, form(ProductFactory(line=True)))
    assert response.status_code == 200
    assert "Only an add-on belongs to a line" in response.content.decode()
    assert not line.addons.exists()
    text_archive = ProductFactory(text_archive=True)
    response = client.post(url, form(text_archive))
    assert response.status_code == 302, response.content.decode()[:3000]
    addon = line.addons.get()
    assert (addon.product, addon.organization) == (text_archive, organization)


def test_i6_a_new_line_and_its_add_on_are_saved_in_one_admin_form(client, staff, organization):
    line_product, text_archive = ProductFactory(line=True), ProductFactory(text_archive=True)
    client.force_login(staff)
    response = client.post(
        reverse("admin:subscriptions_subscription_add"),
        subscription_form(
            organization,
            line_product,
            term_start="2026-11-01",
            term_end="2027-10-31",
            addons=[{"product": text_archive.pk}],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    line = Subscription.objects.get(product=line_product)
    addon = line.addons.get()
    assert (addon.product, addon.organization) == (text_archive, organization)


def test_i6_only_a_lines_admin_page_offers_add_ons(client, staff, organization):
    client.force_login(staff)
    number = SubscriptionFactory(organization=organization)
    line = SubscriptionFactory(organization=organization, product=ProductFactory(line=True))
    for subscription, offered in ((number, False), (line, True)):
        url = reverse("admin:subscriptions_subscription_change", args=[subscription.pk])
        assert ('name="addons-TOTAL_FORMS"' in client.get(url).content.decode()) is offered


def test_a_number_carries_its_subscriptions_organization(
    client, staff, organization, other_organization
):
    number = PhoneNumberFactory(subscription__organization=organization)
    subscription = number.subscription
    client.force_login(staff)
    # Staff move the subscription to another organization: its number follows.
    response = client.post(
        reverse("admin:subscriptions_subscription_change", args=[subscription.pk]),
        subscription_form(
            other_organization,
            subscription.product,
            term_start=subscription.term_start.isoformat(),
            term_end=subscription.term_end.isoformat(),
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    number.refresh_from_db()
    assert number.organization == other_organization
    # A number staff give to a subscription takes the subscription's organization.
    trunkless = SubscriptionFactory(organization=organization)
    response = client.post(
        reverse("admin:subscriptions_phonenumber_add"),
        {
            "subscription": trunkless.pk,
            "e164": "+14155550999",
            "country": "US",
            "number_type": "local",
            "calling_mode": "data",
            "blocked-TOTAL_FORMS": "0",
            "blocked-INITIAL_FORMS": "0",
            "blocked-MIN_NUM_FORMS": "0",
            "blocked-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert PhoneNumber.objects.get(e164="+14155550999").organization == organization


def test_staff_see_the_spare_number_stock_per_country_and_a_warning_for_low_ones(
    client, staff, organization, settings
):
    settings.SPARE_NUMBERS_LOW_BELOW = 3
    today = timezone.localdate()
    for index in range(4):
        SpareNumber.objects.create(e164=f"+1415555090{index}", country="US")
    SpareNumber.objects.create(e164="+442071230901", country="GB")
    SpareNumber.objects.create(
        e164="+442071230902", country="GB", available_from=today + timedelta(days=30)
    )
    # Numbers in service in France, none free: an empty stock is a low one.
    PhoneNumberFactory(e164="+33142685300", country="FR", subscription__organization=organization)
    client.force_login(staff)
    response = client.get(reverse("admin:subscriptions_sparenumber_changelist"))
    assert response.status_code == 200
    stock = {
        level.country: (level.free, level.held, level.low) for level in response.context["stock"]
    }
    assert stock["US"] == (4, 0, False)
    assert stock["GB"] == (1, 1, True)
    assert stock["FR"] == (0, 0, True)
    page = response.content.decode()
    assert "Stock by country" in page
    assert "Fewer than 3 free numbers in FR (0 free), GB (1 free)" in page
