"""A manual designation entered in a real browser by a screening officer.

The app runs under uvicorn on a fresh migrated store and Debian's chromium fills the form with the
keyboard: a source address the server refuses comes back with its message next to the field (and
in the summary at the top), the corrected form is sent with Enter, and the list page shows the
designation and the list's new version. Every page is watched as in test_browser.py; the only
error response allowed is the one refusal the test provokes. Screenshots go to
artifacts/screenshots/manual-*.png.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from test_browser import Watch

from browser import CHROMIUM_ARGS, chromium_executable, screenshot_path, serve
from conftest import make_settings
from dignity.api.app import create_app
from dignity.api.auth import SESSION_COOKIE
from dignity.registry import manual
from dignity.security import sessions
from dignity.security.models import User
from dignity.security.permissions import Role
from dignity.store import create_engine, make_sessionmaker, migrate
from factories.security import make_account

pytestmark = pytest.mark.browser

LIST = "us_state_7031c"


@dataclass(frozen=True)
class Live:
    base: str
    session_token: str


@pytest.fixture
def live(tmp_path: Path, fresh_store_url: str) -> Iterator[Live]:
    """The app on a fresh store with an empty manual list and a screening officer's session."""
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    engine = create_engine(fresh_store_url)
    try:
        migrate.upgrade(engine)
        factory = make_sessionmaker(engine)
        app = create_app(settings, factory)
        with factory() as session, session.begin():
            account = make_account(session, app.state.keyring, "officer", Role.SCREENING_OFFICER)
            user = session.get(User, account.id)
            assert user is not None
            _, token = sessions.start_session(
                session, settings, user, sessions.ACTIVE, datetime.now(UTC)
            )
            manual.create_manual_list(
                session,
                name=LIST,
                title="US State Department Section 7031(c) public designations",
                publisher="us-state",
                source_url="https://www.state.gov/",
                actor="test",
            )
        with serve(app) as base:
            yield Live(base, token)
    finally:
        engine.dispose()


@pytest.fixture
def chromium() -> Iterator[Browser]:
    executable = chromium_executable()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        with contextlib.closing(browser):
            yield browser


def _shot(page: Page, step: str) -> None:
    page.screenshot(path=screenshot_path(f"manual-{step}.png"), full_page=True)


def _type(page: Page, field: str, text: str) -> None:
    """Move to a field as a keyboard user would reach it, and type."""
    page.locator(f"#{field}").focus()
    page.keyboard.type(text)


def test_a_screening_officer_adds_a_designation_with_the_keyboard(
    chromium: Browser, live: Live
) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
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
    try:
        page.goto(f"{live.base}/registry/manual/{LIST}", wait_until="networkidle")
        expect(page.get_by_role("heading", level=1)).to_contain_text("7031(c)")
        page.get_by_role("link", name="Add a designation").focus()
        page.keyboard.press("Enter")
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("heading", level=1)).to_have_text("Add a designation")
        # Every field is reachable by its label; the program starts at the publisher's one.
        expect(page.get_by_label(re.compile(r"^Name"))).to_be_visible()
        expect(page.get_by_label(re.compile(r"^Program"))).to_have_value("7031C")

        _type(page, "name", "Ejemplo Oficial Uno")
        _type(page, "aliases", "E. O. Uno")
        _type(page, "country", "Nicaragua")
        _type(page, "position", "Former Minister of Examples")
        _type(page, "reason", "Involvement in a gross violation of human rights.")
        _type(page, "source_url", "ftp://files.example/statement")
        page.locator("#source_date").fill("2023-12-08")
        page.get_by_role("button", name="Add the designation").press("Enter")
        page.wait_for_load_state("networkidle")

        # Refused by the server: the message is next to its field and in the summary.
        source_url = page.locator("#source_url")
        expect(source_url).to_have_attribute("aria-invalid", "true")
        expect(source_url).to_have_attribute("aria-describedby", "source_url-hint source_url-error")
        expect(page.locator("#source_url-error")).to_contain_text("http:// or https://")
        expect(page.get_by_role("alert")).to_contain_text("Source address")
        expect(page.locator("#name")).to_have_value("Ejemplo Oficial Uno")  # kept as typed
        _shot(page, "1-form-error")

        source_url.fill("")
        _type(page, "source_url", "https://www.state.gov/public-designation-example/")
        page.keyboard.press("Enter")  # a form is sent with Enter from a text field
        page.wait_for_load_state("networkidle")

        expect(page).to_have_url(re.compile(rf"/registry/manual/{LIST}\?saved="))
        expect(page.get_by_role("status")).to_contain_text("Saved: Ejemplo Oficial Uno")
        expect(page.get_by_role("status")).to_contain_text("version 1")
        row = page.get_by_role("row", name=re.compile("Ejemplo Oficial Uno"))
        expect(row).to_contain_text("7031C")
        expect(row).to_contain_text("2023-12-08")
        _shot(page, "2-list")

        page.get_by_role("link", name="Ejemplo Oficial Uno", exact=True).click()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("heading", level=1)).to_have_text("Ejemplo Oficial Uno")
        expect(page.locator("table")).to_contain_text(LIST)
        _shot(page, "3-entity")

        # The one refusal provoked above, as the response and as chromium's console line.
        posted = f"{live.base}/registry/manual/{LIST}/designations"
        refused = [p for p in watch.all_problems() if "422" in p and posted in p]
        assert len(refused) == 2, watch.all_problems()
        assert [p for p in watch.all_problems() if p not in refused] == []
    finally:
        context.close()
