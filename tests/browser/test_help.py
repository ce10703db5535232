"""The help center in Chromium: search, read and vote on an article, changing the vote in
place (A13), "Submit a request" from an article (A13), articles suggested as a case subject
is typed, the engine's "Learn more" links, and every help page's accessibility scan on a
desktop and on a phone."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from subscriptions.policy import HelpTopic
from support.models import ArticleVote, Case, HelpArticle

expect = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: pip install playwright"
).expect

OWNER = "owner@acme.example"  # Olivia Owens, Super Admin of Acme Logistics (seed_demo)
MEMBER = "agent@acme.example"  # Ava Agarwal, Member of Acme Logistics
APP_STORE = "Plans bought in the Apple App Store"  # support/help_demo.py, HelpTopic.APP_STORE
APP_STORE_PATH = f"/help/{HelpTopic.APP_STORE}/"
APPLE_HELP = "https://support.apple.com/en-us/HT202039"
BLOCKING = "Blocking spam callers"  # HelpTopic.BLOCK_NUMBERS
SUGGEST_PATH = reverse("help_suggest")
PHONE = {"width": 390, "height": 844}


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def go_to(page, section: str) -> None:
    main_nav(page).get_by_role("link", name=section, exact=True).click()
    expect(page).to_have_title(f"{section} · Switchboard")


def search_help(page, words: str) -> None:
    search = page.get_by_role("search", name="Search the help articles")
    search.get_by_label("Search the articles").fill(words)
    search.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=2)).to_have_text(f"Results for “{words}”")


def open_article(page, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def feedback(page):
    return page.get_by_role("region", name="Was this article helpful?")


def vote(page, answer: str, comment: str | None = None) -> None:
    form = feedback(page)
    form.get_by_label(answer, exact=True).check()
    if comment is not None:
        form.get_by_label("Anything to add? (optional)").fill(comment)
    form.get_by_role("button", name="Send").click()
    expect(form.get_by_role("status")).to_have_text(
        "Thank you: your answer helps us improve this article."
    )
    expect(form).to_contain_text(f"You answered {answer}. You can change your answer.")


def suggest_requests(page) -> list[str]:
    """The subjects the new-case form asks help_suggest about, as they are sent."""
    subjects: list[str] = []

    def record(request) -> None:
        url = urlsplit(request.url)
        if url.path == SUGGEST_PATH:
            subjects.append(parse_qs(url.query).get("subject", [""])[0])

    page.on("request", record)
    return subjects


def suggestions(page):
    return page.locator("#help-suggestions")


def assert_fits_the_screen(page) -> None:
    scroll_width, client_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width, (
        f"{page.url} scrolls sideways: {scroll_width}px wide on a {client_width}px screen"
    )


def test_a13_a_member_finds_an_article_changes_their_vote_and_submits_a_request(
    page, demo, sign_in, htmx_settled, mark_the_document, assert_same_document
):
    sign_in(page, MEMBER)
    go_to(page, "Help")
    search_help(page, "App Store")
    open_article(page, APP_STORE)
    assert urlsplit(page.url).path == APP_STORE_PATH

    # The Markdown body renders: the steps as a numbered list, Apple's help as a link.
    body = page.get_by_role("article")
    steps = body.get_by_role("list").get_by_role("listitem")
    expect(steps).to_have_count(3)
    expect(steps.first).to_contain_text("Open your Apple account")
    expect(body.get_by_role("link", name="cancel a subscription from Apple")).to_have_attribute(
        "href", APPLE_HELP
    )
    expect(body.get_by_role("strong").filter(has_text="Subscriptions")).to_have_count(1)
    expect(body).not_to_contain_text("**")

    # A13: yes/no with an optional comment, answered in place (htmx): same URL, same document.
    mark_the_document(page)
    article_url = page.url
    vote(page, "No", "Where is the Apple ID on an iPhone?")
    assert page.url == article_url
    assert_same_document(page)
    # The swap keeps the keyboard where it was (htmx restores focus by id).
    expect(feedback(page).get_by_role("button", name="Send")).to_be_focused()
    first = ArticleVote.objects.get(article__slug=HelpTopic.APP_STORE, user__email=MEMBER)
    assert (first.helpful, first.comment) == (False, "Where is the Apple ID on an iPhone?")

    # A13: one vote per member, which they can change; the form shows the vote they gave.
    expect(feedback(page).get_by_label("No", exact=True)).to_be_checked()
    expect(feedback(page).get_by_label("Anything to add? (optional)")).to_have_value(
        "Where is the Apple ID on an iPhone?"
    )
    htmx_settled(page)  # the swapped-in form is bound to htmx only once the swap settles
    vote(page, "Yes")
    assert page.url == article_url
    assert_same_document(page)
    # The same vote, changed: not a second one.
    answer = ArticleVote.objects.get(article__slug=HelpTopic.APP_STORE)
    assert (answer.pk, answer.helpful, answer.user.email) == (first.pk, True, MEMBER)

    # A13: "Submit a request" opens the new-case form pre-filled with the article.
    page.get_by_role("link", name="Submit a request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact support")
    expect(page.get_by_role("main")).to_contain_text(
        f"You came here from a help article ({APP_STORE_PATH}); we note that on the case."
    )
    expect(page.get_by_label("Subject")).to_have_value(f"About “{APP_STORE}”")
    page.get_by_label("How can we help?").fill("Apple still charges me after Cancel Line.")
    page.get_by_role("button", name="Open the case").click()

    case = Case.objects.get(subject=f"About “{APP_STORE}”")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{case.reference}: {case.subject}")
    expect(page.get_by_text("Apple still charges me after Cancel Line.")).to_be_visible()
    assert (case.origin, case.opened_by.email) == (APP_STORE_PATH, MEMBER)

    # Coming back to the article later, it remembers the answer.
    page.goto(APP_STORE_PATH)
    expect(feedback(page)).to_contain_text("You answered Yes. You can change your answer.")
    expect(feedback(page).get_by_label("Yes", exact=True)).to_be_checked()


def test_the_new_case_form_suggests_articles_as_the_subject_is_typed(
    page, demo, sign_in, mark_the_document, assert_same_document
):
    sign_in(page, MEMBER)
    page.get_by_role("banner").get_by_role("link", name="Contact support").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact support")
    mark_the_document(page)
    asked = suggest_requests(page)

    subject = page.get_by_label("Subject")
    subject.fill("")
    subject.press_sequentially("block spam")
    expect(suggestions(page)).to_contain_text("These articles may answer it already:")
    link = suggestions(page).get_by_role("link", name=BLOCKING, exact=True)
    expect(link).to_have_attribute("href", f"/help/{HelpTopic.BLOCK_NUMBERS}/")
    assert_same_document(page)
    # The 400 ms debounce: the whole subject is asked about, not each keystroke.
    assert asked[-1] == "block spam" and len(asked) < len("block spam"), asked

    # Suggestions follow the subject; one that matches nothing clears them.
    subject.fill("zzqx")
    expect(suggestions(page)).to_be_empty()
    assert_same_document(page)
    expect(subject).to_have_value("zzqx")


def test_every_engine_reason_on_numbers_links_to_its_article(page, demo, sign_in):
    # Every topic the engine explains has a published article to link to.
    published = set(HelpArticle.objects.published().values_list("slug", flat=True))
    assert {str(topic) for topic in HelpTopic} <= published

    sign_in(page, OWNER)
    go_to(page, "Numbers")
    numbers = page.get_by_role("region", name="Numbers")
    decisions = numbers.locator("li.decision")
    learn_more = numbers.locator("a.decision-help")
    expect(learn_more).to_have_count(decisions.count())
    assert decisions.count() > 0
    hrefs = set(learn_more.evaluate_all("links => links.map(link => link.getAttribute('href'))"))
    for href in hrefs:
        slug = re.fullmatch(r"/help/([-a-z]+)/", href)
        assert slug and slug[1] in published, href

    row = numbers.get_by_role("row").filter(has_text="+14155550123")
    row.get_by_text("Why", exact=True).click()
    link = row.get_by_role("link", name=re.compile(r"^Learn more"))
    href = link.get_attribute("href")
    link.click()
    article = HelpArticle.objects.get(slug=href.strip("/").removeprefix("help/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(article.title)
    assert urlsplit(page.url).path == href
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text(article.category.name)


def test_the_help_pages_pass_an_accessibility_scan_on_a_desktop_and_a_phone(
    page, demo, sign_in, htmx_ready, assert_accessible, subtests
):
    """WCAG 2.2 A/AA on every help page at both widths; on a phone, no page scrolls sideways.

    Each page is loaded once and scanned at the desktop width, then again narrowed to a
    phone's (the layout follows the viewport without a reload).
    """
    desktop = page.viewport_size

    def check(name: str) -> None:
        with subtests.test(f"{name}, desktop"):
            assert_accessible(page)
        page.set_viewport_size(PHONE)
        with subtests.test(f"{name}, phone"):
            assert_fits_the_screen(page)
            assert_accessible(page)
        page.set_viewport_size(desktop)

    sign_in(page, MEMBER)
    go_to(page, "Help")
    check("The help index")
    search_help(page, "App Store")
    check("Search results")
    search_help(page, "zzqx")
    expect(page.get_by_role("link", name="ask us directly")).to_be_visible()
    check("A search without results")
    page.goto(APP_STORE_PATH)
    check("An article, with its vote form")
    vote(page, "No", "Too short.")
    check("An article after voting")
    page.get_by_role("link", name="Submit a request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact support")
    htmx_ready(page)
    subject = page.get_by_label("Subject")
    subject.fill("")
    subject.press_sequentially("block spam")
    expect(suggestions(page).get_by_role("link", name=BLOCKING, exact=True)).to_be_visible()
    check("The new-case form, with suggestions")
