"""Screening in a real browser: one name by keyboard, and a whole file uploaded and watched.

The app runs under uvicorn on a store of this module's own, with the real UN list imported once,
and Debian's chromium drives it. A screening officer signs in through the form and screens an
Arabic-script name using only the keyboard (Tab to the fields, type, Enter): the top result and the
table that explains its score are shown. The same page is shot in the dark scheme and, served in
Arabic, right to left. A CSV file uploaded on the batch page is screened while the page polls its
progress, until the results are offered, downloaded and gone from the server. Every page is
watched as in test_browser.py. Screenshots go to artifacts/screenshots/screening-*.png.
"""

from __future__ import annotations

import contextlib
import csv
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from test_browser import Watch

from browser import CHROMIUM_ARGS, chromium_executable, screenshot_path, serve
from conftest import PostgresDatabases, make_settings
from dignity.api.app import create_app
from dignity.api.auth import SESSION_COOKIE
from dignity.security import sessions
from dignity.security.models import User
from dignity.security.permissions import Role
from dignity.store import create_engine, make_sessionmaker
from factories.security import Account, make_account
from factories.sources import un_store as un_list_store

pytestmark = pytest.mark.browser

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
HAMZA = "HAMZA USAMA MUHAMMAD BIN LADEN"
HAMZA_ARABIC = "حمزة أسامة محمد بن لادن"  # his name in the original script, as the UN lists it
WAIT_MS = 60_000
ROWS = 4000


@dataclass(frozen=True)
class Live:
    base: str
    account: Account
    session_token: str  # a session made through the service, for tests that do not sign in


@pytest.fixture(scope="module")
def un_store(postgres: PostgresDatabases | None, tmp_path_factory: pytest.TempPathFactory) -> str:
    return un_list_store(postgres, tmp_path_factory.mktemp("browser-screening"))


@pytest.fixture
def start(tmp_path: Path, un_store: str) -> Iterator[Callable[..., Live]]:
    """Serves the app on the UN store (with settings `overrides`), with a screening officer."""
    with contextlib.ExitStack() as stack:

        def run(**overrides: object) -> Live:
            settings = make_settings(tmp_path, database_url=un_store, **overrides)
            engine = create_engine(un_store)
            stack.callback(engine.dispose)
            factory = make_sessionmaker(engine)
            app = create_app(settings, factory)
            with factory() as session, session.begin():
                name = f"officer-{secrets.token_hex(3)}"
                account = make_account(session, app.state.keyring, name, Role.SCREENING_OFFICER)
                user = session.get(User, account.id)
                assert user is not None
                _, token = sessions.start_session(
                    session, settings, user, sessions.ACTIVE, datetime.now(UTC)
                )
            return Live(stack.enter_context(serve(app)), account, token)

        yield run


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
    page.screenshot(path=screenshot_path(f"screening-{step}.png"), full_page=True)


def _signed_in_page(browser: Browser, live: Live, path: str) -> tuple[Page, Watch]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
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


def _tab_to(page: Page, field_id: str, most: int = 60) -> None:
    """Press Tab until the field has the focus, as a keyboard user gets there."""
    for _ in range(most):
        if page.evaluate("document.activeElement && document.activeElement.id") == field_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{field_id} cannot be reached with Tab")


def _screen_hamza_with_the_keyboard(page: Page) -> None:
    _tab_to(page, "name")
    page.keyboard.type(HAMZA_ARABIC)
    _tab_to(page, "birth_date")
    page.keyboard.type("1989-05-09")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")


def _check_top_result(page: Page) -> None:
    top = page.locator("ol.candidates > li").first
    expect(top.get_by_role("heading", level=3)).to_contain_text(HAMZA)
    expect(top.get_by_role("heading", level=3)).to_contain_text("match")
    table = top.get_by_role("table")
    expect(table).to_be_visible()
    # The query matched the Arabic name the UN lists with him, letter for letter.
    name_row = table.get_by_role("row", name=re.compile(r"^Name"))
    expect(name_row.get_by_role("cell")).to_have_text(["1.00", HAMZA_ARABIC, HAMZA_ARABIC])
    expect(table.get_by_role("row", name=re.compile(r"^Date agrees"))).to_contain_text("+0.05")


def test_a_name_in_arabic_script_screened_with_the_keyboard(
    chromium: Browser, start: Callable[..., Live]
) -> None:
    live = start()
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page, live.base)
    try:
        # Sign in through the form: the username field has the focus, Tab moves on, Enter sends.
        page.goto(live.base + "/screening", wait_until="networkidle")
        expect(page).to_have_url(live.base + "/login?next=/screening")
        expect(page.locator("#username")).to_be_focused()
        page.keyboard.type(live.account.username)
        page.keyboard.press("Tab")
        page.keyboard.type(live.account.password)
        page.keyboard.press("Tab")
        page.keyboard.type(live.account.code())
        page.keyboard.press("Enter")
        page.wait_for_load_state("networkidle")
        expect(page).to_have_url(live.base + "/screening")
        expect(page.get_by_role("heading", level=1)).to_have_text("Screen a name")
        expect(page.get_by_role("link", name="Screen a file")).to_be_visible()

        _screen_hamza_with_the_keyboard(page)
        expect(page.locator("#name")).to_have_value(HAMZA_ARABIC)  # the form keeps the query
        expect(
            page.get_by_role("heading", level=2, name=re.compile("^Results for"))
        ).to_contain_text(HAMZA_ARABIC)
        _check_top_result(page)
        page.locator("#results-h").scroll_into_view_if_needed()
        _shot(page, "1-name")
        page.emulate_media(color_scheme="dark")
        expect(page.locator("body")).to_have_css("background-color", "rgb(21, 23, 27)")
        _shot(page, "2-name-dark")
        assert watch.all_problems() == []
    except BaseException:
        with contextlib.suppress(Exception):
            _shot(page, "failed")
        raise
    finally:
        context.close()


def test_the_screening_page_right_to_left(chromium: Browser, start: Callable[..., Live]) -> None:
    live = start(language="ar")
    page, watch = _signed_in_page(chromium, live, "/screening")
    try:
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        _screen_hamza_with_the_keyboard(page)
        _check_top_result(page)
        # Mirrored: the heading's text and the explanation's first column are on the right.
        width = page.viewport_size["width"] if page.viewport_size else 1280
        heading_x = page.evaluate(
            "(() => { const range = document.createRange();"
            " range.selectNodeContents(document.querySelector('h1'));"
            " return range.getBoundingClientRect().x; })()"
        )
        first_cell = page.locator("table.explanation th").first.bounding_box()
        assert first_cell is not None
        assert heading_x > width / 2
        assert first_cell["x"] > width / 2
        _shot(page, "3-name-rtl")
        assert watch.all_problems() == []
    finally:
        page.context.close()


def test_a_file_uploaded_watched_and_downloaded(
    chromium: Browser, start: Callable[..., Live], tmp_path: Path
) -> None:
    live = start()
    customers = tmp_path / "customers.csv"
    with customers.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Customer No", "Full Name", "DOB"])
        writer.writerow(["C-0001", HAMZA, "1989-05-09"])
        writer.writerow(["C-0002", HAMZA_ARABIC, ""])
        for n in range(3, ROWS + 1):  # enough rows for the page to poll while they are screened
            writer.writerow([f"C-{n:04}", f"Customer Number{n} Testperson", "1970-01-01"])
    page, watch = _signed_in_page(chromium, live, "/screening")
    try:
        page.get_by_role("link", name="Screen a file").click()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("heading", level=1)).to_have_text("Screen a file")
        # An old Excel file first: refused, with the message next to the file field.
        old_excel = tmp_path / "customers.xls"
        old_excel.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
        page.get_by_label(re.compile("^File")).set_input_files(old_excel)
        page.get_by_label("Column with the name").fill("Full Name")
        page.get_by_label("Column with your own id").fill("Customer No")
        page.get_by_role("button", name="Screen the file").click()
        page.wait_for_load_state("networkidle")
        file_field = page.get_by_label(re.compile("^File"))
        expect(file_field).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#file-error")).to_contain_text("old Excel file (.xls)")
        expect(page.get_by_role("alert")).to_contain_text("File:")
        expect(page.get_by_label("Column with the name")).to_have_value("Full Name")  # kept
        _shot(page, "batch-1-refused")

        file_field.set_input_files(customers)
        _shot(page, "batch-2-form")
        page.get_by_role("button", name="Screen the file").click()
        page.wait_for_load_state("domcontentloaded")

        expect(page).to_have_url(re.compile(r"/screening/batch/[A-Za-z0-9_-]{32}$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Screening customers.csv")
        progress = page.locator("#batch-progress")
        # The page polls: rows counted while they are screened (unless the machine outruns it).
        expect(progress).to_contain_text(re.compile(f"of about {ROWS:,}|Done"), timeout=WAIT_MS)
        _shot(page, "batch-3-progress")
        expect(progress).to_have_attribute("data-state", "done", timeout=WAIT_MS)
        expect(progress.locator("dd").first).to_have_text(f"{ROWS:,}")  # rows screened
        expect(progress.locator("dd").nth(2)).to_have_text(re.compile(r"^[1-9]"))  # matches
        expect(page.locator("#batch-announce")).to_contain_text(f"Done: {ROWS:,} rows screened")
        _shot(page, "batch-4-done")

        with page.expect_download() as info:
            page.get_by_role("button", name=re.compile("^Download the results")).click()
        download = info.value
        assert download.suggested_filename == "customers-screened.csv"
        saved = tmp_path / "results.csv"
        download.save_as(saved)
        with saved.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == ROWS
        assert (rows[0]["id"], rows[0]["matched"]) == ("C-0001", "true")
        assert rows[1]["id"] == "C-0002"

        page.reload(wait_until="networkidle")
        expect(page.get_by_role("status")).to_contain_text("no longer on the server")
        _shot(page, "batch-5-downloaded")
        # Allowed: the refusal provoked above (the response, and chromium's console line), and
        # the download, which chromium reports as a request it aborted (the page stays).
        posted = f"{live.base}/screening/batch"
        refused = [
            p for p in watch.all_problems() if "422" in p and re.search(f"{posted}\\b(?!/)", p)
        ]
        assert len(refused) == 2, watch.all_problems()
        downloaded = f"request failed: {page.url}/download"
        assert [p for p in watch.all_problems() if p not in [*refused, downloaded]] == []
    except BaseException:
        with contextlib.suppress(Exception):
            _shot(page, "failed")
        raise
    finally:
        page.context.close()
