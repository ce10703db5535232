"""Resolves the signed-in user's active organization and role on every request."""

from accounts.models import Membership

SESSION_KEY = "active_organization_id"


class ActiveMembershipMiddleware:
    """Sets request.memberships, request.membership and request.organization.

    They are read afresh on every request (one query), so a changed role or a
    removal takes effect on the member's very next request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memberships = []
        request.membership = None
        request.organization = None
        if request.user.is_authenticated:
            request.memberships = list(
                Membership.objects.filter(user=request.user)
                .select_related("organization", "organization__account_manager")
                .order_by("organization__name")
            )
            wanted = request.session.get(SESSION_KEY)
            active = next(
                (m for m in request.memberships if m.organization_id == wanted),
                request.memberships[0] if request.memberships else None,
            )
            request.membership = active
            request.organization = active.organization if active else None
        return self.get_response(request)


class RequireMfaMiddleware:
    """Staff (who see every organization), and Super Admins and Admins where their
    organization requires it, are sent to set up two-factor authentication before they
    can do anything else, in admin as on the portal's pages."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed: tuple[str, ...] = ()

    @property
    def allowed_prefixes(self) -> tuple[str, ...]:
        """What such a user may still reach: setting MFA up, signing out, health, assets."""
        if not self._allowed:
            from django.conf import settings
            from django.urls import reverse

            self._allowed = (
                reverse("mfa_index"),
                reverse("account_logout"),
                reverse("account_reauthenticate"),
                reverse("healthz"),
                "/" + settings.STATIC_URL.lstrip("/"),
            )
        return self._allowed

    @staticmethod
    def why_mfa_is_required(request) -> str | None:
        """Why this user must use two-factor authentication, in their words, or None."""
        if request.user.is_authenticated and request.user.is_staff:
            return (
                "Staff accounts must use two-factor authentication: staff see every "
                "organization. Set it up to continue."
            )
        membership = request.membership
        if (
            membership is not None
            and membership.organization.require_mfa
            and membership.is_admin_or_above
        ):
            return (
                f"{membership.organization.name} requires two-factor authentication for "
                "Super Admins and Admins. Set it up to continue."
            )
        return None

    def __call__(self, request):
        if not request.path.startswith(self.allowed_prefixes) and (
            reason := self.why_mfa_is_required(request)
        ):
            from allauth.mfa.utils import is_mfa_enabled

            if not is_mfa_enabled(request.user):
                from django.contrib import messages
                from django.shortcuts import redirect

                messages.warning(request, reason)
                return redirect("mfa_index")
        return self.get_response(request)
