"""The policy engine, rule by rule: a table of cases, one test per rule, and every
role x action x product kind. Pure: these tests never open the database."""

import ast
import inspect
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import product as combinations

import pytest

from accounts.models import Role
from subscriptions import policy
from subscriptions.models import Product, ProductKind, SubscriptionState
from subscriptions.policy import (
    APP_STORE_HELP_URL,
    Action,
    AddonFacts,
    Channel,
    Decision,
    Kind,
    NumberChangeLimits,
    NumberChanges,
    PlanOption,
    PolicyFacts,
    Setting,
    State,
    SubscriptionFacts,
    decide,
)

TODAY = date(2026, 3, 10)
TERM_END = date(2026, 3, 31)
SUPER_ADMINS = ("Olivia Owens", "Sam Sato")
ACCOUNT_MANAGER = "Sam Staff"

ESSENTIALS = PlanOption(product_id=101, name="Call Insights Essentials", tier=1)
PROFESSIONAL = PlanOption(product_id=102, name="Call Insights Professional", tier=2)
ENTERPRISE = PlanOption(product_id=103, name="Call Insights Enterprise", tier=3)
TESTING_STANDARD = PlanOption(product_id=202, name="Number Testing Standard", tier=2)
JETPACK_SURGE = PlanOption(product_id=302, name="Jetpack Surge", tier=2)

# The policies of the seeded catalog, as the rules of PRODUCT.md set them.
POLICIES = {
    Kind.BUSINESS_NUMBER: PolicyFacts(
        product_name="Local business number",
        kind=Kind.BUSINESS_NUMBER,
        cancel_channel="support_case",
        change_channel="support_case",
    ),
    Kind.LINE: PolicyFacts(
        product_name="Second line",
        kind=Kind.LINE,
        cancel_channel="now",
        change_channel="portal",
        manage_min_role="member",
        cancel_irreversible=True,
    ),
    Kind.USER_LICENSE: PolicyFacts(
        product_name="User license",
        kind=Kind.USER_LICENSE,
        cancel_channel="support_case",
        cancel_min_role="super_admin",
    ),
    Kind.CONTACT_CENTER_LICENSE: PolicyFacts(
        product_name="Contact-center licenses",
        kind=Kind.CONTACT_CENTER_LICENSE,
        cancel_channel="support_case",
        change_channel="support_case",
        cancel_min_role="super_admin",
        minimum_quantity=3,
    ),
    Kind.SIP_TRUNK: PolicyFacts(
        product_name="SIP trunk",
        kind=Kind.SIP_TRUNK,
        cancel_channel="now",
        reactivation_hold_days=0,
    ),
    Kind.CALL_INSIGHTS: PolicyFacts(
        product_name=PROFESSIONAL.name,
        kind=Kind.CALL_INSIGHTS,
        cancel_channel="term_end",
        change_channel="portal",
        tier=2,
        product_id=PROFESSIONAL.product_id,
        changeable_to=(ESSENTIALS, ENTERPRISE),
    ),
    Kind.NUMBER_TESTING: PolicyFacts(
        product_name="Number Testing Starter",
        kind=Kind.NUMBER_TESTING,
        cancel_channel="term_end",
        change_channel="portal",
        tier=1,
        changeable_to=(TESTING_STANDARD,),
    ),
    Kind.JETPACK: PolicyFacts(
        product_name="Jetpack Boost",
        kind=Kind.JETPACK,
        cancel_channel="account_manager",
        change_channel="account_manager",
        tier=1,
        changeable_to=(JETPACK_SURGE,),
    ),
    Kind.ADDON: PolicyFacts(
        product_name="Call Recording", kind=Kind.ADDON, cancel_channel="term_end"
    ),
}

TEXT_ARCHIVE = AddonFacts(id=7, name="Text Archive", state="active")
CALL_RECORDING = AddonFacts(id=8, name="Call Recording", state="active")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Replaces the shared fixture of the same name, which opens the database: the
    engine is pure, so any database access in this module fails the test."""


def run(
    kind: str,
    action: Action,
    *,
    role: str = "super_admin",
    policy_changes: dict | None = None,
    sub: dict | None = None,
    **kwargs,
) -> Decision:
    facts = SubscriptionFacts(**{"name": f"The {kind}", "term_end": TERM_END, **(sub or {})})
    return decide(
        role=role,
        policy=replace(POLICIES[kind], **(policy_changes or {})),
        subscription=facts,
        action=action,
        today=TODAY,
        super_admin_names=SUPER_ADMINS,
        account_manager_name=ACCOUNT_MANAGER,
        **kwargs,
    )


def case(case_id, kind, action, expect, *, role="super_admin", policy=None, sub=None, **kwargs):
    return pytest.param(kind, action, role, policy, sub, kwargs, expect, id=case_id)


MINE = {"assigned_to_member": True}
ON_DATA = {"number": "+14155550123", "calling_mode": "data"}

CASES = [
    # A1: a fee from the policy, stated on every cancellation preview.
    case(
        "a1_fee_from_policy_stated_on_cancel_preview",
        Kind.CALL_INSIGHTS,
        Action.CANCEL,
        {"allowed": True, "fee": Decimal("25.00"), "notes_has": "fee of 25.00"},
        policy={"cancellation_fee": Decimal("25.00")},
    ),
    case(
        "a1_no_fee_by_default_and_the_preview_says_so",
        Kind.USER_LICENSE,
        Action.CANCEL,
        {"allowed": True, "fee": Decimal("0"), "notes_has": "no cancellation fee"},
    ),
    # A2: numbers and user licenses are Cancellation Requests.
    case(
        "a2_business_number_cancel_is_a_cancellation_request",
        Kind.BUSINESS_NUMBER,
        Action.CANCEL,
        {
            "allowed": True,
            "channel": Channel.SUPPORT_CASE,
            "rule": "A2",
            "reason_has": "Cancellation Request",
            "label": "Request cancellation",
        },
        role="admin",
    ),
    case(
        "a2_user_license_cancel_is_a_cancellation_request",
        Kind.USER_LICENSE,
        Action.CANCEL,
        {"allowed": True, "channel": Channel.SUPPORT_CASE, "rule": "A2", "service_ends": None},
    ),
    # A5: only Super Admins cancel licenses; the others learn who they are.
    case(
        "a5_admin_cannot_cancel_license",
        Kind.USER_LICENSE,
        Action.CANCEL,
        {
            "allowed": False,
            "rule": "A5",
            "reason_has": "Only Super Admins can cancel licenses; "
            "your Super Admins are Olivia Owens, Sam Sato",
        },
        role="admin",
    ),
    case(
        "a5_member_cannot_cancel_own_license",
        Kind.USER_LICENSE,
        Action.CANCEL,
        {"allowed": False, "rule": "A5", "reason_has": "Olivia Owens"},
        role="member",
        sub=MINE,
    ),
    case(
        "a5_admin_cannot_cancel_contact_center_licenses",
        Kind.CONTACT_CENTER_LICENSE,
        Action.CANCEL,
        {"allowed": False, "rule": "A5"},
        role="admin",
        sub={"quantity": 5},
    ),
    # A6: SIP trunks go with Delete, initial UCaaS trunks by a support case.
    case(
        "a6_trunk_delete_is_immediate_self_service",
        Kind.SIP_TRUNK,
        Action.DELETE,
        {
            "allowed": True,
            "channel": Channel.NOW,
            "rule": "A6",
            "label": "Delete",
            "service_ends": TODAY,
        },
        role="admin",
    ),
    case(
        "a6_trunk_cancel_is_the_delete_button",
        Kind.SIP_TRUNK,
        Action.CANCEL,
        {"allowed": True, "channel": Channel.NOW, "label": "Delete"},
        role="admin",
    ),
    case(
        "a6_initial_ucaas_trunk_needs_a_support_case",
        Kind.SIP_TRUNK,
        Action.DELETE,
        {
            "allowed": True,
            "channel": Channel.SUPPORT_CASE,
            "rule": "A6",
            "reason_has": "initial UCaaS",
        },
        role="admin",
        sub={"is_initial_ucaas_trunk": True},
    ),
    case(
        "a6_only_trunks_have_delete",
        Kind.CALL_INSIGHTS,
        Action.DELETE,
        {"allowed": False, "rule": "A6"},
    ),
    case(
        "a6_member_cannot_delete_a_trunk",
        Kind.SIP_TRUNK,
        Action.DELETE,
        {"allowed": False, "reason_has": "Only Admins and Super Admins"},
        role="member",
        sub=MINE,
    ),
    # A7: inbound recording per number: Admins, or a Member on their own line.
    case(
        "a7_admin_switches_inbound_recording_of_a_number",
        Kind.BUSINESS_NUMBER,
        Action.TOGGLE,
        {"allowed": True, "channel": Channel.NOW, "rule": "A7", "label": "Save"},
        role="admin",
        setting=Setting.INBOUND_RECORDING,
    ),
    case(
        "a7_member_switches_inbound_recording_of_own_line",
        Kind.LINE,
        Action.TOGGLE,
        {"allowed": True, "rule": "A7"},
        role="member",
        sub=MINE,
        setting=Setting.INBOUND_RECORDING,
    ),
    case(
        "a7_member_cannot_switch_recording_of_another_members_line",
        Kind.LINE,
        Action.TOGGLE,
        {"allowed": False, "rule": "A7", "reason_has": "not assigned to you"},
        role="member",
        setting=Setting.INBOUND_RECORDING,
    ),
    case(
        "a7_member_cannot_switch_recording_of_a_business_number",
        Kind.BUSINESS_NUMBER,
        Action.TOGGLE,
        {"allowed": False, "rule": "A7"},
        role="member",
        sub=MINE,
        setting=Setting.INBOUND_RECORDING,
    ),
    case(
        "a7_a_license_has_no_recording_switch",
        Kind.USER_LICENSE,
        Action.TOGGLE,
        {"allowed": False},
        setting=Setting.INBOUND_RECORDING,
    ),
    # A8: outbound recording is one switch for the organization, Admins and up.
    case(
        "a8_admin_switches_outbound_recording_for_the_organization",
        Kind.BUSINESS_NUMBER,
        Action.TOGGLE,
        {"allowed": True, "rule": "A8"},
        role="admin",
        setting=Setting.OUTBOUND_RECORDING,
    ),
    case(
        "a8_member_cannot_switch_outbound_recording",
        Kind.LINE,
        Action.TOGGLE,
        {"allowed": False, "rule": "A8"},
        role="member",
        sub=MINE,
        setting=Setting.OUTBOUND_RECORDING,
    ),
    # A9: Call Insights: Cancel Plan and View or Change Plan, in the portal, any time.
    case(
        "a9_call_insights_cancel_plan_at_term_end",
        Kind.CALL_INSIGHTS,
        Action.CANCEL,
        {
            "allowed": True,
            "channel": Channel.TERM_END,
            "rule": "A9",
            "label": "Cancel Plan",
            "service_ends": TERM_END,
        },
        role="admin",
    ),
    case(
        "a9_call_insights_view_or_change_plan",
        Kind.CALL_INSIGHTS,
        Action.CHANGE_PLAN,
        {"allowed": True, "rule": "A9", "label": "View or Change Plan"},
        role="admin",
    ),
    case(
        "a9_call_insights_upgrade_starts_today",
        Kind.CALL_INSIGHTS,
        Action.CHANGE_PLAN,
        {"allowed": True, "channel": Channel.NOW, "takes_effect": TODAY, "plan": ENTERPRISE},
        role="admin",
        requested_plan=ENTERPRISE,
    ),
    case(
        "a9_call_insights_downgrade_waits_for_the_term_end",
        Kind.CALL_INSIGHTS,
        Action.CHANGE_PLAN,
        {"allowed": True, "channel": Channel.TERM_END, "takes_effect": TERM_END, "no_refund": True},
        role="admin",
        requested_plan=ESSENTIALS,
    ),
    case(
        "a9_call_insights_refuses_a_plan_it_cannot_change_to",
        Kind.CALL_INSIGHTS,
        Action.CHANGE_PLAN,
        {"allowed": False, "reason_has": "not one of the plans"},
        role="admin",
        requested_plan=JETPACK_SURGE,
    ),
    case(
        "a9_member_cannot_cancel_call_insights",
        Kind.CALL_INSIGHTS,
        Action.CANCEL,
        {"allowed": False},
        role="member",
        sub=MINE,
    ),
    # A10: Number Testing packages, the same way.
    case(
        "a10_number_testing_cancel_at_term_end",
        Kind.NUMBER_TESTING,
        Action.CANCEL,
        {"allowed": True, "channel": Channel.TERM_END, "rule": "A10"},
        role="admin",
    ),
    case(
        "a10_number_testing_upgrade_now",
        Kind.NUMBER_TESTING,
        Action.CHANGE_PLAN,
        {"allowed": True, "channel": Channel.NOW, "rule": "A10"},
        role="admin",
        requested_plan=TESTING_STANDARD,
    ),
    # A11: contact-center licenses: a support case, never one or two left.
    case(
        "a11_contact_center_cancel_all_is_a_support_case",
        Kind.CONTACT_CENTER_LICENSE,
        Action.CANCEL,
        {"allowed": True, "channel": Channel.SUPPORT_CASE, "rule": "A11"},
        sub={"quantity": 5},
    ),
    case(
        "a11_contact_center_keeping_zero_cancels_all",
        Kind.CONTACT_CENTER_LICENSE,
        Action.CANCEL,
        {"allowed": True, "channel": Channel.SUPPORT_CASE},
        sub={"quantity": 5},
        requested_quantity=0,
    ),
    case(
        "a11_contact_center_leaving_two_refused",
        Kind.CONTACT_CENTER_LICENSE,
        Action.CANCEL,
        {"allowed": False, "rule": "A11", "reason_has": "cancel all 5"},
        sub={"quantity": 5},
        requested_quantity=2,
    ),
    case(
        "a11_contact_center_leaving_one_refused",
        Kind.CONTACT_CENTER_LICENSE,
        Action.CANCEL,
        {"allowed": False, "rule": "A11", "reason_has": "at least 3"},
        sub={"quantity": 5},
        requested_quantity=1,
    ),
    case(
        "a11_contact_center_leaving_three_allowed",
        Kind.CONTACT_CENTER_LICENSE,
        Action.CANCEL,
        {"allowed": True, "channel": Channel.SUPPORT_CASE, "removes_has": "2 of your 5"},
        sub={"quantity": 5},
        requested_quantity=3,
    ),
    case(
        "a11_fewer_licenses_is_a_cancellation_request",
        Kind.CONTACT_CENTER_LICENSE,
        Action.CHANGE_QUANTITY,
        {"allowed": True, "channel": Channel.SUPPORT_CASE, "action": Action.CANCEL},
        sub={"quantity": 5},
        requested_quantity=4,
    ),
    case(
        "a11_quantity_change_to_two_refused",
        Kind.CONTACT_CENTER_LICENSE,
        Action.CHANGE_QUANTITY,
        {"allowed": False, "rule": "A11"},
        sub={"quantity": 5},
        requested_quantity=2,
    ),
    case(
        "a11_more_licenses_through_a_support_case",
        Kind.CONTACT_CENTER_LICENSE,
        Action.CHANGE_QUANTITY,
        {"allowed": True, "channel": Channel.SUPPORT_CASE, "rule": "A11"},
        role="admin",
        sub={"quantity": 5},
        requested_quantity=8,
    ),
    # A12: Jetpacks through the account manager, with a custom quote.
    case(
        "a12_jetpack_cancel_through_the_account_manager",
        Kind.JETPACK,
        Action.CANCEL,
        {
            "allowed": True,
            "channel": Channel.ACCOUNT_MANAGER,
            "rule": "A12",
            "reason_has": "Sam Staff",
            "label": "Contact your account manager",
        },
        role="admin",
    ),
    case(
        "a12_jetpack_upgrade_through_the_account_manager",
        Kind.JETPACK,
        Action.CHANGE_PLAN,
        {
            "allowed": True,
            "channel": Channel.ACCOUNT_MANAGER,
            "rule": "A12",
            "reason_has": "custom quote",
        },
        role="admin",
        requested_plan=JETPACK_SURGE,
    ),
    # I1: fixes before cancelling, and the fixes themselves.
    case(
        "i1_fixes_offered_before_cancelling_a_line_on_data",
        Kind.LINE,
        Action.CANCEL,
        {"fix_codes": ("calling_mode_voice", "device_settings", "change_number", "block_numbers")},
        sub=ON_DATA,
    ),
    case(
        "i1_calling_mode_fix_left_out_on_the_voice_network",
        Kind.LINE,
        Action.CANCEL,
        {"fix_codes": ("device_settings", "change_number", "block_numbers")},
        sub={"calling_mode": "voice"},
    ),
    case(
        "i1_reactivate_offered_for_a_suspended_number",
        Kind.BUSINESS_NUMBER,
        Action.CANCEL,
        {"fix_codes": ("reactivate", "device_settings", "change_number", "block_numbers")},
        sub={"state": "suspended"},
    ),
    case("i1_no_number_fixes_for_a_license", Kind.USER_LICENSE, Action.CANCEL, {"fix_codes": ()}),
    case(
        "i1_member_switches_own_line_to_the_voice_network",
        Kind.LINE,
        Action.TOGGLE,
        {"allowed": True, "rule": "I1"},
        role="member",
        sub={**MINE, **ON_DATA},
        setting=Setting.CALLING_MODE,
    ),
    case(
        "i1_calling_mode_is_for_lines_only",
        Kind.BUSINESS_NUMBER,
        Action.TOGGLE,
        {"allowed": False, "rule": "I1"},
        setting=Setting.CALLING_MODE,
    ),
    case(
        "i1_member_blocks_numbers_on_own_line_for_free",
        Kind.LINE,
        Action.BLOCK_NUMBERS,
        {"allowed": True, "channel": Channel.NOW, "fee": Decimal("0"), "reason_has": "free"},
        role="member",
        sub=MINE,
    ),
    case(
        "i1_member_changes_own_line_number_in_the_portal",
        Kind.LINE,
        Action.CHANGE_NUMBER,
        {"allowed": True, "channel": Channel.NOW, "label": "Change number"},
        role="member",
        sub=MINE,
    ),
    case(
        "i1_a_line_changed_as_often_as_allowed_asks_support_for_its_next_number",
        Kind.LINE,
        Action.CHANGE_NUMBER,
        {
            "allowed": True,
            "channel": Channel.SUPPORT_CASE,
            "label": "Request a new number",
            "reason_has": "already changed twice in the last 30 days",
        },
        role="member",
        sub=MINE,
        number_changes=NumberChanges(line=(TODAY, TODAY), organization=(TODAY, TODAY)),
    ),
    case(
        "i1_business_number_change_by_support_case",
        Kind.BUSINESS_NUMBER,
        Action.CHANGE_NUMBER,
        {"allowed": True, "channel": Channel.SUPPORT_CASE},
        role="admin",
    ),
    case(
        "i1_reactivate_a_cancelled_number_within_the_hold",
        Kind.BUSINESS_NUMBER,
        Action.REACTIVATE,
        {"allowed": True, "channel": Channel.NOW, "reason_has": "until 20 March 2026"},
        role="admin",
        sub={"state": "cancelled", "cancelled_on": TODAY - timedelta(days=20)},
    ),
    case(
        "i1_reactivate_refused_after_the_hold",
        Kind.BUSINESS_NUMBER,
        Action.REACTIVATE,
        {"allowed": False, "reason_has": "30 days"},
        role="admin",
        sub={"state": "cancelled", "cancelled_on": TODAY - timedelta(days=31)},
    ),
    case(
        "i1_reactivate_a_suspended_number",
        Kind.BUSINESS_NUMBER,
        Action.REACTIVATE,
        {"allowed": True},
        role="admin",
        sub={"state": "suspended"},
    ),
    # I2: no refund, on every cancellation.
    case(
        "i2_no_refund_on_a_term_end_cancellation",
        Kind.ADDON,
        Action.CANCEL,
        {"no_refund": True, "notes_has": "Nothing is refunded"},
    ),
    case(
        "i2_no_refund_on_cancel_line",
        Kind.LINE,
        Action.CANCEL,
        {"no_refund": True, "notes_has": "Nothing is refunded"},
    ),
    # I3: service and credits until the term end; Keep undoes it.
    case(
        "i3_term_end_keeps_service_and_credits",
        Kind.ADDON,
        Action.CANCEL,
        {
            "service_ends": TERM_END,
            "reason_has": "usage credits until the current term ends on 31 March 2026",
        },
        sub={"usage_credits": Decimal("12.50")},
    ),
    case(
        "i3_keep_undoes_a_scheduled_cancellation",
        Kind.CALL_INSIGHTS,
        Action.KEEP,
        {"allowed": True, "label": "Keep", "rule": "I3"},
        role="admin",
        sub={"state": "cancels_at_term_end"},
    ),
    case(
        "i3_already_set_to_end_cannot_be_cancelled_again",
        Kind.CALL_INSIGHTS,
        Action.CANCEL,
        {"allowed": False, "reason_has": "already set to end"},
        sub={"state": "cancels_at_term_end"},
    ),
    case(
        "i3_keep_undoes_a_scheduled_downgrade",
        Kind.CALL_INSIGHTS,
        Action.KEEP,
        {"allowed": True, "reason_has": "Call Insights Essentials"},
        role="admin",
        sub={"scheduled_plan_name": "Call Insights Essentials"},
    ),
    case(
        "i3_nothing_to_keep",
        Kind.CALL_INSIGHTS,
        Action.KEEP,
        {"allowed": False, "reason_has": "nothing to keep"},
    ),
    # I4 + I5: Cancel Line: self-service, today, irreversible, lists what goes.
    case(
        "i4_cancel_line_is_self_service_today",
        Kind.LINE,
        Action.CANCEL,
        {
            "allowed": True,
            "channel": Channel.NOW,
            "rule": "I4",
            "label": "Cancel Line",
            "service_ends": TODAY,
        },
        role="admin",
    ),
    case(
        "i5_cancel_line_is_irreversible_and_lists_what_goes",
        Kind.LINE,
        Action.CANCEL,
        {
            "irreversible": True,
            "rule": "I5",
            "removes_has": "+14155550123 and its phone number plan",
        },
        sub=ON_DATA,
    ),
    case(
        "i5_a_line_removed_by_cancel_line_never_comes_back",
        Kind.LINE,
        Action.REACTIVATE,
        {"allowed": False, "rule": "I5"},
        sub={"state": "cancelled", "cancelled_on": TODAY, "cancelled_by_cancel_line": True},
    ),
    # I6: add-ons first.
    case(
        "i6_cancel_line_refused_while_addons_are_active",
        Kind.LINE,
        Action.CANCEL,
        {
            "allowed": False,
            "rule": "I6",
            "addons_to_cancel_first": ("Text Archive", "Call Recording"),
            "addon_ids_to_cancel_first": (7, 8),
        },
        sub={"addons": (TEXT_ARCHIVE, CALL_RECORDING)},
    ),
    case(
        "i6_an_addon_set_to_end_no_longer_blocks_cancel_line",
        Kind.LINE,
        Action.CANCEL,
        {"allowed": True, "removes_has": "The Text Archive add-on"},
        sub={"addons": (replace(TEXT_ARCHIVE, state="cancels_at_term_end"),)},
    ),
    # I7: add-ons and plans, each on its own.
    case(
        "i7_addon_cancelled_on_its_own_at_term_end",
        Kind.ADDON,
        Action.CANCEL,
        {"allowed": True, "channel": Channel.TERM_END, "rule": "I7", "label": "Cancel Plan"},
        role="admin",
    ),
    # I8: a plan bought in the App Store is cancelled there.
    case(
        "i8_app_store_addon_cannot_be_cancelled_here",
        Kind.ADDON,
        Action.CANCEL,
        {
            "allowed": False,
            "channel": Channel.APP_STORE,
            "rule": "I8",
            "app_store_help_url": APP_STORE_HELP_URL,
            "label": "Cancel in the App Store",
        },
        sub={"purchase_channel": "app_store"},
    ),
    case(
        "i8_app_store_plan_cannot_change_tier_here",
        Kind.CALL_INSIGHTS,
        Action.CHANGE_PLAN,
        {"allowed": False, "channel": Channel.APP_STORE, "rule": "I8"},
        sub={"purchase_channel": "app_store"},
    ),
    # I9: an App Store line is cancelled here, and Apple must be told too.
    case(
        "i9_app_store_line_is_cancelled_here_with_the_apple_steps",
        Kind.LINE,
        Action.CANCEL,
        {
            "allowed": True,
            "channel": Channel.NOW,
            "rule": "I9",
            "label": "Cancel Line",
            "notes_has": "cancel the subscription in the App Store",
            "app_store_help_url": APP_STORE_HELP_URL,
        },
        sub={"purchase_channel": "app_store"},
    ),
    # States.
    case(
        "state_a_cancelled_subscription_cannot_be_cancelled_again",
        Kind.USER_LICENSE,
        Action.CANCEL,
        {"allowed": False, "reason_has": "already cancelled"},
        sub={"state": "cancelled", "cancelled_on": TODAY},
    ),
    case(
        "state_suspended_plan_cannot_change",
        Kind.CALL_INSIGHTS,
        Action.CHANGE_PLAN,
        {"allowed": False, "reason_has": "Reactivate it first"},
        sub={"state": "suspended"},
    ),
]


@pytest.mark.parametrize(
    ("kind", "action", "role", "policy_changes", "sub", "kwargs", "expect"), CASES
)
def test_rule_table(kind, action, role, policy_changes, sub, kwargs, expect):
    decision = run(kind, action, role=role, policy_changes=policy_changes, sub=sub, **kwargs)
    for key, wanted in expect.items():
        if key == "rule":
            assert wanted in decision.rule, decision
        elif key == "reason_has":
            assert wanted in decision.reason
        elif key == "notes_has":
            assert any(wanted in note for note in decision.notes), decision.notes
        elif key == "removes_has":
            assert any(wanted in item for item in decision.removes), decision.removes
        elif key == "fix_codes":
            assert tuple(fix.code for fix in decision.fixes_first) == wanted
        elif key == "label":
            assert decision.label == wanted
        else:
            assert getattr(decision, key) == wanted, (key, decision)


def test_every_rule_of_the_engine_has_a_row_in_the_table():
    ids = " ".join(param.id for param in CASES)
    for rule in (
        *[f"a{n}" for n in (1, 2, 5, 6, 7, 8, 9, 10, 11, 12)],
        *[f"i{n}" for n in range(1, 10)],
    ):
        assert f"{rule}_" in ids, f"no table row for {rule.upper()}"


# --- one test per rule ---------------------------------------------------------------


@pytest.mark.parametrize("kind", list(Kind))
def test_a1_every_cancellation_preview_states_the_fee_from_the_policy(kind):
    for fee in (Decimal("0.00"), Decimal("19.90")):
        decision = run(
            kind,
            Action.CANCEL,
            policy_changes={"cancellation_fee": fee},
            sub={"quantity": 5},
        )
        assert decision.allowed, decision.reason
        assert decision.fee == fee
        assert any(("19.90" if fee else "no cancellation fee") in note for note in decision.notes)


@pytest.mark.parametrize("kind", [Kind.BUSINESS_NUMBER, Kind.USER_LICENSE])
def test_a2_numbers_and_user_licenses_are_cancelled_by_a_cancellation_request(kind):
    decision = run(kind, Action.CANCEL)
    assert decision.allowed
    assert decision.channel is Channel.SUPPORT_CASE
    assert "A2" in decision.rule
    assert decision.label == "Request cancellation"


@pytest.mark.parametrize("role", ["member", "admin"])
@pytest.mark.parametrize("kind", [Kind.USER_LICENSE, Kind.CONTACT_CENTER_LICENSE])
def test_a5_only_super_admins_cancel_licenses(kind, role):
    refused = run(kind, Action.CANCEL, role=role, sub={**MINE, "quantity": 5})
    assert not refused.allowed
    assert refused.rule == ("A5",)
    assert refused.reason == (
        "Only Super Admins can cancel licenses; your Super Admins are Olivia Owens, Sam Sato."
    )
    assert run(kind, Action.CANCEL, role="super_admin", sub={"quantity": 5}).allowed


def test_a5_without_known_super_admins_still_says_who_to_ask():
    decision = decide(
        role="admin",
        policy=POLICIES[Kind.USER_LICENSE],
        subscription=SubscriptionFacts(name="Seat 04"),
        action=Action.CANCEL,
        today=TODAY,
    )
    assert not decision.allowed
    assert "ask a Super Admin" in decision.reason


def test_a6_sip_trunks_are_deleted_now_except_initial_ucaas_trunks():
    deleted = run(Kind.SIP_TRUNK, Action.DELETE, role="admin")
    assert (deleted.allowed, deleted.channel, deleted.service_ends) == (True, Channel.NOW, TODAY)
    initial = run(Kind.SIP_TRUNK, Action.DELETE, role="admin", sub={"is_initial_ucaas_trunk": True})
    assert (initial.allowed, initial.channel) == (True, Channel.SUPPORT_CASE)
    assert initial.rule == ("A6",)
    assert initial.label == "Request cancellation"


@pytest.mark.parametrize(
    ("kind", "role", "assigned", "allowed"),
    [
        (Kind.BUSINESS_NUMBER, "admin", False, True),
        (Kind.BUSINESS_NUMBER, "super_admin", False, True),
        (Kind.BUSINESS_NUMBER, "member", True, False),
        (Kind.LINE, "admin", False, True),
        (Kind.LINE, "member", True, True),
        (Kind.LINE, "member", False, False),
    ],
)
def test_a7_inbound_recording_is_switched_per_number(kind, role, assigned, allowed):
    decision = run(
        kind,
        Action.TOGGLE,
        role=role,
        sub={"assigned_to_member": assigned},
        setting=Setting.INBOUND_RECORDING,
    )
    assert decision.allowed is allowed
    assert "A7" in decision.rule


@pytest.mark.parametrize(
    ("role", "allowed"), [("member", False), ("admin", True), ("super_admin", True)]
)
def test_a8_outbound_recording_is_one_switch_for_admins(role, allowed):
    direct = policy.decide_outbound_recording(role=role)
    assert direct.allowed is allowed
    assert direct.rule == ("A8",)
    # Through decide, whatever subscription the page happens to pass.
    via = run(Kind.LINE, Action.TOGGLE, role=role, sub=MINE, setting=Setting.OUTBOUND_RECORDING)
    assert via == direct


def test_a9_call_insights_cancel_plan_and_view_or_change_plan_in_the_portal():
    cancel = run(Kind.CALL_INSIGHTS, Action.CANCEL, role="admin")
    assert (cancel.label, cancel.channel, cancel.service_ends) == (
        "Cancel Plan",
        Channel.TERM_END,
        TERM_END,
    )
    change = run(Kind.CALL_INSIGHTS, Action.CHANGE_PLAN, role="admin")
    assert change.allowed and change.label == "View or Change Plan"
    up = run(Kind.CALL_INSIGHTS, Action.CHANGE_PLAN, role="admin", requested_plan=ENTERPRISE)
    down = run(Kind.CALL_INSIGHTS, Action.CHANGE_PLAN, role="admin", requested_plan=ESSENTIALS)
    assert (up.channel, up.takes_effect) == (Channel.NOW, TODAY)
    assert (down.channel, down.takes_effect) == (Channel.TERM_END, TERM_END)
    same = run(
        Kind.CALL_INSIGHTS,
        Action.CHANGE_PLAN,
        role="admin",
        requested_plan=replace(ENTERPRISE, tier=2),
    )
    assert not same.allowed


def test_a10_number_testing_upgrade_or_cancel_at_any_time():
    assert run(Kind.NUMBER_TESTING, Action.CANCEL, role="admin").channel is Channel.TERM_END
    upgrade = run(
        Kind.NUMBER_TESTING, Action.CHANGE_PLAN, role="admin", requested_plan=TESTING_STANDARD
    )
    assert upgrade.allowed and upgrade.rule == ("A10",)


@pytest.mark.parametrize(
    ("keep", "allowed"),
    [(None, True), (0, True), (1, False), (2, False), (3, True), (4, True), (5, False)],
)
def test_a11_contact_center_requests_never_leave_one_or_two(keep, allowed):
    decision = run(
        Kind.CONTACT_CENTER_LICENSE, Action.CANCEL, sub={"quantity": 5}, requested_quantity=keep
    )
    assert decision.allowed is allowed, decision.reason
    if decision.allowed:
        assert decision.channel is Channel.SUPPORT_CASE
    if keep in (1, 2):
        assert "cancel all 5 instead" in decision.reason
        assert decision.rule == ("A11",)


def test_a12_jetpacks_go_through_the_account_manager():
    for action in (Action.CANCEL, Action.CHANGE_PLAN):
        decision = run(Kind.JETPACK, action, role="admin", support_email="care@switchboard.example")
        assert decision.channel is Channel.ACCOUNT_MANAGER
        assert "Sam Staff" in decision.reason
        assert "care@switchboard.example" in decision.reason
        assert decision.label == "Contact your account manager"
    unnamed = decide(
        role="admin",
        policy=POLICIES[Kind.JETPACK],
        subscription=SubscriptionFacts(name="Jetpack Boost"),
        action=Action.CANCEL,
        today=TODAY,
    )
    assert unnamed.allowed and "your account manager rather than here" in unnamed.reason


def test_i1_fixes_are_offered_before_cancelling_lines_and_numbers():
    line = run(Kind.LINE, Action.CANCEL, sub=ON_DATA)
    actions = {fix.code: fix.action for fix in line.fixes_first}
    assert actions == {
        "calling_mode_voice": Action.TOGGLE,
        "device_settings": None,
        "change_number": Action.CHANGE_NUMBER,
        "block_numbers": Action.BLOCK_NUMBERS,
    }
    assert all(fix.label and fix.help_topic for fix in line.fixes_first)
    # Each fix the line offers is one this member may actually take.
    for fix in line.fixes_first:
        if fix.action is not None:
            setting = Setting.CALLING_MODE if fix.action is Action.TOGGLE else None
            assert run(Kind.LINE, fix.action, sub=ON_DATA, setting=setting).allowed
    assert run(Kind.SIP_TRUNK, Action.DELETE, role="admin").fixes_first == ()


def test_i1_number_changes_are_limited_per_line_and_per_organization_in_a_period():
    """The free numbers are shared by every customer: past the limits, the next number is
    asked of support (a case), and the reason says why and from when the portal offers it
    again."""
    limits = NumberChangeLimits(per_line=2, per_organization=3, period_days=30)

    def change(line=(), organization=(), limits=limits, kind=Kind.LINE):
        made = NumberChanges(limits=limits, line=line, organization=(*line, *organization))
        return run(kind, Action.CHANGE_NUMBER, role="member", sub=MINE, number_changes=made)

    assert change().channel is Channel.NOW
    assert change(line=(TODAY,), organization=(TODAY,)).channel is Channel.NOW

    line = change(line=(TODAY - timedelta(days=3), TODAY - timedelta(days=1)))
    assert line.allowed and line.channel is Channel.SUPPORT_CASE
    assert "The line has already changed twice in the last 30 days" in line.reason
    assert "shared by all our customers" in line.reason
    # The older of the two stops counting 30 days after it was made.
    assert "again from 6 April 2026" in line.reason

    organization = change(organization=(TODAY, TODAY - timedelta(days=10), TODAY))
    assert organization.channel is Channel.SUPPORT_CASE
    assert "Your organization has already changed 3 numbers in the last 30 days" in (
        organization.reason
    )
    assert "again from 30 March 2026" in organization.reason  # 28 February + 30 days

    # Changes older than the period count no more.
    long_ago = (TODAY - timedelta(days=30), TODAY - timedelta(days=45))
    assert change(line=long_ago, organization=long_ago).channel is Channel.NOW
    # No self-service changes at all: every new number is arranged by support.
    never = change(limits=NumberChangeLimits(per_line=0))
    assert never.channel is Channel.SUPPORT_CASE and "arranged by our team" in never.reason
    # Numbers already changed through support are not limited here: a person decides.
    business = run(
        Kind.BUSINESS_NUMBER,
        Action.CHANGE_NUMBER,
        role="admin",
        number_changes=NumberChanges(limits=limits, line=(TODAY,) * 5),
    )
    assert business.channel is Channel.SUPPORT_CASE
    assert "already changed" not in business.reason


def test_i2_no_refund_on_any_cancellation():
    for kind in Kind:
        decision = run(kind, Action.CANCEL, sub={"quantity": 5})
        assert decision.no_refund, kind
        assert any("Nothing is refunded" in note for note in decision.notes)
    assert not run(Kind.LINE, Action.BLOCK_NUMBERS).no_refund


def test_i3_a_cancelled_plan_stays_usable_until_the_term_end():
    decision = run(Kind.CALL_INSIGHTS, Action.CANCEL, sub={"usage_credits": Decimal("3")})
    assert decision.service_ends == TERM_END
    assert "until the current term ends on 31 March 2026" in decision.reason
    assert "I3" in decision.rule
    kept = run(Kind.CALL_INSIGHTS, Action.KEEP, sub={"state": "cancels_at_term_end"})
    assert kept.allowed
    late = run(
        Kind.CALL_INSIGHTS,
        Action.KEEP,
        sub={"state": "cancels_at_term_end", "term_end": TODAY - timedelta(days=1)},
    )
    assert not late.allowed


def test_i4_cancel_line_is_self_service():
    decision = run(Kind.LINE, Action.CANCEL, role="admin")
    assert decision.allowed and decision.channel is Channel.NOW
    assert decision.label == "Cancel Line"
    assert "I4" in decision.rule


def test_i5_cancel_line_removes_the_plan_and_every_feature_irreversibly():
    decision = run(
        Kind.LINE,
        Action.CANCEL,
        sub={**ON_DATA, "addons": (replace(CALL_RECORDING, state="cancels_at_term_end"),)},
    )
    assert decision.irreversible
    assert "cannot be undone" in decision.reason
    assert decision.removes == (
        "The line +14155550123 and its phone number plan",
        "The Call Recording add-on",
        "Its settings: calling mode, call recording and blocked numbers",
    )
    never = run(
        Kind.LINE,
        Action.REACTIVATE,
        sub={"state": "cancelled", "cancelled_on": TODAY, "cancelled_by_cancel_line": True},
    )
    assert not never.allowed


def test_i6_add_ons_are_cancelled_before_the_line():
    refused = run(Kind.LINE, Action.CANCEL, sub={"addons": (TEXT_ARCHIVE, CALL_RECORDING)})
    assert not refused.allowed
    assert refused.addons_to_cancel_first == ("Text Archive", "Call Recording")
    assert "Text Archive, Call Recording" in refused.reason
    suspended = run(
        Kind.LINE, Action.CANCEL, sub={"addons": (replace(TEXT_ARCHIVE, state="suspended"),)}
    )
    assert not suspended.allowed
    gone = run(
        Kind.LINE, Action.CANCEL, sub={"addons": (replace(TEXT_ARCHIVE, state="cancelled"),)}
    )
    assert gone.allowed
    assert not any("Text Archive" in item for item in gone.removes)


def test_i7_add_ons_and_plans_are_cancelled_one_by_one_at_term_end():
    for kind in (Kind.ADDON, Kind.CALL_INSIGHTS, Kind.NUMBER_TESTING):
        decision = run(kind, Action.CANCEL, role="admin")
        assert decision.allowed
        assert decision.channel is Channel.TERM_END
        assert decision.removes == (f"The {kind}, from 31 March 2026",)


@pytest.mark.parametrize("action", [Action.CANCEL, Action.CHANGE_PLAN, Action.REACTIVATE])
def test_i8_app_store_plans_are_managed_in_the_app_store(action):
    state = "cancelled" if action is Action.REACTIVATE else "active"
    decision = run(
        Kind.CALL_INSIGHTS,
        action,
        sub={"purchase_channel": "app_store", "state": state, "cancelled_on": TODAY},
    )
    assert not decision.allowed
    assert decision.channel is Channel.APP_STORE
    assert decision.app_store_help_url == "https://support.apple.com/en-us/HT202039"
    assert len(decision.app_store_steps) == 3
    assert decision.rule == ("I8",)


def test_i9_an_app_store_line_is_cancelled_here_and_apple_must_be_told():
    decision = run(Kind.LINE, Action.CANCEL, sub={"purchase_channel": "app_store"})
    assert decision.allowed and decision.channel is Channel.NOW
    assert decision.rule == ("I4", "I5", "I9")
    assert decision.app_store_steps == policy.APP_STORE_STEPS
    assert decision.app_store_help_url == APP_STORE_HELP_URL
    # I6 still comes first for an App Store line.
    blocked = run(
        Kind.LINE, Action.CANCEL, sub={"purchase_channel": "app_store", "addons": (TEXT_ARCHIVE,)}
    )
    assert not blocked.allowed and blocked.rule == ("I6",)
    # The same line bought in the portal says nothing of Apple.
    portal = run(Kind.LINE, Action.CANCEL)
    assert portal.app_store_steps == () and portal.app_store_help_url == ""


# --- every role x every action x every kind ----------------------------------------

ROLES = ["member", "admin", "super_admin"]
PLAN_FOR = {kind: (POLICIES[kind].changeable_to or (None,))[0] for kind in Kind}


def _variants(kind: str, action: Action):
    """The states, purchase channels, assignments and requests worth crossing."""
    quantities = (
        (None, 0, 1, 2, 3, 5, 9, -1)
        if action in (Action.CANCEL, Action.CHANGE_QUANTITY)
        else (None,)
    )
    settings = (None, *Setting) if action is Action.TOGGLE else (None,)
    plans = (None, PLAN_FOR[kind], ESSENTIALS) if action is Action.CHANGE_PLAN else (None,)
    for state, channel, assigned, quantity, setting, plan in combinations(
        list(State), ("portal", "app_store"), (True, False), quantities, settings, plans
    ):
        sub = {
            "state": state,
            "purchase_channel": channel,
            "assigned_to_member": assigned,
            "quantity": 5,
            "cancelled_on": TODAY - timedelta(days=3) if state == State.CANCELLED else None,
            "addons": (TEXT_ARCHIVE,) if kind == Kind.LINE and assigned else (),
        }
        yield sub, {"requested_quantity": quantity, "setting": setting, "requested_plan": plan}


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", ROLES)
def test_every_role_action_and_kind_gets_a_reasoned_decision(role, action, kind):
    pol = POLICIES[kind]
    for sub, kwargs in _variants(kind, action):
        decision = run(kind, action, role=role, sub=sub, **kwargs)
        assert isinstance(decision, Decision)
        assert decision.reason.strip(), (sub, kwargs)
        assert decision.label and decision.help_topic
        assert isinstance(decision.channel, Channel)
        if decision.allowed:
            assert decision.channel not in (Channel.NONE, Channel.APP_STORE)
        elif decision.channel is not Channel.APP_STORE:
            assert decision.channel is Channel.NONE
        if decision.channel is Channel.APP_STORE or decision.app_store_steps:
            assert decision.app_store_help_url == APP_STORE_HELP_URL
        if decision.is_cancellation:
            assert decision.no_refund
        if decision.is_cancellation and decision.allowed:
            assert decision.fee == pol.cancellation_fee
            if decision.channel is Channel.NOW:
                assert decision.service_ends == TODAY
            if decision.channel is Channel.TERM_END:
                assert decision.service_ends == TERM_END
            assert decision.removes
        if decision.allowed and role == "member" and action is not Action.TOGGLE:
            # Members act only on what is theirs, and only where the policy admits them.
            assert sub["assigned_to_member"]
        if decision.allowed and sub["state"] == State.CANCELLED:
            # Outbound recording belongs to the organization, whatever the row's state.
            assert action is Action.REACTIVATE or decision.rule == ("A8",)
        if decision.allowed and sub["purchase_channel"] == "app_store" and decision.is_cancellation:
            assert kind == Kind.LINE and "I9" in decision.rule


@pytest.mark.parametrize("role", ["", "owner", "staff", "SUPER_ADMIN"])
def test_unknown_roles_are_refused_with_a_reason(role):
    for kind, action in combinations(list(Kind), list(Action)):
        decision = run(kind, action, role=role, sub=MINE)
        assert not decision.allowed and decision.reason


def test_actions_may_be_given_by_their_value():
    assert run(Kind.LINE, "cancel") == run(Kind.LINE, Action.CANCEL)


# --- purity and the values shared with the models -------------------------------------


def test_the_engine_imports_nothing_of_django():
    tree = ast.parse(inspect.getsource(policy))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported <= {"__future__", "dataclasses", "datetime", "decimal", "enum"}


def test_these_tests_run_without_the_database():
    from django.db import connection

    with pytest.raises(RuntimeError, match="Database access not allowed"):
        connection.ensure_connection()


def test_the_engines_values_mirror_the_models():
    assert {k.value for k in Kind} == set(ProductKind.values)
    assert {s.value for s in State} == set(SubscriptionState.values)
    assert set(policy.ROLE_RANK) == set(Role.values)
    assert set(Product.CancelChannel.values) <= {c.value for c in Channel}
    assert sorted(policy.ROLE_RANK, key=policy.ROLE_RANK.get) == ROLES
