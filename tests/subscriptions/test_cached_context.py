"""Pages cache their decision context (the Super Admins and the catalog's plan options)
until the organization or the catalog changes (`selectors.page_decision_context`);
services decide again from the database."""

import pytest
from django.urls import reverse

from accounts.services import membership_change_role
from core.errors import ActionRefused
from core.models import AuditEvent
from subscriptions.models import Product, Subscription
from subscriptions.selectors import page_decision_context
from subscriptions.services import subscription_change_plan
from tests.conftest import membership_of
from tests.factories import (
    MembershipFactory,
    PhoneNumberFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def _reads(captured, table: str) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if f'FROM "{table}"' in q["sql"]]


def test_a_pages_second_view_reads_no_plan_options_and_no_super_admins(
    client_for, organization, owner, django_assert_max_num_queries
):
    PhoneNumberFactory(subscription__organization=organization)
    client = client_for(owner)
    with django_assert_max_num_queries(40) as first:
        client.get(reverse("numbers"))
    assert _reads(first, "subscriptions_product_changeable_to")
    for name in ("numbers", "licenses", "call_insights"):
        with django_assert_max_num_queries(40, forget_cached=False) as cached:
            assert client.get(reverse(name)).status_code == 200
        assert not _reads(cached, "subscriptions_product_changeable_to")
        assert not [q for q in cached.captured_queries if "'super_admin'" in q["sql"]]


def test_a_product_saved_through_its_model_shows_on_the_next_page(
    client_for, organization, owner, django_capture_on_commit_callbacks
):
    number = PhoneNumberFactory(subscription__organization=organization).subscription
    client = client_for(owner)
    assert number.product.name.encode() in client.get(reverse("numbers")).content
    # Saved outside the admin (a shell, a script): nothing audits it, yet pages show it.
    product = number.product
    product.name = "Renamed Number Plan"
    product.save()
    assert b"Renamed Number Plan" in client.get(reverse("numbers")).content
    # A plan added since is offered to change to, also without an audit.
    insights = ProductFactory(name="Insights 1", call_insights=True, tier=1)
    plan = SubscriptionFactory(organization=organization, product=insights)
    assert client.get(reverse("change_plan", args=[plan.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        insights.changeable_to.add(ProductFactory(name="Insights 2", call_insights=True, tier=2))
    page = client.get(reverse("change_plan", args=[plan.pk]))
    assert b"Insights 2" in page.content
    assert [choice["decision"].allowed for choice in page.context["choices"]] == [True]


def test_a_new_super_admin_is_named_at_once_after_the_change_commits(
    client_for, organization, owner, admin_user, django_capture_on_commit_callbacks
):
    plan = Subscription.objects.create(
        organization=organization,
        product=ProductFactory(name="Insights", call_insights=True, cancel_min_role="super_admin"),
        term_start="2026-01-01",
        term_end="2026-12-31",
    )
    admin = MembershipFactory(organization=organization, role="admin", user__full_name="Ada New")
    client = client_for(admin_user)  # another Admin, whom the refusal sends to a Super Admin

    def reasons() -> str:
        rows = client.get(reverse("call_insights")).context["rows"]
        assert [row.subscription.pk for row in rows] == [plan.pk]
        return " ".join(d.reason for row in rows for d in row.decisions if not d.allowed)

    assert "Olive Owner" in reasons() and "Ada New" not in reasons()
    # Made Super Admin: the service says the organization changed, and once it commits
    # pages decide with the new Super Admin.
    with django_capture_on_commit_callbacks(execute=True):
        membership_change_role(membership=admin, role="super_admin", actor=owner)
    assert "Ada New" in reasons()


def test_a_change_is_decided_from_the_database_not_from_what_pages_cached(
    client_for, organization, owner
):
    current = ProductFactory(name="Insights 1", call_insights=True, tier=1)
    bigger = ProductFactory(name="Insights 2", call_insights=True, tier=2)
    current.changeable_to.add(bigger)
    plan = SubscriptionFactory(organization=organization, product=current)
    assert b"Insights 2" in client_for(owner).get(reverse("change_plan", args=[plan.pk])).content
    # Removed in a way no signal sees (a bulk delete): pages still offer it from what
    # they cached...
    Product.changeable_to.through.objects.filter(to_product=bigger).delete()
    cached = page_decision_context(organization=organization).plan_options[current.pk]
    assert [option.product_id for option in cached] == [bigger.pk]
    # ...but the service decides with the catalog as it is, and refuses.
    with pytest.raises(ActionRefused):
        subscription_change_plan(
            subscription=plan, membership=membership_of(owner, organization), product=bigger
        )
    plan.refresh_from_db()
    assert plan.product_id == current.pk
    assert not AuditEvent.objects.filter(action="subscription.plan_changed").exists()
