"""Customers follow up on their cases: reply, close, accept or decline a quote."""

import uuid
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from accounts.access import membership_reread
from accounts.limits import member_limit_check
from accounts.models import Membership
from core.audit import AuditAction
from core.errors import ActionRefused
from core.org_cache import organization_changed
from subscriptions import services as subscription_services
from subscriptions.models import Product
from subscriptions.policy import Action, Channel
from support.models import REOPEN_DAYS, Case, Message, Quote
from support.services.shared import (
    REPLIES,
    State,
    _add_message,
    _attach,
    _audit,
    _cancellation_outcome,
    _create_once,
    _decide,
    _email_customer,
    _email_staff,
    _lock_case,
    _money,
    _move,
    _quote_subject,
    _submitted_before,
    files_removed_on_failure,
)


@files_removed_on_failure
@transaction.atomic
def case_reply(
    *,
    case: Case,
    membership: Membership,
    body: str,
    files: Sequence = (),
    submission_key: uuid.UUID | None = None,
    ip_address: str | None = None,
) -> Message:
    """A customer's reply. It puts a pending case back to our team, and reopens a resolved
    one within REOPEN_DAYS; a closed case takes no more replies."""
    membership = membership_reread(membership)
    earlier = _submitted_before(Message, submission_key, case=case)
    if earlier is not None:
        return earlier
    case = _lock_case(case, membership=membership)
    # Under the lock a twin submit of this form has committed: find its message.
    earlier = _submitted_before(Message, submission_key, case=case)
    if earlier is not None:
        return earlier
    body = body.strip()
    if not body:
        raise ActionRefused("Write your reply first.")
    # Held until the reply commits: parallel replies of one member count one by one.
    member_limit_check(membership, REPLIES)
    if case.state == State.CLOSED:
        raise ActionRefused("This case is closed. Open a new case and mention its reference.")
    if not case.accepts_replies():
        raise ActionRefused(
            f"This case was resolved more than {REOPEN_DAYS} days ago. Open a new case "
            f"and mention {case.reference}."
        )
    before = case.state
    if case.state == State.PENDING:
        _move(case, State.IN_PROGRESS if case.assigned_to_id else State.OPEN)
    elif case.state == State.RESOLVED:
        _move(case, State.OPEN)
    message, created = _create_once(
        Message,
        submission_key=submission_key,
        case=case,
        author=membership.user,
        author_name=membership.user.display_name[:150],
        body=body,
    )
    if not created:
        return message
    _attach(message, files)
    case.save(update_fields=["updated_at"])
    reopened = before == State.RESOLVED
    _audit(
        action=AuditAction.CASE_REOPENED if reopened else AuditAction.CASE_REPLIED,
        case=case,
        actor=membership.user,
        before={"state": before} if before != case.state else None,
        after={"state": case.state, "message": message.pk, "files": len(files)},
        ip_address=ip_address,
    )
    organization_changed(case.organization)
    headline = f"{membership.user.display_name} {'reopened' if reopened else 'replied to'} the case"
    _email_staff(case=case, headline=headline, text=body)
    _email_customer(case=case, actor=membership.user, headline=headline, text=body)
    return message


@transaction.atomic
def case_close(*, case: Case, membership: Membership, ip_address: str | None = None) -> Case:
    """The customer closes a case they no longer need (a second click changes nothing)."""
    membership = membership_reread(membership)
    case = _lock_case(case, membership=membership)
    if case.state == State.CLOSED:
        return case
    before = _move(case, State.CLOSED)
    _audit(
        action=AuditAction.CASE_CLOSED,
        case=case,
        actor=membership.user,
        before={"state": before},
        after={"state": case.state},
        ip_address=ip_address,
    )
    organization_changed(case.organization)
    headline = f"{membership.user.display_name} closed the case"
    _email_staff(case=case, headline=headline)
    _email_customer(case=case, actor=membership.user, headline=headline)
    return case


def _lock_quote(quote: Quote, *, membership: Membership) -> tuple[Case, Quote]:
    """Lock the quote's case (one the member may see), then the quote."""
    case = _lock_case(quote.case, membership=membership)
    locked = Quote.objects.select_for_update().filter(pk=quote.pk, case=case).first()
    if locked is None:
        raise ActionRefused("There is no such quote on this case.")
    return case, locked


@transaction.atomic
def quote_accept(*, quote: Quote, membership: Membership, ip_address: str | None = None) -> Quote:
    """A12: the customer accepts the account manager's quote; the Jetpack changes (or is
    cancelled) through the subscription services, and the case is resolved."""
    membership = membership_reread(membership)
    case, quote = _lock_quote(quote, membership=membership)
    if quote.state == Quote.State.ACCEPTED:
        return quote  # a double submit: it is done already
    if quote.state != Quote.State.SENT:
        raise ActionRefused(f"This quote is no longer open: {quote.get_state_display().lower()}.")
    if quote.is_expired():
        raise ActionRefused(
            f"This quote was valid until {quote.valid_until:%d %B %Y}. Reply to ask for a new one."
        )
    item = _quote_subject(case)
    subscription = subscription_services.lock_for_decision(item.subscription)
    product = Product.objects.filter(pk=quote.product_id).first() if quote.product_id else None
    decision = _decide(
        subscription=subscription,
        membership=membership,
        action=Action.CHANGE_PLAN if product else Action.CANCEL,
        requested_plan=product,
    )
    if decision.channel != Channel.ACCOUNT_MANAGER:
        raise ActionRefused(decision.reason)
    user = membership.user
    if product is not None:
        subscription = subscription_services.subscription_change_product(
            subscription=subscription,
            product=product,
            actor=user,
            ip_address=ip_address,
            source=case.reference,
        )
        done = f"{product.name} replaces {item.subscription.product.name} from today."
    else:
        subscription = subscription_services.subscription_schedule_cancellation(
            subscription=subscription, actor=user, ip_address=ip_address, source=case.reference
        )
        done = _cancellation_outcome(subscription)
    quote.state = Quote.State.ACCEPTED
    quote.decided_by = user
    quote.decided_at = timezone.now()
    quote.save(update_fields=["state", "decided_by", "decided_at"])
    text = f"{user.display_name} accepted the quote ({_money(quote.price)}). {done}"
    _add_message(case=case, author=user, body=text)
    before = _move(case, State.RESOLVED)
    _audit(
        action=AuditAction.QUOTE_ACCEPTED,
        case=case,
        actor=user,
        before={"state": before},
        after={"state": case.state, "quote": quote.pk, "price": str(quote.price)},
        ip_address=ip_address,
    )
    organization_changed(case.organization)
    _email_staff(case=case, headline="The customer accepted the quote", text=text)
    _email_customer(case=case, actor=user, headline="The quote was accepted", text=text)
    return quote


@transaction.atomic
def quote_decline(
    *, quote: Quote, membership: Membership, reason: str = "", ip_address: str | None = None
) -> Quote:
    """The customer declines a quote; the case goes back to the account manager."""
    membership = membership_reread(membership)
    case, quote = _lock_quote(quote, membership=membership)
    if quote.state == Quote.State.DECLINED:
        return quote
    if quote.state != Quote.State.SENT:
        raise ActionRefused(f"This quote is no longer open: {quote.get_state_display().lower()}.")
    user = membership.user
    quote.state = Quote.State.DECLINED
    quote.decided_by = user
    quote.decided_at = timezone.now()
    quote.save(update_fields=["state", "decided_by", "decided_at"])
    text = f"{user.display_name} declined the quote ({_money(quote.price)})."
    if reason.strip():
        text += f"\n\n{reason.strip()}"
    _add_message(case=case, author=user, body=text)
    before = _move(case, State.IN_PROGRESS if case.state == State.PENDING else case.state)
    _audit(
        action=AuditAction.QUOTE_DECLINED,
        case=case,
        actor=user,
        before={"state": before},
        after={"state": case.state, "quote": quote.pk},
        ip_address=ip_address,
    )
    organization_changed(case.organization)
    _email_staff(case=case, headline="The customer declined the quote", text=text)
    _email_customer(case=case, actor=user, headline="The quote was declined", text=text)
    return quote
