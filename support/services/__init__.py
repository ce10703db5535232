"""Changes to support cases: each in one transaction, audited, and e-mailed once it commits.

Customers open cases (general questions, cancellation requests, change and quote
requests), reply, close, and accept or decline quotes; staff reply, write internal
notes, assign, move a case between states, approve or decline cancellation requests
and send quotes. What a case asks of a subscription is carried out by
`subscriptions.services` (`subscription_schedule_cancellation`,
`subscription_set_quantity`, `subscription_change_product`), the same services
every other change goes through, inside this package's transaction.

Opening a case from a subscription locks the subscription row and asks the policy
engine again; a subscription has at most one open cancellation request
(`CaseSubscription.holds_cancellation`, unique per subscription), so two requests
to reduce the same contact-center licenses can never together break the minimum
(A11): the second one meets the first and is shown it.

A form's `submission_key` (a UUID sent with the form) makes a double submit
harmless: the second finds what the first made and changes nothing. Refusals raise
`core.errors.ActionRefused` with the customer's words; `CaseAlreadyOpen` also
carries the open case.

Every service that changes a case calls `core.org_cache.organization_changed` for its
organization itself, once, beside the case's audit event (`shared._audit` records the
event only): from the commit on, Home and Support count open and pending cases again
instead of reading them from the cache. `core.audit.audit_record` knows nothing of the cache.

The modules: `shared` (the steps the services share), `opening` (customers open
cases), `follow_up` (customers reply, close, accept or decline a quote), `staff`
and `help_votes`. Callers import from the package: `from support import services`.
"""

from core.errors import ActionRefused as ActionRefused
from core.errors import TooOften as TooOften
from support.models import ACTIVE_STATES
from support.services.follow_up import case_close, case_reply, quote_accept, quote_decline
from support.services.help_votes import article_vote as article_vote
from support.services.opening import (
    case_open_general,
    case_request_cancellation,
    case_request_change,
)
from support.services.shared import CASES_OPENED, REPLIES, CaseAlreadyOpen
from support.services.staff import (
    case_approve_cancellation,
    case_assign,
    case_decline,
    case_set_state,
    case_staff_reply,
    cases_approve_cancellation,
    quote_send,
)

__all__ = [
    "ACTIVE_STATES",
    "CASES_OPENED",
    "REPLIES",
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
