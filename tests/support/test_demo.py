"""The demo's support cases: every state, one quote waiting, safe to seed again."""

import io

import pytest
from django.core.management import call_command

from support.models import Case, CaseSubscription, Message, Quote

pytestmark = pytest.mark.django_db


def seed() -> None:
    call_command("seed_demo", "--force", stdout=io.StringIO())


def snapshot() -> dict:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Case, CaseSubscription, Message, Quote)
    }


def test_the_demo_has_acmes_cases_in_every_state_and_a_quote_waiting():
    seed()
    cases = Case.objects.filter(organization__account_id="AC-100234")
    assert set(cases.values_list("state", flat=True)) == set(Case.State.values)
    assert set(cases.values_list("kind", flat=True)) == set(Case.Kind.values)
    quote = Quote.objects.get()
    assert quote.state == Quote.State.SENT and not quote.is_expired()
    assert quote.case.state == Case.State.PENDING
    assert quote.case.assigned_to.email == "staff@switchboard.example"
    request = cases.get(kind=Case.Kind.CANCELLATION)
    assert request.items.get().holds_cancellation
    assert request.requester_name and request.requester_company and request.requester_contact


def test_seeding_twice_changes_nothing():
    seed()
    before = snapshot()
    seed()
    assert snapshot() == before
