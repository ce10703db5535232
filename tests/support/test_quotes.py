"""A12: the account manager's quotes, accepted or declined in the portal."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.errors import ActionRefused
from core.models import AuditEvent
from support import services
from support.models import Case, Quote
from tests.factories import CaseFactory, CaseSubscriptionFactory, QuoteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def quote_case(organization, owner, holdings, catalog, account_manager):
    case = CaseFactory(
        organization=organization,
        opened_by=owner,
        kind="change",
        state="pending",
        assigned_to=account_manager,
        subject="Quote request: Jetpack Boost to Jetpack Surge",
    )
    CaseSubscriptionFactory(
        case=case,
        subscription=holdings["jetpack"],
        action="change_plan",
        requested_product=catalog["surge"],
    )
    return case


@pytest.fixture
def quote(quote_case, catalog, account_manager):
    return QuoteFactory(
        case=quote_case, product=catalog["surge"], price=Decimal("549.00"), sent_by=account_manager
    )


def accept(client, quote):
    return client.post(reverse("quote_accept", args=[quote.case_id, quote.pk]))


def test_a12_staff_send_a_quote_and_the_customer_is_emailed(
    quote_case, account_manager, owner, catalog, django_capture_on_commit_callbacks
):
    Case.objects.filter(pk=quote_case.pk).update(state="open")
    with django_capture_on_commit_callbacks(execute=True):
        quote = services.quote_send(
            case=quote_case,
            staff=account_manager,
            product=catalog["orbit"],
            price=Decimal("899.00"),
            description="Orbit with a loyalty price.",
            valid_until=timezone.localdate() + timedelta(days=10),
        )
    quote_case.refresh_from_db()
    assert quote_case.state == "pending"  # waiting on the customer
    assert quote.state == Quote.State.SENT
    [message] = [m for m in mail.outbox if m.to == [owner.email]]
    assert "899.00" in message.subject
    assert "Orbit with a loyalty price." in message.body
    assert AuditEvent.objects.filter(action="support.quote_sent").exists()


def test_a12_a_newer_quote_replaces_the_one_waiting(quote, account_manager, catalog):
    newer = services.quote_send(
        case=quote.case,
        staff=account_manager,
        product=catalog["orbit"],
        price=Decimal("799.00"),
        description="Better offer.",
        valid_until=timezone.localdate() + timedelta(days=10),
    )
    quote.refresh_from_db()
    assert quote.state == Quote.State.WITHDRAWN
    assert newer.state == Quote.State.SENT


def test_a12_a_quote_only_moves_to_a_plan_the_product_changes_to(
    quote_case, account_manager, catalog
):
    with pytest.raises(ActionRefused, match="cannot change to"):
        services.quote_send(
            case=quote_case,
            staff=account_manager,
            product=catalog["number"],
            price=Decimal("1.00"),
            description="Nonsense",
            valid_until=timezone.localdate(),
        )


def test_a12_the_customer_sees_the_quote_with_accept_and_decline(client_for, owner, quote):
    page = client_for(owner).get(reverse("case_detail", args=[quote.case_id])).content.decode()
    assert "Change to Jetpack Surge" in page
    assert "549.00" in page
    assert "Accept quote" in page and "Decline quote" in page


def test_a12_accepting_a_quote_changes_the_jetpack_and_resolves_the_case(
    client_for, owner, quote, holdings, account_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = accept(client_for(owner), quote)
    assert response.status_code == 302
    jetpack = holdings["jetpack"]
    jetpack.refresh_from_db()
    assert jetpack.product.name == "Jetpack Surge"
    quote.refresh_from_db()
    assert quote.state == Quote.State.ACCEPTED and quote.decided_by == owner
    case = quote.case
    case.refresh_from_db()
    assert case.state == "resolved"
    assert "accepted the quote" in case.messages.last().body
    assert AuditEvent.objects.filter(action="support.quote_accepted").count() == 1
    # The change itself is audited by the subscription service, with the case as its source.
    plan_changed = AuditEvent.objects.get(action="subscription.plan_changed")
    assert plan_changed.after["source"] == case.reference
    assert [account_manager.email] in [m.to for m in mail.outbox]


def test_a12_accepting_twice_has_one_effect(client_for, owner, quote):
    client = client_for(owner)
    accept(client, quote)
    accept(client, quote)
    assert AuditEvent.objects.filter(action="support.quote_accepted").count() == 1
    assert AuditEvent.objects.filter(action="subscription.plan_changed").count() == 1


def test_a12_a_cancellation_quote_accepted_cancels_at_the_term_end(
    client_for, owner, quote_case, holdings, account_manager
):
    quote = QuoteFactory(case=quote_case, product=None, sent_by=account_manager)
    accept(client_for(owner), quote)
    jetpack = holdings["jetpack"]
    jetpack.refresh_from_db()
    assert jetpack.state == "cancels_at_term_end"


def test_a12_declining_sends_the_case_back_to_the_account_manager(
    client_for, owner, quote, holdings, account_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(owner).post(
            reverse("quote_decline", args=[quote.case_id, quote.pk]), {"reason": "Too dear."}
        )
    quote.refresh_from_db()
    assert quote.state == Quote.State.DECLINED
    quote.case.refresh_from_db()
    assert quote.case.state == "in_progress"
    assert "Too dear." in quote.case.messages.last().body
    holdings["jetpack"].refresh_from_db()
    assert holdings["jetpack"].product.name == "Jetpack Boost"
    assert [account_manager.email] in [m.to for m in mail.outbox]
    # A declined quote cannot be accepted afterwards.
    accept(client_for(owner), quote)
    holdings["jetpack"].refresh_from_db()
    assert holdings["jetpack"].product.name == "Jetpack Boost"


def test_a12_an_expired_quote_cannot_be_accepted(client_for, owner, quote, holdings):
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    client = client_for(owner)
    page = client.get(reverse("case_detail", args=[quote.case_id])).content.decode()
    assert "This quote expired" in page
    response = accept(client, quote)
    assert response.status_code == 302
    holdings["jetpack"].refresh_from_db()
    assert holdings["jetpack"].product.name == "Jetpack Boost"
    quote.refresh_from_db()
    assert quote.state == Quote.State.SENT


def test_a12_the_engine_decides_again_who_may_accept(
    client_for, admin_user, quote, catalog, holdings
):
    # Staff raised the least role for Jetpack changes: an Admin may no longer accept.
    catalog["jetpack"].manage_min_role = "super_admin"
    catalog["jetpack"].save()
    response = client_for(admin_user).post(
        reverse("quote_accept", args=[quote.case_id, quote.pk]), follow=True
    )
    assert "Only Super Admins can change Jetpack Boost" in response.content.decode()
    holdings["jetpack"].refresh_from_db()
    assert holdings["jetpack"].product.name == "Jetpack Boost"
    quote.refresh_from_db()
    assert quote.state == Quote.State.SENT


def test_quotes_of_other_organizations_are_404(client_for, outsider, quote):
    client = client_for(outsider)
    assert accept(client, quote).status_code == 404
    response = client.post(reverse("quote_decline", args=[quote.case_id, quote.pk]))
    assert response.status_code == 404
    quote.refresh_from_db()
    assert quote.state == Quote.State.SENT


def test_a_declined_quotes_errors_show_on_the_case_page_each_time(client_for, owner, quote):
    client = client_for(owner)
    page = reverse("case_detail", args=[quote.case_id])
    client.get(page)
    decline = reverse("quote_decline", args=[quote.case_id, quote.pk])
    for reason in ("x" * 2001, "y" * 2001):  # each answer shows its own form
        response = client.post(decline, {"reason": reason})
        assert response.status_code == 400
        assert "at most 2000 characters" in response.text
        assert reason in response.text
    assert "at most 2000 characters" not in client.get(page).text
    quote.refresh_from_db()
    assert quote.state == Quote.State.SENT
