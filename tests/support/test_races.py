"""Concurrent requests on a database that really locks rows (PostgreSQL in CI)."""

import uuid

import pytest

from core.errors import ActionRefused
from subscriptions.models import Subscription
from support import services
from support.models import Case, CaseSubscription
from tests.concurrency import RACE_TEST_MARKS, run_at_once
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = RACE_TEST_MARKS


def reduce(membership, subscription, keep, key=None):
    return lambda: services.case_request_cancellation(
        membership=membership,
        subscription=subscription,
        full_name="Olive Owner",
        company="Acme",
        contact="owner@test.example",
        keep_quantity=keep,
        submission_key=key,
    )


@pytest.fixture
def seats():
    organization = OrganizationFactory()
    first = MembershipFactory(organization=organization, role="super_admin")
    second = MembershipFactory(organization=organization, role="super_admin")
    product = ProductFactory(contact_center=True)
    subscription = SubscriptionFactory(organization=organization, product=product, quantity=5)
    return subscription, first, second


def test_a11_two_concurrent_reductions_cannot_together_break_the_minimum(seats):
    subscription, first, second = seats
    # 5 licenses: keeping 3 and keeping 4 would together remove 3 and leave 2.
    outcomes = run_at_once(reduce(first, subscription, 3), reduce(second, subscription, 4))
    opened = [o for o in outcomes if isinstance(o, tuple)]
    refused = [o for o in outcomes if isinstance(o, ActionRefused)]
    assert len(opened) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], services.CaseAlreadyOpen)
    assert refused[0].case.pk == opened[0][0].pk
    assert Case.objects.count() == 1
    assert CaseSubscription.objects.filter(holds_cancellation=True).count() == 1
    assert Subscription.objects.get(pk=subscription.pk).quantity == 5


def test_the_same_form_submitted_twice_at_once_opens_one_case(seats):
    subscription, first, _ = seats
    key = uuid.uuid4()
    outcomes = run_at_once(reduce(first, subscription, 3, key), reduce(first, subscription, 3, key))
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert {o[0].pk for o in outcomes} == {Case.objects.get().pk}
    assert sorted(o[1] for o in outcomes) == [False, True]


def test_two_staff_approving_at_once_carry_the_request_out_once(seats):
    subscription, first, _ = seats
    case, _ = reduce(first, subscription, 3)()
    staff = [MembershipFactory().user for _ in range(2)]
    for user in staff:
        user.is_staff = True
        user.save()
    outcomes = run_at_once(
        *(
            lambda user=user: services.case_approve_cancellation(case=case, staff=user)
            for user in staff
        )
    )
    assert sum(isinstance(o, ActionRefused) for o in outcomes) == 1, outcomes
    assert Subscription.objects.get(pk=subscription.pk).quantity == 3


def test_twenty_parallel_openings_create_only_the_cases_left_in_the_hour(settings):
    # The attack: 20 posts at once with 8 cases left in the hour opened 19.
    settings.SUPPORT_CASES_PER_HOUR = 10
    membership = MembershipFactory(organization=OrganizationFactory(), role="member")
    for n in range(2):
        services.case_open_general(membership=membership, subject=f"Earlier {n}", body="Help")
    outcomes = run_at_once(
        *(
            lambda n=n: services.case_open_general(
                membership=membership, subject=f"At once {n}", body="Help"
            )
            for n in range(20)
        )
    )
    assert Case.objects.filter(opened_by=membership.user).count() == 10
    opened = [o for o in outcomes if isinstance(o, tuple)]
    refused = [o for o in outcomes if isinstance(o, ActionRefused)]
    assert (len(opened), len(refused)) == (8, 12), outcomes
    assert all("10 new cases in the last hour" in o.message for o in refused)
