"""The documentation API: records of every type through personal tokens, 409 on a concurrent
edit, history, vocabularies, full-text search limited to the caller's projects, and the OpenAPI."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dignity.documentation import search
from dignity.security.authz import Principal
from dignity.security.models import Project
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.documentation import story
from factories.monitoring import personal_token, reviewer, team

SCOPES = ("records:read", "records:write", "projects:read")


def _ok(response, status: int = 200):  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    return response.json()


def _member(
    session: Session, settings: Settings, name: str, project_name: str
) -> tuple[Principal, dict[str, str], str]:
    project = team(session, project_name)
    principal = reviewer(session, name, project, Role.INVESTIGATOR)
    return principal, personal_token(session, settings, principal, SCOPES), project.id


def test_records_are_created_changed_and_their_history_read(
    client: TestClient, session: Session, settings: Settings
) -> None:
    _, headers, project = _member(session, settings, "investigator", "Darfur 2023")
    event = _ok(
        client.post(
            f"/api/projects/{project}/events",
            json={
                "title": "Shelling of the camp",
                "start_date": "2023-11",
                "start_precision": "date.month",
            },
            headers=headers,
        ),
        201,
    )
    victim = _ok(
        client.post(
            f"/api/projects/{project}/persons", json={"kind": "individual"}, headers=headers
        ),
        201,
    )
    assert victim["code"].startswith("P-")
    act = _ok(
        client.post(
            f"/api/projects/{project}/acts",
            json={"event_id": event["id"], "victim_id": victim["id"], "act_type": "act.injury"},
            headers=headers,
        ),
        201,
    )
    url = f"/api/documentation/acts/{act['id']}"
    changed = _ok(client.patch(url, json={"revision": 1, "place": "Zamzam camp"}, headers=headers))
    assert (changed["revision"], changed["place"]) == (2, "Zamzam camp")
    stale = client.patch(url, json={"revision": 1, "place": "elsewhere"}, headers=headers)
    assert stale.status_code == 409
    bad = client.patch(url, json={"revision": 2, "act_type": "act.nothing"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "act_type"
    history = _ok(client.get(f"{url}/history", headers=headers))
    assert [h["action"] for h in history] == ["created", "updated"]
    assert history[1]["changes"] == {"place": ["", "Zamzam camp"]}
    page = _ok(client.get(f"/api/projects/{project}/acts", headers=headers))
    assert page["total"] == 1


def test_another_team_sees_nothing_and_search_keeps_to_the_callers_projects(
    client: TestClient, session: Session, settings: Settings
) -> None:
    owner, _, project = _member(session, settings, "investigator", "Darfur 2023")
    project_row = session.get(Project, project)
    assert project_row is not None
    ids = story(session, owner, project_row)
    session.commit()
    _, other, _ = _member(session, settings, "outsider", "Myanmar 2021")
    assert client.get(f"/api/documentation/events/{ids['event']}", headers=other).status_code == 404
    assert _ok(client.get(f"/api/projects/{project}/events", headers=other))["total"] == 0
    found = search.search(session, owner, "geneina market")
    assert [(f.record_type, f.record_id) for f in found] == [("events", ids["event"])]
    outsider = reviewer(session, "outsider2", None, Role.INVESTIGATOR)
    assert search.search(session, outsider, "geneina") == []
    assert search.search(session, owner, "geneina", types=["acts"]) == []


def test_vocabularies_and_openapi(client: TestClient, session: Session, settings: Settings) -> None:
    _, headers, _ = _member(session, settings, "investigator", "Darfur 2023")
    names = {v["name"] for v in _ok(client.get("/api/vocabularies", headers=headers))}
    assert {"act", "violation", "reliability", "date", "monitoring"} <= names
    violation = _ok(client.get("/api/vocabularies/violation?lang=ar", headers=headers))
    codes = {item["code"]: item for item in violation["items"]}
    assert codes["violation.crsv.rape"]["broader"] == "violation.crsv"
    assert codes["violation.torture"]["label"] != codes["violation.torture"]["labels"]["en"]
    schema = client.get("/openapi.json").json()
    assert "/api/projects/{project}/involvements" in schema["paths"]
    assert "InvolvementsCreate" in schema["components"]["schemas"]
    assert "degree" in schema["components"]["schemas"]["InvolvementsCreate"]["properties"]
