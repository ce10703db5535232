"""Support cases: what was asked, about which subscriptions, the thread, attachments, quotes.

A `Case` belongs to one organization and was opened by one of its members. It
concerns zero or more subscriptions (`CaseSubscription`, which also records what was
asked of each: cancel, keep N licenses, change to a plan), moves between the states
of `Case.State` along `TRANSITIONS` only, and carries a thread of `Message`s. Staff
write internal notes in the same thread; `Message.objects.public()` is all a
customer ever sees. Files hang off messages (`Attachment`) and live outside the web
root (`settings.ATTACHMENTS_DIR`). Quote cases (A12) carry the `Quote`s staff send.

Public names: `Case` (+ `Case.Kind`, `Case.State`), `CaseSubscription`, `Message`,
`Attachment`, `Quote` (+ `Quote.State`), `ACTIVE_STATES`, `TRANSITIONS`,
`REOPEN_DAYS`, `parse_reference`.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role
from support.attachments import attachment_path, attachment_storage

REFERENCE_PATTERN = re.compile(r"^\s*(?:CS-?)?0*(\d{1,12})\s*$", re.IGNORECASE)
# A resolved case is reopened by a reply for this many days; after that, a new case.
REOPEN_DAYS = 14


def parse_reference(text: str) -> int | None:
    """The case number in "CS-000123", "cs123" or "123"; None when it is not one."""
    match = REFERENCE_PATTERN.match(text or "")
    return int(match.group(1)) if match else None


class CaseKind(models.TextChoices):
    CANCELLATION = "cancellation", "Cancellation request"
    CHANGE = "change", "Change or quote request"
    GENERAL = "general", "General question"


class CaseState(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"  # waiting on the customer
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


ACTIVE_STATES = (CaseState.OPEN, CaseState.PENDING, CaseState.IN_PROGRESS)
# The only moves a case makes. Closed is final; resolved reopens (a reply in REOPEN_DAYS).
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseState.OPEN: frozenset(
        {CaseState.IN_PROGRESS, CaseState.PENDING, CaseState.RESOLVED, CaseState.CLOSED}
    ),
    CaseState.IN_PROGRESS: frozenset({CaseState.PENDING, CaseState.RESOLVED, CaseState.CLOSED}),
    CaseState.PENDING: frozenset(
        {CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.RESOLVED, CaseState.CLOSED}
    ),
    CaseState.RESOLVED: frozenset({CaseState.OPEN, CaseState.CLOSED}),
    CaseState.CLOSED: frozenset(),
}
# What the customer reads for each state.
STATE_HINTS = {
    CaseState.OPEN: "Waiting for our team",
    CaseState.PENDING: "Waiting on you",
    CaseState.IN_PROGRESS: "Our team is on it",
    CaseState.RESOLVED: f"Done; a reply within {REOPEN_DAYS} days reopens it",
    CaseState.CLOSED: "Closed for good",
}


class CaseQuerySet(models.QuerySet):
    def visible_to(self, membership) -> "CaseQuerySet":
        """Admins and Super Admins see their organization's cases; Members their own."""
        cases = self.filter(organization_id=membership.organization_id)
        if membership.role in (Role.ADMIN, Role.SUPER_ADMIN):
            return cases
        return cases.filter(opened_by_id=membership.user_id)

    def active(self) -> "CaseQuerySet":
        # finished=0 is state in ACTIVE_STATES, stored: the case_org_dashboard index serves it.
        return self.filter(finished=0)

    def by_reference(self, text: str) -> "CaseQuerySet":
        number = parse_reference(text)
        return self.filter(pk=number) if number is not None else self.none()

    def for_dashboard(self) -> "CaseQuerySet":
        """Open, pending and in-progress cases first, each group newest activity first
        (served in that order by the `case_org_dashboard` index)."""
        return self.select_related("opened_by", "assigned_to").order_by(
            "finished", "-updated_at", "-id"
        )


def case_reference(case_id: int | None) -> str:
    """A case's reference from its id alone: what belongs to a case names it without
    loading it (one query per message on a thread of hundreds, otherwise)."""
    return f"CS-{case_id:06d}" if case_id else "CS-new"


class Case(models.Model):
    Kind = CaseKind
    State = CaseState

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="cases"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="opened_cases",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.GENERAL)
    subject = models.CharField(max_length=200)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        limit_choices_to={"is_staff": True},
        help_text="The staff member who handles it.",
    )
    subscriptions = models.ManyToManyField(
        "subscriptions.Subscription", through="CaseSubscription", related_name="cases"
    )
    # Where the customer was when they asked (the page's path), for general cases.
    origin = models.CharField("opened from", max_length=200, blank=True)
    # Rule A3: who asks, for which company, and how to reach them.
    requester_name = models.CharField("full name", max_length=150, blank=True)
    requester_company = models.CharField("company name or account ID", max_length=200, blank=True)
    requester_contact = models.CharField("contact information", max_length=254, blank=True)
    # The form's one-time key: a second submit of the same form finds this case.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # 0 while the case is active, 1 once resolved or closed: stored, so that the Support
    # page's order (active first, newest activity first) is an index range.
    finished = models.GeneratedField(
        expression=models.Case(
            models.When(state__in=ACTIVE_STATES, then=models.Value(0)),
            default=models.Value(1),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "state"], name="case_org_state"),
            models.Index(fields=["state", "created_at"], name="case_state_age"),
            models.Index(
                fields=["organization", "finished", "-updated_at", "-id"], name="case_org_dashboard"
            ),
            # Staff's queue: every organization's cases, latest activity first.
            models.Index(fields=["-updated_at", "-id"], name="case_queue_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CaseKind.values), name="case_kind_valid"),
            models.CheckConstraint(
                condition=Q(state__in=CaseState.values), name="case_state_valid"
            ),
            # A3: a cancellation request always says who asks, for whom, and how to reach them.
            models.CheckConstraint(
                condition=~Q(kind="cancellation")
                | (~Q(requester_name="") & ~Q(requester_company="") & ~Q(requester_contact="")),
                name="case_cancellation_has_requester",
            ),
            models.CheckConstraint(
                condition=~Q(state="resolved") | Q(resolved_at__isnull=False),
                name="case_resolved_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | Q(closed_at__isnull=False),
                name="case_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return case_reference(self.pk)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def state_hint(self) -> str:
        return STATE_HINTS[CaseState(self.state)]

    def reopen_until(self):
        """The moment after which a reply no longer reopens this resolved case."""
        if self.state != CaseState.RESOLVED or self.resolved_at is None:
            return None
        return self.resolved_at + timedelta(days=REOPEN_DAYS)

    def accepts_replies(self, now=None) -> bool:
        if self.is_active:
            return True
        until = self.reopen_until()
        return until is not None and (now or timezone.now()) <= until

    def can_move_to(self, state: str) -> bool:
        return state in TRANSITIONS[CaseState(self.state)]


class CaseSubscription(models.Model):
    """One subscription a case concerns, and what the customer asked of it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="items")
    subscription = models.ForeignKey(
        "subscriptions.Subscription", on_delete=models.PROTECT, related_name="case_items"
    )
    # A subscriptions.policy.Action value: cancel, delete, change_plan, change_quantity, ...
    action = models.CharField(max_length=24)
    requested_quantity = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Cancellations: how many to keep (0 cancels all). Changes: how many to hold.",
    )
    requested_product = models.ForeignKey(
        "subscriptions.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The plan asked for.",
    )
    # True while the case is an open cancellation request for this subscription: the
    # unique constraint below holds every subscription to one at a time.
    holds_cancellation = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "subscription"], name="case_subscription_once_per_case"
            ),
            models.UniqueConstraint(
                fields=["subscription"],
                condition=Q(holds_cancellation=True),
                name="case_one_open_cancellation_per_subscription",
            ),
        ]

    def __str__(self) -> str:
        return f"{case_reference(self.case_id)}: {self.action} {self.subscription}"

    @property
    def asks(self) -> str:
        """What was asked, in words."""
        name = str(self.subscription)
        if self.action in ("cancel", "delete"):
            if self.requested_quantity:
                return f"Keep {self.requested_quantity} of {self.subscription.quantity} {name}"
            return f"Cancel {name}"
        if self.action == "change_plan":
            if self.requested_product_id:
                return f"Change {name} to {self.requested_product.name}"
            return f"Change the plan of {name}"
        if self.action == "change_quantity" and self.requested_quantity:
            return f"Hold {self.requested_quantity} of {name}"
        if self.action == "change_number":
            return f"A new number for {name}"
        return name


class MessageQuerySet(models.QuerySet):
    def public(self) -> "MessageQuerySet":
        """What the customer sees: everything but staff's internal notes."""
        return self.filter(internal=False)


class Message(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Kept as text too, so the thread still says who wrote after the user is deleted.
    author_name = models.CharField(max_length=150, blank=True)
    from_staff = models.BooleanField(default=False)
    internal = models.BooleanField(
        "internal note", default=False, help_text="Staff only; the customer never sees it."
    )
    body = models.TextField(max_length=10_000)
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="message_case_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(internal=False) | Q(from_staff=True),
                name="message_internal_only_from_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{case_reference(self.case_id)} message {self.pk}"


class Attachment(models.Model):
    """A file on a message, stored under a random name outside the web root."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=attachment_storage, upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class QuoteState(models.TextChoices):
    SENT = "sent", "Waiting for your answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Replaced by a newer quote"


class Quote(models.Model):
    """A custom quote from the account manager (A12), accepted or declined in the portal."""

    State = QuoteState

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="quotes")
    product = models.ForeignKey(
        "subscriptions.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The plan the subscription moves to when accepted; empty: it is cancelled.",
    )
    description = models.TextField(max_length=4000)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    valid_until = models.DateField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.SENT)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="quote_price_not_negative"),
            models.CheckConstraint(
                condition=Q(state__in=QuoteState.values), name="quote_state_valid"
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(state="sent"), name="quote_one_waiting_per_case"
            ),
        ]

    def __str__(self) -> str:
        return f"Quote {self.pk} on {case_reference(self.case_id)}"

    @property
    def what(self) -> str:
        return f"Change to {self.product.name}" if self.product_id else "Cancellation"

    def is_expired(self, today=None) -> bool:
        return self.valid_until < (today or timezone.localdate())


# --- help center ----------------------------------------------------------------------------


class HelpCategory(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "help categories"

    def __str__(self) -> str:
        return self.name


class HelpArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def search(self, query: str):
        """Articles sharing any word (or its beginning) with `query`, best matches first:
        a customer's sentence ("how do I block spam calls?") finds "Blocking spam callers".
        PostgreSQL ranks with full-text search; SQLite counts matching words."""
        from django.db import connection

        words = search_words(query)
        if not words:
            return self.none()
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

            vector = (
                SearchVector("title", weight="A", config="english")
                + SearchVector("summary", weight="B", config="english")
                + SearchVector("body", weight="C", config="english")
            )
            # Words are letters and digits only, so the raw query cannot be malformed.
            search = SearchQuery(
                " | ".join(f"{word}:*" for word in words), config="english", search_type="raw"
            )
            # alias, not annotate: the document is matched and ranked, never sent back.
            return (
                self.alias(document=vector)
                .filter(document=search)
                .annotate(rank=SearchRank(vector, search))
                .order_by("-rank", "title")
            )
        score = models.Value(0)
        matches = models.Q()
        for word in words:
            stem = word[:5] if len(word) > 5 else word.rstrip("s")
            in_title = models.Q(title__icontains=stem)
            anywhere = in_title | models.Q(summary__icontains=stem) | models.Q(body__icontains=stem)
            matches |= anywhere
            score = score + models.Case(
                models.When(in_title, then=3), models.When(anywhere, then=1), default=0
            )
        return self.filter(matches).annotate(score=score).order_by("-score", "title")


# Words too common to tell articles apart.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "my",
        "of",
        "on",
        "or",
        "the",
        "to",
        "what",
        "when",
        "where",
        "why",
        "with",
        "you",
        "your",
        "me",
        "we",
        "our",
        "this",
        "that",
    ]
)


def search_words(query: str) -> list[str]:
    """The words of a search worth matching: letters and digits, no stop words, at most 10."""
    import re

    words = [word.lower() for word in re.findall(r"[^\W_]+", query)]
    return [word for word in words if word not in STOP_WORDS and len(word) > 1][:10]


class HelpArticle(models.Model):
    """A help article, written by staff in Markdown (rendered through an allow-list)."""

    category = models.ForeignKey(HelpCategory, on_delete=models.PROTECT, related_name="articles")
    title = models.CharField(max_length=200)
    # The slugs of subscriptions.policy.HelpTopic name the articles the engine's reasons link to.
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.CharField(max_length=300)
    body = models.TextField(
        help_text="Markdown. Raw HTML is shown as text; links: http, https, mailto."
    )
    is_published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HelpArticleQuerySet.as_manager()

    class Meta:
        ordering = ["category__position", "title"]

    def __str__(self) -> str:
        return self.title


class ArticleVote(models.Model):
    """ "Was this article helpful?": one vote per member per article, which they can change."""

    article = models.ForeignKey(HelpArticle, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    comment = models.TextField(blank=True, max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="article_vote_once_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.article}: {'helpful' if self.helpful else 'not helpful'}"
