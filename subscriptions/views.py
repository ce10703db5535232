"""Pages that show what an organization pays for, each row with the engine's decisions."""

import csv
import re

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.access import membership_required
from accounts.models import Membership
from core.org_cache import cached_for
from core.paging import page_by_ids, query_without_page
from subscriptions.forms import NumberFilterForm
from subscriptions.models import E164_PATTERN, PhoneNumber, Product
from subscriptions.policy import NUMBER_KINDS
from subscriptions.selectors import (
    live_of_kinds,
    number_countries,
    number_page,
    page_decision_context,
    rows_for,
    settings_page,
    visible_subscriptions,
)

Kind = Product.Kind
NUMBERS_PAGE_SIZE = 20
LICENSES_PAGE_SIZE = 20  # as Numbers: every row carries an assign form and its decisions


@membership_required
def numbers(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    visible = PhoneNumber.objects.visible_to(membership)
    # The country list and the total read every number the member sees: cached until the
    # organization changes (core.org_cache).
    figures = cached_for(
        membership,
        "numbers",
        lambda: {"countries": number_countries(membership), "total": visible.count()},
    )
    form = NumberFilterForm(request.GET or None, countries=figures["countries"])
    shown = form.filter(visible)
    context = page_decision_context(organization=request.organization)
    # Paged over PhoneNumber (organization, e164): the page's rows come from one index
    # range, then only those subscriptions load with their relations.
    page = page_by_ids(
        shown.order_by("e164"),
        request.GET.get("page"),
        NUMBERS_PAGE_SIZE,
        ids="subscription_id",
        # Through visible_to again: a number's copied organization is never the only guard.
        load=visible_subscriptions(membership, NUMBER_KINDS),
        # Nothing filtered away (the form hands back the same queryset): the cached total.
        count=figures["total"] if shown is visible else None,
    )
    return render(
        request,
        "subscriptions/numbers.html",
        {
            "form": form,
            "query": query_without_page(request),
            "page": page,
            "rows": rows_for(page.object_list, membership=membership, context=context),
        },
    )


# Spreadsheets run cells that start with these as formulas; such values get a leading quote.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A phone number in E.164 (a plus and digits, nothing else) computes nothing: it stays as is.
_E164 = re.compile(E164_PATTERN)


def _csv_safe(value) -> str:
    text = "" if value is None else str(value)
    if _E164.fullmatch(text):
        return text
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


@membership_required
def numbers_csv(request: HttpRequest) -> HttpResponse:
    visible = PhoneNumber.objects.visible_to(request.membership)
    form = NumberFilterForm(request.GET or None, countries=number_countries(request.membership))
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
def number_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request,
        "subscriptions/number_detail.html",
        number_page(request.membership, pk),
    )


@membership_required
def licenses(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    context = page_decision_context(organization=request.organization)
    user_licenses = live_of_kinds(membership, [Kind.USER_LICENSE], context)
    # Both counts the page shows, in one query, cached until the organization changes.
    counts = cached_for(
        membership,
        "licenses",
        lambda: user_licenses.aggregate(
            total=Count("id"), free=Count("id", filter=Q(assigned_to__isnull=True))
        ),
    )
    page = page_by_ids(
        user_licenses, request.GET.get("page"), LICENSES_PAGE_SIZE, count=counts["total"]
    )
    return render(
        request,
        "subscriptions/licenses.html",
        {
            "page": page,
            "user_licenses": rows_for(page.object_list, membership=membership, context=context),
            "free_licenses": counts["free"],
            "contact_center": rows_for(
                live_of_kinds(membership, [Kind.CONTACT_CENTER_LICENSE], context),
                membership=membership,
                context=context,
            ),
            "super_admin_names": context.super_admin_names,
        },
    )


def _rows_of_kind(request: HttpRequest, kind: str, context) -> list:
    return rows_for(
        live_of_kinds(request.membership, [kind], context),
        membership=request.membership,
        context=context,
    )


@membership_required
def trunks(request: HttpRequest) -> HttpResponse:
    context = page_decision_context(organization=request.organization)
    rows = _rows_of_kind(request, Kind.SIP_TRUNK, context)
    return render(request, "subscriptions/trunks.html", {"rows": rows})


@membership_required
def settings_index(request: HttpRequest) -> HttpResponse:
    return render(request, "subscriptions/settings.html", settings_page(request.membership))


def _plan_page(request: HttpRequest, kind: str, template: str) -> HttpResponse:
    context = page_decision_context(organization=request.organization)
    catalog = Product.objects.filter(kind=kind, is_active=True).order_by("tier", "name")
    return render(
        request,
        template,
        {"rows": _rows_of_kind(request, kind, context), "catalog": catalog},
    )


@membership_required
def call_insights(request: HttpRequest) -> HttpResponse:
    return _plan_page(request, Kind.CALL_INSIGHTS, "subscriptions/call_insights.html")


@membership_required
def number_testing(request: HttpRequest) -> HttpResponse:
    return _plan_page(request, Kind.NUMBER_TESTING, "subscriptions/number_testing.html")


@membership_required
def jetpacks(request: HttpRequest) -> HttpResponse:
    context = page_decision_context(organization=request.organization)
    rows = _rows_of_kind(request, Kind.JETPACK, context)
    return render(
        request, "subscriptions/jetpacks.html", {"rows": rows, "decision_context": context}
    )


@membership_required
def member_plans(request: HttpRequest, pk: int) -> HttpResponse:
    """Accounts -> a user -> Plans: every line, plan and add-on of that member (I7)."""
    membership = request.membership
    memberships = Membership.objects.filter(organization=request.organization)
    if not membership.is_admin_or_above:
        memberships = memberships.filter(user=request.user)
    person = get_object_or_404(memberships.select_related("user"), pk=pk)
    context = page_decision_context(organization=request.organization)
    # Add-ons show under their lines.
    held = (
        visible_subscriptions(membership, [kind for kind in Kind if kind != Kind.ADDON])
        .filter(assigned_to_id=person.user_id)
        .order_by("product__kind", "phone_number__e164", "id")
    )
    rows = rows_for(held, membership=membership, context=context)
    return render(
        request,
        "subscriptions/member_plans.html",
        {
            "person": person,
            "rows": [
                (
                    row,
                    rows_for(row.subscription.line_addons, membership=membership, context=context),
                )
                for row in rows
            ],
        },
    )
