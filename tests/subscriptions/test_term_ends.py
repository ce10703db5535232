"""manage.py process_term_ends: what is due at the end of a term, exactly once."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from core.models import AuditEvent
from subscriptions.models import PhoneNumber, SpareNumber, Subscription
from tests.factories import PhoneNumberFactory, ProductFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db
State = Subscription.State


def run(today) -> str:
    out = io.StringIO()
    call_command("process_term_ends", today=today, stdout=out)
    return out.getvalue()


def test_it_renews_ends_and_downgrades_what_is_due_and_says_so(organization):
    today = timezone.localdate()
    big = ProductFactory(name="Big", call_insights=True, tier=2)
    small = ProductFactory(name="Small", call_insights=True, tier=1)
    ended = dict(term_start=today - timedelta(days=31), term_end=today - timedelta(days=1))
    renewing = SubscriptionFactory(organization=organization, product=big, **ended)
    ending = SubscriptionFactory(
        organization=organization, product=big, state=State.CANCELS_AT_TERM_END, **ended
    )
    shrinking = SubscriptionFactory(
        organization=organization, product=big, scheduled_product=small, **ended
    )
    current = SubscriptionFactory(organization=organization, product=big)
    current_term_end = current.term_end

    summary = run(today)

    assert "1 cancelled, 1 downgraded, 1 renewed" in summary
    renewing.refresh_from_db()
    assert renewing.term_start == today and renewing.term_end > today
    ending.refresh_from_db()
    assert ending.state == State.CANCELLED and ending.cancelled_at is not None
    shrinking.refresh_from_db()
    assert shrinking.product == small and shrinking.scheduled_product is None
    current.refresh_from_db()
    assert current.term_end == current_term_end
    # A second run finds nothing due.
    assert "0 cancelled, 0 downgraded, 0 renewed" in run(today)
    assert AuditEvent.objects.filter(action__startswith="subscription.term_end_").count() == 3


def test_i3_service_and_credits_stay_until_the_term_end(organization):
    today = timezone.localdate()
    plan = SubscriptionFactory(
        organization=organization,
        product=ProductFactory(call_insights=True),
        state=State.CANCELS_AT_TERM_END,
        usage_credits=5,
        term_start=today - timedelta(days=20),
        term_end=today + timedelta(days=10),
    )
    with time_machine.travel(plan.term_end):
        run(timezone.localdate())
        plan.refresh_from_db()
        assert plan.state == State.CANCELS_AT_TERM_END and plan.usage_credits == 5
    with time_machine.travel(plan.term_end + timedelta(days=1)):
        run(timezone.localdate())
        plan.refresh_from_db()
        assert plan.state == State.CANCELLED


def test_a_run_missed_for_months_catches_up_in_whole_terms(organization):
    today = timezone.localdate()
    plan = SubscriptionFactory(
        organization=organization,
        product=ProductFactory(call_insights=True),
        term_start=today - timedelta(days=120),
        term_end=today - timedelta(days=90),
    )
    run(today)
    plan.refresh_from_db()
    assert plan.term_start <= today <= plan.term_end
    assert AuditEvent.objects.filter(action="subscription.term_end_renewed").count() == 1


def test_a_cancelled_number_is_released_to_the_stock_after_its_hold(organization):
    number = PhoneNumberFactory(
        subscription__organization=organization,
        subscription__state=State.CANCELLED,
        subscription__cancelled_at=timezone.now() - timedelta(days=10),
    )
    subscription = number.subscription
    run(timezone.localdate())
    assert PhoneNumber.objects.filter(pk=number.pk).exists()
    run(timezone.localdate() + timedelta(days=30))
    assert not PhoneNumber.objects.filter(pk=number.pk).exists()
    assert SpareNumber.objects.filter(e164=number.e164).exists()
    subscription.refresh_from_db()
    assert subscription.label == number.e164


def test_a_run_killed_halfway_and_started_again_handles_each_subscription_once(organization):
    from unittest import mock

    from subscriptions import services

    today = timezone.localdate()
    due = [
        SubscriptionFactory(
            organization=organization,
            product=ProductFactory(call_insights=True),
            term_start=today - timedelta(days=31),
            term_end=today - timedelta(days=1),
        )
        for _ in range(10)
    ]
    real = services.subscription_apply_term_end
    calls = {"n": 0}

    def dies_on_the_fifth(**kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt("killed")
        return real(**kwargs)

    with (
        mock.patch(
            "subscriptions.management.commands.process_term_ends.subscription_apply_term_end",
            side_effect=dies_on_the_fifth,
        ),
        pytest.raises(KeyboardInterrupt),
    ):
        run(today)
    assert AuditEvent.objects.filter(action="subscription.term_end_renewed").count() == 4

    run(today)

    assert AuditEvent.objects.filter(action="subscription.term_end_renewed").count() == 10
    for subscription in due:
        subscription.refresh_from_db()
        assert subscription.term_start == today


def test_a_subscription_that_fails_is_skipped_recorded_and_done_by_the_next_run(
    organization, client, staff
):
    from unittest import mock

    from django.core.management.base import CommandError
    from django.urls import reverse

    from core.models import JobRun, OutboundEmail
    from subscriptions import services

    today = timezone.localdate()
    big = ProductFactory(name="Big", call_insights=True, tier=2)
    small = ProductFactory(name="Small", call_insights=True, tier=1)
    ended = dict(term_start=today - timedelta(days=31), term_end=today - timedelta(days=1))
    due = [
        SubscriptionFactory(
            organization=organization, product=big, scheduled_product=small, **ended
        )
        for _ in range(5)
    ]
    bad = due[2]
    real = services._email_organization

    def mail_server_template_breaks_for_the_bad_one(**kwargs):
        # Fails after the subscription was saved and audited: nothing of it may stay.
        if kwargs["subject"].pk == bad.pk:
            raise ValueError("the template cannot render this subscription")
        return real(**kwargs)

    with (
        mock.patch.object(
            services, "_email_organization", side_effect=mail_server_template_breaks_for_the_bad_one
        ),
        pytest.raises(CommandError, match="1 failed"),
    ):
        run(today)

    # The others were done, the bad one was left exactly as it was.
    for subscription in due:
        subscription.refresh_from_db()
    assert [s.product == small for s in due] == [True, True, False, True, True]
    assert bad.term_end == today - timedelta(days=1) and bad.scheduled_product == small
    downgraded = AuditEvent.objects.filter(action="subscription.term_end_downgraded")
    assert sorted(downgraded.values_list("target_id", flat=True)) == sorted(
        str(s.pk) for s in due if s != bad
    )
    assert OutboundEmail.objects.filter(subject__contains=str(bad)).count() == 0
    # The run is recorded with its counts and the failure, and staff see it in admin.
    first = JobRun.objects.get()
    assert first.finished_at is not None
    assert first.counts == {"downgraded": 4, "failed": 1}
    failure = first.failures.get()
    assert (failure.target_type, failure.target_id) == ("subscriptions.Subscription", str(bad.pk))
    assert failure.error == "ValueError: the template cannot render this subscription"
    client.force_login(staff)
    listing = client.get(reverse("admin:core_jobrun_changelist"))
    assert "4 downgraded, 1 failed" in listing.content.decode()
    page = client.get(reverse("admin:core_jobrun_change", args=[first.pk])).content.decode()
    assert f"subscriptions.Subscription {bad.pk}" in page
    assert "ValueError: the template cannot render this subscription" in page

    # Fixed, the next run does only the one that failed, and exits cleanly.
    summary = run(today)

    assert "1 downgraded" in summary and "0 failed" in summary
    bad.refresh_from_db()
    assert bad.product == small and bad.term_start == today
    assert downgraded.count() == 5
    second = JobRun.objects.exclude(pk=first.pk).get()
    assert second.counts == {"downgraded": 1} and not second.failures.exists()
