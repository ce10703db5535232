"""Self-service actions through their pages: each rule by its ID, roles, isolation, one effect."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from core.models import AuditEvent, OutboundEmail
from subscriptions.models import (
    BlockedNumber,
    CancellationFeedback,
    PhoneNumber,
    SpareNumber,
    Subscription,
)
from tests.conftest import membership_of
from tests.factories import (
    BlockedNumberFactory,
    MembershipFactory,
    OrganizationFactory,
    PhoneNumberFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db
State = Subscription.State


def make_line(organization, assignee, *, app_store=False, addons=(), **subscription):
    line = PhoneNumberFactory(
        subscription__organization=organization,
        subscription__product=ProductFactory(line=True),
        subscription__assigned_to=assignee,
        subscription__purchase_channel="app_store" if app_store else "portal",
        **{f"subscription__{key}": value for key, value in subscription.items()},
    ).subscription
    for trait in addons:
        SubscriptionFactory(
            organization=organization,
            product=ProductFactory(name=trait.replace("_", " ").title(), **{trait: True}),
            parent=line,
        )
    return line


def plans(organization, *, tier=2):
    """A Call Insights ladder of three tiers; the organization holds `tier`."""
    ladder = [
        ProductFactory(name=f"Insights {n}", call_insights=True, tier=n, price=Decimal(n * 50))
        for n in (1, 2, 3)
    ]
    for product in ladder:
        product.changeable_to.set([p for p in ladder if p != product])
    return SubscriptionFactory(organization=organization, product=ladder[tier - 1]), ladder


def refreshed(subscription) -> Subscription:
    return Subscription.objects.get(pk=subscription.pk)


# --- A9, A10, I3: plans ---------------------------------------------------------------------


def test_a9_an_upgrade_takes_effect_now_and_the_price_difference_is_shown(
    client_for, organization, owner, django_capture_on_commit_callbacks, mailoutbox
):
    subscription, ladder = plans(organization)
    client = client_for(owner)
    page = client.get(reverse("change_plan", args=[subscription.pk])).content.decode()
    assert "50.00 more" in page and "less" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("change_plan", args=[subscription.pk]), {"product": ladder[2].pk}
        )
    assert response.status_code == 302
    assert refreshed(subscription).product == ladder[2]
    assert AuditEvent.objects.filter(action="subscription.upgraded").count() == 1
    assert owner.email in mailoutbox[0].to


def test_a9_a_downgrade_waits_for_the_term_end_and_can_be_kept(client_for, organization, owner):
    subscription, ladder = plans(organization)
    client = client_for(owner)
    client.post(reverse("change_plan", args=[subscription.pk]), {"product": ladder[0].pk})
    after = refreshed(subscription)
    assert after.product == ladder[1]
    assert after.scheduled_product == ladder[0]
    client.post(reverse("subscription_keep", args=[subscription.pk]))
    assert refreshed(subscription).scheduled_product is None


def test_a9_a_plan_it_cannot_change_to_is_refused(client_for, organization, owner):
    subscription, _ = plans(organization)
    stranger = ProductFactory(name="Other", call_insights=True, tier=5)
    response = client_for(owner).post(
        reverse("change_plan", args=[subscription.pk]), {"product": stranger.pk}
    )
    assert response.status_code == 400
    assert refreshed(subscription).product == subscription.product


def test_a10_i3_cancel_plan_keeps_service_until_the_term_end_then_ends(
    client_for, organization, owner
):
    product = ProductFactory(
        name="Number Testing Pro",
        call_insights=False,
        kind="number_testing",
        cancel_channel="term_end",
        change_channel="portal",
    )
    subscription = SubscriptionFactory(
        organization=organization, product=product, usage_credits=Decimal("12.50")
    )
    response = client_for(owner).post(
        reverse("subscription_cancel", args=[subscription.pk]), {"reason": "not_needed"}
    )
    assert response.status_code == 302
    after = refreshed(subscription)
    assert after.state == State.CANCELS_AT_TERM_END
    assert after.usage_credits == Decimal("12.50")
    # Still in service on the last day of the term...
    call_command("process_term_ends", today=after.term_end, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert refreshed(subscription).state == State.CANCELS_AT_TERM_END
    # ...and gone the day after.
    with time_machine.travel(after.term_end + timedelta(days=1)):
        call_command("process_term_ends", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert refreshed(subscription).state == State.CANCELLED
    assert CancellationFeedback.objects.get(subscription=subscription).reason == "not_needed"


def test_i2_a1_every_cancellation_preview_says_no_refund_and_states_the_fee(
    client_for, organization, owner
):
    subscription, _ = plans(organization)
    subscription.product.cancellation_fee = Decimal("15.00")
    subscription.product.save()
    page = client_for(owner).get(reverse("subscription_cancel", args=[subscription.pk]))
    content = page.content.decode()
    assert "Nothing is refunded" in content
    assert "A cancellation fee of 15.00 applies." in content


def test_a_cancellation_needs_a_reason(client_for, organization, owner):
    subscription, _ = plans(organization)
    response = client_for(owner).post(reverse("subscription_cancel", args=[subscription.pk]), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert refreshed(subscription).state == State.ACTIVE


def test_a_double_submit_has_one_effect(client_for, organization, owner):
    subscription, _ = plans(organization)
    client = client_for(owner)
    url = reverse("subscription_cancel", args=[subscription.pk])
    client.post(url, {"reason": "too_expensive"})
    second = client.post(url, {"reason": "too_expensive"}, follow=True)
    assert "already set to end" in second.content.decode()
    assert AuditEvent.objects.filter(action="subscription.cancel_scheduled").count() == 1


@pytest.mark.parametrize("persona", ["admin_user", "member"])
def test_a5_only_super_admins_cancel_licenses_even_by_posting(
    request, client_for, organization, persona
):
    license_ = SubscriptionFactory(
        organization=organization,
        product=ProductFactory(user_license=True, cancel_channel="term_end"),
        assigned_to=request.getfixturevalue(persona),
    )
    response = client_for(request.getfixturevalue(persona)).post(
        reverse("subscription_cancel", args=[license_.pk]), {"reason": "other"}, follow=True
    )
    assert "Only Super Admins" in response.content.decode()
    assert refreshed(license_).state == State.ACTIVE


# --- A6: SIP trunks ---------------------------------------------------------------------------


def test_a6_a_trunk_is_deleted_now_after_reauthentication(client_for, organization, owner):
    trunk = SubscriptionFactory(
        organization=organization, product=ProductFactory(sip_trunk=True), label="Branch"
    )
    client = client_for(owner, recently_authenticated=False)
    url = reverse("subscription_cancel", args=[trunk.pk])
    assert "Branch" in client.get(url).content.decode()
    response = client.post(url, {"reason": "not_needed"})
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert refreshed(trunk).state == State.ACTIVE
    from tests.conftest import reauthenticate

    reauthenticate(client, url=response.url)
    assert refreshed(trunk).state == State.CANCELLED


def test_a6_the_initial_ucaas_trunk_is_not_deleted_here(client_for, organization, owner):
    trunk = SubscriptionFactory(
        organization=organization,
        product=ProductFactory(sip_trunk=True),
        is_initial_ucaas_trunk=True,
    )
    client_for(owner).post(reverse("subscription_cancel", args=[trunk.pk]), {"reason": "other"})
    assert refreshed(trunk).state == State.ACTIVE


# --- A7, A8: recording switches ------------------------------------------------------------


def test_a7_inbound_recording_switches_in_place_with_htmx(client_for, organization, owner):
    number = PhoneNumberFactory(subscription__organization=organization)
    response = client_for(owner).post(
        reverse("inbound_recording", args=[number.subscription.pk]),
        {"on": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="inbound-recording-button"' in content
    assert "<html" not in content
    assert "Stop recording incoming calls" in content
    number.refresh_from_db()
    assert number.inbound_recording is True


def test_a7_inbound_recording_switch_works_without_javascript(client_for, organization, owner):
    number = PhoneNumberFactory(subscription__organization=organization, inbound_recording=True)
    response = client_for(owner).post(
        reverse("inbound_recording", args=[number.subscription.pk]), {"on": "0"}
    )
    assert response.status_code == 302
    number.refresh_from_db()
    assert number.inbound_recording is False
    assert AuditEvent.objects.get(action="number.inbound_recording_changed").after == {
        "inbound_recording": False
    }


def test_a7_a_member_switches_recording_on_their_own_line_only(
    client_for, organization, owner, member
):
    own = make_line(organization, member)
    other = make_line(organization, owner)
    client = client_for(member)
    client.post(reverse("inbound_recording", args=[own.pk]), {"on": "1"})
    assert PhoneNumber.objects.get(subscription=own).inbound_recording is True
    response = client.post(reverse("inbound_recording", args=[other.pk]), {"on": "1"})
    assert response.status_code == 404
    assert PhoneNumber.objects.get(subscription=other).inbound_recording is False


@pytest.mark.parametrize(
    ("persona", "allowed"), [("owner", True), ("admin_user", True), ("member", False)]
)
def test_a8_outbound_recording_is_switched_for_the_organization_by_admins(
    request, client_for, organization, persona, allowed
):
    client_for(request.getfixturevalue(persona)).post(reverse("outbound_recording"), {"on": "1"})
    organization.refresh_from_db()
    assert organization.outbound_call_recording is allowed


# --- I1: fixes first ----------------------------------------------------------------------


def test_i1_the_fixes_are_offered_and_a_chosen_fix_is_recorded(client_for, organization, owner):
    line = make_line(organization, owner)
    client = client_for(owner)
    page = client.get(reverse("subscription_cancel", args=[line.pk])).content.decode()
    for words in ("voice network", "Change it", "Block those numbers", "notification"):
        assert words in page
    response = client.post(
        reverse("subscription_fix", args=[line.pk]),
        {"fix": "calling_mode_voice", "reason": "calling_problems"},
    )
    assert response.url.endswith("#calling-mode")
    feedback = CancellationFeedback.objects.get(subscription=line)
    assert (feedback.fix_taken, feedback.reason) == ("calling_mode_voice", "calling_problems")
    assert refreshed(line).state == State.ACTIVE


def test_i1_taking_a_fix_again_records_one_feedback_per_member_and_day(
    client_for, organization, owner, admin_user
):
    line = make_line(organization, owner)
    fix_url = reverse("subscription_fix", args=[line.pk])
    chosen = {"fix": "calling_mode_voice", "reason": "calling_problems"}
    client = client_for(owner)
    for _ in range(5):
        response = client.post(fix_url, chosen)
        # A repeat quietly leads to the fix, as the first did.
        assert response.url.endswith("#calling-mode")
    assert CancellationFeedback.objects.filter(subscription=line).count() == 1
    # Another member's feedback counts on its own.
    client_for(admin_user).post(fix_url, chosen)
    assert CancellationFeedback.objects.filter(subscription=line).count() == 2
    # The next day the member's choice counts again.
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        client_for(owner).post(fix_url, chosen)
    assert CancellationFeedback.objects.filter(subscription=line, member=owner).count() == 2


def test_a_member_over_the_hourly_setting_changes_gets_429_and_nothing_changes(
    client_for, organization, member, settings
):
    settings.SETTING_CHANGES_PER_HOUR = 3
    line = make_line(organization, member)
    client = client_for(member)
    calling_mode = reverse("calling_mode", args=[line.pk])
    # Calling mode and inbound recording count together.
    assert client.post(calling_mode, {"mode": "voice"}).status_code == 302
    assert client.post(calling_mode, {"mode": "data"}).status_code == 302
    assert client.post(reverse("inbound_recording", args=[line.pk]), {"on": "1"}).status_code == 302
    e_mails = OutboundEmail.objects.count()
    limited = client.post(calling_mode, {"mode": "voice"})
    assert limited.status_code == 429
    assert "Too many setting changes for now" in limited.content.decode()
    assert 0 < int(limited["Retry-After"]) <= 3600
    assert PhoneNumber.objects.get(subscription=line).calling_mode == "data"
    assert AuditEvent.objects.filter(actor=member).count() == 3
    assert OutboundEmail.objects.count() == e_mails
    # The htmx switch shows the reason in place (still a 429, which base.html's htmx
    # config swaps), with the switch as it stands.
    in_place = client.post(calling_mode, {"mode": "voice"}, headers={"HX-Request": "true"})
    assert in_place.status_code == 429
    assert 0 < int(in_place["Retry-After"]) <= 3600
    text = in_place.content.decode()
    assert "as many as one person can" in text
    assert "Use the voice network instead" in text
    assert "<html" not in text
    assert PhoneNumber.objects.get(subscription=line).calling_mode == "data"
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert client.post(calling_mode, {"mode": "voice"}).status_code == 302
    assert PhoneNumber.objects.get(subscription=line).calling_mode == "voice"


def test_a8_outbound_recording_changes_are_limited_per_member_too(
    client_for, organization, owner, settings
):
    settings.SETTING_CHANGES_PER_HOUR = 2
    client = client_for(owner)
    for on in ("1", "0"):
        assert client.post(reverse("outbound_recording"), {"on": on}).status_code == 302
    limited = client.post(reverse("outbound_recording"), {"on": "1"})
    assert limited.status_code == 429
    organization.refresh_from_db()
    assert organization.outbound_call_recording is False


def test_super_admins_hear_of_a_switch_once_in_a_few_minutes_while_activity_keeps_every_change(
    client_for, organization, owner, member, settings
):
    settings.SETTING_NOTICE_MINUTES = 10
    line = make_line(organization, member)
    other_line = make_line(organization, member)
    client = client_for(member)
    calling_mode = reverse("calling_mode", args=[line.pk])
    for mode in ("voice", "data", "voice", "data", "voice"):
        client.post(calling_mode, {"mode": mode})

    def e_mails_to(user):
        return [e for e in OutboundEmail.objects.order_by("pk") if user.email in e.to]

    assert len(e_mails_to(owner)) == 1
    assert "not e-mailed again" in e_mails_to(owner)[0].body_text
    # Whoever flipped it is told each time, and Activity has every change.
    assert len(e_mails_to(member)) == 5
    assert AuditEvent.objects.filter(action="line.calling_mode_changed").count() == 5
    # Another setting, or another line, is news of its own.
    client.post(reverse("inbound_recording", args=[line.pk]), {"on": "1"})
    client.post(reverse("calling_mode", args=[other_line.pk]), {"mode": "voice"})
    assert len(e_mails_to(owner)) == 3
    # Once the quiet minutes have passed, the Super Admins hear of it again.
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        client.post(calling_mode, {"mode": "data"})
    assert len(e_mails_to(owner)) == 4


def test_i1_the_calling_mode_switches_to_the_voice_network(client_for, organization, member):
    line = make_line(organization, member)
    client_for(member).post(reverse("calling_mode", args=[line.pk]), {"mode": "voice"})
    assert PhoneNumber.objects.get(subscription=line).calling_mode == "voice"


def test_i1_blocking_numbers_is_free_and_checked(client_for, organization, member):
    line = make_line(organization, member)
    client = client_for(member)
    client.post(reverse("block_number", args=[line.pk]), {"e164": "+1 (212) 555-0199"})
    blocked = BlockedNumber.objects.get(phone_number__subscription=line)
    assert blocked.e164 == "+12125550199"
    response = client.post(
        reverse("block_number", args=[line.pk]), {"e164": "call me"}, follow=True
    )
    assert "international format" in response.content.decode()
    client.post(reverse("unblock_number", args=[line.pk, blocked.pk]))
    assert not BlockedNumber.objects.exists()


def test_i1_change_number_takes_one_from_the_stock_and_keeps_the_plan(
    client_for, organization, member
):
    line = make_line(organization, member, addons=["text_archive"])
    old = line.number.e164
    spare = SpareNumber.objects.create(e164="+14155550999", country="US")
    client_for(member).post(reverse("change_number", args=[line.pk]), {"spare": spare.pk})
    number = PhoneNumber.objects.get(subscription=line)
    assert number.e164 == "+14155550999"
    assert refreshed(line).addons.count() == 1
    assert not SpareNumber.objects.filter(pk=spare.pk).exists()
    assert SpareNumber.objects.filter(e164=old).exists()


def stock(*e164s, country="US") -> list[SpareNumber]:
    return [SpareNumber.objects.create(e164=e164, country=country) for e164 in e164s]


def change_number(client, line, spare):
    url = f"{reverse('change_number', args=[line.pk])}?country={spare.country}"
    return client.post(url, {"spare": spare.pk}, follow=True)


def test_i1_a_line_past_its_number_change_limit_keeps_its_number_and_the_stock_stays(
    client_for, organization, member, settings, mailoutbox
):
    settings.NUMBER_CHANGES_PER_LINE = 2
    line = make_line(organization, member)
    first, second, third = stock("+14155550901", "+14155550902", "+14155550903")
    client = client_for(member)
    change_number(client, line, first)
    change_number(client, line, second)
    assert PhoneNumber.objects.get(subscription=line).e164 == second.e164
    events, emails = AuditEvent.objects.count(), len(mailoutbox)

    page = client.get(reverse("change_number", args=[line.pk])).content.decode()
    assert "has already changed twice in the last 30 days" in page
    assert 'name="spare"' not in page
    request_url = reverse("case_request", args=[line.pk, "change_number"])
    assert request_url in page
    assert client.get(request_url).status_code == 200  # support can still give one

    refused = change_number(client, line, third)
    assert "has already changed twice in the last 30 days" in refused.content.decode()
    assert PhoneNumber.objects.get(subscription=line).e164 == second.e164
    assert SpareNumber.objects.filter(pk=third.pk).exists()
    assert AuditEvent.objects.count() == events
    assert len(mailoutbox) == emails
    # After the period the line picks a new number here again.
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        change_number(client_for(member), line, third)
    assert PhoneNumber.objects.get(subscription=line).e164 == third.e164


def test_i1_an_organization_past_its_number_change_limit_takes_no_more_numbers(
    client_for, organization, owner, settings
):
    settings.NUMBER_CHANGES_PER_ORGANIZATION = 2
    lines = [make_line(organization, owner) for _ in range(3)]
    spares = stock("+442071230901", "+442071230902", "+442071230903", country="GB")
    client = client_for(owner)
    change_number(client, lines[0], spares[0])
    change_number(client, lines[1], spares[1])
    refused = change_number(client, lines[2], spares[2])
    assert "Your organization has already changed 2 numbers in the last 30 days" in (
        refused.content.decode()
    )
    assert PhoneNumber.objects.get(subscription=lines[2]).country == "US"
    assert SpareNumber.objects.filter(country="GB").count() == 1
    # Another organization's lines are not held back by this one's changes.
    other = make_line(OrganizationFactory(), None)
    membership = MembershipFactory(organization=other.organization, role=Role.SUPER_ADMIN)
    change_number(client_for(membership.user), other, spares[2])
    assert PhoneNumber.objects.get(subscription=other).e164 == spares[2].e164


def test_staff_are_told_once_when_a_number_change_leaves_a_country_low_and_when_it_runs_out(
    client_for, organization, owner, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SPARE_NUMBERS_LOW_BELOW = 2
    settings.SUPPORT_EMAIL = "stock@provider.example"
    lines = [make_line(organization, owner) for _ in range(3)]
    spares = stock("+442071230911", "+442071230912", "+442071230913", country="GB")
    stock("+14155550911")  # plenty elsewhere does not hide it
    client = client_for(owner)

    def staff_alerts():
        return [m for m in mailoutbox if m.to == ["stock@provider.example"]]

    with django_capture_on_commit_callbacks(execute=True):
        change_number(client, lines[0], spares[0])  # 2 left: not below 2 yet
    assert staff_alerts() == []
    with django_capture_on_commit_callbacks(execute=True):
        change_number(client, lines[1], spares[1])  # 1 left: below
    (low,) = staff_alerts()
    assert low.subject == "Free numbers running low in GB: 1 left"
    assert "/admin/subscriptions/sparenumber/" in low.body
    with django_capture_on_commit_callbacks(execute=True):
        change_number(client, lines[2], spares[2])  # none left
    assert [m.subject for m in staff_alerts()][1:] == ["No free numbers left in GB"]


def test_i1_reactivate_within_the_hold_but_not_after(client_for, organization, owner):
    line = make_line(organization, owner, state=State.SUSPENDED)
    client_for(owner).post(reverse("subscription_reactivate", args=[line.pk]))
    assert refreshed(line).state == State.ACTIVE
    late = make_line(organization, owner, cancelled=True)
    Subscription.objects.filter(pk=late.pk).update(cancelled_at=timezone.now() - timedelta(days=45))
    response = client_for(owner).post(
        reverse("subscription_reactivate", args=[late.pk]), follow=True
    )
    assert refreshed(late).state == State.CANCELLED
    assert "could be reactivated for 30 days" in response.content.decode()


# --- I4, I5, I6, I7, I8, I9: lines --------------------------------------------------------


def test_i6_cancel_line_is_refused_while_add_ons_renew_then_i7_they_go_one_by_one(
    client_for, organization, owner
):
    line = make_line(organization, owner, addons=["text_archive", "call_recording"])
    client = client_for(owner)
    page = client.get(reverse("subscription_cancel", args=[line.pk])).content.decode()
    assert "Cancel these add-ons first" in page
    for addon in line.addons.all():
        assert reverse("subscription_cancel", args=[addon.pk]) in page
        client.post(reverse("subscription_cancel", args=[addon.pk]), {"reason": "not_needed"})
        assert refreshed(addon).state == State.CANCELS_AT_TERM_END
    assert refreshed(line).state == State.ACTIVE
    page = client.get(reverse("subscription_cancel", args=[line.pk])).content.decode()
    assert "Cancel these add-ons first" not in page


def test_i4_i5_cancel_line_needs_the_typed_number_and_is_irreversible(
    client_for, organization, owner, django_capture_on_commit_callbacks, mailoutbox
):
    line = make_line(organization, owner, addons=["text_archive"])
    addon = line.addons.get()
    Subscription.objects.filter(pk=addon.pk).update(state=State.CANCELS_AT_TERM_END)
    client = client_for(owner)
    url = reverse("subscription_cancel", args=[line.pk])
    page = client.get(url).content.decode()
    assert "This cannot be undone" in page and "Text Archive" in page
    wrong = client.post(url, {"reason": "not_needed", "confirm_number": "123"})
    assert wrong.status_code == 400
    assert refreshed(line).state == State.ACTIVE
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"reason": "not_needed", "confirm_number": line.number.e164})
    after = refreshed(line)
    assert after.state == State.CANCELLED and after.cancelled_by_cancel_line
    assert refreshed(addon).state == State.CANCELLED
    assert len(mailoutbox) == 1
    # Cancelled by Cancel Line: never reactivated.
    client.post(reverse("subscription_reactivate", args=[line.pk]))
    assert refreshed(line).state == State.CANCELLED


def test_i8_an_app_store_add_on_is_not_cancelled_here(client_for, organization, owner):
    line = make_line(organization, owner, app_store=True, addons=["call_recording"])
    addon = line.addons.get()
    Subscription.objects.filter(pk=addon.pk).update(purchase_channel="app_store")
    client = client_for(owner)
    page = client.get(reverse("subscription_cancel", args=[addon.pk])).content.decode()
    assert "support.apple.com/en-us/HT202039" in page
    client.post(reverse("subscription_cancel", args=[addon.pk]), {"reason": "other"})
    assert refreshed(addon).state == State.ACTIVE


def test_i9_an_app_store_line_is_cancelled_here_and_apple_must_be_told(
    client_for, organization, owner, django_capture_on_commit_callbacks, mailoutbox
):
    line = make_line(organization, owner, app_store=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(
            reverse("subscription_cancel", args=[line.pk]),
            {"reason": "not_needed", "confirm_number": line.number.e164},
            follow=True,
        )
    assert refreshed(line).state == State.CANCELLED
    assert "App Store" in response.content.decode()
    assert "App Store" in mailoutbox[0].body


# --- user licenses ---------------------------------------------------------------------------


def test_super_admins_assign_move_and_free_user_licenses(
    client_for, organization, owner, member, admin_user
):
    license_ = SubscriptionFactory(
        organization=organization, product=ProductFactory(user_license=True)
    )
    client = client_for(owner)
    client.post(reverse("assign_license", args=[license_.pk]), {"email": member.email})
    assert refreshed(license_).assigned_to == member
    client.post(reverse("assign_license", args=[license_.pk]), {"email": admin_user.email})
    assert refreshed(license_).assigned_to == admin_user
    client.post(reverse("assign_license", args=[license_.pk]), {"email": ""})
    assert refreshed(license_).assigned_to is None
    response = client.post(
        reverse("assign_license", args=[license_.pk]),
        {"email": "stranger@else.example"},
        follow=True,
    )
    assert "is not a member" in response.content.decode()
    assert refreshed(license_).assigned_to is None


def test_admins_do_not_assign_licenses(client_for, organization, admin_user, member):
    license_ = SubscriptionFactory(
        organization=organization, product=ProductFactory(user_license=True)
    )
    client_for(admin_user).post(
        reverse("assign_license", args=[license_.pk]), {"email": member.email}
    )
    assert refreshed(license_).assigned_to is None


# --- every action: POST only, CSRF, isolation --------------------------------------------


def _action_urls(subscription, blocked):
    pk = subscription.pk
    return {
        "subscription_keep": reverse("subscription_keep", args=[pk]),
        "subscription_reactivate": reverse("subscription_reactivate", args=[pk]),
        "subscription_fix": reverse("subscription_fix", args=[pk]),
        "inbound_recording": reverse("inbound_recording", args=[pk]),
        "calling_mode": reverse("calling_mode", args=[pk]),
        "block_number": reverse("block_number", args=[pk]),
        "unblock_number": reverse("unblock_number", args=[pk, blocked.pk]),
        "assign_license": reverse("assign_license", args=[pk]),
    }


def test_changes_are_post_only_and_need_csrf(organization, owner):
    line = make_line(organization, owner)
    blocked = BlockedNumberFactory(phone_number=line.number)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    for url in _action_urls(line, blocked).values():
        assert client.get(url).status_code == 405, url
        assert client.post(url, {"on": "1", "mode": "voice"}).status_code == 403, url
    assert client.post(reverse("outbound_recording"), {"on": "1"}).status_code == 403
    assert not AuditEvent.objects.exists()


def test_it_checks_ownership_of_every_action(client_for, owner, outsider, other_organization):
    foreign = make_line(other_organization, outsider)
    blocked = BlockedNumberFactory(phone_number=foreign.number)
    client = client_for(owner)
    urls = {
        **_action_urls(foreign, blocked),
        "subscription_cancel": reverse("subscription_cancel", args=[foreign.pk]),
        "change_plan": reverse("change_plan", args=[foreign.pk]),
        "change_number": reverse("change_number", args=[foreign.pk]),
    }
    for name, url in urls.items():
        response = client.post(
            url,
            {"on": "1", "mode": "voice", "reason": "other", "confirm_number": foreign.number.e164},
        )
        assert response.status_code == 404, name
        assert foreign.number.e164 not in response.content.decode()
    assert refreshed(foreign).state == State.ACTIVE
    assert BlockedNumber.objects.filter(pk=blocked.pk).exists()
    assert not AuditEvent.objects.exists()


def test_extra_fields_change_nothing(client_for, organization, owner, other_organization):
    subscription, ladder = plans(organization)
    client_for(owner).post(
        reverse("subscription_cancel", args=[subscription.pk]),
        {
            "reason": "other",
            "state": "cancelled",
            "organization": other_organization.pk,
            "quantity": 99,
            "price": "0",
        },
    )
    after = refreshed(subscription)
    assert after.state == State.CANCELS_AT_TERM_END
    assert after.organization == organization
    assert after.quantity == 1
    assert after.product.price == ladder[1].price


def test_a_demoted_member_is_refused_at_once(client, organization, owner):
    second = membership_of(owner, organization)
    subscription, _ = plans(organization)
    client.force_login(owner)
    from tests.conftest import reauthenticate

    reauthenticate(client)
    second.role = Role.MEMBER
    second.save()
    client.post(reverse("subscription_cancel", args=[subscription.pk]), {"reason": "other"})
    assert refreshed(subscription).state == State.ACTIVE


def test_another_organizations_line_answers_404_not_a_password_page(
    client_for, organization, owner, outsider, other_organization
):
    foreign_line = make_line(other_organization, outsider)
    trunk = SubscriptionFactory(
        organization=other_organization, product=ProductFactory(sip_trunk=True)
    )
    client = client_for(owner, recently_authenticated=False)
    for target in (foreign_line, trunk):
        response = client.post(
            reverse("subscription_cancel", args=[target.pk]), {"reason": "other"}
        )
        assert response.status_code == 404
