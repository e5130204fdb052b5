"""Documentation in a real browser: a new investigator records an event as the story unfolds.

The app runs under uvicorn on an empty store of this test's own; Debian's chromium drives it. An
investigator of a project signs in through the form, opens Records, starts a new event, then
records two acts on the act form (two victims described there, one alleged perpetrator group with
its degree of involvement, chosen again by code for the second act), then a source with its
reliability. Each step lands where the investigator was (the story page, the act's anchor, the
empty act form after "Save and add another act"). The event is then found by a word of its
description with full-text search, and on the timeline under its year and month. What the store
holds is checked; every page is watched as in test_browser.py (no console error, no CSP
violation, no failed request). Screenshots go to artifacts/screenshots/documentation-*.png.
"""

from __future__ import annotations

import contextlib
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
from dignity.documentation.models import Act, Event, Information, Involvement, Person
from dignity.security.authz import user_principal
from dignity.security.models import Project, User
from dignity.security.permissions import Role
from dignity.security.projects import add_member, create_project
from dignity.store import create_engine, make_sessionmaker, migrate, transaction
from factories.documentation import story
from factories.security import Account, make_account

pytestmark = pytest.mark.browser

TITLE = "Raid on the livestock market of El Geneina"
DESCRIPTION = "Soldiers surrounded the cattle traders at dawn and took them to the barracks."


@dataclass(frozen=True)
class Live:
    base: str
    account: Account
    factory: sessionmaker[Session]
    project_id: str


@pytest.fixture
def start(tmp_path: Path, fresh_store_url: str) -> Iterator[Callable[[str], Live]]:
    """Serves the app in a page language on an empty store, with a project and its investigator."""
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
                    session, app.state.keyring, "new-investigator", Role.INVESTIGATOR
                )
                user = session.get(User, account.id)
                assert user is not None
                add_member(session, project, user, actor="test")
            return Live(stack.enter_context(serve(app)), account, factory, project.id)

        yield run


@pytest.fixture
def chromium() -> Iterator[Browser]:
    with launched_chromium() as browser:
        yield browser


def _shot(page: Page, step: str) -> None:
    page.screenshot(path=screenshot_path(f"documentation-{step}.png"), full_page=True)


def _sign_in(page: Page, live: Live) -> None:
    page.goto(live.base + "/records", wait_until="networkidle")
    expect(page).to_have_url(live.base + "/login?next=/records")
    page.get_by_label("Username").fill(live.account.username)
    page.get_by_label("Password").fill(live.account.password)
    page.get_by_label("Code from your authenticator app").fill(live.account.code())
    page.get_by_label("Code from your authenticator app").press("Enter")
    page.wait_for_load_state("networkidle")
    expect(page).to_have_url(live.base + "/records")


def _submit(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state("networkidle")


def _one(session: Session, model: type) -> list:  # type: ignore[type-arg]
    return list(session.execute(select(model)).scalars())


def test_a_new_investigator_records_an_event_and_finds_it_again(
    chromium: Browser, start: Callable[[str], Live]
) -> None:
    live = start("en")
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page, live.base)
    try:
        _sign_in(page, live)
        page.get_by_role("link", name="New event").click()
        page.wait_for_load_state("networkidle")
        page.get_by_label("Title").fill(TITLE)
        page.get_by_label("Description").fill(DESCRIPTION)
        page.get_by_label("Start date", exact=True).fill("2023-06-14")
        page.get_by_label("Start date precision").select_option("date.exact")
        page.get_by_label("Country (ISO code)").fill("sd")
        page.get_by_label("Place", exact=True).fill("El Geneina, livestock market")
        page.get_by_label("Arbitrary detention").check()
        _shot(page, "1-event-form")
        _submit(page, "Save the event")
        expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)

        # The first act: a detention, its victim and the unit that carried it out.
        page.get_by_role("link", name="Add an act").click()
        page.wait_for_load_state("networkidle")
        page.get_by_label("Act type").select_option("act.deprivation-of-liberty.detention")
        page.get_by_label("Place", exact=True).fill("Barracks of the 15th division")
        page.locator('[name="victim.mode"][value="new"]').check()
        page.get_by_label("Individual or group").first.select_option("individual")
        page.locator('[name="victim.sex"]').select_option("sex.female")
        page.locator('[name="victim.age_min"]').fill("30")
        page.locator('[name="victim.age_max"]').fill("35")
        page.locator('[name="perpetrators.0.mode"][value="new"]').check()
        page.locator('[name="perpetrators.0.kind"]').select_option("group")
        page.locator('[name="perpetrators.0.perpetrator_type"]').select_option(
            "perpetrator.state.armed-forces"
        )
        page.locator('[name="perpetrators.0.description"]').fill("A unit of the 15th division")
        page.locator('[name="perpetrators.0.degree"]').select_option("involvement.direct")
        _shot(page, "2-act-form")
        _submit(page, "Save and add another act")
        expect(page.get_by_role("status").first).to_contain_text("Act saved")

        with live.factory() as session:
            (unit,) = [p for p in _one(session, Person) if p.kind == "group"]
        # The second act: ill-treatment of a second victim by the same unit, chosen by its code.
        page.get_by_label("Act type").select_option("act.ill-treatment")
        page.locator('[name="victim.mode"][value="new"]').check()
        page.locator('[name="victim.kind"]').select_option("individual")
        page.locator('[name="victim.sex"]').select_option("sex.male")
        page.locator('[name="perpetrators.0.mode"][value="existing"]').check()
        page.locator('[name="perpetrators.0.existing"]').select_option(unit.id)
        page.locator('[name="perpetrators.0.degree"]').select_option("involvement.command.ordered")
        _submit(page, "Save act")
        expect(page).to_have_url(re.compile(r"/records/events/[^/#]+#act-[^/]+$"))

        # The source: a trader who saw it, first hand.
        page.get_by_role("link", name="Add a source").click()
        page.wait_for_load_state("networkidle")
        page.locator('[name="source.mode"][value="new"]').check()
        page.locator('[name="source.kind"]').select_option("individual")
        page.locator('[name="source.description"]').fill("A trader who was at the market")
        page.get_by_label("Connection").select_option("connection.direct.eyewitness")
        page.get_by_label("Type of material").select_option("material.testimony.interview")
        page.get_by_label("Reliability").select_option("reliability.high.first-hand")
        _submit(page, "Save")
        expect(page).to_have_url(re.compile(r"#sources$"))

        story = page.locator("main")
        expect(story).to_contain_text("Detention")
        expect(story).to_contain_text(unit.code)
        expect(story).to_contain_text("Direct")
        expect(story).to_contain_text("First-hand")
        _shot(page, "3-story")

        with live.factory() as session:
            (event,) = _one(session, Event)
            acts = _one(session, Act)
            persons = _one(session, Person)
            involvements = _one(session, Involvement)
            (source,) = _one(session, Information)
        assert event.title == TITLE
        assert event.violation_types == ["violation.arbitrary-detention"]
        assert sorted(a.act_type for a in acts) == [
            "act.deprivation-of-liberty.detention",
            "act.ill-treatment",
        ]
        victims = {a.victim_id for a in acts}
        assert len(victims) == 2
        assert {p.id for p in persons} == victims | {unit.id, source.source_id}
        assert sorted((i.perpetrator_id, i.degree) for i in involvements) == [
            (unit.id, "involvement.command.ordered"),
            (unit.id, "involvement.direct"),
        ]
        assert (source.event_id, source.reliability) == (event.id, "reliability.high.first-hand")

        # Found again: by a word of its description, and on the timeline.
        page.goto(live.base + "/records", wait_until="networkidle")
        page.get_by_label("Words").fill("cattle traders")
        page.get_by_label("Words").press("Enter")
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("link", name=TITLE)).to_be_visible()
        _shot(page, "4-search")
        page.get_by_role("link", name="Timeline").click()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("heading", level=2, name="2023", exact=True)).to_be_visible()
        expect(page.get_by_role("heading", level=3, name="June 2023")).to_be_visible()
        expect(page.get_by_role("link", name=TITLE)).to_be_visible()
        _shot(page, "5-timeline")
        assert watch.all_problems() == []
    finally:
        context.close()


def test_the_story_and_the_timeline_read_right_to_left_in_arabic(
    chromium: Browser, start: Callable[[str], Live]
) -> None:
    live = start("ar")
    with transaction(live.factory) as session:
        user = session.get(User, live.account.id)
        assert user is not None
        who = user_principal(user.id, user.username, user.role, None)
        project = session.get(Project, live.project_id)
        assert project is not None
        ids = story(session, who, project)
        event = session.get(Event, ids["event"])
        assert event is not None
        event.description = "داهم جنود سوق الماشية في الجنينة فجراً"
        event.place = "الجنينة"
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page, live.base)
    try:
        _sign_in(page, live)
        page.goto(f"{live.base}/records/events/{ids['event']}", wait_until="networkidle")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        expect(page.locator("main")).to_contain_text("الجنينة")
        expect(page.locator("main")).to_contain_text("الاحتجاز")  # the act type's Arabic label
        _shot(page, "6-story-rtl")
        page.goto(f"{live.base}/records/timeline", wait_until="networkidle")
        expect(page.get_by_role("heading", level=2, name="2023", exact=True)).to_be_visible()
        _shot(page, "7-timeline-rtl")
        assert watch.all_problems() == []
    finally:
        context.close()
