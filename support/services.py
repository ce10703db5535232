"""Changes to support cases: each in one transaction, audited, and e-mailed once it commits.

Customers open cases (general questions, cancellation requests, change and quote
requests), reply, close, and accept or decline quotes; staff reply, write internal
notes, assign, move a case between states, approve or decline cancellation requests
and send quotes. What a case asks of a subscription is carried out by
`subscriptions.services` (`subscription_schedule_cancellation`,
`subscription_set_quantity`, `subscription_change_product`), the same services
every other change goes through, inside this module's transaction.

Opening a case from a subscription locks the subscription row and asks the policy
engine again; a subscription has at most one open cancellation request
(`CaseSubscription.holds_cancellation`, unique per subscription), so two requests
to reduce the same contact-center licenses can never together break the minimum
(A11): the second one meets the first and is shown it.

A form's `submission_key` (a UUID sent with the form) makes a double submit
harmless: the second finds what the first made and changes nothing. Refusals raise
`core.errors.ActionRefused` with the customer's words; `CaseAlreadyOpen` also
carries the open case.
"""

import uuid
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from datetime import date
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.access import membership_reread
from accounts.models import Membership, User
from core.audit import AuditAction, audit_record
from core.emails import email_send_on_commit
from core.errors import ActionRefused
from core.org_cache import organization_changed
from subscriptions import services as subscription_services
from subscriptions.models import Product, Subscription
from subscriptions.policy import Action, Channel, Decision
from subscriptions.selectors import decision_context, decision_for
from support.attachments import attachment_storage, check_upload, clean_file_name
from support.models import (
    ACTIVE_STATES,
    REOPEN_DAYS,
    ArticleVote,
    Attachment,
    Case,
    CaseSubscription,
    HelpArticle,
    Message,
    Quote,
)

State = Case.State
Kind = Case.Kind
CANCEL_ACTIONS = (Action.CANCEL, Action.DELETE)
CASE_CHANNELS = (Channel.SUPPORT_CASE, Channel.ACCOUNT_MANAGER)
MAX_ATTACHMENTS = 5


class CaseAlreadyOpen(ActionRefused):
    """The subscription already has an open cancellation request: `case`."""

    def __init__(self, case: Case):
        super().__init__(
            f"{case.reference} already asks to cancel this, and it is still open: "
            "add anything new to it there."
        )
        self.case = case


# --- shared steps ------------------------------------------------------------------------


def _require_staff(user: User) -> None:
    if not (user and user.is_active and user.is_staff):
        raise ActionRefused("Only staff can do this.")


def _lock_case(case: Case, *, membership: Membership | None = None) -> Case:
    """Lock the case row, then read it with the people it names. A member must be able to
    see it (Members: their own cases)."""
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").get()
    cases = Case.objects.select_related("organization", "opened_by", "assigned_to")
    if membership is not None:
        cases = cases.visible_to(membership)
    locked = cases.filter(pk=case.pk).first()
    if locked is None:
        raise ActionRefused("There is no such case among yours.")
    return locked


def _decide(
    *,
    subscription: Subscription,
    membership: Membership,
    action: Action,
    requested_quantity: int | None = None,
    requested_plan: Product | None = None,
) -> Decision:
    """The engine's decision, which must send this action to a person (a case)."""
    decision = decision_for(
        subscription=subscription,
        membership=membership,
        action=action,
        today=timezone.localdate(),
        context=decision_context(organization=membership.organization),
        requested_quantity=requested_quantity,
        requested_plan=requested_plan,
    )
    if not decision.allowed:
        raise ActionRefused(decision.reason)
    if decision.channel not in CASE_CHANNELS:
        raise ActionRefused(
            f"{subscription} needs no support case for this: do it on its own page."
        )
    return decision


def _open_cancellation_of(subscription: Subscription) -> Case | None:
    item = (
        CaseSubscription.objects.select_related("case")
        .filter(subscription=subscription, holds_cancellation=True)
        .first()
    )
    return item.case if item else None


def _by_key(model, submission_key: uuid.UUID | None, **scope):
    if submission_key is None:
        return None
    return model.objects.filter(submission_key=submission_key, **scope).first()


def _case_url(case: Case) -> str:
    return reverse("case_detail", args=[case.pk])


def _admin_url(case: Case) -> str:
    return reverse("admin:support_case_change", args=[case.pk])


def _audit(
    *,
    action: AuditAction,
    case: Case,
    actor: User | None,
    before: dict | None = None,
    after: dict | None = None,
    ip_address: str | None = None,
) -> None:
    audit_record(
        action=action,
        organization=case.organization,
        actor=actor,
        target=case,
        before=before,
        after={"reference": case.reference, **(after or {})},
        ip_address=ip_address,
    )
    # Every change of a case may move it between the states Home and Support count.
    organization_changed(case.organization)


def _email_customer(
    *,
    case: Case,
    actor: User | None,
    headline: str,
    text: str = "",
    template: str = "case-update",
    **context,
) -> None:
    """Tell the member who opened the case, unless they are the one who made the change."""
    opener = case.opened_by
    if opener is None or not opener.email or (actor is not None and actor.pk == opener.pk):
        return
    email_send_on_commit(
        template=template,
        to=[opener.email],
        context={
            "case": case,
            "reference": case.reference,
            "organization": case.organization,
            "recipient": opener,
            "headline": headline,
            "text": text,
            "state": case.get_state_display(),
            "state_hint": case.state_hint,
            "path": _case_url(case),
            **context,
        },
    )


def _email_staff(*, case: Case, headline: str, text: str = "") -> None:
    """Tell the staff member handling the case, or the support team when nobody is yet."""
    recipient = case.assigned_to.email if case.assigned_to_id else settings.SUPPORT_EMAIL
    email_send_on_commit(
        template="case-staff-notice",
        to=[recipient],
        context={
            "case": case,
            "reference": case.reference,
            "organization": case.organization,
            "headline": headline,
            "text": text,
            "path": _admin_url(case),
        },
    )


def _add_message(
    *,
    case: Case,
    author: User | None,
    body: str,
    from_staff: bool = False,
    internal: bool = False,
    files: Sequence = (),
    submission_key: uuid.UUID | None = None,
) -> Message:
    message = Message.objects.create(
        case=case,
        author=author,
        author_name=(author.display_name if author else "Switchboard")[:150],
        from_staff=from_staff,
        internal=internal,
        body=body,
        submission_key=submission_key,
    )
    _attach(message, files)
    case.save(update_fields=["updated_at"])
    return message


def _attach(message: Message, files: Sequence) -> None:
    if len(files) > MAX_ATTACHMENTS:
        raise ActionRefused(f"Attach at most {MAX_ATTACHMENTS} files to one message.")
    stored = _stored_files.get()
    for upload in files:
        try:
            content_type = check_upload(upload)
        except ValidationError as error:
            raise ActionRefused(" ".join(error.messages)) from None
        attachment = Attachment(
            message=message,
            original_name=clean_file_name(upload.name),
            content_type=content_type,
            size=upload.size,
        )
        attachment.file.save("upload", upload, save=False)
        if stored is not None:
            stored.append(attachment.file.name)
        attachment.save()


# The files a service stored so far; removed again when the service fails.
_stored_files: ContextVar[list[str] | None] = ContextVar("support_stored_files", default=None)


def files_removed_on_failure(service):
    """Outside `transaction.atomic`: a service that fails, or whose commit fails, leaves no
    stored file behind (the database forgets the rows, this forgets the files)."""

    @wraps(service)
    def wrapper(*args, **kwargs):
        stored: list[str] = []
        token = _stored_files.set(stored)
        try:
            return service(*args, **kwargs)
        except BaseException:
            for name in stored:
                attachment_storage().delete(name)
            raise
        finally:
            _stored_files.reset(token)

    return wrapper


def _move(case: Case, state: str) -> str:
    """Move the case to `state` along TRANSITIONS; returns the state it left."""
    before = case.state
    if before == state:
        return before
    if not case.can_move_to(state):
        raise ActionRefused(
            f"A case that is {case.get_state_display().lower()} cannot become "
            f"{State(state).label.lower()}."
        )
    was_active = case.is_active
    now = timezone.now()
    case.state = state
    if state == State.RESOLVED:
        case.resolved_at = now
    elif state == State.CLOSED:
        case.closed_at = now
    elif not was_active:
        case.resolved_at = None  # reopened
    case.save(update_fields=["state", "resolved_at", "closed_at", "updated_at"])
    if was_active and not case.is_active:
        case.items.filter(holds_cancellation=True).update(holds_cancellation=False)
    elif case.is_active and not was_active:
        _hold_cancellations_again(case)
    return before


def _hold_cancellations_again(case: Case) -> None:
    """A reopened cancellation request takes its subscription's one place again, unless
    another request took it meanwhile."""
    for item in case.items.filter(action__in=CANCEL_ACTIONS).select_related("subscription"):
        subscription_services.lock_for_decision(item.subscription)
        other = _open_cancellation_of(item.subscription)
        if other is not None and other.pk != case.pk:
            raise ActionRefused(
                f"{other.reference} now asks to cancel {item.subscription}; add to it there "
                "instead of reopening this case."
            )
        item.holds_cancellation = True
        item.save(update_fields=["holds_cancellation"])


# --- customers open cases ----------------------------------------------------------------


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
    existing = _by_key(Case, submission_key, organization=membership.organization)
    if existing is not None:
        return existing, False
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise ActionRefused("Give the case a subject and tell us what you need.")
    try:
        with transaction.atomic():
            case = Case.objects.create(
                organization=membership.organization,
                opened_by=membership.user,
                kind=Kind.GENERAL,
                subject=subject[:200],
                origin=origin[:200],
                submission_key=submission_key,
            )
    except IntegrityError:
        # The same form, submitted twice at once: the other submit made the case.
        return Case.objects.get(submission_key=submission_key), False
    _add_message(case=case, author=membership.user, body=body, files=files)
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
    existing = _by_key(Case, submission_key, organization=membership.organization)
    if existing is not None:
        return existing, False
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
    subscription = subscription_services.lock_for_decision(subscription)
    # Under the lock a twin submit of this form has committed: find its case.
    existing = _by_key(Case, submission_key, organization=membership.organization)
    if existing is not None:
        return existing, False
    open_case = _open_cancellation_of(subscription)
    if open_case is not None:
        raise CaseAlreadyOpen(open_case)
    keep = keep_quantity or None
    decision = _decide(
        subscription=subscription,
        membership=membership,
        action=action,
        requested_quantity=keep,
    )
    if decision.channel != Channel.SUPPORT_CASE:
        raise ActionRefused(decision.reason)
    what = (
        f"keep {keep} of {subscription.quantity} {subscription.product.name}"
        if keep
        else f"cancel {subscription}"
    )
    case = _create_subscription_case(
        membership=membership,
        subscription=subscription,
        kind=Kind.CANCELLATION,
        subject=f"Cancellation request: {what}",
        action=action,
        requested_quantity=keep,
        holds_cancellation=True,
        submission_key=submission_key,
        **requester,
    )
    if case is None:
        return Case.objects.get(submission_key=submission_key), False
    lines = [
        f"Please {what}.",
        "",
        f"Full name: {requester['requester_name']}",
        f"Company or account ID: {requester['requester_company']}",
        f"Contact: {requester['requester_contact']}",
    ]
    if details.strip():
        lines += ["", details.strip()]
    _add_message(case=case, author=membership.user, body="\n".join(lines), files=files)
    _opened(
        case,
        membership=membership,
        ip_address=ip_address,
        after={"subscription": str(subscription), "keep": keep or 0},
        decision=decision,
    )
    return case, True


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
    existing = _by_key(Case, submission_key, organization=membership.organization)
    if existing is not None:
        return existing, False
    action = Action(action)
    if action == Action.CHANGE_QUANTITY and (quantity is None or quantity <= subscription.quantity):
        raise ActionRefused(
            f"You hold {subscription.quantity}. Ask for more here; to hold fewer, request "
            "a cancellation of some instead."
        )
    subscription = subscription_services.lock_for_decision(subscription)
    existing = _by_key(Case, submission_key, organization=membership.organization)
    if existing is not None:
        return existing, False
    cancels = action in CANCEL_ACTIONS
    if cancels:
        open_case = _open_cancellation_of(subscription)
        if open_case is not None:
            raise CaseAlreadyOpen(open_case)
    decision = _decide(
        subscription=subscription,
        membership=membership,
        action=action,
        requested_quantity=quantity,
        requested_plan=product,
    )
    if cancels and decision.channel != Channel.ACCOUNT_MANAGER:
        raise ActionRefused(decision.reason)
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
    case = _create_subscription_case(
        membership=membership,
        subscription=subscription,
        kind=Kind.CHANGE,
        subject=f"{'Quote request' if quote else 'Change request'}: {wanted}"[:200],
        action=action,
        requested_quantity=quantity,
        requested_product=product,
        holds_cancellation=cancels,
        submission_key=submission_key,
        # A12: the quote goes to the organization's account manager.
        assigned_to=membership.organization.account_manager if quote else None,
    )
    if case is None:
        return Case.objects.get(submission_key=submission_key), False
    text = body.strip() or f"Please {wanted}."
    _add_message(case=case, author=membership.user, body=text, files=files)
    _opened(
        case,
        membership=membership,
        ip_address=ip_address,
        after={
            "subscription": name,
            "asks": action.value,
            "quantity": quantity or "",
            "product": product.name if product else "",
        },
        decision=decision,
    )
    return case, True


def _create_subscription_case(
    *,
    membership: Membership,
    subscription: Subscription,
    kind: str,
    subject: str,
    action: Action,
    requested_quantity: int | None = None,
    requested_product: Product | None = None,
    holds_cancellation: bool,
    submission_key: uuid.UUID | None,
    assigned_to: User | None = None,
    **fields,
) -> Case | None:
    """The case and its subscription line; None when a twin submit already made it."""
    try:
        with transaction.atomic():
            case = Case.objects.create(
                organization=membership.organization,
                opened_by=membership.user,
                kind=kind,
                subject=subject[:200],
                assigned_to=assigned_to,
                submission_key=submission_key,
                **fields,
            )
    except IntegrityError:
        return None
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
    return case


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


# --- customers follow up -----------------------------------------------------------------


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
    existing = _by_key(Message, submission_key, case=case)
    if existing is not None:
        return existing
    case = _lock_case(case, membership=membership)
    existing = _by_key(Message, submission_key, case=case)
    if existing is not None:
        return existing
    body = body.strip()
    if not body:
        raise ActionRefused("Write your reply first.")
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
    try:
        with transaction.atomic():
            message = Message.objects.create(
                case=case,
                author=membership.user,
                author_name=membership.user.display_name[:150],
                body=body,
                submission_key=submission_key,
            )
    except IntegrityError:
        return Message.objects.get(submission_key=submission_key)
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
    headline = f"{membership.user.display_name} closed the case"
    _email_staff(case=case, headline=headline)
    _email_customer(case=case, actor=membership.user, headline=headline)
    return case


def _quote_subject(case: Case) -> CaseSubscription:
    item = case.items.select_related("subscription").first()
    if item is None:
        raise ActionRefused("This case concerns no subscription, so a quote cannot apply.")
    return item


@transaction.atomic
def quote_accept(*, quote: Quote, membership: Membership, ip_address: str | None = None) -> Quote:
    """A12: the customer accepts the account manager's quote; the Jetpack changes (or is
    cancelled) through the subscription services, and the case is resolved."""
    membership = membership_reread(membership)
    case = _lock_case(quote.case, membership=membership)
    quote = Quote.objects.select_for_update().filter(pk=quote.pk, case=case).first()
    if quote is None:
        raise ActionRefused("There is no such quote on this case.")
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
    _email_staff(case=case, headline="The customer accepted the quote", text=text)
    _email_customer(case=case, actor=user, headline="The quote was accepted", text=text)
    return quote


@transaction.atomic
def quote_decline(
    *, quote: Quote, membership: Membership, reason: str = "", ip_address: str | None = None
) -> Quote:
    """The customer declines a quote; the case goes back to the account manager."""
    membership = membership_reread(membership)
    case = _lock_case(quote.case, membership=membership)
    quote = Quote.objects.select_for_update().filter(pk=quote.pk, case=case).first()
    if quote is None:
        raise ActionRefused("There is no such quote on this case.")
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
    _email_staff(case=case, headline="The customer declined the quote", text=text)
    _email_customer(case=case, actor=user, headline="The quote was declined", text=text)
    return quote


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _cancellation_outcome(subscription: Subscription) -> str:
    if subscription.state == Subscription.State.CANCELLED:
        return f"{subscription} was cancelled today."
    return (
        f"{subscription} stops renewing: you keep it until the current term ends on "
        f"{subscription.term_end:%d %B %Y}. Nothing is refunded."
    )


# --- staff -------------------------------------------------------------------------------


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


__all__ = [
    "ACTIVE_STATES",
    "CaseAlreadyOpen",
    "case_approve_cancellation",
    "case_assign",
    "case_close",
    "case_decline",
    "case_open_general",
    "case_reply",
    "case_request_cancellation",
    "case_request_change",
    "case_set_state",
    "case_staff_reply",
    "cases_approve_cancellation",
    "quote_accept",
    "quote_decline",
    "quote_send",
]


@transaction.atomic
def article_vote(
    *,
    article: HelpArticle,
    membership: Membership,
    helpful: bool,
    comment: str = "",
    ip_address: str | None = None,
) -> ArticleVote:
    """A13: one vote per member per article; voting again changes it."""
    vote, created = ArticleVote.objects.select_for_update().update_or_create(
        article=article,
        user=membership.user,
        defaults={"helpful": helpful, "comment": comment.strip()[:1000]},
    )
    audit_record(
        action=AuditAction.HELP_VOTED if created else AuditAction.HELP_VOTE_CHANGED,
        organization=membership.organization,
        actor=membership.user,
        target=article,
        after={"helpful": helpful, "comment": bool(vote.comment)},
        ip_address=ip_address,
    )
    return vote
