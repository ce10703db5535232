"""The self-service actions: each page shows the engine's decision, each POST calls one service."""

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import membership_required
from accounts.models import Membership
from portal.errors import ActionRefused
from portal.http import client_ip
from subscriptions import services
from subscriptions.action_forms import (
    AssignLicenseForm,
    BlockForm,
    CallingModeForm,
    CancelForm,
    ChangeNumberForm,
    ChangePlanForm,
    FixForm,
    SwitchForm,
)
from subscriptions.models import (
    CancellationFeedback,
    Product,
    SpareNumber,
    Subscription,
)
from subscriptions.policy import NUMBER_KINDS, Action
from subscriptions.selectors import (
    DecisionContext,
    decision_context,
    decision_for,
    page_decision_context,
)
from subscriptions.views import load_visible, subscription_page

Kind = Product.Kind


def _context(request: HttpRequest) -> DecisionContext:
    # One DecisionContext per request: a page asks for several decisions (View or Change
    # Plan, one per plan offered), all from the one the pages keep.
    if not hasattr(request, "decision_context"):
        request.decision_context = page_decision_context(organization=request.organization)
    return request.decision_context


def _decision(
    request: HttpRequest,
    subscription: Subscription,
    action: Action,
    context: DecisionContext | None = None,
    **kwargs,
):
    """The decision for `action`, from the page's kept context unless given another."""
    return decision_for(
        subscription=subscription,
        membership=request.membership,
        action=action,
        today=timezone.localdate(),
        context=context or _context(request),
        **kwargs,
    )


def _back(subscription: Subscription) -> str:
    return subscription_page(subscription)[0]


def _destructive(request: HttpRequest) -> bool:
    """Cancel Line and Delete cannot be undone: they need a recent password."""
    if request.method != "POST":
        return False
    if request.membership is None:
        return False
    pk = request.resolver_match.kwargs.get("pk")
    # Only this member's own subscriptions: others answer 404 later, never a password page.
    return (
        Subscription.objects.visible_to(request.membership)
        .filter(pk=pk, product__kind__in=(Kind.LINE, Kind.SIP_TRUNK))
        .exists()
    )


# --- cancel ---------------------------------------------------------------------------------


@membership_required
@reauthentication_required(enabled=_destructive)
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview of a cancellation (what goes, when, fee, no refund, fixes first) and the
    confirmation; Cancel Line also asks for the line's number."""
    subscription = load_visible(request, pk, context=_context(request))
    action = Action.DELETE if subscription.product.kind == Kind.SIP_TRUNK else Action.CANCEL
    decision = _decision(request, subscription, action)
    number = subscription.number
    needs_number = decision.irreversible and number is not None
    form = CancelForm(
        request.POST if request.method == "POST" else None,
        number=number.e164 if needs_number else "",
    )
    # The service decides again under a lock, and refuses with the reason if need be.
    if request.method == "POST" and form.is_valid():
        try:
            # What the service did, not what the page expected, says which message to give.
            done = services.subscription_cancel(
                subscription=subscription,
                membership=request.membership,
                ip_address=client_ip(request),
                reason=form.cleaned_data["reason"],
                reason_detail=form.cleaned_data["detail"],
                confirm_number=form.cleaned_data.get("confirm_number", ""),
            )
        except ActionRefused as refusal:
            messages.error(request, refusal.message)
        else:
            if done.state == Subscription.State.CANCELLED:
                messages.success(request, f"{done} is cancelled.")
                if done.purchase_channel == Subscription.PurchaseChannel.APP_STORE:
                    messages.warning(
                        request,
                        "It was bought in the Apple App Store: cancel the App Store "
                        "subscription there too, or Apple keeps charging it.",
                    )
            else:
                messages.success(
                    request,
                    f"{done} stops renewing; you keep it until {done.term_end:%d %B %Y}.",
                )
            return redirect(_back(subscription))
        return redirect(request.path)
    return render(
        request,
        "subscriptions/cancel.html",
        {
            "subscription": subscription,
            "decision": decision,
            "form": form,
            "back": _back(subscription),
            "addons": {a.pk: a for a in subscription.line_addons},
            "decision_list": [decision],
        },
        status=400 if form.errors else 200,
    )


@require_POST
@membership_required
def take_fix(request: HttpRequest, pk: int) -> HttpResponse:
    """I1: the member chose a fix instead of cancelling; record it and go to the fix."""
    # It writes: decided from the database, not from the context pages keep.
    context = decision_context(organization=request.organization)
    subscription = load_visible(request, pk, context=context)
    decision = _decision(request, subscription, Action.CANCEL, context)
    form = FixForm(request.POST)
    fixes = {fix.code: fix for fix in decision.fixes_first}
    if not form.is_valid() or form.cleaned_data["fix"] not in fixes:
        messages.error(request, "That fix does not apply here.")
        return redirect("subscription_cancel", pk=subscription.pk)
    fix = fixes[form.cleaned_data["fix"]]
    CancellationFeedback.objects.create(
        subscription=subscription,
        member=request.user,
        reason=form.cleaned_data["reason"] or "",
        fix_taken=fix.code,
    )
    targets = {
        Action.CHANGE_NUMBER: reverse("change_number", args=[subscription.pk]),
        Action.BLOCK_NUMBERS: reverse("number_detail", args=[subscription.pk]) + "#block-list",
        Action.TOGGLE: reverse("number_detail", args=[subscription.pk]) + "#calling-mode",
        Action.REACTIVATE: reverse("number_detail", args=[subscription.pk]) + "#what-you-can-do",
        None: reverse("number_detail", args=[subscription.pk]) + "#device-settings",
    }
    return redirect(targets[fix.action])


def _one_click(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    """A POST-only action with no form: call the service, say what happened, go back."""
    subscription = load_visible(request, pk)
    try:
        service(
            subscription=subscription, membership=request.membership, ip_address=client_ip(request)
        )
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, done.format(subscription=subscription))
    return redirect(_back(subscription))


@require_POST
@membership_required
def keep(request: HttpRequest, pk: int) -> HttpResponse:
    return _one_click(request, pk, services.subscription_keep, "{subscription} renews as usual.")


@require_POST
@membership_required
def reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _one_click(
        request, pk, services.subscription_reactivate, "{subscription} is active again."
    )


# --- change plan ---------------------------------------------------------------------------


@membership_required
def change_plan(request: HttpRequest, pk: int) -> HttpResponse:
    """View or Change Plan: the plans it may change to, the price difference, when it applies."""
    subscription = load_visible(request, pk, context=_context(request))
    decision = _decision(request, subscription, Action.CHANGE_PLAN)
    options = subscription.product.changeable_to.filter(is_active=True).order_by("tier", "name")
    form = ChangePlanForm(request.POST if request.method == "POST" else None, options=options)
    if request.method == "POST" and form.is_valid():
        product = form.cleaned_data["product"]
        try:
            services.subscription_change_plan(
                subscription=subscription,
                membership=request.membership,
                product=product,
                ip_address=client_ip(request),
            )
        except ActionRefused as refusal:
            messages.error(request, refusal.message)
            return redirect(request.path)
        messages.success(request, f"Done: {product.name} is chosen.")
        return redirect(_back(subscription))
    choices = [
        {
            "product": product,
            "difference": services.plan_price_difference(
                subscription=subscription, product=product
            ),
            "decision": _decision(
                request, subscription, Action.CHANGE_PLAN, requested_plan=product
            ),
        }
        for product in options
    ]
    return render(
        request,
        "subscriptions/change_plan.html",
        {
            "subscription": subscription,
            "decision": decision,
            "choices": choices,
            "form": form,
            "back": _back(subscription),
        },
        status=400 if form.errors else 200,
    )


# --- switches, block list, number ----------------------------------------------------------


def _number_page(request: HttpRequest, subscription: Subscription, fragment: str):
    """After a switch: the updated fragment for htmx, the page again without JavaScript."""
    if request.htmx:
        from subscriptions.views import number_detail

        return number_detail(request, subscription.pk, fragment=fragment)
    return redirect("number_detail", pk=subscription.pk)


@require_POST
@membership_required
def inbound_recording(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = load_visible(request, pk, NUMBER_KINDS)
    form = SwitchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose on or off.")
    else:
        try:
            number = services.number_set_inbound_recording(
                subscription=subscription,
                membership=request.membership,
                on=form.cleaned_data["on"],
                ip_address=client_ip(request),
            )
        except ActionRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request,
                f"Inbound call recording is {'on' if number.inbound_recording else 'off'}.",
            )
    return _number_page(request, subscription, "inbound_switch")


@require_POST
@membership_required
def calling_mode(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = load_visible(request, pk, [Kind.LINE])
    form = CallingModeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the voice network or data.")
    else:
        try:
            number = services.line_set_calling_mode(
                subscription=subscription,
                membership=request.membership,
                mode=form.cleaned_data["mode"],
                ip_address=client_ip(request),
            )
        except ActionRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request, f"Calls now go over {number.get_calling_mode_display().lower()}."
            )
    return _number_page(request, subscription, "calling_mode_switch")


@require_POST
@membership_required
def outbound_recording(request: HttpRequest) -> HttpResponse:
    form = SwitchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose on or off.")
    else:
        try:
            organization = services.organization_set_outbound_recording(
                organization=request.organization,
                membership=request.membership,
                on=form.cleaned_data["on"],
                ip_address=client_ip(request),
            )
        except ActionRefused as refusal:
            messages.error(request, refusal.message)
        else:
            request.organization = organization
            messages.success(
                request,
                "Outbound call recording is "
                f"{'on' if organization.outbound_call_recording else 'off'}.",
            )
    if request.htmx:
        from subscriptions.views import settings_index

        return settings_index(request, fragment="outbound_switch")
    return redirect("settings")


@require_POST
@membership_required
def block(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = load_visible(request, pk, NUMBER_KINDS)
    form = BlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["e164"]))
    else:
        try:
            services.number_block(
                subscription=subscription,
                membership=request.membership,
                e164=form.cleaned_data["e164"],
                ip_address=client_ip(request),
            )
        except ActionRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, f"{form.cleaned_data['e164']} is blocked.")
    return redirect(reverse("number_detail", args=[subscription.pk]) + "#block-list")


@require_POST
@membership_required
def unblock(request: HttpRequest, pk: int, blocked_pk: int) -> HttpResponse:
    subscription = load_visible(request, pk, NUMBER_KINDS)
    try:
        services.number_unblock(
            subscription=subscription,
            membership=request.membership,
            blocked_id=blocked_pk,
            ip_address=client_ip(request),
        )
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, "The number is no longer blocked.")
    return redirect(reverse("number_detail", args=[subscription.pk]) + "#block-list")


SPARE_NUMBERS_SHOWN = 30


@membership_required
def change_number(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick a new number from the free stock; the line keeps its plan and add-ons."""
    subscription = load_visible(request, pk, NUMBER_KINDS, context=_context(request))
    decision = _decision(request, subscription, Action.CHANGE_NUMBER)
    number = subscription.number
    country = request.GET.get("country", number.country if number else "")[:2].upper()
    options = SpareNumber.objects.available(timezone.localdate())
    if country:
        options = options.filter(country=country)
    if request.method == "POST":
        form = ChangeNumberForm(request.POST, options=options)
    else:
        form = ChangeNumberForm(options=options.order_by("e164")[:SPARE_NUMBERS_SHOWN])
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.line_change_number(
                subscription=subscription,
                membership=request.membership,
                spare_id=form.cleaned_data["spare"].pk,
                ip_address=client_ip(request),
            )
        except ActionRefused as refusal:
            messages.error(request, refusal.message)
            return redirect(request.path)
        messages.success(request, f"Your new number is {changed.e164}.")
        return redirect("number_detail", pk=subscription.pk)
    return render(
        request,
        "subscriptions/change_number.html",
        {
            "subscription": subscription,
            "decision": decision,
            "form": form,
            "country": country,
            "countries": SpareNumber.objects.available(timezone.localdate())
            .order_by("country")
            .values_list("country", flat=True)
            .distinct(),
        },
        status=400 if form.errors else 200,
    )


# --- user licenses ---------------------------------------------------------------------------


@require_POST
@membership_required
def assign_license(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = load_visible(request, pk, [Kind.USER_LICENSE])
    form = AssignLicenseForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("email", ["Enter an e-mail address."])))
        return redirect("licenses")
    email = form.cleaned_data["email"]
    assignee = None
    if email:
        assignee = (
            Membership.objects.filter(organization=request.organization)
            .filter(Q(user__email__iexact=email))
            .select_related("user")
            .first()
        )
        if assignee is None:
            messages.error(request, f"{email} is not a member of {request.organization.name}.")
            return redirect("licenses")
    try:
        services.license_assign(
            subscription=subscription,
            membership=request.membership,
            assignee=assignee,
            ip_address=client_ip(request),
        )
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            f"The license is now assigned to {assignee.user.display_name}."
            if assignee
            else "The license is free.",
        )
    return redirect("licenses")
