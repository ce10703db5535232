"""Reads that feed the policy engine: models in, plain facts and decisions out.

Pages build one `DecisionContext` per request with `page_decision_context(...)` (kept
in the cache until the organization or the catalog changes; `decision_context(...)`
reads it fresh with three queries, as services do), load subscriptions with
`Subscription.objects.with_page_relations(products=context.products)` and the add-ons
of the lines among them with `prefetch_line_addons`, then call `decisions_for(...)` per
row: with those relations loaded it runs no query at all, so a page's query count does
not grow with its rows.
Services call `decision_for(...)` again on the locked row before they write.

Public names (kept stable for the pages): `DecisionContext`, `decision_context`,
`page_decision_context`, `policy_facts_from`, `subscription_facts_from`, `plan_option`,
`decision_for`, `decisions_for`, `outbound_recording_decision`.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from accounts.models import Membership, Organization
from portal import org_cache
from portal.org_cache import Topic
from subscriptions.models import Product, Subscription
from subscriptions.policy import (
    Action,
    AddonFacts,
    Decision,
    PlanOption,
    PolicyFacts,
    Setting,
    SubscriptionFacts,
    decide,
    decide_outbound_recording,
)


@dataclass(frozen=True)
class DecisionContext:
    """What every row of a page shares: the people a reason may name, the catalog's
    products by id (`products`, for `SubscriptionQuerySet.with_page_relations`), and the
    plans each product may change to (`plan_options[product_id]`, smallest tier first)."""

    super_admin_names: tuple[str, ...] = ()
    account_manager_name: str = ""
    support_email: str = ""
    plan_options: dict[int, tuple[PlanOption, ...]] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)


def decision_context(*, organization: Organization) -> DecisionContext:
    """The organization's Super Admins and account manager, and the catalog with its plan
    options: three small queries, however many rows the page shows."""
    return _context_of(organization, *_people_and_catalog(organization))


def page_decision_context(*, organization: Organization) -> DecisionContext:
    """`decision_context`, for pages: its Super Admins and catalog are kept in the cache
    (`portal.org_cache`) until the organization's people or the catalog change, so a page reads
    the cache instead of three tables. Services decide again with a fresh
    `decision_context` on the locked row, and views that write call one (`take_fix`):
    what a page kept never decides a change."""
    return _context_of(
        organization,
        *org_cache.kept(
            organization.pk,
            "decision-context",
            lambda: _people_and_catalog(organization),
            depends_on=[Topic.PEOPLE],  # and the catalog, whose changes mark every topic
        ),
    )


def _people_and_catalog(organization: Organization):
    # Only the two columns a reason names: no model instances to build for them.
    super_admin_names = tuple(
        full_name or email
        for full_name, email in Membership.objects.super_admins()
        .filter(organization_id=organization.pk)
        .order_by("user__full_name", "user__email")
        .values_list("user__full_name", "user__email")
    )
    # The catalog is small (tens of products): read whole, it gives every row its product
    # and every product its plan options, instead of joins and a query per row.
    products = {product.pk: product for product in Product.objects.order_by()}
    options: dict[int, list[PlanOption]] = defaultdict(list)
    for from_id, to_id in Product.changeable_to.through.objects.values_list(
        "from_product_id", "to_product_id"
    ):
        if to_id in products:  # else added after the catalog was read: offered next time
            options[from_id].append(plan_option(product=products[to_id]))
    plan_options = {pk: _smallest_first(plans) for pk, plans in options.items()}
    return super_admin_names, products, plan_options


def _context_of(organization: Organization, super_admin_names, products, plan_options):
    # Every page's membership query selects the account manager with the organization.
    manager = organization.account_manager
    return DecisionContext(
        super_admin_names=super_admin_names,
        account_manager_name=(manager.full_name or manager.email) if manager else "",
        support_email=organization.contact_email,
        plan_options=plan_options,
        products=products,
    )


def _smallest_first(plans) -> tuple[PlanOption, ...]:
    return tuple(sorted(plans, key=lambda plan: (plan.tier, plan.name)))


def plan_option(*, product: Product) -> PlanOption:
    return PlanOption(product_id=product.pk, name=product.name, tier=product.tier)


def policy_facts_from(
    *, product: Product, plan_options: dict[int, tuple[PlanOption, ...]] | None = None
) -> PolicyFacts:
    """The product's policy as plain facts. Its plan options come from `plan_options`
    (a `DecisionContext`'s) when given, else from `product.changeable_to` (a query)."""
    if plan_options is not None:
        changeable_to = plan_options.get(product.pk, ())
    else:
        changeable_to = _smallest_first(
            plan_option(product=option) for option in product.changeable_to.all()
        )
    return PolicyFacts(
        product_name=product.name,
        kind=product.kind,
        cancel_channel=product.cancel_channel,
        change_channel=product.change_channel,
        cancel_min_role=product.cancel_min_role,
        manage_min_role=product.manage_min_role,
        minimum_quantity=product.minimum_quantity,
        cancellation_fee=product.cancellation_fee,
        cancel_irreversible=product.cancel_irreversible,
        reactivation_hold_days=product.reactivation_hold_days,
        tier=product.tier,
        product_id=product.pk,
        is_sellable=product.is_active,
        changeable_to=changeable_to,
    )


def _is_for(subscription: Subscription, membership: Membership) -> bool:
    # An add-on counts as the member's when its line is theirs (the Members' view of Plans).
    if subscription.assigned_to_id is not None:
        return subscription.assigned_to_id == membership.user_id
    parent = subscription.parent
    return parent is not None and parent.assigned_to_id == membership.user_id


def subscription_facts_from(
    *, subscription: Subscription, membership: Membership
) -> SubscriptionFacts:
    """The subscription as `membership` sees it. With `with_page_relations()` it reads
    only loaded relations (product, phone number, parent, scheduled plan, and a line's
    add-ons)."""
    number = subscription.number
    parent = subscription.parent if subscription.parent_id else None
    return SubscriptionFacts(
        id=subscription.pk,
        name=str(subscription),
        state=subscription.state,
        quantity=subscription.quantity,
        term_end=subscription.term_end,
        purchase_channel=subscription.purchase_channel,
        assigned_to_member=_is_for(subscription, membership),
        is_initial_ucaas_trunk=subscription.is_initial_ucaas_trunk,
        # Add-ons belong to lines (I6, `Subscription.clean`): nothing else has its read,
        # so pages of licenses or plans need not load them.
        addons=tuple(
            AddonFacts(id=addon.pk, name=addon.product.name, state=addon.state)
            for addon in subscription.line_addons
        ),
        number=number.e164 if number is not None else "",
        calling_mode=number.calling_mode if number is not None else "",
        usage_credits=subscription.usage_credits,
        cancelled_on=(
            timezone.localdate(subscription.cancelled_at) if subscription.cancelled_at else None
        ),
        cancelled_by_cancel_line=subscription.cancelled_by_cancel_line,
        scheduled_plan_name=(
            subscription.scheduled_product.name if subscription.scheduled_product_id else ""
        ),
        parent_live=parent is None or parent.is_live,
    )


def decision_for(
    *,
    subscription: Subscription,
    membership: Membership,
    action: Action,
    today: date,
    context: DecisionContext | None = None,
    requested_quantity: int | None = None,
    requested_plan: Product | None = None,
    setting: Setting | None = None,
) -> Decision:
    """The decision for one action; services call it again on the locked row."""
    return decisions_for(
        subscription=subscription,
        membership=membership,
        actions=(action,),
        today=today,
        context=context,
        requested_quantity=requested_quantity,
        requested_plan=requested_plan,
        setting=setting,
    )[Action(action)]


def decisions_for(
    *,
    subscription: Subscription,
    membership: Membership,
    actions: Iterable[Action],
    today: date,
    context: DecisionContext | None = None,
    requested_quantity: int | None = None,
    requested_plan: Product | None = None,
    setting: Setting | None = None,
) -> dict[Action, Decision]:
    """{action: Decision} for `membership` on `subscription`.

    Pass the page's `context` (from `page_decision_context`; services: from
    `decision_context`) to avoid reading it again per call. A membership of another
    organization gets refusals only; pages answer 404 before ever asking.
    """
    if context is None:
        context = decision_context(organization=membership.organization)
    role = membership.role if membership.organization_id == subscription.organization_id else ""
    policy = policy_facts_from(product=subscription.product, plan_options=context.plan_options)
    facts = subscription_facts_from(subscription=subscription, membership=membership)
    plan = plan_option(product=requested_plan) if requested_plan is not None else None
    return {
        Action(action): decide(
            role=role,
            policy=policy,
            subscription=facts,
            action=Action(action),
            today=today,
            requested_quantity=requested_quantity,
            requested_plan=plan,
            setting=setting,
            super_admin_names=context.super_admin_names,
            account_manager_name=context.account_manager_name,
            support_email=context.support_email,
        )
        for action in actions
    }


def outbound_recording_decision(*, membership: Membership) -> Decision:
    """A8: may this member switch outbound recording for the organization?"""
    return decide_outbound_recording(role=membership.role)
