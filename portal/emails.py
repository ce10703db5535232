"""E-mails as template triples (subject, text, HTML), kept in an outbox until delivered.

`email_send_on_commit` renders the e-mail and stores it in the outbox inside the
caller's transaction, so the e-mail exists exactly when the change does; delivery
is tried once the transaction commits. A delivery that fails is logged and left in
the outbox, and `manage.py send_outbox` (run from cron) tries it again: a mail
server being down never undoes or blocks the change, and nothing is lost.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
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
    transaction.on_commit(lambda: email_deliver(email_id=email.pk))


def email_deliver(*, email_id: int) -> bool:
    """Try to deliver one outbox e-mail; True when sent. Never raises: a failure is logged
    and counted, and the e-mail waits for the next `send_outbox`."""
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
            message.send()
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
    """Retry what is waiting, backing off exponentially; (sent, failed) in this run."""
    now = now or timezone.now()
    sent = failed = 0
    waiting = OutboundEmail.objects.filter(
        sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS
    ).order_by("created_at", "pk")
    for email in waiting.only("pk", "attempts", "created_at"):
        due = email.created_at + timedelta(minutes=2**email.attempts - 1)
        if due > now:
            continue
        if email_deliver(email_id=email.pk):
            sent += 1
        else:
            failed += 1
    return sent, failed
