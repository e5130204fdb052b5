"""Evidence in a real browser (issue #8, done when): an investigator uploads three files to an
event, opens an item, and reads its custody timeline.

The app runs under uvicorn on an empty store of this test's own; Debian's chromium drives it. The
investigator signs in through the form, opens the event's story, follows its Evidence link, fills
in the collection record, chooses three files on the file input (Playwright's `set_input_files`)
and uploads them: the page's script sends each file as the body of its own request and shows its
progress. The item page shows the file's hash and collection record and the custody timeline; the
original is downloaded with a purpose, which then appears in the timeline. Without script, the
same form posts the files as one multipart request. What the store and the blob store hold is
checked; every page is watched as in test_browser.py (no console error, no CSP violation, no failed
request). Screenshots go to artifacts/screenshots/evidence-*.png.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from collections.abc import Callable, Iterator
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
from dignity.documentation.models import Event
from dignity.evidence import services as evidence
from dignity.evidence.blobs import LocalBlobStore
from dignity.evidence.models import CustodyEvent, EvidenceItem
from dignity.security.authz import user_principal
from dignity.security.crypto import Keyring
from dignity.security.models import User
from dignity.security.permissions import Role
from dignity.security.projects import add_member, create_project
from dignity.settings import Settings
from dignity.store import create_engine, make_sessionmaker, migrate, transaction
from factories.documentation import story
from factories.security import Account, make_account

pytestmark = pytest.mark.browser

FILES = [
    {"name": "market-raid.png", "mimeType": "image/png",
     "buffer": b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(300_000)},
    {"name": "شهادة الشاهد.txt", "mimeType": "text/plain",
     "buffer": "رأيت الجنود يحيطون بتجار الماشية عند الفجر\n".encode() * 2000},
    {"name": "field-notes.bin", "mimeType": "application/octet-stream",
     "buffer": b"\x00\x01" + secrets.token_bytes(1_200_000)},
]  # fmt: skip


@dataclass(frozen=True)
class Live:
    base: str
    account: Account
    factory: sessionmaker[Session]
    settings: Settings
    keyring: Keyring
    event_id: str


@pytest.fixture
def start(tmp_path: Path, fresh_store_url: str) -> Iterator[Callable[..., Live]]:
    """Serves the app in a page language on an empty store, with a project, its investigator and
    a documented event."""
    with contextlib.ExitStack() as stack:

        def run(language: str = "en") -> Live:
            engine = create_engine(fresh_store_url)
            stack.callback(engine.dispose)
            migrate.upgrade(engine)
            factory = make_sessionmaker(engine)
            settings = make_settings(tmp_path, database_url=fresh_store_url, language=language)
            app = create_app(settings, factory)
            with transaction(factory) as session:
                project = create_project(
                    session, f"Darfur 2023 {secrets.token_hex(2)}", "", actor="test"
                )
                account = make_account(
                    session, app.state.keyring, "field-investigator", Role.INVESTIGATOR
                )
                user = session.get(User, account.id)
                assert user is not None
                add_member(session, project, user, actor="test")
                who = user_principal(user.id, user.username, user.role, None)
                event_id = story(session, who, project)["event"]
            base = stack.enter_context(serve(app))
            return Live(base, account, factory, settings, app.state.keyring, event_id)

        yield run


@pytest.fixture
def chromium() -> Iterator[Browser]:
    with launched_chromium() as browser:
        yield browser


def _shot(page: Page, step: str) -> None:
    page.screenshot(path=screenshot_path(f"evidence-{step}.png"), full_page=True)


def _sign_in(page: Page, live: Live, path: str) -> None:
    page.goto(live.base + path, wait_until="networkidle")
    page.get_by_label("Username").fill(live.account.username)
    page.get_by_label("Password").fill(live.account.password)
    page.get_by_label("Code from your authenticator app").fill(live.account.code())
    page.get_by_label("Code from your authenticator app").press("Enter")
    page.wait_for_load_state("networkidle")
    expect(page).to_have_url(live.base + path)


def _fill_collection(page: Page) -> None:
    page.get_by_label("Collected by").fill("Field team 3")
    page.get_by_label("Method").fill("screenshot")
    page.get_by_label("Tool", exact=True).fill("Hunchly")
    page.get_by_label("Tool version").fill("2.4.1")
    page.get_by_label("Account or persona used").fill("research persona B")
    page.get_by_label("Source URL or device").fill("https://social.example/post/123")
    page.get_by_label("Collected at (UTC)").fill("2024-05-01T14:03")
    page.get_by_label("Clock source").fill("ntp")
    page.get_by_label("Purpose").fill("Shows the soldiers at the market at dawn")


def _stored(live: Live) -> tuple[list[EvidenceItem], list[CustodyEvent]]:
    with live.factory() as session:
        items = list(
            session.execute(select(EvidenceItem).order_by(EvidenceItem.ingested_at)).scalars()
        )
        chain = list(
            session.execute(
                select(CustodyEvent).order_by(CustodyEvent.item_id, CustodyEvent.seq)
            ).scalars()
        )
    return items, chain


def _check_store(live: Live, items: list[EvidenceItem]) -> None:
    assert {i.event_id for i in items} == {live.event_id}
    assert sorted(i.sha256 for i in items) == sorted(
        hashlib.sha256(f["buffer"]).hexdigest() for f in FILES
    )
    store = LocalBlobStore(live.settings.evidence_dir)
    assert sorted(store.ids()) == sorted(i.blob_id for i in items)
    blobs = b"".join(store.path(i.blob_id).read_bytes() for i in items)
    for f in FILES:
        assert f["buffer"][100:4000] not in blobs  # encrypted: no plaintext in the store


def test_uploads_three_files_to_an_event_opens_an_item_and_reads_its_custody_timeline(
    chromium: Browser, start: Callable[..., Live], tmp_path: Path
) -> None:
    live = start()
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    watch = Watch(page, live.base)
    try:
        _sign_in(page, live, f"/records/events/{live.event_id}")
        page.get_by_role("link", name="Evidence", exact=True).click()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Evidence")
        expect(page.get_by_text("No evidence stored for this event yet.")).to_be_visible()
        _fill_collection(page)
        page.locator("#evidence-files").set_input_files(FILES)  # type: ignore[arg-type]
        _shot(page, "1-upload-form")
        page.get_by_role("button", name="Upload").click()
        progress = page.locator("#evidence-progress")
        expect(progress.get_by_role("status")).to_contain_text(
            "3 of 3 files stored", timeout=20_000
        )
        expect(progress.locator("li.stored")).to_have_count(3)
        expect(progress.locator("progress").first).to_have_attribute("value", re.compile(r"\d"))
        _shot(page, "2-uploaded")

        items, chain = _stored(live)
        assert len(items) == 3
        assert [c.action for c in chain] == ["ingest"] * 3
        _check_store(live, items)

        page.get_by_role("link", name="Show the list").click()
        page.wait_for_load_state("networkidle")
        rows = page.locator("table.evidence-items tbody tr")
        expect(rows).to_have_count(3)
        _shot(page, "3-list")

        page.get_by_role("link", name="شهادة الشاهد.txt").click()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("heading", level=1)).to_have_text("شهادة الشاهد.txt")
        witness = hashlib.sha256(FILES[1]["buffer"]).hexdigest()
        expect(page.locator("main")).to_contain_text(witness)
        expect(page.locator("main")).to_contain_text("research persona B")
        expect(page.locator("#chain-verdict")).to_contain_text("Chain verified: yes")
        timeline = page.locator("ol.custody > li")
        expect(timeline).to_have_count(1)
        expect(timeline.first).to_contain_text("Received into the vault")
        expect(timeline.first).to_contain_text("field-investigator")

        page.get_by_label("Purpose").fill("Translation for the referral dossier")
        with page.expect_download() as downloading:
            page.get_by_role("button", name="Download original").click()
        download = downloading.value
        assert download.suggested_filename == "شهادة الشاهد.txt"
        saved = tmp_path / "downloaded.txt"
        download.save_as(saved)
        assert saved.read_bytes() == FILES[1]["buffer"]

        page.reload(wait_until="networkidle")
        expect(timeline).to_have_count(2)
        expect(timeline.nth(1)).to_contain_text("Original downloaded")
        expect(timeline.nth(1)).to_contain_text("Translation for the referral dossier")
        expect(timeline.nth(1)).to_contain_text(witness)
        expect(page.locator("#chain-verdict")).to_contain_text("Chain verified: yes")
        _shot(page, "4-item-custody")

        _, chain = _stored(live)
        downloads = [c for c in chain if c.action == "download"]
        assert [(c.purpose, c.sha256) for c in downloads] == [
            ("Translation for the referral dossier", witness)
        ]
        # Chromium ends a navigation that turns into a download with ERR_ABORTED, which the
        # watch reports as a failed request: that one, and only that one, is expected.
        turned_download = f"request failed: {download.url}"
        assert [p for p in watch.all_problems() if p != turned_download] == []
    finally:
        context.close()


def test_without_script_the_form_posts_the_three_files_at_once(
    chromium: Browser, start: Callable[..., Live]
) -> None:
    live = start()
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        _sign_in(page, live, f"/records/events/{live.event_id}/evidence")
        _fill_collection(page)
        page.locator("#evidence-files").set_input_files(FILES)  # type: ignore[arg-type]
        page.get_by_role("button", name="Upload").click()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("status")).to_contain_text("3 files stored")
        expect(page.locator("table.evidence-items tbody tr")).to_have_count(3)
        _shot(page, "5-no-script")
        items, _ = _stored(live)
        assert len(items) == 3
        _check_store(live, items)
    finally:
        context.close()


def test_the_item_page_reads_right_to_left_in_arabic(
    chromium: Browser, start: Callable[..., Live]
) -> None:
    live = start("ar")
    with transaction(live.factory) as session:
        user = session.execute(select(User)).scalar_one()
        who = user_principal(user.id, user.username, user.role, None)
        event = session.get(Event, live.event_id)
        assert event is not None
        item = evidence.add_evidence(
            session,
            who,
            live.keyring,
            LocalBlobStore(live.settings.evidence_dir),
            event.project_id,
            [FILES[1]["buffer"]],
            filename=FILES[1]["name"],
            collection={
                "collected_by": "فريق الميدان ٣",
                "method": "مقابلة",
                "source": "هاتف الشاهد",
                "collected_at": "2024-05-01T14:03:00+00:00",
                "purpose": "شهادة عن مداهمة السوق",
            },
            max_bytes=10**9,
            event_id=live.event_id,
        )
        item_id = item.id
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page, live.base)
    try:
        _sign_in(page, live, f"/evidence/{item_id}")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.get_by_role("heading", level=1)).to_have_text(FILES[1]["name"])
        expect(page.locator("main")).to_contain_text("فريق الميدان ٣")
        expect(page.locator("ol.custody > li")).to_have_count(1)
        _shot(page, "6-item-rtl")
        assert watch.all_problems() == []
    finally:
        context.close()
