"""An audit event in words, for Activity and Home.

Events store codes: the action ("team.role_changed") and what changed as field names and
raw values ({"role": "super_admin"}). They are put into words as they are shown, so an
old event reads in today's words and the log itself never changes.

An action without a label of its own (an admin change, named after the model it
changed) is read from its code: "admin.product_changed" becomes "Product changed by
staff". `tests/portal/test_audit_labels.py` fails when code records an action that
has no label here.
"""

from accounts.models import Role
from subscriptions.models import SubscriptionState

ACTION_LABELS = {
    # Accounts and the organization
    "team.invited": "Invitation sent",
    "team.invitation_revoked": "Invitation withdrawn",
    "team.joined": "Joined the team",
    "team.role_changed": "Role changed",
    "team.removed": "Member removed",
    "account.email_changed": "E-mail address changed",
    "organization.require_mfa_changed": "Two-factor authentication requirement changed",
    "organization.outbound_recording_changed": "Outbound call recording switched",
    # Plans, numbers and licenses
    "subscription.cancelled": "Cancelled",
    "subscription.cancel_scheduled": "Cancellation scheduled",
    "subscription.kept": "Kept (cancellation withdrawn)",
    "subscription.upgraded": "Upgraded",
    "subscription.downgrade_scheduled": "Downgrade scheduled",
    "subscription.plan_changed": "Plan changed",
    "subscription.quantity_changed": "Quantity changed",
    "subscription.reactivated": "Reactivated",
    "subscription.cancellation_approved": "Cancellation approved",
    "subscription.term_end_cancelled": "Ended at the end of its term",
    "subscription.term_end_downgraded": "Downgraded at the end of its term",
    "subscription.term_end_renewed": "Renewed for a new term",
    "number.inbound_recording_changed": "Inbound call recording switched",
    "number.blocked": "Caller blocked",
    "number.unblocked": "Caller unblocked",
    "number.released": "Number released",
    "line.calling_mode_changed": "Calling mode changed",
    "line.number_changed": "Phone number changed",
    "license.assigned": "License assigned",
    "license.freed": "License freed",
    # Support and help
    "support.case_opened": "Case opened",
    "support.case_replied": "Replied on a case",
    "support.case_reopened": "Case reopened",
    "support.case_closed": "Case closed",
    "support.staff_replied": "Support replied",
    "support.note_added": "Internal note added",
    "support.case_assigned": "Case assigned",
    "support.case_state_changed": "Case status changed",
    "support.quote_sent": "Quote sent",
    "support.quote_accepted": "Quote accepted",
    "support.quote_declined": "Quote declined",
    "support.cancellation_approved": "Cancellation request approved",
    "support.cancellation_declined": "Cancellation request declined",
    "help.voted": "Help article rated",
    "help.vote_changed": "Help article rating changed",
}

FIELD_LABELS = {
    "outbound_call_recording": "Outbound call recording",
    "inbound_recording": "Inbound call recording",
    "require_mfa": "Two-factor authentication required",
    "calling_mode": "Calling mode",
    "term_end": "Term ends",
    "scheduled_product": "Next term's plan",
    "assigned_to": "Assigned to",
    "email": "E-mail",
    "new_member": "New to the portal",
}

# Switches read "on" and "off"; other yes-or-no fields "yes" and "no".
SWITCHES = {"outbound_call_recording", "inbound_recording"}

# Fields whose values are a model's choices: shown by their labels.
CHOICE_LABELS = {
    "role": dict(Role.choices),
    "state": dict(SubscriptionState.choices),
}


def action_label(action: str) -> str:
    """The action in words: its label, or its code read as words."""
    if label := ACTION_LABELS.get(action):
        return label
    area, _, what = action.rpartition(".")
    words = what.replace("_", " ").strip().capitalize() or action
    return f"{words} by staff" if area == "admin" else words


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field) or field.replace("_", " ").strip().capitalize()


def value_label(field: str, value) -> str:
    """A recorded value in words; an empty one as "none"."""
    if isinstance(value, bool):
        if field in SWITCHES:
            return "on" if value else "off"
        return "yes" if value else "no"
    if value is None or value == "":
        return "none"
    if choices := CHOICE_LABELS.get(field):
        return str(choices.get(value, value))
    return str(value)
