"""Perpetrator pages: the accountability gap of a project, one perpetrator's designations, and
linking by hand, posted as a browser would; what the store holds afterwards is checked too."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

import dignity.documentation.services as docs
from dignity.dossiers.models import PerpetratorLink
from dignity.registry import services as registry
from dignity.security.crypto import Keyring
from dignity.security.permissions import Role
from dignity.settings import Settings
from dignity.sources.services import open_list
from factories.documentation import story
from factories.monitoring import team
from factories.web import Staff, staff

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
HAMZA_ID = "un-qdi.421"


@pytest.fixture
def world(app: FastAPI, session: Session, settings: Settings) -> dict[str, object]:
    registry.import_list(session, open_list(UN_FILE, "un-xml"), actor="test")
    project = team(session, "Darfur 2023")
    investigator = staff(app, session, settings, "investigator", project, Role.INVESTIGATOR)
    viewer = staff(app, session, settings, "viewer", project, Role.VIEWER)
    stranger = staff(app, session, settings, "stranger", team(session, "Other"), Role.INVESTIGATOR)
    ids = story(session, investigator.principal, project)
    session.commit()
    return {"project": project, "me": investigator, "viewer": viewer, "stranger": stranger, **ids}


def test_the_gap_page_shows_a_perpetrator_designated_nowhere(world: dict) -> None:
    me: Staff = world["me"]
    page = me.client.get(f"/perpetrators?project={world['project'].id}")
    assert page.status_code == 200
    assert f'href="/perpetrators/{world["unit"]}"' in page.text
    assert "Nowhere" in page.text
    assert "United Nations Security Council" in page.text  # the only authority held


def test_linking_by_hand_shows_the_designation(session: Session, world: dict) -> None:
    me: Staff = world["me"]
    unit = world["unit"]
    done = me.post(f"/perpetrators/{unit}/links", {"entity_id": HAMZA_ID, "note": "commander"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/perpetrators/{unit}?done=linked"
    link = session.execute(select(PerpetratorLink)).scalar_one()
    assert (link.person_id, link.entity_id, link.method, link.note) == (
        unit,
        HAMZA_ID,
        "manual",
        "commander",
    )
    page = me.client.get(done.headers["location"])
    assert "Al-Qaida" in page.text
    assert "2019-02-28" in page.text
    assert "un_sc_consolidated" in page.text
    gone = me.post(f"/perpetrators/{unit}/links/{HAMZA_ID}/delete", {})
    assert gone.status_code == 303
    session.expire_all()
    assert session.execute(select(PerpetratorLink)).first() is None


def test_a_wrong_entity_id_is_named_and_nothing_stored(session: Session, world: dict) -> None:
    me: Staff = world["me"]
    page = me.post(f"/perpetrators/{world['unit']}/links", {"entity_id": "un-qdi.000000"})
    assert page.status_code == 422
    assert "no such entity in the current lists" in page.text
    assert 'value="un-qdi.000000"' in page.text  # what was typed is kept
    assert session.execute(select(PerpetratorLink)).first() is None


def test_readers_see_no_forms_and_strangers_see_nothing(world: dict) -> None:
    viewer: Staff = world["viewer"]
    page = viewer.client.get(f"/perpetrators/{world['unit']}")
    assert page.status_code == 200
    assert "Link by hand" not in page.text
    assert "Screen" not in page.text
    refused = viewer.post(f"/perpetrators/{world['unit']}/links", {"entity_id": HAMZA_ID})
    assert refused.status_code == 403
    stranger: Staff = world["stranger"]
    missing = stranger.client.get("/perpetrators/no-such-person")
    theirs = stranger.client.get(f"/perpetrators/{world['unit']}")
    assert theirs.status_code == missing.status_code == 404


def test_screening_all_offers_a_link_for_each_match(
    session: Session, world: dict, keyring: Keyring
) -> None:
    me: Staff = world["me"]
    son = docs.create_record(
        session,
        me.principal,
        "persons",
        world["project"].id,
        {"kind": "individual", "perpetrator_type": "perpetrator.non-state.armed-group"},
    )
    docs.set_person_identity(
        session, me.principal, keyring, son.id, {"names": [{"name": "Hamza bin Laden"}]}
    )
    session.commit()
    page = me.post("/perpetrators/screen", {"project": world["project"].id})
    assert page.status_code == 200
    assert f'action="/perpetrators/{son.id}/links"' in page.text
    assert f'name="entity_id" value="{HAMZA_ID}"' in page.text
    assert "Hamza bin Laden" not in page.text  # the query's name is not shown back
    assert "Not screened: no name in the identity vault" in page.text  # the unit has none
