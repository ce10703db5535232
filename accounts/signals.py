"""allauth's signals that change what the portal records: a new primary e-mail address
goes through `services.user_email_changed` (audited in each of the user's organizations)."""

from accounts import services
from core.http import client_ip


def _email_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    services.user_email_changed(
        user=user,
        before=from_email_address.email if from_email_address else "",
        after=to_email_address.email,
        ip_address=client_ip(request),
    )


def connect_signals() -> None:
    from allauth.account.signals import email_changed

    email_changed.connect(_email_changed, dispatch_uid="accounts-audit-email-changed")
