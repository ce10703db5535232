"""The self-service actions: each page shows the engine's decision, each POST calls one service."""

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import membership_required
from accounts.models import Membership
from core.errors import ActionRefused, carry_out
from core.http import client_ip
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
from subscriptions.models import Product, SpareNumber, Subscription
from subscriptions.policy import NUMBER_KINDS, Action
from subscriptions.selectors import (
    DecisionContext,
    decision_for,
    number_page,
    page_decision_context,
    settings_page,
    shown,
    subscription_page,
    visible_subscription,
)

Kind = Product.Kind


def _context(request: HttpRequest) -> DecisionContext:
    # One DecisionContext per request: a page asks for several decisions (View or Change
    # Plan, one per plan offered), all from the one the pages cache.
    if not hasattr(request, "decision_context"):
        request.decision_context = page_decision_context(organization=request.organization)
    return request.decision_context


def _decision(request: HttpRequest, subscription: Subscription, action: Action, **kwargs):
    """The decision for `action`, as the page shows it."""
    return decision_for(
        subscription=subscription,
        membership=request.membership,
        action=action,
        today=timezone.localdate(),
        context=_context(request),
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


def _cancelled(done: Subscription) -> str:
    """What the service did, not what the page expected, says which message to give."""
    if done.state != Subscription.State.CANCELLED:
        return f"{done} stops renewing; you keep it until {done.term_end:%d %B %Y}."
    return f"{done} is cancelled."


@membership_required
@reauthentication_required(enabled=_destructive)
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview of a cancellation (what goes, when, fee, no refund, fixes first) and the
    confirmation; Cancel Line also asks for the line's number."""
    subscription = visible_subscription(request.membership, pk)
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
        done = []

        def cancel_it():
            done.append(
                services.subscription_cancel(
                    subscription=subscription,
                    membership=request.membership,
                    ip_address=client_ip(request),
                    reason=form.cleaned_data["reason"],
                    reason_detail=form.cleaned_data["detail"],
                    confirm_number=form.cleaned_data.get("confirm_number", ""),
                )
            )
            return done[0]

        response = carry_out(
            request,
            cancel_it,
            done=_cancelled,
            then=_back(subscription),
            then_if_refused=request.path,
        )
        bought_in_app_store = Subscription.PurchaseChannel.APP_STORE
        if (
            done
            and done[0].state == Subscription.State.CANCELLED
            and done[0].purchase_channel == bought_in_app_store
        ):
            messages.warning(  # after "... is cancelled."
                request,
                "It was bought in the Apple App Store: cancel the App Store subscription there "
                "too, or Apple keeps charging it.",
            )
        return response
    return render(
        request,
        "subscriptions/cancel.html",
        {
            "subscription": subscription,
            "decision": decision,
            "form": form,
            "back": _back(subscription),
            "addons_first": [
                addon
                for addon in subscription.line_addons
                if addon.pk in decision.addon_ids_to_cancel_first
            ],
            "decision_shown": shown([decision], subscription),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@membership_required
def take_fix(request: HttpRequest, pk: int) -> HttpResponse:
    """I1: the member chose a fix instead of cancelling; record it and go to the fix."""
    subscription = visible_subscription(request.membership, pk)
    form = FixForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That fix does not apply here.")
        return redirect("subscription_cancel", pk=subscription.pk)
    try:
        fix = services.cancellation_fix_taken(
            subscription=subscription,
            membership=request.membership,
            fix_code=form.cleaned_data["fix"],
            reason=form.cleaned_data["reason"] or "",
        )
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("subscription_cancel", pk=subscription.pk)
    details = reverse("number_detail", args=[subscription.pk])
    targets = {
        Action.CHANGE_NUMBER: reverse("change_number", args=[subscription.pk]),
        Action.BLOCK_NUMBERS: details + "#block-list",
        Action.TOGGLE: details + "#calling-mode",
        Action.REACTIVATE: details + "#what-you-can-do",
        None: details + "#device-settings",
    }
    return redirect(targets[fix.action])


def _one_click(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    """A POST-only action with no form: call the service, say what happened, go back."""
    subscription = visible_subscription(request.membership, pk)
    return carry_out(
        request,
        lambda: service(
            subscription=subscription, membership=request.membership, ip_address=client_ip(request)
        ),
        done=done.format(subscription=subscription),
        then=_back(subscription),
    )


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
    subscription = visible_subscription(request.membership, pk)
    decision = _decision(request, subscription, Action.CHANGE_PLAN)
    options = subscription.product.changeable_to.filter(is_active=True).order_by("tier", "name")
    form = ChangePlanForm(request.POST if request.method == "POST" else None, options=options)
    if request.method == "POST" and form.is_valid():
        product = form.cleaned_data["product"]
        return carry_out(
            request,
            lambda: services.subscription_change_plan(
                subscription=subscription,
                membership=request.membership,
                product=product,
                ip_address=client_ip(request),
            ),
            done=f"Done: {product.name} is chosen.",
            then=_back(subscription),
            then_if_refused=request.path,
        )
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


def _after_switch(request: HttpRequest, fragment: str, page, url: str):
    """Where a switch leads: with htmx, the switch alone (the `fragment` of its page, drawn
    from `page()`) in place, with what was said; without JavaScript, the page at `url`."""
    if request.htmx:
        return lambda: render(request, fragment, page())
    return url


def _number_switch(request: HttpRequest, subscription: Subscription, name: str):
    return _after_switch(
        request,
        f"subscriptions/number_detail.html#{name}",
        lambda: number_page(request.membership, subscription.pk),
        reverse("number_detail", args=[subscription.pk]),
    )


def _respond(then) -> HttpResponse:
    return then() if callable(then) else redirect(then)


@require_POST
@membership_required
def inbound_recording(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = visible_subscription(request.membership, pk, NUMBER_KINDS)
    then = _number_switch(request, subscription, "inbound_switch")
    form = SwitchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose on or off.")
        return _respond(then)
    return carry_out(
        request,
        lambda: services.number_set_inbound_recording(
            subscription=subscription,
            membership=request.membership,
            on=form.cleaned_data["on"],
            ip_address=client_ip(request),
        ),
        done=lambda number: (
            f"Inbound call recording is {'on' if number.inbound_recording else 'off'}."
        ),
        then=then,
    )


@require_POST
@membership_required
def calling_mode(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = visible_subscription(request.membership, pk, [Kind.LINE])
    then = _number_switch(request, subscription, "calling_mode_switch")
    form = CallingModeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the voice network or data.")
        return _respond(then)
    return carry_out(
        request,
        lambda: services.line_set_calling_mode(
            subscription=subscription,
            membership=request.membership,
            mode=form.cleaned_data["mode"],
            ip_address=client_ip(request),
        ),
        done=lambda number: f"Calls now go over {number.get_calling_mode_display().lower()}.",
        then=then,
    )


@require_POST
@membership_required
def outbound_recording(request: HttpRequest) -> HttpResponse:
    then = _after_switch(
        request,
        "subscriptions/settings.html#outbound_switch",
        lambda: settings_page(request.membership),
        reverse("settings"),
    )
    form = SwitchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose on or off.")
        return _respond(then)

    def switch():
        # The switch in place shows the organization as the service left it.
        request.organization = services.organization_set_outbound_recording(
            organization=request.organization,
            membership=request.membership,
            on=form.cleaned_data["on"],
            ip_address=client_ip(request),
        )
        return request.organization

    return carry_out(
        request,
        switch,
        done=lambda organization: (
            f"Outbound call recording is {'on' if organization.outbound_call_recording else 'off'}."
        ),
        then=then,
    )


def _block_list(subscription: Subscription) -> str:
    return reverse("number_detail", args=[subscription.pk]) + "#block-list"


@require_POST
@membership_required
def block(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = visible_subscription(request.membership, pk, NUMBER_KINDS)
    form = BlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["e164"]))
        return redirect(_block_list(subscription))
    e164 = form.cleaned_data["e164"]
    return carry_out(
        request,
        lambda: services.number_block(
            subscription=subscription,
            membership=request.membership,
            e164=e164,
            ip_address=client_ip(request),
        ),
        done=f"{e164} is blocked.",
        then=_block_list(subscription),
    )


@require_POST
@membership_required
def unblock(request: HttpRequest, pk: int, blocked_pk: int) -> HttpResponse:
    subscription = visible_subscription(request.membership, pk, NUMBER_KINDS)
    return carry_out(
        request,
        lambda: services.number_unblock(
            subscription=subscription,
            membership=request.membership,
            blocked_id=blocked_pk,
            ip_address=client_ip(request),
        ),
        done="The number is no longer blocked.",
        then=_block_list(subscription),
    )


SPARE_NUMBERS_SHOWN = 30


@membership_required
def change_number(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick a new number from the free stock; the line keeps its plan and add-ons."""
    subscription = visible_subscription(request.membership, pk, NUMBER_KINDS)
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
        return carry_out(
            request,
            lambda: services.line_change_number(
                subscription=subscription,
                membership=request.membership,
                spare_id=form.cleaned_data["spare"].pk,
                ip_address=client_ip(request),
            ),
            done=lambda changed: f"Your new number is {changed.e164}.",
            then=reverse("number_detail", args=[subscription.pk]),
            then_if_refused=request.path,
        )
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
    subscription = visible_subscription(request.membership, pk, [Kind.USER_LICENSE])
    form = AssignLicenseForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("email", ["Enter an e-mail address."])))
        return redirect("licenses")
    email = form.cleaned_data["email"]
    assignee = None
    if email:
        assignee = (
            Membership.objects.filter(organization=request.organization, user__email__iexact=email)
            .select_related("user")
            .first()
        )
        if assignee is None:
            messages.error(request, f"{email} is not a member of {request.organization.name}.")
            return redirect("licenses")
    return carry_out(
        request,
        lambda: services.license_assign(
            subscription=subscription,
            membership=request.membership,
            assignee=assignee,
            ip_address=client_ip(request),
        ),
        done=f"The license is now assigned to {assignee.user.display_name}."
        if assignee
        else "The license is free.",
        then="licenses",
    )
