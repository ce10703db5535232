"""Staff in Django admin: the last Super Admin rule holds there too, and changes are audited."""

import json

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Membership, Role, User
from accounts.services import membership_change_role_by_staff
from core.errors import ActionRefused
from core.models import AuditEvent
from tests.conftest import membership_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def organization_form(organization, **changes) -> dict:
    """The Organization admin's change form as posted: its own fields (its members are
    changed on their own pages)."""
    data = {
        "name": organization.name,
        "account_id": organization.account_id,
        "initial-account_id": organization.account_id,  # a callable default's hidden twin
        "support_email": organization.support_email,
        "account_manager": organization.account_manager_id or "",
    }
    return {**data, **changes}


def test_staff_cannot_demote_the_last_super_admin(client_for, staff, organization, owner):
    own = membership_of(owner, organization)
    response = client_for(staff).post(
        reverse("admin:accounts_membership_change", args=[own.pk]),
        {"user": owner.pk, "organization": organization.pk, "role": Role.MEMBER},
    )
    assert response.status_code == 200
    assert "at least one Super Admin" in response.content.decode()
    own.refresh_from_db()
    assert own.role == Role.SUPER_ADMIN


def test_staff_cannot_delete_the_last_super_admin(client_for, staff, organization, owner):
    own = membership_of(owner, organization)
    response = client_for(staff).post(
        reverse("admin:accounts_membership_delete", args=[own.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Membership.objects.filter(pk=own.pk).exists()


def test_a_role_staff_change_in_the_membership_admin_is_a_role_change_and_mailed(
    client_for, staff, organization, owner, member, django_capture_on_commit_callbacks
):
    target = membership_of(member, organization)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(
            reverse("admin:accounts_membership_change", args=[target.pk]),
            {"user": member.pk, "organization": organization.pk, "role": Role.ADMIN},
        )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.ADMIN
    event = AuditEvent.objects.get()  # the role change only: no "membership changed" beside it
    assert (event.action, event.actor, event.organization) == (
        "team.role_changed",
        staff,
        organization,
    )
    assert (event.before, event.after) == ({"role": "member"}, {"role": "admin"})
    assert [message.to for message in mail.outbox] == [[member.email]]
    assert "to Admin" in mail.outbox[0].body


def test_an_organizations_page_links_to_its_members_instead_of_listing_them(
    client_for, staff, organization, owner, member, outsider
):
    client = client_for(staff)
    page = client.get(reverse("admin:accounts_organization_change", args=[organization.pk]))
    content = page.content.decode()
    members_url = (
        reverse("admin:accounts_membership_changelist")
        + f"?organization__id__exact={organization.pk}"
    )
    assert f'href="{members_url}"' in content
    assert "2 members →" in content
    assert "memberships-TOTAL_FORMS" not in content  # no inline of every member
    listed = client.get(members_url).content.decode()
    assert owner.full_name in listed and member.full_name in listed
    assert outsider.full_name not in listed


def test_a_membership_staff_delete_in_the_membership_admin_is_audited(
    client_for, staff, organization, owner, member
):
    target = membership_of(member, organization)
    response = client_for(staff).post(
        reverse("admin:accounts_membership_delete", args=[target.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=target.pk).exists()
    event = AuditEvent.objects.get(action="admin.membership_deleted")
    assert (event.actor, event.organization, event.target_id) == (
        staff,
        organization,
        str(target.pk),
    )


def test_only_staff_who_may_change_memberships_change_a_role_as_staff(organization, member):
    clerk = UserFactory(email="clerk@test.example", is_staff=True)  # no permission
    with pytest.raises(ActionRefused):
        membership_change_role_by_staff(
            membership=membership_of(member, organization), role=Role.SUPER_ADMIN, staff=clerk
        )
    assert membership_of(member, organization).role == Role.MEMBER
    assert not AuditEvent.objects.exists()


def test_a_user_added_in_admin_leaves_no_password_in_the_audit_log(client_for, staff):
    typed = "Correct-Horse-Battery-91"
    response = client_for(staff).post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.hire@test.example",
            "full_name": "New Hire",
            "password1": typed,
            "password2": typed,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="new.hire@test.example").check_password(typed)
    event = AuditEvent.objects.get(action="admin.user_added")
    assert typed not in json.dumps([event.before, event.after])
    assert event.after["password1"] == event.after["password2"] == "[redacted]"
    assert event.after["email"] == "new.hire@test.example"


def test_admin_records_values_as_json_not_text(client_for, staff, organization, owner):
    response = client_for(staff).post(
        reverse("admin:accounts_organization_change", args=[organization.pk]),
        organization_form(organization, account_manager=staff.pk, outbound_call_recording="on"),
    )
    assert response.status_code == 302, response.context["errors"]
    event = AuditEvent.objects.get(action="admin.organization_changed")
    assert event.after == {"account_manager": str(staff), "outbound_call_recording": True}
