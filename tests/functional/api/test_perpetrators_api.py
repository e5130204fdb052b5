"""The perpetrators API through personal tokens: the gap of a project, linking to a UN-listed
entity and reading its designation, screening all perpetrators with names from the identity vault,
and the same "not found" for another project's person."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import dignity.documentation.services as docs
from dignity.registry import services as registry
from dignity.security.crypto import Keyring
from dignity.security.permissions import Role
from dignity.settings import Settings
from dignity.sources.services import open_list
from factories.documentation import story
from factories.monitoring import personal_token, reviewer, team

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
SCOPES = (
    "records:read",
    "records:write",
    "registry:read",
    "screening:write",
    "identities:read",
    "identities:write",
)
HAMZA_ID = "un-qdi.421"


def test_perpetrators_are_linked_screened_and_kept_to_their_project(
    client: TestClient, session: Session, settings: Settings, keyring: Keyring
) -> None:
    registry.import_list(session, open_list(UN_FILE, "un-xml"), actor="test")
    project = team(session, "Darfur 2023")
    investigator = reviewer(session, "investigator", project, Role.INVESTIGATOR)
    ids = story(session, investigator, project)
    son = docs.create_record(session, investigator, "persons", project.id, {"kind": "individual"})
    docs.set_person_identity(
        session, investigator, keyring, son.id, {"names": [{"name": "Hamza bin Laden"}]}
    )
    docs.create_record(
        session,
        investigator,
        "involvements",
        project.id,
        {"act_id": ids["act"], "perpetrator_id": son.id, "degree": "involvement.direct"},
    )
    headers = personal_token(session, settings, investigator, SCOPES)

    gap = client.get(f"/api/projects/{project.id}/perpetrators", headers=headers).json()
    assert gap["perpetrators"] == gap["designated_nowhere"] == 2
    assert gap["authorities"] == ["United Nations Security Council"]

    screened = client.post(
        f"/api/projects/{project.id}/perpetrators/screen", json={}, headers=headers
    )
    assert screened.status_code == 200, screened.text
    by_code = {row["code"]: row for row in screened.json()["results"]}
    suggested = by_code[son.code]["suggestions"]
    assert suggested[0]["entity_id"] == HAMZA_ID
    assert (
        by_code[docs.get_record(session, investigator, "persons", ids["unit"]).code]["skipped"]
        == "no name in the identity vault"
    )

    linked = client.post(
        f"/api/perpetrators/{son.id}/links",
        json={"entity_id": HAMZA_ID, "method": "screening", "score": suggested[0]["score"]},
        headers=headers,
    )
    assert linked.status_code == 201, linked.text
    body = linked.json()
    assert body["designations"] == [
        {
            "list": "un_sc_consolidated",
            "entity_id": HAMZA_ID,
            "authority": "United Nations Security Council",
            "program": "Al-Qaida",
            "listed": "2019-02-28",
        }
    ]
    assert body["designated_by"] == ["United Nations Security Council"]
    assert body["not_designated_by"] == []
    again = client.post(
        f"/api/perpetrators/{son.id}/links", json={"entity_id": HAMZA_ID}, headers=headers
    )
    assert again.status_code == 409
    wrong = client.post(
        f"/api/perpetrators/{son.id}/links", json={"entity_id": "nope"}, headers=headers
    )
    assert wrong.status_code == 422
    assert "entity_id" in wrong.text

    stranger = reviewer(session, "stranger", team(session, "Other"), Role.INVESTIGATOR)
    theirs = personal_token(session, settings, stranger, SCOPES)
    missing = client.get("/api/perpetrators/no-such-person", headers=theirs)
    hidden = client.get(f"/api/perpetrators/{son.id}", headers=theirs)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"]
    assert (
        client.delete(f"/api/perpetrators/{son.id}/links/{HAMZA_ID}", headers=theirs).status_code
        == 404
    )
    assert (
        client.delete(f"/api/perpetrators/{son.id}/links/{HAMZA_ID}", headers=headers).status_code
        == 204
    )
