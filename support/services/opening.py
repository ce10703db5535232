"""Customers open cases: general questions, cancellation requests, change and quote requests."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from accounts.access import membership_reread
from accounts.limits import member_limit_check
from accounts.models import Membership, User
from core.audit import AuditAction
from core.emails import email_send_on_commit
from core.errors import ActionRefused
from core.org_cache import organization_changed
from subscriptions import services as subscription_services
from subscriptions.models import Product, Subscription
from subscriptions.policy import Action, Channel, Decision
from support.models import Case, CaseSubscription
from support.services.shared import (
    CANCEL_ACTIONS,
    CASES_OPENED,
    CaseAlreadyOpen,
    Kind,
    _add_message,
    _audit,
    _case_url,
    _create_once,
    _decide,
    _email_staff,
    _open_cancellation_of,
    _submitted_before,
    files_removed_on_failure,
)


@files_removed_on_failure
@transaction.atomic
def case_open_general(
    *,
    membership: Membership,
    subject: str,
    body: str,
    origin: str = "",
    files: Sequence = (),
    submission_key: uuid.UUID | None = None,
    ip_address: str | None = None,
) -> tuple[Case, bool]:
    """A general question (I10 "Contact support", A13 "Submit a request"). Returns the case
    and whether it is new (False: the same form was submitted before)."""
    membership = membership_reread(membership)
    earlier = _submitted_before(Case, submission_key, organization=membership.organization)
    if earlier is not None:
        return earlier, False
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise ActionRefused("Give the case a subject and tell us what you need.")
    earlier = _case_slot_held(membership, submission_key)
    if earlier is not None:
        return earlier, False
    case, created = _create_once(
        Case,
        submission_key=submission_key,
        organization=membership.organization,
        opened_by=membership.user,
        kind=Kind.GENERAL,
        subject=subject[:200],
        origin=origin[:200],
    )
    if not created:
        return case, False
    _add_message(case=case, author=membership.user, body=body, files=files)
    organization_changed(case.organization)
    _opened(case, membership=membership, ip_address=ip_address, after={"origin": case.origin})
    return case, True


@files_removed_on_failure
@transaction.atomic
def case_request_cancellation(
    *,
    membership: Membership,
    subscription: Subscription,
    full_name: str,
    company: str,
    contact: str,
    action: Action = Action.CANCEL,
    keep_quantity: int | None = None,
    details: str = "",
    files: Sequence = (),
    submission_key: uuid.UUID | None = None,
    ip_address: str | None = None,
) -> tuple[Case, bool]:
    """A Cancellation Request (A2, A3, A5, A6, A11): the engine must route this cancellation
    to a support case. `keep_quantity`: the licenses kept (None or 0: all are cancelled)."""
    membership = membership_reread(membership)
    earlier = _submitted_before(Case, submission_key, organization=membership.organization)
    if earlier is not None:
        return earlier, False
    requester = {
        "requester_name": full_name.strip()[:150],
        "requester_company": company.strip()[:200],
        "requester_contact": contact.strip()[:254],
    }
    if not all(requester.values()):
        raise ActionRefused(
            "A cancellation request needs your full name, your company name or account ID, "
            "and how to reach you."
        )
    action = Action(action)
    if action not in CANCEL_ACTIONS:
        raise ActionRefused("A cancellation request cancels; ask for other changes separately.")
    keep = keep_quantity or None

    def worded(subscription: Subscription, decision: Decision) -> _Request:
        what = (
            f"keep {keep} of {subscription.quantity} {subscription.product.name}"
            if keep
            else f"cancel {subscription}"
        )
        lines = [
            f"Please {what}.",
            "",
            f"Full name: {requester['requester_name']}",
            f"Company or account ID: {requester['requester_company']}",
            f"Contact: {requester['requester_contact']}",
        ]
        if details.strip():
            lines += ["", details.strip()]
        return _Request(
            subject=f"Cancellation request: {what}",
            body="\n".join(lines),
            audit={"subscription": str(subscription), "keep": keep or 0},
        )

    return _open_subscription_case(
        membership=membership,
        subscription=subscription,
        kind=Kind.CANCELLATION,
        action=action,
        requested_quantity=keep,
        channel=Channel.SUPPORT_CASE,
        worded=worded,
        files=files,
        submission_key=submission_key,
        ip_address=ip_address,
        **requester,
    )


@files_removed_on_failure
@transaction.atomic
def case_request_change(
    *,
    membership: Membership,
    subscription: Subscription,
    action: Action,
    body: str,
    quantity: int | None = None,
    product: Product | None = None,
    files: Sequence = (),
    submission_key: uuid.UUID | None = None,
    ip_address: str | None = None,
) -> tuple[Case, bool]:
    """A change the engine sends to a person: a quote case for the account manager (A12:
    Jetpacks, to change or cancel), or a change request for support (more licenses, a new
    number). `quantity`: how many to hold afterwards; `product`: the plan asked for."""
    membership = membership_reread(membership)
    earlier = _submitted_before(Case, submission_key, organization=membership.organization)
    if earlier is not None:
        return earlier, False
    action = Action(action)
    if action == Action.CHANGE_QUANTITY and (quantity is None or quantity <= subscription.quantity):
        raise ActionRefused(
            f"You hold {subscription.quantity}. Ask for more here; to hold fewer, request "
            "a cancellation of some instead."
        )
    cancels = action in CANCEL_ACTIONS

    def worded(subscription: Subscription, decision: Decision) -> _Request:
        quote = decision.channel == Channel.ACCOUNT_MANAGER
        name = str(subscription)
        if cancels:
            wanted = f"cancel {name}"
        elif product is not None:
            wanted = f"{name} to {product.name}"
        elif quantity is not None:
            wanted = f"hold {quantity} of {subscription.product.name}"
        elif action == Action.CHANGE_NUMBER:
            wanted = f"a new number for {name}"
        else:
            wanted = f"change {name}"
        return _Request(
            subject=f"{'Quote request' if quote else 'Change request'}: {wanted}",
            body=body.strip() or f"Please {wanted}.",
            audit={
                "subscription": name,
                "asks": action.value,
                "quantity": quantity or "",
                "product": product.name if product else "",
            },
            # A12: the quote goes to the organization's account manager.
            assigned_to=membership.organization.account_manager if quote else None,
        )

    return _open_subscription_case(
        membership=membership,
        subscription=subscription,
        kind=Kind.CHANGE,
        action=action,
        requested_quantity=quantity,
        requested_product=product,
        # Only the account manager cancels here (A12); support's go through a cancellation
        # request.
        channel=Channel.ACCOUNT_MANAGER if cancels else None,
        worded=worded,
        files=files,
        submission_key=submission_key,
        ip_address=ip_address,
    )


def _case_slot_held(membership: Membership, submission_key: uuid.UUID | None) -> Case | None:
    """Hold one of the member's hourly cases before the case is made: the membership row is
    locked until the case commits, so parallel submits count one after another and never
    pass `SUPPORT_CASES_PER_HOUR` together (`TooOften` beyond it). Returns the case a twin
    submit of the same form made meanwhile, which takes no slot."""
    member_limit_check(membership, CASES_OPENED)
    return _submitted_before(Case, submission_key, organization=membership.organization)


@dataclass(frozen=True)
class _Request:
    """What a request about a subscription says, worded once its row is locked and the
    engine has decided: the case's subject, its first message, the audit event's details
    and who handles it."""

    subject: str
    body: str
    audit: dict
    assigned_to: User | None = None


def _open_subscription_case(
    *,
    membership: Membership,
    subscription: Subscription,
    kind: str,
    action: Action,
    requested_quantity: int | None,
    requested_product: Product | None = None,
    channel: Channel | None,
    worded: Callable[[Subscription, Decision], _Request],
    files: Sequence,
    submission_key: uuid.UUID | None,
    ip_address: str | None,
    **fields,
) -> tuple[Case, bool]:
    """The steps of every request about a subscription once its form is checked: lock the
    row, find a twin submit's case, meet an open cancellation request, ask the engine
    again (its channel must be `channel`, when given), then the case (with `fields`) and
    its subscription line, the first message with its files, the audit event and the
    e-mails. Returns the case and whether it is new."""
    earlier = _case_slot_held(membership, submission_key)
    if earlier is not None:
        return earlier, False
    subscription = subscription_services.lock_for_decision(subscription)
    # Under the lock a twin submit of this form has committed: find its case.
    earlier = _submitted_before(Case, submission_key, organization=membership.organization)
    if earlier is not None:
        return earlier, False
    cancels = action in CANCEL_ACTIONS
    if cancels:
        open_case = _open_cancellation_of(subscription)
        if open_case is not None:
            raise CaseAlreadyOpen(open_case)
    decision = _decide(
        subscription=subscription,
        membership=membership,
        action=action,
        requested_quantity=requested_quantity,
        requested_plan=requested_product,
    )
    if channel is not None and decision.channel != channel:
        raise ActionRefused(decision.reason)
    request = worded(subscription, decision)
    case, created = _create_once(
        Case,
        submission_key=submission_key,
        organization=membership.organization,
        opened_by=membership.user,
        kind=kind,
        subject=request.subject[:200],
        assigned_to=request.assigned_to,
        **fields,
    )
    if not created:
        return case, False
    _add_subscription_line(
        case=case,
        subscription=subscription,
        action=action,
        requested_quantity=requested_quantity,
        requested_product=requested_product,
        holds_cancellation=cancels,
    )
    _add_message(case=case, author=membership.user, body=request.body, files=files)
    organization_changed(case.organization)
    _opened(
        case,
        membership=membership,
        ip_address=ip_address,
        after=request.audit,
        decision=decision,
    )
    return case, True


def _add_subscription_line(
    *,
    case: Case,
    subscription: Subscription,
    action: Action,
    requested_quantity: int | None,
    requested_product: Product | None,
    holds_cancellation: bool,
) -> None:
    """What the case asks of the subscription."""
    try:
        with transaction.atomic():
            CaseSubscription.objects.create(
                case=case,
                subscription=subscription,
                action=action.value,
                requested_quantity=requested_quantity,
                requested_product=requested_product,
                holds_cancellation=holds_cancellation,
            )
    except IntegrityError:
        # Only a database that ignores row locks gets here: the constraint still holds.
        open_case = _open_cancellation_of(subscription)
        if open_case is None:
            raise ActionRefused("Another request for this was just made; try again.") from None
        raise CaseAlreadyOpen(open_case) from None


def _opened(
    case: Case,
    *,
    membership: Membership,
    ip_address: str | None,
    after: dict,
    decision: Decision | None = None,
) -> None:
    _audit(
        action=AuditAction.CASE_OPENED,
        case=case,
        actor=membership.user,
        after={"kind": case.kind, "subject": case.subject, **after},
        ip_address=ip_address,
    )
    email_send_on_commit(
        template="case-opened",
        to=[membership.user.email],
        context={
            "case": case,
            "reference": case.reference,
            "organization": case.organization,
            "recipient": membership.user,
            "decision": decision,
            "path": _case_url(case),
        },
    )
    _email_staff(case=case, headline=f"New {case.get_kind_display().lower()}: {case.subject}")
