"""E-mails as template triples (subject, text, HTML), sent once the transaction commits."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string


def email_send(*, template: str, to: list[str], context: dict) -> None:
    """Render emails/<template>-subject.txt, -body.txt and -body.html and send them."""
    context = {"base_url": settings.PORTAL_BASE_URL, **context}
    subject = render_to_string(f"emails/{template}-subject.txt", context).strip()
    text = render_to_string(f"emails/{template}-body.txt", context)
    html = render_to_string(f"emails/{template}-body.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.splitlines()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
    )
    message.attach_alternative(html, "text/html")
    message.send()


def email_send_on_commit(*, template: str, to: list[str], context: dict) -> None:
    """Queue the e-mail so that a rolled-back change sends nothing."""
    transaction.on_commit(lambda: email_send(template=template, to=to, context=context))
