"""Monitoring in a real browser: an officer works through the alert queue with the keyboard only.

The app runs under uvicorn on a store of this module's own, with the real UN list imported once,
and Debian's chromium drives it. A screening officer of a team signs in through the form and lands
on the monitoring page; "Re-screen now" starts a pass whose panel polls until it is done. In the
queue of the team's portfolio (subjects named like UN entries) the officer moves with j/k, selects
two alerts with x, marks them false positives with f and a reason, takes one as a true match with
t, opens the next with Enter and decides it on its page with n, then f. Each step is checked in
the store. Every page is watched as in test_browser.py (no console error, no CSP violation, no
failed request). Screenshots go to artifacts/screenshots/monitoring-*.png.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_browser import Watch

from browser import CHROMIUM_ARGS, chromium_executable, screenshot_path, serve
from conftest import PostgresDatabases, make_settings
from dignity.api.app import create_app
from dignity.screening.monitoring.models import Alert, AlertDecision
from dignity.screening.monitoring.rescreen import screen_subjects
from dignity.screening.monitoring.subjects import add_subject, create_portfolio
from dignity.screening.services import IndexCache
from dignity.security.authz import user_principal
from dignity.security.crypto import Keyring
from dignity.security.models import User
from dignity.security.permissions import Role
from dignity.security.projects import add_member, create_project
from dignity.store import create_engine, make_sessionmaker, transaction
from factories.security import Account, make_account
from factories.sources import un_store as un_list_store

pytestmark = pytest.mark.browser

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
SUBJECTS = [
    ("C-0001", "Hamza bin Laden"),
    ("C-0002", "Aiman Muhammed Rabi al-Zawahiri"),
    ("C-0003", "Ibrahim Ali Abu Bakr Tantoush"),
    ("C-0004", "Oduya Fenwright"),  # nobody
]
WAIT_MS = 60_000


@dataclass(frozen=True)
class Live:
    base: str
    account: Account
    portfolio_id: str
    factory: sessionmaker[Session]


@pytest.fixture(scope="module")
def un_store(postgres: PostgresDatabases | None, tmp_path_factory: pytest.TempPathFactory) -> str:
    return un_list_store(postgres, tmp_path_factory.mktemp("browser-monitoring"))


@pytest.fixture
def start(tmp_path: Path, un_store: str) -> Iterator[Callable[..., Live]]:
    """Serves the app on the UN store (with settings `overrides`), with a team, its officer, and
    a portfolio of subjects screened against the list."""
    with contextlib.ExitStack() as stack:

        def run(**overrides: object) -> Live:
            settings = make_settings(tmp_path, database_url=un_store, **overrides)
            engine = create_engine(un_store)
            stack.callback(engine.dispose)
            factory = make_sessionmaker(engine)
            app = create_app(settings, factory)
            stack.callback(app.state.monitor_jobs.wait, WAIT_MS / 1000)
            account, portfolio_id = _team_with_portfolio(factory, app.state.keyring)
            return Live(stack.enter_context(serve(app)), account, portfolio_id, factory)

        yield run


def _team_with_portfolio(factory: sessionmaker[Session], keyring: Keyring) -> tuple[Account, str]:
    suffix = secrets.token_hex(3)
    with transaction(factory) as session:
        project = create_project(session, f"Retail banking {suffix}", "", actor="test")
        account = make_account(session, keyring, f"officer-{suffix}", Role.SCREENING_OFFICER)
        user = session.get(User, account.id)
        assert user is not None
        add_member(session, project, user, actor="test")
        principal = user_principal(user.id, user.username, user.role, None)
        book = create_portfolio(
            session, principal, name=f"Retail customers {suffix}", project_id=project.id
        )
        ids = [
            add_subject(
                session, principal, book, reference=ref, schema="Person", properties={"name": [n]}
            ).id
            for ref, n in SUBJECTS
        ]
        screen_subjects(
            session, IndexCache().get(session), ids, actor=principal.actor, trigger="test"
        )
        return account, book.id


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
    page.screenshot(path=screenshot_path(f"monitoring-{step}.png"), full_page=True)


def _alerts(live: Live) -> dict[str, Alert]:
    with live.factory() as session:
        found = session.execute(
            select(Alert).where(Alert.portfolio_id == live.portfolio_id)
        ).scalars()
        return {alert.id: alert for alert in found}


def _focused_row(page: Page) -> str:
    focused = page.evaluate("document.activeElement && document.activeElement.dataset.alert")
    assert focused, "no alert row has the focus"
    return str(focused)


def _press(page: Page, key: str) -> None:
    page.keyboard.press(key)


def _press_until_focused(page: Page, key: str, selector: str, tries: int = 5) -> None:
    """Press a shortcut until it has focused `selector`: right after a reload, under load, the
    page's script may not yet listen for keys (a press before it does goes nowhere)."""
    for _ in range(tries - 1):
        _press(page, key)
        with contextlib.suppress(AssertionError):
            expect(page.locator(selector)).to_be_focused(timeout=2000)
            return
    _press(page, key)
    expect(page.locator(selector)).to_be_focused()


def _sign_in(page: Page, live: Live) -> None:
    page.goto(live.base + "/monitoring", wait_until="networkidle")
    expect(page).to_have_url(live.base + "/login?next=/monitoring")
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type(live.account.username)
    page.keyboard.press("Tab")
    page.keyboard.type(live.account.password)
    page.keyboard.press("Tab")
    page.keyboard.type(live.account.code())
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    expect(page).to_have_url(live.base + "/monitoring")


def test_an_officer_works_through_the_alert_queue_with_the_keyboard(
    chromium: Browser, start: Callable[..., Live]
) -> None:
    live = start()
    raised = _alerts(live)
    assert len(raised) >= 4, "the UN names should raise at least four alerts"
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page, live.base)
    try:
        _sign_in(page, live)
        expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring")
        expect(page.get_by_role("link", name="Monitoring", exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        expect(page.locator("table.portfolios")).to_contain_text("Retail customers")
        # Re-screen now: the pass runs in the background and its panel polls until it is done.
        page.get_by_role("button", name="Re-screen now").click()
        page.wait_for_load_state("domcontentloaded")
        expect(page.get_by_role("status").first).to_contain_text("A re-screening pass started")
        runs = page.locator("#monitor-runs")
        expect(runs).to_have_attribute("data-running", "false", timeout=WAIT_MS)
        expect(runs.locator("tbody tr").first).to_contain_text("changes only")
        expect(runs.locator("tbody tr").first).to_contain_text("done")
        _shot(page, "1-overview")

        page.locator("table.portfolios").get_by_role(
            "link", name=re.compile("^Retail customers")
        ).click()
        page.wait_for_load_state("networkidle")
        expect(page.locator("table.subjects")).to_contain_text("C-0001")
        _shot(page, "2-portfolio")
        page.get_by_role("link", name="Review the alerts").click()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Alerts of")
        rows = page.locator("tr.queue-row")
        expect(rows).to_have_count(len(raised))
        order = [str(rows.nth(i).get_attribute("data-alert")) for i in range(len(raised))]

        # ? shows the shortcuts; j/k move; x selects.
        _press(page, "?")
        expect(page.locator("#shortcuts")).to_have_attribute("open", "")
        _press(page, "Escape")
        _press(page, "?")
        expect(page.locator("#shortcuts")).not_to_have_attribute("open", "")
        _press(page, "j")
        assert _focused_row(page) == order[0]
        _press(page, "j")
        _press(page, "j")
        assert _focused_row(page) == order[2]
        _press(page, "k")
        _press(page, "k")
        assert _focused_row(page) == order[0]
        _press(page, "x")
        _press(page, "j")
        _press(page, "x")
        expect(page.locator(f"#sel-{order[0]}")).to_be_checked()
        expect(page.locator(f"#sel-{order[1]}")).to_be_checked()
        expect(page.locator(f"#sel-{order[2]}")).not_to_be_checked()
        expect(page.locator("#queue-announce")).to_contain_text("2 selected")
        # A shortcut typed in a field is text, not a command.
        page.locator("#program").focus()
        page.keyboard.type("jx")
        expect(page.locator("#program")).to_have_value("jx")
        expect(page.locator(f"#sel-{order[2]}")).not_to_be_checked()
        page.keyboard.press("Control+a")
        page.keyboard.press("Delete")
        _press(page, "Escape")

        # f: false positive for the two selected, with a reason chosen by keyboard, then Enter.
        _press(page, "f")
        expect(page.locator("#bulk-reason")).to_be_focused()
        expect(page.locator("#bulk-fp")).to_be_checked()
        _press(page, "ArrowDown")
        expect(page.locator("#bulk-reason")).to_have_value("dob-differs")
        _shot(page, "3-queue-selected")
        _press(page, "Enter")
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("status").first).to_contain_text("2 alerts decided.")
        after = _alerts(live)
        assert [after[i].status for i in order[:2]] == ["false_positive", "false_positive"]
        with live.factory() as session:
            reasons = session.execute(select(AlertDecision.reason_code)).scalars().all()
        assert reasons == ["dob-differs", "dob-differs"]
        expect(rows).to_have_count(len(raised) - 2)

        # t: the focused alert is a true match (the portfolio has no four-eyes rule).
        _press_until_focused(page, "j", f"#row-{order[2]}")  # the page has just reloaded
        assert _focused_row(page) == order[2]
        _press(page, "t")
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("status").first).to_contain_text("The decision was recorded.")
        assert _alerts(live)[order[2]].status == "true_match"
        expect(rows).to_have_count(len(raised) - 3)
        _shot(page, "4-queue-after")

        # Enter opens the focused alert; on its page, n then f decide it.
        _press_until_focused(page, "j", f"#row-{order[3]}")  # the page has just reloaded
        assert _focused_row(page) == order[3]
        _press(page, "Enter")
        page.wait_for_load_state("networkidle")
        expect(page).to_have_url(re.compile(f"/monitoring/alerts/{order[3]}(\\?back=.*)?$"))
        expect(page.locator("table.compare")).to_be_visible()
        expect(page.locator("table.explanation")).to_contain_text("Name")
        _shot(page, "5-alert")
        _press(page, "n")
        expect(page.locator("#ni-note")).to_be_focused()
        page.keyboard.type("Ask the branch for a copy of the passport.")
        page.keyboard.press("Control+Enter")
        page.wait_for_load_state("networkidle")
        expect(page.locator("#alert-status")).to_have_text("needs information")
        assert _alerts(live)[order[3]].status == "needs_info"
        # The decision reloaded the page: its shortcuts work once its script has run again.
        _press_until_focused(page, "f", "#fp-reason")
        _press(page, "ArrowDown")
        _press(page, "ArrowDown")
        expect(page.locator("#fp-reason")).to_have_value("nationality-differs")
        _press(page, "Enter")
        page.wait_for_load_state("networkidle")
        expect(page.locator("#alert-status")).to_have_text("false positive")
        expect(page.locator("table.decisions tbody tr")).to_have_count(2)
        _shot(page, "6-alert-decided")
        assert _alerts(live)[order[3]].status == "false_positive"
        assert watch.all_problems() == []
    except BaseException:
        with contextlib.suppress(Exception):
            _shot(page, "failed")
        raise
    finally:
        context.close()


def test_the_alert_queue_right_to_left_and_dark(
    chromium: Browser, start: Callable[..., Live]
) -> None:
    live = start(language="ar")
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    page = context.new_page()
    watch = Watch(page, live.base)
    try:
        _sign_in(page, live)
        page.goto(f"{live.base}/monitoring/portfolios/{live.portfolio_id}/alerts")
        page.wait_for_load_state("networkidle")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("body")).to_have_css("background-color", "rgb(21, 23, 27)")
        # Mirrored: the queue's first column (the selection boxes) is on the right.
        width = page.viewport_size["width"] if page.viewport_size else 1280
        first = page.locator("tr.queue-row td").first.bounding_box()
        assert first is not None
        assert first["x"] > width / 2
        _press(page, "j")
        _press(page, "x")
        _shot(page, "7-queue-dark")
        assert watch.all_problems() == []
    finally:
        context.close()
