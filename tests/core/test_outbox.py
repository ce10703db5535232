"""E-mail delivery failing never undoes or blocks a change; the outbox retries it."""

import io
import socket
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from core.emails import MAX_ATTEMPTS, outbox_flush
from core.models import OutboundEmail
from tests.portal.test_headers import production_settings

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
    with mock.patch("core.emails.timezone.now", return_value=timezone.now() + timedelta(minutes=5)):
        call_command("send_outbox", stdout=out)
    assert "1 sent" in out.getvalue()
    email.refresh_from_db()
    assert email.sent_at is not None
    assert len(mailoutbox) == 1


@pytest.fixture
def silent_mail_server():
    """A mail server's port that accepts connections and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)  # the kernel completes the connections; nothing ever answers
        yield server.getsockname()[1]


def test_a_mail_server_that_never_answers_holds_a_change_only_seconds(
    client_for, owner, settings, silent_mail_server, django_capture_on_commit_callbacks
):
    # Production's mailers (EMAIL_RELAY off), aimed at the silent server.
    settings.MAILERS = production_settings(
        EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(silent_mail_server), EMAIL_USE_TLS="false"
    )["MAILERS"]
    settings.EMAIL_RELAY = False
    client = client_for(owner)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client)
    waited = time.monotonic() - started
    assert response.status_code == 302
    assert Invitation.objects.filter(email="new@test.example").exists()
    assert waited < 6, f"the request waited {waited:.1f} s for the mail server"
    # Not delivered: it waits in the outbox for send_outbox, counted and explained.
    email = OutboundEmail.objects.get()
    assert email.sent_at is None and email.attempts == 1
    assert "timed out" in email.last_error


def test_a_rolled_back_change_leaves_no_email(owner, organization):
    from django.db import transaction

    from core.emails import email_send_on_commit

    with pytest.raises(RuntimeError), transaction.atomic():
        email_send_on_commit(
            template="member-removed",
            to=["x@test.example"],
            context={"organization": organization, "member": owner, "actor": owner},
        )
        raise RuntimeError("the change failed")
    assert not OutboundEmail.objects.exists()


def _waiting(organization, owner, count: int, *, attempts: int = 0) -> list[OutboundEmail]:
    """`count` e-mails in the outbox, each tried `attempts` times already."""
    from core.emails import email_render

    emails = []
    for n in range(count):
        email = email_render(
            template="member-removed",
            to=[f"x{n}@test.example"],
            context={"organization": organization, "member": owner, "actor": owner},
        )
        email.attempts = attempts
        email.save()
        emails.append(email)
    return emails


def test_the_outbox_backs_off_and_gives_up_after_many_tries(organization, owner):
    (email,) = _waiting(organization, owner, 1, attempts=3)
    # Three failures: the next try waits seven minutes.
    assert outbox_flush(now=email.created_at + timedelta(minutes=6)) == (0, 0)
    assert outbox_flush(now=email.created_at + timedelta(minutes=8)) == (1, 0)
    email.refresh_from_db()
    assert email.sent_at is not None
    _waiting(organization, owner, 1, attempts=MAX_ATTEMPTS)  # stuck
    assert outbox_flush(now=timezone.now() + timedelta(days=30)) == (0, 0)


def test_the_outbox_is_delivered_over_one_connection(organization, owner, mailoutbox):
    from django.core.mail.backends.locmem import EmailBackend

    _waiting(organization, owner, 3)
    with (
        mock.patch.object(EmailBackend, "open", autospec=True) as opened,
        mock.patch.object(
            EmailBackend, "send_messages", autospec=True, side_effect=EmailBackend.send_messages
        ) as sending,
    ):
        assert outbox_flush() == (3, 0)
    assert opened.call_count == 1
    # Every e-mail through the one backend that was opened, none through one of its own.
    assert {id(call.args[0]) for call in sending.call_args_list} == {id(opened.call_args.args[0])}
    assert sending.call_count == 3
    assert len(mailoutbox) == 3
    assert not OutboundEmail.objects.filter(sent_at__isnull=True).exists()
    # Nothing waiting: no connection at all (the relay asks every second).
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.open") as opened:
        assert outbox_flush() == (0, 0)
    opened.assert_not_called()


def test_a_failure_ends_the_run_and_what_follows_waits_uncounted_for_a_new_connection(
    organization, owner, mailoutbox
):
    from django.core.mail.backends.locmem import EmailBackend

    first, second = _waiting(organization, owner, 2)
    # The mail server takes nothing (a connection that went away, a server's limit).
    with mock.patch.object(EmailBackend, "send_messages", return_value=0):
        assert outbox_flush() == (0, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attempts, first.sent_at) == (1, None)
    assert "took nothing" in first.last_error
    assert (second.attempts, second.sent_at) == (0, None)  # not tried: not counted
    assert outbox_flush() == (1, 0)  # the second, now; the first after its back-off
    assert outbox_flush(now=timezone.now() + timedelta(minutes=2)) == (1, 0)
    assert len(mailoutbox) == 2


def test_a_mail_server_that_refuses_the_connection_leaves_every_email_to_retry(
    organization, owner, mailoutbox
):
    _waiting(organization, owner, 2)
    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.open",
            side_effect=ConnectionRefusedError("mail server down"),
        ),
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=ConnectionRefusedError("mail server down"),
        ),
    ):
        assert outbox_flush() == (0, 2)
    assert mailoutbox == []
    assert list(OutboundEmail.objects.values_list("attempts", flat=True)) == [1, 1]
    assert outbox_flush(now=timezone.now() + timedelta(minutes=2)) == (2, 0)


@pytest.mark.django_db(transaction=True)  # the relay closes stale connections each round
def test_with_the_relay_a_request_leaves_its_email_to_send_outbox_follow(
    client_for, owner, settings, mailoutbox, caplog
):
    import os
    import signal

    settings.EMAIL_RELAY = True
    assert invite(client_for(owner)).status_code == 302
    email = OutboundEmail.objects.get()
    assert email.sent_at is None and email.attempts == 0  # the request did not deliver it
    assert mailoutbox == []

    from core.management.commands import send_outbox

    rounds = []

    def one_round(**kwargs):
        if not rounds:
            rounds.append("database gone")
            raise OperationalError("the database restarted")  # the relay outlives it
        rounds.append(outbox_flush(**kwargs))
        os.kill(os.getpid(), signal.SIGTERM)  # as a service manager stops the relay
        return rounds[-1]

    before = signal.getsignal(signal.SIGTERM)
    out = io.StringIO()
    with mock.patch.object(send_outbox, "outbox_flush", one_round):
        call_command("send_outbox", "--follow", "--interval", "0.05", stdout=out)
    assert rounds == ["database gone", (1, 0)]
    assert "outbox run failed" in caplog.text
    assert "Stopped; 1 sent" in out.getvalue()
    assert signal.getsignal(signal.SIGTERM) is before  # the relay's handler is gone
    email.refresh_from_db()
    assert email.sent_at is not None
    assert [message.subject for message in mailoutbox] == [email.subject]


def test_the_relay_refuses_a_nonsense_interval():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--interval"):
        call_command("send_outbox", "--follow", "--interval", "0")


def test_a_run_delivers_everything_due_a_hundred_per_connection(
    organization, owner, mailoutbox, monkeypatch
):
    # The cron run after an outage delivers the whole backlog, not only one connection's.
    from django.core.mail.backends.locmem import EmailBackend

    from core import emails

    monkeypatch.setattr(emails, "PER_CONNECTION", 2)
    _waiting(organization, owner, 5)
    with mock.patch.object(EmailBackend, "open", autospec=True) as opened:
        assert outbox_flush() == (5, 0)
    assert opened.call_count == 3
    assert len(mailoutbox) == 5


def test_one_bad_email_never_holds_the_others_and_the_run_exits_non_zero(
    organization, owner, mailoutbox
):
    from smtplib import SMTPRecipientsRefused

    from django.core.mail.backends.locmem import EmailBackend
    from django.core.management.base import CommandError

    corrupt, refused, *_ = _waiting(organization, owner, 4)
    # A row whose recipients are no list (written by hand, an import), and a recipient
    # the mail server refuses: each is this e-mail's problem, not the connection's.
    OutboundEmail.objects.filter(pk=corrupt.pk).update(to="x0@test.example")
    real_send = EmailBackend.send_messages

    def refuses_x1(backend, messages):
        if messages[0].to == ["x1@test.example"]:
            raise SMTPRecipientsRefused({"x1@test.example": (550, b"no such user")})
        return real_send(backend, messages)

    out = io.StringIO()
    with (
        mock.patch.object(EmailBackend, "send_messages", autospec=True, side_effect=refuses_x1),
        pytest.raises(CommandError, match="2 e-mails failed"),
    ):
        call_command("send_outbox", stdout=out)

    assert "Outbox: 2 sent, 2 still failing." in out.getvalue()
    assert sorted(message.to[0] for message in mailoutbox) == ["x2@test.example", "x3@test.example"]
    corrupt.refresh_from_db()
    refused.refresh_from_db()
    assert (corrupt.attempts, corrupt.sent_at) == (1, None)
    assert corrupt.last_error.startswith("TypeError")
    assert (refused.attempts, refused.sent_at) == (1, None)
    assert refused.last_error.startswith("SMTPRecipientsRefused")
