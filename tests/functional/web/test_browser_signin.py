"""The first sign-in in a real browser (issue 3, "Done when").

The administrator is created by the CLI on a fresh migrated store; the app runs under uvicorn and
Debian's chromium walks: first sign-in with the one-time password, the forced password change, MFA
enrolment (the key read from the page, the code computed here), the home page, sign-out, and a
second sign-in with password and code. Every page is watched as in test_browser.py, and each step
is saved to artifacts/screenshots/signin-*.png.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from test_browser import Watch
from typer.testing import CliRunner

from browser import CHROMIUM_ARGS, chromium_executable, screenshot_path, serve
from conftest import make_settings
from dignity.api.app import create_app
from dignity.api.auth import SESSION_COOKIE
from dignity.cli import app as cli_app
from dignity.cli.context import state

pytestmark = pytest.mark.browser

NEW_PASSWORD = "the river remembers every name"


@dataclass(frozen=True)
class FirstRun:
    base: str
    username: str
    one_time_password: str


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout + result.stderr


@pytest.fixture
def first_run(tmp_path: Path, fresh_store_url: str) -> Iterator[FirstRun]:
    """A fresh store, migrated by the CLI, with a first administrator made by the CLI; served."""
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    state.configure(settings)
    try:
        _cli("db", "upgrade")
        printed = _cli("users", "create-admin")
        match = re.search(r"username:\s+(\S+)\s+one-time password:\s+(\S+)", printed)
        assert match, printed
        with serve(create_app(settings, state.sessionmaker)) as base:
            yield FirstRun(base, match.group(1), match.group(2))
    finally:
        state.configure(None)


@pytest.fixture
def chromium() -> Iterator[Browser]:
    executable = chromium_executable()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def _shot(page: Page, step: str) -> None:
    page.screenshot(path=screenshot_path(f"signin-{step}.png"), full_page=True)


def _sign_in(page: Page, username: str, password: str, code: str = "") -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    if code:
        page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def test_first_sign_in_setup_sign_out_and_sign_in_again(
    chromium: Browser, first_run: FirstRun
) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch = Watch(page, first_run.base)
    try:
        page.goto(first_run.base + "/", wait_until="networkidle")
        expect(page).to_have_url(first_run.base + "/login?next=/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        _shot(page, "1-login")

        # First sign-in: the one-time password, no code yet.
        _sign_in(page, first_run.username, first_run.one_time_password)
        expect(page).to_have_url(first_run.base + "/account/setup")
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up your account")
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies[SESSION_COOKIE]["secure"]
        assert cookies[SESSION_COOKIE]["httpOnly"]
        assert cookies[SESSION_COOKIE]["sameSite"] == "Strict"
        _shot(page, "2-choose-password")

        # Nothing else until setup is done.
        page.goto(first_run.base + "/admin/users", wait_until="networkidle")
        expect(page).to_have_url(first_run.base + "/account/setup")

        page.get_by_label("One-time password you were given").fill(first_run.one_time_password)
        page.get_by_label("New password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Save password").click()
        page.wait_for_load_state("networkidle")
        expect(page).to_have_url(first_run.base + "/account/setup")
        expect(page.get_by_role("button", name="Show the code to scan")).to_be_visible()
        _shot(page, "3-connect-authenticator")

        page.get_by_role("button", name="Show the code to scan").click()
        page.wait_for_load_state("networkidle")
        expect(page.locator("figure.qr svg")).to_be_visible()
        secret = page.locator("figure.qr code").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
        _shot(page, "4-scan-code")

        totp = pyotp.TOTP(secret)
        enrolled_at = datetime.now(UTC)
        page.get_by_label("Code the app shows now").fill(totp.at(enrolled_at))
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_load_state("networkidle")
        expect(page).to_have_url(first_run.base + "/")
        expect(page.get_by_role("heading", level=1, name="Dignity")).to_be_visible()
        expect(page.get_by_role("link", name="People")).to_be_visible()  # an administrator
        _shot(page, "5-home")

        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state("networkidle")
        expect(page).to_have_url(first_run.base + "/login")
        assert SESSION_COOKIE not in {c["name"] for c in context.cookies()}
        _shot(page, "6-signed-out")
        page.goto(first_run.base + "/", wait_until="networkidle")
        expect(page).to_have_url(first_run.base + "/login?next=/")

        # Again, with the new password and a code: the enrolment code is spent, so take the next
        # step's (the server accepts one step either side).
        next_code = totp.at(enrolled_at + timedelta(seconds=30))
        _sign_in(page, first_run.username, NEW_PASSWORD, next_code)
        expect(page).to_have_url(first_run.base + "/")
        expect(page.get_by_role("heading", level=1, name="Dignity")).to_be_visible()
        _shot(page, "7-signed-in-again")

        assert watch.all_problems() == []
    except BaseException:
        with contextlib.suppress(Exception):
            _shot(page, "failed")
        raise
    finally:
        context.close()
