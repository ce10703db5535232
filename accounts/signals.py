"""A member's e-mail address changes outside the portal's services (allauth's e-mail
page): it is recorded in the audit log of each organization they belong to, which also
tells the pages that show it (Accounts, kept in `portal.org_cache`) that it changed."""

from portal import org_cache
from portal.audit import audit_record
from portal.http import client_ip
from portal.org_cache import Topic


def _email_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    if user.is_staff:
        # Staff are named on organizations' pages without being members (an account
        # manager, a case's handler): every organization's pages draw them again.
        org_cache.mark_changed(None)
    for membership in user.memberships.select_related("organization"):
        audit_record(
            action="account.email_changed",
            organization=membership.organization,
            actor=user,
            target=user,
            before={"email": from_email_address.email} if from_email_address else {},
            after={"email": to_email_address.email},
            ip_address=client_ip(request),
            changed=[Topic.PEOPLE],
        )


def connect_signals() -> None:
    from allauth.account.signals import email_changed

    email_changed.connect(_email_changed, dispatch_uid="accounts-audit-email-changed")
