"""Every service that changes a case makes the organization's cached figures stale once the
change commits (Home and Support count open and pending cases); a double submit does not."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core import org_cache
from support import services
from tests.conftest import membership_of
from tests.factories import CaseFactory, CaseSubscriptionFactory, QuoteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(organization, owner, staff, holdings, catalog, account_manager):
    case = CaseFactory(organization=organization, opened_by=owner)
    quote_case = CaseFactory(
        organization=organization, opened_by=owner, kind="change", state="pending"
    )
    CaseSubscriptionFactory(
        case=quote_case,
        subscription=holdings["jetpack"],
        action="change_plan",
        requested_product=catalog["surge"],
    )
    request, _ = services.case_request_cancellation(
        membership=membership_of(owner, organization),
        subscription=holdings["license"],
        full_name="Olive Owner",
        company="Acme Test Co",
        contact="owner@test.example",
    )
    return {
        "membership": membership_of(owner, organization),
        "staff": staff,
        "case": case,
        "quote_case": quote_case,
        "quote": QuoteFactory(case=quote_case, product=catalog["surge"], sent_by=staff),
        "request": request,
        "holdings": holdings,
        "catalog": catalog,
    }


CHANGES = {
    "case_open_general": lambda w: services.case_open_general(
        membership=w["membership"], subject="Help", body="Please."
    ),
    "case_request_cancellation": lambda w: services.case_request_cancellation(
        membership=w["membership"],
        subscription=w["holdings"]["contact_center"],
        full_name="Olive Owner",
        company="Acme Test Co",
        contact="owner@test.example",
        keep_quantity=3,
    ),
    "case_request_change": lambda w: services.case_request_change(
        membership=w["membership"],
        subscription=w["holdings"]["jetpack"],
        action="change_plan",
        body="Bigger please",
        product=w["catalog"]["orbit"],
    ),
    "case_reply": lambda w: services.case_reply(
        case=w["case"], membership=w["membership"], body="More"
    ),
    "case_close": lambda w: services.case_close(case=w["case"], membership=w["membership"]),
    "quote_accept": lambda w: services.quote_accept(quote=w["quote"], membership=w["membership"]),
    "quote_decline": lambda w: services.quote_decline(quote=w["quote"], membership=w["membership"]),
    "case_staff_reply": lambda w: services.case_staff_reply(
        case=w["case"], staff=w["staff"], body="On it."
    ),
    "case_staff_note": lambda w: services.case_staff_reply(
        case=w["case"], staff=w["staff"], body="Noted.", internal=True
    ),
    "case_assign": lambda w: services.case_assign(
        case=w["case"], staff=w["staff"], assignee=w["staff"]
    ),
    "case_set_state": lambda w: services.case_set_state(
        case=w["case"], staff=w["staff"], state="in_progress"
    ),
    "case_approve_cancellation": lambda w: services.case_approve_cancellation(
        case=w["request"], staff=w["staff"]
    ),
    "case_decline": lambda w: services.case_decline(
        case=w["request"], staff=w["staff"], reason="Still under contract."
    ),
    "quote_send": lambda w: services.quote_send(
        case=w["quote_case"],
        staff=w["staff"],
        price=Decimal("10.00"),
        description="Orbit",
        valid_until=timezone.localdate() + timedelta(days=7),
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_case_change_makes_the_cached_figures_stale_on_commit(
    change, world, organization, django_capture_on_commit_callbacks
):
    before = org_cache.cache_version(organization.pk)
    with django_capture_on_commit_callbacks(execute=True):
        CHANGES[change](world)
        assert org_cache.cache_version(organization.pk) == before  # not before the commit
    assert org_cache.cache_version(organization.pk) != before


def test_a_double_submit_leaves_the_cached_figures(
    world, organization, django_capture_on_commit_callbacks
):
    key = uuid.uuid4()
    services.case_open_general(
        membership=world["membership"], subject="Help", body="Please.", submission_key=key
    )
    before = org_cache.cache_version(organization.pk)
    with django_capture_on_commit_callbacks(execute=True):
        _, created = services.case_open_general(
            membership=world["membership"], subject="Help", body="Please.", submission_key=key
        )
    assert not created
    assert org_cache.cache_version(organization.pk) == before
