"""The identity form and the identity on a person's page: recorded by an investigator into the
vault, shown to need-to-know roles only; for anyone else the form is "not found" and the page
says nothing of it."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

import dignity.documentation.services as docs
from dignity.security.crypto import Keyring
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.documentation import story
from factories.monitoring import team
from factories.web import Staff, staff

CANARY = "Canary Zainab Abakar-7Q"


@pytest.fixture
def world(app: FastAPI, session: Session, settings: Settings) -> dict[str, object]:
    project = team(session, "Darfur 2023")
    me = staff(app, session, settings, "investigator", project, Role.INVESTIGATOR)
    viewer = staff(app, session, settings, "viewer", project, Role.VIEWER)
    ids = story(session, me.principal, project)
    session.commit()
    return {"me": me, "viewer": viewer, **ids}


def test_an_investigator_records_an_identity_that_only_need_to_know_sees(
    session: Session, world: dict, keyring: Keyring
) -> None:
    me: Staff = world["me"]
    victim = world["victim"]
    form = me.client.get(f"/records/persons/{victim}/identity")
    assert form.status_code == 200
    saved = me.post(
        f"/records/persons/{victim}/identity",
        {
            "names": f"{CANARY}\nZainab A.",
            "original_names": "زينب أبكر",
            "birth_date": "1994-03",
            "nationalities": "sd",
            "id_numbers": "passport | P0123456 | sd",
        },
    )
    assert saved.status_code == 303
    session.expire_all()
    held = docs.person_identity(session, me.principal, keyring, victim)
    assert held is not None
    assert [(n.name, n.kind) for n in held.names] == [
        (CANARY, "primary"),
        ("Zainab A.", "alias"),
        ("زينب أبكر", "original-script"),
    ]
    assert (held.birth_date, held.nationalities) == ("1994-03", ["sd"])
    assert [(i.type, i.number, i.country) for i in held.id_numbers] == [
        ("passport", "P0123456", "sd")
    ]
    page = me.client.get(f"/records/persons/{victim}")
    assert CANARY in page.text
    assert 'id="identity"' in page.text

    viewer: Staff = world["viewer"]
    seen = viewer.client.get(f"/records/persons/{victim}")
    assert seen.status_code == 200
    assert CANARY not in seen.text
    assert 'id="identity"' not in seen.text
    assert (
        viewer.client.get(f"/records/persons/{victim}/identity").status_code
        == viewer.client.get("/records/persons/no-such-person/identity").status_code
        == 403  # a viewer may not write at all
    )


def test_a_bad_value_is_named_and_nothing_is_stored(
    session: Session, world: dict, keyring: Keyring
) -> None:
    me: Staff = world["me"]
    page = me.post(
        f"/records/persons/{world['victim']}/identity",
        {"names": CANARY, "birth_date": "1994-13-40", "nationalities": "sd"},
    )
    assert page.status_code == 422
    assert 'id="birth_date-error"' in page.text
    assert CANARY in page.text  # what was typed is kept in the form
    assert docs.person_identity(session, me.principal, keyring, world["victim"]) is None
