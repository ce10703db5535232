"""Support cases in Chromium: a license's Cancellation Request (A2, A3, A5), a Jetpack quote
(A12), replying and accepting on a case (A4), Contact support (I10), and every support
page's accessibility scan on a desktop and on a phone."""

import re

import pytest

from subscriptions.models import Subscription
from support.models import Case, Quote

expect = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: pip install playwright"
).expect

OWNER = "owner@acme.example"  # Olivia Owens, Super Admin of Acme Logistics (seed_demo)
ADMIN = "admin@acme.example"  # Adam Alvarez, Admin of Acme Logistics
QUOTE_CASE = "Quote request: Jetpack Boost to Jetpack Surge"  # support/demo.py
PHONE = {"width": 390, "height": 844}


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def go_to(page, section: str) -> None:
    main_nav(page).get_by_role("link", name=section, exact=True).click()
    expect(page).to_have_title(f"{section} · Switchboard")


def license_row(page, seat: str):
    region = page.get_by_role("region", name="User licenses")
    return region.get_by_role("row").filter(has_text=f"User license · {seat}")


def open_case(page, subject: str) -> None:
    go_to(page, "Support")
    page.get_by_role("region", name="Support cases").get_by_role("row").filter(
        has_text=subject
    ).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(subject)


def assert_fits_the_screen(page) -> None:
    scroll_width, client_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width, (
        f"{page.url} scrolls sideways: {scroll_width}px wide on a {client_width}px screen"
    )


def test_a2_a3_the_owner_requests_a_license_cancellation_and_finds_it_under_support(
    page, demo, sign_in, assert_accessible
):
    sign_in(page, OWNER)
    go_to(page, "Licenses")
    row = license_row(page, "Seat 05")
    expect(row).to_contain_text("Request cancellation")
    row.get_by_role("link", name=re.compile(r"^Fill in the request")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Request cancellation")
    # A3: pre-filled from the profile and the organization, each required.
    expect(page.get_by_label("Full name")).to_have_value("Olivia Owens")
    expect(page.get_by_label("Company name or account ID")).to_have_value(
        "Acme Logistics (AC-100234)"
    )
    expect(page.get_by_label("Contact information")).to_have_value(
        "owner@acme.example · +1 415 555 0100"
    )
    for label in ("Full name", "Company name or account ID", "Contact information"):
        expect(page.get_by_label(label)).to_have_attribute("required", "")
    expect(page.get_by_role("article")).to_contain_text("Nothing is refunded")
    expect(page.get_by_role("article")).to_contain_text("current term ends on")
    assert_accessible(page)

    page.get_by_label("Anything else we should know").fill("Seat 05 left the company.")
    page.get_by_role("button", name="Send the cancellation request").click()

    case = Case.objects.get(subject="Cancellation request: cancel User license Seat 05")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{case.reference}: {case.subject}")
    expect(page.get_by_role("status")).to_contain_text(f"Your case {case.reference} is open")
    expect(page.get_by_text("Seat 05 left the company.")).to_be_visible()
    assert_accessible(page)
    # A2: a request, not an instant action.
    assert Subscription.objects.get(label="Seat 05").state == Subscription.State.ACTIVE

    go_to(page, "Support")
    row = (
        page.get_by_role("region", name="Support cases")
        .get_by_role("row")
        .filter(has_text=case.reference)
    )
    expect(row).to_contain_text("Cancellation request")
    expect(row).to_contain_text("Open")
    assert_accessible(page)

    # Asking again shows the open case (one open request per subscription).
    go_to(page, "Licenses")
    license_row(page, "Seat 05").get_by_role(
        "link", name=re.compile(r"^Fill in the request")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{case.reference}: {case.subject}")


def test_a5_an_admin_is_told_only_super_admins_may_cancel_a_license(
    page, demo, sign_in, assert_accessible
):
    sign_in(page, ADMIN)
    go_to(page, "Licenses")
    row = license_row(page, "Seat 05")
    expect(row).to_contain_text("Not available to you")
    expect(row.get_by_role("link", name=re.compile(r"^Fill in the request"))).to_have_count(0)
    row.locator("summary").filter(has_text="Not available to you").click()
    expect(row).to_contain_text("Only Super Admins can cancel licenses")
    expect(row).to_contain_text("Olivia Owens")

    # Going to the form's address directly gives the same answer.
    seat = Subscription.objects.get(label="Seat 05")
    page.goto(f"/support/request/{seat.pk}/cancel/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("not available to you")
    expect(page.get_by_role("status")).to_contain_text(
        "Only Super Admins can cancel licenses; your Super Admins are Olivia Owens."
    )
    assert_accessible(page)
    assert not Case.objects.filter(subject__contains="Seat 05").exists()


def test_a12_the_owner_asks_the_account_manager_for_a_jetpack_quote(
    page, demo, sign_in, assert_accessible
):
    sign_in(page, OWNER)
    go_to(page, "Jetpacks")
    page.get_by_role("link", name="Ask for a quote to change Jetpack Boost").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Contact your account manager")
    expect(page.get_by_role("main")).to_contain_text("your account manager, Sam Staff")
    expect(page.get_by_role("link", name="support@switchboard.example").first).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Change to Jetpack Orbit").check()
    page.get_by_label("What do you need?").fill("Orbit before the holiday peak, please.")
    page.get_by_role("button", name="Ask for a quote").click()

    case = Case.objects.get(subject="Quote request: Jetpack Boost to Jetpack Orbit")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{case.reference}: {case.subject}")
    expect(page.locator("dt:text-is('Handled by') + dd")).to_have_text("Sam Staff")
    assert case.assigned_to.email == "staff@switchboard.example"
    assert_accessible(page)


def test_a4_a12_the_owner_replies_on_a_case_with_a_file_and_accepts_the_quote(
    page, demo, sign_in, assert_accessible, tmp_path
):
    sign_in(page, OWNER)
    open_case(page, QUOTE_CASE)
    quotes = page.get_by_role("region", name="Quotes")
    expect(quotes).to_contain_text("Change to Jetpack Surge")
    expect(quotes).to_contain_text("549.00")
    assert_accessible(page)

    notes = tmp_path / "usage.txt"
    notes.write_text("Peak: 412 concurrent calls\n")
    page.get_by_label("Your reply").fill("Could it start on the 1st?")
    page.get_by_label("Attachments").set_input_files(notes)
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("Your reply is on the case.")
    thread = page.get_by_role("region", name="Conversation")
    expect(thread).to_contain_text("Could it start on the 1st?")
    expect(thread.get_by_role("link", name="usage.txt")).to_be_visible()

    page.get_by_role("button", name="Accept quote").click()
    expect(page.get_by_role("status")).to_contain_text("Quote accepted")
    expect(page.get_by_role("heading", level=1).locator("..")).to_contain_text("Resolved")
    assert Quote.objects.get().state == Quote.State.ACCEPTED
    jetpack = Subscription.objects.get(
        organization__account_id="AC-100234", product__kind="jetpack"
    )
    assert jetpack.product.name == "Jetpack Surge"
    go_to(page, "Jetpacks")
    expect(page.get_by_role("region", name="Jetpacks")).to_contain_text("Jetpack Surge")


def test_i10_contact_support_opens_a_case_noting_the_page(page, demo, sign_in, assert_accessible):
    sign_in(page, OWNER)
    go_to(page, "Numbers")
    page.get_by_role("banner").get_by_role("link", name="Contact support").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact support")
    expect(page.get_by_role("main")).to_contain_text("You came here from Numbers (/numbers/)")
    expect(page.get_by_label("Subject")).to_have_value("Question about Numbers")
    assert_accessible(page)
    page.get_by_label("How can we help?").fill("<script>alert(1)</script> is in our caller ID")
    page.get_by_role("button", name="Open the case").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Question about Numbers")
    # Stored text is shown as text, never run (the page fixture fails on script errors too).
    expect(page.get_by_text("<script>alert(1)</script> is in our caller ID")).to_be_visible()
    assert Case.objects.get(subject="Question about Numbers").origin == "/numbers/"


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_support_pages_pass_an_accessibility_scan(
    page, demo, sign_in, assert_accessible, subtests, viewport, settings
):
    """WCAG 2.2 A/AA on every support page; on a phone, no page scrolls sideways."""
    if viewport:
        page.set_viewport_size(viewport)

    def check(name: str) -> None:
        with subtests.test(name):
            if viewport:
                assert_fits_the_screen(page)
            assert_accessible(page)

    sign_in(page, OWNER)
    go_to(page, "Home")
    check("Home, with its open cases")
    go_to(page, "Support")
    check("Support")
    page.get_by_label("State").select_option(label="Pending")
    page.get_by_role("button", name="Find").click()
    check("Support, filtered")
    open_case(page, QUOTE_CASE)
    check("A case with a quote")
    open_case(page, "A copy of last month's invoice")
    check("A closed case")
    seats = Subscription.objects.get(
        organization__account_id="AC-100234", product__kind="contact_center_license"
    )
    page.goto(f"/support/request/{seats.pk}/cancel/")
    page.get_by_label("Licenses to keep").fill("2")
    page.get_by_role("button", name="Send the cancellation request").click()
    expect(page.get_by_text("keep 3 or more, or cancel all 5 instead").first).to_be_visible()
    check("A cancellation request refused at once (A11), with its error")
    page.goto(f"/support/request/{seats.pk}/change_quantity/")
    check("A change request")
    page.goto("/support/cases/new/?from=/licenses/")
    check("Contact support")
    settings.SUPPORT_CASES_PER_HOUR = 0
    page.get_by_label("How can we help?").fill("One more")
    page.get_by_role("button", name="Open the case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many new cases for now")
    check("Too many new cases (429)")
