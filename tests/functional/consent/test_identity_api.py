"""The identity routes of the documentation API: need-to-know staff read and write a person's
identity (409 on a stale revision, 422 without echoing values); everyone else gets the 404 of a
missing person and a person JSON without an `identity` key; lists never carry identities."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from vault_helpers import identifying, new_canary, project_with_investigator

from dignity.exc import InvalidInput
from dignity.security.authz import Principal
from dignity.security.models import Project
from dignity.security.permissions import Role
from dignity.settings import Settings
from dignity.store.types import new_id
from factories.monitoring import personal_token, reviewer
from factories.security import service_token

RECORDS = ("records:read", "records:write", "projects:read")
NEED_TO_KNOW = (*RECORDS, "identities:read", "identities:write")


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _documented_person(
    client: TestClient, session: Session, settings: Settings
) -> tuple[Project, Principal, dict[str, str], str]:
    project, investigator = project_with_investigator(session)
    headers = personal_token(session, settings, investigator, NEED_TO_KNOW)
    person = _ok(
        client.post(
            f"/api/projects/{project.id}/persons", json={"kind": "individual"}, headers=headers
        ),
        201,
    )
    return project, investigator, headers, person["id"]


def test_need_to_know_staff_write_and_read_a_persons_identity(
    client: TestClient, session: Session, settings: Settings
) -> None:
    canary = new_canary()
    _, _, headers, person = _documented_person(client, session, settings)
    url = f"/api/documentation/persons/{person}/identity"
    assert client.get(url, headers=headers).status_code == 404
    assert (
        _ok(client.get(f"/api/documentation/persons/{person}", headers=headers))["identity"] is None
    )

    created = _ok(client.put(url, json={"values": identifying(canary)}, headers=headers))
    assert created["revision"] == 1
    assert created["values"]["names"][0]["name"] == f"Amina {canary}"
    assert created["values"]["nationalities"] == ["sd"]
    read = _ok(client.get(url, headers=headers))
    assert read == created
    shown = _ok(client.get(f"/api/documentation/persons/{person}", headers=headers))
    assert shown["identity"] == read
    assert shown["revision"] == 1  # the person record itself did not change

    replaced = _ok(
        client.put(
            url, json={"values": {"names": [{"name": "Amina"}]}, "revision": 1}, headers=headers
        )
    )
    assert (replaced["id"], replaced["revision"]) == (created["id"], 2)
    stale = client.put(url, json={"values": {}, "revision": 1}, headers=headers)
    assert stale.status_code == 409
    unnamed = client.put(url, json={"values": {}}, headers=headers)
    assert unnamed.status_code == 409
    assert _ok(client.get(url, headers=headers))["values"]["names"][0]["name"] == "Amina"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"values": {"names": [{"name": "SECRETNAME", "kind": "nick"}]}}, "values.names.0.kind"),
        ({"values": {"photo": "SECRETNAME"}}, "values.photo"),
        ({"values": {}, "owner_id": "SECRETNAME"}, "owner_id"),
        ({"values": {"contacts": "SECRETNAME"}}, "values.contacts"),
        ({"values": {"birth_date": "SECRETNAME"}}, "values.birth_date"),
    ],
)
def test_a_bad_body_gets_422_naming_the_field_without_the_value(
    client: TestClient, session: Session, settings: Settings, body: dict[str, Any], field: str
) -> None:
    _, _, headers, person = _documented_person(client, session, settings)
    response = client.put(
        f"/api/documentation/persons/{person}/identity", json=body, headers=headers
    )
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]
    assert "SECRETNAME" not in response.text


@pytest.mark.parametrize(
    ("role", "scopes"),
    [
        (Role.ANALYST, NEED_TO_KNOW),  # the role lacks need-to-know; the scope cannot add it
        (Role.VIEWER, NEED_TO_KNOW),
        (Role.INVESTIGATOR, RECORDS),  # the role has it; this token does not carry it
    ],
)
def test_without_need_to_know_the_identity_is_a_missing_person_and_no_key(
    client: TestClient,
    session: Session,
    settings: Settings,
    role: Role,
    scopes: tuple[str, ...],
) -> None:
    canary = new_canary()
    project, _, owner, person = _documented_person(client, session, settings)
    url = f"/api/documentation/persons/{person}/identity"
    _ok(client.put(url, json={"values": identifying(canary)}, headers=owner))
    member = reviewer(session, f"member-{role}", project, role)
    headers = personal_token(session, settings, member, scopes)

    shown = _ok(client.get(f"/api/documentation/persons/{person}", headers=headers))
    assert "identity" not in shown
    hidden = client.get(url, headers=headers)
    missing = client.get(f"/api/documentation/persons/{new_id()}/identity", headers=headers)
    assert (hidden.status_code, hidden.json()) == (404, missing.json())
    if "records:write" in scopes and role == Role.INVESTIGATOR:
        refused = client.put(url, json={"values": {}, "revision": 1}, headers=headers)
        assert (refused.status_code, refused.json()) == (404, missing.json())
    assert canary not in hidden.text + str(shown)
    assert _ok(client.get(url, headers=owner))["revision"] == 1  # nothing was changed


def test_another_projects_investigator_gets_404_everywhere(
    client: TestClient, session: Session, settings: Settings
) -> None:
    _, _, owner, person = _documented_person(client, session, settings)
    url = f"/api/documentation/persons/{person}/identity"
    _ok(client.put(url, json={"values": identifying(new_canary())}, headers=owner))
    _, outsider = project_with_investigator(session, "Myanmar 2021", "outsider")
    headers = personal_token(session, settings, outsider, NEED_TO_KNOW)
    missing = client.get(f"/api/documentation/persons/{new_id()}/identity", headers=headers)
    for response in (
        client.get(url, headers=headers),
        client.put(url, json={"values": {}, "revision": 1}, headers=headers),
        client.get(f"/api/documentation/persons/{person}", headers=headers),
    ):
        assert response.status_code == 404
    assert client.get(url, headers=headers).json() == missing.json()


def test_lists_never_carry_identities(
    client: TestClient, session: Session, settings: Settings
) -> None:
    canary = new_canary()
    project, _, headers, person = _documented_person(client, session, settings)
    url = f"/api/documentation/persons/{person}/identity"
    _ok(client.put(url, json={"values": identifying(canary)}, headers=headers))
    page = _ok(client.get(f"/api/projects/{project.id}/persons", headers=headers))
    assert [row["id"] for row in page["results"]] == [person]
    assert "identity" not in page["results"][0]
    assert "identity_id" not in page["results"][0]
    assert canary not in str(page)


def test_service_accounts_cannot_hold_identity_scopes(session: Session, settings: Settings) -> None:
    for scope in ("identities:read", "identities:write"):
        with pytest.raises(InvalidInput, match="unknown scope"):
            service_token(session, settings, f"case-tool-{scope}", [scope])
