"""What every page's layout needs: the active organization, role, and navigation."""

from django.conf import settings


def portal(request) -> dict:
    return {
        "organization": getattr(request, "organization", None),
        "membership": getattr(request, "membership", None),
        "memberships": getattr(request, "memberships", []),
        "support_email": settings.SUPPORT_EMAIL,
    }
