"""E-mails as template triples (subject, text, HTML), kept in an outbox until delivered.

`email_send_on_commit` renders the e-mail and stores it in the outbox inside the
caller's transaction, so the e-mail exists exactly when the change does; delivery
is tried once the transaction commits, in the request (through the `in_request` mailer,
which waits only seconds for the mail server), or with `EMAIL_RELAY` by
`manage.py send_outbox --follow` in a process of its own. A delivery that fails is
logged and left in the outbox, and `manage.py send_outbox` (run from cron) tries it
again: a mail server being down never undoes or blocks the change, and nothing is lost.
"""

import contextlib
import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from core.models import OutboundEmail

logger = logging.getLogger("portal.emails")  # the name operators filter on

# Give up on an e-mail after this many failed deliveries (about a day at one try a minute,
# backing off); it stays in the outbox, visible to staff in admin.
MAX_ATTEMPTS = 12
# E-mails sent over one connection (mail servers limit messages per connection): a run
# with more opens another for each hundred.
PER_CONNECTION = 100
# The mailer (settings.MAILERS) of deliveries inside a request: a short timeout, so that a
# mail server that never answers holds the page seconds, not minutes; what it could not
# deliver, `send_outbox` delivers through the default one.
IN_REQUEST = "in_request"


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


def email_send_on_commit(*, template: str, to: list[str], context: dict, topic: str = "") -> None:
    """Store the e-mail with the change and deliver it once the change is committed.
    `topic`: what the e-mail is a notice of, for `email_topic_recent` to find."""
    if not to:
        return
    email = email_render(template=template, to=to, context=context)
    email.topic = topic
    email.save()
    if not settings.EMAIL_RELAY:  # else the relay (send_outbox --follow) delivers it
        using = IN_REQUEST if IN_REQUEST in mailers else None  # None: the default mailer
        transaction.on_commit(lambda: email_deliver(email_id=email.pk, using=using))


def email_topic_recent(*, topic: str, minutes: int) -> bool:
    """Whether a notice of `topic` was written into the outbox in the last `minutes` (sent
    or not): the caller leaves out a repeat of it."""
    since = timezone.now() - timedelta(minutes=minutes)
    return OutboundEmail.objects.filter(topic=topic, created_at__gte=since).exists()


class Delivery(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # counted and logged; tried again after its back-off
    SKIPPED = "skipped"  # sent already, or another process is sending it now
    REFUSED = "refused"  # failed for what this e-mail is (a refused recipient, bad data)


# Failures that are this one e-mail's, not the connection's: the run goes on with the next
# (the server resets the transaction after refusing a message). ValueError and TypeError:
# an outbox row whose data cannot make a message (a bad header, recipients not a list).
REFUSED_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPDataError,
    ValueError,
    TypeError,
)


def email_deliver(
    *, email_id: int, mailer: BaseEmailBackend | None = None, using: str | None = None
) -> Delivery:
    """Try to deliver one outbox e-mail, through `mailer` (an open connection, for many)
    or the mailer named `using` (settings.MAILERS; the default one if None). Never
    raises: a failure is logged and counted, and the e-mail waits for the next
    `send_outbox`. At least once: a process stopped between the mail server's answer and
    the commit sends that e-mail again next time."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, sent_at__isnull=True)
            .first()
        )
        if email is None:
            return Delivery.SKIPPED
        try:
            message = EmailMultiAlternatives(
                subject=email.subject,
                body=email.body_text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=email.to,
            )
            message.attach_alternative(email.body_html, "text/html")
            accepted = (
                message.send(using=using) if mailer is None else mailer.send_messages([message])
            )
            if not accepted:
                raise smtplib.SMTPException("the mail server took nothing")
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
            return Delivery.REFUSED if isinstance(error, REFUSED_ERRORS) else Delivery.FAILED
        email.sent_at = timezone.now()
        email.attempts += 1
        email.save(update_fields=["sent_at", "attempts"])
        return Delivery.SENT


def outbox_flush(*, now=None, should_stop: Callable[[], bool] = lambda: False) -> tuple[int, int]:
    """Deliver everything waiting (a failed e-mail again once its back-off has passed,
    doubling each time), PER_CONNECTION e-mails over each connection to the mail server;
    (sent, failed) in this run.

    The first failure of the connection ends the run: the e-mails after it wait,
    uncounted, for the next run's new one. An e-mail refused for what it is (a recipient
    the server refuses, data that makes no message) is counted and the run goes on, so
    one bad e-mail never holds the others. `should_stop` is asked before each e-mail (the
    relay being stopped)."""
    now = now or timezone.now()
    waiting = OutboundEmail.objects.filter(
        sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS
    ).order_by("created_at", "pk")
    due = [
        pk
        for pk, attempts, created_at in waiting.values_list("pk", "attempts", "created_at")
        if created_at + timedelta(minutes=2**attempts - 1) <= now
    ]
    sent = failed = 0
    for start in range(0, len(due), PER_CONNECTION):
        batch_sent, batch_failed, broken = _deliver_over_one_connection(
            due[start : start + PER_CONNECTION], should_stop
        )
        sent += batch_sent
        failed += batch_failed
        if broken or should_stop():
            break
    return sent, failed  # (0, 0) without opening a connection when nothing is due


def _deliver_over_one_connection(due: list[int], should_stop) -> tuple[int, int, bool]:
    """(sent, failed, whether the connection failed) for the e-mails `due`."""
    # A mail server that cannot be reached at all counts one failed try for each e-mail of
    # the batch, without trying each (with a 10-second timeout, that would hold the relay
    # for minutes).
    mailer = mailers.default
    try:
        mailer.open()
    except Exception as error:
        failed = OutboundEmail.objects.filter(pk__in=due, sent_at__isnull=True).update(
            attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:500]
        )
        logger.warning(
            "mail server unreachable", extra={"emails": failed, "error": type(error).__name__}
        )
        return 0, failed, True
    sent = refused = 0
    try:
        for pk in due:
            if should_stop():
                break
            delivery = email_deliver(email_id=pk, mailer=mailer)
            if delivery is Delivery.SENT:
                sent += 1
            elif delivery is Delivery.REFUSED:
                refused += 1
            elif delivery is Delivery.FAILED:
                return sent, refused + 1, True
    finally:
        with contextlib.suppress(Exception):  # the server may have gone meanwhile
            mailer.close()
    return sent, refused, False
