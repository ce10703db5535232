"""Home, Activity, organization switching, and what every page of the shell shows."""

import pytest
from django.urls import reverse

from accounts.models import Role
from core.audit import audit_record
from core.models import AuditEvent
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

SHELL_PAGES = [
    "home",
    "team",
    "numbers",
    "licenses",
    "trunks",
    "settings",
    "jetpacks",
    "support",
    "help",
]


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for name in [*SHELL_PAGES, "activity"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_home_shows_the_organization_and_its_account_id(client_for, organization, owner):
    content = client_for(owner).get(reverse("home")).content.decode()
    assert organization.name in content
    assert organization.account_id in content


@pytest.mark.parametrize("name", SHELL_PAGES)
def test_i10_every_page_has_contact_support_and_the_account_id(
    client_for, organization, member, name
):
    content = client_for(member).get(reverse(name)).content.decode()
    assert "Contact support" in content
    assert organization.account_id in content


def test_i10_the_sign_in_page_has_contact_support(client):
    assert "Contact support" in client.get(reverse("account_login")).content.decode()


@pytest.mark.parametrize(
    ("persona", "sees"), [("owner", True), ("admin_user", False), ("member", False)]
)
def test_activity_is_for_super_admins_only(request, client_for, persona, sees):
    client = client_for(request.getfixturevalue(persona))
    assert (client.get(reverse("activity")).status_code == 200) is sees
    assert ('href="/activity/"' in client.get(reverse("home")).content.decode()) is sees


def test_activity_shows_only_the_organizations_own_events(
    client_for, organization, other_organization, owner, outsider
):
    audit_record(
        action="team.invited",
        organization=organization,
        actor=owner,
        after={"email": "ours@test.example"},
    )
    audit_record(
        action="team.invited",
        organization=other_organization,
        actor=outsider,
        after={"email": "theirs@else.example"},
    )
    content = client_for(owner).get(reverse("activity")).content.decode()
    assert "ours@test.example" in content
    assert "theirs@else.example" not in content
    assert outsider.email not in content


def test_activity_filters_by_action_and_actor(client_for, organization, owner, admin_user):
    audit_record(action="team.invited", organization=organization, actor=owner, target=organization)
    audit_record(
        action="team.role_changed", organization=organization, actor=admin_user, target=organization
    )
    client = client_for(owner)
    page = client.get(reverse("activity"), {"action": "team.role_changed"}).context["page"]
    assert [event.action for event in page] == ["team.role_changed"]
    page = client.get(reverse("activity"), {"actor": "owner@"}).context["page"]
    assert [event.actor_email for event in page] == [owner.email]


def test_activity_with_reversed_dates_says_so(client_for, owner):
    response = client_for(owner).get(
        reverse("activity"), {"since": "2026-05-02", "until": "2026-05-01"}
    )
    assert response.status_code == 200
    assert "The end date comes before the start date" in response.content.decode()


def test_activity_pages_and_keeps_a_constant_number_of_queries(
    client_for, organization, owner, django_assert_max_num_queries
):
    client = client_for(owner)
    client.get(reverse("activity"))
    for _ in range(5):
        audit_record(action="team.invited", organization=organization, actor=owner)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("activity"))
    for _ in range(120):
        audit_record(action="team.invited", organization=organization, actor=owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("activity"), {"page": 2})
    assert response.context["page"].number == 2
    assert len(response.context["page"]) == 50


def test_audit_events_cannot_be_changed_or_deleted(organization, owner):
    event = audit_record(action="team.invited", organization=organization, actor=owner)
    event.action = "rewritten"
    with pytest.raises(ValueError, match="cannot be changed"):
        event.save()
    with pytest.raises(ValueError, match="cannot be deleted"):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "team.invited"


def test_audit_events_are_read_only_in_admin(client_for, staff, organization, owner):
    event = audit_record(action="team.invited", organization=organization, actor=owner)
    client = client_for(staff)
    assert client.get(reverse("admin:core_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:core_auditevent_add")).status_code == 403
    response = client.post(
        reverse("admin:core_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_member_of_two_organizations_switches_between_them(client, organization, member):
    second = OrganizationFactory(name="Second Branch")
    MembershipFactory(user=member, organization=second, role=Role.ADMIN)
    client.force_login(member)
    first_org = client.get(reverse("home")).context["organization"]
    target = second if first_org == organization else organization
    response = client.post(reverse("switch_organization"), {"organization": target.pk})
    assert response.status_code == 302
    assert client.get(reverse("home")).context["organization"] == target


def test_switching_to_an_organization_one_is_not_in_answers_404(
    client_for, member, other_organization
):
    client = client_for(member)
    response = client.post(reverse("switch_organization"), {"organization": other_organization.pk})
    assert response.status_code == 404
    assert client.get(reverse("home")).context["organization"] != other_organization


def test_staff_without_an_organization_are_pointed_to_admin(client_for, staff):
    response = client_for(staff).get(reverse("home"))
    assert response.status_code == 403
    assert reverse("admin:index") in response.content.decode()


def test_admin_sign_in_goes_through_allauth(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
