"""Reads of the support pages, each in a fixed number of queries however many rows."""

from django.db.models import Count, Q

from support.models import Case, CaseSubscription, Quote


def case_counts(cases) -> dict[str, int]:
    """How many of `cases` are open, in progress, pending (waiting on the customer), in all;
    one query."""
    return cases.aggregate(
        open=Count("id", filter=Q(state=Case.State.OPEN)),
        in_progress=Count("id", filter=Q(state=Case.State.IN_PROGRESS)),
        pending=Count("id", filter=Q(state=Case.State.PENDING)),
        total=Count("id"),
    )


def home_counts(membership) -> dict:
    """The cases Home counts: open (or in progress) and pending, of those `membership` sees
    (plain data: Home caches it until the organization changes)."""
    counts = case_counts(Case.objects.visible_to(membership))
    return {
        "open_case_count": counts["open"] + counts["in_progress"],
        "pending_case_count": counts["pending"],
    }


def latest_cases(membership) -> list[Case]:
    """The cases Home lists: the latest open ones."""
    cases = Case.objects.visible_to(membership)
    # Ordered as the case_org_dashboard index is (finished is 0 for all of them).
    return list(cases.active().order_by("finished", "-updated_at", "-id")[:5])


def case_page(case: Case) -> dict:
    """What a case's page shows a customer: never an internal note."""
    return {
        "thread": case.messages.public().prefetch_related("attachments"),
        "items": CaseSubscription.objects.filter(case=case).select_related(
            "subscription__product", "subscription__phone_number", "requested_product"
        ),
        "quotes": Quote.objects.filter(case=case)
        .exclude(state=Quote.State.WITHDRAWN)
        .select_related("product"),
    }


def open_cancellation_case(subscription) -> Case | None:
    """The cancellation request still open for this subscription, if any."""
    item = (
        CaseSubscription.objects.filter(subscription=subscription, holds_cancellation=True)
        .select_related("case")
        .first()
    )
    return item.case if item else None
