"""The catalog (products and their policies as data) and what organizations hold of it.

A `Product` carries its own policy (how it is cancelled and changed, by whom, the
minimum quantity, the fee), so staff can change a rule in admin and the portal
follows without a deploy. `subscriptions.policy.decide` reads that policy as plain
facts (built by `subscriptions.selectors`) and decides each action.

Public names the pages rely on (keep them stable):
`Product` (+ `Product.Kind`, `Product.AddonCode`, `Product.BillingPeriod`,
`Product.CancelChannel`, `Product.ChangeChannel`), `Subscription` (+
`Subscription.State`, `Subscription.PurchaseChannel`, `Subscription.objects` as a
`SubscriptionQuerySet`), `prefetch_line_addons`, `PhoneNumber` (+ `PhoneNumber.NumberType`,
`PhoneNumber.CallingMode`), `BlockedNumber`, `E164_VALIDATOR`.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Prefetch, Q, prefetch_related_objects

from accounts.models import Role
from subscriptions.policy import NUMBER_KINDS

E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
E164_VALIDATOR = RegexValidator(
    E164_PATTERN,
    "Enter the number in international format: + then the country code and number, "
    "digits only (for example +14155550123).",
)
COUNTRY_VALIDATOR = RegexValidator(
    r"^[A-Z]{2}$", "Enter the two-letter ISO 3166 country code, for example US or GB."
)


class ProductKind(models.TextChoices):
    """What a product is; `subscriptions.policy.Kind` mirrors these values."""

    BUSINESS_NUMBER = "business_number", "Business number"
    LINE = "line", "Line"
    USER_LICENSE = "user_license", "User license"
    CONTACT_CENTER_LICENSE = "contact_center_license", "Contact-center license"
    SIP_TRUNK = "sip_trunk", "SIP trunk"
    CALL_INSIGHTS = "call_insights", "Call Insights plan"
    NUMBER_TESTING = "number_testing", "Number Testing package"
    JETPACK = "jetpack", "Jetpack"
    ADDON = "addon", "Add-on"


class AddonCode(models.TextChoices):
    """Which add-on feature of a line a product is."""

    TEXT_ARCHIVE = "text_archive", "Text Archive"
    CALL_RECORDING = "call_recording", "Call Recording"


class Product(models.Model):
    """One sellable thing in the catalog, with the policy that governs it."""

    Kind = ProductKind
    AddonCode = AddonCode

    class BillingPeriod(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        ANNUAL = "annual", "Annual"

    class CancelChannel(models.TextChoices):
        NOW = "now", "in the portal, immediately"
        TERM_END = "term_end", "in the portal, at the end of the term"
        SUPPORT_CASE = "support_case", "by a support case"
        ACCOUNT_MANAGER = "account_manager", "through the account manager (custom quote)"
        NONE = "none", "cannot be cancelled"

    class ChangeChannel(models.TextChoices):
        PORTAL = "portal", "in the portal"
        SUPPORT_CASE = "support_case", "by a support case"
        ACCOUNT_MANAGER = "account_manager", "through the account manager (custom quote)"
        NONE = "none", "cannot be changed"

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    addon_code = models.CharField(
        "add-on", max_length=32, choices=AddonCode.choices, blank=True, help_text="Add-ons only."
    )
    tier = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Rank among the plans of this kind: a higher tier is a bigger plan.",
    )
    price = models.DecimalField(max_digits=10, decimal_places=2)
    billing_period = models.CharField(
        max_length=16, choices=BillingPeriod.choices, default=BillingPeriod.MONTHLY
    )
    is_active = models.BooleanField(
        "sellable", default=True, help_text="Off: no longer sold or reactivated."
    )

    # The policy. Defaults are the cautious ones: a person handles it, Admins and up.
    cancel_channel = models.CharField(
        max_length=20, choices=CancelChannel.choices, default=CancelChannel.SUPPORT_CASE
    )
    change_channel = models.CharField(
        max_length=20, choices=ChangeChannel.choices, default=ChangeChannel.NONE
    )
    cancel_min_role = models.CharField(
        "least role that may cancel", max_length=20, choices=Role.choices, default=Role.ADMIN
    )
    manage_min_role = models.CharField(
        "least role for other changes", max_length=20, choices=Role.choices, default=Role.ADMIN
    )
    minimum_quantity = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="An organization holds at least this many, or none.",
    )
    cancellation_fee = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    cancel_irreversible = models.BooleanField(
        default=False, help_text="Cancelling removes it for good (the customer confirms)."
    )
    reactivation_hold_days = models.PositiveIntegerField(
        default=30, help_text="Days after a cancellation during which it can be reactivated."
    )
    changeable_to = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="changeable_from",
        help_text="Plans of the same kind a subscription may change to.",
    )

    class Meta:
        ordering = ["kind", "tier", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(
                condition=Q(cancellation_fee__gte=0), name="product_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(minimum_quantity__gte=1), name="product_minimum_quantity_positive"
            ),
            models.CheckConstraint(condition=Q(tier__gte=1), name="product_tier_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=ProductKind.values), name="product_kind_valid"
            ),
            # An add-on says which one it is; nothing else carries an add-on code.
            models.CheckConstraint(
                condition=(Q(kind="addon") & Q(addon_code__in=AddonCode.values))
                | (~Q(kind="addon") & Q(addon_code="")),
                name="product_addon_code_only_on_addons",
            ),
            models.CheckConstraint(
                condition=Q(cancel_min_role__in=Role.values) & Q(manage_min_role__in=Role.values),
                name="product_min_roles_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if self.pk is None:
            return
        # Only a line has add-ons, and only an add-on belongs to a line (I6): a kind change
        # must not leave subscriptions of this product on the wrong side of that.
        subscriptions = Subscription.objects
        if self.kind != ProductKind.LINE and subscriptions.filter(parent__product=self).exists():
            raise ValidationError({"kind": "Lines of this product have add-ons: keep it a line."})
        addons = subscriptions.filter(product=self, parent__isnull=False)
        if self.kind != ProductKind.ADDON and addons.exists():
            raise ValidationError(
                {"kind": "Subscriptions of this product are add-ons of lines: keep it an add-on."}
            )


class SubscriptionState(models.TextChoices):
    """Where a subscription stands; `subscriptions.policy.State` mirrors these values."""

    ACTIVE = "active", "Active"
    CANCELS_AT_TERM_END = "cancels_at_term_end", "Cancels at term end"
    SUSPENDED = "suspended", "Suspended"
    CANCELLED = "cancelled", "Cancelled"


class SubscriptionQuerySet(models.QuerySet):
    """The reads the pages repeat; each keeps its query count independent of the rows."""

    def for_organization(self, organization) -> "SubscriptionQuerySet":
        return self.filter(organization=organization)

    def visible_to(self, membership) -> "SubscriptionQuerySet":
        """What `membership` may see: all of its organization for Admins and Super Admins;
        for Members, what is assigned to them and the add-ons of lines assigned to them."""
        visible = self.filter(organization_id=membership.organization_id)
        if membership.is_admin_or_above:
            return visible
        return visible.filter(
            Q(assigned_to_id=membership.user_id) | Q(parent__assigned_to_id=membership.user_id)
        )

    def of_kind(self, kind: str) -> "SubscriptionQuerySet":
        return self.filter(product__kind=kind)

    def live(self) -> "SubscriptionQuerySet":
        """Not cancelled: active, suspended, or still in service until a scheduled end."""
        return self.exclude(state=SubscriptionState.CANCELLED)

    def ending_soon(self, today: date, days: int = 30) -> "SubscriptionQuerySet":
        """Live subscriptions whose term ends within `days` days of `today` (both included)."""
        return self.live().filter(term_end__gte=today, term_end__lte=today + timedelta(days=days))

    def with_page_relations(self, *, kinds=None) -> "SubscriptionQuerySet":
        """Everything a list or details page and `selectors.decisions_for` read, in a fixed
        number of queries: the product, the assignee, the phone number, the parent line and
        a scheduled plan. A line's add-ons come after, from `prefetch_line_addons`. (Plan
        options come from the page's `selectors.DecisionContext`, not per row.)

        With `kinds` (every kind the rows can be), the joins no such row uses are left out:
        only numbers and lines have a phone number (`Subscription.number` knows it without
        a query), only add-ons a parent line (a row without one reads None, no query)."""
        joined = ["assigned_to", "product", "scheduled_product"]
        if kinds is None or not NUMBER_KINDS.isdisjoint(kinds):
            joined.append("phone_number")
        if kinds is None or ProductKind.ADDON in kinds:
            joined.append("parent")
        return self.select_related(*joined)


def _addons_prefetch() -> Prefetch:
    # An add-on has no phone number (`Subscription.number` knows it without a query), and
    # what is shown of it or decided for it needs its assignee's id only.
    addons = Subscription.objects.order_by("product__name", "id").select_related(
        "product", "scheduled_product"
    )
    return Prefetch("addons", queryset=addons)


def prefetch_line_addons(subscriptions) -> None:
    """Load the add-ons of those `subscriptions` that are lines (read them as
    `line_addons`): one query, and none when no line is among them or theirs are loaded.
    Only a line has add-ons (`Subscription.clean`): loading them for every row, as a
    prefetch on the rows' query would, costs a page of licenses or business numbers as
    much as loading its rows, for nothing."""
    lines = [s for s in subscriptions if s.can_have_addons]
    prefetch_related_objects(lines, _addons_prefetch())


class Subscription(models.Model):
    """A product an organization holds: its state, term, quantity and who it is for."""

    State = SubscriptionState

    class PurchaseChannel(models.TextChoices):
        PORTAL = "portal", "Portal"
        APP_STORE = "app_store", "Apple App Store"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="subscriptions"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="subscriptions")
    state = models.CharField(max_length=24, choices=State.choices, default=State.ACTIVE)
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    term_start = models.DateField()
    term_end = models.DateField()
    usage_credits = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    purchase_channel = models.CharField(
        max_length=16, choices=PurchaseChannel.choices, default=PurchaseChannel.PORTAL
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_subscriptions",
        help_text="The member this line, number or license is for.",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="addons",
        help_text="The line an add-on belongs to.",
    )
    is_initial_ucaas_trunk = models.BooleanField(
        "initial UCaaS trunk",
        default=False,
        help_text="Initial UCaaS trunks are removed by a support case, not the Delete button.",
    )
    label = models.CharField(max_length=120, blank=True, help_text="For example a trunk name.")
    scheduled_product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="A smaller plan that replaces this one at the end of the term.",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by_cancel_line = models.BooleanField(
        default=False, help_text="Removed by Cancel Line: it can never be reactivated."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            # Home counts what an organization holds by product from this index alone.
            models.Index(
                fields=["organization", "state", "product"], name="subscription_org_state_product"
            ),
            models.Index(fields=["term_end"], name="subscription_term_end"),
            # A plan page's rows of one product in order (Licenses pages 2,000 of them).
            models.Index(
                fields=["organization", "product", "label", "id"],
                name="subscription_org_product_label",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="subscription_quantity_min"),
            models.CheckConstraint(
                condition=Q(usage_credits__gte=0), name="subscription_credits_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(term_end__gte=models.F("term_start")),
                name="subscription_term_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(state__in=SubscriptionState.values), name="subscription_state_valid"
            ),
            # A cancellation always says when it happened: reactivation windows count from it.
            models.CheckConstraint(
                condition=~Q(state="cancelled") | Q(cancelled_at__isnull=False),
                name="subscription_cancelled_has_date",
            ),
            models.CheckConstraint(
                condition=Q(cancelled_by_cancel_line=False) | Q(state="cancelled"),
                name="subscription_cancel_line_means_cancelled",
            ),
        ]

    def __str__(self) -> str:
        detail = self.number.e164 if self.number is not None else self.label
        return f"{self.product.name} {detail}".strip()

    def clean(self):
        super().clean()
        # Add-ons are features of a line (I6), and the pages rely on it: only a line's
        # add-ons are read (`line_addons`). The line may be unsaved yet (a new line and its
        # add-ons in one admin form: the inline hands each add-on the line object, with no
        # id yet), so it is looked for as an object, not only as an id.
        errors = {}
        has_product = self.product_id is not None
        if has_product and self.pk and not self.can_have_addons and self.addons.exists():
            errors["product"] = (
                "It has add-ons, and only a line has add-ons: keep a line product, or cancel "
                "or move its add-ons first."
            )
        parent = self.parent if Subscription.parent.is_cached(self) or self.parent_id else None
        if parent is not None:
            if self.organization_id is None:  # added to a line in admin: the line's own
                self.organization_id = parent.organization_id
            if has_product and self.product.kind != ProductKind.ADDON:
                errors["product"] = "Only an add-on belongs to a line: choose an add-on product."
            # Not on the parent field: in the add-ons inline it is hidden, with its errors.
            if parent.product_id is None or parent.product.kind != ProductKind.LINE:
                errors[NON_FIELD_ERRORS] = "An add-on belongs to a line: choose a line."
            elif parent.organization_id != self.organization_id:
                errors[NON_FIELD_ERRORS] = "An add-on belongs to a line of its own organization."
        if errors:
            raise ValidationError(errors)

    @property
    def number(self) -> "PhoneNumber | None":
        """The phone number of a business number or line, or None (no query when selected,
        and none for other kinds, which never have one: `PhoneNumber.clean`)."""
        if self.product.kind not in NUMBER_KINDS:
            return None
        try:
            return self.phone_number
        except ObjectDoesNotExist:
            return None

    @property
    def is_live(self) -> bool:
        return self.state != self.State.CANCELLED

    @property
    def can_have_addons(self) -> bool:
        """Only a line has add-ons (I6, `clean`)."""
        return self.product.kind == ProductKind.LINE

    @property
    def line_addons(self):
        """Its add-ons if it is a line (loaded by `prefetch_line_addons`), and none, without
        a query, if it is anything else."""
        return self.addons.all() if self.can_have_addons else ()


class PhoneNumberQuerySet(models.QuerySet):
    def visible_to(self, membership) -> "PhoneNumberQuerySet":
        """The numbers `membership` may see: the organization's for Admins and Super
        Admins, the ones assigned to them for Members (as `Subscription.visible_to`)."""
        numbers = self.filter(organization_id=membership.organization_id)
        if membership.is_admin_or_above:
            return numbers
        return numbers.filter(subscription__assigned_to_id=membership.user_id)


class PhoneNumber(models.Model):
    """The number of a business number or a line, with its per-number settings."""

    class NumberType(models.TextChoices):
        LOCAL = "local", "Local"
        TOLL_FREE = "toll_free", "Toll-free"
        MOBILE = "mobile", "Mobile"

    class CallingMode(models.TextChoices):
        VOICE = "voice", "Voice network"
        DATA = "data", "Data (internet)"

    subscription = models.OneToOneField(
        Subscription, on_delete=models.CASCADE, related_name="phone_number"
    )
    # The subscription's organization, copied here (`services.phone_number_save` sets it
    # where staff give a subscription its number, `phone_number_follow_subscription`
    # carries it along when staff move the subscription) so that an organization's numbers in
    # number order are one index range: the Numbers page reads its rows and its count from
    # that index instead of joining every subscription.
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", editable=False
    )
    e164 = models.CharField(
        "number", max_length=16, unique=True, validators=[E164_VALIDATOR], help_text="E.164"
    )
    country = models.CharField(max_length=2, validators=[COUNTRY_VALIDATOR])
    number_type = models.CharField(
        max_length=16, choices=NumberType.choices, default=NumberType.LOCAL
    )
    # Rule A7: inbound recording is switched per number.
    inbound_recording = models.BooleanField(default=False)
    # Rule I1: lines place calls over data by default; the voice network is the usual fix.
    calling_mode = models.CharField(
        max_length=8, choices=CallingMode.choices, default=CallingMode.DATA
    )

    objects = PhoneNumberQuerySet.as_manager()

    class Meta:
        ordering = ["e164"]
        indexes = [
            models.Index(fields=["organization", "e164"], name="phone_org_number"),
            # Numbers filtered by country, in number order: the rows, their count and the
            # digits searched are read from the index alone; also the countries of
            # Numbers' filter (`core.paging.distinct_values`).
            models.Index(
                fields=["organization", "country", "e164"], name="phone_org_country_number"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(e164__regex=E164_PATTERN), name="phone_e164_format"),
            models.CheckConstraint(
                condition=Q(country__regex=r"^[A-Z]{2}$"), name="phone_country_iso_alpha2"
            ),
        ]

    def __str__(self) -> str:
        return self.e164

    def clean(self):
        super().clean()
        if self.subscription_id is not None and self.subscription.product.kind not in NUMBER_KINDS:
            raise ValidationError(
                {"subscription": "Only a business number or a line has a phone number."}
            )


class BlockedNumber(models.Model):
    """A caller a number refuses (rule I1: blocking spam is free)."""

    phone_number = models.ForeignKey(PhoneNumber, on_delete=models.CASCADE, related_name="blocked")
    e164 = models.CharField("blocked number", max_length=16, validators=[E164_VALIDATOR])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["phone_number", "e164"], name="blocked_number_once_per_number"
            ),
            models.CheckConstraint(
                condition=Q(e164__regex=E164_PATTERN), name="blocked_number_e164_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.e164} (blocked)"


class SpareNumberQuerySet(models.QuerySet):
    def available(self, today: date) -> "SpareNumberQuerySet":
        return self.filter(available_from__lte=today)


class SpareNumber(models.Model):
    """The provider's free stock of numbers, from which a line picks a new one.

    Staff manage it in admin; a released number comes back here after its hold.
    """

    e164 = models.CharField(
        "number", max_length=16, unique=True, validators=[E164_VALIDATOR], help_text="E.164"
    )
    country = models.CharField(max_length=2, validators=[COUNTRY_VALIDATOR])
    number_type = models.CharField(
        max_length=16, choices=PhoneNumber.NumberType.choices, default=PhoneNumber.NumberType.LOCAL
    )
    available_from = models.DateField(default=date.today)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SpareNumberQuerySet.as_manager()

    class Meta:
        ordering = ["country", "e164"]
        constraints = [
            models.CheckConstraint(condition=Q(e164__regex=E164_PATTERN), name="spare_e164_format"),
        ]

    def __str__(self) -> str:
        return self.e164


class CancellationReason(models.TextChoices):
    """Why a customer cancels; the first five have a fix worth offering first (I1)."""

    CALLING_PROBLEMS = "calling_problems", "Calls drop or sound bad"
    NUMBER_CANCELLED = "number_cancelled", "My number was cancelled"
    NO_RINGING = "no_ringing", "I don't hear calls ring or get texts"
    DISLIKE_NUMBER = "dislike_number", "I don't like my number"
    SPAM_CALLS = "spam_calls", "I get spam calls"
    TOO_EXPENSIVE = "too_expensive", "It costs too much"
    NOT_NEEDED = "not_needed", "I don't need it any more"
    OTHER = "other", "Something else"


class CancellationFeedback(models.Model):
    """Why a member cancelled, or which fix they took instead (I1): for staff to act on."""

    Reason = CancellationReason

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="cancellation_feedback"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(max_length=32, choices=Reason.choices, blank=True)
    detail = models.TextField(blank=True, max_length=1000)
    # The fix the member chose instead of cancelling; blank when they went on and cancelled.
    fix_taken = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "cancellation feedback"
        indexes = [models.Index(fields=["-created_at", "-id"], name="feedback_recent")]

    def __str__(self) -> str:
        outcome = f"took {self.fix_taken}" if self.fix_taken else "cancelled"
        return f"{self.subscription}: {self.get_reason_display() or 'no reason'}, {outcome}"
