"""The subscription pages in Chromium: Call Insights (A9), licenses (A5), App Store lines (I8),
the numbers list, and every page's accessibility scan on a desktop and on a phone."""

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from core.org_cache import organization_changed
from subscriptions.demo import ACME_NUMBERS
from subscriptions.models import Product, Subscription
from subscriptions.policy import APP_STORE_STEPS

expect = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: pip install playwright"
).expect

OWNER = "owner@acme.example"  # Olivia Owens, Super Admin of Acme Logistics (seed_demo)
MEMBER = "agent@acme.example"  # Ava Agarwal, Member of Acme Logistics
JORDAN = "jordan@lee.example"  # Jordan Lee, Super Admin of the one-person Jordan Lee account
APP_STORE_LINE = "+14155550177"  # Jordan's annual second line, bought in the App Store
APPLE_HELP = "https://support.apple.com/en-us/HT202039"  # named by rule I8
PHONE = {"width": 390, "height": 844}


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def go_to(page, section: str) -> None:
    main_nav(page).get_by_role("link", name=section, exact=True).click()
    expect(page).to_have_title(f"{section} · Switchboard")


def settings_tab(page, name: str) -> None:
    tabs = page.get_by_role("navigation", name="Settings sections")
    tabs.get_by_role("link", name=name, exact=True).click()
    expect(page).to_have_title(f"{name} · Switchboard")
    expect(tabs.get_by_role("link", name=name, exact=True)).to_have_attribute(
        "aria-current", "page"
    )


def open_plans_of(page, person: str) -> None:
    """Dashboard -> Accounts -> the user -> Plans (I5, I7)."""
    go_to(page, "Accounts")
    page.get_by_role("link", name=f"Plans of {person}", exact=True).click()
    expect(page).to_have_title(f"Plans of {person} · Switchboard")


def plan_card(page, heading: str | re.Pattern):
    """The <article> of one subscription on a plan page, found by its heading."""
    return page.get_by_role("article").filter(has=page.get_by_role("heading", name=heading))


def cancel_controls(scope):
    """Buttons or links that would cancel in the portal ("Cancel Plan", "Cancel Line"...)."""
    name = re.compile(r"^Cancel")
    return scope.get_by_role("button", name=name).or_(scope.get_by_role("link", name=name))


def test_a9_call_insights_is_reached_from_home_through_settings(page, demo, sign_in):
    sign_in(page, OWNER)
    expect(page).to_have_title("Home · Switchboard")

    go_to(page, "Settings")
    settings_tab(page, "Call Insights")

    expect(page.get_by_role("heading", level=1)).to_have_text("Call Insights")
    plan = plan_card(page, "Your plan: Call Insights Professional")
    expect(plan).to_have_count(1)
    for action in ("Cancel Plan", "View or Change Plan"):
        expect(plan.get_by_text(action, exact=True).first).to_be_visible()
    expect(plan).to_contain_text("In the portal, at the end of the term")


def test_a5_a_member_sees_that_only_super_admins_cancel_their_license(page, demo, sign_in):
    sign_in(page, MEMBER)
    go_to(page, "Licenses")

    licenses = page.get_by_role("region", name="User licenses")
    # A Member sees only what is assigned to them: Seat 03 of Acme's twelve.
    rows = licenses.get_by_role("row").filter(has=page.get_by_role("cell"))
    expect(rows).to_have_count(1)
    seat = rows.first
    expect(seat).to_contain_text("User license · Seat 03")
    expect(seat).to_contain_text("Ava Agarwal")
    expect(cancel_controls(seat)).to_have_count(0)

    reason = seat.get_by_text(
        "Only Super Admins can cancel licenses; your Super Admins are Olivia Owens."
    )
    if not reason.is_visible():  # list pages fold each decision's reason behind its label
        seat.get_by_text("Not available to you").click()
    expect(reason).to_be_visible()
    expect(
        page.get_by_text("Only Super Admins cancel licenses (yours: Olivia Owens)")
    ).to_be_visible()


def test_i8_an_app_store_line_shows_the_app_store_steps(page, demo, sign_in):
    sign_in(page, JORDAN)
    open_plans_of(page, "Jordan Lee")

    line = plan_card(page, re.compile(re.escape(APP_STORE_LINE)))
    expect(line).to_contain_text("Bought in the App Store")
    # I9 as policy.py reads it: Cancel Line stays in the portal (Apple bills, we serve), and
    # the customer is shown how to stop Apple's renewal too.
    expect(line.get_by_text("Cancel Line", exact=True).first).to_be_visible()
    expect(line.get_by_text("In the portal, at once")).to_be_visible()
    for step in APP_STORE_STEPS:
        expect(line.get_by_text(step)).to_be_visible()
    help_link = line.get_by_role("link", name="Apple's help on cancelling a subscription")
    expect(help_link).to_have_attribute("href", APPLE_HELP)

    # I8: an add-on bought in the App Store is cancelled there, never with a portal button.
    app_store_line = Subscription.objects.get(phone_number__e164=APP_STORE_LINE)
    Subscription.objects.create(
        organization=app_store_line.organization,
        product=Product.objects.get(name="Text Archive"),
        parent=app_store_line,
        purchase_channel=Subscription.PurchaseChannel.APP_STORE,
        term_start=app_store_line.term_start,
        term_end=app_store_line.term_end,
    )
    # Made as staff adding it in admin would make it: the organization's cached counts
    # are made stale.
    organization_changed(app_store_line.organization)
    page.reload()
    addons = line.get_by_role("region", name=re.compile(r"^Add-ons of"))
    addon = addons.get_by_role("row").filter(has_text="Text Archive")
    expect(addon.get_by_text("Cancel in the App Store", exact=True).first).to_be_visible()
    expect(addon).to_contain_text("was bought through the Apple App Store")
    for step in APP_STORE_STEPS:
        expect(addon.get_by_text(step)).to_be_visible()
    expect(
        addon.get_by_role("link", name="Apple's help on cancelling a subscription")
    ).to_have_attribute("href", APPLE_HELP)
    expect(cancel_controls(addon)).to_have_count(0)


def number_links(page):
    return page.get_by_role("region", name="Numbers").get_by_role(
        "link", name=re.compile(r"^\+\d+$")
    )


def test_numbers_search_by_digits_and_filter_by_country_and_export_them(page, demo, sign_in):
    digits, country = "555", "US"
    everything = sorted(e164 for e164, *_ in ACME_NUMBERS)
    with_digits = [e164 for e164 in everything if digits in e164]
    in_country = sorted(
        e164 for e164, where, *_ in ACME_NUMBERS if digits in e164 and where == country
    )
    assert len(everything) > len(with_digits) > len(in_country) > 0

    sign_in(page, OWNER)
    go_to(page, "Numbers")
    expect(number_links(page)).to_have_text(everything)

    filters = page.get_by_role("form", name="Filter numbers")
    filters.get_by_label("Search digits").fill(digits)
    filters.get_by_role("button", name="Filter").click()
    expect(number_links(page)).to_have_text(with_digits)
    expect(page.get_by_role("region", name="Numbers")).to_contain_text(
        f"{len(with_digits)} numbers"
    )

    filters.get_by_label("Country").select_option(country)
    filters.get_by_role("button", name="Filter").click()
    expect(number_links(page)).to_have_text(in_country)
    expect(filters.get_by_label("Search digits")).to_have_value(digits)
    expect(filters.get_by_label("Country")).to_have_value(country)

    export = filters.get_by_role("button", name="Export CSV")
    href = export.get_attribute("href")
    query = parse_qs(urlsplit(href).query)
    assert query["q"] == [digits] and query["country"] == [country], href
    response = page.request.get(href)
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("text/csv")
    exported = list(csv.DictReader(io.StringIO(response.text())))
    # An E.164 number is not a formula: the export keeps it as it is.
    assert [row["Number"] for row in exported] == list(in_country)
    assert {row["Country"] for row in exported} == {country}


def open_every_decision(page) -> None:
    """Unfold the decisions list pages fold, so the scan also reads the reasons and steps."""
    page.evaluate(
        "() => document.querySelectorAll('.decisions details').forEach(d => { d.open = true; })"
    )


def assert_fits_the_screen(page) -> None:
    scroll_width, client_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width, (
        f"{page.url} scrolls sideways: {scroll_width}px wide on a {client_width}px screen"
    )


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_subscription_pages_pass_an_accessibility_scan(
    page, demo, sign_in, assert_accessible, subtests, viewport
):
    """WCAG 2.2 A/AA on every subscription page; on a phone, no page scrolls sideways."""
    if viewport:
        page.set_viewport_size(viewport)

    def check(name: str) -> None:
        open_every_decision(page)
        with subtests.test(name):
            if viewport:
                assert_fits_the_screen(page)
            assert_accessible(page)

    sign_in(page, OWNER)
    go_to(page, "Numbers")
    check("Numbers")
    number_links(page).get_by_text("+14155550123", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("+14155550123")
    check("A business number's details")
    for section in ("Licenses", "SIP Trunks", "Jetpacks", "Settings"):
        go_to(page, section)
        check(section)
    for tab in ("Call Insights", "Number Testing"):
        settings_tab(page, tab)
        check(tab)

    page.context.clear_cookies()
    sign_in(page, JORDAN)
    open_plans_of(page, "Jordan Lee")
    check("A member's Plans, with an App Store line and add-ons")
    page.get_by_role("link", name="+447700900123", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("+447700900123")
    check("A line's details, with its add-ons")
