"""Demo catalog and subscriptions for the two demo organizations; safe to run again.

`seed_subscriptions(users=...)` is called by `manage.py seed_demo` after the users
and organizations exist. Everything is keyed on stable values (product names,
phone numbers, subscription labels) and only created when missing, so a second run
changes nothing, and what a demo user changed (a cancellation, a switch) stays.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, Role, User
from subscriptions.models import PhoneNumber, Product, SpareNumber, Subscription

Kind = Product.Kind
Cancel = Product.CancelChannel
Change = Product.ChangeChannel
TIERED_KINDS = (Kind.CALL_INSIGHTS, Kind.NUMBER_TESTING, Kind.JETPACK)


@dataclass(frozen=True)
class Policy:
    """A product family's policy, seeded from the rule it comes from (PRODUCT.md)."""

    cancel_channel: str
    change_channel: str = Change.NONE
    cancel_min_role: str = Role.ADMIN
    manage_min_role: str = Role.ADMIN
    minimum_quantity: int = 1
    cancel_irreversible: bool = False
    reactivation_hold_days: int = 30


# A2: numbers are cancelled by a Cancellation Request; a new number is arranged the same way.
NUMBER_POLICY = Policy(Cancel.SUPPORT_CASE, Change.SUPPORT_CASE)
# I4/I5: Cancel Line is self-service, immediate and irreversible; I1: a Member manages
# their own line's settings and number.
LINE_POLICY = Policy(
    Cancel.NOW, Change.PORTAL, manage_min_role=Role.MEMBER, cancel_irreversible=True
)
# A2 + A5: a license goes by a Cancellation Request, and only Super Admins may ask.
LICENSE_POLICY = Policy(Cancel.SUPPORT_CASE, cancel_min_role=Role.SUPER_ADMIN)
# A11 (+ A5): a support case, and never fewer than three.
CONTACT_CENTER_POLICY = Policy(
    Cancel.SUPPORT_CASE,
    Change.SUPPORT_CASE,
    cancel_min_role=Role.SUPER_ADMIN,
    minimum_quantity=3,
)
# A6: the Delete button; a deleted trunk is ordered again, not reactivated.
TRUNK_POLICY = Policy(Cancel.NOW, reactivation_hold_days=0)
# A9/A10 + I3: cancel at the term end, change tiers in the portal.
PORTAL_PLAN_POLICY = Policy(Cancel.TERM_END, Change.PORTAL)
# A12: the account manager quotes every change.
JETPACK_POLICY = Policy(Cancel.ACCOUNT_MANAGER, Change.ACCOUNT_MANAGER)
# I7 + I3: each add-on is cancelled on its own, at the end of its term.
ADDON_POLICY = Policy(Cancel.TERM_END)


@dataclass(frozen=True)
class Item:
    name: str
    kind: str
    price: str
    policy: Policy
    tier: int = 1
    billing_period: str = Product.BillingPeriod.MONTHLY
    addon_code: str = ""


CATALOG = (
    Item("Local business number", Kind.BUSINESS_NUMBER, "6.00", NUMBER_POLICY),
    Item("Toll-free business number", Kind.BUSINESS_NUMBER, "12.00", NUMBER_POLICY),
    Item("Second line", Kind.LINE, "9.99", LINE_POLICY),
    Item(
        "Second line (annual)",
        Kind.LINE,
        "99.00",
        LINE_POLICY,
        billing_period=Product.BillingPeriod.ANNUAL,
    ),
    Item("User license", Kind.USER_LICENSE, "25.00", LICENSE_POLICY),
    Item("Contact-center license", Kind.CONTACT_CENTER_LICENSE, "45.00", CONTACT_CENTER_POLICY),
    Item("SIP trunk", Kind.SIP_TRUNK, "15.00", TRUNK_POLICY),
    Item("Call Insights Essentials", Kind.CALL_INSIGHTS, "49.00", PORTAL_PLAN_POLICY, 1),
    Item("Call Insights Professional", Kind.CALL_INSIGHTS, "99.00", PORTAL_PLAN_POLICY, 2),
    Item("Call Insights Enterprise", Kind.CALL_INSIGHTS, "199.00", PORTAL_PLAN_POLICY, 3),
    Item("Number Testing Starter", Kind.NUMBER_TESTING, "29.00", PORTAL_PLAN_POLICY, 1),
    Item("Number Testing Standard", Kind.NUMBER_TESTING, "79.00", PORTAL_PLAN_POLICY, 2),
    Item("Number Testing Premium", Kind.NUMBER_TESTING, "149.00", PORTAL_PLAN_POLICY, 3),
    Item("Jetpack Boost", Kind.JETPACK, "299.00", JETPACK_POLICY, 1),
    Item("Jetpack Surge", Kind.JETPACK, "599.00", JETPACK_POLICY, 2),
    Item("Jetpack Orbit", Kind.JETPACK, "999.00", JETPACK_POLICY, 3),
    Item(
        "Text Archive", Kind.ADDON, "4.99", ADDON_POLICY, addon_code=Product.AddonCode.TEXT_ARCHIVE
    ),
    Item(
        "Call Recording",
        Kind.ADDON,
        "6.99",
        ADDON_POLICY,
        addon_code=Product.AddonCode.CALL_RECORDING,
    ),
)

# Acme's business numbers: e164, country, type, records inbound calls, assigned to the agent,
# state. Fictional ranges where the country has one (555-01xx, Ofcom's drama numbers, ...).
ACME_NUMBERS = (
    ("+14155550123", "US", PhoneNumber.NumberType.LOCAL, True, True, "active"),
    ("+12125550147", "US", PhoneNumber.NumberType.LOCAL, False, False, "active"),
    ("+18005550199", "US", PhoneNumber.NumberType.TOLL_FREE, True, False, "active"),
    ("+16135550142", "CA", PhoneNumber.NumberType.LOCAL, False, False, "active"),
    ("+442079460321", "GB", PhoneNumber.NumberType.LOCAL, False, True, "active"),
    ("+441632960111", "GB", PhoneNumber.NumberType.LOCAL, True, False, "active"),
    ("+493090182011", "DE", PhoneNumber.NumberType.LOCAL, True, False, "active"),
    ("+33199001234", "FR", PhoneNumber.NumberType.LOCAL, False, True, "active"),
    ("+31201234567", "NL", PhoneNumber.NumberType.LOCAL, False, False, "suspended"),
    ("+61255501234", "AU", PhoneNumber.NumberType.LOCAL, False, False, "active"),
    ("+61491570156", "AU", PhoneNumber.NumberType.MOBILE, False, False, "active"),
    ("+35315550123", "IE", PhoneNumber.NumberType.LOCAL, False, False, "cancelled"),
)


@transaction.atomic
def seed_subscriptions(users: dict[str, User]) -> None:
    """Create the catalog and the demo organizations' subscriptions where missing."""
    products = _seed_catalog()
    today = timezone.localdate()
    acme = Organization.objects.get(account_id="AC-100234")
    lee = Organization.objects.get(account_id="AC-100871")
    _seed_acme(acme, products=products, users=users, today=today)
    _seed_lee(lee, products=products, users=users, today=today)
    _seed_spare_numbers(today=today)


def _seed_catalog() -> dict[str, Product]:
    products: dict[str, Product] = {}
    created_names: set[str] = set()
    for item in CATALOG:
        product, created = Product.objects.get_or_create(
            name=item.name,
            defaults={
                "kind": item.kind,
                "addon_code": item.addon_code,
                "tier": item.tier,
                "price": Decimal(item.price),
                "billing_period": item.billing_period,
                "cancel_channel": item.policy.cancel_channel,
                "change_channel": item.policy.change_channel,
                "cancel_min_role": item.policy.cancel_min_role,
                "manage_min_role": item.policy.manage_min_role,
                "minimum_quantity": item.policy.minimum_quantity,
                "cancel_irreversible": item.policy.cancel_irreversible,
                "reactivation_hold_days": item.policy.reactivation_hold_days,
            },
        )
        products[item.name] = product
        if created:
            created_names.add(item.name)
    # Tiers change between each other; set only on creation so staff edits survive a re-run.
    for item in CATALOG:
        if item.kind in TIERED_KINDS and item.name in created_names:
            siblings = [
                products[other.name]
                for other in CATALOG
                if other.kind == item.kind and other.name != item.name
            ]
            products[item.name].changeable_to.set(siblings)
    return products


def _term(today: date, *, product: Product, offset: int) -> dict:
    """A current term that started `offset` days ago (monthly or annual)."""
    start = today - timedelta(days=offset)
    length = 365 if product.billing_period == Product.BillingPeriod.ANNUAL else 30
    return {"term_start": start, "term_end": start + timedelta(days=length)}


def _labelled(
    organization: Organization, *, product: Product, label: str, today: date, offset: int, **extra
) -> Subscription:
    subscription, _ = Subscription.objects.get_or_create(
        organization=organization,
        product=product,
        label=label,
        defaults={**_term(today, product=product, offset=offset), **extra},
    )
    return subscription


def _plan(organization: Organization, *, product: Product, today: date, offset: int) -> None:
    if not Subscription.objects.filter(
        organization=organization, product__kind=product.kind
    ).exists():
        Subscription.objects.create(
            organization=organization,
            product=product,
            **_term(today, product=product, offset=offset),
        )


def _numbered(
    organization: Organization,
    *,
    product: Product,
    e164: str,
    country: str,
    number_type: str,
    today: date,
    offset: int,
    inbound_recording: bool = False,
    calling_mode: str = PhoneNumber.CallingMode.VOICE,
    **extra,
) -> Subscription:
    existing = PhoneNumber.objects.select_related("subscription").filter(e164=e164).first()
    if existing is not None:
        return existing.subscription
    if extra.get("state") == Subscription.State.CANCELLED:
        extra.setdefault("cancelled_at", timezone.now() - timedelta(days=10))
    subscription = Subscription.objects.create(
        organization=organization,
        product=product,
        **_term(today, product=product, offset=offset),
        **extra,
    )
    PhoneNumber.objects.create(
        subscription=subscription,
        organization=organization,
        e164=e164,
        country=country,
        number_type=number_type,
        inbound_recording=inbound_recording,
        calling_mode=calling_mode,
    )
    return subscription


def _seed_acme(
    acme: Organization, *, products: dict[str, Product], users: dict[str, User], today: date
) -> None:
    agent = users["agent@acme.example"]
    for index, (e164, country, number_type, recording, for_agent, state) in enumerate(ACME_NUMBERS):
        toll_free = number_type == PhoneNumber.NumberType.TOLL_FREE
        _numbered(
            acme,
            product=products["Toll-free business number" if toll_free else "Local business number"],
            e164=e164,
            country=country,
            number_type=number_type,
            today=today,
            # Spread the terms so some end within the month (the dashboard's "ending soon").
            offset=3 + index * 2,
            inbound_recording=recording,
            assigned_to=agent if for_agent else None,
            state=state,
        )

    seat_holders = [
        users["owner@acme.example"],
        users["admin@acme.example"],
        agent,
    ]
    for seat in range(1, 13):
        _labelled(
            acme,
            product=products["User license"],
            label=f"Seat {seat:02d}",
            today=today,
            offset=12,
            assigned_to=seat_holders[seat - 1] if seat <= len(seat_holders) else None,
        )
    _labelled(
        acme,
        product=products["Contact-center license"],
        label="Support desk",
        today=today,
        offset=8,
        quantity=5,
    )
    _labelled(
        acme,
        product=products["SIP trunk"],
        label="UCaaS primary",
        today=today,
        offset=20,
        is_initial_ucaas_trunk=True,
    )
    _labelled(acme, product=products["SIP trunk"], label="EU West", today=today, offset=5)
    _labelled(acme, product=products["SIP trunk"], label="US East", today=today, offset=14)
    # One plan of each tiered kind, found by kind: an upgrade made in the demo is kept.
    _plan(acme, product=products["Call Insights Professional"], today=today, offset=25)
    _plan(acme, product=products["Number Testing Starter"], today=today, offset=2)
    _plan(acme, product=products["Jetpack Boost"], today=today, offset=16)


def _seed_lee(
    lee: Organization, *, products: dict[str, Product], users: dict[str, User], today: date
) -> None:
    jordan = users["jordan@lee.example"]
    # I8/I9: this line's plan was bought in the App Store.
    _numbered(
        lee,
        product=products["Second line (annual)"],
        e164="+14155550177",
        country="US",
        number_type=PhoneNumber.NumberType.MOBILE,
        today=today,
        offset=40,
        calling_mode=PhoneNumber.CallingMode.DATA,
        purchase_channel=Subscription.PurchaseChannel.APP_STORE,
        assigned_to=jordan,
    )
    # I6: both add-ons on this one, so Cancel Line waits for them.
    line = _numbered(
        lee,
        product=products["Second line"],
        e164="+447700900123",
        country="GB",
        number_type=PhoneNumber.NumberType.MOBILE,
        today=today,
        offset=9,
        calling_mode=PhoneNumber.CallingMode.DATA,
        assigned_to=jordan,
        usage_credits=Decimal("12.50"),
    )
    for name in ("Text Archive", "Call Recording"):
        product = products[name]
        Subscription.objects.get_or_create(
            organization=lee,
            product=product,
            parent=line,
            defaults=_term(today, product=product, offset=9),
        )


# Free numbers a line can change to (staff keep this stock in admin).
SPARE_NUMBERS = [
    ("+14155550190", "US", PhoneNumber.NumberType.LOCAL),
    ("+14155550191", "US", PhoneNumber.NumberType.LOCAL),
    ("+12125550192", "US", PhoneNumber.NumberType.LOCAL),
    ("+447700900190", "GB", PhoneNumber.NumberType.MOBILE),
    ("+447700900191", "GB", PhoneNumber.NumberType.MOBILE),
    ("+442079460190", "GB", PhoneNumber.NumberType.LOCAL),
]


def _seed_spare_numbers(*, today: date) -> None:
    for e164, country, number_type in SPARE_NUMBERS:
        if PhoneNumber.objects.filter(e164=e164).exists():
            continue  # a demo line took it already
        SpareNumber.objects.get_or_create(
            e164=e164,
            defaults={"country": country, "number_type": number_type, "available_from": today},
        )
