"""Writes audit events; call it inside the transaction of the change it records.

Every action a service records is an `AuditAction`, with its words: Activity and Home
show those (`portal.audit_labels`), and `audit_record` refuses any other code, so no
action is ever recorded without words. Staff's changes in Django admin are recorded as
"admin.<model>_<verb>" (`core.admin.AuditedAdmin`), named after the model they changed.
"""

from django.db import models

from core.models import AuditEvent

ADMIN_PREFIX = "admin."


class AuditAction(models.TextChoices):
    # Accounts and the organization
    TEAM_INVITED = "team.invited", "Invitation sent"
    TEAM_INVITATION_REVOKED = "team.invitation_revoked", "Invitation withdrawn"
    TEAM_JOINED = "team.joined", "Joined the team"
    TEAM_ROLE_CHANGED = "team.role_changed", "Role changed"
    TEAM_REMOVED = "team.removed", "Member removed"
    ACCOUNT_EMAIL_CHANGED = "account.email_changed", "E-mail address changed"
    REQUIRE_MFA_CHANGED = (
        "organization.require_mfa_changed",
        "Two-factor authentication requirement changed",
    )
    OUTBOUND_RECORDING_CHANGED = (
        "organization.outbound_recording_changed",
        "Outbound call recording switched",
    )
    # Plans, numbers and licenses
    SUBSCRIPTION_CANCELLED = "subscription.cancelled", "Cancelled"
    SUBSCRIPTION_CANCEL_SCHEDULED = "subscription.cancel_scheduled", "Cancellation scheduled"
    SUBSCRIPTION_KEPT = "subscription.kept", "Kept (scheduled change withdrawn)"
    SUBSCRIPTION_UPGRADED = "subscription.upgraded", "Upgraded"
    SUBSCRIPTION_DOWNGRADE_SCHEDULED = "subscription.downgrade_scheduled", "Downgrade scheduled"
    SUBSCRIPTION_PLAN_CHANGED = "subscription.plan_changed", "Plan changed"
    SUBSCRIPTION_QUANTITY_CHANGED = "subscription.quantity_changed", "Quantity changed"
    SUBSCRIPTION_REACTIVATED = "subscription.reactivated", "Reactivated"
    SUBSCRIPTION_CANCELLATION_APPROVED = (
        "subscription.cancellation_approved",
        "Cancellation approved",
    )
    TERM_END_CANCELLED = "subscription.term_end_cancelled", "Ended at the end of its term"
    TERM_END_DOWNGRADED = "subscription.term_end_downgraded", "Downgraded at the end of its term"
    TERM_END_RENEWED = "subscription.term_end_renewed", "Renewed for a new term"
    INBOUND_RECORDING_CHANGED = (
        "number.inbound_recording_changed",
        "Inbound call recording switched",
    )
    NUMBER_BLOCKED = "number.blocked", "Caller blocked"
    NUMBER_UNBLOCKED = "number.unblocked", "Caller unblocked"
    NUMBER_RELEASED = "number.released", "Number released"
    CALLING_MODE_CHANGED = "line.calling_mode_changed", "Calling mode changed"
    NUMBER_CHANGED = "line.number_changed", "Phone number changed"
    LICENSE_ASSIGNED = "license.assigned", "License assigned"
    LICENSE_FREED = "license.freed", "License freed"
    # Support and help
    CASE_OPENED = "support.case_opened", "Case opened"
    CASE_REPLIED = "support.case_replied", "Replied on a case"
    CASE_REOPENED = "support.case_reopened", "Case reopened"
    CASE_CLOSED = "support.case_closed", "Case closed"
    STAFF_REPLIED = "support.staff_replied", "Support replied"
    NOTE_ADDED = "support.note_added", "Internal note added"  # staff only (STAFF_ONLY_ACTIONS)
    CASE_ASSIGNED = "support.case_assigned", "Case assigned"
    CASE_STATE_CHANGED = "support.case_state_changed", "Case status changed"
    QUOTE_SENT = "support.quote_sent", "Quote sent"
    QUOTE_ACCEPTED = "support.quote_accepted", "Quote accepted"
    QUOTE_DECLINED = "support.quote_declined", "Quote declined"
    CANCELLATION_REQUEST_APPROVED = (
        "support.cancellation_approved",
        "Cancellation request approved",
    )
    CANCELLATION_REQUEST_DECLINED = (
        "support.cancellation_declined",
        "Cancellation request declined",
    )
    HELP_VOTED = "help.voted", "Help article rated"
    HELP_VOTE_CHANGED = "help.vote_changed", "Help article rating changed"
    # The log itself (a migration that removed what staff's events must never have held)
    AUDIT_SECRETS_REDACTED = "audit.secrets_redacted", "Secrets removed from the audit log"


def audit_record(
    *,
    action: AuditAction | str,
    organization=None,
    actor=None,
    target: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Write one event. `action` is an `AuditAction` (or staff's "admin.<model>_<verb>");
    any other code raises ValueError, so every recorded action has its words."""
    if not str(action).startswith(ADMIN_PREFIX):
        action = AuditAction(action)
    return AuditEvent.objects.create(
        action=str(action),
        organization=organization,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_email=getattr(actor, "email", "") or "",
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        before=before or {},
        after=after or {},
        ip_address=ip_address,
    )
