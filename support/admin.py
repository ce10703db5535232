"""The staff's side of support: the case queue, the thread, replies, notes, and the actions
that carry a request out (approve or decline a cancellation, send a quote).

Every change goes through `support.services`, like the customers' own: one transaction,
an audit event, and an e-mail to the customer for what they can see. Cases are never
added or deleted here: customers open them, and closed cases stay for the record.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.models import User
from core.admin import AuditedAdmin, TypedSearchAdmin
from core.errors import ActionRefused
from core.http import client_ip
from subscriptions.models import Product
from support import services
from support.attachments import allowed_summary, attachment_response
from support.forms import AttachmentsField
from support.models import (
    TRANSITIONS,
    ArticleVote,
    Attachment,
    Case,
    CaseSubscription,
    HelpArticle,
    HelpCategory,
    Message,
    Quote,
)
from support.templatetags.support_text import escaped_lines


class AgeFilter(admin.SimpleListFilter):
    """How long ago the case was opened."""

    title = "age"
    parameter_name = "age"
    BANDS = {
        "day": ("Under a day", 0, 1),
        "days": ("1 to 3 days", 1, 3),
        "week": ("3 to 7 days", 3, 7),
        "older": ("Over a week", 7, None),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _, _) in self.BANDS.items()]

    def queryset(self, request, queryset):
        band = self.BANDS.get(self.value() or "")
        if band is None:
            return queryset
        _, younger, older = band
        now = timezone.now()
        queryset = queryset.filter(created_at__lte=now - timedelta(days=younger))
        if older is not None:
            queryset = queryset.filter(created_at__gt=now - timedelta(days=older))
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    """Who handles the case: the staff, not the distinct assignees of every case."""

    title = "assigned to"
    parameter_name = "assigned_to"

    def lookups(self, request, model_admin):
        staff = User.objects.filter(is_staff=True, is_active=True).order_by("full_name", "email")
        return [("none", "Nobody"), *((str(user.pk), str(user)) for user in staff)]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(assigned_to__isnull=True)
        if self.value():
            return queryset.filter(assigned_to_id=self.value())
        return queryset


class CaseSubscriptionInline(admin.TabularInline):
    model = CaseSubscription
    extra = 0
    can_delete = False
    verbose_name = "what the customer asks"
    verbose_name_plural = "what the customer asks"
    fields = ("subscription", "action", "requested_quantity", "requested_product", "asks")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "subscription__product", "subscription__phone_number", "requested_product"
            )
        )


class QuoteInline(admin.TabularInline):
    model = Quote
    extra = 0
    can_delete = False
    fields = ("what", "price", "valid_until", "state", "sent_by", "decided_by", "decided_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "sent_by", "decided_by")


class MessageInline(admin.StackedInline):
    """The thread, oldest first; internal notes are marked."""

    model = Message
    extra = 0
    can_delete = False
    verbose_name = "message"
    verbose_name_plural = "thread"
    fields = ("written", "text", "files")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("attachments")

    @admin.display(description="written")
    def written(self, message: Message):
        who = "internal note by" if message.internal else "reply from" if message.from_staff else ""
        label = f"{who} {message.author_name}".strip()
        return format_html(
            "{} · {}", label, timezone.localtime(message.created_at).strftime("%d %b %Y %H:%M")
        )

    @admin.display(description="message")
    def text(self, message: Message):
        return escaped_lines(message.body)

    @admin.display(description="attachments")
    def files(self, message: Message):
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                (
                    (reverse("admin:support_attachment_download", args=[a.pk]), a.original_name)
                    for a in message.attachments.all()
                ),
            )
            or "—"
        )


class CaseAdminForm(forms.ModelForm):
    """State and assignee, plus a reply or internal note; the services apply all three."""

    reply = forms.CharField(
        label="Reply or note",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="A reply is e-mailed to the customer and shown on their case.",
    )
    internal = forms.BooleanField(
        label="Internal note: the customer never sees it",
        required=False,
    )
    attachments = AttachmentsField(
        label="Files for the reply or note", help_text=f"Optional: {allowed_summary()}."
    )

    class Meta:
        model = Case
        fields = ("state", "assigned_to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = User.objects.filter(
            is_staff=True, is_active=True
        ).order_by("full_name", "email")
        if self.instance.pk:
            current = self.instance.state
            allowed = {current, *TRANSITIONS[Case.State(current)]}
            self.fields["state"].choices = [
                (value, label) for value, label in Case.State.choices if value in allowed
            ]

    def clean(self):
        cleaned = super().clean()
        reply = (cleaned.get("reply") or "").strip()
        if (cleaned.get("internal") or cleaned.get("attachments")) and not reply:
            self.add_error("reply", "Write the reply or note the files go with.")
        closed = self.instance.state == Case.State.CLOSED
        if reply and closed and not cleaned.get("internal"):
            self.add_error(
                "reply",
                "This case is closed: the customer can no longer answer it. "
                "Write an internal note instead.",
            )
        return cleaned


class QuoteForm(forms.Form):
    product = forms.ModelChoiceField(
        label="Moves to",
        queryset=Product.objects.none(),
        required=False,
        empty_label="Nothing: the quote cancels it",
    )
    price = forms.DecimalField(label="Price", min_value=0, max_digits=10, decimal_places=2)
    description = forms.CharField(
        label="What the quote covers", max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    valid_until = forms.DateField(label="Valid until", widget=forms.DateInput({"type": "date"}))

    def __init__(self, *args, subscription, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = subscription.product.changeable_to.order_by("tier")

    def clean_valid_until(self):
        day = self.cleaned_data["valid_until"]
        if day < timezone.localdate():
            raise forms.ValidationError("A quote must be valid until today or later.")
        return day


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why (the customer reads this)",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@admin.register(Case)
class CaseAdmin(TypedSearchAdmin, AuditedAdmin):
    form = CaseAdminForm
    change_form_template = "admin/support/case/change_form.html"
    list_display = (
        "reference",
        "subject",
        "organization",
        "kind",
        "state",
        "assigned_to",
        "opened_by",
        "created_at",
        "updated_at",
    )
    list_display_links = ("reference", "subject")
    # An organization is searched by its account ID: as a filter, 2,000 links.
    list_filter = ("state", "kind", AssigneeFilter, AgeFilter)
    search_paths = {
        "reference": "pk",
        "account_id": "organization__account_id",
        "email": "opened_by__email",
        # PostgreSQL serves it from the trigram index (support/migrations/0004).
        "text": "subject__icontains",
    }
    search_help_text = (
        "A reference (CS-000123), an account ID (AC-123456), an e-mail or words of the subject."
    )
    list_select_related = ("organization", "assigned_to", "opened_by")
    ordering = ("-updated_at", "-id")  # the queue's index (`case_queue_recent`)
    readonly_fields = (
        "reference",
        "organization",
        "opened_by",
        "kind",
        "subject",
        "origin",
        "requester_name",
        "requester_company",
        "requester_contact",
        "created_at",
        "updated_at",
        "resolved_at",
        "closed_at",
    )
    fieldsets = (
        (None, {"fields": ("reference", "subject", "kind", "organization", "opened_by")}),
        ("Handling", {"fields": ("state", "assigned_to")}),
        ("Reply", {"fields": ("reply", "internal", "attachments")}),
        (
            "Cancellation request (A3)",
            {
                "classes": ("collapse",),
                "fields": ("requester_name", "requester_company", "requester_contact"),
            },
        ),
        (
            "Dates",
            {
                "classes": ("collapse",),
                "fields": ("origin", "created_at", "updated_at", "resolved_at", "closed_at"),
            },
        ),
    )
    inlines = (CaseSubscriptionInline, QuoteInline, MessageInline)
    actions = ("approve_cancellation", "decline_with_reason", "send_quote")

    @admin.display(description="reference", ordering="pk")
    def reference(self, case: Case) -> str:
        return case.reference

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- saving goes through the services -----------------------------------------------

    def save_model(self, request, obj, form, change):
        case = Case.objects.get(pk=obj.pk)
        ip_address = client_ip(request)
        data = form.cleaned_data
        reply = (data.get("reply") or "").strip()
        try:
            with transaction.atomic():
                if "assigned_to" in form.changed_data:
                    services.case_assign(
                        case=case,
                        staff=request.user,
                        assignee=data["assigned_to"],
                        ip_address=ip_address,
                    )
                new_state = data["state"] if "state" in form.changed_data else None
                if reply:
                    services.case_staff_reply(
                        case=case,
                        staff=request.user,
                        body=reply,
                        internal=data.get("internal", False),
                        files=data.get("attachments") or [],
                        then_state=new_state,
                        ip_address=ip_address,
                    )
                elif new_state:
                    services.case_set_state(
                        case=case, staff=request.user, state=new_state, ip_address=ip_address
                    )
        except ActionRefused as refusal:
            self.message_user(request, f"Nothing was changed: {refusal.message}", messages.ERROR)
        obj.refresh_from_db()

    # --- actions that carry the request out ---------------------------------------------

    @admin.action(description="Approve cancellation")
    def approve_cancellation(self, request, queryset):
        done, refused = services.cases_approve_cancellation(
            cases=list(queryset), staff=request.user, ip_address=client_ip(request)
        )
        if done:
            references = ", ".join(case.reference for case in done)
            self.message_user(request, f"Approved and carried out: {references}.", messages.SUCCESS)
        for case, reason in refused:
            self.message_user(request, f"{case.reference}: {reason}", messages.ERROR)

    def _one_case_page(self, request, queryset, name: str, what: str):
        if queryset.count() != 1:
            self.message_user(
                request, f"Choose exactly one case: each {what} is written for one.", messages.ERROR
            )
            return None
        return HttpResponseRedirect(reverse(f"admin:support_case_{name}", args=[queryset.get().pk]))

    @admin.action(description="Decline with reason")
    def decline_with_reason(self, request, queryset):
        return self._one_case_page(request, queryset, "decline", "reason")

    @admin.action(description="Send quote")
    def send_quote(self, request, queryset):
        return self._one_case_page(request, queryset, "quote", "quote")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", view(self.approve_view), name="support_case_approve"),
            path("<int:pk>/decline/", view(self.decline_view), name="support_case_decline"),
            path("<int:pk>/quote/", view(self.quote_view), name="support_case_quote"),
            path(
                "attachments/<int:pk>/",
                view(self.attachment_view),
                name="support_attachment_download",
            ),
            *super().get_urls(),
        ]

    def _case_or_404(self, request: HttpRequest, pk: int) -> Case:
        case = get_object_or_404(Case.objects.select_related("organization", "opened_by"), pk=pk)
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        return case

    def _back(self, case: Case) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:support_case_change", args=[case.pk]))

    def _page(self, request, case, template: str, **context) -> TemplateResponse:
        return TemplateResponse(
            request,
            f"admin/support/case/{template}.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "case": case,
                "original": case,
                "items": case.items.select_related(
                    "subscription__product", "subscription__phone_number", "requested_product"
                ),
                "title": f"{context.pop('title')}: {case.reference}",
                **context,
            },
        )

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self._case_or_404(request, pk)
        if request.method == "POST":
            try:
                services.case_approve_cancellation(
                    case=case, staff=request.user, ip_address=client_ip(request)
                )
            except ActionRefused as refusal:
                self.message_user(request, refusal.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{case.reference} is approved and carried out; the customer is e-mailed.",
                    messages.SUCCESS,
                )
            return self._back(case)
        return self._page(request, case, "approve", title="Approve cancellation")

    def decline_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self._case_or_404(request, pk)
        form = DeclineForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.case_decline(
                    case=case,
                    staff=request.user,
                    reason=form.cleaned_data["reason"],
                    ip_address=client_ip(request),
                )
            except ActionRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                self.message_user(
                    request, f"{case.reference} is declined; the customer is e-mailed."
                )
                return self._back(case)
        return self._page(request, case, "decline", title="Decline with reason", form=form)

    def quote_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self._case_or_404(request, pk)
        item = case.items.select_related("subscription__product").first()
        if item is None:
            self.message_user(request, "This case concerns no subscription.", messages.ERROR)
            return self._back(case)
        form = QuoteForm(
            request.POST or None,
            subscription=item.subscription,
            initial={
                "valid_until": timezone.localdate() + timedelta(days=14),
                "product": item.requested_product_id,
            },
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.quote_send(
                    case=case,
                    staff=request.user,
                    product=data["product"],
                    price=data["price"],
                    description=data["description"],
                    valid_until=data["valid_until"],
                    ip_address=client_ip(request),
                )
            except ActionRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                self.message_user(request, f"Quote sent on {case.reference}.")
                return self._back(case)
        return self._page(request, case, "quote", title="Send quote", form=form)

    def attachment_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        attachment = Attachment.objects.filter(pk=pk).first()
        if attachment is None:
            raise Http404("No such attachment.")
        return attachment_response(attachment)


# --- help center ----------------------------------------------------------------------------


@admin.register(HelpCategory)
class HelpCategoryAdmin(AuditedAdmin):
    list_display = ("name", "slug", "position")
    prepopulated_fields = {"slug": ("name",)}

    def audit_organization(self, obj):
        return None


@admin.register(HelpArticle)
class HelpArticleAdmin(AuditedAdmin):
    """Articles in Markdown; the tallies of "Was this article helpful?" beside each."""

    list_display = ("title", "category", "is_published", "helpful", "not_helpful", "updated_at")
    list_filter = ("category", "is_published")
    search_fields = ("title", "summary", "body", "slug")
    prepopulated_fields = {"slug": ("title",)}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("category")
            .annotate(
                yes=Count("votes", filter=Q(votes__helpful=True)),
                no=Count("votes", filter=Q(votes__helpful=False)),
            )
        )

    def get_urls(self):
        report = path(
            "report/", self.admin_site.admin_view(self.report_view), name="support_help_report"
        )
        return [report, *super().get_urls()]

    def report_view(self, request: HttpRequest) -> HttpResponse:
        """Cancellations started, reasons, fixes taken instead (by product and month), and the
        articles customers open cases from."""
        from django.db.models.functions import TruncMonth

        from subscriptions.models import CancellationFeedback

        feedback = CancellationFeedback.objects.annotate(month=TruncMonth("created_at"))
        by_month = (
            feedback.values("month", "subscription__product__kind")
            .annotate(
                started=Count("id"),
                deflected=Count("id", filter=~Q(fix_taken="")),
            )
            .order_by("-month", "subscription__product__kind")
        )
        kinds = dict(Product.Kind.choices)
        reasons = dict(CancellationFeedback.Reason.choices)
        context = {
            **self.admin_site.each_context(request),
            "title": "Cancellations and help report",
            "by_month": [
                {
                    **row,
                    "kind": kinds.get(row["subscription__product__kind"], ""),
                    "cancelled": row["started"] - row["deflected"],
                }
                for row in by_month
            ],
            "reasons": [
                {**row, "label": reasons.get(row["reason"], row["reason"])}
                for row in feedback.exclude(reason="")
                .values("reason")
                .annotate(count=Count("id"))
                .order_by("-count")
            ],
            "fixes": feedback.exclude(fix_taken="")
            .values("fix_taken")
            .annotate(count=Count("id"))
            .order_by("-count"),
            "articles": Case.objects.filter(origin__startswith="/help/")
            .values("origin")
            .annotate(count=Count("id"))
            .order_by("-count")[:20],
        }
        return TemplateResponse(request, "admin/support/help_report.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "report_url": "report/"}
        return super().changelist_view(request, extra_context)

    @admin.display(description="helpful", ordering="yes")
    def helpful(self, obj):
        return obj.yes

    @admin.display(description="not helpful", ordering="no")
    def not_helpful(self, obj):
        return obj.no

    def audit_organization(self, obj):
        return None


@admin.register(ArticleVote)
class ArticleVoteAdmin(admin.ModelAdmin):
    """Members' answers and comments; read-only, they are the members' words."""

    list_display = ("article", "helpful", "comment", "updated_at")
    list_filter = ("helpful", "article__category")
    search_fields = ("article__title", "comment")
    list_select_related = ("article",)
    readonly_fields = ("article", "user", "helpful", "comment", "created_at", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
