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
