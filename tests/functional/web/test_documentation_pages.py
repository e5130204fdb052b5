"""Documentation pages that read: the events list with its filters and full-text search, the
timeline, the event story, any record, and histories.

Records are made through the real services (as the forms make them), then read by staff signed in
through real sessions: an investigator and a viewer of one project, and an investigator of another
project whose records must stay invisible. Each test checks what the page says, not that it loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from conftest import make_settings
from dignity.api.app import create_app
from dignity.documentation import services as docs
from dignity.security import sessions
from dignity.security.authz import Principal, operator_principal
from dignity.security.models import Project, User
from dignity.security.permissions import Role
from dignity.security.projects import add_member
from dignity.settings import Settings
from dignity.vocab.thesauri import thesaurus
from factories.documentation import story
from factories.monitoring import reviewer, team
from factories.security import browser

DASH = "\u2013"  # between the bounds of a range


@dataclass
class Staff:
    client: TestClient
    principal: Principal

    def page(self, path: str, status: int = 200) -> str:
        answer = self.client.get(path, headers={"accept": "text/html"})
        assert answer.status_code == status, answer.text
        return answer.text


def _signed_in(app: FastAPI, session: Session, settings: Settings, user_id: str) -> TestClient:
    user = session.get(User, user_id)
    assert user is not None
    _, token = sessions.start_session(session, settings, user, sessions.ACTIVE, datetime.now(UTC))
    session.commit()
    return browser(app, token)


def _staff(
    app: FastAPI,
    session: Session,
    settings: Settings,
    username: str,
    projects: list[Project],
    role: Role = Role.INVESTIGATOR,
) -> Staff:
    principal = reviewer(session, username, projects[0], role)
    user = session.get(User, principal.id)
    assert user is not None
    for project in projects[1:]:
        add_member(session, project, user, actor="test")
    return Staff(_signed_in(app, session, settings, principal.id), principal)


@dataclass
class World:
    ours: Project
    second: Project  # the investigator's second project
    theirs: Project
    investigator: Staff  # of ours and second
    viewer: Staff  # of ours, records:read only
    stranger: Staff  # of theirs


@pytest.fixture
def world(app: FastAPI, session: Session, settings: Settings) -> World:
    ours, second, theirs = (
        team(session, "Darfur 2023"),
        team(session, "Sahel"),
        team(session, "Rakhine"),
    )
    investigator = _staff(app, session, settings, "amina", [ours, second])
    viewer = _staff(app, session, settings, "viewer", [ours], Role.VIEWER)
    stranger = _staff(app, session, settings, "stranger", [theirs])
    return World(ours, second, theirs, investigator, viewer, stranger)


def _event(session: Session, who: Principal, project: Project, title: str, **values: Any) -> str:
    record = docs.create_record(session, who, "events", project.id, {"title": title, **values})
    session.commit()
    return record.id


def _text(html: str) -> str:
    """The page as words: tags dropped, entities decoded, spaces collapsed."""
    words = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    return re.sub(r" ([,;:)])", r"\1", words)


def _titles(html: str, *titles: str) -> list[str]:
    """Which of `titles` the page shows, in the order it shows them."""
    found = [(html.find(f"<bdi>{t}</bdi>"), t) for t in titles]
    return [t for position, t in sorted(found) if position >= 0]


def _label(code: str, language: str = "en") -> str:
    return thesaurus(code.split(".", 1)[0]).label(code, language)


# --- the events list ------------------------------------------------------------------------


@pytest.fixture
def events(session: Session, world: World) -> dict[str, str]:
    who = world.investigator.principal
    return {
        "raid": _event(
            session,
            who,
            world.ours,
            "Raid on the market",
            start_date="2023-06-17",
            start_precision="date.exact",
            country="sd",
            place="El Geneina",
            violation_types=["violation.torture.physical"],
            description="Soldiers burned the tarpaulin stalls at dawn.",
        ),
        "arrests": _event(
            session,
            who,
            world.ours,
            "Arrests at the checkpoint",
            start_date="2023-06",
            start_precision="date.month",
            country="sd",
            violation_types=["violation.arbitrary-detention"],
            monitoring_status="monitoring.closed.complete",
        ),
        "shelling": _event(
            session,
            who,
            world.ours,
            "Shelling of the camp",
            start_date="2023-02-03",
            start_precision="date.exact",
            country="td",
            violation_types=["violation.killing.indiscriminate-attack"],
        ),
        "sahel": _event(
            session,
            who,
            world.second,
            "Burning of a village",
            start_date="2022",
            start_precision="date.year",
            country="ml",
        ),
        "undated": _event(session, who, world.ours, "Disappearance of a teacher"),
        "theirs": _event(
            session,
            world.stranger.principal,
            world.theirs,
            "Raid on another market",
            start_date="2023-06-18",
            country="sd",
            description="The tarpaulin stalls again.",
        ),
    }


ALL = (
    "Raid on the market",
    "Arrests at the checkpoint",
    "Shelling of the camp",
    "Burning of a village",
    "Disappearance of a teacher",
)


def test_the_list_shows_the_events_of_my_projects_newest_first(
    world: World, events: dict[str, str]
) -> None:
    html = world.investigator.page("/records")
    assert _titles(html, *ALL, "Raid on another market") == list(ALL)
    assert "5 events" in _text(html)
    assert f'href="/records/events/{events["raid"]}"' in html
    # The precision of each date is said, not guessed.
    assert f"2023-06 ({_label('date.month')})" in _text(html)
    assert _label("violation.torture.physical") in _text(html)


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        # A broader violation type finds the events of its narrower types.
        ("violation=violation.torture", ["Raid on the market"]),
        ("violation=violation.killing", ["Shelling of the camp"]),
        ("country=SD", ["Raid on the market", "Arrests at the checkpoint"]),
        # Partial dates: "to 2023-06" takes in the whole of June; "from 2023-06" starts with it.
        ("date_from=2023-06", ["Raid on the market", "Arrests at the checkpoint"]),
        (
            "date_to=2023-06",
            [
                "Raid on the market",
                "Arrests at the checkpoint",
                "Shelling of the camp",
                "Burning of a village",
            ],
        ),
        ("date_from=2023-03&date_to=2023-06-16", ["Arrests at the checkpoint"]),
        ("date_to=2022", ["Burning of a village"]),
        # A broader status finds records in its narrower statuses.
        ("status=monitoring.closed", ["Arrests at the checkpoint"]),
        (
            "status=monitoring.open",
            [
                "Raid on the market",
                "Shelling of the camp",
                "Burning of a village",
                "Disappearance of a teacher",
            ],
        ),
        ("project={second}", ["Burning of a village"]),
    ],
)
def test_each_filter_narrows_the_list(
    world: World, events: dict[str, str], query: str, shown: list[str]
) -> None:
    html = world.investigator.page("/records?" + query.format(second=world.second.id))
    assert _titles(html, *ALL) == shown
    count = len(shown)
    assert f"{count} event{'s' if count != 1 else ''}" in _text(html)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("date_from=June", "date_from", "Write YYYY, YYYY-MM or YYYY-MM-DD."),
        ("violation=violation.nothing", "violation", "Choose one of the violation types offered."),
        ("country=Sudan", "country", "Write a country code of two letters"),
        ("project={theirs}", "project", "Choose one of your projects."),
    ],
)
def test_a_wrong_filter_is_named_and_lists_nothing(
    world: World, events: dict[str, str], query: str, field: str, message: str
) -> None:
    html = world.investigator.page("/records?" + query.format(theirs=world.theirs.id), status=422)
    assert f'id="{field}-error"' in html
    assert message in html
    assert _titles(html, *ALL) == []


def test_words_find_records_of_every_kind_in_my_projects_only(
    session: Session, world: World, events: dict[str, str]
) -> None:
    who = world.investigator.principal
    person = docs.create_record(
        session,
        who,
        "persons",
        world.ours.id,
        {"kind": "individual", "description": "Sold tarpaulin at the market."},
    )
    session.commit()
    html = world.investigator.page("/records?q=tarpaulin")
    text = _text(html)
    assert "2 records found for" in text
    assert f'href="/records/events/{events["raid"]}"' in html
    assert f'href="/records/persons/{person.id}"' in html
    assert "Event Raid on the market" in text
    assert f"Person {person.code}" in text  # type: ignore[attr-defined]
    assert "Soldiers burned the tarpaulin stalls at dawn." in text
    assert events["theirs"] not in html  # another project's record holds the word too
    # Limited to one project, the search finds nothing there.
    html = world.investigator.page(f"/records?q=tarpaulin&project={world.second.id}")
    assert "0 records found for" in _text(html)


def test_a_writer_may_start_an_event_in_each_project_and_a_viewer_may_not(
    world: World, events: dict[str, str]
) -> None:
    html = world.investigator.page("/records")
    assert 'action="/records/events/new"' in html
    for project in (world.ours, world.second):
        assert f'<option value="{project.id}"' in html
    viewer = world.viewer.page("/records")
    assert "/records/events/new" not in viewer
    assert _titles(viewer, *ALL) == [
        "Raid on the market",
        "Arrests at the checkpoint",
        "Shelling of the camp",
        "Disappearance of a teacher",
    ]


# --- the timeline ----------------------------------------------------------------------------


def test_the_timeline_groups_events_by_year_and_month_oldest_first(
    world: World, events: dict[str, str]
) -> None:
    html = world.investigator.page("/records/timeline")
    headings = [
        _text(h).strip()
        for h in re.findall(r"<h[23] id=\"(?:year|month)-[^\"]+\">(.*?)</h[23]>", html)
    ]
    assert headings == [
        "2022",
        "2022, month unknown (1)",
        "2023",
        "February 2023 (1)",
        "June 2023 (2)",
        "Date unknown (1)",
    ]
    assert _titles(html, *ALL) == [
        "Burning of a village",
        "Shelling of the camp",
        "Arrests at the checkpoint",  # June 2023, the day unknown: before the 17th
        "Raid on the market",
        "Disappearance of a teacher",
    ]
    june = html[html.index('id="month-2023-06"') : html.index('id="year-unknown"')]
    assert june.count('<li class="timeline-event">') == 2
    assert "<ol" in june
    assert f"2023-06-17 ({_label('date.exact')})" in _text(june)
    assert "El Geneina, SD" in _text(june)


def test_the_timeline_takes_the_same_filters(world: World, events: dict[str, str]) -> None:
    html = world.investigator.page("/records/timeline?country=sd&q=tarpaulin")
    assert _titles(html, *ALL) == ["Raid on the market"]
    assert "1 event, oldest first" in _text(html)
    assert 'id="year-unknown"' not in html


# --- the event story -------------------------------------------------------------------------


@pytest.fixture
def documented(session: Session, world: World) -> dict[str, str]:
    """The factory's story, with a source, sub-form details, an intervention, a count and a link."""
    who = world.investigator.principal
    ids = story(session, who, world.ours)
    docs.update_record(
        session,
        who,
        "acts",
        ids["act"],
        revision=1,
        values={
            "details": {"place_of_detention": "Camp 7", "incommunicado": True},
            "victim_status_end": "outcome.detained",
        },
    )
    witness = docs.create_record(session, who, "persons", world.ours.id, {"kind": "individual"})
    docs.create_record(
        session,
        who,
        "information",
        world.ours.id,
        {
            "source_id": witness.id,
            "event_id": ids["event"],
            "connection": "connection.direct.eyewitness",
            "material_type": "material.testimony.interview",
            "reliability": "reliability.high.first-hand",
            "date": "2023-07-02",
            "date_precision": "date.exact",
            "language": "ar",
        },
    )
    lawyer = docs.create_record(session, who, "persons", world.ours.id, {"kind": "individual"})
    docs.create_record(
        session,
        who,
        "interventions",
        world.ours.id,
        {
            "event_id": ids["event"],
            "intervening_party_id": lawyer.id,
            "victim_id": ids["victim"],
            "intervention_type": "intervention.appeal",
            "response": "The authorities denied the detention.",
        },
    )
    docs.create_record(
        session,
        who,
        "counts",
        world.ours.id,
        {
            "event_id": ids["event"],
            "what": next(iter(thesaurus("count"))).code,
            "counting_unit": "unit.person",
            "minimum": 12,
            "maximum": 30,
        },
    )
    earlier = _event(session, who, world.ours, "Protest in the square", start_date="2023-05")
    docs.create_record(
        session,
        who,
        "event-links",
        world.ours.id,
        {"from_event_id": earlier, "to_event_id": ids["event"], "link_type": "link.caused"},
    )
    session.commit()
    return {**ids, "witness": witness.id, "lawyer": lawyer.id, "earlier": earlier}


def _code(session: Session, person_id: str) -> str:
    person = docs.get_record(session, _admin(), "persons", person_id)
    return str(person.code)  # type: ignore[attr-defined]


def _admin() -> Principal:
    return operator_principal("test")


def test_the_story_tells_acts_victims_perpetrators_and_sources(
    session: Session, world: World, documented: dict[str, str]
) -> None:
    html = world.investigator.page(f"/records/events/{documented['event']}")
    text = _text(html)
    assert '<h1 id="event-title"><bdi>Raid on the market of El Geneina</bdi></h1>' in html
    assert f"2023-06 ({_label('date.month')})" in text
    assert _label("violation.arbitrary-detention") in text
    assert _label("violation.torture") in text
    # What happened: each act anchored, its victim by code (never a name), its perpetrators.
    assert html.count('class="act"') == 2
    assert f'id="act-{documented["act"]}"' in html
    victim, unit = _code(session, documented["victim"]), _code(session, documented["unit"])
    assert f"{_label('act.deprivation-of-liberty.detention')} against {victim}" in text
    assert f"{victim} (individual, {_label('sex.female').lower()})" in text
    assert f"{unit} (group of 20{DASH}40 {_label('unit.person').lower()})" in text
    assert _label("involvement.direct") in text
    assert _label("perpetrator.state.armed-forces") in text
    assert _label("outcome.detained") in text
    assert "Place of detention Camp 7" in text
    assert "Incommunicado yes" in text
    # Sources, interventions, counts, linked events.
    witness = _code(session, documented["witness"])
    sources = _text(html[html.index('id="sources-h"') : html.index('id="interventions-h"')])
    assert witness in sources
    for code in (
        "reliability.high.first-hand",
        "connection.direct.eyewitness",
        "material.testimony.interview",
    ):
        assert _label(code) in sources
    assert f"2023-07-02 ({_label('date.exact')})" in sources
    assert "The authorities denied the detention." in text
    assert f"12{DASH}30" in text
    assert f"{_label('link.caused')}: from Protest in the square to this event" in text
    assert f'href="/records/events/{documented["earlier"]}"' in html
    # Writers get the forms.
    for path in ("edit", "acts/new", "sources/new", "interventions/new", "history"):
        assert f'href="/records/events/{documented["event"]}/{path}"' in html
    assert f'href="/records/acts/{documented["act"]}/edit"' in html


def test_a_viewer_reads_the_story_without_any_way_to_change_it(
    world: World, documented: dict[str, str]
) -> None:
    html = world.viewer.page(f"/records/events/{documented['event']}")
    assert "Raid on the market of El Geneina" in html
    assert "/edit" not in html
    assert "/new" not in html
    assert f'href="/records/events/{documented["event"]}/history"' in html
    record = world.viewer.page(f"/records/acts/{documented['act']}")
    assert "/edit" not in record
    assert f'href="/records/acts/{documented["act"]}/edit"' in world.investigator.page(
        f"/records/acts/{documented['act']}"
    )


@contextmanager
def _statements(connection: Connection) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    sa_event.listen(connection, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa_event.remove(connection, "before_cursor_execute", count)


def test_the_story_runs_as_many_queries_for_many_acts_as_for_two(
    session: Session, connection: Connection, world: World, documented: dict[str, str]
) -> None:
    path = f"/records/events/{documented['event']}"
    world.investigator.page(path)  # warm: the session's first queries are not the page's
    with _statements(connection) as few:
        world.investigator.page(path)
    who = world.investigator.principal
    for _ in range(6):
        victim = docs.create_record(session, who, "persons", world.ours.id, {"kind": "individual"})
        act = docs.create_record(
            session,
            who,
            "acts",
            world.ours.id,
            {"event_id": documented["event"], "victim_id": victim.id, "act_type": "act.killing"},
        )
        docs.create_record(
            session,
            who,
            "involvements",
            world.ours.id,
            {
                "act_id": act.id,
                "perpetrator_id": documented["unit"],
                "degree": "involvement.command",
            },
        )
    session.commit()
    with _statements(connection) as many:
        html = world.investigator.page(path)
    assert html.count('class="act"') == 8
    assert len(many) == len(few)


# --- other records, histories, access -------------------------------------------------------


def test_a_person_page_shows_what_names_them(
    session: Session, world: World, documented: dict[str, str]
) -> None:
    unit = world.investigator.page(f"/records/persons/{documented['unit']}")
    text = _text(unit)
    assert f"Person {_code(session, documented['unit'])}" in text
    assert _label("perpetrator.state.armed-forces") in text
    assert "Involvement as alleged perpetrator (1)" in text
    assert f'href="/records/events/{documented["event"]}#act-{documented["act"]}"' in unit
    assert "Raid on the market of El Geneina" in text
    victim = _text(world.investigator.page(f"/records/persons/{documented['victim']}"))
    assert f"Acts against {_code(session, documented['victim'])} (1)" in victim
    witness = world.investigator.page(f"/records/persons/{documented['witness']}")
    assert "Information given as a source (1)" in _text(witness)
    assert _label("reliability.high.first-hand") in _text(witness)
    assert f'href="/records/persons/{documented["unit"]}/edit"' in unit
    assert f'href="/records/persons/{documented["unit"]}/history"' in unit


def test_a_record_shows_its_references_by_name_and_codes_by_label(
    session: Session, world: World, documented: dict[str, str]
) -> None:
    html = world.investigator.page(f"/records/acts/{documented['act']}")
    text = _text(html)
    event, victim = documented["event"], documented["victim"]
    assert (
        f'<a href="/records/events/{event}"><bdi>Raid on the market of El Geneina</bdi></a>' in html
    )
    assert f'<a href="/records/persons/{victim}"><bdi>{_code(session, victim)}</bdi></a>' in html
    assert _label("act.deprivation-of-liberty.detention") in text
    assert _label("monitoring.open") in text
    assert "Entered amina," in text


def test_lists_of_other_records_filter_on_their_codes(
    session: Session, world: World, documented: dict[str, str]
) -> None:
    groups = world.investigator.page("/records/persons?kind=group")
    assert "1 person" in _text(groups)
    assert f'href="/records/persons/{documented["unit"]}"' in groups
    assert f'href="/records/persons/{documented["victim"]}"' not in groups
    # A broader act type takes in its narrower ones.
    acts = world.investigator.page("/records/acts?act_type=act.deprivation-of-liberty")
    assert "1 act" in _text(acts)
    assert f'href="/records/acts/{documented["act"]}"' in acts
    assert "5 persons" in _text(world.investigator.page("/records/persons"))
    wrong = world.investigator.page("/records/persons?sex=sex.nothing", status=422)
    assert 'id="sex-error"' in wrong
    # The events have their own list.
    answer = world.investigator.client.get("/records/events?country=sd", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/records?country=sd")
    assert (
        world.investigator.client.get(
            "/records/nothing", headers={"accept": "text/html"}
        ).status_code
        == 404
    )


def test_the_history_shows_each_change_old_and_new(
    session: Session, world: World, events: dict[str, str]
) -> None:
    who = world.investigator.principal
    docs.update_record(
        session,
        who,
        "events",
        events["raid"],
        revision=1,
        values={
            "title": "Raid on the grain market",
            "monitoring_status": "monitoring.verification",
        },
    )
    session.commit()
    html = world.viewer.page(f"/records/events/{events['raid']}/history")
    text = _text(html)
    assert "2 changes, oldest first" in text
    assert text.index("Revision 1: created") < text.index("Revision 2: updated")
    assert "by amina" in text
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[\d:.]+\+00:00"', html)
    created = docs.history(session, who, "events", events["raid"])[0].at
    assert f"{created.day} {created.strftime('%B %Y, %H:%M')} UTC" in text
    assert f'<code class="iso">{created.isoformat(timespec="seconds")}</code>' in html
    updated = html[html.index('id="revision-2"') :]
    assert "<del><bdi>Raid on the market</bdi></del>" in updated
    assert "<ins><bdi>Raid on the grain market</bdi></ins>" in updated
    assert f"<del><bdi>{_label('monitoring.open')}</bdi></del>" in updated
    assert f"<ins><bdi>{_label('monitoring.verification')}</bdi></ins>" in updated
    assert "description" not in _text(updated).lower()  # only what changed


@pytest.mark.parametrize(
    "path",
    [
        "/records/events/{id}",
        "/records/events/{id}/history",
        "/records/persons/{id}",
        "/records/persons/{id}/history",
    ],
)
def test_another_projects_records_answer_exactly_like_a_missing_id(
    session: Session, world: World, path: str
) -> None:
    theirs = story(session, world.stranger.principal, world.theirs)
    session.commit()
    record = theirs["event"] if "/events/" in path else theirs["victim"]
    hidden = world.investigator.page(path.format(id=record), status=404)
    absent = world.investigator.page(path.format(id="no-such-id"), status=404)
    assert hidden == absent
    assert world.stranger.page(path.format(id=record))  # their own project sees it
    assert record not in world.investigator.page("/records/persons")


def test_the_pages_turn_right_to_left_in_arabic(
    session: Session,
    factory: sessionmaker[Session],
    tmp_path: Path,
    store_url: str,
    world: World,
    documented: dict[str, str],
) -> None:
    settings = make_settings(tmp_path, database_url=store_url, language="ar")
    arabic = create_app(settings, factory)
    client = _signed_in(arabic, session, settings, world.investigator.principal.id)
    for path in ("/records", "/records/timeline", f"/records/events/{documented['event']}"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert '<html lang="ar" dir="rtl">' in answer.text
    story_page = client.get(f"/records/events/{documented['event']}").text
    assert _label("involvement.direct", "ar") in story_page
    assert _label("violation.torture", "ar") in story_page


@pytest.mark.parametrize(
    ("type_name", "key", "shown"),
    [
        ("acts", "act", "act.deprivation-of-liberty.detention"),
        ("involvements", "involvement", "involvement.direct"),
        ("information", "information", "reliability.high.first-hand"),
        ("interventions", "intervention", "intervention.appeal"),
        ("counts", "count", "unit.person"),
        ("event-links", "link", "link.caused"),
        ("relations", "relation", "relation.family.parent"),
    ],
)
def test_every_record_type_has_a_list_and_a_page(
    session: Session,
    world: World,
    documented: dict[str, str],
    type_name: str,
    key: str,
    shown: str,
) -> None:
    """Each kind of record is listed, and its page shows its fields with the labels of codes."""
    who = world.investigator.principal
    kinds = {
        "involvement": ("involvements", {"act_id": documented["act"]}),
        "information": ("information", {"event_id": documented["event"]}),
        "intervention": ("interventions", {"event_id": documented["event"]}),
        "count": ("counts", {"event_id": documented["event"]}),
        "link": ("event-links", {"to_event_id": documented["event"]}),
    }
    if key == "relation":
        docs.create_record(
            session,
            who,
            "relations",
            world.ours.id,
            {
                "person_id": documented["victim"],
                "related_id": documented["unit"],
                "relation_type": shown,
                "start_date": "2020",
                "start_precision": "date.year",
            },
        )
        session.commit()
    if key in kinds:
        name, where = kinds[key]
        records, _ = docs.list_records(session, who, name, where=where)
        record_id = records[0].id
    else:
        records, _ = docs.list_records(session, who, type_name)
        record_id = documented[key] if key in documented else records[0].id
    listed = world.investigator.page(f"/records/{type_name}")
    assert f'href="/records/{type_name}/{record_id}"' in listed
    page = world.investigator.page(f"/records/{type_name}/{record_id}")
    assert _label(shown) in _text(page)
    assert f'href="/records/{type_name}/{record_id}/history"' in page
    history = world.investigator.page(f"/records/{type_name}/{record_id}/history")
    assert "Revision 1: created" in _text(history)
