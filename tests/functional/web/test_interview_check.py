"""Fewer interviews: before interviewing a survivor, an investigator finds earlier testimony by
the same person, whatever the script or order of the name; only need-to-know roles can search,
the name is not kept, and another project's persons are not found."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

import dignity.documentation.services as docs
from dignity.audit.models import AuditEvent
from dignity.exc import NotFound
from dignity.security.crypto import Keyring
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.documentation import story
from factories.monitoring import reviewer, team
from factories.web import Staff, staff


@pytest.fixture
def world(app: FastAPI, session: Session, settings: Settings, keyring: Keyring) -> dict:
    project = team(session, "Darfur 2023")
    me = staff(app, session, settings, "investigator", project, Role.INVESTIGATOR)
    ids = story(session, me.principal, project)
    docs.set_person_identity(
        session,
        me.principal,
        keyring,
        ids["victim"],
        {"names": [{"name": "Zainab Abakar"}, {"name": "زينب أبكر", "kind": "original-script"}]},
    )
    testimony = docs.create_record(
        session,
        me.principal,
        "information",
        project.id,
        {
            "source_id": ids["victim"],
            "event_id": ids["event"],
            "material_type": "material.testimony.interview",
            "date": "2023-07",
        },
    )
    elsewhere = team(session, "Elsewhere")
    other = reviewer(session, "other-investigator", elsewhere, Role.INVESTIGATOR)
    stranger = docs.create_record(session, other, "persons", elsewhere.id, {"kind": "individual"})
    docs.set_person_identity(
        session, other, keyring, stranger.id, {"names": [{"name": "Zainab Abakar"}]}
    )
    session.commit()
    return {"me": me, "project": project, "testimony": testimony.id, **ids}


@pytest.mark.parametrize("typed", ["ABAKAR Zaynab", "zainab abakar", "زينب أبكر"])
def test_earlier_testimony_is_found_in_any_script_or_order(
    session: Session, world: dict, keyring: Keyring, typed: str
) -> None:
    me: Staff = world["me"]
    found = docs.earlier_testimony(session, me.principal, keyring, typed)
    assert [c.person.id for c in found] == [world["victim"]]  # not the other project's person
    assert [t.id for t in found[0].testimonies] == [world["testimony"]]
    assert found[0].acts == 1


def test_the_page_shows_the_testimony_and_the_audit_keeps_no_name(
    session: Session, world: dict
) -> None:
    me: Staff = world["me"]
    assert me.client.get("/records/interview-check").status_code == 200
    page = me.post("/records/interview-check", {"name": "Zaynab Abakar"})
    assert page.status_code == 200
    assert f'href="/records/information/{world["testimony"]}"' in page.text
    assert "testimony" in page.text
    event = session.execute(
        select(AuditEvent).where(AuditEvent.action == "identities.searched")
    ).scalar_one()
    assert "Zaynab" not in event.details
    assert "Abakar" not in event.details
    nobody = me.post("/records/interview-check", {"name": "Oduya Fenwright"})
    assert "Nobody with a name like this" in nobody.text


def test_roles_without_need_to_know_cannot_search(
    app: FastAPI, session: Session, settings: Settings, world: dict, keyring: Keyring
) -> None:
    viewer = staff(app, session, settings, "viewer", world["project"], Role.VIEWER)
    with pytest.raises(NotFound):
        docs.earlier_testimony(session, viewer.principal, keyring, "Zainab Abakar")
    assert viewer.client.get("/records/interview-check").status_code == 404
    assert viewer.post("/records/interview-check", {"name": "Zainab"}).status_code == 404
