"""What the support services share: locks, decisions, messages and files, states, audit, e-mail."""

import uuid
from collections.abc import Sequence
from contextvars import ContextVar
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from accounts.limits import MemberLimit
from accounts.models import Membership, User
from core.audit import AuditAction, audit_record
from core.emails import email_send_on_commit
from core.errors import ActionRefused
from subscriptions import services as subscription_services
from subscriptions.models import Product, Subscription
from subscriptions.policy import Action, Channel, Decision
from subscriptions.selectors import decision_context, decision_for
from support.attachments import attachment_storage, check_upload, clean_file_name
from support.models import Attachment, Case, CaseSubscription, Message

State = Case.State
Kind = Case.Kind
CANCEL_ACTIONS = (Action.CANCEL, Action.DELETE)
CASE_CHANNELS = (Channel.SUPPORT_CASE, Channel.ACCOUNT_MANAGER)
MAX_ATTACHMENTS = 5

# What one member may do in an hour (`accounts.limits.member_limit_check`).
CASES_OPENED = MemberLimit(
    what="new cases", actions=(AuditAction.CASE_OPENED,), setting="SUPPORT_CASES_PER_HOUR"
)
REPLIES = MemberLimit(
    what="replies",
    actions=(AuditAction.CASE_REPLIED, AuditAction.CASE_REOPENED),
    setting="SUPPORT_REPLIES_PER_HOUR",
)


class CaseAlreadyOpen(ActionRefused):
    """The subscription already has an open cancellation request: `case`."""

    def __init__(self, case: Case):
        super().__init__(
            f"{case.reference} already asks to cancel this, and it is still open: "
            "add anything new to it there."
        )
        self.case = case


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


def _submitted_before(model, submission_key: uuid.UUID | None, **scope):
    """The row (`model`, within `scope`) that an earlier submit of the same form made, found
    by its `submission_key`; None for a first submit. A service returns it and changes
    nothing, so a double submit is harmless."""
    if submission_key is None:
        return None
    return model.objects.filter(submission_key=submission_key, **scope).first()


def _create_once(model, *, submission_key: uuid.UUID | None, **fields):
    """Create the row a submit makes: (the row, True); or, when a twin submit of the same
    form made it a moment before (its `submission_key` is unique), (that row, False)."""
    try:
        with transaction.atomic():
            return model.objects.create(submission_key=submission_key, **fields), True
    except IntegrityError:
        return model.objects.get(submission_key=submission_key), False


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
    """The audit event of a change of `case`. It records the event only: the service that
    changes the case calls `organization_changed` itself."""
    audit_record(
        action=action,
        organization=case.organization,
        actor=actor,
        target=case,
        before=before,
        after={"reference": case.reference, **(after or {})},
        ip_address=ip_address,
    )


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
) -> Message:
    message = Message.objects.create(
        case=case,
        author=author,
        author_name=(author.display_name if author else "Switchboard")[:150],
        from_staff=from_staff,
        internal=internal,
        body=body,
    )
    _attach(message, files)
    case.save(update_fields=["updated_at"])
    return message


def _attach(message: Message, files: Sequence) -> None:
    if len(files) > MAX_ATTACHMENTS:
        raise ActionRefused(f"Attach at most {MAX_ATTACHMENTS} files to one message.")
    if files and not message.from_staff:
        _check_attachment_quota(message.case.organization_id, files)
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


def _check_attachment_quota(organization_id: int, files: Sequence) -> None:
    """Refuse customers' files that would take the organization's attachments past
    `settings.ATTACHMENT_QUOTA_BYTES` (staff's answers are never held back by it)."""
    quota = settings.ATTACHMENT_QUOTA_BYTES
    held = (
        Attachment.objects.filter(message__case__organization_id=organization_id).aggregate(
            total=Sum("size")
        )["total"]
        or 0
    )
    adding = sum(upload.size or 0 for upload in files)
    if held + adding > quota:
        raise ActionRefused(
            f"Your organization's case attachments take {filesizeformat(held)} of the "
            f"{filesizeformat(quota)} it may store, so these files "
            f"({filesizeformat(adding)}) do not fit. Nothing was sent: send it again "
            "without them, or smaller, or ask us to remove old attachments."
        )


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


def _quote_subject(case: Case) -> CaseSubscription:
    item = case.items.select_related("subscription").first()
    if item is None:
        raise ActionRefused("This case concerns no subscription, so a quote cannot apply.")
    return item


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _cancellation_outcome(subscription: Subscription) -> str:
    if subscription.state == Subscription.State.CANCELLED:
        return f"{subscription} was cancelled today."
    return (
        f"{subscription} stops renewing: you keep it until the current term ends on "
        f"{subscription.term_end:%d %B %Y}. Nothing is refunded."
    )
