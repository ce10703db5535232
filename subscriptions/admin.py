"""Staff edit the catalog and its policies, and every organization's subscriptions, here.

Each save and delete is recorded in the audit log (`core.admin.AuditedAdmin`);
so are changes made in the phone number and blocked number inlines.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils import timezone

from core.admin import AuditedAdmin, TypedSearchAdmin, audit_inline, audit_inline_deletions
from subscriptions.models import (
    BlockedNumber,
    CancellationFeedback,
    PhoneNumber,
    Product,
    SpareNumber,
    Subscription,
)
from subscriptions.selectors import spare_number_stock
from subscriptions.services import phone_number_follow_subscription, phone_number_save


class ProductAdminForm(forms.ModelForm):
    """The Product form (ProductAdmin supplies model and fields) with the tier check."""

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        options = cleaned.get("changeable_to") or []
        # A many-to-many cannot carry a database constraint, so the form keeps tiers in kind.
        wrong = [option.name for option in options if option.kind != kind]
        if wrong:
            self.add_error(
                "changeable_to",
                f"A plan changes only to plans of the same kind; remove: {', '.join(wrong)}.",
            )
        if self.instance.pk and any(option.pk == self.instance.pk for option in options):
            self.add_error("changeable_to", "A plan cannot change to itself.")
        return cleaned


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    form = ProductAdminForm
    list_display = (
        "name",
        "kind",
        "tier",
        "price",
        "billing_period",
        "is_active",
        "cancel_channel",
        "cancel_min_role",
    )
    list_filter = ("kind", "is_active", "cancel_channel", "change_channel")
    search_fields = ("name",)
    filter_horizontal = ("changeable_to",)
    fieldsets = (
        (None, {"fields": ("name", "kind", "addon_code", "tier", "price", "billing_period")}),
        ("Sales", {"fields": ("is_active",)}),
        (
            "Policy",
            {
                "description": "How the portal lets customers cancel and change this "
                "product. Changes apply at once, without a deploy.",
                "fields": (
                    "cancel_channel",
                    "change_channel",
                    "cancel_min_role",
                    "manage_min_role",
                    "minimum_quantity",
                    "cancellation_fee",
                    "cancel_irreversible",
                    "reactivation_hold_days",
                    "changeable_to",
                ),
            },
        ),
    )

    def audit_organization(self, obj):
        return None  # the catalog belongs to no organization


class BlockedNumberInline(admin.TabularInline):
    model = BlockedNumber
    extra = 0


@admin.register(PhoneNumber)
class PhoneNumberAdmin(TypedSearchAdmin, AuditedAdmin):
    list_display = ("e164", "country", "number_type", "inbound_recording", "calling_mode")
    # No country filter: its choices would be a scan of every number for its countries.
    list_filter = ("number_type", "inbound_recording", "calling_mode")
    search_paths = {"account_id": "organization__account_id", "number": "e164"}
    search_help_text = "The first digits of a number (+1 415 555) or an account ID (AC-123456)."
    raw_id_fields = ("subscription",)
    inlines = [BlockedNumberInline]

    def audit_organization(self, obj):
        return obj.subscription.organization

    def save_object(self, obj):
        phone_number_save(number=obj)

    def save_formset(self, request, form, formset, change):
        organization = form.instance.subscription.organization
        audit_inline_deletions(request, formset, organization=organization)
        super().save_formset(request, form, formset, change)
        audit_inline(request, formset, organization=organization)


class PhoneNumberInline(admin.StackedInline):
    model = PhoneNumber
    extra = 0
    max_num = 1
    can_delete = False


class AddonInline(admin.TabularInline):
    model = Subscription
    fk_name = "parent"
    verbose_name = "add-on"
    verbose_name_plural = "add-ons"
    extra = 0
    fields = ("product", "state", "term_start", "term_end", "cancelled_at")
    raw_id_fields = ("product",)
    show_change_link = True


@admin.register(Subscription)
class SubscriptionAdmin(TypedSearchAdmin, AuditedAdmin):
    list_display = (
        "__str__",
        "organization",
        "state",
        "quantity",
        "term_end",
        "purchase_channel",
        "assigned_to",
    )
    # The term's end is a filter on its index, not a date hierarchy (a sort of every row).
    list_filter = (
        "state",
        "product__kind",
        "purchase_channel",
        "is_initial_ucaas_trunk",
        "term_end",
    )
    search_paths = {"account_id": "organization__account_id", "number": "phone_number__e164"}
    search_help_text = "An account ID (AC-123456) or the first digits of a number (+1 415 555)."
    list_select_related = ("organization", "product", "phone_number", "assigned_to")
    autocomplete_fields = ("organization", "product", "assigned_to", "scheduled_product")
    raw_id_fields = ("parent",)
    readonly_fields = ("created_at",)
    inlines = [PhoneNumberInline, AddonInline]

    def get_inlines(self, request, obj):
        # Only a line has add-ons (I6): other subscriptions show no add-ons to add.
        if obj is not None and obj.product.kind != Product.Kind.LINE:
            return [PhoneNumberInline]
        return self.inlines

    fieldsets = (
        (None, {"fields": ("organization", "product", "label", "state", "quantity")}),
        ("Term", {"fields": ("term_start", "term_end", "usage_credits", "scheduled_product")}),
        (
            "Ownership",
            {"fields": ("purchase_channel", "assigned_to", "parent", "is_initial_ucaas_trunk")},
        ),
        ("Cancellation", {"fields": ("cancelled_at", "cancelled_by_cancel_line", "created_at")}),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "organization" in form.changed_data:
            phone_number_follow_subscription(subscription=obj)  # moved: its number follows

    def save_formset(self, request, form, formset, change):
        audit_inline_deletions(request, formset, organization=form.instance.organization)
        if formset.model is PhoneNumber:  # the number it is given (never deleted here)
            for number in formset.save(commit=False):
                phone_number_save(number=number)
        else:
            super().save_formset(request, form, formset, change)
        audit_inline(request, formset, organization=form.instance.organization)


@admin.register(SpareNumber)
class SpareNumberAdmin(TypedSearchAdmin, AuditedAdmin):
    """The provider's free numbers, from which lines pick a new one (Change number)."""

    list_display = ("e164", "country", "number_type", "available_from")
    list_filter = ("country", "number_type")
    search_paths = {"number": "e164"}
    search_help_text = "The first digits of a number (+1 415 555)."

    def changelist_view(self, request, extra_context=None):
        """Above the list: the stock of each country, with a warning for those running low
        (fewer free than `SPARE_NUMBERS_LOW_BELOW`)."""
        low_below = settings.SPARE_NUMBERS_LOW_BELOW
        stock = spare_number_stock(today=timezone.localdate(), low_below=low_below)
        low = [level for level in stock if level.low]
        if low and request.method == "GET":
            messages.warning(
                request,
                f"Fewer than {low_below} free numbers in "
                + ", ".join(f"{level.country} ({level.free} free)" for level in low)
                + ": customers there may soon find no number to change to.",
            )
        extra_context = {**(extra_context or {}), "stock": stock, "low_below": low_below}
        return super().changelist_view(request, extra_context)

    def audit_organization(self, obj):
        return None


@admin.register(CancellationFeedback)
class CancellationFeedbackAdmin(TypedSearchAdmin):
    """Why members cancel, and the fixes they took instead (I1). Read-only: members wrote it."""

    list_display = ("created_at", "subscription", "reason", "fix_taken", "member")
    list_filter = ("reason", "fix_taken", "subscription__product__kind")
    search_paths = {"account_id": "subscription__organization__account_id"}
    search_help_text = "An account ID (AC-123456)."
    list_select_related = (
        "subscription__product",
        "subscription__phone_number",
        "subscription__organization",
        "member",
    )
    readonly_fields = [field.name for field in CancellationFeedback._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
