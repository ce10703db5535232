"""E-mails as template triples (subject, text, HTML), kept in an outbox until delivered.

`email_send_on_commit` renders the e-mail and stores it in the outbox inside the
caller's transaction, so the e-mail exists exactly when the change does; delivery
is tried once the transaction commits, in the request, or with `EMAIL_RELAY` by
`manage.py send_outbox --follow` in a process of its own. A delivery that fails is
logged and left in the outbox, and `manage.py send_outbox` (run from cron) tries it
again: a mail server being down never undoes or blocks the change, and nothing is lost.
"""

import contextlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from portal.models import OutboundEmail

logger = logging.getLogger(__name__)

# Give up on an e-mail after this many failed deliveries (about a day at one try a minute,
# backing off); it stays in the outbox, visible to staff in admin.
MAX_ATTEMPTS = 12


def email_render(*, template: str, to: list[str], context: dict) -> OutboundEmail:
    """emails/<template>-subject.txt, -body.txt and -body.html, as an unsaved outbox row."""
    context = {"base_url": settings.PORTAL_BASE_URL, **context}
    subject = render_to_string(f"emails/{template}-subject.txt", context).strip()
    return OutboundEmail(
        template=template,
        to=sorted(set(to)),
        subject=" ".join(subject.splitlines())[:300],
        body_text=render_to_string(f"emails/{template}-body.txt", context),
        body_html=render_to_string(f"emails/{template}-body.html", context),
    )


def email_send_on_commit(*, template: str, to: list[str], context: dict) -> None:
    """Store the e-mail with the change and deliver it once the change is committed."""
    if not to:
        return
    email = email_render(template=template, to=to, context=context)
    email.save()
    if not settings.EMAIL_RELAY:  # else the relay (send_outbox --follow) delivers it
        transaction.on_commit(lambda: email_deliver(email_id=email.pk))


def email_deliver(*, email_id: int, mailer: BaseEmailBackend | None = None) -> bool:
    """Try to deliver one outbox e-mail, through `mailer` (an open connection, for many)
    or the default one; True when sent. Never raises: a failure is logged and counted,
    and the e-mail waits for the next `send_outbox`."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, sent_at__isnull=True)
            .first()
        )
        if email is None:
            return False  # sent already, or another worker is sending it
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=email.to,
        )
        message.attach_alternative(email.body_html, "text/html")
        try:
            if mailer is None:
                message.send()
            else:
                mailer.send_messages([message])
        except Exception as error:  # any delivery failure is retried later
            email.attempts += 1
            email.last_error = f"{type(error).__name__}: {error}"[:500]
            email.save(update_fields=["attempts", "last_error"])
            logger.warning(
                "e-mail delivery failed",
                extra={
                    "email_id": email.pk,
                    "template": email.template,
                    "attempts": email.attempts,
                    "error": type(error).__name__,
                },
            )
            return False
        email.sent_at = timezone.now()
        email.attempts += 1
        email.save(update_fields=["sent_at", "attempts"])
        return True


def outbox_flush(*, now=None) -> tuple[int, int]:
    """Deliver what is waiting (a failed e-mail again once its back-off has passed, doubling
    each time), over one connection to the mail server; (sent, failed) in this run."""
    now = now or timezone.now()
    waiting = OutboundEmail.objects.filter(
        sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS
    ).order_by("created_at", "pk")
    due = [
        pk
        for pk, attempts, created_at in waiting.values_list("pk", "attempts", "created_at")
        if created_at + timedelta(minutes=2**attempts - 1) <= now
    ]
    if not due:
        return 0, 0  # and no connection opened: the relay asks every second
    sent = failed = 0
    mailer = mailers.default
    try:
        mailer.open()
    except Exception:  # each e-mail then tries, fails and is counted, as without a mailer
        mailer = None
    try:
        for pk in due:
            if email_deliver(email_id=pk, mailer=mailer):
                sent += 1
            else:
                failed += 1
    finally:
        if mailer is not None:
            with contextlib.suppress(Exception):  # the server may have gone meanwhile
                mailer.close()
    return sent, failed
