"""The customer's side of support (A4): dashboard, a case's page, replies, closing, isolation."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, OutboundEmail
from support.models import Case, Message
from tests.conftest import membership_of
from tests.factories import CaseFactory, MessageFactory

pytestmark = pytest.mark.django_db


def case_of(user, organization, **fields):
    case = CaseFactory(organization=organization, opened_by=user, **fields)
    MessageFactory(case=case, author=user, body=f"First message of {case.subject}")
    return case


# --- the dashboard (A4) ------------------------------------------------------------------


def test_a4_the_dashboard_shows_open_and_pending_cases_first(client_for, owner, organization):
    closed = case_of(owner, organization, subject="Old invoice", closed=True)
    resolved = case_of(owner, organization, subject="Export question", resolved=True)
    pending = case_of(owner, organization, subject="Dropped calls", state="pending")
    open_case = case_of(owner, organization, subject="New number")
    # The finished ones had the latest activity, yet come after the open ones.
    Case.objects.filter(pk__in=[closed.pk, resolved.pk]).update(
        updated_at=timezone.now() + timedelta(hours=1)
    )
    response = client_for(owner).get(reverse("support"))
    order = [case.pk for case in response.context["page"]]
    assert set(order[:2]) == {pending.pk, open_case.pk}
    assert set(order[2:]) == {closed.pk, resolved.pk}
    counts = response.context["counts"]
    assert (counts["open"], counts["pending"], counts["total"]) == (1, 1, 4)


def test_a4_filters_by_state_and_type_and_searches_reference_or_subject(
    client_for, owner, organization
):
    dropped = case_of(owner, organization, subject="Dropped calls", state="pending")
    request = case_of(owner, organization, subject="Cancel a number", cancellation=True)
    client = client_for(owner)

    def shown(**query):
        return {case.pk for case in client.get(reverse("support"), query).context["page"]}

    assert shown(state="pending") == {dropped.pk}
    assert shown(state="active") == {dropped.pk, request.pk}
    assert shown(kind="cancellation") == {request.pk}
    assert shown(q="dropped") == {dropped.pk}
    assert shown(q=request.reference) == {request.pk}
    assert shown(q=request.reference.lower().replace("-", "")) == {request.pk}
    assert shown(q="nothing like it") == set()
    assert client.get(reverse("support"), {"state": "bogus"}).status_code == 200


def test_a4_members_see_their_own_cases_admins_see_the_organizations(
    client_for, owner, admin_user, member, organization
):
    mine = case_of(member, organization, subject="Member's case")
    owners = case_of(owner, organization, subject="Owner's case")
    as_member = client_for(member).get(reverse("support"))
    assert {c.pk for c in as_member.context["page"]} == {mine.pk}
    assert client_for(member).get(reverse("case_detail", args=[owners.pk])).status_code == 404
    as_admin = client_for(admin_user).get(reverse("support"))
    assert {c.pk for c in as_admin.context["page"]} == {mine.pk, owners.pk}
    assert client_for(admin_user).get(reverse("case_detail", args=[mine.pk])).status_code == 200


def test_cases_of_other_organizations_are_404_everywhere(client_for, owner, outsider, organization):
    case = case_of(owner, organization, state="pending")
    client = client_for(outsider)
    assert case.reference not in client.get(reverse("support")).content.decode()
    for name in ("case_detail",):
        assert client.get(reverse(name, args=[case.pk])).status_code == 404
    for name in ("case_reply", "case_close"):
        assert client.post(reverse(name, args=[case.pk]), {"body": "hi"}).status_code == 404
    case.refresh_from_db()
    assert case.state == "pending"
    assert case.messages.count() == 1


def test_the_dashboard_pages_and_keeps_a_constant_number_of_queries(
    client_for, owner, organization, django_assert_max_num_queries
):
    client = client_for(owner)
    for _ in range(10):
        case_of(owner, organization)
    client.get(reverse("support"))
    # Each measured view counts afresh: its counts are kept (core.org_cache) until an
    # audited change, and these cases are made without one.
    cache.clear()
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("support"))
    for _ in range(90):
        case_of(owner, organization, state="pending")
    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("support"), {"page": 2})
    assert response.context["page"].number == 2
    assert len(response.context["page"]) == 25


def test_the_dashboard_counts_what_it_lists_with_one_count_when_nothing_is_filtered(
    client_for, owner, member, organization, django_assert_max_num_queries
):
    for _ in range(3):
        case_of(owner, organization)
    case_of(owner, organization, closed=True)
    case_of(member, organization, state="pending")

    def listed(who, **query):
        client = client_for(who)  # one test client, signed in as `who`
        client.get(reverse("support"), query)
        with django_assert_max_num_queries(20) as captured:
            response = client.get(reverse("support"), query)
        counted = sum('AS "__count"' in q["sql"] for q in captured.captured_queries)
        return response.context["page"].paginator.count, counted

    assert listed(owner) == (5, 0)  # the total of the state counts, not counted again
    assert listed(owner, state="active") == (4, 1)
    assert listed(owner, state="bogus") == (5, 0)  # an invalid filter filters nothing
    assert listed(member) == (1, 0)  # a Member's own cases


def test_a_case_page_keeps_a_constant_number_of_queries(
    client_for, owner, organization, django_assert_max_num_queries
):
    case = case_of(owner, organization)
    client = client_for(owner)
    for _ in range(10):
        MessageFactory(case=case, author=owner)
    client.get(reverse("case_detail", args=[case.pk]))
    with django_assert_max_num_queries(25) as few:
        client.get(reverse("case_detail", args=[case.pk]))
    for _ in range(90):
        MessageFactory(case=case, author=owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("case_detail", args=[case.pk]))


# --- Home -------------------------------------------------------------------------------


def test_a4_home_counts_open_and_pending_cases(client_for, owner, member, organization):
    case_of(owner, organization, subject="Waiting on us")
    case_of(owner, organization, subject="Being handled", state="in_progress")
    case_of(owner, organization, subject="Waiting on you", state="pending")
    case_of(owner, organization, subject="Done", resolved=True)
    case_of(member, organization, subject="Member's question")
    response = client_for(owner).get(reverse("home"))
    assert response.context["open_case_count"] == 3
    assert response.context["pending_case_count"] == 1
    assert "Open cases" in response.content.decode()
    as_member = client_for(member).get(reverse("home"))
    assert as_member.context["open_case_count"] == 1


# --- a general case ("Contact support", I10 and A13) --------------------------------------


def test_i10_contact_support_opens_a_general_case_with_where_the_customer_came_from(
    client_for, member, organization
):
    client = client_for(member)
    numbers = client.get(reverse("numbers") + "?q=4155").content.decode()
    expected = reverse("case_new") + "?from=/numbers/%3Fq%3D4155"
    assert f'href="{expected}" class="contact-support"' in numbers
    form_page = client.get(expected)
    form = form_page.context["form"]
    assert form["origin"].value() == "/numbers/?q=4155"
    assert form["subject"].value() == "Question about Numbers"
    assert "You came here from Numbers" in form_page.content.decode()


def test_a13_a_help_article_can_prefill_the_subject(client_for, member):
    response = client_for(member).get(
        reverse("case_new"), {"from": "/help/jetpacks/", "subject": "About: Jetpacks"}
    )
    assert response.context["form"]["subject"].value() == "About: Jetpacks"
    assert response.context["form"]["origin"].value() == "/help/jetpacks/"


@pytest.mark.parametrize("origin", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_only_local_paths_are_kept_as_the_origin(client_for, member, origin):
    response = client_for(member).get(reverse("case_new"), {"from": origin})
    assert response.context["form"]["origin"].value() == ""


def test_anonymous_visitors_keep_a_mailto_contact(client):
    page = client.get(reverse("account_login")).content.decode()
    assert 'href="mailto:support@switchboard.example" class="contact-support"' in page


def test_a_general_case_is_opened_audited_and_confirmed(
    client_for, member, organization, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member).post(
            reverse("case_new"),
            {"subject": "Voicemail", "body": "How do I set a greeting?", "origin": "/numbers/"},
        )
    case = Case.objects.get()
    assert response.url == reverse("case_detail", args=[case.pk])
    assert (case.kind, case.origin, case.opened_by) == ("general", "/numbers/", member)
    assert case.messages.get().body == "How do I set a greeting?"
    assert AuditEvent.objects.filter(action="support.case_opened").count() == 1
    assert [m.to for m in mail.outbox] == [[member.email], ["support@switchboard.example"]]


def test_bad_input_gets_a_clear_message_and_changes_nothing(client_for, member):
    response = client_for(member).post(reverse("case_new"), {"subject": "", "body": " "})
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["subject"] == ["Give your case a short subject."]
    assert form.errors["body"] == ["Tell us what you need."]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Case.objects.exists()


def test_opening_cases_is_rate_limited_per_member(client_for, member, admin_user, settings):
    settings.SUPPORT_CASES_PER_HOUR = 2
    client = client_for(member)
    for n in range(2):
        client.post(reverse("case_new"), {"subject": f"Case {n}", "body": "Help"})
    limited = client.post(reverse("case_new"), {"subject": "One more", "body": "Help"})
    assert limited.status_code == 429
    assert "Too many new cases" in limited.content.decode()
    assert int(limited["Retry-After"]) > 0
    assert Case.objects.count() == 2
    # Per member: someone else of the organization still may.
    other = client_for(admin_user).post(reverse("case_new"), {"subject": "Mine", "body": "Help"})
    assert other.status_code == 302


# --- the thread, replies, reopening -----------------------------------------------------


def test_internal_notes_are_never_shown_to_customers(client_for, owner, staff, organization):
    case = case_of(owner, organization)
    MessageFactory(case=case, author=staff, from_staff=True, body="Public answer")
    MessageFactory(case=case, author=staff, from_staff=True, internal=True, body="SECRET NOTE")
    page = client_for(owner).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Public answer" in page
    assert "SECRET NOTE" not in page


def test_a_stored_xss_attempt_is_rendered_inert(client_for, owner, admin_user, organization):
    attack = (
        '<script>alert("x")</script><img src=x onerror=alert(1)> '
        "javascript:alert(1) https://example.com/ok"
    )
    client = client_for(owner)
    client.post(reverse("case_new"), {"subject": "<b>bold</b><script>1</script>", "body": attack})
    case = Case.objects.get()
    for viewer in (owner, admin_user):
        for url in (reverse("case_detail", args=[case.pk]), reverse("support"), reverse("home")):
            page = client_for(viewer).get(url).content.decode()
            assert "<script>alert" not in page
            assert "<script>1" not in page
            assert "<img src=x" not in page
            assert "<b>bold</b>" not in page
            assert 'href="javascript:' not in page
    page = client_for(owner).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<a href="https://example.com/ok" rel="nofollow noopener noreferrer ugc">' in page


def test_a4_a_reply_adds_to_the_thread_and_tells_support(
    client_for, owner, staff, organization, django_capture_on_commit_callbacks
):
    case = case_of(owner, organization, state="pending", assigned_to=staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(
            reverse("case_reply", args=[case.pk]), {"body": "Here is the call log."}
        )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "in_progress"  # back with the staff member handling it
    assert case.messages.last().body == "Here is the call log."
    assert [m.to for m in mail.outbox] == [[staff.email]]
    assert AuditEvent.objects.filter(action="support.case_replied").count() == 1


def test_an_admin_replying_on_a_members_case_tells_the_member(
    client_for, member, admin_user, organization, django_capture_on_commit_callbacks
):
    case = case_of(member, organization)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin_user).post(reverse("case_reply", args=[case.pk]), {"body": "Me too"})
    assert [member.email] in [m.to for m in mail.outbox]


def test_a_double_submitted_reply_is_added_once(client_for, owner, organization):
    case = case_of(owner, organization)
    client = client_for(owner)
    key = (
        client.get(reverse("case_detail", args=[case.pk]))
        .context["reply_form"]["submission_key"]
        .value()
    )
    for _ in range(2):
        client.post(reverse("case_reply", args=[case.pk]), {"body": "Once", "submission_key": key})
    assert Message.objects.filter(body="Once").count() == 1


def test_a_member_over_the_hourly_replies_gets_429_and_nothing_is_posted_or_e_mailed(
    client_for, member, admin_user, organization, settings
):
    settings.SUPPORT_REPLIES_PER_HOUR = 3
    case = case_of(member, organization)
    client = client_for(member)
    reply_url = reverse("case_reply", args=[case.pk])
    for n in range(3):
        assert client.post(reply_url, {"body": f"Reply {n}"}).status_code == 302
    e_mails = OutboundEmail.objects.count()
    limited = client.post(reply_url, {"body": "One too many"})
    assert limited.status_code == 429
    assert "Too many replies for now" in limited.content.decode()
    assert 0 < int(limited["Retry-After"]) <= 3600
    assert not Message.objects.filter(body="One too many").exists()
    assert OutboundEmail.objects.count() == e_mails
    # Per member: someone else of the organization still may reply.
    other = client_for(admin_user).post(reply_url, {"body": "Mine"})
    assert other.status_code == 302
    # And the member may again once the hour has passed.
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert client.post(reply_url, {"body": "Later"}).status_code == 302


def test_an_empty_reply_is_refused_with_a_message(client_for, owner, organization):
    case = case_of(owner, organization)
    response = client_for(owner).post(reverse("case_reply", args=[case.pk]), {"body": "  "})
    assert response.status_code == 400
    assert response.context["reply_form"].errors["body"] == ["Write your reply first."]
    assert case.messages.count() == 1


def test_a4_a_resolved_case_is_reopened_by_a_reply_within_14_days(client_for, owner, organization):
    case = case_of(owner, organization, resolved=True)
    with time_machine.travel(timezone.now() + timedelta(days=13)):
        response = client_for(owner).post(
            reverse("case_reply", args=[case.pk]), {"body": "It happens again."}
        )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "open"
    assert AuditEvent.objects.filter(action="support.case_reopened").count() == 1


def test_a4_after_14_days_a_resolved_case_takes_no_reply(client_for, owner, organization):
    case = case_of(owner, organization, resolved=True)
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        client = client_for(owner)
        page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
        assert "Send reply" not in page
        response = client.post(reverse("case_reply", args=[case.pk]), {"body": "Again"})
    assert response.status_code == 400
    assert "more than 14 days ago" in response.content.decode()
    case.refresh_from_db()
    assert case.state == "resolved" and case.messages.count() == 1


def test_a4_the_customer_closes_a_case_and_a_closed_case_takes_no_reply(
    client_for, owner, staff, organization, django_capture_on_commit_callbacks
):
    case = case_of(owner, organization, assigned_to=staff)
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("case_close", args=[case.pk]))
        client.post(reverse("case_close", args=[case.pk]))  # a double submit
    case.refresh_from_db()
    assert case.state == "closed" and case.closed_at
    assert AuditEvent.objects.filter(action="support.case_closed").count() == 1
    assert [m.to for m in mail.outbox] == [[staff.email]]
    response = client.post(reverse("case_reply", args=[case.pk]), {"body": "Wait"})
    assert response.status_code == 400
    assert "This case is closed" in response.content.decode()


def test_changes_need_post_and_csrf(client, owner, organization):
    case = case_of(owner, organization)
    client.force_login(owner)
    assert client.get(reverse("case_close", args=[case.pk])).status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.post(reverse("case_close", args=[case.pk])).status_code == 403
    case.refresh_from_db()
    assert case.state == "open"


def test_membership_fixture_sanity(owner, organization):
    assert membership_of(owner, organization).is_super_admin
