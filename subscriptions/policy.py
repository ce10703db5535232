"""The policy engine: one pure function decides every action on a subscription.

`decide(...)` takes plain values (the member's role, the product's policy, the
subscription's facts, the action, today) and returns a `Decision`: allowed or not,
the channel (now, at the end of the term, a support case, the account manager, the
App Store), the reason in plain words, and what the customer must know first (fee,
no refund, when the service ends, what is removed, irreversible, add-ons to cancel
first, App Store steps, the fixes worth trying). Pages show it; services call it
again under a row lock before they write. Nothing here touches the ORM or a request:
`subscriptions.selectors` turns models into these facts.

Reading of the two providers' rules (PRODUCT.md), where they meet:

* Which channel a product uses is data on the product (`PolicyFacts.cancel_channel`,
  `change_channel`, the least roles, the minimum quantity, the fee). Only what is
  structural is decided here by kind: a line's add-ons come first (I6), an initial
  UCaaS trunk goes through support (A6), only contact-center licenses are held in
  quantity, and the I1 fixes that fit lines and numbers.
* I8 and I9 seem to pull apart: I8 says a plan bought through the Apple App Store
  cannot be cancelled in the portal; I9 says a line whose plan was bought there is
  fully cancelled in the portal and the customer is then told to cancel with Apple.
  They govern different things. Apple owns the *billing* of an App Store purchase,
  so stopping its renewal (cancelling a plan, an add-on, a tier, a quantity, a
  reactivation) can only be done in the App Store: those decisions are refused with
  channel `APP_STORE` and Apple's steps. The provider owns the *service*, so Cancel
  Line, which takes the line and its number out of service, stays self-service in
  the portal even for an App Store line; its decision is allowed (channel `NOW`)
  and carries the App Store steps with a note that Apple keeps billing until the
  customer cancels there too.
* "Active" add-ons in I6 are those that would still renew (active or suspended).
  An add-on already set to end at the term end has been cancelled by the customer,
  so it no longer blocks Cancel Line; it appears in what Cancel Line removes.
* `requested_quantity` is the quantity the organization would hold afterwards.
  Lowering a quantity is a partial cancellation and gets the cancel decision (its
  `action` is `Action.CANCEL`); 0 means cancel them all.

Public names (kept stable for the pages): `decide`, `decide_outbound_recording`,
`Decision`, `PolicyFacts`, `SubscriptionFacts`, `AddonFacts`, `PlanOption`, `Fix`,
`NumberChanges`, `NumberChangeLimits`,
`Action`, `Channel`, `Setting`, `Kind`, `State`, `HelpTopic`, `ROLE_RANK`,
`APP_STORE_HELP_URL`, `APP_STORE_STEPS`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

APP_STORE_HELP_URL = "https://support.apple.com/en-us/HT202039"
APP_STORE_STEPS = (
    "On your iPhone, iPad, Mac or PC, open your Apple account with the Apple ID "
    "that made the purchase.",
    "Go to Subscriptions and choose this app's subscription.",
    "Choose Cancel Subscription and confirm. Only Apple can stop its renewal.",
)

# Role values are those of accounts.models.Role; a test keeps them in step.
ROLE_RANK = {"member": 1, "admin": 2, "super_admin": 3}
ROLE_LABELS = {"member": "Members", "admin": "Admins", "super_admin": "Super Admins"}


class Action(StrEnum):
    CANCEL = "cancel"
    KEEP = "keep"  # undo a scheduled cancellation or downgrade
    CHANGE_PLAN = "change_plan"
    CHANGE_QUANTITY = "change_quantity"
    DELETE = "delete"  # SIP trunks
    TOGGLE = "toggle"  # recording switches, calling mode (see Setting)
    REACTIVATE = "reactivate"
    CHANGE_NUMBER = "change_number"
    BLOCK_NUMBERS = "block_numbers"


class Channel(StrEnum):
    NOW = "now"
    TERM_END = "term_end"
    SUPPORT_CASE = "support_case"
    ACCOUNT_MANAGER = "account_manager"
    APP_STORE = "app_store"
    NONE = "none"


class Setting(StrEnum):
    """Which switch a TOGGLE changes."""

    INBOUND_RECORDING = "inbound_recording"  # per number (A7)
    OUTBOUND_RECORDING = "outbound_recording"  # whole organization (A8)
    CALLING_MODE = "calling_mode"  # per line (I1)


class Kind(StrEnum):
    """Mirrors subscriptions.models.ProductKind."""

    BUSINESS_NUMBER = "business_number"
    LINE = "line"
    USER_LICENSE = "user_license"
    CONTACT_CENTER_LICENSE = "contact_center_license"
    SIP_TRUNK = "sip_trunk"
    CALL_INSIGHTS = "call_insights"
    NUMBER_TESTING = "number_testing"
    JETPACK = "jetpack"
    ADDON = "addon"


class State(StrEnum):
    """Mirrors subscriptions.models.SubscriptionState."""

    ACTIVE = "active"
    CANCELS_AT_TERM_END = "cancels_at_term_end"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class HelpTopic(StrEnum):
    """Slugs of the help articles that explain a decision; the help center links them."""

    ROLES = "roles-and-permissions"
    STATES = "subscription-states"
    REFUNDS = "refunds-and-fees"
    CANCELLATION_REQUEST = "cancellation-requests"
    LICENSES = "cancelling-licenses"
    SIP_TRUNKS = "sip-trunks"
    CALL_RECORDING = "call-recording"
    CALL_INSIGHTS = "call-insights"
    NUMBER_TESTING = "number-testing"
    CONTACT_CENTER = "contact-center-licenses"
    JETPACKS = "jetpacks"
    FIXES = "before-you-cancel"
    CANCEL_LINE = "cancel-line"
    PLANS_AND_FEATURES = "cancel-plans-and-features"
    APP_STORE = "app-store-subscriptions"
    CALLING_MODE = "calling-mode"
    DEVICE_SETTINGS = "device-settings"
    BLOCK_NUMBERS = "block-numbers"
    CHANGE_NUMBER = "change-number"
    REACTIVATE = "reactivate"
    CHANGE_PLAN = "change-plan"


NUMBER_KINDS = frozenset({Kind.LINE, Kind.BUSINESS_NUMBER})
LICENSE_KINDS = frozenset({Kind.USER_LICENSE, Kind.CONTACT_CENTER_LICENSE})
A2_KINDS = frozenset({Kind.BUSINESS_NUMBER, Kind.USER_LICENSE})
# Only seats are held in quantity; everything else is one subscription per thing.
QUANTITY_KINDS = frozenset({Kind.CONTACT_CENTER_LICENSE})
# States in which something still renews, so it must be cancelled before its line (I6).
RENEWING_STATES = frozenset({State.ACTIVE, State.SUSPENDED})
_STATES = frozenset(State)


@dataclass(frozen=True)
class PlanOption:
    """A plan a subscription may change to (the product's `changeable_to`)."""

    product_id: int
    name: str
    tier: int


@dataclass(frozen=True)
class PolicyFacts:
    """The product and its policy, as plain values (see models.Product)."""

    product_name: str
    kind: str
    cancel_channel: str = "support_case"
    change_channel: str = "none"
    cancel_min_role: str = "admin"
    manage_min_role: str = "admin"
    minimum_quantity: int = 1
    cancellation_fee: Decimal = Decimal("0.00")
    cancel_irreversible: bool = False
    reactivation_hold_days: int = 30
    tier: int = 1
    product_id: int | None = None
    is_sellable: bool = True
    changeable_to: tuple[PlanOption, ...] = ()


@dataclass(frozen=True)
class AddonFacts:
    """An add-on of a line: enough to name it and link to its own cancellation."""

    id: int | None
    name: str
    state: str


@dataclass(frozen=True)
class SubscriptionFacts:
    """One subscription as seen by the acting member (see models.Subscription).

    `assigned_to_member` is true when the subscription (or, for an add-on, its line)
    is assigned to the member who acts. `cancelled_on` is the local date of
    `cancelled_at`. `parent_live` is false for an add-on whose line is cancelled.
    """

    name: str
    state: str = "active"
    quantity: int = 1
    term_end: date | None = None
    purchase_channel: str = "portal"
    assigned_to_member: bool = False
    is_initial_ucaas_trunk: bool = False
    addons: tuple[AddonFacts, ...] = ()
    number: str = ""
    calling_mode: str = ""
    usage_credits: Decimal = Decimal("0.00")
    cancelled_on: date | None = None
    cancelled_by_cancel_line: bool = False
    scheduled_plan_name: str = ""
    parent_live: bool = True
    id: int | None = None


@dataclass(frozen=True)
class NumberChangeLimits:
    """How often numbers may change in the portal: the provider's free numbers are shared
    by every customer, so one line changes its number at most `per_line` times, and one
    organization its numbers at most `per_organization` times, in `period_days` days.
    Beyond that a new number is asked of support, who pick it from the stock."""

    per_line: int = 2
    per_organization: int = 5
    period_days: int = 30


@dataclass(frozen=True)
class NumberChanges:
    """The number changes already made, by day: this line's (`line`) and the whole
    organization's (`organization`, this line's included), with the limits that apply.
    Days older than the period may be given; they do not count."""

    limits: NumberChangeLimits = NumberChangeLimits()
    line: tuple[date, ...] = ()
    organization: tuple[date, ...] = ()


@dataclass(frozen=True)
class Fix:
    """A fix worth trying before cancelling (I1). `action` is the action that applies it,
    None when it is guidance (device settings): `help_topic` then explains it."""

    code: str
    label: str
    action: Action | None
    help_topic: str


FIX_CALLING_MODE = Fix(
    "calling_mode_voice",
    "Calls drop or sound bad? Switch the line to the voice network for incoming and "
    "outgoing calls instead of data.",
    Action.TOGGLE,
    HelpTopic.CALLING_MODE,
)
FIX_REACTIVATE = Fix(
    "reactivate",
    "Was the number cancelled or suspended? Reactivate it instead of starting over.",
    Action.REACTIVATE,
    HelpTopic.REACTIVATE,
)
FIX_DEVICE_SETTINGS = Fix(
    "device_settings",
    "No ringing, or texts not arriving? Check the phone's notification and network settings.",
    None,
    HelpTopic.DEVICE_SETTINGS,
)
FIX_CHANGE_NUMBER = Fix(
    "change_number",
    "Don't like the number? Change it and keep the service.",
    Action.CHANGE_NUMBER,
    HelpTopic.CHANGE_NUMBER,
)
FIX_BLOCK_NUMBERS = Fix(
    "block_numbers",
    "Getting spam calls? Block those numbers, free of charge.",
    Action.BLOCK_NUMBERS,
    HelpTopic.BLOCK_NUMBERS,
)


@dataclass(frozen=True)
class Decision:
    """What the portal may do for this action, and what the customer must know first.

    `allowed` false means the page shows `reason` instead of a button (with the
    App Store steps when `channel` is APP_STORE). `rule` holds the PRODUCT.md rule
    IDs that decided it. `label` is the button text.
    """

    action: Action
    allowed: bool
    channel: Channel
    reason: str
    kind: str = ""
    rule: tuple[str, ...] = ()
    help_topic: str = HelpTopic.STATES
    fee: Decimal = Decimal("0.00")
    no_refund: bool = False
    service_ends: date | None = None
    takes_effect: date | None = None
    removes: tuple[str, ...] = ()
    irreversible: bool = False
    addons_to_cancel_first: tuple[str, ...] = ()
    addon_ids_to_cancel_first: tuple[int, ...] = ()
    app_store_steps: tuple[str, ...] = ()
    app_store_help_url: str = ""
    fixes_first: tuple[Fix, ...] = ()
    notes: tuple[str, ...] = ()
    plan: PlanOption | None = None

    @property
    def is_cancellation(self) -> bool:
        return self.action in (Action.CANCEL, Action.DELETE)

    @property
    def label(self) -> str:
        """The short button label for this decision ("Cancel Plan", "Request cancellation")."""
        if self.channel is Channel.ACCOUNT_MANAGER:
            return "Contact your account manager"
        if self.channel is Channel.SUPPORT_CASE:
            return _CASE_LABELS[self.action]
        if self.channel is Channel.APP_STORE:
            return "Cancel in the App Store" if self.is_cancellation else "Manage in the App Store"
        if self.action is Action.DELETE or (self.is_cancellation and self.kind == Kind.SIP_TRUNK):
            return "Delete"
        if self.is_cancellation:
            if self.kind == Kind.LINE:
                return "Cancel Line"
            return "Cancel now" if self.channel is Channel.NOW else "Cancel Plan"
        return _ACTION_LABELS[self.action]

    @property
    def channel_label(self) -> str:
        """How it is done, in words ("Through a support case")."""
        return _CHANNEL_LABELS[self.channel] if self.allowed else "Not available to you"


_CHANNEL_LABELS = {
    Channel.NOW: "In the portal, at once",
    Channel.TERM_END: "In the portal, at the end of the term",
    Channel.SUPPORT_CASE: "Through a support case",
    Channel.ACCOUNT_MANAGER: "Through your account manager",
    Channel.APP_STORE: "In the Apple App Store",
    Channel.NONE: "Not possible",
}
_CASE_LABELS = {
    Action.CANCEL: "Request cancellation",
    Action.DELETE: "Request cancellation",
    Action.KEEP: "Ask support to keep it",
    Action.CHANGE_PLAN: "Request a plan change",
    Action.CHANGE_QUANTITY: "Request more licenses",
    Action.TOGGLE: "Ask support to change it",
    Action.REACTIVATE: "Ask support to reactivate",
    Action.CHANGE_NUMBER: "Request a new number",
    Action.BLOCK_NUMBERS: "Ask support to block numbers",
}
_ACTION_LABELS = {
    Action.CANCEL: "Cancel",
    Action.DELETE: "Delete",
    Action.KEEP: "Keep",
    Action.CHANGE_PLAN: "View or Change Plan",
    Action.CHANGE_QUANTITY: "Change quantity",
    Action.TOGGLE: "Save",
    Action.REACTIVATE: "Reactivate",
    Action.CHANGE_NUMBER: "Change number",
    Action.BLOCK_NUMBERS: "Block numbers",
}


@dataclass(frozen=True)
class _Ask:
    """Everything `decide` was given, passed between the helpers below."""

    role: str
    policy: PolicyFacts
    sub: SubscriptionFacts
    action: Action
    today: date
    requested_quantity: int | None
    requested_plan: PlanOption | None
    setting: Setting | None
    super_admin_names: tuple[str, ...]
    account_manager_name: str
    support_email: str
    number_changes: NumberChanges | None = None

    @property
    def kind(self) -> str:
        return self.policy.kind

    @property
    def name(self) -> str:
        return self.sub.name or self.policy.product_name

    def decision(self, *, allowed: bool, channel: Channel, reason: str, **facts) -> Decision:
        facts.setdefault("action", self.action)
        # I2 holds for every cancellation, allowed or not: nothing is ever refunded.
        facts.setdefault("no_refund", facts["action"] in (Action.CANCEL, Action.DELETE))
        return Decision(allowed=allowed, channel=channel, reason=reason, kind=self.kind, **facts)

    def refuse(self, reason: str, **facts) -> Decision:
        facts.setdefault("channel", Channel.NONE)
        return self.decision(allowed=False, reason=reason, **facts)


def decide(
    *,
    role: str,
    policy: PolicyFacts,
    subscription: SubscriptionFacts,
    action: Action,
    today: date,
    requested_quantity: int | None = None,
    super_admin_names: tuple[str, ...] = (),
    account_manager_name: str = "",
    requested_plan: PlanOption | None = None,
    setting: Setting | None = None,
    support_email: str = "",
    number_changes: NumberChanges | None = None,
) -> Decision:
    """Decide `action` on `subscription` for a member with `role`.

    `requested_quantity`: the quantity held afterwards (CANCEL, CHANGE_QUANTITY).
    `requested_plan`: the plan a CHANGE_PLAN moves to (None: may plans change at all).
    `setting`: the switch a TOGGLE changes (None: any switch of this number).
    `number_changes`: the number changes already made, for CHANGE_NUMBER (None: no limit
    applies, for pages that do not offer it).
    `super_admin_names`, `account_manager_name`, `support_email` only fill in reasons.
    It never raises for a known action: every refusal is a Decision with its reason.
    App Store purchases follow the I8/I9 reading of the module docstring: billing
    changes are refused with Apple's steps, Cancel Line of a line stays allowed here.
    """
    ask = _Ask(
        role=role,
        policy=policy,
        sub=subscription,
        action=Action(action),
        today=today,
        requested_quantity=requested_quantity,
        requested_plan=requested_plan,
        setting=Setting(setting) if setting else None,
        super_admin_names=tuple(super_admin_names),
        account_manager_name=account_manager_name,
        support_email=support_email,
        number_changes=number_changes,
    )
    if role not in ROLE_RANK:
        return ask.refuse(
            "Your role in this organization does not allow changes here.",
            help_topic=HelpTopic.ROLES,
        )
    if ask.action is Action.TOGGLE and ask.setting is Setting.OUTBOUND_RECORDING:
        return decide_outbound_recording(role=role)
    return _DECIDERS[ask.action](ask)


def decide_outbound_recording(*, role: str) -> Decision:
    """A8: outbound recording is one switch for the organization, in Company Settings."""
    allowed = ROLE_RANK.get(role, 0) >= ROLE_RANK["admin"]
    reason = (
        "Outbound call recording is switched on or off for the whole organization, "
        "here in Company Settings."
        if allowed
        else "Only Admins and Super Admins can switch outbound call recording for the organization."
    )
    return Decision(
        action=Action.TOGGLE,
        allowed=allowed,
        channel=Channel.NOW if allowed else Channel.NONE,
        reason=reason,
        rule=("A8",),
        help_topic=HelpTopic.CALL_RECORDING,
        takes_effect=None,
    )


# --- shared checks -------------------------------------------------------------


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names)


def _when(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else "the end of the current term"


def _role_refusal(ask: _Ask, *, min_role: str, doing: str, rule: tuple[str, ...] = ()):
    """Refuse when the role is below `min_role`, or a Member acts on what is not theirs."""
    needed = ROLE_RANK.get(min_role, ROLE_RANK["super_admin"])
    if ROLE_RANK[ask.role] < needed:
        if needed == ROLE_RANK["super_admin"]:
            who = (
                f"your Super Admins are {_names(ask.super_admin_names)}"
                if ask.super_admin_names
                else "ask a Super Admin of your organization"
            )
            return ask.refuse(
                f"Only Super Admins can {doing}; {who}.", rule=rule, help_topic=HelpTopic.ROLES
            )
        return ask.refuse(
            f"Only Admins and Super Admins can {doing}. Ask an Admin of your organization.",
            rule=rule,
            help_topic=HelpTopic.ROLES,
        )
    if ask.role == "member" and not ask.sub.assigned_to_member:
        return ask.refuse(
            f"{ask.name} is not assigned to you: Members change only their own lines and "
            "numbers. Ask an Admin of your organization.",
            rule=rule,
            help_topic=HelpTopic.ROLES,
        )
    return None


def _state_refusal(ask: _Ask, *, allow_scheduled_end: bool = True, allow_suspended: bool = False):
    """Refuse changes to what is cancelled (or suspended, or ending, when not allowed)."""
    state = ask.sub.state
    if state == State.CANCELLED:
        return ask.refuse(f"{ask.name} is already cancelled.")
    if state == State.SUSPENDED and not allow_suspended:
        return ask.refuse(f"{ask.name} is suspended. Reactivate it first.")
    if state == State.CANCELS_AT_TERM_END and not allow_scheduled_end:
        return ask.refuse(
            f"{ask.name} is set to end on {_when(ask.sub.term_end)}. Choose Keep first "
            "if you want to change it."
        )
    if state not in _STATES:
        return ask.refuse(f"{ask.name} is in a state that cannot be changed here.")
    return None


def _app_store_refusal(ask: _Ask, doing: str) -> Decision:
    """I8: Apple bills App Store purchases, so only the App Store can change that billing."""
    return ask.refuse(
        f"{ask.name} was bought through the Apple App Store. Apple handles its billing, so "
        f"you {doing} in the App Store, not here: follow the steps below.",
        channel=Channel.APP_STORE,
        rule=("I8",),
        help_topic=HelpTopic.APP_STORE,
        app_store_steps=APP_STORE_STEPS,
        app_store_help_url=APP_STORE_HELP_URL,
    )


def _account_manager_reason(ask: _Ask, doing: str) -> str:
    manager = f", {ask.account_manager_name}," if ask.account_manager_name else ""
    email = f" at {ask.support_email}" if ask.support_email else ""
    return (
        f"{ask.name} is {doing} with a custom quote from your account manager{manager} "
        "rather than here. Send the request and we open a quote case for them to follow "
        f"up; you can also e-mail our support team{email}."
    )


def _is_app_store(ask: _Ask) -> bool:
    return ask.sub.purchase_channel == "app_store"


# --- cancel, delete, keep --------------------------------------------------------


def _cancellation_facts(ask: _Ask) -> dict:
    """What every cancellation preview states: the fee (A1) and no refund (I2)."""
    fee = ask.policy.cancellation_fee
    fee_note = (
        f"A cancellation fee of {fee:.2f} applies." if fee > 0 else "There is no cancellation fee."
    )
    return {
        "fee": fee,
        "no_refund": True,
        "notes": (
            fee_note,
            "Nothing is refunded: charges already paid, plan fees and unused usage credits "
            "stay paid.",
        ),
    }


def _fixes(ask: _Ask) -> tuple[Fix, ...]:
    """I1: the fixes that fit this line or number, offered before it is cancelled."""
    if ask.kind not in NUMBER_KINDS:
        return ()
    fixes = []
    if ask.kind == Kind.LINE and ask.sub.calling_mode != "voice":
        fixes.append(FIX_CALLING_MODE)
    if ask.sub.state == State.SUSPENDED:
        fixes.append(FIX_REACTIVATE)
    fixes += [FIX_DEVICE_SETTINGS, FIX_CHANGE_NUMBER, FIX_BLOCK_NUMBERS]
    return tuple(fixes)


def _removal_list(ask: _Ask) -> tuple[str, ...]:
    """I5: what a cancellation that happens now takes away."""
    if ask.kind == Kind.LINE:
        number = f" {ask.sub.number}" if ask.sub.number else ""
        removed = [f"The line{number} and its phone number plan"]
        removed += [
            f"The {addon.name} add-on" for addon in ask.sub.addons if addon.state != "cancelled"
        ]
        removed.append("Its settings: calling mode, call recording and blocked numbers")
        return tuple(removed)
    return (ask.name,)


def _decide_cancel(ask: _Ask) -> Decision:
    policy, sub = ask.policy, ask.sub
    if sub.state == State.CANCELS_AT_TERM_END:
        return ask.refuse(
            f"{ask.name} is already set to end on {_when(sub.term_end)}. Choose Keep if you "
            "want it to renew instead.",
            rule=("I3",),
        )
    refusal = _state_refusal(ask, allow_suspended=True)
    if refusal:
        return refusal
    doing = "cancel licenses" if ask.kind in LICENSE_KINDS else f"cancel {ask.name}"
    refusal = _role_refusal(
        ask,
        min_role=policy.cancel_min_role,
        doing=doing,
        rule=("A5",) if ask.kind in LICENSE_KINDS else (),
    )
    if refusal:
        return refusal
    if _is_app_store(ask) and ask.kind != Kind.LINE:
        return _app_store_refusal(ask, "cancel it")
    if policy.cancel_channel == "none":
        return ask.refuse(f"{ask.name} cannot be cancelled.", help_topic=HelpTopic.STATES)
    blocking = tuple(a for a in sub.addons if a.state in RENEWING_STATES)
    if blocking:
        names = tuple(a.name for a in blocking)
        return ask.refuse(
            f"Cancel the add-ons of {ask.name} first: {_names(names)}. Each has its own "
            "Cancel Plan button under Plans; then come back to cancel the line.",
            rule=("I6",),
            help_topic=HelpTopic.CANCEL_LINE,
            addons_to_cancel_first=names,
            addon_ids_to_cancel_first=tuple(a.id for a in blocking if a.id is not None),
            fixes_first=_fixes(ask),
        )
    refusal, keeps = _quantity_check(ask)
    if refusal:
        return refusal
    facts = _cancellation_facts(ask)
    facts["fixes_first"] = _fixes(ask)
    if keeps:
        facts["removes"] = (f"{sub.quantity - keeps} of your {sub.quantity} {policy.product_name}",)
    if ask.kind == Kind.SIP_TRUNK and sub.is_initial_ucaas_trunk:
        return ask.decision(
            allowed=True,
            channel=Channel.SUPPORT_CASE,
            reason=f"{ask.name} is one of your initial UCaaS trunks, so it is removed through "
            "a support case instead of the Delete button. Send the request and our team "
            "takes it from there.",
            rule=("A6",),
            help_topic=HelpTopic.SIP_TRUNKS,
            **facts,
        )
    return _CANCEL_CHANNELS.get(policy.cancel_channel, _cancel_unknown_channel)(ask, facts)


def _quantity_check(ask: _Ask) -> tuple[Decision | None, int]:
    """A11: a partial cancellation keeps at least the minimum; 0 (or none asked) is all."""
    wanted, held, minimum = ask.requested_quantity, ask.sub.quantity, ask.policy.minimum_quantity
    if not wanted:
        return None, 0
    rule = ("A11",) if ask.kind == Kind.CONTACT_CENTER_LICENSE else ()
    topic = HelpTopic.CONTACT_CENTER if rule else HelpTopic.STATES
    if wanted < 0:
        return ask.refuse("Ask for a number of licenses to keep, 0 or more.", rule=rule), 0
    if wanted >= held:
        return ask.refuse(
            f"You hold {held}; to cancel some, keep fewer than {held}.",
            rule=rule,
            help_topic=topic,
        ), 0
    if wanted < minimum:
        return ask.refuse(
            f"An organization holds at least {minimum} {ask.policy.product_name} or none: "
            f"keep {minimum} or more, or cancel all {held} instead.",
            rule=rule,
            help_topic=topic,
        ), 0
    return None, wanted


def _cancel_now(ask: _Ask, facts: dict) -> Decision:
    if ask.kind == Kind.SIP_TRUNK:
        reason, rule, topic = (
            f"Delete removes {ask.name} from your account today.",
            ("A6",),
            HelpTopic.SIP_TRUNKS,
        )
    elif ask.kind == Kind.LINE:
        reason, rule, topic = (
            f"Cancel Line takes {ask.name} out of service today: its number plan and every "
            "feature on it go with it.",
            ("I4", "I5"),
            HelpTopic.CANCEL_LINE,
        )
    else:
        reason, rule, topic = (f"{ask.name} ends today.", (), HelpTopic.PLANS_AND_FEATURES)
    if ask.policy.cancel_irreversible:
        reason += " This cannot be undone."
    facts.setdefault("removes", _removal_list(ask))
    if _is_app_store(ask):
        # I9: the line goes here, but Apple keeps billing until it is cancelled there too.
        rule += ("I9",)
        facts["notes"] += (
            "This line's plan was bought through the Apple App Store. Cancel Line removes "
            "the line here, but Apple keeps charging until you also cancel the subscription "
            "in the App Store: follow the steps below.",
        )
        facts["app_store_steps"] = APP_STORE_STEPS
        facts["app_store_help_url"] = APP_STORE_HELP_URL
    return ask.decision(
        allowed=True,
        channel=Channel.NOW,
        reason=reason,
        rule=rule,
        help_topic=topic,
        service_ends=ask.today,
        takes_effect=ask.today,
        irreversible=ask.policy.cancel_irreversible,
        **facts,
    )


def _cancel_term_end(ask: _Ask, facts: dict) -> Decision:
    ends = ask.sub.term_end or ask.today
    credits = " and its usage credits" if ask.sub.usage_credits > 0 else ""
    rule = {
        Kind.CALL_INSIGHTS: ("A9", "I3"),
        Kind.NUMBER_TESTING: ("A10", "I3"),
        Kind.ADDON: ("I7", "I3"),
    }.get(ask.kind, ("I3",))
    topic = {
        Kind.CALL_INSIGHTS: HelpTopic.CALL_INSIGHTS,
        Kind.NUMBER_TESTING: HelpTopic.NUMBER_TESTING,
    }.get(ask.kind, HelpTopic.PLANS_AND_FEATURES)
    facts.setdefault("removes", (f"{ask.name}, from {_when(ends)}",))
    return ask.decision(
        allowed=True,
        channel=Channel.TERM_END,
        reason=f"Cancelling stops {ask.name} from renewing. You keep it{credits} until the "
        f"current term ends on {_when(ends)}.",
        rule=rule,
        help_topic=topic,
        service_ends=ends,
        takes_effect=ends,
        irreversible=ask.policy.cancel_irreversible,
        **facts,
    )


def _cancel_by_case(ask: _Ask, facts: dict) -> Decision:
    reason = (
        f"{ask.name} is cancelled through a Cancellation Request: a support case with your "
        "name, company or account ID and contact details. Our team carries it out and "
        "confirms by e-mail."
    )
    # A2 names numbers and user licenses; other products may use a case by policy too.
    rule: tuple[str, ...] = ("A2",) if ask.kind in A2_KINDS else ()
    topic = HelpTopic.CANCELLATION_REQUEST
    if ask.kind == Kind.CONTACT_CENTER_LICENSE:
        minimum = ask.policy.minimum_quantity
        reason += (
            f" Organizations keep at least {minimum} contact-center licenses, so a request "
            f"keeps {minimum} or more, or cancels them all."
        )
        rule, topic = ("A11",), HelpTopic.CONTACT_CENTER
    elif ask.kind == Kind.USER_LICENSE:
        rule, topic = ("A2", "A5"), HelpTopic.LICENSES
    facts.setdefault("removes", (ask.name,))
    return ask.decision(
        allowed=True,
        channel=Channel.SUPPORT_CASE,
        reason=reason,
        rule=rule,
        help_topic=topic,
        irreversible=ask.policy.cancel_irreversible,
        **facts,
    )


def _cancel_by_account_manager(ask: _Ask, facts: dict) -> Decision:
    facts.setdefault("removes", (ask.name,))
    return ask.decision(
        allowed=True,
        channel=Channel.ACCOUNT_MANAGER,
        reason=_account_manager_reason(ask, "upgraded and cancelled"),
        rule=("A12",) if ask.kind == Kind.JETPACK else (),
        help_topic=HelpTopic.JETPACKS,
        irreversible=ask.policy.cancel_irreversible,
        **facts,
    )


def _cancel_unknown_channel(ask: _Ask, facts: dict) -> Decision:
    return ask.refuse(
        f"{ask.name} has no cancellation set up yet. Open a support case and we will help.",
        help_topic=HelpTopic.CANCELLATION_REQUEST,
    )


_CANCEL_CHANNELS = {
    "now": _cancel_now,
    "term_end": _cancel_term_end,
    "support_case": _cancel_by_case,
    "account_manager": _cancel_by_account_manager,
}


def _decide_delete(ask: _Ask) -> Decision:
    """A6: SIP trunks are cancelled with Delete; other products are cancelled instead."""
    if ask.kind != Kind.SIP_TRUNK:
        return ask.refuse(
            f"Only SIP trunks are deleted. Use Cancel for {ask.name}.",
            rule=("A6",),
            help_topic=HelpTopic.SIP_TRUNKS,
        )
    return _decide_cancel(ask)


def _decide_keep(ask: _Ask) -> Decision:
    """Undo a scheduled cancellation (or a scheduled downgrade) before the term ends."""
    sub = ask.sub
    refusal = _state_refusal(ask)
    if refusal:
        return refusal
    ending = sub.state == State.CANCELS_AT_TERM_END
    if not ending and not sub.scheduled_plan_name:
        return ask.refuse(f"{ask.name} is not set to end or change; there is nothing to keep.")
    if sub.term_end is not None and sub.term_end < ask.today:
        return ask.refuse(f"The term of {ask.name} has already ended.", rule=("I3",))
    refusal = _role_refusal(
        ask,
        min_role=ask.policy.cancel_min_role if ending else ask.policy.manage_min_role,
        doing=f"keep {ask.name}",
    )
    if refusal:
        return refusal
    if sub.state == State.CANCELS_AT_TERM_END:
        reason = f"Keep {ask.name}: it renews on {_when(sub.term_end)} as usual."
    else:
        reason = (
            f"Keep {ask.name}: the change to {sub.scheduled_plan_name} on "
            f"{_when(sub.term_end)} is withdrawn."
        )
    return ask.decision(
        allowed=True,
        channel=Channel.NOW,
        reason=reason,
        rule=("I3",),
        help_topic=HelpTopic.PLANS_AND_FEATURES,
        takes_effect=ask.today,
    )


# --- plans and quantities --------------------------------------------------------


def _decide_change_plan(ask: _Ask) -> Decision:
    policy, sub = ask.policy, ask.sub
    refusal = _state_refusal(ask, allow_scheduled_end=False)
    if refusal:
        return refusal
    if not policy.changeable_to or policy.change_channel == "none":
        return ask.refuse(
            f"{ask.name} has no other plans to change to.", help_topic=HelpTopic.CHANGE_PLAN
        )
    refusal = _role_refusal(ask, min_role=policy.manage_min_role, doing=f"change {ask.name}")
    if refusal:
        return refusal
    if _is_app_store(ask):
        return _app_store_refusal(ask, "change its plan")
    target = ask.requested_plan
    if target is not None and target.product_id not in {p.product_id for p in policy.changeable_to}:
        return ask.refuse(
            f"{target.name} is not one of the plans {ask.name} can change to.",
            help_topic=HelpTopic.CHANGE_PLAN,
        )
    if target is not None and target.tier == policy.tier:
        return ask.refuse(f"{ask.name} is already on a plan of that size.")
    if policy.change_channel == "account_manager":
        return ask.decision(
            allowed=True,
            channel=Channel.ACCOUNT_MANAGER,
            reason=_account_manager_reason(ask, "upgraded and cancelled"),
            rule=("A12",) if ask.kind == Kind.JETPACK else (),
            help_topic=HelpTopic.JETPACKS,
            plan=target,
        )
    if policy.change_channel == "support_case":
        return ask.decision(
            allowed=True,
            channel=Channel.SUPPORT_CASE,
            reason=f"Plan changes for {ask.name} go through a support case; our team confirms "
            "the new plan by e-mail.",
            help_topic=HelpTopic.CHANGE_PLAN,
            plan=target,
        )
    if policy.change_channel != "portal":
        return ask.refuse(f"{ask.name} has no plan changes set up yet. Open a support case.")
    rule = {Kind.CALL_INSIGHTS: ("A9",), Kind.NUMBER_TESTING: ("A10",)}.get(ask.kind, ())
    topic = {
        Kind.CALL_INSIGHTS: HelpTopic.CALL_INSIGHTS,
        Kind.NUMBER_TESTING: HelpTopic.NUMBER_TESTING,
    }.get(ask.kind, HelpTopic.CHANGE_PLAN)
    if target is None:
        return ask.decision(
            allowed=True,
            channel=Channel.NOW,
            reason=f"Change {ask.name} here at any time: a bigger plan starts today, a smaller "
            f"one when the current term ends on {_when(sub.term_end)}.",
            rule=rule,
            help_topic=topic,
        )
    if target.tier > policy.tier:
        return ask.decision(
            allowed=True,
            channel=Channel.NOW,
            reason=f"{target.name} replaces {ask.name} today.",
            rule=rule,
            help_topic=topic,
            takes_effect=ask.today,
            plan=target,
        )
    ends = sub.term_end or ask.today
    return ask.decision(
        allowed=True,
        channel=Channel.TERM_END,
        reason=f"You keep {ask.name} until the current term ends on {_when(ends)}; "
        f"{target.name} starts then.",
        rule=(*rule, "I3"),
        help_topic=topic,
        takes_effect=ends,
        no_refund=True,
        notes=("Nothing is refunded for the rest of the current term.",),
        plan=target,
    )


def _decide_change_quantity(ask: _Ask) -> Decision:
    policy, sub = ask.policy, ask.sub
    if ask.kind not in QUANTITY_KINDS:
        return ask.refuse(
            f"{ask.name} is not held in quantity: add or cancel it as a whole.",
            help_topic=HelpTopic.STATES,
        )
    refusal = _state_refusal(ask, allow_scheduled_end=False)
    if refusal:
        return refusal
    wanted = ask.requested_quantity
    if wanted is not None and wanted < sub.quantity:
        # Fewer seats is a partial cancellation: its rules (A11, A5, fee, no refund) apply.
        return _decide_cancel(dataclasses.replace(ask, action=Action.CANCEL))
    refusal = _role_refusal(ask, min_role=policy.manage_min_role, doing=f"change {ask.name}")
    if refusal:
        return refusal
    if _is_app_store(ask):
        return _app_store_refusal(ask, "change it")
    if wanted == sub.quantity:
        return ask.refuse(f"You already hold {sub.quantity}.", rule=("A11",))
    channel = {
        "portal": Channel.NOW,
        "support_case": Channel.SUPPORT_CASE,
        "account_manager": Channel.ACCOUNT_MANAGER,
    }.get(policy.change_channel)
    if channel is None:
        return ask.refuse(f"The quantity of {ask.name} cannot be changed here.")
    minimum = policy.minimum_quantity
    how = {
        Channel.NOW: "here; added licenses start today",
        Channel.SUPPORT_CASE: "through a support case",
        Channel.ACCOUNT_MANAGER: "through your account manager",
    }[channel]
    return ask.decision(
        allowed=True,
        channel=channel,
        reason=f"You hold {sub.quantity}. Add more {how}; fewer is a cancellation request, "
        f"and at least {minimum} always stay.",
        rule=("A11",),
        help_topic=HelpTopic.CONTACT_CENTER,
        takes_effect=ask.today if channel is Channel.NOW else None,
    )


# --- numbers and lines -------------------------------------------------------------


def _number_kind_refusal(ask: _Ask, what: str):
    if ask.kind not in NUMBER_KINDS:
        return ask.refuse(f"{ask.name} has no phone number, so there is no {what}.")
    return None


def _decide_toggle(ask: _Ask) -> Decision:
    setting = ask.setting
    if setting is Setting.CALLING_MODE and ask.kind != Kind.LINE:
        return ask.refuse(
            f"Calling mode is a setting of lines; {ask.name} has none.",
            rule=("I1",),
            help_topic=HelpTopic.CALLING_MODE,
        )
    refusal = _number_kind_refusal(ask, "setting to switch")
    if refusal:
        return refusal
    refusal = _state_refusal(ask)
    if refusal:
        return refusal
    if setting is Setting.CALLING_MODE:
        rule, topic = ("I1",), HelpTopic.CALLING_MODE
        reason = (
            f"Choose how {ask.name} places and receives calls: the voice network is the "
            "usual fix when calls over data drop."
        )
    else:
        rule, topic = ("A7",), HelpTopic.CALL_RECORDING
        reason = f"Inbound call recording is switched for each number, here on {ask.name}."
    refusal = _role_refusal(
        ask,
        min_role=ask.policy.manage_min_role,
        doing=f"change the settings of {ask.name}",
        rule=rule,
    )
    if refusal:
        return refusal
    return ask.decision(
        allowed=True,
        channel=Channel.NOW,
        reason=reason,
        rule=rule,
        help_topic=topic,
        takes_effect=ask.today,
    )


def _decide_change_number(ask: _Ask) -> Decision:
    refusal = _number_kind_refusal(ask, "number to change")
    if refusal:
        return refusal
    refusal = _state_refusal(ask, allow_scheduled_end=False)
    if refusal:
        return refusal
    refusal = _role_refusal(
        ask, min_role=ask.policy.manage_min_role, doing=f"change {ask.name}", rule=("I1",)
    )
    if refusal:
        return refusal
    channel = {
        "portal": Channel.NOW,
        "support_case": Channel.SUPPORT_CASE,
        "account_manager": Channel.ACCOUNT_MANAGER,
    }.get(ask.policy.change_channel)
    if channel is None:
        return ask.refuse(
            f"The number of {ask.name} cannot be changed; open a support case to ask.",
            rule=("I1",),
            help_topic=HelpTopic.CHANGE_NUMBER,
        )
    if channel is Channel.NOW:
        limited = _number_change_limit(ask)
        if limited:
            return limited
    reason = {
        Channel.NOW: f"Pick a new number for {ask.name}: the service and settings stay, "
        "the old number is released.",
        Channel.SUPPORT_CASE: f"A new number for {ask.name} is arranged through a support "
        "case; the service stays as it is meanwhile.",
        Channel.ACCOUNT_MANAGER: _account_manager_reason(ask, "changed"),
    }[channel]
    return ask.decision(
        allowed=True,
        channel=channel,
        reason=reason,
        rule=("I1",),
        help_topic=HelpTopic.CHANGE_NUMBER,
        takes_effect=ask.today if channel is Channel.NOW else None,
    )


def _number_change_limit(ask: _Ask) -> Decision | None:
    """Past the limits of `NumberChanges`, a new number is asked of support instead: the
    free numbers are shared, so one line or one organization cannot empty the stock."""
    made = ask.number_changes
    if made is None:
        return None
    limits = made.limits
    days = limits.period_days
    shared = "Our free numbers are shared by all our customers"
    ask_us = "Send a request and our team will find you a number."
    if limits.per_line <= 0 or limits.per_organization <= 0:
        reason = f"New numbers are arranged by our team. {ask_us}"
        return _number_change_by_case(ask, reason)
    # A change made on day D counts until day D + period_days, when it is free again.
    counted = ask.today - timedelta(days=days)
    for changed_on, limit, whose in (
        (made.line, limits.per_line, "line"),
        (made.organization, limits.per_organization, "organization"),
    ):
        recent = sorted(day for day in changed_on if counted < day <= ask.today)
        if len(recent) < limit:
            continue
        again = _when(recent[len(recent) - limit] + timedelta(days=days))
        if whose == "line":
            reason = (
                f"The number of {ask.name} has already changed {_times(len(recent))} in the "
                f"last {days} days, as often as one line may. {shared}: you can pick a new "
                f"one here again from {again}. {ask_us}"
            )
        else:
            reason = (
                f"Your organization has already changed {len(recent)} numbers in the last "
                f"{days} days, as many as we allow. {shared}: you can pick a new one here "
                f"again from {again}. {ask_us}"
            )
        return _number_change_by_case(ask, reason)
    return None


def _number_change_by_case(ask: _Ask, reason: str) -> Decision:
    return ask.decision(
        allowed=True,
        channel=Channel.SUPPORT_CASE,
        reason=reason,
        rule=("I1",),
        help_topic=HelpTopic.CHANGE_NUMBER,
    )


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _decide_block_numbers(ask: _Ask) -> Decision:
    refusal = _number_kind_refusal(ask, "block list")
    if refusal:
        return refusal
    refusal = _state_refusal(ask, allow_suspended=True)
    if refusal:
        return refusal
    refusal = _role_refusal(
        ask,
        min_role=ask.policy.manage_min_role,
        doing=f"block numbers on {ask.name}",
        rule=("I1",),
    )
    if refusal:
        return refusal
    return ask.decision(
        allowed=True,
        channel=Channel.NOW,
        reason=f"Blocked numbers can no longer reach {ask.name}. Blocking is free.",
        rule=("I1",),
        help_topic=HelpTopic.BLOCK_NUMBERS,
        takes_effect=ask.today,
    )


def _decide_reactivate(ask: _Ask) -> Decision:
    policy, sub = ask.policy, ask.sub
    if sub.state == State.ACTIVE:
        return ask.refuse(f"{ask.name} is active; there is nothing to reactivate.")
    if sub.state == State.CANCELS_AT_TERM_END:
        return ask.refuse(
            f"{ask.name} is still in service until {_when(sub.term_end)}. Choose Keep to let "
            "it renew.",
            rule=("I3",),
        )
    if sub.state not in (State.SUSPENDED, State.CANCELLED):
        return ask.refuse(f"{ask.name} cannot be reactivated from its current state.")
    if sub.cancelled_by_cancel_line:
        return ask.refuse(
            f"{ask.name} was removed with Cancel Line, which cannot be undone. Order a new "
            "line instead.",
            rule=("I5",),
            help_topic=HelpTopic.CANCEL_LINE,
        )
    refusal = _role_refusal(ask, min_role=policy.manage_min_role, doing=f"reactivate {ask.name}")
    if refusal:
        return refusal
    if _is_app_store(ask):
        return _app_store_refusal(ask, "renew it")
    if not policy.is_sellable:
        return ask.refuse(f"{policy.product_name} is no longer offered, so it cannot come back.")
    if not sub.parent_live:
        return ask.refuse(f"The line {ask.name} belongs to is cancelled; reactivate it first.")
    if sub.state == State.CANCELLED:
        hold = policy.reactivation_hold_days
        if hold <= 0:
            return ask.refuse(f"{ask.name} cannot be reactivated once cancelled.")
        if sub.cancelled_on is None:
            return ask.refuse(
                f"When {ask.name} was cancelled is not recorded; open a support case to "
                "bring it back.",
                help_topic=HelpTopic.REACTIVATE,
            )
        deadline = sub.cancelled_on + timedelta(days=hold)
        if ask.today > deadline:
            return ask.refuse(
                f"{ask.name} was cancelled on {_when(sub.cancelled_on)} and could be "
                f"reactivated for {hold} days, until {_when(deadline)}. Order it again instead.",
                help_topic=HelpTopic.REACTIVATE,
            )
        reason = f"You can reactivate {ask.name} until {_when(deadline)}; it comes back today."
    else:
        reason = f"Reactivate {ask.name} to bring it back into service today."
    return ask.decision(
        allowed=True,
        channel=Channel.NOW,
        reason=reason,
        rule=("I1",),
        help_topic=HelpTopic.REACTIVATE,
        takes_effect=ask.today,
    )


_DECIDERS = {
    Action.CANCEL: _decide_cancel,
    Action.DELETE: _decide_delete,
    Action.KEEP: _decide_keep,
    Action.CHANGE_PLAN: _decide_change_plan,
    Action.CHANGE_QUANTITY: _decide_change_quantity,
    Action.TOGGLE: _decide_toggle,
    Action.REACTIVATE: _decide_reactivate,
    Action.CHANGE_NUMBER: _decide_change_number,
    Action.BLOCK_NUMBERS: _decide_block_numbers,
}
