"""The screening page: one name screened by hand against the real UN list, with its explanation."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.registry import services as registry
from dignity.screening.models import Screening
from dignity.security.crypto import Keyring
from dignity.security.permissions import Role
from dignity.sources.services import open_list
from factories.security import csrf_from, make_account, sign_in

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"


@pytest.fixture
def un_list(session: Session) -> None:
    registry.import_list(session, open_list(UN_FILE, "un-xml"), actor="test")
    session.commit()


def _form(client: TestClient, **fields: str) -> dict[str, str]:
    page = client.get("/screening")
    assert page.status_code == 200
    return {"csrf_token": csrf_from(page.text), "schema": "Person", "dataset": "default", **fields}


def test_screening_a_name_shows_the_candidate_and_why(
    admin_client: TestClient, session: Session, un_list: None
) -> None:
    page = admin_client.get("/screening")
    assert "version 1, list date" in page.text
    form = _form(admin_client, name="حمزة أسامة محمد بن لادن", birth_date="1989-05-09")
    answer = admin_client.post("/screening", data=form)
    assert answer.status_code == 200
    assert (
        '<a href="/registry/entities/un-qdi.421"><bdi>HAMZA USAMA MUHAMMAD BIN LADEN</bdi></a>'
        in (answer.text)
    )
    assert "Date agrees" in answer.text
    assert "1989-05-09" in answer.text
    record = session.execute(select(Screening).where(Screening.channel == "web")).scalar_one()
    assert record.query_key == "web"
    assert record.id in answer.text


def test_a_property_the_schema_lacks_is_named_next_to_its_field(
    admin_client: TestClient, un_list: None
) -> None:
    form = _form(admin_client, name="Artavil", passport="X123456")
    form["schema"] = "Vessel"
    answer = admin_client.post("/screening", data=form)
    assert answer.status_code == 422
    assert 'id="passport-error"' in answer.text
    assert "not used when screening a Vessel" in answer.text


def test_an_empty_query_is_refused_with_the_name_field(
    admin_client: TestClient, un_list: None
) -> None:
    answer = admin_client.post("/screening", data=_form(admin_client, name="  "))
    assert answer.status_code == 422
    assert 'id="name-error"' in answer.text


def test_the_form_needs_its_csrf_token(admin_client: TestClient, un_list: None) -> None:
    form = _form(admin_client, name="Hamza bin Laden")
    form["csrf_token"] = "forged"
    assert admin_client.post("/screening", data=form).status_code == 403


def test_a_viewer_cannot_screen(
    client: TestClient, session: Session, keyring: Keyring, un_list: None
) -> None:
    account = make_account(session, keyring, "viewer", Role.VIEWER)
    session.commit()
    sign_in(client, account)
    assert client.get("/screening").status_code == 403
