"""Opening cases from subscriptions: every product kind's route, A2/A3/A5/A6/A11/A12."""

import pytest
from django.core import mail
from django.urls import reverse

from core.models import AuditEvent
from subscriptions.models import Subscription
from support.models import Case, CaseSubscription
from tests.factories import MembershipFactory, SubscriptionFactory
from tests.support.conftest import a3

pytestmark = pytest.mark.django_db


def request_url(subscription, action="cancel"):
    return reverse("case_request", args=[subscription.pk, action])


def post_request(client, subscription, data, action="cancel", **extra):
    return client.post(request_url(subscription, action), data, **extra)


# --- the routes each product kind takes ------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "action", "page_name", "form_text"),
    [
        ("number", "cancel", "number_detail", "Request cancellation"),  # A2
        ("license", "cancel", "licenses", "Request cancellation"),  # A2 + A5
        ("contact_center", "cancel", "licenses", "Licenses to keep"),  # A11
        ("contact_center", "change_quantity", "licenses", "How many would you like to hold"),
        ("ucaas_trunk", "delete", "trunks", "Request cancellation"),  # A6
        ("jetpack", "change_plan", "jetpacks", "Contact your account manager"),  # A12
        ("jetpack", "cancel", "jetpacks", "Contact your account manager"),  # A12
    ],
)
def test_a2_a6_a11_a12_each_kind_links_its_page_to_its_case_form(
    client_for, owner, holdings, account_manager, kind, action, page_name, form_text
):
    subscription = holdings[kind]
    client = client_for(owner)
    args = [subscription.pk] if page_name == "number_detail" else []
    page = client.get(reverse(page_name, args=args)).content.decode()
    assert f'href="{request_url(subscription, action)}"' in page
    form = client.get(request_url(subscription, action))
    assert form.status_code == 200
    assert form_text in form.content.decode()


def test_self_service_products_get_no_case_form(client_for, owner, holdings):
    client = client_for(owner)
    for subscription, action in (
        (holdings["trunk"], "delete"),  # A6: the Delete button, not a case
        (holdings["call_insights"], "cancel"),  # A9: Cancel Plan in the portal
    ):
        response = client.get(request_url(subscription, action))
        assert response.status_code == 403
        assert "not available to you" in response.content.decode()
        assert (
            request_url(subscription, action) not in client.get(reverse("trunks")).content.decode()
        )


def test_unknown_actions_and_other_organizations_subscriptions_are_404(
    client_for, owner, outsider, holdings
):
    assert client_for(owner).get(request_url(holdings["license"], "explode")).status_code == 404
    assert client_for(owner).get(request_url(holdings["license"], "keep")).status_code == 404
    client = client_for(outsider)
    for subscription in holdings.values():
        assert client.get(request_url(subscription)).status_code == 404
        response = post_request(client, subscription, a3())
        assert response.status_code == 404
    assert not Case.objects.exists()


# --- A2, A3: the cancellation request ---------------------------------------------------


def test_a2_a3_a_cancellation_request_is_prefilled_from_the_profile_and_organization(
    client_for, owner, organization, holdings
):
    owner.phone = "+1 415 555 0100"
    owner.save()
    response = client_for(owner).get(request_url(holdings["number"]))
    form = response.context["form"]
    assert form["full_name"].value() == "Olive Owner"
    assert form["company"].value() == f"Acme Test Co ({organization.account_id})"
    assert form["contact"].value() == "owner@test.example · +1 415 555 0100"
    page = response.content.decode()
    # What will be cancelled and the terms that apply: no refund, the term end.
    assert "Local business number +14155550123" in page
    assert "Nothing is refunded" in page
    assert "There is no cancellation fee." in page
    assert "current term ends on" in page


@pytest.mark.parametrize("field", ["full_name", "company", "contact"])
def test_a3_each_requester_detail_is_required(client_for, owner, holdings, field):
    response = post_request(client_for(owner), holdings["number"], a3(**{field: "   "}))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors[field]
    page = response.content.decode()
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in page or (
        f'aria-describedby="id_{field}_error"' in page
    )
    assert not Case.objects.exists()
    assert not mail.outbox


def test_a2_a3_the_request_opens_a_cancellation_case_with_its_details(
    client_for, owner, holdings, django_capture_on_commit_callbacks
):
    number = holdings["number"]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_request(client_for(owner), number, a3(details="Office closes."))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("case_detail", args=[case.pk])
    assert case.kind == Case.Kind.CANCELLATION
    assert case.state == Case.State.OPEN
    assert (case.requester_name, case.requester_company, case.requester_contact) == (
        "Olive Owner",
        "Acme Test Co (AC-200000)",
        "owner@test.example",
    )
    item = case.items.get()
    assert item.subscription == number and item.action == "cancel" and item.holds_cancellation
    assert "Office closes." in case.messages.get().body
    # A2: a request, not an instant action.
    number.refresh_from_db()
    assert number.state == Subscription.State.ACTIVE
    assert AuditEvent.objects.filter(action="support.case_opened", target_id=str(case.pk)).exists()
    to_customer = [m for m in mail.outbox if m.to == ["owner@test.example"]]
    assert len(to_customer) == 1 and case.reference in to_customer[0].subject
    assert "Nothing is refunded" in to_customer[0].body
    to_support = [m for m in mail.outbox if m.to == ["support@switchboard.example"]]
    assert len(to_support) == 1


def test_a2_the_request_shows_on_the_support_dashboard(client_for, owner, holdings):
    client = client_for(owner)
    post_request(client, holdings["license"], a3())
    case = Case.objects.get()
    page = client.get(reverse("support")).content.decode()
    assert case.reference in page
    assert "Cancellation request" in page


# --- A5: licenses are for Super Admins ----------------------------------------------------


def test_a5_only_super_admins_request_license_cancellation(client_for, owner, admin_user, holdings):
    license_ = holdings["license"]
    client = client_for(admin_user)
    licenses_page = client.get(reverse("licenses")).content.decode()
    assert request_url(license_) not in licenses_page
    refused = client.get(request_url(license_))
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "Only Super Admins can cancel licenses" in page
    assert owner.display_name in page
    assert post_request(client, license_, a3()).status_code == 403
    assert not Case.objects.exists()


def test_a5_a_super_admin_demoted_meanwhile_is_refused_by_the_service(
    client_for, owner, organization, holdings
):
    client = client_for(owner)
    # Another Super Admin exists, so the demotion is allowed.
    MembershipFactory(organization=organization, role="super_admin")
    owner.memberships.update(role="admin")
    response = post_request(client, holdings["license"], a3())
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_members_cannot_request_cancellation_of_what_is_not_theirs(
    client_for, member, organization, catalog
):
    theirs = SubscriptionFactory(organization=organization, product=catalog["number"])
    assert client_for(member).get(request_url(theirs)).status_code == 404


# --- A6: the initial UCaaS trunk -----------------------------------------------------------


def test_a6_the_initial_ucaas_trunk_is_removed_through_a_cancellation_request(
    client_for, owner, holdings
):
    trunk = holdings["ucaas_trunk"]
    post_request(client_for(owner), trunk, a3(), action="delete")
    case = Case.objects.get()
    assert case.kind == Case.Kind.CANCELLATION
    assert case.items.get().action == "delete"
    assert "UCaaS primary" in case.subject


# --- A11: never one or two contact-center licenses -----------------------------------------


@pytest.mark.parametrize("keep", [1, 2])
def test_a11_a_reduction_to_one_or_two_is_refused_at_once_with_the_way_to_cancel_all(
    client_for, owner, holdings, keep
):
    response = post_request(client_for(owner), holdings["contact_center"], a3(keep_quantity=keep))
    assert response.status_code == 400
    errors = response.context["form"].errors["keep_quantity"]
    assert "at least 3" in errors[0]
    assert "cancel all 5 instead" in errors[0]
    assert 'aria-describedby="id_keep_quantity_helptext id_keep_quantity_error"' in (
        response.content.decode()
    )
    assert not Case.objects.exists()


@pytest.mark.parametrize(("keep", "expected"), [(3, 3), (4, 4), (0, None)])
def test_a11_keeping_three_or_more_or_none_is_a_request(
    client_for, owner, holdings, keep, expected
):
    post_request(client_for(owner), holdings["contact_center"], a3(keep_quantity=keep))
    item = CaseSubscription.objects.get()
    assert item.requested_quantity == expected
    assert "Keep" in item.asks if expected else "Cancel" in item.asks


def test_a11_keeping_all_or_more_is_not_a_cancellation(client_for, owner, holdings):
    response = post_request(client_for(owner), holdings["contact_center"], a3(keep_quantity=5))
    assert response.status_code == 400
    assert "keep fewer than 5" in response.context["form"].errors["keep_quantity"][0]


def test_a11_more_licenses_are_a_change_request(client_for, owner, holdings):
    client = client_for(owner)
    subscription = holdings["contact_center"]
    too_few = client.post(request_url(subscription, "change_quantity"), {"quantity": 4})
    assert too_few.status_code == 400
    assert "request a cancellation of some" in too_few.context["form"].errors["quantity"][0]
    client.post(request_url(subscription, "change_quantity"), {"quantity": 8, "body": ""})
    case = Case.objects.get()
    assert case.kind == Case.Kind.CHANGE
    assert case.items.get().requested_quantity == 8
    assert not case.items.get().holds_cancellation


# --- one open cancellation request per subscription ----------------------------------------


def test_a2_a_subscription_has_one_open_cancellation_request_asking_again_shows_it(
    client_for, owner, admin_user, holdings
):
    number = holdings["number"]
    post_request(client_for(owner), number, a3())
    case = Case.objects.get()
    client = client_for(admin_user)
    again = client.get(request_url(number))
    assert again.status_code == 302 and again.url == reverse("case_detail", args=[case.pk])
    posted = post_request(client, number, a3(full_name="Adam Admin"))
    assert posted.status_code == 302 and posted.url == reverse("case_detail", args=[case.pk])
    assert Case.objects.count() == 1
    # Once it is closed, a new request may be made.
    client.post(reverse("case_close", args=[case.pk]))
    post_request(client, number, a3(full_name="Adam Admin"))
    assert Case.objects.count() == 2


def test_a11_a_second_reduction_meets_the_open_one(client_for, owner, holdings):
    client = client_for(owner)
    post_request(client, holdings["contact_center"], a3(keep_quantity=3))
    response = post_request(client, holdings["contact_center"], a3(keep_quantity=4))
    assert response.status_code == 302
    assert Case.objects.count() == 1
    assert CaseSubscription.objects.get().requested_quantity == 3


def test_a2_a_double_submit_of_the_same_form_opens_one_case(
    client_for, owner, holdings, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    form = client.get(request_url(holdings["license"])).context["form"]
    data = a3(submission_key=form["submission_key"].value())
    with django_capture_on_commit_callbacks(execute=True):
        first = post_request(client, holdings["license"], data)
        second = post_request(client, holdings["license"], data)
    assert first.url == second.url
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(action="support.case_opened").count() == 1
    assert len([m for m in mail.outbox if m.to == ["owner@test.example"]]) == 1


# --- A12: Jetpacks through the account manager ---------------------------------------------


def test_a12_a_jetpack_quote_case_is_assigned_to_the_account_manager(
    client_for, owner, holdings, catalog, account_manager, django_capture_on_commit_callbacks
):
    jetpack = holdings["jetpack"]
    client = client_for(owner)
    page = client.get(request_url(jetpack, "change_plan")).content.decode()
    assert account_manager.display_name in page
    assert "mailto:support@switchboard.example" in page  # the alternative (A12)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            request_url(jetpack, "change_plan"),
            {"wanted": str(catalog["orbit"].pk), "body": "Black Friday traffic."},
        )
    case = Case.objects.get()
    assert case.kind == Case.Kind.CHANGE
    assert case.assigned_to == account_manager
    assert case.subject == "Quote request: Jetpack Boost to Jetpack Orbit"
    item = case.items.get()
    assert item.requested_product == catalog["orbit"] and not item.holds_cancellation
    assert [account_manager.email] in [m.to for m in mail.outbox]


def test_a12_a_jetpack_cancellation_quote_holds_the_one_open_cancellation(
    client_for, owner, holdings, account_manager
):
    jetpack = holdings["jetpack"]
    client = client_for(owner)
    client.post(request_url(jetpack, "cancel"), {"wanted": "cancel"})
    item = CaseSubscription.objects.get()
    assert item.action == "cancel" and item.holds_cancellation
    again = client.get(request_url(jetpack, "cancel"))
    assert again.status_code == 302


def test_a12_a_plan_outside_the_catalog_choices_is_refused(client_for, owner, holdings, catalog):
    response = client_for(owner).post(
        request_url(holdings["jetpack"], "change_plan"), {"wanted": str(catalog["number"].pk)}
    )
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_admins_without_the_role_for_jetpacks_see_why(client_for, member, holdings):
    # A Member sees no Jetpack (it is not assigned to them): 404, not a form.
    assert (
        client_for(member).get(request_url(holdings["jetpack"], "change_plan")).status_code == 404
    )
