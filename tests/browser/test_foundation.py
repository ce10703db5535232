"""The foundation's journeys in Chromium: sign-in, dashboard, inviting, roles, a11y, phones."""

import re

import pytest
from django.core import mail

from accounts.models import Invitation, Role

expect = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: pip install playwright"
).expect

OWNER = "owner@acme.example"  # Olivia Owens, Super Admin of Acme Logistics (seed_demo)
MEMBER = "agent@acme.example"  # Ava Agarwal, Member of Acme Logistics


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def go_to(page, section: str) -> None:
    main_nav(page).get_by_role("link", name=section, exact=True).click()
    expect(page).to_have_title(f"{section} · Switchboard")


def invite_section(page):
    return page.locator("section").filter(
        has=page.get_by_role("heading", name="Invite someone", exact=True)
    )


def test_owner_signs_in_and_sees_the_dashboard(page, demo, sign_in):
    sign_in(page, OWNER)

    expect(page).to_have_title("Home · Switchboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Logistics")
    expect(main_nav(page).get_by_role("link", name="Home")).to_have_attribute(
        "aria-current", "page"
    )
    header = page.get_by_role("banner")
    expect(header).to_contain_text("Acme Logistics")
    expect(header).to_contain_text("Account ID AC-100234")
    # I10: a way to contact support: a new case, which notes the page it was opened from.
    contact = header.get_by_role("link", name="Contact support")
    expect(contact).to_be_visible()
    expect(contact).to_have_attribute("href", re.compile(r"^/support/cases/new/\?from=/"))


def test_owner_invites_a_member_from_accounts(page, demo, sign_in):
    sign_in(page, OWNER)
    go_to(page, "Accounts")

    invite = invite_section(page)
    invite.get_by_label("E-mail address").fill("newhire@acme.example")
    invite.get_by_label(re.compile(r"^Role")).select_option(label="Admin")
    invite.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("status")).to_have_text("Invitation sent to newhire@acme.example.")
    pending = page.get_by_role("region", name="Pending invitations")
    expect(pending.get_by_role("row").filter(has_text="newhire@acme.example")).to_contain_text(
        "Admin"
    )
    invitation = Invitation.objects.get(email="newhire@acme.example", revoked_at=None)
    assert invitation.role == Role.ADMIN
    assert invitation.invited_by.email == OWNER
    [message] = [m for m in mail.outbox if m.to == ["newhire@acme.example"]]
    assert "Acme Logistics" in message.subject
    assert f"/accounts/invitations/{invitation.token}/" in message.body


def test_a_member_sees_no_invite_form_and_who_the_super_admin_is(page, demo, sign_in):
    sign_in(page, MEMBER)
    expect(main_nav(page).get_by_role("link", name="Activity")).to_have_count(0)
    go_to(page, "Accounts")

    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    expect(page.get_by_role("row").filter(has_text=OWNER)).to_contain_text("Super Admin")
    expect(page.get_by_role("button", name="Send invitation")).to_have_count(0)
    expect(page.get_by_role("heading", name="Invite someone")).to_have_count(0)
    note = page.get_by_text("Only Super Admins invite people")
    expect(note).to_contain_text("Your Super Admin: Olivia Owens")
    expect(note.get_by_role("link", name=OWNER)).to_have_attribute("href", f"mailto:{OWNER}")


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_the_foundation_pages_pass_an_accessibility_scan(
    page, demo, sign_in, assert_accessible, subtests, color_scheme
):
    page.emulate_media(color_scheme=color_scheme)
    page.goto("/accounts/login/")
    with subtests.test("Sign in"):
        assert_accessible(page)

    sign_in(page, OWNER)
    # An invitation, so that Accounts lists pending invitations and Activity has an event.
    go_to(page, "Accounts")
    invite_section(page).get_by_label("E-mail address").fill("scan@acme.example")
    invite_section(page).get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_be_visible()

    for section in ("Home", "Accounts", "Activity"):
        go_to(page, section)
        with subtests.test(section):
            assert_accessible(page)


def test_the_foundation_pages_fit_a_phone_screen(page, demo, sign_in, assert_accessible, subtests):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, OWNER)

    for section in ("Home", "Accounts", "Activity"):
        go_to(page, section)
        with subtests.test(section):
            scroll_width, client_width = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert scroll_width <= client_width, (
                f"{section} scrolls sideways: {scroll_width}px wide on a {client_width}px screen"
            )
            # Tables scroll sideways on a phone; scrolling them must work from the keyboard.
            assert_accessible(page)


def test_the_page_fixture_catches_csp_violations_and_script_errors(page, page_log):
    """The guard every browser test relies on: a refused inline script and an uncaught error."""
    page.goto("/accounts/login/")
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "document.title = 'ran'";
                document.body.append(script);
            }"""
        )
    assert page.title() != "ran"
    with page.expect_event("pageerror"):
        page.evaluate("() => { setTimeout(() => { throw new Error('boom'); }); }")

    problems = page_log.problems()
    assert len(problems) == 2, problems
    assert problems[0].startswith("CSP: Executing inline script violates")
    assert problems[1] == "page error: boom"
    page_log.clear()  # both were on purpose; the teardown check must not fail this test


def test_the_accessibility_scan_reports_what_it_finds(page, assert_accessible):
    """The scan the pages rely on: an image without a text alternative does not pass."""
    page.goto("/accounts/login/")
    page.evaluate(
        """() => {
            const image = document.createElement("img");
            image.src = "data:image/gif;base64,R0lGODlhAQABAAAAACw=";
            document.querySelector("main").append(image);
        }"""
    )
    expected = r"- image-alt \(critical\): Images must have alternative text\n +at img$"
    with pytest.raises(pytest.fail.Exception, match=expected):
        assert_accessible(page)
