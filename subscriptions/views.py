"""Pages that show what an organization pays for, each row with the engine's decisions."""

import csv
from collections import Counter
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from accounts.access import membership_required
from accounts.models import Membership
from portal import org_cache
from portal.org_cache import Topic
from portal.paging import distinct_values, page_by_ids, query_without_page
from subscriptions.forms import NumberFilterForm
from subscriptions.models import PhoneNumber, Product, Subscription, prefetch_line_addons
from subscriptions.policy import NUMBER_KINDS, Action, Decision, Setting
from subscriptions.selectors import (
    DecisionContext,
    decision_for,
    decisions_for,
    outbound_recording_decision,
    page_decision_context,
)

Kind = Product.Kind
NUMBERS_PAGE_SIZE = 25

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
# A number's details page also offers its settings and fixes.
NUMBER_DETAIL_ACTIONS = (
    Action.BLOCK_NUMBERS,
    Action.CHANGE_NUMBER,
    Action.CHANGE_PLAN,
    Action.REACTIVATE,
    Action.KEEP,
    Action.CANCEL,
)
# A refusal is worth explaining for these; for the others (keep, reactivate...) a
# refusal only means "not applicable now", so the action is simply not offered.
EXPLAINED_WHEN_REFUSED = frozenset({Action.CANCEL, Action.DELETE, Action.CHANGE_QUANTITY})

# What Numbers' and Licenses' kept figures count: the numbers and licenses held, and
# (for a Member's view) whom they are assigned to.
HOLDINGS_AND_PEOPLE = (Topic.HOLDINGS, Topic.PEOPLE)


@dataclass(frozen=True)
class Row:
    subscription: Subscription
    decisions: tuple[Decision, ...]

    @property
    def allowed(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.allowed)

    @property
    def refused(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if not d.allowed)


# The page each kind of subscription lives on, with its name for "back to" links.
KIND_PAGES = {
    Kind.USER_LICENSE: ("licenses", "Licenses"),
    Kind.CONTACT_CENTER_LICENSE: ("licenses", "Licenses"),
    Kind.SIP_TRUNK: ("trunks", "SIP Trunks"),
    Kind.JETPACK: ("jetpacks", "Jetpacks"),
    Kind.CALL_INSIGHTS: ("call_insights", "Call Insights"),
    Kind.NUMBER_TESTING: ("number_testing", "Number Testing"),
}


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


def load_visible(
    request: HttpRequest, pk: int, kinds=None, *, context: DecisionContext | None = None
) -> Subscription:
    """A subscription this member may see, with what the engine reads (a line's add-ons
    included); 404 otherwise. Pages that decide pass their `context`: the product then
    comes from its catalog."""
    products = context.products if context else None
    subscriptions = Subscription.objects.visible_to(request.membership).with_page_relations(
        products=products
    )
    if kinds:
        subscriptions = subscriptions.filter(product__kind__in=kinds)
    subscription = get_object_or_404(subscriptions, pk=pk)
    prefetch_line_addons([subscription], products)  # a line's add-ons; nothing else has any
    return subscription


def _shown(subscription: Subscription, decisions: dict[Action, Decision]) -> tuple[Decision, ...]:
    # Something already cancelled only shows what can still be done (reactivate).
    explain = subscription.is_live
    return tuple(
        decision
        for action, decision in decisions.items()
        if decision.allowed or (explain and action in EXPLAINED_WHEN_REFUSED)
    )


def _rows(
    subscriptions, *, membership: Membership, context: DecisionContext, actions=None
) -> list[Row]:
    subscriptions = list(subscriptions)
    # Deciding reads a line's add-ons (I6): one query for the lines among these rows, none
    # when there are none.
    prefetch_line_addons(subscriptions, context.products)
    today = timezone.localdate()
    return [
        Row(
            subscription=subscription,
            decisions=_shown(
                subscription,
                decisions_for(
                    subscription=subscription,
                    membership=membership,
                    actions=actions or LIST_ACTIONS[subscription.product.kind],
                    today=today,
                    context=context,
                ),
            ),
        )
        for subscription in subscriptions
    ]


def _visible(request: HttpRequest, context: DecisionContext, kinds=None):
    # `_rows` then loads the add-ons of the lines among the rows it decides for.
    return Subscription.objects.visible_to(request.membership).with_page_relations(
        products=context.products, kinds=kinds
    )


def _page_of(request: HttpRequest, kinds, context: DecisionContext, *, live_only: bool = True):
    # The products' ids as values, not a join on their kind: the planner then sees from
    # its statistics that an organization's 10,000 numbers are not its one Call Insights
    # plan, and reads that plan by index instead of hashing every subscription. (A
    # prepared query is planned for its values until a plan for any values costs no
    # more; the bench's large and small organizations share its one connection.)
    products = [product for product in context.products.values() if product.kind in kinds]
    subscriptions = _visible(request, context, kinds).filter(
        product_id__in=[product.pk for product in products]
    )
    if live_only:
        subscriptions = subscriptions.live()
    return subscriptions.order_by(*_in_catalog_order(products), "label", "id")


def _in_catalog_order(products, place=lambda product: (product.kind, product.tier)) -> list:
    """The rows' order by their product's `place` (its kind and tier), as literals of the
    products' ids: no join to the catalog. Where the products share one place (Licenses'
    one license product, most often) there is nothing to order by, and the subscription
    (organization, product, label, id) index serves the page in order."""
    places = sorted({place(product) for product in products})
    if len(places) <= 1:
        return []
    return [
        Case(
            *(
                When(
                    product_id__in=[p.pk for p in products if place(p) == each],
                    then=Value(rank),
                )
                for rank, each in enumerate(places)
            ),
            # A product newer than the kept catalog goes last, on both databases.
            default=Value(len(places)),
            output_field=IntegerField(),
        )
    ]


def home_counts(membership: Membership) -> dict:
    """The subscriptions Home counts, of what `membership` can see (plain data: Home keeps
    it in the cache until the organization changes)."""
    visible = Subscription.objects.visible_to(membership).live()
    # Counted by product from the (organization, state, product) index alone, without a
    # join; the few products then say their kind.
    by_product = dict(visible.values_list("product_id").annotate(total=Count("id")).order_by())
    counts = Counter()
    contact_center = []
    for product_id, kind in Product.objects.filter(pk__in=by_product).values_list("pk", "kind"):
        counts[kind] += by_product[product_id]
        if kind == Kind.CONTACT_CENTER_LICENSE:
            contact_center.append(product_id)
    # Seats are the quantities of the few contact-center plans, found by their products' ids
    # (no join; and no query at all for an organization without any).
    seats = visible.filter(product_id__in=contact_center).aggregate(seats=Sum("quantity"))
    return {
        "holdings": [
            (label, counts.get(kind, 0), url)
            for kind, label, url in (
                (Kind.BUSINESS_NUMBER, "Business numbers", "numbers"),
                (Kind.LINE, "Lines", "numbers"),
                (Kind.USER_LICENSE, "User licenses", "licenses"),
                (Kind.CONTACT_CENTER_LICENSE, "Contact-center license plans", "licenses"),
                (Kind.SIP_TRUNK, "SIP trunks", "trunks"),
                (Kind.CALL_INSIGHTS, "Call Insights plans", "call_insights"),
                (Kind.NUMBER_TESTING, "Number Testing packages", "number_testing"),
                (Kind.JETPACK, "Jetpacks", "jetpacks"),
            )
        ],
        "contact_center_seats": seats["seats"] or 0,
    }


def home_context(request: HttpRequest) -> dict:
    """The subscriptions Home lists: what ends or changes within 30 days."""
    today = timezone.localdate()
    ending = (
        Subscription.objects.visible_to(request.membership)
        .ending_soon(today)
        .filter(
            Q(state=Subscription.State.CANCELS_AT_TERM_END) | Q(scheduled_product__isnull=False)
        )
        .select_related("product", "phone_number", "scheduled_product")
        .order_by("term_end", "id")[:10]
    )
    return {"ending_soon": ending}


def _countries(request: HttpRequest, numbers) -> list[str]:
    if request.membership.is_admin_or_above:
        # From the (organization, country) index: a probe per country, not a read per number.
        return distinct_values(PhoneNumber, "country", organization_id=request.organization.pk)
    return list(numbers.order_by("country").values_list("country", flat=True).distinct())


@membership_required
def numbers(request: HttpRequest) -> HttpResponse:
    # Paged over PhoneNumber (organization, e164): the page's 25 rows come from one index
    # range, then only those 25 subscriptions load with their relations.
    visible = PhoneNumber.objects.visible_to(request.membership)
    # The country list and the total read every number the member sees: kept until what
    # the organization holds, or who holds it, changes (portal.org_cache).
    figures = org_cache.kept_for(
        request.membership,
        "numbers",
        lambda: {"countries": _countries(request, visible), "total": visible.count()},
        depends_on=HOLDINGS_AND_PEOPLE,
    )
    form = NumberFilterForm(request.GET or None, countries=figures["countries"])
    shown = form.filter(visible)
    query = query_without_page(request)  # the filters, for the pagination and the export

    def table() -> dict:
        context = page_decision_context(organization=request.organization)
        page = page_by_ids(
            shown.order_by("e164"),
            request.GET.get("page"),
            NUMBERS_PAGE_SIZE,
            ids="subscription_id",
            # Through visible_to again: a number's copied organization is never the only guard.
            load=_visible(request, context, NUMBER_KINDS),
            # Nothing filtered away (the form hands back the same queryset): the kept total.
            count=figures["total"] if shown is visible else None,
        )
        return {
            "page": page,
            "rows": _rows(page.object_list, membership=request.membership, context=context),
            "query": query,
        }

    return render(
        request,
        "subscriptions/numbers.html",
        {
            "form": form,
            "query": query,
            "table": org_cache.kept_part(
                request, "numbers", "subscriptions/numbers.html#table", table
            ),
        },
    )


# Spreadsheets run cells that start with these as formulas; such values get a leading quote.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


@membership_required
def numbers_csv(request: HttpRequest) -> HttpResponse:
    visible = PhoneNumber.objects.visible_to(request.membership)
    form = NumberFilterForm(request.GET or None, countries=_countries(request, visible))
    filtered = (
        form.filter(visible)
        .select_related("subscription__product", "subscription__assigned_to")
        .order_by("e164")
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"numbers-{request.organization.account_id}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "Number",
            "Country",
            "Type",
            "Plan",
            "State",
            "Assigned to",
            "Inbound recording",
            "Term ends",
        ]
    )
    for number in filtered.iterator(chunk_size=500):
        subscription = number.subscription
        writer.writerow(
            [
                _csv_safe(number.e164),
                _csv_safe(number.country),
                _csv_safe(number.get_number_type_display()),
                _csv_safe(subscription.product.name),
                _csv_safe(subscription.get_state_display()),
                _csv_safe(
                    subscription.assigned_to.display_name if subscription.assigned_to else ""
                ),
                "on" if number.inbound_recording else "off",
                subscription.term_end.isoformat(),
            ]
        )
    return response


@membership_required
def number_detail(request: HttpRequest, pk: int, fragment: str = "") -> HttpResponse:
    """A number's page; `fragment` renders one switch only (after an htmx POST)."""
    context = page_decision_context(organization=request.organization)
    subscription = get_object_or_404(
        _visible(request, context, NUMBER_KINDS)
        .filter(product__kind__in=NUMBER_KINDS)
        .prefetch_related("phone_number__blocked"),
        pk=pk,
    )
    row = _rows(
        [subscription],
        membership=request.membership,
        context=context,
        actions=NUMBER_DETAIL_ACTIONS,
    )[0]
    addon_rows = _rows(subscription.line_addons, membership=request.membership, context=context)
    settings = [Setting.INBOUND_RECORDING]
    if subscription.product.kind == Kind.LINE:
        settings.append(Setting.CALLING_MODE)
    switches = {
        setting.value: decision_for(
            subscription=subscription,
            membership=request.membership,
            action=Action.TOGGLE,
            setting=setting,
            today=timezone.localdate(),
            context=context,
        )
        for setting in settings
    }
    template = "subscriptions/number_detail.html"
    return render(
        request,
        f"{template}#{fragment}" if fragment else template,
        {
            "row": row,
            "number": subscription.number,
            "addon_rows": addon_rows,
            "switches": switches,
            "block_decision": decision_for(
                subscription=subscription,
                membership=request.membership,
                action=Action.BLOCK_NUMBERS,
                today=timezone.localdate(),
                context=context,
            ),
        },
    )


LICENSES_PAGE_SIZE = 25  # as Numbers: every row carries an assign form and its decisions


@membership_required
def licenses(request: HttpRequest) -> HttpResponse:
    def both_tables() -> dict:
        context = page_decision_context(organization=request.organization)
        user_licenses = _page_of(request, [Kind.USER_LICENSE], context)
        # Both counts the page shows, in one query, kept until the licenses held or their
        # assignees change.
        counts = org_cache.kept_for(
            request.membership,
            "licenses",
            lambda: user_licenses.aggregate(
                total=Count("id"), free=Count("id", filter=Q(assigned_to__isnull=True))
            ),
            depends_on=HOLDINGS_AND_PEOPLE,
        )
        page = page_by_ids(
            user_licenses, request.GET.get("page"), LICENSES_PAGE_SIZE, count=counts["total"]
        )
        return {
            "page": page,
            "user_licenses": _rows(
                page.object_list, membership=request.membership, context=context
            ),
            "free_licenses": counts["free"],
            "contact_center": _rows(
                _page_of(request, [Kind.CONTACT_CENTER_LICENSE], context),
                membership=request.membership,
                context=context,
            ),
            "super_admin_names": context.super_admin_names,
        }

    part = org_cache.kept_part(
        request, "licenses", "subscriptions/licenses.html#licenses", both_tables
    )
    return render(request, "subscriptions/licenses.html", {"licenses": part})


@membership_required
def trunks(request: HttpRequest) -> HttpResponse:
    context = page_decision_context(organization=request.organization)
    rows = _rows(
        _page_of(request, [Kind.SIP_TRUNK], context),
        membership=request.membership,
        context=context,
    )
    return render(request, "subscriptions/trunks.html", {"rows": rows})


@membership_required
def settings_index(request: HttpRequest, fragment: str = "") -> HttpResponse:
    template = "subscriptions/settings.html"
    return render(
        request,
        f"{template}#{fragment}" if fragment else template,
        {"outbound_decisions": [outbound_recording_decision(membership=request.membership)]},
    )


def _plan_page(request: HttpRequest, kind: str, template: str) -> HttpResponse:
    context = page_decision_context(organization=request.organization)
    rows = _rows(_page_of(request, [kind], context), membership=request.membership, context=context)
    catalog = sorted(
        (p for p in context.products.values() if p.kind == kind and p.is_active),
        key=lambda product: (product.tier, product.name),
    )
    return render(request, template, {"rows": rows, "catalog": catalog})


@membership_required
def call_insights(request: HttpRequest) -> HttpResponse:
    return _plan_page(request, Kind.CALL_INSIGHTS, "subscriptions/call_insights.html")


@membership_required
def number_testing(request: HttpRequest) -> HttpResponse:
    return _plan_page(request, Kind.NUMBER_TESTING, "subscriptions/number_testing.html")


@membership_required
def jetpacks(request: HttpRequest) -> HttpResponse:
    context = page_decision_context(organization=request.organization)
    rows = _rows(
        _page_of(request, [Kind.JETPACK], context), membership=request.membership, context=context
    )
    return render(
        request, "subscriptions/jetpacks.html", {"rows": rows, "decision_context": context}
    )


@membership_required
def member_plans(request: HttpRequest, pk: int) -> HttpResponse:
    """Accounts -> a user -> Plans: every line, plan and add-on of that member (I7)."""
    memberships = Membership.objects.filter(organization=request.organization)
    if not request.membership.is_admin_or_above:
        memberships = memberships.filter(user=request.user)
    person = get_object_or_404(memberships.select_related("user"), pk=pk)

    def plans() -> dict:
        context = page_decision_context(organization=request.organization)
        # Add-ons show under their lines. Kinds and their order come from the catalog's ids:
        # no join to the catalog, and none to a parent line, which only add-ons have.
        addons = [pk for pk, product in context.products.items() if product.kind == Kind.ADDON]
        held = (
            _visible(request, context, [kind for kind in Kind if kind != Kind.ADDON])
            .filter(assigned_to_id=person.user_id)
            .exclude(product_id__in=addons)
            .order_by(
                *_in_catalog_order(context.products.values(), lambda product: product.kind),
                "phone_number__e164",
                "id",
            )
        )
        rows = _rows(held, membership=request.membership, context=context)
        addon_rows = {
            row.subscription.pk: _rows(
                row.subscription.line_addons, membership=request.membership, context=context
            )
            for row in rows
        }
        return {
            "person": person,
            "rows": [(row, addon_rows[row.subscription.pk]) for row in rows],
        }

    return render(
        request,
        "subscriptions/member_plans.html",
        {
            "person": person,
            "plans": org_cache.kept_part(
                request, "member-plans", "subscriptions/member_plans.html#plans", plans
            ),
        },
    )
