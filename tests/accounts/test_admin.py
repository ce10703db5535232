"""Staff in Django admin: the last Super Admin rule holds there too, and changes are audited."""

import pytest
from django.urls import reverse

from accounts.models import Membership, Role
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
