"""Staff in Django admin: the last Super Admin rule holds there too, and changes are audited."""

import json

import pytest
from django.urls import reverse

from accounts.models import Membership, Role, User
from core.models import AuditEvent
from tests.conftest import membership_of

pytestmark = pytest.mark.django_db


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


def test_staff_changes_are_audited(client_for, staff, organization, owner, member):
    target = membership_of(member, organization)
    response = client_for(staff).post(
        reverse("admin:accounts_membership_change", args=[target.pk]),
        {"user": member.pk, "organization": organization.pk, "role": Role.ADMIN},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.membership_changed")
    assert event.actor == staff
    assert event.organization == organization
    assert event.after == {"role": "admin"}


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


def organization_form(organization, roles: dict | None = None, **changes) -> dict:
    """The Organization admin's change form as posted: its fields and its membership
    inline, each member with their role unless `roles` gives another."""
    roles = roles or {}
    memberships = list(organization.memberships.order_by("pk"))
    data = {
        "name": organization.name,
        "account_id": organization.account_id,
        "initial-account_id": organization.account_id,  # a callable default's hidden twin
        "support_email": organization.support_email,
        "account_manager": organization.account_manager_id or "",
        "memberships-TOTAL_FORMS": str(len(memberships)),
        "memberships-INITIAL_FORMS": str(len(memberships)),
    }
    for index, membership in enumerate(memberships):
        data[f"memberships-{index}-id"] = membership.pk
        data[f"memberships-{index}-organization"] = organization.pk
        data[f"memberships-{index}-user"] = membership.user_id
        data[f"memberships-{index}-role"] = roles.get(membership.user, membership.role)
    return {**data, **changes}


def test_admin_records_values_as_json_not_text(client_for, staff, organization, owner):
    response = client_for(staff).post(
        reverse("admin:accounts_organization_change", args=[organization.pk]),
        organization_form(organization, account_manager=staff.pk, outbound_call_recording="on"),
    )
    assert response.status_code == 302, response.context["errors"]
    event = AuditEvent.objects.get(action="admin.organization_changed")
    assert event.after == {"account_manager": str(staff), "outbound_call_recording": True}
