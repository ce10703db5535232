"""The Accounts (team) page: who sees what, and who may invite, change roles and remove."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Invitation, Membership, Role
from accounts.views import TEAM_PAGE_SIZE
from core.models import AuditEvent
from tests.conftest import membership_of, reauthenticate
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_it_lists_every_member_with_their_role(client_for, owner, admin_user, member):
    response = client_for(member).get(reverse("team"))
    assert response.status_code == 200
    content = response.content.decode()
    for person, role in ((owner, "Super Admin"), (admin_user, "Admin"), (member, "Member")):
        assert person.email in content
        assert role in content


@pytest.mark.parametrize("persona", ["admin_user", "member"])
def test_non_super_admins_see_no_management_and_who_their_super_admins_are(
    request, client_for, owner, persona
):
    user = request.getfixturevalue(persona)
    content = client_for(user).get(reverse("team")).content.decode()
    assert "Send invitation" not in content
    assert "Change role" not in content
    assert "Only Super Admins invite people" in content
    assert owner.email in content


def test_super_admins_see_management(client_for, owner, member):
    content = client_for(owner).get(reverse("team")).content.decode()
    assert "Send invitation" in content
    assert "Change role" in content


def test_each_role_picker_offers_every_role_with_the_members_own_chosen(
    client_for, organization, owner, admin_user, member
):
    content = client_for(owner).get(reverse("team")).content.decode()
    for person in (owner, admin_user, member):
        membership = membership_of(person, organization)
        start = content.index(f'id="role-{membership.pk}"')
        picker = content[start : content.index("</select>", start)]
        offered = re.findall(r'<option value="(\w+)"( selected)?>', picker)
        assert [value for value, _ in offered] == list(Role.values)
        assert [value for value, chosen in offered if chosen] == [membership.role]


@pytest.mark.parametrize(
    ("persona", "allowed"), [("owner", True), ("admin_user", False), ("member", False)]
)
def test_role_matrix_for_inviting(
    request, client_for, organization, persona, allowed, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(persona)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(
            reverse("team_invite"), {"email": "new@test.example", "role": Role.MEMBER}
        )
    made = Invitation.objects.filter(organization=organization, email="new@test.example")
    if allowed:
        assert response.status_code == 302
        assert made.count() == 1
        assert len(mail.outbox) == 1
        assert made.get().token in mail.outbox[0].body
        assert AuditEvent.objects.filter(action="team.invited", organization=organization).exists()
    else:
        assert response.status_code == 403
        assert not made.exists()
        assert mail.outbox == []


@pytest.mark.parametrize(
    ("persona", "allowed"), [("owner", True), ("admin_user", False), ("member", False)]
)
def test_role_matrix_for_changing_roles(
    request,
    client_for,
    organization,
    owner,
    admin_user,
    member,
    persona,
    allowed,
    django_capture_on_commit_callbacks,
):
    user = request.getfixturevalue(persona)
    target = membership_of(member, organization)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(
            reverse("member_change_role", args=[target.pk]), {"role": Role.ADMIN}
        )
    target.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert target.role == Role.ADMIN
        event = AuditEvent.objects.get(action="team.role_changed")
        assert event.before == {"role": "member"}
        assert event.after == {"role": "admin"}
        assert event.actor == owner
        assert mail.outbox[0].to == [member.email]
    else:
        assert response.status_code == 403
        assert target.role == Role.MEMBER
        assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("persona", "allowed"), [("owner", True), ("admin_user", False), ("member", False)]
)
def test_role_matrix_for_removing(
    request, client_for, organization, owner, admin_user, member, persona, allowed
):
    user = request.getfixturevalue(persona)
    target = membership_of(member, organization)
    response = client_for(user).post(reverse("member_remove", args=[target.pk]))
    assert response.status_code == (302 if allowed else 403)
    assert Membership.objects.filter(pk=target.pk).exists() is not allowed


def test_the_last_super_admin_cannot_be_demoted(client_for, organization, owner):
    own = membership_of(owner, organization)
    response = client_for(owner).post(
        reverse("member_change_role", args=[own.pk]), {"role": Role.ADMIN}, follow=True
    )
    own.refresh_from_db()
    assert own.role == Role.SUPER_ADMIN
    assert "last Super Admin" in response.content.decode()
    assert not AuditEvent.objects.exists()


def test_the_last_super_admin_cannot_be_removed(client_for, organization, owner):
    own = membership_of(owner, organization)
    client_for(owner).post(reverse("member_remove", args=[own.pk]))
    assert Membership.objects.filter(pk=own.pk).exists()


def test_a_super_admin_can_step_down_when_another_remains(client_for, organization, owner):
    MembershipFactory(organization=organization, role=Role.SUPER_ADMIN)
    own = membership_of(owner, organization)
    client_for(owner).post(reverse("member_change_role", args=[own.pk]), {"role": Role.MEMBER})
    own.refresh_from_db()
    assert own.role == Role.MEMBER


def test_a_demoted_super_admins_next_request_has_the_new_rights(client, organization, owner):
    second = MembershipFactory(organization=organization, role=Role.SUPER_ADMIN)
    client.force_login(second.user)
    assert client.get(reverse("activity")).status_code == 200
    # The owner demotes them while their session stays open.
    second.role = Role.MEMBER
    second.save()
    assert client.get(reverse("activity")).status_code == 403
    response = client.post(reverse("team_invite"), {"email": "x@test.example", "role": "member"})
    assert response.status_code == 403


def test_a_removed_member_loses_access_at_the_next_request(client, organization, member):
    client.force_login(member)
    assert client.get(reverse("home")).status_code == 200
    Membership.objects.filter(user=member).delete()
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "not part of an organization" in response.content.decode()


def test_it_checks_ownership_of_members(client_for, owner, outsider, other_organization):
    foreign = membership_of(outsider, other_organization)
    client = client_for(owner)
    for name in ("member_change_role", "member_remove"):
        response = client.post(reverse(name, args=[foreign.pk]), {"role": Role.MEMBER})
        assert response.status_code == 404
        assert outsider.email not in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.role == Role.SUPER_ADMIN


def test_it_checks_ownership_of_invitations(client_for, owner, other_organization):
    foreign = Invitation.objects.create(organization=other_organization, email="x@else.example")
    response = client_for(owner).post(reverse("invitation_revoke", args=[foreign.pk]))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


@pytest.mark.parametrize("name", ["team_invite", "member_change_role", "member_remove"])
def test_changes_are_post_only(client_for, organization, owner, name):
    args = [membership_of(owner, organization).pk] if name != "team_invite" else []
    assert client_for(owner).get(reverse(name, args=args)).status_code == 405


def test_changes_need_the_csrf_token(organization, owner, member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    target = membership_of(member, organization)
    response = client.post(reverse("member_change_role", args=[target.pk]), {"role": "admin"})
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_a_bad_role_is_refused_and_changes_nothing(client_for, organization, owner, member):
    target = membership_of(member, organization)
    response = client_for(owner).post(
        reverse("member_change_role", args=[target.pk]), {"role": "emperor"}, follow=True
    )
    target.refresh_from_db()
    assert target.role == Role.MEMBER
    assert "Choose a role" in response.content.decode()


def test_inviting_a_bad_address_shows_the_error(client_for, owner):
    response = client_for(owner).post(
        reverse("team_invite"), {"email": "not-an-email", "role": "member"}
    )
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    assert not Invitation.objects.exists()


def test_after_a_refused_invitation_paging_and_finding_people_stay_on_the_team_page(
    client_for, organization, owner
):
    # The refused invitation is drawn at the invite URL, which only takes a POST: the
    # page's Next link and its Find form must lead back to the team page.
    MembershipFactory.create_batch(TEAM_PAGE_SIZE, organization=organization)
    client = client_for(owner)
    response = client.post(reverse("team_invite"), {"email": "not-an-email", "role": "member"})
    assert response.status_code == 400
    content = response.content.decode()
    team = reverse("team")
    assert f'<a href="{team}?page=2" rel="next">Next</a>' in content
    assert f'<form method="get" action="{team}" class="filters"' in content
    assert client.get(f"{team}?page=2").status_code == 200


def test_inviting_an_existing_member_is_refused(client_for, owner, member):
    response = client_for(owner).post(
        reverse("team_invite"), {"email": member.email.upper(), "role": "member"}
    )
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_team_page_has_a_constant_number_of_queries(
    client_for, organization, owner, django_assert_max_num_queries
):
    client = client_for(owner)
    MembershipFactory.create_batch(3, organization=organization)
    client.get(reverse("team"))  # the session's first request does extra work
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("team"))
    MembershipFactory.create_batch(40, organization=organization)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("team"))


def test_removing_a_member_needs_a_recent_password_and_then_resumes(
    client_for, organization, owner, member
):
    from tests.conftest import reauthenticate

    client = client_for(owner, recently_authenticated=False)
    target = membership_of(member, organization)
    response = client.post(reverse("member_remove", args=[target.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert Membership.objects.filter(pk=target.pk).exists()
    # Confirming the password carries out the suspended removal.
    reauthenticate(client, url=response.url)
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_the_team_is_searched_filtered_and_paged(client_for, organization, owner, member):
    MembershipFactory.create_batch(55, organization=organization)
    client = client_for(member)
    first = client.get(reverse("team"))
    assert len(first.context["members"]) == TEAM_PAGE_SIZE
    assert first.context["page"].paginator.count == 57
    found = client.get(reverse("team"), {"q": member.email.upper()})
    assert [m.user for m in found.context["members"]] == [member]
    supers = client.get(reverse("team"), {"role": Role.SUPER_ADMIN})
    assert [m.user for m in supers.context["members"]] == [owner]
    # Who the Super Admins are is said whatever the page shows.
    assert owner.email in client.get(reverse("team"), {"page": 2}).content.decode()


def test_each_members_role_picker_chooses_their_role_and_escapes_their_name(
    client_for, organization, owner
):
    shown = {}
    for full_name, role in (("Ann O'Brien", Role.ADMIN), ('<b>"Bo" & co</b>', Role.MEMBER)):
        shown[role] = MembershipFactory(
            organization=organization, role=role, user__full_name=full_name
        )
    page = client_for(owner).get(reverse("team")).content.decode()
    for role, member in shown.items():
        picker = re.search(rf'<select name="role" id="role-{member.pk}">(.*?)</select>', page, re.S)
        chosen = re.findall(r'<option value="([a-z_]+)" selected>', picker[1])
        assert chosen == [role]
        assert picker[1].count("<option ") == len(Role.values)
    assert "<b>" not in page and "&lt;b&gt;&quot;Bo&quot; &amp; co&lt;/b&gt;" in page


def test_a_new_primary_email_is_audited_and_shown_on_the_accounts_page(
    client_for, organization, owner, member, django_capture_on_commit_callbacks
):
    viewer = client_for(owner)
    assert "member@test.example" in viewer.get(reverse("team")).text
    EmailAddress.objects.create(user=member, email="mia@new.example", verified=True)
    as_member = Client()
    as_member.force_login(member)
    reauthenticate(as_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_member.post(
            reverse("account_email"), {"action_primary": "", "email": "mia@new.example"}
        )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="account.email_changed", organization=organization)
    assert (event.before, event.after) == (
        {"email": "member@test.example"},
        {"email": "mia@new.example"},
    )
    shown = viewer.get(reverse("team")).text
    assert "mia@new.example" in shown and "member@test.example" not in shown
