"""Support pages: the cases dashboard, opening cases, a case's thread, quotes, attachments."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import membership_required
from accounts.limits import member_limit_check
from core.errors import ActionRefused, TooOften, carry_out, too_often_response
from core.http import client_ip
from core.org_cache import cached_for
from core.paging import page_by_ids, query_without_page
from subscriptions.models import Product, Subscription
from subscriptions.policy import Action, Channel, Decision
from subscriptions.selectors import (
    decision_for,
    page_decision_context,
    subscription_page,
    visible_subscription,
)
from support import services
from support.attachments import attachment_response
from support.forms import (
    CancellationRequestForm,
    CaseFilterForm,
    ChangeRequestForm,
    GeneralCaseForm,
    QuoteDeclineForm,
    ReplyForm,
)
from support.models import Attachment, Case, Quote
from support.selectors import case_counts, case_page, open_cancellation_case

CASES_PAGE_SIZE = 25
CASE_CHANNELS = (Channel.SUPPORT_CASE, Channel.ACCOUNT_MANAGER)
# The actions a subscription's page may send to a case (the engine says which apply).
REQUESTABLE = {
    Action.CANCEL,
    Action.DELETE,
    Action.CHANGE_PLAN,
    Action.CHANGE_QUANTITY,
    Action.CHANGE_NUMBER,
}
# The pages a "Contact support" link may come from, in the customer's words.
PAGE_NAMES = {
    "home": "Home",
    "numbers": "Numbers",
    "number_detail": "a number's details",
    "licenses": "Licenses",
    "trunks": "SIP Trunks",
    "settings": "Settings",
    "call_insights": "Call Insights",
    "number_testing": "Number Testing",
    "jetpacks": "Jetpacks",
    "team": "Accounts",
    "member_plans": "a member's Plans",
    "support": "Support",
    "case_detail": "a support case",
    "help": "Help",
    "help_article": "a help article",
    "activity": "Activity",
}


# --- rate limit --------------------------------------------------------------------------


def _too_many_cases(request: HttpRequest) -> HttpResponse | None:
    """429 with a page in the portal's layout once a member opened their hourly share:
    answered before the form (and its files) is read. The service counts again under a
    lock, and that count is the one that holds."""
    try:
        member_limit_check(request.membership, services.CASES_OPENED, lock=False)
    except TooOften as refusal:
        return too_often_response(request, refusal)
    return None


# --- the dashboard -----------------------------------------------------------------------


@membership_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Support (A4): open and pending cases first, filters, search, paging."""
    visible = Case.objects.visible_to(request.membership)
    # They read every case the member sees: cached until the organization changes.
    counts = cached_for(request.membership, "support", lambda: case_counts(visible))
    form = CaseFilterForm(request.GET or None)
    filtered = form.filter(visible)
    page = page_by_ids(
        filtered.for_dashboard(),
        request.GET.get("page"),
        CASES_PAGE_SIZE,
        # Nothing filtered away (the form hands back the same queryset): the page's count
        # is the total the counts already hold.
        count=counts["total"] if filtered is visible else None,
    )
    return render(
        request,
        "support/dashboard.html",
        {
            "form": form,
            "counts": counts,
            "filtered": bool(form.is_bound and any(form.data.get(f) for f in form.fields)),
            "page": page,
            "query": query_without_page(request),
        },
    )


# --- opening cases -----------------------------------------------------------------------


def _origin(raw: str) -> tuple[str, str]:
    """The page a customer came from: a local path and its name, or nothing."""
    path = (raw or "").strip()[:200]
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "", ""
    try:
        match = resolve(path.split("?", 1)[0])
    except Resolver404:
        return path, ""
    if match.url_name in ("case_new",):
        return "", ""
    return path, PAGE_NAMES.get(match.url_name or "", "")


def _opened(request: HttpRequest, case: Case, created: bool) -> HttpResponse:
    if created:
        messages.success(request, f"Your case {case.reference} is open. We e-mailed you a copy.")
    return redirect("case_detail", pk=case.pk)


@membership_required
def case_new(request: HttpRequest) -> HttpResponse:
    """A general case (I10 "Contact support", A13 "Submit a request"), pre-filled with the
    page the customer came from (`?from=`) and a subject (`?subject=`)."""
    if request.method == "POST":
        if limited := _too_many_cases(request):
            return limited
        form = GeneralCaseForm(request.POST, request.FILES)
        origin, origin_name = _origin(request.POST.get("origin", ""))
        if form.is_valid():
            try:
                case, created = services.case_open_general(
                    membership=request.membership,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    origin=origin,
                    files=form.cleaned_data["attachments"],
                    submission_key=form.cleaned_data["submission_key"],
                    ip_address=client_ip(request),
                )
            except TooOften as refusal:
                return too_often_response(request, refusal)
            except ActionRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                return _opened(request, case, created)
    else:
        origin, origin_name = _origin(request.GET.get("from", ""))
        subject = request.GET.get("subject", "").strip()[:200]
        if not subject and origin_name:
            subject = f"Question about {origin_name}"
        form = GeneralCaseForm(initial={"origin": origin, "subject": subject})
    return render(
        request,
        "support/case_new.html",
        {"form": form, "origin": origin, "origin_name": origin_name},
        status=400 if form.errors else 200,
    )


def _refused(request: HttpRequest, subscription: Subscription, decision: Decision):
    return render(
        request,
        "support/request_refused.html",
        {"subscription": subscription, "decision": decision},
        status=403,
    )


@membership_required
def case_request(request: HttpRequest, subscription_pk: int, action: str) -> HttpResponse:
    """Open a case from a subscription's decision: a Cancellation Request (A2, A3, A5, A6,
    A11), a quote case for the account manager (A12), or a change request. The engine is
    asked again here and in the service; a refusal shows its reason."""
    context = page_decision_context(organization=request.organization)
    subscription = visible_subscription(request.membership, subscription_pk)
    try:
        action = Action(action)
    except ValueError:
        raise Http404("No such request.") from None
    if action not in REQUESTABLE:
        raise Http404("No such request.")
    decision = decision_for(
        subscription=subscription,
        membership=request.membership,
        action=action,
        today=timezone.localdate(),
        context=context,
    )
    if not decision.allowed or decision.channel not in CASE_CHANNELS:
        return _refused(request, subscription, decision)
    cancels = action in (Action.CANCEL, Action.DELETE)
    if cancels:
        # One open cancellation request per subscription: asking again shows it.
        open_case = open_cancellation_case(subscription)
        if open_case is not None and open_case.organization_id == request.organization.pk:
            messages.info(
                request,
                f"{open_case.reference} already asks to cancel {subscription}. Here it is.",
            )
            return redirect("case_detail", pk=open_case.pk)
    back_url, back_label = subscription_page(subscription)
    page = {
        "back_url": back_url,
        "back_label": back_label,
        "subscription": subscription,
        "decision": decision,
        "decision_context": context,
        "action": action,
    }
    if decision.channel == Channel.ACCOUNT_MANAGER:
        return _quote_request(request, subscription, action, page)
    if cancels:
        return _cancellation_request(request, subscription, action, page)
    return _change_request(request, subscription, action, page)


def _cancellation_request(request, subscription, action, page) -> HttpResponse:
    user, organization = request.user, request.organization
    held = subscription.quantity if subscription.quantity > 1 else None
    form_kwargs = {"held": held, "minimum": subscription.product.minimum_quantity}
    if request.method == "POST":
        if limited := _too_many_cases(request):
            return limited
        form = CancellationRequestForm(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            keep = data.get("keep_quantity") or None
            try:
                case, created = services.case_request_cancellation(
                    membership=request.membership,
                    subscription=subscription,
                    action=action,
                    full_name=data["full_name"],
                    company=data["company"],
                    contact=data["contact"],
                    keep_quantity=keep,
                    details=data["details"],
                    files=data["attachments"],
                    submission_key=data["submission_key"],
                    ip_address=client_ip(request),
                )
            except services.CaseAlreadyOpen as already:
                messages.info(request, already.message)
                return redirect("case_detail", pk=already.case.pk)
            except TooOften as refusal:
                return too_often_response(request, refusal)
            except ActionRefused as refusal:
                form.add_error("keep_quantity" if keep else None, refusal.message)
            else:
                return _opened(request, case, created)
    else:
        contact = " · ".join(part for part in (user.email, user.phone) if part)
        form = CancellationRequestForm(
            initial={
                "full_name": user.full_name,
                "company": f"{organization.name} ({organization.account_id})",
                "contact": contact,
                "keep_quantity": 0,
            },
            **form_kwargs,
        )
    return render(
        request,
        "support/request_cancellation.html",
        {**page, "form": form},
        status=400 if form.errors else 200,
    )


def _plans_for(request, subscription, context) -> list[Product]:
    """The plans the engine lets this member ask a quote for."""
    options = context.plan_options.get(subscription.product_id, ())
    products = Product.objects.in_bulk([option.product_id for option in options])
    allowed = []
    for option in options:
        product = products.get(option.product_id)
        if product is None:
            continue
        decision = decision_for(
            subscription=subscription,
            membership=request.membership,
            action=Action.CHANGE_PLAN,
            today=timezone.localdate(),
            context=context,
            requested_plan=product,
        )
        if decision.allowed and decision.channel in CASE_CHANNELS:
            allowed.append(product)
    return allowed


def _quote_request(request, subscription, action, page) -> HttpResponse:
    """A12: the account manager quotes a Jetpack's change or cancellation."""
    context = page["decision_context"]
    plans = _plans_for(request, subscription, context)
    cancel = decision_for(
        subscription=subscription,
        membership=request.membership,
        action=Action.CANCEL,
        today=timezone.localdate(),
        context=context,
    )
    can_cancel = cancel.allowed and cancel.channel == Channel.ACCOUNT_MANAGER
    can_cancel = can_cancel and open_cancellation_case(subscription) is None
    form_kwargs = {"plans": plans, "can_cancel": can_cancel}
    if request.method == "POST":
        if limited := _too_many_cases(request):
            return limited
        form = ChangeRequestForm(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            wanted = data.get("wanted")
            product = None
            if wanted and wanted != ChangeRequestForm.CANCEL:
                product = next((p for p in plans if str(p.pk) == wanted), None)
            asked = Action.CANCEL if wanted == ChangeRequestForm.CANCEL else Action.CHANGE_PLAN
            return _open_change(request, form, subscription, asked, product=product, page=page)
    else:
        initial = {}
        if action in (Action.CANCEL, Action.DELETE) and can_cancel:
            initial["wanted"] = ChangeRequestForm.CANCEL
        elif len(plans) == 1:
            initial["wanted"] = str(plans[0].pk)
        form = ChangeRequestForm(initial=initial, **form_kwargs)
    return _change_page(request, form, page, quote=True)


def _change_request(request, subscription, action, page) -> HttpResponse:
    """More licenses, a new number, or a plan change that goes through a support case."""
    held = subscription.quantity if action == Action.CHANGE_QUANTITY else None
    form_kwargs = {"held": held}
    if request.method == "POST":
        if limited := _too_many_cases(request):
            return limited
        form = ChangeRequestForm(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            return _open_change(
                request,
                form,
                subscription,
                action,
                quantity=form.cleaned_data.get("quantity"),
                page=page,
            )
    else:
        form = ChangeRequestForm(**form_kwargs)
    return _change_page(request, form, page, quote=False)


def _open_change(request, form, subscription, action, *, page, product=None, quantity=None):
    data = form.cleaned_data
    try:
        case, created = services.case_request_change(
            membership=request.membership,
            subscription=subscription,
            action=action,
            body=data["body"],
            quantity=quantity,
            product=product,
            files=data["attachments"],
            submission_key=data["submission_key"],
            ip_address=client_ip(request),
        )
    except services.CaseAlreadyOpen as already:
        messages.info(request, already.message)
        return redirect("case_detail", pk=already.case.pk)
    except TooOften as refusal:
        return too_often_response(request, refusal)
    except ActionRefused as refusal:
        form.add_error(None, refusal.message)
        return _change_page(request, form, page, quote="wanted" in form.fields)
    return _opened(request, case, created)


def _change_page(request, form, page, *, quote: bool) -> HttpResponse:
    return render(
        request,
        "support/request_change.html",
        {**page, "form": form, "quote": quote},
        status=400 if form.errors else 200,
    )


# --- a case ------------------------------------------------------------------------------


def _case_for(request: HttpRequest, pk: int) -> Case:
    """A case the member may see (Members: their own), or 404."""
    return get_object_or_404(
        Case.objects.visible_to(request.membership).select_related(
            "opened_by", "assigned_to", "organization"
        ),
        pk=pk,
    )


def _case_page(request: HttpRequest, case: Case, *, reply_form=None, decline_form=None, status=200):
    return render(
        request,
        "support/case_detail.html",
        {
            "case": case,
            **case_page(case),
            "decline_form": decline_form or QuoteDeclineForm(),
            "today": timezone.localdate(),
            "reply_form": reply_form or ReplyForm(),
            "accepts_replies": case.accepts_replies(),
        },
        status=status,
    )


@membership_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, _case_for(request, pk))


@require_POST
@membership_required
def case_reply(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.case_reply(
                case=case,
                membership=request.membership,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
                submission_key=form.cleaned_data["submission_key"],
                ip_address=client_ip(request),
            )
        except TooOften as refusal:
            return too_often_response(request, refusal)
        except ActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, "Your reply is on the case. We will answer by e-mail.")
            return redirect("case_detail", pk=case.pk)
    return _case_page(request, case, reply_form=form, status=400)


@require_POST
@membership_required
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for(request, pk)
    return carry_out(
        request,
        lambda: services.case_close(
            case=case, membership=request.membership, ip_address=client_ip(request)
        ),
        done=f"{case.reference} is closed.",
        then=reverse("case_detail", args=[case.pk]),
    )


def _quote_for(request: HttpRequest, pk: int, quote_pk: int) -> Quote:
    case = _case_for(request, pk)
    return get_object_or_404(Quote.objects.select_related("case"), pk=quote_pk, case=case)


@require_POST
@membership_required
def quote_accept(request: HttpRequest, pk: int, quote_pk: int) -> HttpResponse:
    quote = _quote_for(request, pk, quote_pk)
    return carry_out(
        request,
        lambda: services.quote_accept(
            quote=quote, membership=request.membership, ip_address=client_ip(request)
        ),
        done="Quote accepted. The change is made; we e-mailed you a copy.",
        then=reverse("case_detail", args=[pk]),
    )


@require_POST
@membership_required
def quote_decline(request: HttpRequest, pk: int, quote_pk: int) -> HttpResponse:
    quote = _quote_for(request, pk, quote_pk)
    form = QuoteDeclineForm(request.POST)
    if not form.is_valid():
        return _case_page(request, quote.case, decline_form=form, status=400)
    return carry_out(
        request,
        lambda: services.quote_decline(
            quote=quote,
            membership=request.membership,
            reason=form.cleaned_data["reason"],
            ip_address=client_ip(request),
        ),
        done="Quote declined. Your account manager will follow up.",
        then=reverse("case_detail", args=[pk]),
    )


@membership_required
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A file of a case the member may see, as a download; 404 for anything else."""
    attachment = get_object_or_404(
        Attachment.objects.filter(
            message__internal=False,
            message__case__in=Case.objects.visible_to(request.membership),
        ),
        pk=pk,
    )
    return attachment_response(attachment)
