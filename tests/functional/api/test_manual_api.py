"""Manual lists API: who may change designations, what a change returns, and bad input.

Tokens are personal tokens of real accounts (a personal token never grants more than its owner's
role), and a service account's, which may read but can never be given `registry:write`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dignity.exc import InvalidInput
from dignity.security import apitokens
from dignity.security.authz import user_principal
from dignity.security.crypto import Keyring
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.monitoring import personal_token
from factories.security import quick_account, service_token

LIST = "us_state_7031c"
BASE = f"/api/registry/manual/{LIST}/designations"
DESIGNATION: dict[str, Any] = {
    "schema": "Person",
    "name": "Ejemplo Oficial Uno",
    "aliases": ["E. O. Uno"],
    "country": ["Nicaragua"],
    "position": "Former Minister of Examples",
    "program": "7031C",
    "reason": "Involvement in significant corruption.",
    "source_url": "https://www.state.gov/public-designation-of-an-example-official/",
    "source_date": "2023-12-08",
}
Headers = dict[str, str]


def _personal(session: Session, settings: Settings, keyring: Keyring, role: Role) -> Headers:
    account = quick_account(session, keyring, f"api-{role.value}", role)
    principal = user_principal(account.id, account.username, role.value, None)
    return personal_token(session, settings, principal, ("registry:read", "registry:write"))


@pytest.fixture
def officer(session: Session, settings: Settings, keyring: Keyring) -> Headers:
    return _personal(session, settings, keyring, Role.SCREENING_OFFICER)


@pytest.fixture
def viewer(session: Session, settings: Settings, keyring: Keyring) -> Headers:
    return _personal(session, settings, keyring, Role.VIEWER)


@pytest.fixture
def bank(session: Session, settings: Settings) -> Headers:
    secret = service_token(session, settings, "bank", ["registry:read"], expires_days=1)
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def manual_list(client: TestClient, officer: Headers) -> None:
    body = {"name": LIST, "title": "Section 7031(c) public designations", "publisher": "us-state"}
    response = client.post("/api/registry/manual", json=body, headers=officer)
    assert response.status_code == 201, response.text
    assert response.json() == {
        "name": LIST,
        "title": "Section 7031(c) public designations",
        "publisher": "us-state",
        "source_url": "",
        "current_version": None,
    }


def test_a_viewer_cannot_change_designations(
    client: TestClient, viewer: Headers, officer: Headers, manual_list: None
) -> None:
    body = {"name": "viewer_list", "title": "Mine", "publisher": "us-state"}
    refused = client.post("/api/registry/manual", json=body, headers=viewer)
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert client.post(BASE, json=DESIGNATION, headers=viewer).status_code == 403
    added = client.post(BASE, json=DESIGNATION, headers=officer).json()["designation"]
    path = f"{BASE}/{added['id']}"
    assert client.patch(path, json={"revision": 1, "name": "X"}, headers=viewer).status_code == 403
    retire = {"reason": "no", "revision": 1}
    assert client.post(f"{path}/retire", json=retire, headers=viewer).status_code == 403
    # Reading is the viewer's right.
    assert client.get(path, headers=viewer).json()["name"] == "Ejemplo Oficial Uno"
    assert [d["id"] for d in client.get(BASE, headers=viewer).json()] == [added["id"]]


def test_a_machine_client_reads_but_can_never_hold_the_write_scope(
    client: TestClient, session: Session, settings: Settings, bank: Headers, manual_list: None
) -> None:
    assert client.get("/api/registry/manual", headers=bank).status_code == 200
    assert client.post(BASE, json=DESIGNATION, headers=bank).status_code == 403
    account = apitokens.find_service_account(session, "bank")
    with pytest.raises(InvalidInput):
        apitokens.issue_token(
            session,
            settings,
            scopes=["registry:write"],
            expires_days=1,
            actor="test",
            now=datetime.now(UTC),
            service_account=account,
        )
    assert client.get("/api/registry/manual").status_code == 401


def test_a_screening_officer_adds_edits_and_retires(
    client: TestClient, officer: Headers, manual_list: None
) -> None:
    added = client.post(BASE, json=DESIGNATION, headers=officer)
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["list_version"] == 1
    row = body["designation"]
    assert row["country"] == ["ni"]
    assert row["authority"] == "United States Department of State"
    assert row["entity_id"] == f"us-state-7031c-{row['id']}"
    assert row["revision"] == 1
    assert "created_by" not in row  # who typed it in stays in the audit log
    entity = client.get(f"/api/registry/entities/{row['entity_id']}", headers=officer).json()
    assert {(v["prop"], v["list_name"], v["since_version"]) for v in entity["values"]} >= {
        ("name", LIST, 1),
        ("position", LIST, 1),
    }

    path = f"{BASE}/{row['id']}"
    edit = {"revision": 1, "position": "Former Governor of Examples"}
    edited = client.patch(path, json=edit, headers=officer)
    assert edited.status_code == 200, edited.text
    assert edited.json()["list_version"] == 2
    assert edited.json()["designation"]["aliases"] == ["E. O. Uno"]  # fields not sent are kept
    delta = client.get(f"/api/registry/lists/{LIST}/delta?from=1&to=2", headers=officer).json()
    [changed] = delta["changed"]
    assert changed["added"] == [["position", "Former Governor of Examples"]]
    assert changed["removed"] == [["position", "Former Minister of Examples"]]

    stale = client.patch(path, json={"revision": 1, "position": "Lost update"}, headers=officer)
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"

    retired = client.post(
        f"{path}/retire", json={"reason": "Revoked.", "revision": 2}, headers=officer
    )
    assert retired.status_code == 200, retired.text
    assert retired.json()["list_version"] == 3
    assert retired.json()["designation"]["retired_reason"] == "Revoked."
    assert client.get(BASE, headers=officer).json() == []
    everything = client.get(f"{BASE}?retired=true", headers=officer).json()
    assert [d["retired"] for d in everything] == [True]
    lists = client.get("/api/registry/manual", headers=officer).json()
    assert lists[0]["current_version"] == 3


def test_bad_input_is_422_naming_each_field(
    client: TestClient, officer: Headers, manual_list: None
) -> None:
    bad = {
        **DESIGNATION,
        "source_url": "javascript:alert(1)",
        "source_date": "",
        "birth_date": "someday",
        "nationality": ["Atlantis"],
    }
    response = client.post(BASE, json=bad, headers=officer)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["detail"] == "the designation is not valid"
    assert sorted(e["field"] for e in body["errors"]) == [
        "birth_date",
        "nationality",
        "source_date",
        "source_url",
    ]
    assert client.get(BASE, headers=officer).json() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**DESIGNATION, "owner": "someone"}, "owner"),
        ({**DESIGNATION, "aliases": "not a list"}, "aliases"),
        ({**DESIGNATION, "name": "x" * 6000}, "name"),
    ],
)
def test_malformed_bodies_are_422(
    client: TestClient, officer: Headers, manual_list: None, body: dict[str, Any], field: str
) -> None:
    response = client.post(BASE, json=body, headers=officer)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}


def test_an_edit_needs_the_revision_and_unknown_ids_are_404(
    client: TestClient, officer: Headers, manual_list: None
) -> None:
    row = client.post(BASE, json=DESIGNATION, headers=officer).json()["designation"]
    path = f"{BASE}/{row['id']}"
    missing = client.patch(path, json={"name": "No revision"}, headers=officer)
    assert missing.status_code == 422
    assert "revision" in {e["field"] for e in missing.json()["errors"]}
    nowhere = "/api/registry/manual/no_such_list/designations"
    assert client.get(nowhere, headers=officer).status_code == 404
    assert client.get(f"{BASE}/{'0' * 36}", headers=officer).status_code == 404
    body = {"name": "other_list", "title": "Other", "publisher": "us-state"}
    assert client.post("/api/registry/manual", json=body, headers=officer).status_code == 201
    other = f"/api/registry/manual/other_list/designations/{row['id']}"
    assert client.get(other, headers=officer).status_code == 404
    assert client.patch(other, json={"revision": 1}, headers=officer).status_code == 404


def test_a_list_name_is_taken_once(client: TestClient, officer: Headers, manual_list: None) -> None:
    body = {"name": LIST, "title": "Again", "publisher": "us-state"}
    assert client.post("/api/registry/manual", json=body, headers=officer).status_code == 409
    bad = {"name": "Has Spaces", "title": "", "publisher": "us-state"}
    response = client.post("/api/registry/manual", json=bad, headers=officer)
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == ["name", "title"]
