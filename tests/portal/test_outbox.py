"""E-mail delivery failing never undoes or blocks a change; the outbox retries it."""

import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from portal.emails import MAX_ATTEMPTS, outbox_flush
from portal.models import OutboundEmail

pytestmark = pytest.mark.django_db


def invite(client, email="new@test.example"):
    return client.post(reverse("team_invite"), {"email": email, "role": "member"})


def test_the_email_is_stored_with_the_change_and_sent_after_commit(
    client_for, owner, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(owner))
    email = OutboundEmail.objects.get()
    assert email.sent_at is not None and email.attempts == 1
    assert mailoutbox[0].subject == email.subject


def test_a_failing_mail_server_neither_undoes_nor_blocks_the_change_and_it_is_retried(
    client_for, owner, django_capture_on_commit_callbacks, mailoutbox, caplog
):
    client = client_for(owner)
    with (
        mock.patch(
            "django.core.mail.EmailMultiAlternatives.send",
            side_effect=ConnectionRefusedError("mail server down"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = invite(client)
    assert response.status_code == 302
    assert Invitation.objects.filter(email="new@test.example").exists()
    email = OutboundEmail.objects.get()
    assert email.sent_at is None and email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error
    assert "e-mail delivery failed" in caplog.text
    assert mailoutbox == []
    # The next run, once its back-off has passed, delivers it.
    out = io.StringIO()
    with mock.patch(
        "portal.emails.timezone.now", return_value=timezone.now() + timedelta(minutes=5)
    ):
        call_command("send_outbox", stdout=out)
    assert "1 sent" in out.getvalue()
    email.refresh_from_db()
    assert email.sent_at is not None
    assert len(mailoutbox) == 1


def test_a_rolled_back_change_leaves_no_email(owner, organization):
    from django.db import transaction

    from portal.emails import email_send_on_commit

    with pytest.raises(RuntimeError), transaction.atomic():
        email_send_on_commit(
            template="member-removed",
            to=["x@test.example"],
            context={"organization": organization, "member": owner, "actor": owner},
        )
        raise RuntimeError("the change failed")
    assert not OutboundEmail.objects.exists()


def test_the_outbox_backs_off_and_gives_up_after_many_tries(organization, owner):
    from portal.emails import email_render

    email = email_render(
        template="member-removed",
        to=["x@test.example"],
        context={"organization": organization, "member": owner, "actor": owner},
    )
    email.attempts = 3
    email.save()
    # Three failures: the next try waits seven minutes.
    assert outbox_flush(now=email.created_at + timedelta(minutes=6)) == (0, 0)
    assert outbox_flush(now=email.created_at + timedelta(minutes=8)) == (1, 0)
    email.refresh_from_db()
    assert email.sent_at is not None
    stuck = email_render(
        template="member-removed",
        to=["y@test.example"],
        context={"organization": organization, "member": owner, "actor": owner},
    )
    stuck.attempts = MAX_ATTEMPTS
    stuck.save()
    assert outbox_flush(now=timezone.now() + timedelta(days=30)) == (0, 0)
