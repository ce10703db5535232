"""Changes to subscriptions: each locks its row, re-checks the engine, writes, audits, e-mails.

Self-service functions take the acting `membership` and re-read it inside the
transaction, so a role changed a moment ago counts. They refuse with
`ActionRefused` carrying the engine's reason, which is also what a double submit
meets: the second request sees the new state and is told so.

The `subscription_schedule_cancellation`, `subscription_set_quantity` and
`subscription_change_product` functions carry out what staff approved on a
support case (cancellation requests, quotes): the customer's decision was
checked when the case was opened, and staff act for the provider.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.access import membership_reread
from accounts.limits import MemberLimit, member_limit_check
from accounts.models import Membership, Organization, User
from core.audit import AuditAction, audit_record
from core.emails import email_send_on_commit, email_topic_recent
from core.errors import ActionRefused
from core.org_cache import organization_changed
from subscriptions.models import (
    BlockedNumber,
    CancellationFeedback,
    PhoneNumber,
    Product,
    SpareNumber,
    Subscription,
    prefetch_line_addons,
)
from subscriptions.policy import Action, Channel, Decision, Fix, Setting
from subscriptions.selectors import decision_context, decision_for, outbound_recording_decision

State = Subscription.State
SELF_SERVICE = (Channel.NOW, Channel.TERM_END)
# How often one member may flip the switches in an hour (`member_limit_check`).
SETTING_CHANGES = MemberLimit(
    what="setting changes",
    actions=(
        AuditAction.INBOUND_RECORDING_CHANGED,
        AuditAction.CALLING_MODE_CHANGED,
        AuditAction.OUTBOUND_RECORDING_CHANGED,
    ),
    setting="SETTING_CHANGES_PER_HOUR",
)


# --- shared steps ------------------------------------------------------------------------


def lock_for_decision(subscription: Subscription) -> Subscription:
    """Lock the row, then load it with everything the engine reads (a join can't be locked
    on PostgreSQL's nullable side, so the lock and the read are two queries, and a line's
    add-ons a third). Every service that decides again under the lock starts here. The
    organization comes with it: the audit event and the e-mail name it."""
    Subscription.objects.select_for_update().filter(pk=subscription.pk).values_list("pk").get()
    locked = (
        Subscription.objects.with_page_relations()
        .select_related("organization")
        .get(pk=subscription.pk)
    )
    prefetch_line_addons([locked])
    return locked


def _decide(
    *,
    subscription: Subscription,
    membership: Membership,
    action: Action,
    channels=SELF_SERVICE,
    **kwargs,
) -> Decision:
    decision = decision_for(
        subscription=subscription,
        membership=membership,
        action=action,
        today=timezone.localdate(),
        context=decision_context(organization=membership.organization),
        **kwargs,
    )
    if not decision.allowed:
        raise ActionRefused(decision.reason)
    if decision.channel not in channels:
        # Allowed, but through a person (a case, the account manager, the App Store).
        raise ActionRefused(decision.reason)
    return decision


def _snapshot(subscription: Subscription) -> dict:
    return {
        "state": subscription.state,
        "product": subscription.product.name,
        "quantity": subscription.quantity,
        "term_end": subscription.term_end.isoformat(),
        "scheduled_product": subscription.scheduled_product.name
        if subscription.scheduled_product_id
        else "",
    }


def _record(
    *,
    action: str,
    subscription: Subscription,
    actor: User,
    before: dict,
    summary: str,
    ip_address: str | None,
    extra: dict | None = None,
) -> None:
    """The audit event and the confirmation e-mail of one change."""
    after = {**_snapshot(subscription), **(extra or {})}
    _confirm(
        action=action,
        organization=subscription.organization,
        actor=actor,
        target=subscription,
        before={k: v for k, v in before.items() if after.get(k) != v} or before,
        after={k: v for k, v in after.items() if before.get(k) != v},
        summary=summary,
        ip_address=ip_address,
    )


def _confirm(
    *,
    action: str,
    organization: Organization,
    actor: User | None,
    target,
    summary: str,
    before: dict | None = None,
    after: dict | None = None,
    ip_address: str | None = None,
    notice_topic: str = "",
) -> None:
    """The audit event of one change and the e-mail that confirms it, together."""
    audit_record(
        action=action,
        organization=organization,
        actor=actor,
        target=target,
        before=before,
        after=after,
        ip_address=ip_address,
    )
    _email_organization(
        organization=organization,
        actor=actor,
        summary=summary,
        subject=target,
        notice_topic=notice_topic,
    )


def _email_organization(
    *, organization: Organization, actor: User, summary: str, subject, notice_topic: str = ""
) -> None:
    """Confirm a change to whoever made it and to the organization's Super Admins.

    A switch (`notice_topic`: which one, of what) tells the Super Admins once in
    SETTING_NOTICE_MINUTES: a member flipping it again and again reaches them once, and
    Activity keeps every change. Whoever flipped it is told each time."""
    recipients = set()
    if actor is not None and actor.email and not actor.is_staff:
        recipients.add(actor.email)
    quiet_minutes = settings.SETTING_NOTICE_MINUTES if notice_topic else 0
    if notice_topic and email_topic_recent(topic=notice_topic, minutes=quiet_minutes):
        notice_topic = ""  # the Super Admins heard of this switch a moment ago
    else:
        recipients.update(
            Membership.objects.super_admins()
            .filter(organization=organization)
            .values_list("user__email", flat=True)
        )
    email_send_on_commit(
        template="subscription-changed",
        to=sorted(recipients),
        context={
            "organization": organization,
            "actor": actor,
            "summary": summary,
            "subject": str(subject),
            "quiet_minutes": quiet_minutes if notice_topic else 0,
        },
        topic=notice_topic,
    )


def _cancel_now(subscription: Subscription, *, by_cancel_line: bool) -> None:
    now = timezone.now()
    subscription.state = State.CANCELLED
    subscription.cancelled_at = now
    subscription.cancelled_by_cancel_line = by_cancel_line
    subscription.scheduled_product = None
    subscription.save(
        update_fields=["state", "cancelled_at", "cancelled_by_cancel_line", "scheduled_product"]
    )
    # Cancel Line removes every feature of the line with it (I5).
    subscription.addons.exclude(state=State.CANCELLED).update(
        state=State.CANCELLED, cancelled_at=now, cancelled_by_cancel_line=by_cancel_line
    )


# --- cancel, keep, change plan -------------------------------------------------------------


@transaction.atomic
def subscription_cancel(
    *,
    subscription: Subscription,
    membership: Membership,
    ip_address: str | None = None,
    reason: str = "",
    reason_detail: str = "",
    confirm_number: str = "",
    requested_quantity: int | None = None,
) -> Subscription:
    """Self-service cancellation, now (Cancel Line, Delete) or at the term end (plans, add-ons)."""
    membership = membership_reread(membership)
    subscription = lock_for_decision(subscription)
    action = Action.DELETE if subscription.product.kind == Product.Kind.SIP_TRUNK else Action.CANCEL
    decision = _decide(subscription=subscription, membership=membership, action=action)
    number = subscription.number
    if decision.irreversible and number is not None:
        typed = "".join(ch for ch in confirm_number if ch.isdigit())
        if typed != number.e164.lstrip("+"):
            raise ActionRefused(f"Type the line's number, {number.e164}, to confirm.")
    before = _snapshot(subscription)
    if decision.channel is Channel.NOW:
        _cancel_now(subscription, by_cancel_line=subscription.product.kind == Product.Kind.LINE)
        summary = f"{subscription} was cancelled today."
        if decision.app_store_steps:
            summary += (
                " It was bought in the Apple App Store: cancel the App Store subscription "
                "there too, or Apple keeps charging it."
            )
        audit_action = AuditAction.SUBSCRIPTION_CANCELLED
        organization_changed(subscription.organization)  # one fewer held
    else:
        subscription.state = State.CANCELS_AT_TERM_END
        subscription.scheduled_product = None
        subscription.save(update_fields=["state", "scheduled_product"])
        summary = (
            f"{subscription} stops renewing. You keep it, and its usage credits, until "
            f"{subscription.term_end:%d %B %Y}."
        )
        audit_action = AuditAction.SUBSCRIPTION_CANCEL_SCHEDULED
    if reason or reason_detail:
        CancellationFeedback.objects.create(
            subscription=subscription,
            member=membership.user,
            reason=reason,
            detail=reason_detail[:1000],
        )
    _record(
        action=audit_action,
        subscription=subscription,
        actor=membership.user,
        before=before,
        summary=summary,
        ip_address=ip_address,
        extra={"reason": reason} if reason else None,
    )
    return subscription


@transaction.atomic
def cancellation_fix_taken(
    *, subscription: Subscription, membership: Membership, fix_code: str, reason: str = ""
) -> Fix:
    """I1: the member took one of the fixes offered instead of cancelling; recorded with
    the reason they gave, for staff's report, once per member, subscription and day (a
    repeat changes nothing, so one member cannot skew the report). Returns the fix, for
    the page it leads to."""
    membership = membership_reread(membership)
    subscription = lock_for_decision(subscription)
    decision = decision_for(
        subscription=subscription,
        membership=membership,
        action=Action.CANCEL,
        today=timezone.localdate(),
        context=decision_context(organization=membership.organization),
    )
    fix = next((fix for fix in decision.fixes_first if fix.code == fix_code), None)
    if fix is None:
        raise ActionRefused("That fix does not apply here.")
    start_of_today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    # Under the subscription's lock, so parallel posts see each other's feedback.
    given_today = CancellationFeedback.objects.filter(
        subscription=subscription,
        member=membership.user,
        created_at__gte=start_of_today,
    ).exclude(fix_taken="")
    if given_today.exists():
        return fix
    CancellationFeedback.objects.create(
        subscription=subscription, member=membership.user, reason=reason, fix_taken=fix.code
    )
    return fix


@transaction.atomic
def subscription_keep(
    *, subscription: Subscription, membership: Membership, ip_address: str | None = None
) -> Subscription:
    """Undo a scheduled cancellation or downgrade before the term ends (I3)."""
    membership = membership_reread(membership)
    subscription = lock_for_decision(subscription)
    _decide(subscription=subscription, membership=membership, action=Action.KEEP)
    before = _snapshot(subscription)
    subscription.state = State.ACTIVE
    subscription.scheduled_product = None
    subscription.save(update_fields=["state", "scheduled_product"])
    _record(
        action=AuditAction.SUBSCRIPTION_KEPT,
        subscription=subscription,
        actor=membership.user,
        before=before,
        summary=f"{subscription} renews on {subscription.term_end:%d %B %Y} as usual.",
        ip_address=ip_address,
    )
    return subscription


def plan_price_difference(*, subscription: Subscription, product: Product) -> Decimal:
    """What the new plan costs more (or less) per billing period than the current one."""
    return product.price - subscription.product.price


@transaction.atomic
def subscription_change_plan(
    *,
    subscription: Subscription,
    membership: Membership,
    product: Product,
    ip_address: str | None = None,
) -> Subscription:
    """A bigger plan now; a smaller one from the end of the term (A9, A10)."""
    membership = membership_reread(membership)
    subscription = lock_for_decision(subscription)
    decision = _decide(
        subscription=subscription,
        membership=membership,
        action=Action.CHANGE_PLAN,
        requested_plan=product,
    )
    before = _snapshot(subscription)
    if decision.channel is Channel.NOW:
        subscription.product = product
        subscription.scheduled_product = None
        subscription.save(update_fields=["product", "scheduled_product"])
        summary = f"{product.name} replaces {before['product']} from today."
        audit_action = AuditAction.SUBSCRIPTION_UPGRADED
        organization_changed(subscription.organization)  # another plan held
    else:
        subscription.scheduled_product = product
        subscription.save(update_fields=["scheduled_product"])
        summary = (
            f"{before['product']} continues until {subscription.term_end:%d %B %Y}; "
            f"{product.name} starts then."
        )
        audit_action = AuditAction.SUBSCRIPTION_DOWNGRADE_SCHEDULED
    _record(
        action=audit_action,
        subscription=subscription,
        actor=membership.user,
        before=before,
        summary=summary,
        ip_address=ip_address,
    )
    return subscription


@transaction.atomic
def subscription_reactivate(
    *, subscription: Subscription, membership: Membership, ip_address: str | None = None
) -> Subscription:
    """Bring back a suspended or cancelled number or line while it is still held (I1)."""
    membership = membership_reread(membership)
    subscription = lock_for_decision(subscription)
    _decide(subscription=subscription, membership=membership, action=Action.REACTIVATE)
    if subscription.number is None and subscription.product.kind in (
        Product.Kind.LINE,
        Product.Kind.BUSINESS_NUMBER,
    ):
        raise ActionRefused("Its number has been released, so it can no longer come back.")
    before = _snapshot(subscription)
    subscription.state = State.ACTIVE
    subscription.cancelled_at = None
    subscription.save(update_fields=["state", "cancelled_at"])
    organization_changed(subscription.organization)
    _record(
        action=AuditAction.SUBSCRIPTION_REACTIVATED,
        subscription=subscription,
        actor=membership.user,
        before=before,
        summary=f"{subscription} is active again.",
        ip_address=ip_address,
    )
    return subscription


# --- switches and numbers ----------------------------------------------------------------


@transaction.atomic
def number_set_inbound_recording(
    *, subscription: Subscription, membership: Membership, on: bool, ip_address=None
) -> PhoneNumber:
    """A7: inbound call recording is switched per number."""
    membership = membership_reread(membership)
    member_limit_check(membership, SETTING_CHANGES)
    subscription = lock_for_decision(subscription)
    _decide(
        subscription=subscription,
        membership=membership,
        action=Action.TOGGLE,
        setting=Setting.INBOUND_RECORDING,
    )
    number = subscription.number
    if number.inbound_recording == on:
        return number
    number.inbound_recording = on
    number.save(update_fields=["inbound_recording"])
    _confirm(
        action=AuditAction.INBOUND_RECORDING_CHANGED,
        organization=subscription.organization,
        actor=membership.user,
        target=number,
        before={"inbound_recording": not on},
        after={"inbound_recording": on},
        ip_address=ip_address,
        summary=f"Inbound call recording on {number.e164} is now {'on' if on else 'off'}.",
        notice_topic=f"inbound_recording:phone_number:{number.pk}",
    )
    return number


@transaction.atomic
def line_set_calling_mode(
    *, subscription: Subscription, membership: Membership, mode: str, ip_address=None
) -> PhoneNumber:
    """I1: a line places calls over the voice network or over data."""
    if mode not in PhoneNumber.CallingMode.values:
        raise ActionRefused("Choose the voice network or data.")
    membership = membership_reread(membership)
    member_limit_check(membership, SETTING_CHANGES)
    subscription = lock_for_decision(subscription)
    _decide(
        subscription=subscription,
        membership=membership,
        action=Action.TOGGLE,
        setting=Setting.CALLING_MODE,
    )
    number = subscription.number
    if number.calling_mode == mode:
        return number
    before = number.calling_mode
    number.calling_mode = mode
    number.save(update_fields=["calling_mode"])
    _confirm(
        action=AuditAction.CALLING_MODE_CHANGED,
        organization=subscription.organization,
        actor=membership.user,
        target=number,
        before={"calling_mode": before},
        after={"calling_mode": mode},
        ip_address=ip_address,
        summary=f"{number.e164} now places and takes calls over "
        f"{number.get_calling_mode_display().lower()}.",
        notice_topic=f"calling_mode:phone_number:{number.pk}",
    )
    return number


@transaction.atomic
def organization_set_outbound_recording(
    *, organization: Organization, membership: Membership, on: bool, ip_address=None
) -> Organization:
    """A8: outbound call recording is one switch for the whole organization."""
    membership = membership_reread(membership)
    decision = outbound_recording_decision(membership=membership)
    if not decision.allowed:
        raise ActionRefused(decision.reason)
    organization = Organization.objects.select_for_update().get(pk=membership.organization_id)
    # After the organization's row, as the team changes lock them.
    member_limit_check(membership, SETTING_CHANGES)
    if organization.outbound_call_recording == on:
        return organization
    organization.outbound_call_recording = on
    organization.save(update_fields=["outbound_call_recording"])
    _confirm(
        action=AuditAction.OUTBOUND_RECORDING_CHANGED,
        organization=organization,
        actor=membership.user,
        target=organization,
        before={"outbound_call_recording": not on},
        after={"outbound_call_recording": on},
        ip_address=ip_address,
        summary=f"Outbound call recording for {organization.name} is now {'on' if on else 'off'}.",
        notice_topic=f"outbound_recording:organization:{organization.pk}",
    )
    return organization


@transaction.atomic
def number_block(
    *, subscription: Subscription, membership: Membership, e164: str, ip_address=None
) -> BlockedNumber:
    """I1: blocking a caller is free."""
    membership = membership_reread(membership)
    subscription = lock_for_decision(subscription)
    _decide(subscription=subscription, membership=membership, action=Action.BLOCK_NUMBERS)
    number = subscription.number
    if e164 == number.e164:
        raise ActionRefused("A number cannot block itself.")
    blocked, created = BlockedNumber.objects.get_or_create(phone_number=number, e164=e164)
    if not created:
        raise ActionRefused(f"{e164} is already blocked.")
    _confirm(
        action=AuditAction.NUMBER_BLOCKED,
        organization=subscription.organization,
        actor=membership.user,
        target=number,
        after={"blocked": e164},
        ip_address=ip_address,
        summary=f"Calls from {e164} to {number.e164} are now blocked.",
    )
    return blocked


@transaction.atomic
def number_unblock(
    *, subscription: Subscription, membership: Membership, blocked_id: int, ip_address=None
) -> None:
    membership = membership_reread(membership)
    subscription = lock_for_decision(subscription)
    _decide(subscription=subscription, membership=membership, action=Action.BLOCK_NUMBERS)
    blocked = BlockedNumber.objects.filter(pk=blocked_id, phone_number=subscription.number).first()
    if blocked is None:
        raise ActionRefused("That number is not blocked any more.")
    blocked.delete()
    _confirm(
        action=AuditAction.NUMBER_UNBLOCKED,
        organization=subscription.organization,
        actor=membership.user,
        target=subscription.number,
        before={"blocked": blocked.e164},
        ip_address=ip_address,
        summary=f"{blocked.e164} can call {subscription.number.e164} again.",
    )


@transaction.atomic
def line_change_number(
    *, subscription: Subscription, membership: Membership, spare_id: int, ip_address=None
) -> PhoneNumber:
    """Give the line a number from the free stock; the old one goes back to the stock.

    The line keeps its plan, add-ons, settings and block list: only its number changes.
    The stock is shared by every customer, so the engine limits changes per line and per
    organization (`NumberChanges`): the organization's row is locked first, so two
    changes of its lines at once are counted one after the other.
    """
    membership = membership_reread(membership)
    Organization.objects.select_for_update().filter(pk=subscription.organization_id).values_list(
        "pk"
    ).get()
    subscription = lock_for_decision(subscription)
    _decide(subscription=subscription, membership=membership, action=Action.CHANGE_NUMBER)
    spare = SpareNumber.objects.select_for_update().filter(pk=spare_id).first()
    if spare is None:
        raise ActionRefused("That number was just taken. Pick another one.")
    number = subscription.number
    old = number.e164
    # The old number returns to the stock after its hold, like any released number.
    hold = subscription.product.reactivation_hold_days
    spare_old = SpareNumber(
        e164=old,
        country=number.country,
        number_type=number.number_type,
        available_from=timezone.localdate() + timedelta(days=hold),
    )
    number.e164, number.country, number.number_type = spare.e164, spare.country, spare.number_type
    spare.delete()
    number.save(update_fields=["e164", "country", "number_type"])
    spare_old.save()
    organization_changed(subscription.organization)  # Numbers lists its countries
    _confirm(
        action=AuditAction.NUMBER_CHANGED,
        organization=subscription.organization,
        actor=membership.user,
        target=subscription,
        before={"number": old},
        after={"number": number.e164},
        ip_address=ip_address,
        summary=f"The line's number changed from {old} to {number.e164}. Its plan, add-ons "
        "and settings stay as they were.",
    )
    _tell_staff_when_stock_runs_low(country=number.country)
    return number


def _tell_staff_when_stock_runs_low(*, country: str) -> None:
    """E-mail support when a change leaves `country` with fewer free numbers than
    `SPARE_NUMBERS_LOW_BELOW` (as it falls below, and again when none is left); admin's
    Spare numbers page shows every country's stock."""
    free = SpareNumber.objects.available(timezone.localdate()).filter(country=country).count()
    low_below = settings.SPARE_NUMBERS_LOW_BELOW
    if free != low_below - 1 and free != 0:
        return
    email_send_on_commit(
        template="spare-numbers-low",
        to=[settings.SUPPORT_EMAIL],
        context={
            "country": country,
            "free": free,
            "low_below": low_below,
            "path": reverse("admin:subscriptions_sparenumber_changelist"),
        },
    )


@transaction.atomic
def license_assign(
    *,
    subscription: Subscription,
    membership: Membership,
    assignee: Membership | None,
    ip_address=None,
) -> Subscription:
    """Super Admins give a user license to a member, move it, or free it."""
    membership = membership_reread(membership)
    if not membership.is_super_admin:
        raise ActionRefused("Only Super Admins assign licenses.")
    subscription = lock_for_decision(subscription)
    if subscription.product.kind != Product.Kind.USER_LICENSE or not subscription.is_live:
        raise ActionRefused("Only a user license in service can be assigned.")
    if assignee is not None and assignee.organization_id != subscription.organization_id:
        raise ActionRefused("Licenses go to members of your organization.")
    new_user_id = assignee.user_id if assignee else None
    if subscription.assigned_to_id == new_user_id:
        return subscription
    before = {"assigned_to": subscription.assigned_to.email if subscription.assigned_to else ""}
    subscription.assigned_to = assignee.user if assignee else None
    subscription.save(update_fields=["assigned_to"])
    organization_changed(subscription.organization)
    _confirm(
        action=AuditAction.LICENSE_ASSIGNED if assignee else AuditAction.LICENSE_FREED,
        organization=subscription.organization,
        actor=membership.user,
        target=subscription,
        before=before,
        after={"assigned_to": assignee.user.email if assignee else ""},
        ip_address=ip_address,
        summary=f"{subscription} is now assigned to {assignee.user.display_name}."
        if assignee
        else f"{subscription} is free: nobody holds it now.",
    )
    return subscription


def phone_number_save(*, number: PhoneNumber) -> PhoneNumber:
    """Staff give a number to a subscription, or change it (admin): the number belongs to
    the subscription's organization (copied onto it for the Numbers page's index)."""
    number.organization_id = number.subscription.organization_id
    number.save()
    organization_changed(number.organization_id)
    return number


def phone_number_follow_subscription(*, subscription: Subscription) -> None:
    """A subscription's number belongs to the subscription's organization: after staff
    give a number to a subscription or move a subscription to another organization (in
    admin), its number follows. (Its organization is copied onto the number for the
    Numbers page's index.)"""
    moved = PhoneNumber.objects.filter(subscription_id=subscription.pk).exclude(
        organization_id=subscription.organization_id
    )
    if moved.update(organization_id=subscription.organization_id):
        organization_changed(subscription.organization_id)


# --- carried out by staff from a support case -----------------------------------------


@transaction.atomic
def subscription_schedule_cancellation(
    *, subscription: Subscription, actor: User, ip_address: str | None = None, source: str = ""
) -> Subscription:
    """Staff approved a cancellation request: it ends at the term end, as every plan does
    (I3), unless its policy cancels now (then it ends today)."""
    subscription = lock_for_decision(subscription)
    if subscription.state in (State.CANCELLED, State.CANCELS_AT_TERM_END):
        raise ActionRefused(
            f"{subscription} is already {subscription.get_state_display().lower()}."
        )
    before = _snapshot(subscription)
    if subscription.product.cancel_channel == Product.CancelChannel.NOW:
        _cancel_now(subscription, by_cancel_line=False)
        summary = f"{subscription} was cancelled today."
        organization_changed(subscription.organization)
    else:
        subscription.state = State.CANCELS_AT_TERM_END
        subscription.scheduled_product = None
        subscription.save(update_fields=["state", "scheduled_product"])
        summary = f"{subscription} stops renewing and ends on {subscription.term_end:%d %B %Y}."
    _record(
        action=AuditAction.SUBSCRIPTION_CANCELLATION_APPROVED,
        subscription=subscription,
        actor=actor,
        before=before,
        summary=summary,
        ip_address=ip_address,
        extra={"source": source} if source else None,
    )
    return subscription


@transaction.atomic
def subscription_set_quantity(
    *,
    subscription: Subscription,
    quantity: int,
    actor: User,
    ip_address: str | None = None,
    source: str = "",
) -> Subscription:
    """Change how many are held; 0 cancels them all. Never below the product's minimum (A11)."""
    subscription = lock_for_decision(subscription)
    if quantity == 0:
        return subscription_schedule_cancellation(
            subscription=subscription, actor=actor, ip_address=ip_address, source=source
        )
    minimum = subscription.product.minimum_quantity
    if quantity < minimum:
        raise ActionRefused(
            f"{subscription.product.name} needs at least {minimum}: keep {minimum} or more, "
            "or cancel them all."
        )
    if not subscription.is_live:
        raise ActionRefused(f"{subscription} is cancelled.")
    before = _snapshot(subscription)
    subscription.quantity = quantity
    subscription.save(update_fields=["quantity"])
    organization_changed(subscription.organization)
    _record(
        action=AuditAction.SUBSCRIPTION_QUANTITY_CHANGED,
        subscription=subscription,
        actor=actor,
        before=before,
        summary=f"{subscription.organization.name} now holds {quantity} of "
        f"{subscription.product.name}.",
        ip_address=ip_address,
        extra={"source": source} if source else None,
    )
    return subscription


@transaction.atomic
def subscription_change_product(
    *,
    subscription: Subscription,
    product: Product,
    actor: User,
    ip_address: str | None = None,
    source: str = "",
) -> Subscription:
    """Switch the plan today (an accepted quote, for example)."""
    subscription = lock_for_decision(subscription)
    if not subscription.is_live:
        raise ActionRefused(f"{subscription} is cancelled.")
    if product.kind != subscription.product.kind:
        raise ActionRefused(f"{product.name} is not a plan of the same kind.")
    before = _snapshot(subscription)
    subscription.product = product
    subscription.scheduled_product = None
    subscription.save(update_fields=["product", "scheduled_product"])
    organization_changed(subscription.organization)
    _record(
        action=AuditAction.SUBSCRIPTION_PLAN_CHANGED,
        subscription=subscription,
        actor=actor,
        before=before,
        summary=f"{product.name} replaces {before['product']} from today.",
        ip_address=ip_address,
        extra={"source": source} if source else None,
    )
    return subscription


# --- the end of terms --------------------------------------------------------------------

PERIODS = {Product.BillingPeriod.MONTHLY: 1, Product.BillingPeriod.ANNUAL: 12}
TERM_END_ACTIONS = {
    "cancelled": AuditAction.TERM_END_CANCELLED,
    "downgraded": AuditAction.TERM_END_DOWNGRADED,
    "renewed": AuditAction.TERM_END_RENEWED,
}


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@transaction.atomic
def subscription_apply_term_end(*, subscription_id: int, today: date) -> str | None:
    """What is due for one subscription whose term has ended; None if another run has it
    or nothing is due. Returns what was done: "cancelled", "downgraded", "renewed"."""
    locked = (
        Subscription.objects.select_for_update(skip_locked=True)
        .filter(pk=subscription_id, term_end__lt=today)
        .exclude(state=State.CANCELLED)
        .values_list("pk", flat=True)
        .first()
    )
    if locked is None:
        return None
    subscription = Subscription.objects.select_related(
        "organization", "product", "scheduled_product"
    ).get(pk=locked)
    before = _snapshot(subscription)
    if subscription.state == State.CANCELS_AT_TERM_END:
        subscription.state = State.CANCELLED
        subscription.cancelled_at = timezone.now()
        subscription.save(update_fields=["state", "cancelled_at"])
        done = "cancelled"
        organization_changed(subscription.organization)
        summary = f"{subscription} ended with its term."
    else:
        if subscription.scheduled_product_id:
            subscription.product = subscription.scheduled_product
            subscription.scheduled_product = None
            done = "downgraded"
            organization_changed(subscription.organization)
            summary = f"{subscription.product.name} starts today, as planned."
        else:
            done = "renewed"
            summary = ""
        months = PERIODS.get(subscription.product.billing_period, 1)
        # A run that was missed for a while catches up in one go: one event, whole terms.
        while subscription.term_end < today:
            subscription.term_start = subscription.term_end + timedelta(days=1)
            subscription.term_end = _add_months(subscription.term_start, months) - timedelta(days=1)
        subscription.save(update_fields=["product", "scheduled_product", "term_start", "term_end"])
    audit_record(
        action=TERM_END_ACTIONS[done],
        organization=subscription.organization,
        actor=None,
        target=subscription,
        before=before,
        after=_snapshot(subscription),
    )
    if summary:
        _email_organization(
            organization=subscription.organization,
            actor=None,
            summary=summary,
            subject=subscription,
        )
    return done


@transaction.atomic
def number_release_after_hold(*, phone_number_id: int, today: date) -> bool:
    """A cancelled number past its hold goes back to the stock; its line can't come back."""
    number = (
        PhoneNumber.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=phone_number_id, subscription__state=State.CANCELLED)
        .select_related("subscription__product", "subscription__organization")
        .first()
    )
    if number is None:
        return False
    subscription = number.subscription
    held_until = timezone.localdate(subscription.cancelled_at) + timedelta(
        days=subscription.product.reactivation_hold_days
    )
    if held_until >= today:
        return False
    if not subscription.label:
        # The subscription keeps the number as text for its history.
        subscription.label = number.e164
        subscription.save(update_fields=["label"])
    SpareNumber.objects.get_or_create(
        e164=number.e164,
        defaults={
            "country": number.country,
            "number_type": number.number_type,
            "available_from": today,
        },
    )
    audit_record(
        action=AuditAction.NUMBER_RELEASED,
        organization=subscription.organization,
        actor=None,
        target=subscription,
        before={"number": number.e164},
    )
    number.delete()
    organization_changed(subscription.organization)
    return True
