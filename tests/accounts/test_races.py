"""Concurrent team changes on a database that really locks rows (PostgreSQL in CI)."""

from accounts import services
from accounts.models import Membership, Role
from core.errors import ActionRefused
from core.models import AuditEvent
from tests.concurrency import RACE_TEST_MARKS, run_at_once
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = RACE_TEST_MARKS


def test_two_super_admins_demoting_each_other_at_once_leave_one_super_admin():
    organization = OrganizationFactory()
    first = MembershipFactory(organization=organization, role=Role.SUPER_ADMIN)
    second = MembershipFactory(organization=organization, role=Role.SUPER_ADMIN)

    outcomes = run_at_once(
        lambda: services.membership_change_role(
            membership=second, role=Role.MEMBER, actor=first.user
        ),
        lambda: services.membership_change_role(
            membership=first, role=Role.MEMBER, actor=second.user
        ),
    )

    assert Membership.objects.super_admins().filter(organization=organization).count() == 1
    assert sum(isinstance(outcome, ActionRefused) for outcome in outcomes) == 1
    assert AuditEvent.objects.filter(action="team.role_changed").count() == 1


def test_two_super_admins_removing_each_other_at_once_leave_one():
    organization = OrganizationFactory()
    first = MembershipFactory(organization=organization, role=Role.SUPER_ADMIN)
    second = MembershipFactory(organization=organization, role=Role.SUPER_ADMIN)

    run_at_once(
        lambda: services.membership_remove(membership=second, actor=first.user),
        lambda: services.membership_remove(membership=first, actor=second.user),
    )

    remaining = Membership.objects.filter(organization=organization)
    assert remaining.count() == 1
    assert remaining.get().role == Role.SUPER_ADMIN
