"""Home dashboard, Activity (audit log), health check, and the sections still to come."""

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import membership_required, super_admin_required
from accounts.models import Invitation, Membership
from portal import org_cache
from portal.audit_labels import action_label
from portal.forms import ActivityFilterForm
from portal.models import AuditEvent
from portal.org_cache import Topic
from portal.paging import query_without_page, uncounted_page
from subscriptions.views import home_context as subscriptions_home_context
from subscriptions.views import home_counts as subscriptions_home_counts
from support.selectors import home_context as support_home_context
from support.selectors import home_counts as support_home_counts

ACTIVITY_PAGE_SIZE = 50


def _home_counts(membership: Membership) -> dict:
    organization = membership.organization
    return {
        "member_count": Membership.objects.filter(organization=organization).count(),
        "pending_invitations": (
            Invitation.objects.usable().filter(organization=organization).count()
            if membership.is_super_admin
            else None
        ),
        **subscriptions_home_counts(membership),
        **support_home_counts(membership),
    }


@membership_required
def home(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    organization = membership.organization

    def dashboard() -> dict:
        # Counting reads every row the organization has: the counts are kept until what
        # they count changes (portal.org_cache), even when the page's other parts (the
        # latest events, say) change. Admins and above count the whole organization, a
        # Member their own.
        context = {
            **org_cache.kept_for(
                membership,
                "home",
                lambda: _home_counts(membership),
                depends_on=(Topic.PEOPLE, Topic.HOLDINGS, Topic.CASES),
            ),
            **subscriptions_home_context(request),
            **support_home_context(request),
        }
        if membership.is_super_admin:
            context["recent_events"] = AuditEvent.objects.for_activity_page(organization)[:5]
        return context

    part = org_cache.kept_part(request, "home", "portal/home.html#home", dashboard)
    return render(request, "portal/home.html", {"home": part})


@super_admin_required
def activity(request: HttpRequest) -> HttpResponse:
    organization = request.organization

    def log() -> dict:
        form = ActivityFilterForm(request.GET or None)
        events = AuditEvent.objects.for_activity_page(organization)
        if request.GET:
            events = form.filter(events)
        # The log only grows: page it without counting it, and list its actions from an
        # index (in the order of their words, as the filter shows them).
        page = uncounted_page(events, request.GET.get("page"), ACTIVITY_PAGE_SIZE)
        actions = AuditEvent.objects.actions_for_activity_page(organization)
        return {
            "form": form,
            "page": page,
            "actions": sorted(actions, key=action_label),
            "query": query_without_page(request),
            "super_admins": Membership.objects.super_admins()
            .filter(organization=organization)
            .select_related("user"),
        }

    # Every change writes an event: the page stands until the next one.
    part = org_cache.kept_part(request, "activity", "portal/activity.html#activity", log)
    return render(request, "portal/activity.html", {"activity": part})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the cache answer, 503 otherwise."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception:  # any failure of the database means unhealthy
        checks["database"] = "unavailable"
    try:
        cache.set("healthz", "ok", 10)
        checks["cache"] = "ok" if cache.get("healthz") == "ok" else "unavailable"
    except Exception:  # any failure of the cache means unhealthy
        checks["cache"] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
