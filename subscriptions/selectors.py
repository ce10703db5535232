"""Reads that feed the policy engine: models in, plain facts and decisions out.

Pages build one `DecisionContext` per request with `page_decision_context(...)` (cached
until the organization or the catalog changes; `decision_context(...)` reads it fresh,
as services do), load subscriptions with `Subscription.objects.with_page_relations()`
and the add-ons of the lines among them with `prefetch_line_addons`, then call
`decisions_for(...)` per row: with those relations loaded it runs no query at all, so a
page's query count does not grow with its rows. Services call `decision_for(...)` again
on the locked row before they write.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organization
from core.audit import AuditAction
from core.models import AuditEvent
from core.org_cache import cached
from core.paging import distinct_values
from subscriptions.models import (
    PhoneNumber,
    Product,
    SpareNumber,
    Subscription,
    SubscriptionQuerySet,
    prefetch_line_addons,
)
from subscriptions.policy import (
    NUMBER_KINDS,
    Action,
    AddonFacts,
    Channel,
    Decision,
    NumberChangeLimits,
    NumberChanges,
    PlanOption,
    PolicyFacts,
    Setting,
    SubscriptionFacts,
    decide,
    decide_outbound_recording,
)


@dataclass(frozen=True)
class DecisionContext:
    """What every row of a page shares: the people a reason may name, the plans each
    product may change to (`plan_options[product_id]`, smallest tier first), and where
    each product sits in the catalog (`catalog[product_id]`: its kind and tier)."""

    super_admin_names: tuple[str, ...] = ()
    account_manager_name: str = ""
    support_email: str = ""
    plan_options: dict[int, tuple[PlanOption, ...]] = field(default_factory=dict)
    catalog: dict[int, tuple[str, int]] = field(default_factory=dict)
    # The number changes of the period, by organization, read on first need: one query
    # for every row of a page, none for a page that does not offer Change number.
    _number_changes: dict = field(default_factory=dict, repr=False, compare=False)

    def product_ids(self, kinds) -> list[int]:
        """The catalog's products of `kinds`."""
        return [pk for pk, (kind, _tier) in self.catalog.items() if kind in kinds]

    def number_changes(self, subscription: Subscription) -> NumberChanges:
        """The number changes already made in the period, of `subscription`'s line and of
        its organization (`number_changes_made`)."""
        organization_id = subscription.organization_id
        if organization_id not in self._number_changes:
            self._number_changes[organization_id] = number_changes_made(
                organization_id=organization_id
            )
        limits, organization, by_line = self._number_changes[organization_id]
        return NumberChanges(
            limits=limits, line=by_line.get(str(subscription.pk), ()), organization=organization
        )


def decision_context(*, organization: Organization) -> DecisionContext:
    """The organization's Super Admins and account manager, and the catalog with its plan
    options: three small queries, however many rows the page shows."""
    return _context_of(organization, _people_and_plans(organization))


def page_decision_context(*, organization: Organization) -> DecisionContext:
    """`decision_context`, for pages: its Super Admins and plan options are cached until
    the organization or the catalog changes (`core.org_cache`). Services decide again
    with a fresh `decision_context` on the locked row: what a page cached never decides
    a change."""
    return _context_of(
        organization,
        cached(organization.pk, "decision-context", lambda: _people_and_plans(organization)),
    )


def _people_and_plans(organization: Organization) -> tuple:
    """Plain data: the Super Admins' names, {product id: ((id, name, tier), ...)} of the
    plans each may change to, and {product id: (kind, tier)}."""
    super_admin_names = tuple(
        full_name or email
        for full_name, email in Membership.objects.super_admins()
        .filter(organization_id=organization.pk)
        .order_by("user__full_name", "user__email")
        .values_list("user__full_name", "user__email")
    )
    options: dict[int, list[tuple]] = defaultdict(list)
    for from_id, to_id, name, tier in Product.changeable_to.through.objects.values_list(
        "from_product_id", "to_product_id", "to_product__name", "to_product__tier"
    ):
        options[from_id].append((to_id, name, tier))
    catalog = {
        pk: (kind, tier) for pk, kind, tier in Product.objects.values_list("pk", "kind", "tier")
    }
    return super_admin_names, dict(options), catalog


def _context_of(organization: Organization, people_and_plans: tuple) -> DecisionContext:
    super_admin_names, options, catalog = people_and_plans
    # Every page's membership query selects the account manager with the organization.
    manager = organization.account_manager
    return DecisionContext(
        super_admin_names=super_admin_names,
        account_manager_name=(manager.full_name or manager.email) if manager else "",
        support_email=organization.contact_email,
        plan_options={
            pk: _smallest_first(PlanOption(product_id=p, name=n, tier=t) for p, n, t in plans)
            for pk, plans in options.items()
        },
        catalog=catalog,
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


def number_change_limits() -> NumberChangeLimits:
    """How often numbers may change in the portal (settings `NUMBER_CHANGES_PER_LINE`,
    `NUMBER_CHANGES_PER_ORGANIZATION`, `NUMBER_CHANGE_PERIOD_DAYS`)."""
    return NumberChangeLimits(
        per_line=settings.NUMBER_CHANGES_PER_LINE,
        per_organization=settings.NUMBER_CHANGES_PER_ORGANIZATION,
        period_days=settings.NUMBER_CHANGE_PERIOD_DAYS,
    )


def number_changes_made(*, organization_id: int) -> tuple:
    """The limits, and the days of the number changes made in the portal within the period:
    the organization's, and {line's subscription id (text): its days}. The audit log records
    each change (append-only); read from its (organization, action) index in one query, of
    as many rows as the limits let through."""
    limits = number_change_limits()
    since = timezone.now() - timedelta(days=limits.period_days + 1)
    organization, by_line = [], defaultdict(list)
    for made_at, target_id in (
        AuditEvent.objects.filter(
            organization_id=organization_id,
            action=AuditAction.NUMBER_CHANGED,
            created_at__gte=since,
        )
        .order_by()
        .values_list("created_at", "target_id")
    ):
        day = timezone.localdate(made_at)
        organization.append(day)
        by_line[target_id].append(day)
    return limits, tuple(organization), {line: tuple(days) for line, days in by_line.items()}


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
    Deciding Change number of a number reads the changes already made, once per context
    (`DecisionContext.number_changes`).
    """
    if context is None:
        context = decision_context(organization=membership.organization)
    actions = tuple(Action(action) for action in actions)
    number_changes = None
    if Action.CHANGE_NUMBER in actions and subscription.product.kind in NUMBER_KINDS:
        number_changes = context.number_changes(subscription)
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
            number_changes=number_changes,
        )
        for action in actions
    }


def outbound_recording_decision(*, membership: Membership) -> Decision:
    """A8: may this member switch outbound recording for the organization?"""
    return decide_outbound_recording(role=membership.role)


# --- what the pages read ---------------------------------------------------------------

Kind = Product.Kind

# The actions each kind of row offers on list pages, in the order they are shown.
LIST_ACTIONS: dict[str, tuple[Action, ...]] = {
    Kind.BUSINESS_NUMBER: (Action.CANCEL, Action.KEEP, Action.REACTIVATE),
    Kind.LINE: (Action.CANCEL, Action.KEEP, Action.REACTIVATE),
    Kind.USER_LICENSE: (Action.CANCEL, Action.KEEP),
    Kind.CONTACT_CENTER_LICENSE: (Action.CHANGE_QUANTITY, Action.CANCEL, Action.KEEP),
    Kind.SIP_TRUNK: (Action.DELETE,),
    Kind.CALL_INSIGHTS: (Action.CHANGE_PLAN, Action.CANCEL, Action.KEEP),
    Kind.NUMBER_TESTING: (Action.CHANGE_PLAN, Action.CANCEL, Action.KEEP),
    Kind.JETPACK: (Action.CHANGE_PLAN, Action.CANCEL),
    Kind.ADDON: (Action.CANCEL, Action.KEEP, Action.REACTIVATE),
}
# A refusal is worth explaining for these; for the others (keep, reactivate...) a
# refusal only means "not applicable now", so the action is simply not offered.
EXPLAINED_WHEN_REFUSED = frozenset({Action.CANCEL, Action.DELETE, Action.CHANGE_QUANTITY})

# The page each kind of subscription lives on, with its name for "back to" links.
KIND_PAGES = {
    Kind.USER_LICENSE: ("licenses", "Licenses"),
    Kind.CONTACT_CENTER_LICENSE: ("licenses", "Licenses"),
    Kind.SIP_TRUNK: ("trunks", "SIP Trunks"),
    Kind.JETPACK: ("jetpacks", "Jetpacks"),
    Kind.CALL_INSIGHTS: ("call_insights", "Call Insights"),
    Kind.NUMBER_TESTING: ("number_testing", "Number Testing"),
}


# How a page carries out an allowed decision done in the portal: a page that previews it,
# or (for those with nothing to preview) a one-click POST.
_PAGES = {
    Action.CANCEL: ("subscription_cancel", ""),
    Action.DELETE: ("subscription_cancel", ""),
    Action.CHANGE_PLAN: ("change_plan", ""),
    Action.CHANGE_NUMBER: ("change_number", ""),
    Action.BLOCK_NUMBERS: ("number_detail", "#block-list"),
}
_POSTS = {Action.KEEP: "subscription_keep", Action.REACTIVATE: "subscription_reactivate"}


@dataclass(frozen=True)
class Shown:
    """A decision as a page shows it (`templates/subscriptions/decisions.html`): the
    decision, how it is carried out (`control`: "page" links to the page that previews
    it, "post" is a one-click form, "case" and "quote" link to the support case form
    that asks a person, "" shows its label only) at `url`, and its help article."""

    decision: Decision
    control: str
    url: str
    help_url: str


def shown(decisions, subscription: Subscription, help_urls: dict | None = None) -> tuple:
    """`decisions` of `subscription` as its page shows them. `help_urls` (one per help
    topic) is shared by the rows of a page."""
    help_urls = {} if help_urls is None else help_urls
    result = []
    for d in decisions:
        control, url = "", ""
        if d.allowed and d.channel in (Channel.NOW, Channel.TERM_END):
            if d.action in _PAGES:
                name, anchor = _PAGES[d.action]
                control, url = "page", reverse(name, args=[subscription.pk]) + anchor
            elif d.action in _POSTS:
                control, url = "post", reverse(_POSTS[d.action], args=[subscription.pk])
        elif d.allowed and d.channel in (Channel.SUPPORT_CASE, Channel.ACCOUNT_MANAGER):
            control = "case" if d.channel == Channel.SUPPORT_CASE else "quote"
            url = reverse("case_request", args=[subscription.pk, d.action])
        if d.help_topic not in help_urls:
            help_urls[d.help_topic] = reverse("help_article", args=[d.help_topic])
        result.append(Shown(d, control, url, help_urls[d.help_topic]))
    return tuple(result)


@dataclass(frozen=True)
class Row:
    """One subscription of a page with the decisions it shows (and `shown`, as shown)."""

    subscription: Subscription
    decisions: tuple[Decision, ...]
    shown: tuple[Shown, ...] = ()

    @property
    def allowed(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.allowed)

    @property
    def refused(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if not d.allowed)


def subscription_page(subscription: Subscription) -> tuple[str, str]:
    """The URL and name of the page where `subscription` lives in the portal."""
    kind = subscription.product.kind
    if kind in NUMBER_KINDS:
        number = subscription.number
        return reverse("number_detail", args=[subscription.pk]), (
            number.e164 if number else "Numbers"
        )
    if kind == Kind.ADDON and subscription.parent_id:
        return reverse("number_detail", args=[subscription.parent_id]), "its line"
    name, label = KIND_PAGES.get(kind, ("home", "Home"))
    return reverse(name), label


def visible_subscriptions(membership: Membership, kinds=None) -> SubscriptionQuerySet:
    """What `membership` may see, with what the pages and the engine read (a line's
    add-ons come after, with `prefetch_line_addons`)."""
    subscriptions = Subscription.objects.visible_to(membership).with_page_relations(kinds=kinds)
    if kinds:
        subscriptions = subscriptions.filter(product__kind__in=kinds)
    return subscriptions


def visible_subscription(membership: Membership, pk, kinds=None) -> Subscription:
    """One subscription this member may see, with what the engine reads (a line's add-ons
    included); 404 otherwise."""
    subscription = get_object_or_404(visible_subscriptions(membership, kinds), pk=pk)
    prefetch_line_addons([subscription])  # a line's add-ons; nothing else has any
    return subscription


def live_of_kinds(membership: Membership, kinds, context: DecisionContext) -> SubscriptionQuerySet:
    """The live subscriptions of `kinds` this member sees, in the catalog's order (kind,
    then tier), then by label.

    The products are given by their ids, not by a join on their kind: the planner then
    sees from its statistics that an organization's 10,000 numbers are not its one Call
    Insights plan, and reads that plan by the (organization, product, label) index
    instead of hashing every subscription. The order by kind and tier is written with
    the same ids, and left out where the products share one place (Licenses' one
    license product, most often), so that the index serves the page in order."""
    products = context.product_ids(kinds)
    places = sorted({context.catalog[pk] for pk in products})
    order = []
    if len(places) > 1:
        order.append(
            Case(
                *(
                    When(
                        product_id__in=[pk for pk in products if context.catalog[pk] == place],
                        then=Value(rank),
                    )
                    for rank, place in enumerate(places)
                ),
                default=Value(len(places)),  # a product added since the catalog was read
                output_field=IntegerField(),
            )
        )
    return (
        Subscription.objects.visible_to(membership)
        .with_page_relations(kinds=kinds)
        .filter(product_id__in=products)
        .live()
        .order_by(*order, "label", "id")
    )


def rows_for(
    subscriptions,
    *,
    membership: Membership,
    context: DecisionContext,
    actions: Iterable[Action] | None = None,
) -> list[Row]:
    """Each subscription with the decisions its page shows (`actions`, else its kind's
    list actions): what is allowed, and the refusals worth explaining. Deciding reads a
    line's add-ons (I6): one query for the lines among these rows, none without."""
    subscriptions = list(subscriptions)
    prefetch_line_addons(subscriptions)
    today = timezone.localdate()
    help_urls = {}
    rows = []
    for subscription in subscriptions:
        decisions = decisions_for(
            subscription=subscription,
            membership=membership,
            actions=actions or LIST_ACTIONS[subscription.product.kind],
            today=today,
            context=context,
        )
        # Something already cancelled only shows what can still be done (reactivate).
        explain = subscription.is_live
        decided = tuple(
            decision
            for action, decision in decisions.items()
            if decision.allowed or (explain and action in EXPLAINED_WHEN_REFUSED)
        )
        rows.append(
            Row(
                subscription=subscription,
                decisions=decided,
                shown=shown(decided, subscription, help_urls),
            )
        )
    return rows


# A number's details page also offers its settings and fixes.
NUMBER_DETAIL_ACTIONS = (
    Action.BLOCK_NUMBERS,
    Action.CHANGE_NUMBER,
    Action.CHANGE_PLAN,
    Action.REACTIVATE,
    Action.KEEP,
    Action.CANCEL,
)


def number_page(membership: Membership, pk) -> dict:
    """What a number's details page shows (and its switches, drawn alone after an htmx
    POST): the number with its decisions, its add-ons, its switches and its block list;
    404 for a number the member may not see."""
    context = page_decision_context(organization=membership.organization)
    subscription = get_object_or_404(
        visible_subscriptions(membership, NUMBER_KINDS).prefetch_related("phone_number__blocked"),
        pk=pk,
    )
    row = rows_for(
        [subscription], membership=membership, context=context, actions=NUMBER_DETAIL_ACTIONS
    )[0]
    settings = [Setting.INBOUND_RECORDING]
    if subscription.product.kind == Kind.LINE:
        settings.append(Setting.CALLING_MODE)
    today = timezone.localdate()
    decisions = decisions_for(
        subscription=subscription,
        membership=membership,
        actions=[Action.BLOCK_NUMBERS],
        today=today,
        context=context,
    )
    return {
        "row": row,
        "number": subscription.number,
        "addon_rows": rows_for(subscription.line_addons, membership=membership, context=context),
        "switches": {
            setting.value: decision_for(
                subscription=subscription,
                membership=membership,
                action=Action.TOGGLE,
                setting=setting,
                today=today,
                context=context,
            )
            for setting in settings
        },
        "block_decision": decisions[Action.BLOCK_NUMBERS],
    }


def settings_page(membership: Membership) -> dict:
    """What Company Settings shows (and its switch, drawn alone after an htmx POST)."""
    return {"outbound_decisions": [outbound_recording_decision(membership=membership)]}


def number_countries(membership: Membership) -> list[str]:
    """The countries of the numbers `membership` sees, for Numbers' filter."""
    if membership.is_admin_or_above:
        # From the (organization, country) index: a probe per country, not a read per number.
        return distinct_values(PhoneNumber, "country", organization_id=membership.organization_id)
    numbers = PhoneNumber.objects.visible_to(membership)
    return list(numbers.order_by("country").values_list("country", flat=True).distinct())


HOME_KINDS = (
    (Kind.BUSINESS_NUMBER, "Business numbers", "numbers"),
    (Kind.LINE, "Lines", "numbers"),
    (Kind.USER_LICENSE, "User licenses", "licenses"),
    (Kind.CONTACT_CENTER_LICENSE, "Contact-center license plans", "licenses"),
    (Kind.SIP_TRUNK, "SIP trunks", "trunks"),
    (Kind.CALL_INSIGHTS, "Call Insights plans", "call_insights"),
    (Kind.NUMBER_TESTING, "Number Testing packages", "number_testing"),
    (Kind.JETPACK, "Jetpacks", "jetpacks"),
)


def home_counts(membership: Membership) -> dict:
    """What Home counts of the subscriptions `membership` sees (plain data, cached):
    counted by product from the (organization, state, product) index, without a join;
    the few products then say their kind."""
    visible = Subscription.objects.visible_to(membership).live()
    by_product = dict(visible.values_list("product_id").annotate(total=Count("id")).order_by())
    by_kind = Counter()
    contact_center = []
    for product_id, kind in Product.objects.filter(pk__in=by_product).values_list("pk", "kind"):
        by_kind[kind] += by_product[product_id]
        if kind == Kind.CONTACT_CENTER_LICENSE:
            contact_center.append(product_id)
    # Seats are the quantities of the few contact-center plans, found by their products'
    # ids (no join; and no query at all for an organization without any).
    seats = {"seats": 0}
    if contact_center:
        seats = visible.filter(product_id__in=contact_center).aggregate(seats=Sum("quantity"))
    return {
        "holdings": [(label, by_kind[kind], url) for kind, label, url in HOME_KINDS],
        "contact_center_seats": seats["seats"] or 0,
    }


def ending_soon(membership: Membership, today: date) -> list[Subscription]:
    """What ends or changes plan within 30 days, of what `membership` sees (Home)."""
    return list(
        Subscription.objects.visible_to(membership)
        .ending_soon(today)
        .filter(
            Q(state=Subscription.State.CANCELS_AT_TERM_END) | Q(scheduled_product__isnull=False)
        )
        .select_related("product", "phone_number", "scheduled_product")
        .order_by("term_end", "id")[:10]
    )


# --- what staff read ---------------------------------------------------------------------


@dataclass(frozen=True)
class CountryStock:
    """The free numbers of one country: `free` can be picked today, `held` are released
    numbers still in their hold; `low` when fewer than the warning level are free."""

    country: str
    free: int
    held: int
    low: bool


def spare_number_stock(*, today: date, low_below: int) -> list[CountryStock]:
    """Every country's stock of free numbers, by country: those with spare numbers and
    those with numbers in service (where none is free, the stock is empty, and low).
    Two queries, one row per country."""
    counts = {
        country: (free, held)
        for country, free, held in SpareNumber.objects.order_by()
        .values("country")
        .annotate(
            free=Count("pk", filter=Q(available_from__lte=today)),
            held=Count("pk", filter=Q(available_from__gt=today)),
        )
        .values_list("country", "free", "held")
    }
    served = PhoneNumber.objects.order_by().values_list("country", flat=True).distinct()
    return [
        CountryStock(
            country=country,
            free=counts.get(country, (0, 0))[0],
            held=counts.get(country, (0, 0))[1],
            low=counts.get(country, (0, 0))[0] < low_below,
        )
        for country in sorted({*counts, *served})
    ]
