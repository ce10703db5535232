"""View decorators and loaders that keep every member inside their organization."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from accounts.models import Membership, Role


def membership_required(view=None, *, roles: tuple[str, ...] | None = None):
    """Signed in, a member of an organization, and (if given) holding one of `roles`.

    Someone without any organization sees a page that says so; a role the view
    does not admit gets 403.
    """

    def decorator(view_func):
        @login_required
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if request.membership is None:
                return render(request, "accounts/no_organization.html", status=403)
            if roles is not None and request.membership.role not in roles:
                raise PermissionDenied("Your role does not allow this.")
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


super_admin_required = membership_required(roles=(Role.SUPER_ADMIN,))


def get_membership_for_org(request, pk) -> Membership:
    """A membership of the active organization, or 404."""
    return get_object_or_404(
        Membership.objects.select_related("user", "organization"),
        pk=pk,
        organization=request.organization,
    )


def membership_reread(membership: Membership) -> Membership:
    """The membership as the database has it now, for services to re-check inside their
    transaction: a role changed or a member removed a moment ago counts."""
    from core.errors import ActionRefused

    current = (
        Membership.objects.select_related("organization", "user").filter(pk=membership.pk).first()
    )
    if current is None:
        raise ActionRefused("You are no longer a member of this organization.")
    return current
