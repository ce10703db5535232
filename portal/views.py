"""Home dashboard, Activity (audit log), health check, and the sections still to come."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import membership_required, super_admin_required
from accounts.models import Invitation, Membership
from core.models import AuditEvent
from core.org_cache import cached_for
from core.paging import query_without_page, uncounted_page
from portal.audit_labels import action_label
from portal.forms import ActivityFilterForm
from portal.health import health_response
from subscriptions import selectors as subscriptions
from support import selectors as support

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
        **subscriptions.home_counts(membership),
        **support.home_counts(membership),
    }


@membership_required
def home(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    context = {
        # Counting reads every row the organization has: cached until it changes
        # (core.org_cache). Admins and above count the whole organization, a Member their own.
        **cached_for(membership, "home", lambda: _home_counts(membership)),
        "ending_soon": subscriptions.ending_soon(membership, timezone.localdate()),
        "latest_cases": support.latest_cases(membership),
    }
    if membership.is_super_admin:
        context["recent_events"] = AuditEvent.objects.for_activity_page(membership.organization)[:5]
    return render(request, "portal/home.html", context)


@super_admin_required
def activity(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    form = ActivityFilterForm(request.GET or None)
    events = AuditEvent.objects.for_activity_page(organization)
    if request.GET:
        events = form.filter(events)
    # The log only grows: page it without counting it, and list its actions from an
    # index (in the order of their words, as the filter shows them).
    page = uncounted_page(events, request.GET.get("page"), ACTIVITY_PAGE_SIZE)
    actions = AuditEvent.objects.actions_for_activity_page(organization)
    return render(
        request,
        "portal/activity.html",
        {
            "form": form,
            "page": page,
            "actions": sorted(actions, key=action_label),
            "query": query_without_page(request),
            "super_admins": Membership.objects.super_admins()
            .filter(organization=organization)
            .select_related("user"),
        },
    )


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the cache answer, 503 otherwise. GET and HEAD never get
    here: `portal.health.HealthCheckMiddleware` answers them first, for any Host over HTTP."""
    return health_response()
