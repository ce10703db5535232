"""Team changes: invitations, roles, removals; each in one transaction with its audit event."""

from allauth.account.models import EmailAddress
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Organization, Role, User
from core.audit import AuditAction, audit_record
from core.emails import email_send_on_commit
from core.errors import ActionRefused
from core.org_cache import organization_changed


def _lock_organization(organization: Organization) -> Organization:
    # Every team change locks the organization row first, so concurrent changes
    # (two Super Admins demoting each other) run one after the other.
    return Organization.objects.select_for_update().get(pk=organization.pk)


def _require_super_admin(*, organization: Organization, actor: User) -> Membership:
    """Re-read the actor's role under the lock: a role changed a moment ago counts."""
    membership = Membership.objects.filter(organization=organization, user=actor).first()
    if membership is None or membership.role != Role.SUPER_ADMIN:
        raise ActionRefused("Only Super Admins can manage the team.")
    return membership


def _refuse_losing_last_super_admin(*, membership: Membership, new_role: str | None) -> None:
    if membership.role != Role.SUPER_ADMIN or new_role == Role.SUPER_ADMIN:
        return
    others = (
        Membership.objects.super_admins()
        .filter(organization_id=membership.organization_id)
        .exclude(pk=membership.pk)
        .count()
    )
    if others == 0:
        raise ActionRefused(
            f"{membership.user.display_name} is the last Super Admin: make someone else "
            "Super Admin first. An organization always keeps at least one."
        )


def _reload_membership(membership: Membership) -> Membership:
    current = Membership.objects.select_related("user").filter(pk=membership.pk).first()
    if current is None:
        raise ActionRefused("This person is no longer a member of the organization.")
    return current


@transaction.atomic
def invitation_create(
    *, organization: Organization, invited_by: User, email: str, role: str, ip_address=None
) -> Invitation:
    organization = _lock_organization(organization)
    _require_super_admin(organization=organization, actor=invited_by)
    email = email.strip().lower()
    if role not in Role.values:
        raise ActionRefused("Choose a role: Super Admin, Admin or Member.")
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ActionRefused(f"{email} is already a member of {organization.name}.")
    # Inviting the same address again replaces the earlier invitation.
    now = timezone.now()
    Invitation.objects.pending().filter(organization=organization, email__iexact=email).update(
        revoked_at=now
    )
    invitation = Invitation.objects.create(
        organization=organization, email=email, role=role, invited_by=invited_by
    )
    organization_changed(organization)
    audit_record(
        action=AuditAction.TEAM_INVITED,
        organization=organization,
        actor=invited_by,
        target=invitation,
        after={"email": email, "role": role},
        ip_address=ip_address,
    )
    email_send_on_commit(
        template="invitation",
        to=[email],
        context={
            "organization": organization,
            "invited_by": invited_by,
            "role": Role(role).label,
            "path": reverse("invitation_accept", args=[invitation.token]),
            "expires_at": invitation.expires_at,
        },
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User, ip_address=None) -> None:
    _lock_organization(invitation.organization)
    _require_super_admin(organization=invitation.organization, actor=actor)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise ActionRefused("This invitation is no longer pending.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    organization_changed(invitation.organization)
    audit_record(
        action=AuditAction.TEAM_INVITATION_REVOKED,
        organization=invitation.organization,
        actor=actor,
        target=invitation,
        before={"email": invitation.email},
        ip_address=ip_address,
    )


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    user: User | None = None,
    full_name: str = "",
    password: str = "",
    ip_address=None,
) -> Membership:
    """Join the organization: as the signed-in `user`, or as a new account made here."""
    invitation = (
        Invitation.objects.select_for_update().select_related("organization").get(pk=invitation.pk)
    )
    if not invitation.is_usable:
        raise ActionRefused(
            "This invitation has expired or was already used. Ask your Super Admin for a new one."
        )
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ActionRefused("An account with this e-mail exists: sign in to accept.")
        user = User.objects.create_user(
            email=invitation.email, password=password, full_name=full_name.strip()
        )
    elif user.email.lower() != invitation.email.lower():
        raise ActionRefused(
            f"This invitation is for {invitation.email}; you are signed in as {user.email}."
        )
    # The link reached this address, so the address is proven.
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    membership, created = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    organization_changed(invitation.organization)
    audit_record(
        action=AuditAction.TEAM_JOINED,
        organization=invitation.organization,
        actor=user,
        target=membership,
        after={"email": user.email, "role": membership.role, "new_member": created},
        ip_address=ip_address,
    )
    return membership


@transaction.atomic
def membership_change_role(
    *, membership: Membership, role: str, actor: User, ip_address=None
) -> Membership:
    """A Super Admin changes a member's role on the team page."""
    organization = _lock_organization(membership.organization)
    _require_super_admin(organization=organization, actor=actor)
    return _change_role(
        organization=organization,
        membership=membership,
        role=role,
        actor=actor,
        ip_address=ip_address,
    )


@transaction.atomic
def membership_change_role_by_staff(
    *, membership: Membership, role: str, staff: User, ip_address=None
) -> Membership:
    """Staff change a member's role in the Membership admin: the same rules, event and
    e-mail as a Super Admin's change."""
    organization = _lock_organization(membership.organization)
    if not (staff.is_active and staff.is_staff and staff.has_perm("accounts.change_membership")):
        raise ActionRefused("Only staff who may change memberships can change a role here.")
    return _change_role(
        organization=organization,
        membership=membership,
        role=role,
        actor=staff,
        ip_address=ip_address,
    )


def _change_role(
    *, organization: Organization, membership: Membership, role: str, actor: User, ip_address
) -> Membership:
    """Under the organization's lock: the role changes, is recorded and the member told."""
    if role not in Role.values:
        raise ActionRefused("Choose a role: Super Admin, Admin or Member.")
    membership = _reload_membership(membership)
    if membership.role == role:
        return membership
    _refuse_losing_last_super_admin(membership=membership, new_role=role)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    organization_changed(organization)
    audit_record(
        action=AuditAction.TEAM_ROLE_CHANGED,
        organization=organization,
        actor=actor,
        target=membership,
        before={"role": before},
        after={"role": role},
        ip_address=ip_address,
    )
    email_send_on_commit(
        template="role-changed",
        to=[membership.user.email],
        context={
            "organization": organization,
            "member": membership.user,
            "role": membership.get_role_display(),
            "actor": actor,
        },
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User, ip_address=None) -> None:
    organization = _lock_organization(membership.organization)
    _require_super_admin(organization=organization, actor=actor)
    membership = _reload_membership(membership)
    _refuse_losing_last_super_admin(membership=membership, new_role=None)
    removed = membership.user
    audit_record(
        action=AuditAction.TEAM_REMOVED,
        organization=organization,
        actor=actor,
        target=membership,
        before={"email": removed.email, "role": membership.role},
        ip_address=ip_address,
    )
    membership.delete()
    organization_changed(organization)
    email_send_on_commit(
        template="member-removed",
        to=[removed.email],
        context={"organization": organization, "member": removed, "actor": actor},
    )


@transaction.atomic
def organization_set_require_mfa(
    *, organization: Organization, actor: User, on: bool, ip_address=None
) -> Organization:
    """Company Settings: Super Admins and Admins must use two-factor authentication."""
    organization = _lock_organization(organization)
    _require_super_admin(organization=organization, actor=actor)
    if organization.require_mfa == on:
        return organization
    organization.require_mfa = on
    organization.save(update_fields=["require_mfa"])
    audit_record(
        action=AuditAction.REQUIRE_MFA_CHANGED,
        organization=organization,
        actor=actor,
        target=organization,
        before={"require_mfa": not on},
        after={"require_mfa": on},
        ip_address=ip_address,
    )
    email_send_on_commit(
        template="require-mfa-changed",
        to=list(
            Membership.objects.filter(
                organization=organization, role__in=[Role.SUPER_ADMIN, Role.ADMIN]
            ).values_list("user__email", flat=True)
        ),
        context={"organization": organization, "actor": actor, "on": on},
    )
    return organization


@transaction.atomic
def user_email_changed(*, user: User, before: str, after: str, ip_address=None) -> None:
    """Record a new primary e-mail address (changed on allauth's e-mail page) in the audit
    log of each organization the user belongs to (whose cached values may name them:
    the Super Admins a refusal names)."""
    for membership in user.memberships.select_related("organization"):
        organization_changed(membership.organization)
        audit_record(
            action=AuditAction.ACCOUNT_EMAIL_CHANGED,
            organization=membership.organization,
            actor=user,
            target=user,
            before={"email": before} if before else {},
            after={"email": after},
            ip_address=ip_address,
        )
