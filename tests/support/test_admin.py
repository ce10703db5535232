"""The staff's side (Django admin): the queue, replies and notes, and carrying requests out."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from subscriptions.models import Subscription
from support import services
from support.models import Case, Quote
from tests.conftest import membership_of
from tests.factories import CaseFactory, MessageFactory, UserFactory
from tests.support.conftest import pdf

pytestmark = pytest.mark.django_db


def request_cancellation(owner, organization, subscription, **kwargs):
    case, _ = services.case_request_cancellation(
        membership=membership_of(owner, organization),
        subscription=subscription,
        full_name="Olive Owner",
        company="Acme Test Co",
        contact="owner@test.example",
        **kwargs,
    )
    return case


def change_url(case):
    return reverse("admin:support_case_change", args=[case.pk])


def admin_post(client, case, **fields):
    """Submit the case's change form as staff would, inlines included."""
    page = client.get(change_url(case))
    form = page.context["adminform"].form
    data = {
        "state": form.initial["state"],
        "assigned_to": form.initial.get("assigned_to") or "",
        "reply": "",
        **fields,
    }
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.total_form_count()
        data[f"{formset.prefix}-INITIAL_FORMS"] = formset.initial_form_count()
    if data.get("internal") is False:
        data.pop("internal")
    return client.post(change_url(case), data)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


# --- the queue ----------------------------------------------------------------------------


def test_the_queue_renders_with_every_filter_and_finds_a_case_by_reference(
    staff_client, staff, organization, owner
):
    wanted = CaseFactory(organization=organization, opened_by=owner, subject="Dropped calls")
    other = CaseFactory(organization=organization, opened_by=owner, subject="Invoices")
    url = reverse("admin:support_case_changelist")
    for query in (
        {},
        {"state__exact": "open"},
        {"kind__exact": "general"},
        {"organization__id__exact": organization.pk},
        {"assigned_to__id__exact": staff.pk},
        {"age": "day"},
        {"age": "older"},
    ):
        assert staff_client.get(url, query).status_code == 200, query
    for term in (wanted.reference, wanted.reference.lower(), "dropped"):
        page = staff_client.get(url, {"q": term}).content.decode()
        assert "Dropped calls" in page, term
        assert "Invoices" not in page, term
    old = staff_client.get(url, {"age": "older"}).content.decode()
    assert "Dropped calls" not in old
    Case.objects.filter(pk=other.pk).update(created_at=timezone.now() - timedelta(days=9))
    assert "Invoices" in staff_client.get(url, {"age": "older"}).content.decode()


def test_a_case_page_and_its_action_pages_render(staff_client, holdings, owner, organization):
    case = request_cancellation(owner, organization, holdings["number"])
    MessageFactory(case=case, author=owner, body="<script>alert(1)</script>")
    page = staff_client.get(change_url(case))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Approve cancellation" in content and "Decline with reason" in content
    assert "<script>alert(1)</script>" not in content
    for name in ("approve", "decline"):
        assert (
            staff_client.get(reverse(f"admin:support_case_{name}", args=[case.pk])).status_code
            == 200
        )


def test_cases_are_neither_added_nor_deleted_in_admin(staff_client, organization, owner):
    case = CaseFactory(organization=organization, opened_by=owner)
    assert staff_client.get(reverse("admin:support_case_add")).status_code == 403
    assert staff_client.get(reverse("admin:support_case_delete", args=[case.pk])).status_code == 403


def test_only_staff_reach_the_queue(client_for, owner):
    response = client_for(owner).get(reverse("admin:support_case_changelist"))
    assert response.status_code == 302


# --- replies, notes, assignment, states ---------------------------------------------------


def test_a_staff_reply_emails_the_customer_and_shows_on_their_case(
    staff_client, client_for, owner, organization, django_capture_on_commit_callbacks
):
    case = CaseFactory(organization=organization, opened_by=owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_post(staff_client, case, reply="Try the voice network.", state="pending")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "pending"
    [message] = mail.outbox
    assert message.to == [owner.email]
    assert "Try the voice network." in message.body
    assert AuditEvent.objects.filter(action="support.staff_replied").count() == 1
    page = client_for(owner).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Try the voice network." in page


def test_an_internal_note_is_neither_emailed_nor_shown(
    staff_client, client_for, owner, organization, django_capture_on_commit_callbacks
):
    case = CaseFactory(organization=organization, opened_by=owner)
    with django_capture_on_commit_callbacks(execute=True):
        admin_post(staff_client, case, reply="Customer is on the old tariff.", internal="on")
    note = case.messages.get()
    assert note.internal and note.from_staff
    assert not mail.outbox
    assert AuditEvent.objects.filter(action="support.note_added").count() == 1
    assert "old tariff" in staff_client.get(change_url(case)).content.decode()
    # (client_for signs the owner in on the same test client, so the staff page comes first.)
    page = client_for(owner).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "old tariff" not in page


def test_assigning_and_moving_a_case_are_audited_and_told_to_the_customer(
    staff_client, staff, owner, organization, django_capture_on_commit_callbacks
):
    case = CaseFactory(organization=organization, opened_by=owner)
    with django_capture_on_commit_callbacks(execute=True):
        admin_post(staff_client, case, assigned_to=staff.pk, state="in_progress")
    case.refresh_from_db()
    assert case.assigned_to == staff and case.state == "in_progress"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"support.case_assigned", "support.case_state_changed"} <= actions
    assert all(m.to == [owner.email] for m in mail.outbox) and len(mail.outbox) == 2


def test_cases_only_make_sensible_moves(staff_client, owner, organization):
    case = CaseFactory(organization=organization, opened_by=owner, closed=True)
    form = staff_client.get(change_url(case)).context["adminform"].form
    assert [value for value, _ in form.fields["state"].choices] == ["closed"]
    response = admin_post(staff_client, case, state="open")
    assert response.status_code == 200  # the form says the choice is not available
    case.refresh_from_db()
    assert case.state == "closed"
    with pytest.raises(services.ActionRefused):
        services.case_set_state(case=case, staff=UserFactory(is_staff=True), state="open")


def test_only_staff_are_assigned(owner, staff, organization):
    case = CaseFactory(organization=organization, opened_by=owner)
    with pytest.raises(services.ActionRefused, match="staff members only"):
        services.case_assign(case=case, staff=staff, assignee=owner)


# --- approve and decline (A2, A6, A11) ------------------------------------------------------


def approve(client, case):
    return client.post(reverse("admin:support_case_approve", args=[case.pk]))


def test_a2_approve_cancellation_cancels_at_the_term_end_resolves_audits_and_emails(
    staff_client, owner, organization, holdings, django_capture_on_commit_callbacks
):
    number = holdings["number"]
    case = request_cancellation(owner, organization, number)
    with django_capture_on_commit_callbacks(execute=True):
        response = approve(staff_client, case)
    assert response.status_code == 302
    number.refresh_from_db()
    assert number.state == Subscription.State.CANCELS_AT_TERM_END
    case.refresh_from_db()
    assert case.state == "resolved"
    assert not case.items.get().holds_cancellation
    assert case.messages.last().body.startswith("Approved.")
    assert "Nothing is refunded" in case.messages.last().body
    assert AuditEvent.objects.filter(action="support.cancellation_approved").count() == 1
    source = AuditEvent.objects.get(action="subscription.cancellation_approved")
    assert source.after["source"] == case.reference
    assert any(m.to == [owner.email] and "approved" in m.subject for m in mail.outbox)


def test_a6_approving_the_initial_ucaas_trunk_removes_it_today(
    staff_client, owner, organization, holdings
):
    trunk = holdings["ucaas_trunk"]
    case = request_cancellation(owner, organization, trunk, action="delete")
    approve(staff_client, case)
    trunk.refresh_from_db()
    assert trunk.state == Subscription.State.CANCELLED


def test_a11_approving_a_reduction_keeps_the_licenses_asked_for(
    staff_client, owner, organization, holdings
):
    seats = holdings["contact_center"]
    case = request_cancellation(owner, organization, seats, keep_quantity=3)
    approve(staff_client, case)
    seats.refresh_from_db()
    assert seats.quantity == 3 and seats.state == Subscription.State.ACTIVE


def test_approving_twice_has_one_effect(staff_client, owner, organization, holdings):
    case = request_cancellation(owner, organization, holdings["license"])
    approve(staff_client, case)
    approve(staff_client, case)
    assert AuditEvent.objects.filter(action="support.cancellation_approved").count() == 1
    assert AuditEvent.objects.filter(action="subscription.cancellation_approved").count() == 1


def test_approve_from_the_queue_carries_out_each_request_and_refuses_the_others(
    staff_client, owner, organization, holdings
):
    request = request_cancellation(owner, organization, holdings["license"])
    question = CaseFactory(organization=organization, opened_by=owner)
    response = staff_client.post(
        reverse("admin:support_case_changelist"),
        {"action": "approve_cancellation", "_selected_action": [request.pk, question.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert f"Approved and carried out: {request.reference}" in page
    assert f"{question.reference} is not a cancellation request" in page
    holdings["license"].refresh_from_db()
    assert holdings["license"].state == Subscription.State.CANCELS_AT_TERM_END


def test_a_refusal_of_the_subscription_service_changes_nothing(
    staff_client, owner, organization, holdings
):
    number = holdings["number"]
    case = request_cancellation(owner, organization, number)
    Subscription.objects.filter(pk=number.pk).update(state="cancels_at_term_end")
    response = approve(staff_client, case)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "open"
    assert not AuditEvent.objects.filter(action="support.cancellation_approved").exists()


def test_decline_with_reason_tells_the_customer_and_changes_nothing(
    staff_client, owner, organization, holdings, django_capture_on_commit_callbacks
):
    number = holdings["number"]
    case = request_cancellation(owner, organization, number)
    url = reverse("admin:support_case_decline", args=[case.pk])
    empty = staff_client.post(url, {"reason": ""})
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {"reason": "The number is under a porting order."})
    case.refresh_from_db()
    assert case.state == "resolved"
    assert "porting order" in case.messages.last().body
    number.refresh_from_db()
    assert number.state == Subscription.State.ACTIVE
    assert any("porting order" in m.body for m in mail.outbox if m.to == [owner.email])
    # The subscription may be asked for again.
    assert request_cancellation(owner, organization, number).pk != case.pk


def test_decline_and_quote_from_the_queue_open_their_page_for_one_case(
    staff_client, owner, organization
):
    first = CaseFactory(organization=organization, opened_by=owner)
    second = CaseFactory(organization=organization, opened_by=owner)
    url = reverse("admin:support_case_changelist")
    one = staff_client.post(url, {"action": "send_quote", "_selected_action": [first.pk]})
    assert one.url == reverse("admin:support_case_quote", args=[first.pk])
    both = staff_client.post(
        url,
        {"action": "decline_with_reason", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "Choose exactly one case" in both.content.decode()


def test_a12_send_quote_from_admin(
    staff_client,
    owner,
    organization,
    holdings,
    catalog,
    account_manager,
    django_capture_on_commit_callbacks,
):
    case, _ = services.case_request_change(
        membership=membership_of(owner, organization),
        subscription=holdings["jetpack"],
        action="change_plan",
        body="Bigger please",
        product=catalog["surge"],
    )
    url = reverse("admin:support_case_quote", args=[case.pk])
    page = staff_client.get(url)
    assert page.context["form"].initial["product"] == catalog["surge"].pk
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url,
            {
                "product": catalog["surge"].pk,
                "price": "549.00",
                "description": "Loyalty price",
                "valid_until": (timezone.localdate() + timedelta(days=7)).isoformat(),
            },
        )
    assert response.status_code == 302
    quote = Quote.objects.get()
    assert quote.sent_by == account_manager and quote.state == "sent"
    case.refresh_from_db()
    assert case.state == "pending"
    assert any("549.00" in m.subject for m in mail.outbox if m.to == [owner.email])


def test_staff_download_attachments_from_admin(staff_client, owner, organization):
    case, _ = services.case_open_general(
        membership=membership_of(owner, organization),
        subject="Invoice",
        body="Attached",
        files=[pdf()],
    )
    attachment = case.messages.get().attachments.get()
    page = staff_client.get(change_url(case)).content.decode()
    url = reverse("admin:support_attachment_download", args=[attachment.pk])
    assert url in page
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")


def test_staff_attach_files_to_a_reply_and_the_customer_downloads_them(
    staff_client, client_for, owner, organization
):
    case = CaseFactory(organization=organization, opened_by=owner)
    admin_post(staff_client, case, reply="The form you asked for.", attachments=[pdf("form.pdf")])
    attachment = case.messages.get().attachments.get()
    assert attachment.original_name == "form.pdf"
    url = reverse("attachment_download", args=[attachment.pk])
    assert client_for(owner).get(url).status_code == 200


def test_a_reply_on_a_closed_case_is_refused_on_the_form(staff_client, owner, organization):
    case = CaseFactory(organization=organization, opened_by=owner, closed=True)
    response = admin_post(staff_client, case, reply="Hello?")
    assert response.status_code == 200
    assert "Write an internal note instead" in response.content.decode()
    assert not case.messages.exists()
    admin_post(staff_client, case, reply="Closed after the porting.", internal="on")
    assert case.messages.get().internal
