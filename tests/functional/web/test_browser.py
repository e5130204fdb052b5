"""The pages in a real browser: the app under uvicorn on a fresh migrated store, Debian's chromium.

Every page load is watched: console errors, uncaught exceptions, Content-Security-Policy
violations (from the `securitypolicyviolation` event, recorded by an init script, which CSP does not
govern), failed requests, error responses and requests to any other origin all fail the test.
Screenshots go to artifacts/screenshots/ for a human to look at.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Response,
    expect,
    sync_playwright,
)

from browser import CHROMIUM_ARGS, chromium_executable, screenshot_path, serve
from conftest import make_settings
from dignity.api.app import create_app
from dignity.api.auth import SESSION_COOKIE
from dignity.audit import record_event
from dignity.audit.maintenance import checkpoint_now
from dignity.security import sessions
from dignity.security.models import User
from dignity.security.permissions import Role
from dignity.store import create_engine, make_sessionmaker, migrate
from factories.security import make_account

pytestmark = pytest.mark.browser

RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(
    event.effectiveDirective + " blocked " + (event.blockedURI || "inline") +
    " at " + (event.sourceFile || "?") + ":" + event.lineNumber
  );
});
"""

StartApp = Callable[..., "LiveApp"]


@dataclass(frozen=True)
class LiveApp:
    base: str
    # The cookie token of a signed-in administrator (sign-in itself is walked in
    # test_browser_signin.py; here the session is made through the service, as sign-in would).
    session_token: str


@pytest.fixture(scope="module")
def chromium() -> Iterator[Callable[[], Browser]]:
    """Launches chromium on first use, inside the test: a missing browser skips it (fails in CI)."""
    with contextlib.ExitStack() as stack:
        launched: list[Browser] = []

        def browser() -> Browser:
            if not launched:
                executable = chromium_executable()
                playwright = stack.enter_context(sync_playwright())
                launched.append(
                    playwright.chromium.launch(
                        executable_path=executable, headless=True, args=CHROMIUM_ARGS
                    )
                )
                stack.callback(launched[0].close)
            return launched[0]

        yield browser


@pytest.fixture
def start_app(tmp_path: Path, fresh_store_url: str) -> Iterator[StartApp]:
    """Starts the real app (migrated store, lifespan and all); returns its base URL.

    With `events`, that many audit events are recorded first, and a checkpoint signed.
    """
    with contextlib.ExitStack() as stack:

        def start(events: int = 0, **overrides: object) -> LiveApp:
            settings = make_settings(tmp_path, database_url=fresh_store_url, **overrides)
            engine = create_engine(fresh_store_url)
            stack.callback(engine.dispose)
            migrate.upgrade(engine)
            factory = make_sessionmaker(engine)
            if events:
                with factory() as session, session.begin():
                    for _ in range(events):
                        record_event(session, actor="test", action="test.ran", object_type="test")
                checkpoint_now(settings, factory)
            app = create_app(settings, factory)
            with factory() as session, session.begin():
                account = make_account(session, app.state.keyring, "browser-admin", Role.ADMIN)
                user = session.get(User, account.id)
                assert user is not None
                _, token = sessions.start_session(
                    session, settings, user, sessions.ACTIVE, datetime.now(UTC)
                )
            return LiveApp(stack.enter_context(serve(app)), token)

        yield start


class Watch:
    """Everything that went wrong on one page, as readable lines."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.problems: list[str] = []
        page.add_init_script(RECORD_CSP_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught error: {error}"))
        page.on("request", self._request)
        page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url}"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url") or "?"
            self.problems.append(f"console error: {message.text} ({where})")

    def _request(self, request: Request) -> None:
        if not request.url.startswith(self.origin + "/") and not request.url.startswith("data:"):
            self.problems.append(f"request to another origin: {request.url}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def all_problems(self) -> list[str]:
        violations = self.page.evaluate("window.__cspViolations || []")
        return [*self.problems, *(f"CSP violation: {v}" for v in violations)]


def open_page(browser: Browser, live: LiveApp, path: str) -> tuple[Page, Watch]:
    """A new signed-in page (its own browser context) loaded at `path`."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "value": live.session_token,
                "domain": "127.0.0.1",
                "path": "/",
                "secure": True,
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    page = context.new_page()
    watch = Watch(page, live.base)
    page.goto(live.base + path, wait_until="networkidle")
    return page, watch


def test_home_page(chromium: Callable[[], Browser], start_app: StartApp) -> None:
    browser = chromium()
    page, watch = open_page(browser, start_app(), "/")
    try:
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        expect(page.get_by_role("heading", level=1, name="Dignity")).to_be_visible()
        panel = page.get_by_role("region", name="System")
        expect(panel).to_be_visible()
        expect(panel).to_contain_text("Store")
        expect(panel).to_contain_text("(current)")
        expect(panel).to_contain_text("entries")
        page.screenshot(path=screenshot_path("home.png"), full_page=True)

        # Keyboard: the first Tab reaches the skip link, which shows itself; Enter moves to main.
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        box = skip.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["y"] >= 0
        page.keyboard.press("Enter")
        expect(page.locator("main#main")).to_be_focused()

        assert watch.all_problems() == []

        # The watch does see a violation when there is one (so the empty list above means
        # something): an image from another origin is refused by img-src 'self'.
        page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', "
            '\'<img alt="" src="https://third-party.invalid/pixel.png">\')'
        )
        page.wait_for_function("window.__cspViolations.length > 0")
        assert any("img-src" in problem for problem in watch.all_problems())
    finally:
        page.context.close()


def test_home_page_right_to_left(chromium: Callable[[], Browser], start_app: StartApp) -> None:
    browser = chromium()
    page, watch = open_page(browser, start_app(events=3, language="ar"), "/")
    try:
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        width = page.viewport_size["width"] if page.viewport_size else 1280
        brand = page.locator(".brand").bounding_box()
        nav = page.get_by_role("navigation", name="Main").bounding_box()
        heading = page.get_by_role("heading", level=1).bounding_box()
        panel = page.get_by_role("region", name="System").bounding_box()
        assert brand is not None
        assert nav is not None
        assert heading is not None
        assert panel is not None
        # Mirrored: the brand starts at the right edge, the menu follows to its left, and the
        # heading is aligned with the right edge of the panel below it.
        assert brand["x"] > width / 2
        assert nav["x"] + nav["width"] <= brand["x"]
        assert abs((heading["x"] + heading["width"]) - (panel["x"] + panel["width"])) < 2
        # Numbers, commands and timestamps stay left to right inside the mirrored layout.
        expect(page.locator("time")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$"))
        expect(page.locator("time")).to_have_css("direction", "ltr")
        expect(page.locator(".hint code")).to_have_css("direction", "ltr")
        page.screenshot(path=screenshot_path("home-rtl.png"), full_page=True)

        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        box = skip.bounding_box()
        assert box is not None
        assert 0 <= box["x"] <= width - box["width"]

        assert watch.all_problems() == []
    finally:
        page.context.close()


def test_api_docs(chromium: Callable[[], Browser], start_app: StartApp) -> None:
    browser = chromium()
    page, watch = open_page(browser, start_app(), "/docs")
    try:
        swagger = page.locator("#swagger-ui")
        expect(swagger.locator(".opblock").first).to_be_visible()
        expect(swagger).to_contain_text("/healthz")
        page.screenshot(path=screenshot_path("api-docs.png"), full_page=True)
        assert watch.all_problems() == []
    finally:
        page.context.close()
