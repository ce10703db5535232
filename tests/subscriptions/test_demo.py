"""The demo catalog and subscriptions: complete, idempotent, and seeded from the rules."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Membership, Organization
from subscriptions.models import PhoneNumber, Product, Subscription
from subscriptions.policy import Action, Channel
from subscriptions.selectors import decision_for, policy_facts_from

pytestmark = pytest.mark.django_db


def seed() -> None:
    call_command("seed_demo", "--force", stdout=io.StringIO())


def snapshot() -> dict:
    return {
        "products": list(Product.objects.order_by("name").values()),
        "changeable_to": sorted(
            Product.changeable_to.through.objects.values_list("from_product", "to_product")
        ),
        "subscriptions": list(Subscription.objects.order_by("pk").values()),
        "numbers": list(PhoneNumber.objects.order_by("pk").values()),
    }


@pytest.fixture
def demo(db):
    seed()
    return {
        "acme": Organization.objects.get(account_id="AC-100234"),
        "lee": Organization.objects.get(account_id="AC-100871"),
    }


def decide_as(email: str, subscription: Subscription, action: Action, **kwargs):
    membership = Membership.objects.select_related("organization").get(
        user__email=email, organization=subscription.organization
    )
    return decision_for(
        subscription=Subscription.objects.with_page_relations().get(pk=subscription.pk),
        membership=membership,
        action=action,
        today=timezone.localdate(),
        **kwargs,
    )


def test_seeding_twice_changes_nothing(demo):
    before = snapshot()
    seed()
    assert snapshot() == before


def test_what_demo_users_changed_survives_a_second_seed(demo):
    acme = demo["acme"]
    insights = Subscription.objects.for_organization(acme).of_kind("call_insights").get()
    insights.product = Product.objects.get(name="Call Insights Enterprise")
    insights.save()
    number = Subscription.objects.get(phone_number__e164="+12125550147")
    number.state = Subscription.State.CANCELS_AT_TERM_END
    number.save()
    seed()
    assert Subscription.objects.for_organization(acme).of_kind("call_insights").count() == 1
    number.refresh_from_db()
    assert number.state == Subscription.State.CANCELS_AT_TERM_END


def test_the_catalog_has_every_kind_and_the_tiers(demo):
    assert set(Product.objects.values_list("kind", flat=True)) == set(Product.Kind.values)
    for kind, tiers in (("call_insights", 3), ("number_testing", 3), ("jetpack", 3)):
        products = Product.objects.filter(kind=kind)
        assert sorted(p.tier for p in products) == list(range(1, tiers + 1))
        for product in products:
            assert {o.kind for o in product.changeable_to.all()} == {kind}
            assert product.changeable_to.count() == tiers - 1
    assert set(Product.objects.filter(kind="addon").values_list("addon_code", flat=True)) == {
        "text_archive",
        "call_recording",
    }


def test_acme_holds_the_business_voip_side(demo):
    acme = Subscription.objects.for_organization(demo["acme"])
    numbers = PhoneNumber.objects.filter(subscription__organization=demo["acme"])
    assert numbers.count() == 12
    assert {"US", "GB", "DE"} <= set(numbers.values_list("country", flat=True))
    assert numbers.filter(inbound_recording=True).exists()
    assert numbers.filter(subscription__assigned_to__email="agent@acme.example").exists()
    licenses = acme.of_kind("user_license")
    assert licenses.count() == 12
    assert set(licenses.exclude(assigned_to=None).values_list("assigned_to__email", flat=True)) == {
        "owner@acme.example",
        "admin@acme.example",
        "agent@acme.example",
    }
    assert licenses.filter(assigned_to=None).exists()
    assert list(acme.of_kind("contact_center_license").values_list("quantity", flat=True)) == [5]
    trunks = acme.of_kind("sip_trunk")
    assert trunks.count() == 3
    assert trunks.filter(is_initial_ucaas_trunk=True).count() == 1
    assert acme.of_kind("call_insights").get().product.tier == 2
    assert acme.of_kind("number_testing").exists()
    assert acme.of_kind("jetpack").exists()
    assert acme.ending_soon(timezone.localdate()).exists()


def test_jordan_lee_holds_the_second_line_side(demo):
    lines = Subscription.objects.for_organization(demo["lee"]).of_kind("line")
    assert lines.count() == 2
    from_app_store = lines.get(purchase_channel="app_store")
    with_addons = lines.get(purchase_channel="portal")
    assert from_app_store.addons.count() == 0
    assert {a.product.addon_code for a in with_addons.addons.all()} == {
        "text_archive",
        "call_recording",
    }
    assert with_addons.usage_credits > 0
    assert {line.assigned_to.email for line in lines} == {"jordan@lee.example"}


def test_the_seeded_policies_decide_as_the_rules_say(demo):
    acme = Subscription.objects.for_organization(demo["acme"])
    seat = acme.of_kind("user_license").first()
    refused = decide_as("admin@acme.example", seat, Action.CANCEL)
    assert not refused.allowed and "A5" in refused.rule
    assert "Olivia Owens" in refused.reason
    assert decide_as("owner@acme.example", seat, Action.CANCEL).channel is Channel.SUPPORT_CASE
    number = Subscription.objects.get(phone_number__e164="+14155550123")
    assert decide_as("admin@acme.example", number, Action.CANCEL).rule == ("A2",)
    initial = acme.get(is_initial_ucaas_trunk=True)
    assert decide_as("admin@acme.example", initial, Action.DELETE).channel is Channel.SUPPORT_CASE
    other_trunk = acme.of_kind("sip_trunk").filter(is_initial_ucaas_trunk=False).first()
    assert decide_as("admin@acme.example", other_trunk, Action.DELETE).channel is Channel.NOW
    jetpack = decide_as("admin@acme.example", acme.of_kind("jetpack").get(), Action.CANCEL)
    assert jetpack.channel is Channel.ACCOUNT_MANAGER and "Sam Staff" in jetpack.reason
    insights = acme.of_kind("call_insights").get()
    assert decide_as("admin@acme.example", insights, Action.CANCEL).channel is Channel.TERM_END
    desk = acme.of_kind("contact_center_license").get()
    assert not decide_as("owner@acme.example", desk, Action.CANCEL, requested_quantity=2).allowed
    cancelled = Subscription.objects.get(phone_number__e164="+35315550123")
    assert decide_as("admin@acme.example", cancelled, Action.REACTIVATE).allowed

    lines = Subscription.objects.for_organization(demo["lee"]).of_kind("line")
    app_store_line = decide_as(
        "jordan@lee.example", lines.get(purchase_channel="app_store"), Action.CANCEL
    )
    assert app_store_line.allowed and "I9" in app_store_line.rule
    line = lines.get(purchase_channel="portal")
    blocked = decide_as("jordan@lee.example", line, Action.CANCEL)
    assert set(blocked.addons_to_cancel_first) == {"Text Archive", "Call Recording"}
    addon = decide_as("jordan@lee.example", line.addons.first(), Action.CANCEL)
    assert addon.channel is Channel.TERM_END


def test_the_seeded_policies_are_those_the_rule_table_proves(demo):
    from tests.subscriptions.test_policy import POLICIES

    compared = (
        "kind",
        "cancel_channel",
        "change_channel",
        "cancel_min_role",
        "manage_min_role",
        "minimum_quantity",
        "cancellation_fee",
        "cancel_irreversible",
        "reactivation_hold_days",
    )
    for product in Product.objects.prefetch_related("changeable_to"):
        seeded = policy_facts_from(product=product)
        proven = POLICIES[product.kind]
        assert [getattr(seeded, f) for f in compared] == [getattr(proven, f) for f in compared], (
            product.name
        )
