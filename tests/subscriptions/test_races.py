"""Concurrent actions on PostgreSQL, which really locks rows (SQLite ignores select_for_update)."""

import io

from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from core.models import AuditEvent
from subscriptions.models import SpareNumber, Subscription
from tests.concurrency import RACE_TEST_MARKS, run_at_once
from tests.conftest import reauthenticate
from tests.factories import (
    MembershipFactory,
    PhoneNumberFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = RACE_TEST_MARKS


def test_twenty_concurrent_cancel_line_posts_cancel_once(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    membership = MembershipFactory(role=Role.SUPER_ADMIN)
    line = PhoneNumberFactory(
        subscription__organization=membership.organization,
        subscription__product=ProductFactory(line=True),
        subscription__assigned_to=membership.user,
    ).subscription
    # One signed-in session, as twenty tabs or a hammered button would share.
    first = Client()
    first.force_login(membership.user)
    reauthenticate(first)
    clients = []
    for _ in range(20):
        client = Client()
        client.cookies = first.cookies
        clients.append(client)
    url = reverse("subscription_cancel", args=[line.pk])
    data = {"reason": "not_needed", "confirm_number": line.number.e164}
    mail.outbox = []

    outcomes = run_at_once(*[lambda c=client: c.post(url, data) for client in clients])

    assert all(getattr(o, "status_code", None) in (302, 200) for o in outcomes), outcomes
    line.refresh_from_db()
    assert line.state == Subscription.State.CANCELLED
    assert AuditEvent.objects.filter(action="subscription.cancelled").count() == 1
    assert len(mail.outbox) == 1


def test_two_copies_of_process_term_ends_handle_each_subscription_once():
    today = timezone.localdate()
    product = ProductFactory(call_insights=True)
    organization = MembershipFactory(role=Role.SUPER_ADMIN).organization
    for _ in range(40):
        SubscriptionFactory(
            organization=organization,
            product=product,
            term_start=today - timezone.timedelta(days=31),
            term_end=today - timezone.timedelta(days=1),
        )

    run_at_once(
        *[lambda: call_command("process_term_ends", stdout=io.StringIO()) for _ in range(2)]
    )

    assert AuditEvent.objects.filter(action="subscription.term_end_renewed").count() == 40
    assert not Subscription.objects.filter(term_end__lt=today).exists()


def test_concurrent_number_changes_on_different_lines_stop_at_the_organizations_limit(settings):
    settings.NUMBER_CHANGES_PER_ORGANIZATION = 2
    membership = MembershipFactory(role=Role.SUPER_ADMIN)
    lines = [
        PhoneNumberFactory(
            subscription__organization=membership.organization,
            subscription__product=ProductFactory(line=True),
            subscription__assigned_to=membership.user,
            country="US",
        ).subscription
        for _ in range(8)
    ]
    spares = [
        SpareNumber.objects.create(e164=f"+1415555098{index}", country="US") for index in range(8)
    ]
    first = Client()
    first.force_login(membership.user)
    reauthenticate(first)
    clients = []
    for _ in lines:
        client = Client()
        client.cookies = first.cookies
        clients.append(client)

    outcomes = run_at_once(
        *[
            lambda c=client, line=line, spare=spare: c.post(
                reverse("change_number", args=[line.pk]) + "?country=US", {"spare": spare.pk}
            )
            for client, line, spare in zip(clients, lines, spares, strict=True)
        ]
    )

    assert all(getattr(o, "status_code", None) in (302, 200) for o in outcomes), outcomes
    assert AuditEvent.objects.filter(action="line.number_changed").count() == 2
    assert SpareNumber.objects.filter(e164__in=[s.e164 for s in spares]).count() == 6
