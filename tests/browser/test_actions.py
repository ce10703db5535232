"""The self-service actions in Chromium: change plan (A9), cancel and keep a plan (A1, I2, I3,
A10), Delete a SIP trunk (A6), Cancel Line after its add-ons (I1, I4-I6, I9), the recording
switches (A7, A8), and the accessibility scan of every action page on a desktop and a phone."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from accounts.models import Organization
from subscriptions.models import Product, Subscription
from subscriptions.policy import APP_STORE_STEPS

expect = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: pip install playwright"
).expect

OWNER = "owner@acme.example"  # Olivia Owens, Super Admin of Acme Logistics (seed_demo)
JORDAN = "jordan@lee.example"  # Jordan Lee, Super Admin of the one-person Jordan Lee account
PASSWORD = "switchboard-demo"
LINE_WITH_ADDONS = "+447700900123"  # Jordan's monthly line with Text Archive and Call Recording
APP_STORE_LINE = "+14155550177"  # Jordan's annual line, bought in the App Store
RECORDED_NUMBER = "+14155550123"  # an Acme number that records inbound calls
PHONE = {"width": 390, "height": 844}

State = Subscription.State


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def go_to(page, section: str) -> None:
    main_nav(page).get_by_role("link", name=section, exact=True).click()
    expect(page).to_have_title(f"{section} · Switchboard")


def settings_tab(page, name: str) -> None:
    """Home -> Settings -> one of its tabs (Company Settings, Call Insights, Number Testing)."""
    go_to(page, "Settings")
    tabs = page.get_by_role("navigation", name="Settings sections")
    tabs.get_by_role("link", name=name, exact=True).click()
    expect(tabs.get_by_role("link", name=name, exact=True)).to_have_attribute(
        "aria-current", "page"
    )


def plan_card(page, heading: str | re.Pattern):
    """The <article> of one subscription on a plan page, found by its heading."""
    return page.get_by_role("article").filter(has=page.get_by_role("heading", name=heading))


def open_plans_of_jordan(page) -> None:
    """Dashboard -> Accounts -> the user -> Plans (I5, I7)."""
    go_to(page, "Accounts")
    page.get_by_role("link", name="Plans of Jordan Lee", exact=True).click()
    expect(page).to_have_title("Plans of Jordan Lee · Switchboard")


def messages(page):
    return page.locator(".messages")


def path_of(page) -> str:
    return urlsplit(page.url).path


def reauthenticate(page, password: str = PASSWORD) -> None:
    """allauth's Confirm Access page, where a destructive POST waits for the password."""
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm").click()


def assert_fits_the_screen(page) -> None:
    scroll_width, client_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width, (
        f"{page.url} scrolls sideways: {scroll_width}px wide on a {client_width}px screen"
    )


# --- A9, A10: change and cancel plans --------------------------------------------------------


def test_a9_call_insights_upgrades_from_settings_showing_the_price_difference_first(
    page, demo, sign_in
):
    sign_in(page, OWNER)
    settings_tab(page, "Call Insights")
    plan = plan_card(page, "Your plan: Call Insights Professional")
    plan.get_by_role("link", name="View or Change Plan").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("View or Change Plan")
    expect(page.get_by_text("Your plan: Call Insights Professional, 99.00 monthly")).to_be_visible()
    choices = page.get_by_role("group", name="Choose a plan")
    # The difference is on the page, in each choice's name, before anything is confirmed.
    bigger = choices.get_by_role(
        "radio", name="Call Insights Enterprise — 199.00 monthly (100.00 more per month)"
    )
    expect(bigger).to_be_enabled()
    expect(bigger).to_have_accessible_name(re.compile("replaces Call Insights Professional today"))
    expect(
        choices.get_by_role(
            "radio", name="Call Insights Essentials — 49.00 monthly (50.00 less per month)"
        )
    ).to_be_enabled()
    bigger.check()
    page.get_by_role("button", name="Change plan").click()

    expect(page).to_have_url(re.compile(reverse("call_insights") + "$"))
    expect(messages(page)).to_contain_text("Done: Call Insights Enterprise is chosen.")
    expect(plan_card(page, "Your plan: Call Insights Enterprise")).to_contain_text("199.00 monthly")
    insights = Subscription.objects.get(product__kind=Product.Kind.CALL_INSIGHTS)
    assert insights.product.name == "Call Insights Enterprise"
    assert insights.state == State.ACTIVE


@pytest.mark.parametrize(
    ("tab", "plan_name", "fee", "fee_text"),
    [
        (
            "Call Insights",
            "Call Insights Professional",
            Decimal("0.00"),
            "There is no cancellation fee.",
        ),
        # A1: the fee is the product's policy; the preview states whatever staff set.
        (
            "Number Testing",
            "Number Testing Starter",
            Decimal("15.00"),
            "A cancellation fee of 15.00 applies.",
        ),
    ],
    ids=["a9-call-insights", "a10-number-testing"],
)
def test_a1_i2_i3_cancel_plan_states_fee_no_refund_and_end_date_then_keep_undoes_it(
    page, demo, sign_in, tab, plan_name, fee, fee_text
):
    Product.objects.filter(name=plan_name).update(cancellation_fee=fee)
    subscription = Subscription.objects.get(product__name=plan_name)
    term_end = f"{subscription.term_end.day} {subscription.term_end:%B %Y}"
    sign_in(page, OWNER)
    settings_tab(page, tab)
    plan = plan_card(page, f"Your plan: {plan_name}")
    expect(plan.locator(".badge")).to_have_text("Active")
    plan.get_by_role("link", name="Cancel Plan").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancel Plan: {plan_name}")
    what = page.get_by_role("region", name="What happens")
    expect(what).to_contain_text(fee_text)  # A1
    expect(what).to_contain_text("Nothing is refunded")  # I2
    expect(what).to_contain_text(  # I3
        f"Service and usage credits stay until {term_end}; it does not renew after that."
    )
    expect(what).not_to_contain_text("cannot be undone")
    page.get_by_label("Why are you cancelling?").select_option(label="It costs too much")
    page.get_by_role("button", name="Cancel Plan").click()

    expect(page).to_have_title(f"{tab} · Switchboard")
    expect(messages(page)).to_contain_text(f"{plan_name} stops renewing; you keep it until")
    expect(plan.locator(".badge")).to_have_text("Cancels at term end")
    expect(plan.get_by_role("link", name="Cancel Plan")).to_have_count(0)
    subscription.refresh_from_db()
    assert subscription.state == State.CANCELS_AT_TERM_END
    assert subscription.cancellation_feedback.get().reason == "too_expensive"

    plan.get_by_role("button", name="Keep").click()
    expect(messages(page)).to_contain_text(f"{plan_name} renews as usual.")
    expect(plan.locator(".badge")).to_have_text("Active")
    expect(plan.get_by_role("link", name="Cancel Plan")).to_be_visible()
    subscription.refresh_from_db()
    assert subscription.state == State.ACTIVE


# --- A6: SIP trunks --------------------------------------------------------------------------


def test_a6_a_sip_trunk_is_deleted_after_the_password_but_the_initial_ucaas_one_needs_a_case(
    page, demo, sign_in
):
    sign_in(page, OWNER)
    go_to(page, "SIP Trunks")
    trunks = page.get_by_role("region", name="SIP trunks")
    initial = trunks.get_by_role("row").filter(has_text="UCaaS primary")
    expect(initial.get_by_text("Request cancellation", exact=True)).to_be_visible()
    expect(initial.get_by_role("link", name="Delete")).to_have_count(0)

    trunks.get_by_role("row").filter(has_text="EU West").get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete: SIP trunk EU West")
    expect(page.get_by_role("region", name="What happens")).to_contain_text(
        "Delete removes SIP trunk EU West from your account today."
    )
    page.get_by_label("Why are you cancelling?").select_option(label="I don't need it any more")
    page.get_by_role("button", name="Delete").click()

    reauthenticate(page)
    expect(page).to_have_title("SIP Trunks · Switchboard")
    expect(messages(page)).to_contain_text("SIP trunk EU West is cancelled.")
    expect(trunks.get_by_role("row").filter(has_text="EU West")).to_have_count(0)
    expect(trunks.get_by_role("row").filter(has_text="US East")).to_have_count(1)
    assert Subscription.objects.get(label="EU West").state == State.CANCELLED
    assert Subscription.objects.get(label="UCaaS primary").state == State.ACTIVE


def test_a6_a_wrong_password_deletes_nothing(page, demo, sign_in):
    sign_in(page, OWNER)
    trunk = Subscription.objects.get(label="US East")
    page.goto(reverse("subscription_cancel", args=[trunk.pk]))
    page.get_by_label("Why are you cancelling?").select_option(label="Something else")
    page.get_by_role("button", name="Delete").click()

    reauthenticate(page, password="not-the-password")
    expect(page.locator(".errorlist")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    trunk.refresh_from_db()
    assert trunk.state == State.ACTIVE


# --- I1, I4, I5, I6, I9: Cancel Line ----------------------------------------------------------


def test_i6_i1_i5_i4_cancel_line_waits_for_its_add_ons_then_cancels_for_good(page, demo, sign_in):
    line = Subscription.objects.get(phone_number__e164=LINE_WITH_ADDONS)
    sign_in(page, JORDAN)
    open_plans_of_jordan(page)
    card = plan_card(page, re.compile(re.escape(LINE_WITH_ADDONS)))

    # I6: refused while the add-ons renew, naming them, each with its own Cancel Plan.
    expect(card.get_by_role("link", name="Cancel Line")).to_have_count(0)
    expect(card).to_contain_text(f"Cancel the add-ons of Second line {LINE_WITH_ADDONS} first")
    expect(card).to_contain_text(
        re.compile(r"Cancel first: (Text Archive, Call Recording|Call Recording, Text Archive)\.")
    )
    addons = card.get_by_role("region", name=re.compile(r"^Add-ons of"))
    for name in ("Text Archive", "Call Recording"):
        expect(
            addons.get_by_role("row").filter(has_text=name).get_by_role("link", name="Cancel Plan")
        ).to_be_visible()
    # The Cancel Line page itself (a bookmark, an old tab) refuses too, with a link per add-on.
    page.goto(reverse("subscription_cancel", args=[line.pk]))
    refusal = page.locator(".refusal")
    expect(refusal).to_contain_text("This can't be done here.")
    expect(page.get_by_role("button", name="Cancel Line")).to_have_count(0)
    refusal.get_by_role("link", name="Cancel Text Archive").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel Plan: Text Archive")
    page.get_by_label("Why are you cancelling?").select_option(label="I don't need it any more")
    page.get_by_role("button", name="Cancel Plan").click()
    expect(messages(page)).to_contain_text("Text Archive stops renewing")

    open_plans_of_jordan(page)
    addons.get_by_role("row").filter(has_text="Call Recording").get_by_role(
        "link", name="Cancel Plan"
    ).click()
    page.get_by_label("Why are you cancelling?").select_option(label="It costs too much")
    page.get_by_role("button", name="Cancel Plan").click()
    expect(messages(page)).to_contain_text("Call Recording stops renewing")

    open_plans_of_jordan(page)
    for name in ("Text Archive", "Call Recording"):
        expect(addons.get_by_role("row").filter(has_text=name)).to_contain_text(
            "Cancels at term end"
        )
    card.get_by_role("link", name="Cancel Line").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Cancel Line: Second line {LINE_WITH_ADDONS}"
    )
    # I1: the fixes come first.
    fixes = page.get_by_role("region", name="Before you cancel: does one of these fix it?")
    for fix in (
        "Switch the line to the voice network for incoming and outgoing calls instead of data",
        "No ringing, or texts not arriving?",
        "Don't like the number? Change it and keep the service.",
        "Getting spam calls? Block those numbers, free of charge.",
    ):
        expect(fixes).to_contain_text(fix)
    expect(fixes.get_by_role("button", name="Try this instead")).to_have_count(4)
    # I5: what goes, and that it is for good.
    what = page.get_by_role("region", name="What happens")
    for gone in ("Text Archive", "Call Recording", "calling mode, call recording and blocked"):
        expect(what).to_contain_text(gone)
    expect(what).to_contain_text("This cannot be undone.")
    expect(what).to_contain_text("Nothing is refunded")
    expect(what).to_contain_text("There is no cancellation fee.")

    page.get_by_label("Why are you cancelling?").select_option(label="I don't need it any more")
    number = page.get_by_label(f"Type the line's number, {LINE_WITH_ADDONS}, to confirm")
    number.fill("+44 7700 900124")  # a typo
    page.get_by_role("button", name="Cancel Line").click()
    reauthenticate(page)
    # After the password the typo is caught, and the corrected form still cancels the line.
    expect(page.locator(".errorlist")).to_contain_text(f"That is not {LINE_WITH_ADDONS}.")
    line.refresh_from_db()
    assert line.state == State.ACTIVE
    number.fill("+44 7700 900123")
    page.get_by_role("button", name="Cancel Line").click()

    # I4: done in the portal, now.
    expect(page.get_by_role("heading", level=1)).to_have_text(LINE_WITH_ADDONS)
    expect(messages(page)).to_contain_text(f"Second line {LINE_WITH_ADDONS} is cancelled.")
    expect(page.locator("hgroup .badge")).to_have_text("Cancelled")
    line.refresh_from_db()
    assert line.state == State.CANCELLED
    assert set(line.addons.values_list("state", flat=True)) == {State.CANCELLED}


def test_i9_cancel_line_of_an_app_store_line_says_to_cancel_with_apple_too(page, demo, sign_in):
    line = Subscription.objects.get(phone_number__e164=APP_STORE_LINE)
    sign_in(page, JORDAN)
    open_plans_of_jordan(page)
    plan_card(page, re.compile(re.escape(APP_STORE_LINE))).get_by_role(
        "link", name="Cancel Line"
    ).click()

    what = page.get_by_role("region", name="What happens")
    expect(what).to_contain_text("Apple keeps charging until you also cancel the subscription")
    for step in APP_STORE_STEPS:
        expect(what.get_by_text(step)).to_be_visible()
    page.get_by_label("Why are you cancelling?").select_option(label="It costs too much")
    page.get_by_label(f"Type the line's number, {APP_STORE_LINE}, to confirm").fill(APP_STORE_LINE)
    page.get_by_role("button", name="Cancel Line").click()
    reauthenticate(page)

    expect(messages(page)).to_contain_text(f"{APP_STORE_LINE} is cancelled.")
    expect(messages(page)).to_contain_text(
        "It was bought in the Apple App Store: cancel the App Store subscription there too"
    )
    line.refresh_from_db()
    assert line.state == State.CANCELLED


# --- A7, A8: the recording switches -----------------------------------------------------------


def test_a7_inbound_recording_switches_in_place_on_the_number_page(
    page, demo, sign_in, htmx_settled, mark_the_document, assert_same_document
):
    sign_in(page, OWNER)
    go_to(page, "Numbers")
    page.get_by_role("link", name=RECORDED_NUMBER, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(RECORDED_NUMBER)
    url = page.url
    switch = page.locator("#inbound-switch")
    expect(switch).to_contain_text("Inbound call recording: on")
    mark_the_document(page)

    switch.get_by_role("button", name="Stop recording incoming calls").click()
    expect(switch).to_contain_text("Inbound call recording: off")
    expect(switch.get_by_role("status")).to_have_text("Inbound call recording is off.")
    assert page.url == url
    assert_same_document(page)
    assert not Subscription.objects.get(
        phone_number__e164=RECORDED_NUMBER
    ).phone_number.inbound_recording

    # From the keyboard: the switch is swapped under the focus, which stays on its button.
    htmx_settled(page)
    switch.get_by_role("button", name="Record incoming calls").focus()
    page.keyboard.press("Enter")
    expect(switch).to_contain_text("Inbound call recording: on")
    expect(switch.get_by_role("button", name="Stop recording incoming calls")).to_be_focused()
    assert_same_document(page)
    assert Subscription.objects.get(
        phone_number__e164=RECORDED_NUMBER
    ).phone_number.inbound_recording


def test_a7_inbound_recording_switches_without_javascript_too(browser, live_server, demo, sign_in):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, OWNER)
        subscription = Subscription.objects.get(phone_number__e164=RECORDED_NUMBER)
        page.goto(reverse("number_detail", args=[subscription.pk]))
        page.get_by_role("button", name="Stop recording incoming calls").click()
        expect(page.locator("#inbound-switch")).to_contain_text("Inbound call recording: off")
        expect(messages(page)).to_contain_text("Inbound call recording is off.")
        assert path_of(page) == reverse("number_detail", args=[subscription.pk])
    finally:
        context.close()


def test_i1_the_calling_mode_fix_leads_to_the_switch_instead_of_cancelling(
    page, demo, sign_in, mark_the_document, assert_same_document
):
    line = Subscription.objects.get(phone_number__e164=APP_STORE_LINE)
    sign_in(page, JORDAN)
    page.goto(reverse("subscription_cancel", args=[line.pk]))
    fixes = page.get_by_role("region", name="Before you cancel: does one of these fix it?")
    fixes.get_by_role("listitem").filter(has_text="voice network").get_by_role(
        "button", name="Try this instead"
    ).click()

    expect(page).to_have_url(re.compile(r"/numbers/\d+/#calling-mode$"))
    switch = page.locator("#calling-mode")
    expect(switch).to_contain_text("Calling mode: Data")
    mark_the_document(page)
    switch.get_by_role("button", name="Use the voice network instead").focus()
    page.keyboard.press("Enter")
    expect(switch).to_contain_text("Calling mode: Voice")
    expect(switch.get_by_role("button", name="Use data (internet) instead")).to_be_focused()
    assert_same_document(page)
    line.refresh_from_db()
    assert line.state == State.ACTIVE
    assert line.phone_number.calling_mode == "voice"
    assert line.cancellation_feedback.get().fix_taken == "calling_mode_voice"


def test_a8_outbound_recording_switches_in_place_in_company_settings(
    page, demo, sign_in, htmx_settled, mark_the_document, assert_same_document
):
    acme = Organization.objects.get(account_id="AC-100234")
    sign_in(page, OWNER)
    settings_tab(page, "Company Settings")
    url = page.url
    switch = page.locator("#outbound-switch")
    was_on = acme.outbound_call_recording
    before, after = ("on", "off") if was_on else ("off", "on")
    expect(switch).to_contain_text(f"Outbound call recording: {before}")
    mark_the_document(page)

    switch.get_by_role("button").click()
    expect(switch).to_contain_text(f"Outbound call recording: {after}")
    expect(switch.get_by_role("status")).to_have_text(f"Outbound call recording is {after}.")
    assert page.url == url
    assert_same_document(page)
    acme.refresh_from_db()
    assert acme.outbound_call_recording is not was_on

    htmx_settled(page)
    switch.get_by_role("button").focus()
    page.keyboard.press("Enter")
    expect(switch).to_contain_text(f"Outbound call recording: {before}")
    expect(switch.get_by_role("button")).to_be_focused()
    assert_same_document(page)
    acme.refresh_from_db()
    assert acme.outbound_call_recording is was_on


# --- every action page, on a desktop and on a phone -----------------------------------------


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_action_pages_pass_an_accessibility_scan(
    page, demo, sign_in, assert_accessible, subtests, viewport
):
    """WCAG 2.2 A/AA on each action page; on a phone, none scrolls sideways."""
    if viewport:
        page.set_viewport_size(viewport)

    def check(name: str) -> None:
        with subtests.test(name):
            if viewport:
                assert_fits_the_screen(page)
            assert_accessible(page)

    insights = Subscription.objects.get(product__kind=Product.Kind.CALL_INSIGHTS)
    trunk = Subscription.objects.get(label="US East")
    line = Subscription.objects.get(phone_number__e164=LINE_WITH_ADDONS)
    app_store_line = Subscription.objects.get(phone_number__e164=APP_STORE_LINE)

    sign_in(page, OWNER)
    page.goto(reverse("change_plan", args=[insights.pk]))
    check("View or Change Plan")
    page.get_by_role("button", name="Change plan").click()  # no plan chosen
    expect(page.locator(".field-error")).to_be_visible()
    check("View or Change Plan with an error")
    page.goto(reverse("subscription_cancel", args=[insights.pk]))
    check("Cancel Plan preview")
    page.get_by_role("button", name="Cancel Plan").click()  # no reason chosen
    expect(page.locator(".errorlist")).to_be_visible()
    check("Cancel Plan preview with an error")
    page.goto(reverse("subscription_cancel", args=[trunk.pk]))
    check("Delete preview")
    page.get_by_label("Why are you cancelling?").select_option(label="Something else")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    check("Confirm Access (reauthentication)")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".errorlist")).to_be_visible()
    check("Confirm Access with an error")

    page.context.clear_cookies()
    sign_in(page, JORDAN)
    page.goto(reverse("subscription_cancel", args=[line.pk]))
    check("Cancel Line refused until the add-ons go")
    page.goto(reverse("subscription_cancel", args=[app_store_line.pk]))
    check("Cancel Line preview: fixes, what goes, App Store steps, the number to type")
    page.goto(reverse("change_number", args=[line.pk]))
    check("Change number")
