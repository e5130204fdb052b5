"""Consent in a real browser: an investigator records a survivor's consent in the survivor's
language (Arabic, through an interpreter), shares the person's records with a UN mechanism (the
document is downloaded and its SHA-256 is in the sharing log), records the withdrawal of consent,
sees the UN mechanism in the list of recipients to notify, and marks it notified. A share tried
after the withdrawal is refused with the reason. Every page is watched as in test_browser.py (no
console error, no CSP violation, no failed request besides the refusal). Screenshots go to
artifacts/screenshots/consent-*.png.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_browser import Watch

from browser import launched_chromium, screenshot_path, serve
from conftest import make_settings
from dignity.api.app import create_app
from dignity.consent.models import Consent, Share, ShareNotification
from dignity.documentation import services as docs
from dignity.security.authz import user_principal
from dignity.security.models import User
from dignity.security.permissions import Role
from dignity.security.projects import add_member, create_project
from dignity.store import create_engine, make_sessionmaker, migrate, transaction
from factories.security import Account, make_account

pytestmark = pytest.mark.browser

RECIPIENT = "OHCHR Iraq human rights office"
CONDITION = "Only after she has moved to a safer place"


@dataclass(frozen=True)
class Live:
    base: str
    account: Account
    factory: sessionmaker[Session]
    person_id: str
    code: str


@pytest.fixture
def live(tmp_path: Path, fresh_store_url: str) -> Iterator[Live]:
    engine = create_engine(fresh_store_url)
    try:
        migrate.upgrade(engine)
        factory = make_sessionmaker(engine)
        settings = make_settings(tmp_path, database_url=fresh_store_url)
        app = create_app(settings, factory)
        with transaction(factory) as session:
            project = create_project(session, f"Sinjar {secrets.token_hex(2)}", "", actor="test")
            account = make_account(session, app.state.keyring, "investigator", Role.INVESTIGATOR)
            user = session.get(User, account.id)
            assert user is not None
            add_member(session, project, user, actor="test")
            who = user_principal(user.id, user.username, user.role, None)
            person = docs.create_record(
                session, who, "persons", project.id, {"kind": "individual", "sex": "sex.female"}
            )
            person_id, code = person.id, person.code
        with serve(app) as base:
            yield Live(base, account, factory, person_id, code)
    finally:
        engine.dispose()


@pytest.fixture
def chromium() -> Iterator[Browser]:
    with launched_chromium() as browser:
        yield browser


def _shot(page: Page, step: str) -> None:
    page.screenshot(path=screenshot_path(f"consent-{step}.png"), full_page=True)


def _sign_in(page: Page, live: Live, path: str) -> None:
    page.goto(live.base + path, wait_until="networkidle")
    page.get_by_label("Username").fill(live.account.username)
    page.get_by_label("Password").fill(live.account.password)
    page.get_by_label("Code from your authenticator app").fill(live.account.code())
    page.get_by_label("Code from your authenticator app").press("Enter")
    page.wait_for_load_state("networkidle")
    expect(page).to_have_url(live.base + path)


def _submit(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state("networkidle")


def _share(page: Page) -> None:
    page.locator("summary", has_text="Share with").click()
    page.get_by_label("Recipient", exact=True).select_option("un-mechanism")
    page.get_by_label("Name of the recipient").fill(RECIPIENT)
    page.get_by_label("Purpose of the share").fill("Submission on the crimes against the Yazidis")


def test_consent_in_the_survivors_language_a_share_a_withdrawal_and_the_recipients_to_notify(
    chromium: Browser, live: Live
) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    watch = Watch(page, live.base)
    person_page = f"/records/persons/{live.person_id}"
    try:
        _sign_in(page, live, person_page)
        expect(page.locator("#consent")).to_contain_text("No consent is recorded")

        # Consent, given orally in Arabic through an interpreter, to documentation and the UN.
        page.locator("summary", has_text="Record consent").click()
        page.get_by_label("Sharing with a UN mechanism").check()
        page.get_by_label("Language of the consent").select_option("ar")
        page.get_by_label("How consent was given").select_option("oral")
        page.get_by_label("Through whom", exact=True).select_option("interpreter")
        page.get_by_label("Conditions").fill(CONDITION)
        _shot(page, "1-consent-form")
        _submit(page, "Save the consent")
        now = page.locator(".consent-now")
        expect(now).to_contain_text(
            "agreed orally, through an interpreter, in Arabic (العربية, ar)"
        )
        expect(now).to_contain_text("sharing with a UN mechanism")
        expect(now).to_contain_text(CONDITION)
        _shot(page, "2-consent-recorded")

        # The share: the consent covers it, so the document is downloaded and logged.
        _share(page)
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Share", exact=True).click()
        download = download_info.value
        assert download.suggested_filename.startswith(f"dignity-share-{live.code}-")
        sent = Path(download.path()).read_bytes()
        page.goto(live.base + person_page, wait_until="networkidle")
        expect(page.locator(".consent-log")).to_contain_text(RECIPIENT)
        _shot(page, "3-shared")

        # The withdrawal: the recipient of the earlier share is listed to be told.
        page.locator("summary", has_text="Withdraw consent").click()
        page.get_by_label("How it was withdrawn").select_option("oral")
        page.get_by_label("Note on the withdrawal").fill("Called the hotline")
        _submit(page, "Record the withdrawal")
        expect(page.locator(".consent-flag").first).to_contain_text("Consent withdrawn.")
        notify = page.locator("#consent-notify")
        expect(notify).to_contain_text("Recipients to notify (1)")
        expect(notify).to_contain_text(RECIPIENT)
        _shot(page, "4-recipients-to-notify")

        # A share tried now is refused, naming the person and the reason.
        _share(page)
        _submit(page, "Share")
        expect(page.get_by_role("alert")).to_contain_text(live.code)
        expect(page.get_by_role("alert")).to_contain_text("consent was withdrawn on")
        _shot(page, "5-share-refused")

        page.goto(live.base + person_page + "#consent-notify", wait_until="networkidle")
        page.get_by_label(f"How {RECIPIENT} was told").select_option("letter")
        page.get_by_label(f"Who told {RECIPIENT}").fill("Legal officer")
        _submit(page, "Mark notified")
        expect(page.locator("#consent-notify")).to_contain_text("Every recipient has been told.")
        expect(page.locator(".consent-log")).to_contain_text("Legal officer")
        _shot(page, "6-notified")

        with live.factory() as session:
            chain = list(session.execute(select(Consent).order_by(Consent.recorded_at)).scalars())
            (share,) = session.execute(select(Share)).scalars()
            (notice,) = session.execute(select(ShareNotification)).scalars()
        assert [(c.action, c.language) for c in chain] == [("given", "ar"), ("withdrawn", "ar")]
        assert chain[1].supersedes_id == chain[0].id
        assert (share.recipient_kind, share.recipient_name) == ("un-mechanism", RECIPIENT)
        assert share.sha256 == hashlib.sha256(sent).hexdigest()
        assert (notice.share_id, notice.how) == (share.id, "letter")
        # The refused share answers 403 (the response and the console both report it).
        refusal = f"/consent/persons/{live.person_id}/share"
        problems = [p for p in watch.all_problems() if refusal not in p]
        assert problems == []
        assert any(p.startswith("HTTP 403") for p in watch.all_problems())
    finally:
        context.close()
