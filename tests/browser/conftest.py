"""Real-browser tests: Chromium driven by Playwright against pytest-django's live server.

Every test in tests/browser is marked `browser` and `django_db(transaction=True)` here, and
skips when Chromium or Playwright is missing. A test asks for `page` (a fresh browser context
on the live server, checked for CSP violations and script errors at teardown), `demo` (the
demo organizations and sign-ins), and signs in with `sign_in(page, email)`:

    expect = pytest.importorskip("playwright.sync_api").expect

    def test_owner_sees_the_dashboard(page, demo, sign_in, assert_accessible):
        sign_in(page, "owner@acme.example")
        expect(page.get_by_role("heading", level=1)).to_have_text("Acme Logistics")
        assert_accessible(page)

A test of an htmx swap takes `mark_the_document` before it and `assert_same_document` after;
a test that uses an htmx control on a page a click loaded takes `htmx_ready` first.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

try:
    from playwright.sync_api import (
        Browser,
        ConsoleMessage,
        Error,
        Page,
        expect,
        sync_playwright,
    )
except ImportError:  # the tests skip with a reason instead of failing to collect
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, not Playwright's download; the closed network refuses background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
DEMO_PASSWORD = "switchboard-demo"  # portal/management/commands/seed_demo.py

AXE_SCRIPT = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

BROWSER_TESTS = Path(__file__).resolve().parent


def _skip_reason() -> str | None:
    if sync_playwright is None:
        return "Playwright is not installed: pip install playwright"
    if not CHROMIUM.exists():
        return f"Chromium not installed at {CHROMIUM}: apt-get install chromium"
    return None


def _is_browser_test(item: pytest.Item) -> bool:
    return item.path.resolve().is_relative_to(BROWSER_TESTS)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark each browser test as it is collected, before `-m` selects on the markers."""
    if not _is_browser_test(item):
        return
    item.add_marker(pytest.mark.browser)
    db_marker = item.get_closest_marker("django_db")
    if db_marker is None:
        # The live server answers from its own thread: it only sees committed rows.
        item.add_marker(pytest.mark.django_db(transaction=True))
    elif not db_marker.kwargs.get("transaction"):
        raise pytest.UsageError(
            f"{item.nodeid}: browser tests need django_db(transaction=True), "
            "the live server cannot see rows of the test's open transaction"
        )
    if reason := _skip_reason():
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests after all others (after pytest-django's own ordering).

    While Playwright's sync API is alive, its event loop counts as running in the main
    thread, so Django refuses ORM calls there unless DJANGO_ALLOW_ASYNC_UNSAFE is set (see
    `playwright`). Running the browser tests last keeps that switch off for every other test.
    Under pytest-xdist (`make test`), the default `--dist load` hands each worker its tests
    in this order, so on every worker too the browser tests come after all the others.
    """
    items.sort(key=_is_browser_test)  # stable: each group keeps its order


@pytest.fixture(scope="session")
def playwright() -> Iterator:
    # The sync API runs an event loop in this thread beside the live server, so Django's
    # async-safety check would refuse the test's own ORM calls (the demo data, the database
    # flush between tests). Nothing async touches the ORM here: allow it for exactly as
    # long as Playwright runs, which is the tail of the session (browser tests run last).
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            yield playwright


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session", autouse=True)
def _live_server_settings() -> Iterator[None]:
    """Settings the plain-HTTP live server needs, in place before it starts.

    pytest runs with settings.DEBUG off, but portal/settings.py chose its production values
    from the DEBUG environment variable at import. With DEBUG=false in the environment it
    would pick the manifest storage, whose {% static %} needs the manifest collectstatic
    writes (the live server serves static files through the finders instead), and redirect
    every request to HTTPS, which the live server does not speak. SecurityMiddleware reads
    SECURE_SSL_REDIRECT once, when the live server builds its handler, so this is a session
    fixture (autouse: it runs before the session's live_server).
    """
    with override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        SECURE_SSL_REDIRECT=False,
    ):
        yield


class PageLog:
    """What a page reported: console messages and uncaught script errors."""

    def __init__(self) -> None:
        self.console: list[ConsoleMessage] = []
        self.errors: list[Error] = []

    def record_console(self, message: ConsoleMessage) -> None:
        self.console.append(message)

    def record_error(self, error: Error) -> None:
        self.errors.append(error)

    def csp_violations(self) -> list[str]:
        return [
            message.text
            for message in self.console
            if "Content Security Policy" in message.text or "Refused to" in message.text
        ]

    def problems(self) -> list[str]:
        return [f"CSP: {text}" for text in self.csp_violations()] + [
            f"page error: {error.message}" for error in self.errors
        ]

    def clear(self) -> None:
        self.console.clear()
        self.errors.clear()


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(browser, live_server, page_log: PageLog) -> Iterator[Page]:
    """A page in a fresh context (no cookies), desktop-sized, with relative URLs on the server.

    The test fails at teardown if any page it opened reported a Content-Security-Policy
    violation or an uncaught script error.
    """
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    # A page answers in well under a second; 10 s only matters on a loaded machine, and a
    # broken page still fails fast enough.
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("console", page_log.record_console)
    page.on("pageerror", page_log.record_error)
    yield page
    context.close()
    if problems := page_log.problems():
        pytest.fail("The browser reported:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture
def demo(transactional_db) -> None:
    """The demo organizations and users of `seed_demo` (password: switchboard-demo)."""
    call_command("seed_demo", "--force", stdout=io.StringIO())


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the sign-in form, as a person would, and wait for the home page."""
    page.goto(reverse("account_login"))
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    home = reverse("home")
    try:
        page.wait_for_url(lambda url: urlsplit(url).path == home)
    except Error:
        errors = page.locator(".errorlist, .field-error").all_inner_texts()
        raise AssertionError(
            f"{email} did not reach the home page; at {page.url}: {errors or 'no form error'}"
        ) from None


def htmx_settled(page: Page) -> None:
    """Wait until every htmx request and swap on the page has settled.

    htmx binds the content it swapped in (a switch's new form, say) only when the swap
    settles, a moment after the new content shows. A submit before then is a plain form
    post that reloads the page, so tests wait for this before using what a swap brought.
    """
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-added")).to_have_count(0)


def htmx_ready(page: Page) -> None:
    """Wait until htmx has bound the page that a click just loaded.

    htmx's script is deferred and binds the page's hx- attributes at DOMContentLoaded, a
    moment after the fields show: a control used before then is a plain link or form (a
    reload), and text typed before then asks for no suggestions. `page.goto` already waits
    for the load event, which comes after; a click that loads a page does not. Call it
    once the new page shows (an `expect` on its content): before the click's navigation
    starts, the old page answers that it has loaded.
    """
    page.wait_for_load_state("load")


def mark_the_document(page: Page) -> None:
    """Tag the loaded document, once htmx has bound it, for `assert_same_document`.

    An htmx swap keeps the tag; a full load or reload of the page drops it.
    """
    htmx_ready(page)
    page.evaluate("() => { window.sameDocument = true; }")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("() => window.sameDocument === true"), (
        f"{page.url} was loaded again instead of updated in place"
    )


@functools.cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core's WCAG 2.2 A/AA rules on the page as it is now; return the violations."""
    # page.evaluate goes through the DevTools protocol, which the page's CSP does not govern
    # (unlike a <script> tag added to the page), so the strict policy stays in force for the
    # page itself and a bypass_csp context is not needed.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return results.violations;
        }""",
        WCAG_TAGS,
    )


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
        more = len(violation["nodes"]) - len(targets)
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"    at {' | '.join(targets)}{f' and {more} more' if more > 0 else ''}"
        )
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Fail with a readable list when axe-core finds WCAG 2.2 A/AA violations on the page."""
    if violations := axe_violations(page):
        pytest.fail(
            f"axe-core found {len(violations)} WCAG violation(s) on {page.url}:\n"
            + format_violations(violations),
            pytrace=False,
        )


# The helpers as fixtures, so tests take them as arguments instead of importing a conftest.
def _as_fixture(helper: Callable) -> Callable:
    """A fixture named after `helper` that gives the helper itself."""

    @pytest.fixture(name=helper.__name__)
    def fixture() -> Callable:
        return helper

    return fixture


sign_in_fixture = _as_fixture(sign_in)
htmx_settled_fixture = _as_fixture(htmx_settled)
htmx_ready_fixture = _as_fixture(htmx_ready)
mark_the_document_fixture = _as_fixture(mark_the_document)
assert_same_document_fixture = _as_fixture(assert_same_document)
axe_violations_fixture = _as_fixture(axe_violations)
assert_accessible_fixture = _as_fixture(assert_accessible)
