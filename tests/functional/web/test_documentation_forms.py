"""Documentation forms: events, acts with victims and perpetrators, sources, any record's edit.

Investigators of two projects sign in (sessions made through the service). Every form is posted as
a browser would (same-origin, with the session's CSRF token, inputs named as the page names them)
and each test checks what the store holds afterwards, not only the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dignity.documentation import services as docs
from dignity.documentation.fields import RECORD_TYPES
from dignity.documentation.models import Act, Event, Information, Involvement, Person
from dignity.security import sessions
from dignity.security.authz import Principal
from dignity.security.models import Project, User
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.documentation import story
from factories.monitoring import reviewer, team
from factories.security import browser

SAME_SITE = {"origin": "https://testserver", "sec-fetch-site": "same-origin"}


@dataclass
class Member:
    client: TestClient
    csrf: str
    principal: Principal

    def post(self, path: str, data: dict[str, object] | list[tuple[str, str]]) -> Response:
        form = [("csrf_token", self.csrf), *(data.items() if isinstance(data, dict) else data)]
        return self.client.post(
            path,
            content=_encode(form),
            headers={**SAME_SITE, "content-type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )


def _encode(pairs: list[tuple[str, object]]) -> str:
    """A form body as a browser sends it: a name once per value (checkboxes repeat theirs)."""
    flat: list[tuple[str, str]] = []
    for name, value in pairs:
        for item in value if isinstance(value, list) else [value]:
            flat.append((name, str(item)))
    return urlencode(flat)


def _member(
    app: FastAPI,
    session: Session,
    settings: Settings,
    username: str,
    project: Project | None,
    role: Role = Role.INVESTIGATOR,
) -> Member:
    principal = reviewer(session, username, project, role)
    user = session.get(User, principal.id)
    assert user is not None
    web_session, token = sessions.start_session(
        session, settings, user, sessions.ACTIVE, datetime.now(UTC)
    )
    session.commit()
    return Member(browser(app, token), sessions.csrf_token(settings, web_session), principal)


@dataclass
class World:
    ours: Project
    theirs: Project
    investigator: Member
    colleague: Member
    stranger: Member  # an investigator of the other project
    viewer: Member  # of our project


@pytest.fixture
def world(app: FastAPI, session: Session, settings: Settings) -> World:
    ours, theirs = team(session, "Darfur 2023"), team(session, "Myanmar 2021")
    return World(
        ours,
        theirs,
        _member(app, session, settings, "investigator", ours),
        _member(app, session, settings, "colleague", ours),
        _member(app, session, settings, "stranger", theirs),
        _member(app, session, settings, "viewer", ours, Role.VIEWER),
    )


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _field_value(html: str, name: str) -> str:
    """What the input or text area `name` holds in a page."""
    escaped = re.escape(name)
    found = re.search(rf'name="{escaped}" value="([^"]*)"', html) or re.search(
        rf'<textarea id="{escaped}" name="{escaped}"[^>]*>([^<]*)</textarea>', html
    )
    assert found, f"no input {name} in the page"
    return found.group(1)


def _event(session: Session, world: World) -> Event:
    event = docs.create_record(
        session, world.investigator.principal, "events", world.ours.id, {"title": "Market raid"}
    )
    session.commit()
    assert isinstance(event, Event)
    return event


def test_an_event_is_recorded_and_edited(world: World, session: Session) -> None:
    me = world.investigator
    page = me.client.get(f"/records/events/new?project={world.ours.id}")
    assert page.status_code == 200
    assert 'value="violation.torture"' in page.text
    assert 'list="country-codes"' in page.text
    answer = me.post(
        f"/records/events/new?project={world.ours.id}",
        {
            "title": "Raid on the market of El Geneina",
            "start_date": "2023-06",
            "start_precision": "date.month",
            "country": "SD",
            "violation_types": ["violation.torture", "violation.arbitrary-detention"],
            "description": "Soldiers surrounded the market at dawn.",
        },
    )
    assert answer.status_code == 303, answer.text
    event_id = answer.headers["location"].rsplit("/", 1)[-1]
    assert answer.headers["location"] == f"/records/events/{event_id}"
    event = session.get(Event, event_id)
    assert event is not None
    assert (event.project_id, event.country, event.start_precision) == (
        world.ours.id,
        "sd",
        "date.month",
    )
    assert event.violation_types == ["violation.torture", "violation.arbitrary-detention"]

    form = me.client.get(f"/records/events/{event_id}/edit")
    assert form.status_code == 200
    assert _field_value(form.text, "revision") == "1"
    answer = me.post(
        f"/records/events/{event_id}/edit",
        {
            "revision": "1",
            "title": "Raid on the market of El Geneina",
            "start_date": "2023-06-14",
            "start_precision": "date.exact",
            "country": "sd",
            "violation_types": ["violation.torture"],
            "description": "",  # cleared
        },
    )
    assert answer.status_code == 303, answer.text
    session.expire_all()
    event = session.get(Event, event_id)
    assert event is not None
    assert (event.revision, event.start_date, event.description) == (2, "2023-06-14", "")
    assert event.violation_types == ["violation.torture"]


def test_an_invalid_event_comes_back_with_its_values_and_errors(
    world: World, session: Session
) -> None:
    answer = world.investigator.post(
        f"/records/events/new?project={world.ours.id}",
        {"title": "", "start_date": "2023-13", "place": "Zamzam camp"},
    )
    assert answer.status_code == 422
    assert 'href="#title"' in answer.text
    assert 'href="#start_date"' in answer.text
    assert 'id="start_date-error"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert _field_value(answer.text, "place") == "Zamzam camp"
    assert _count(session, Event) == 0


def _act_form(event: Event, victim_age: str = "34") -> list[tuple[str, object]]:
    return [
        ("act_type", "act.deprivation-of-liberty.detention"),
        ("methods", ["method.blunt-force.beating"]),
        ("start_date", "2023-06-14"),
        ("start_precision", "date.exact"),
        ("place", "El Geneina market"),
        ("victim_status_end", "outcome.detained"),
        ("details.detention.place_of_detention", "Military base"),
        ("details.detention.incommunicado", "yes"),
        ("details.killing.cause_of_death", "left over from another act type"),
        ("victim.mode", "new"),
        ("victim.kind", "individual"),
        ("victim.sex", "sex.female"),
        ("victim.age_min", victim_age),
        ("victim.age_max", "40"),
        ("victim.occupation", "occupation.media.journalist"),
        ("perpetrators.0.mode", "new"),
        ("perpetrators.0.kind", "group"),
        ("perpetrators.0.perpetrator_type", "perpetrator.state.armed-forces"),
        ("perpetrators.0.group_size_min", "20"),
        ("perpetrators.0.description", "a unit of the 3rd brigade"),
        ("perpetrators.0.degree", "involvement.direct"),
        ("perpetrators.1.mode", "new"),
        ("perpetrators.1.kind", "individual"),
        ("perpetrators.1.description", "the commander of the unit"),
        ("perpetrators.1.degree", "involvement.command.ordered"),
        ("perpetrators.1.latest_status", "legal.none"),
    ]


def test_the_act_form_records_act_victim_and_perpetrators_at_once(
    world: World, session: Session
) -> None:
    event = _event(session, world)
    page = world.investigator.client.get(f"/records/events/{event.id}/acts/new")
    assert page.status_code == 200
    assert 'name="perpetrators.0.degree"' in page.text
    assert "Without a name or anything that identifies them" in page.text
    # Without scripts every sub-form shows, each labelled by the act types it is for.
    assert "Details, only for: Killing, Attempted killing" in page.text
    answer = world.investigator.post(
        f"/records/events/{event.id}/acts/new", [*_act_form(event), ("action", "save")]
    )
    assert answer.status_code == 303, answer.text
    act = session.execute(select(Act).where(Act.event_id == event.id)).scalar_one()
    assert answer.headers["location"] == f"/records/events/{event.id}#act-{act.id}"
    assert act.details == {"place_of_detention": "Military base", "incommunicado": True}
    assert act.methods == ["method.blunt-force.beating"]
    victim = session.get(Person, act.victim_id)
    assert victim is not None
    assert (victim.kind, victim.sex, victim.age_min, victim.age_max) == (
        "individual",
        "sex.female",
        34,
        40,
    )
    involvements = session.execute(
        select(Involvement).where(Involvement.act_id == act.id).order_by(Involvement.degree)
    ).scalars()
    found = {
        (i.degree, i.latest_status, p.kind, p.perpetrator_type, p.description)
        for i in involvements
        if (p := session.get(Person, i.perpetrator_id)) is not None
    }
    assert found == {
        (
            "involvement.direct",
            None,
            "group",
            "perpetrator.state.armed-forces",
            "a unit of the 3rd brigade",
        ),
        (
            "involvement.command.ordered",
            "legal.none",
            "individual",
            None,
            "the commander of the unit",
        ),
    }


def test_an_error_in_the_second_perpetrator_saves_nothing(world: World, session: Session) -> None:
    event = _event(session, world)
    form = [(name, value) for name, value in _act_form(event) if name != "perpetrators.1.degree"]
    answer = world.investigator.post(
        f"/records/events/{event.id}/acts/new", [*form, ("action", "save")]
    )
    assert answer.status_code == 422
    assert 'href="#perpetrators.1.degree"' in answer.text
    assert 'id="perpetrators.1.degree-error"' in answer.text
    assert _field_value(answer.text, "perpetrators.1.description") == "the commander of the unit"
    assert _field_value(answer.text, "victim.age_min") == "34"
    assert _field_value(answer.text, "details.detention.place_of_detention") == "Military base"
    assert (_count(session, Act), _count(session, Person), _count(session, Involvement)) == (
        0,
        0,
        0,
    )


def test_every_part_reports_its_problems_at_once(world: World, session: Session) -> None:
    event = _event(session, world)
    wrong = {"start_date": "2023-02-30", "details.detention.arrested_on": "yesterday"}
    form = [
        *[(n, wrong.get(n, v)) for n, v in _act_form(event, victim_age="fifty")],
        ("details.detention.arrested_on", "yesterday"),
        ("action", "save"),
    ]
    answer = world.investigator.post(f"/records/events/{event.id}/acts/new", form)
    assert answer.status_code == 422
    for name in ("victim.age_min", "start_date", "details.detention.arrested_on"):
        assert f'href="#{name}"' in answer.text
        assert f'id="{name}-error"' in answer.text
    assert (_count(session, Act), _count(session, Person)) == (0, 0)


def test_add_another_perpetrator_without_scripts_keeps_every_value(
    world: World, session: Session
) -> None:
    event = _event(session, world)
    answer = world.investigator.post(
        f"/records/events/{event.id}/acts/new", [*_act_form(event), ("action", "add-perpetrator")]
    )
    assert answer.status_code == 200
    assert 'name="perpetrators.2.degree"' in answer.text
    assert 'name="perpetrators.2.mode" value="new" checked autofocus' in answer.text
    assert _field_value(answer.text, "perpetrators.1.description") == "the commander of the unit"
    assert _field_value(answer.text, "place") == "El Geneina market"
    assert 'value="involvement.command.ordered" selected' in answer.text
    assert _count(session, Act) == 0


def test_save_and_add_another_act_says_which_was_saved(world: World, session: Session) -> None:
    event = _event(session, world)
    victim = docs.create_record(
        session, world.investigator.principal, "persons", world.ours.id, {"kind": "individual"}
    )
    session.commit()
    answer = world.investigator.post(
        f"/records/events/{event.id}/acts/new",
        {
            "act_type": "act.injury",
            "victim.mode": "existing",
            "victim.existing": victim.id,
            "perpetrators.0.mode": "new",
            "action": "save-another",
        },
    )
    assert answer.status_code == 303, answer.text
    act = session.execute(select(Act).where(Act.event_id == event.id)).scalar_one()
    assert act.victim_id == victim.id
    assert answer.headers["location"] == f"/records/events/{event.id}/acts/new?saved={act.id}"
    page = world.investigator.client.get(answer.headers["location"])
    assert "Act saved" in page.text
    assert f"#act-{act.id}" in page.text


def test_a_stale_revision_is_refused_and_kept(world: World, session: Session) -> None:
    event = _event(session, world)
    docs.update_record(
        session,
        world.colleague.principal,
        "events",
        event.id,
        revision=1,
        values={"place": "Ardamata"},
    )
    session.commit()
    answer = world.investigator.post(
        f"/records/events/{event.id}/edit",
        {"revision": "1", "title": "Market raid", "place": "El Geneina"},
    )
    assert answer.status_code == 409
    assert "someone else changed this event" in answer.text
    assert f'href="/records/events/{event.id}/edit"' in answer.text
    assert _field_value(answer.text, "place") == "El Geneina"
    assert _field_value(answer.text, "revision") == "1"
    session.expire_all()
    stored = session.get(Event, event.id)
    assert stored is not None
    assert (stored.place, stored.revision) == ("Ardamata", 2)


def test_another_projects_event_is_not_found_like_a_missing_one(
    world: World, session: Session
) -> None:
    event = _event(session, world)
    stranger = world.stranger
    for path in (f"/records/events/{event.id}/acts/new", f"/records/events/{event.id}/edit"):
        hidden = stranger.client.get(path)
        absent = stranger.client.get(path.replace(event.id, "0" * 32))
        assert hidden.status_code == absent.status_code == 404
    answer = stranger.post(
        f"/records/events/{event.id}/sources/new",
        {"source.mode": "new", "source.kind": "individual"},
    )
    assert answer.status_code == 404
    answer = stranger.post(f"/records/events/new?project={world.ours.id}", {"title": "x"})
    assert answer.status_code == 404
    assert _count(session, Information) == 0
    assert _count(session, Event) == 1


def test_a_viewer_cannot_post_and_a_form_needs_its_csrf_token(
    world: World, session: Session
) -> None:
    event = _event(session, world)
    assert world.viewer.client.get(f"/records/events/{event.id}/acts/new").status_code == 403
    answer = world.viewer.post(
        f"/records/events/{event.id}/edit", {"revision": "1", "title": "Changed"}
    )
    assert answer.status_code == 403
    forged = world.investigator.client.post(
        f"/records/events/{event.id}/edit",
        data={"csrf_token": "forged", "revision": "1", "title": "Changed"},
        headers=SAME_SITE,
        follow_redirects=False,
    )
    assert forged.status_code == 403
    missing = world.investigator.client.post(
        f"/records/events/new?project={world.ours.id}",
        data={"title": "No token"},
        headers=SAME_SITE,
        follow_redirects=False,
    )
    assert missing.status_code == 403
    session.expire_all()
    stored = session.get(Event, event.id)
    assert stored is not None
    assert (stored.title, stored.revision, _count(session, Event)) == ("Market raid", 1, 1)


def test_the_source_form_stores_the_source_and_its_reliability(
    world: World, session: Session
) -> None:
    event = _event(session, world)
    answer = world.investigator.post(
        f"/records/events/{event.id}/sources/new",
        {
            "source.mode": "new",
            "source.kind": "individual",
            "source.description": "an eyewitness, a trader of the market",
            "connection": "connection.direct.eyewitness",
            "material_type": "material.testimony.interview",
            "reliability": "reliability.high.first-hand",
            "date": "2023-06",
            "date_precision": "date.month",
            "language": "ar",
        },
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/records/events/{event.id}#sources"
    info = session.execute(select(Information)).scalar_one()
    assert (info.event_id, info.reliability, info.date, info.language) == (
        event.id,
        "reliability.high.first-hand",
        "2023-06",
        "ar",
    )
    source = session.get(Person, info.source_id)
    assert source is not None
    assert source.description == "an eyewitness, a trader of the market"


def test_the_intervention_form_takes_a_victim_of_the_event(world: World, session: Session) -> None:
    ids = story(session, world.investigator.principal, world.ours)
    session.commit()
    page = world.investigator.client.get(f"/records/events/{ids['event']}/interventions/new")
    assert page.status_code == 200
    assert f'value="{ids["victim"]}"' in page.text
    answer = world.investigator.post(
        f"/records/events/{ids['event']}/interventions/new",
        {
            "party.mode": "new",
            "party.kind": "group",
            "party.description": "a legal aid organisation",
            "victim_id": ids["victim"],
            "intervention_type": "intervention.legal.habeas-corpus",
            "status": "progress.pending",
        },
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].endswith("#interventions")
    found, _ = docs.list_records(session, world.investigator.principal, "interventions")
    assert [(i.victim_id, i.intervention_type) for i in found] == [  # type: ignore[attr-defined]
        (ids["victim"], "intervention.legal.habeas-corpus")
    ]


def test_the_generic_form_records_a_person_and_edits_an_act_with_its_details(
    world: World, session: Session
) -> None:
    me = world.investigator
    page = me.client.get(f"/records/persons/new?project={world.ours.id}")
    assert page.status_code == 200
    assert 'name="kind"' in page.text
    assert 'name="name"' not in page.text  # identities are not collected here
    answer = me.post(
        f"/records/persons/new?project={world.ours.id}",
        {"kind": "group", "group_size_min": "5", "group_size_max": "3"},
    )
    assert answer.status_code == 422
    assert 'id="group_size_min-error"' in answer.text
    answer = me.post(
        f"/records/persons/new?project={world.ours.id}",
        {"kind": "group", "group_size_min": "3", "group_size_max": "5"},
    )
    assert answer.status_code == 303, answer.text
    assert _count(session, Person) == 1
    ids = story(session, me.principal, world.ours)
    session.commit()
    form = me.client.get(f"/records/acts/{ids['act']}/edit")
    assert form.status_code == 200
    assert 'name="details.detention.court"' in form.text
    values = {
        "revision": "1",
        "event_id": ids["event"],
        "victim_id": ids["victim"],
        "act_type": "act.deprivation-of-liberty.detention",
        "start_precision": "date.unknown",
        "end_precision": "date.unknown",
        "monitoring_status": "monitoring.open",
        "details.detention.court": "Military court of El Geneina",
        "details.detention.access_to_counsel": "no",
    }
    answer = me.post(f"/records/acts/{ids['act']}/edit", values)
    assert answer.status_code == 303, answer.text
    session.expire_all()
    act = session.get(Act, ids["act"])
    assert act is not None
    assert act.details == {"court": "Military court of El Geneina", "access_to_counsel": False}


@pytest.mark.parametrize("type_name", sorted(RECORD_TYPES))
def test_every_record_type_has_a_form_with_every_field(world: World, type_name: str) -> None:
    page = world.investigator.client.get(f"/records/{type_name}/new?project={world.ours.id}")
    assert page.status_code == 200
    for field in RECORD_TYPES[type_name].fields:
        shown = "details.detention.arrested_on" if field.kind == "details" else field.name
        assert f'id="{shown}"' in page.text, field.name
