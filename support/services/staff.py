"""Staff handle cases: reply or note, assign, move, approve or decline a cancellation, quote."""

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.audit import AuditAction
from core.errors import ActionRefused
from core.org_cache import organization_changed
from subscriptions import services as subscription_services
from subscriptions.models import Product
from support.models import Case, CaseSubscription, Message, Quote
from support.services.shared import (
    CANCEL_ACTIONS,
    Kind,
    State,
    _add_message,
    _audit,
    _cancellation_outcome,
    _email_customer,
    _email_staff,
    _lock_case,
    _money,
    _move,
    _quote_subject,
    _require_staff,
    files_removed_on_failure,
)


@files_removed_on_failure
@transaction.atomic
def case_staff_reply(
    *,
    case: Case,
    staff: User,
    body: str,
    internal: bool = False,
    files: Sequence = (),
    then_state: str | None = None,
    ip_address: str | None = None,
) -> Message:
    """A reply from staff (the customer is e-mailed) or an internal note (they never see it).
    `then_state` moves the case too, e.g. to Pending while waiting on the customer."""
    _require_staff(staff)
    case = _lock_case(case)
    body = body.strip()
    if not body:
        raise ActionRefused("Write the reply or note first.")
    if case.state == State.CLOSED and not internal:
        raise ActionRefused("This case is closed; the customer can no longer answer it.")
    message = _add_message(
        case=case, author=staff, body=body, from_staff=True, internal=internal, files=files
    )
    before = case.state
    if then_state and then_state != case.state:
        _move(case, then_state)
    _audit(
        action=AuditAction.NOTE_ADDED if internal else AuditAction.STAFF_REPLIED,
        case=case,
        actor=staff,
        before={"state": before} if before != case.state else None,
        after={"state": case.state, "message": message.pk},
        ip_address=ip_address,
    )
    organization_changed(case.organization)
    if not internal:
        headline = f"{staff.display_name} replied"
        if before != case.state:
            headline += f"; the case is now {case.get_state_display().lower()}"
        _email_customer(case=case, actor=staff, headline=headline, text=body)
    return message


@transaction.atomic
def case_assign(
    *, case: Case, staff: User, assignee: User | None, ip_address: str | None = None
) -> Case:
    _require_staff(staff)
    case = _lock_case(case)
    if assignee is not None and not assignee.is_staff:
        raise ActionRefused("Cases are assigned to staff members only.")
    if case.assigned_to_id == (assignee.pk if assignee else None):
        return case
    before = case.assigned_to.email if case.assigned_to_id else ""
    case.assigned_to = assignee
    case.save(update_fields=["assigned_to", "updated_at"])
    _audit(
        action=AuditAction.CASE_ASSIGNED,
        case=case,
        actor=staff,
        before={"assigned_to": before},
        after={"assigned_to": assignee.email if assignee else ""},
        ip_address=ip_address,
    )
    organization_changed(case.organization)
    if assignee is not None:
        _email_customer(
            case=case, actor=staff, headline=f"{assignee.display_name} is handling your case"
        )
        if assignee.pk != staff.pk:
            _email_staff(case=case, headline=f"{staff.display_name} assigned the case to you")
    return case


@transaction.atomic
def case_set_state(*, case: Case, staff: User, state: str, ip_address: str | None = None) -> Case:
    _require_staff(staff)
    case = _lock_case(case)
    if case.state == state:
        return case
    before = _move(case, state)
    _audit(
        action=AuditAction.CASE_STATE_CHANGED,
        case=case,
        actor=staff,
        before={"state": before},
        after={"state": case.state},
        ip_address=ip_address,
    )
    organization_changed(case.organization)
    _email_customer(
        case=case, actor=staff, headline=f"Your case is now {case.get_state_display().lower()}"
    )
    return case


def _cancellation_items(case: Case) -> list[CaseSubscription]:
    items = list(
        case.items.filter(action__in=CANCEL_ACTIONS).select_related("subscription__product")
    )
    if case.kind != Kind.CANCELLATION or not items:
        raise ActionRefused(f"{case.reference} is not a cancellation request.")
    if not case.is_active:
        raise ActionRefused(
            f"{case.reference} is {case.get_state_display().lower()}: it was answered already."
        )
    return items


@transaction.atomic
def case_approve_cancellation(*, case: Case, staff: User, ip_address: str | None = None) -> Case:
    """Carry out a cancellation request: each subscription is cancelled now or at its term
    end as its policy says, or keeps the licenses asked for (A11); the case is resolved."""
    _require_staff(staff)
    case = _lock_case(case)
    # A second click finds the case resolved and is refused: the request is carried out once.
    items = _cancellation_items(case)
    outcomes = []
    for item in items:
        if item.requested_quantity:
            subscription = subscription_services.subscription_set_quantity(
                subscription=item.subscription,
                quantity=item.requested_quantity,
                actor=staff,
                ip_address=ip_address,
                source=case.reference,
            )
            outcomes.append(
                f"You now hold {subscription.quantity} {subscription.product.name}. "
                "Nothing is refunded for the licenses cancelled."
            )
        else:
            subscription = subscription_services.subscription_schedule_cancellation(
                subscription=item.subscription,
                actor=staff,
                ip_address=ip_address,
                source=case.reference,
            )
            outcomes.append(_cancellation_outcome(subscription))
    text = "Approved. " + " ".join(outcomes)
    _add_message(case=case, author=staff, body=text, from_staff=True)
    before = _move(case, State.RESOLVED)
    _audit(
        action=AuditAction.CANCELLATION_REQUEST_APPROVED,
        case=case,
        actor=staff,
        before={"state": before},
        after={"state": case.state, "subscriptions": [str(i.subscription) for i in items]},
        ip_address=ip_address,
    )
    organization_changed(case.organization)
    _email_customer(
        case=case, actor=staff, headline="Your cancellation request is approved", text=text
    )
    return case


@transaction.atomic
def case_decline(*, case: Case, staff: User, reason: str, ip_address: str | None = None) -> Case:
    """Decline a cancellation request, saying why; nothing changes on the subscription."""
    _require_staff(staff)
    case = _lock_case(case)
    reason = reason.strip()
    if not reason:
        raise ActionRefused("Say why the request is declined: the customer reads it.")
    _cancellation_items(case)
    text = f"Declined. {reason}"
    _add_message(case=case, author=staff, body=text, from_staff=True)
    before = _move(case, State.RESOLVED)
    _audit(
        action=AuditAction.CANCELLATION_REQUEST_DECLINED,
        case=case,
        actor=staff,
        before={"state": before},
        after={"state": case.state, "reason": reason[:500]},
        ip_address=ip_address,
    )
    organization_changed(case.organization)
    _email_customer(
        case=case, actor=staff, headline="Your cancellation request is declined", text=text
    )
    return case


@transaction.atomic
def quote_send(
    *,
    case: Case,
    staff: User,
    price: Decimal,
    description: str,
    valid_until: date,
    product: Product | None = None,
    ip_address: str | None = None,
) -> Quote:
    """A12: the account manager's custom quote. It replaces a quote still waiting, and the
    case waits on the customer's answer (Pending)."""
    _require_staff(staff)
    case = _lock_case(case)
    if not case.is_active:
        raise ActionRefused(f"{case.reference} is {case.get_state_display().lower()}.")
    item = _quote_subject(case)
    description = description.strip()
    if not description:
        raise ActionRefused("Describe what the quote covers.")
    if price is None or price < 0:
        raise ActionRefused("Give the quote a price of 0 or more.")
    if valid_until < timezone.localdate():
        raise ActionRefused("A quote must be valid until today or later.")
    current = item.subscription.product
    if product is not None and not current.changeable_to.filter(pk=product.pk).exists():
        raise ActionRefused(
            f"{current.name} cannot change to {product.name}: pick one of its plans."
        )
    case.quotes.filter(state=Quote.State.SENT).update(state=Quote.State.WITHDRAWN)
    quote = Quote.objects.create(
        case=case,
        product=product,
        description=description,
        price=price,
        valid_until=valid_until,
        sent_by=staff,
    )
    what = f"change to {product.name}" if product else f"cancel {item.subscription}"
    text = (
        f"Quote: {what} for {_money(price)}, valid until {valid_until:%d %B %Y}.\n\n{description}"
    )
    _add_message(case=case, author=staff, body=text, from_staff=True)
    before = _move(case, State.PENDING)
    _audit(
        action=AuditAction.QUOTE_SENT,
        case=case,
        actor=staff,
        before={"state": before},
        after={
            "state": case.state,
            "quote": quote.pk,
            "price": str(price),
            "product": product.name if product else "",
            "valid_until": valid_until.isoformat(),
        },
        ip_address=ip_address,
    )
    organization_changed(case.organization)
    _email_customer(
        case=case,
        actor=staff,
        headline=f"A quote from {staff.display_name}: accept or decline it in the portal",
        text=text,
        template="case-quote",
        quote=quote,
    )
    return quote


def cases_approve_cancellation(
    *, cases: Iterable[Case], staff: User, ip_address: str | None = None
) -> tuple[list[Case], list[tuple[Case, str]]]:
    """Approve several requests, each in its own transaction: (done, [(case, refusal)])."""
    done, refused = [], []
    for case in cases:
        try:
            done.append(case_approve_cancellation(case=case, staff=staff, ip_address=ip_address))
        except ActionRefused as refusal:
            refused.append((case, refusal.message))
    return done, refused
