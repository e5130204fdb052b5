"""The consent API: record consent, share (201 with the document, 403 with the reasons by person
code), withdraw (the past shares come back), notify recipients, and promises with the overdue
list; other projects' staff and roles without need-to-know get the 404 of a missing person."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from vault_helpers import project_with_investigator

from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.monitoring import personal_token, reviewer, team

NEED_TO_KNOW = (
    "records:read",
    "records:write",
    "projects:read",
    "identities:read",
    "identities:write",
    "export:bulk",
)
TODAY = date.today()  # noqa: DTZ011 (consent dates are calendar days)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _person(client: TestClient, session: Session, settings: Settings) -> tuple[str, dict, str]:
    project, investigator = project_with_investigator(session)
    headers = personal_token(session, settings, investigator, NEED_TO_KNOW)
    person = _ok(
        client.post(
            f"/api/projects/{project.id}/persons", json={"kind": "individual"}, headers=headers
        ),
        201,
    )
    return project.id, headers, person["id"]


CONSENT = {
    "scopes": ["documentation", "share.un-mechanism"],
    "given_on": TODAY.isoformat(),
    "method": "oral",
    "through": "interpreter",
    "language": "ku",
}
SHARE = {
    "recipient_kind": "un-mechanism",
    "recipient_name": "Committee against Torture",
    "purpose": "Shadow report",
}


def test_consent_share_withdraw_and_notify_through_the_api(
    client: TestClient, session: Session, settings: Settings
) -> None:
    project, headers, person = _person(client, session, settings)
    base = f"/api/documentation/persons/{person}"
    refused = client.post(
        f"/api/projects/{project}/shares", json={**SHARE, "person_ids": [person]}, headers=headers
    )
    assert refused.status_code == 403
    assert [e["message"] for e in refused.json()["errors"]] == ["no consent is recorded"]

    consent = _ok(client.post(f"{base}/consents", json=CONSENT, headers=headers), 201)
    assert (consent["language"], consent["current"]) == ("ku", True)
    made = _ok(
        client.post(
            f"/api/projects/{project}/shares",
            json={**SHARE, "person_ids": [person]},
            headers=headers,
        ),
        201,
    )
    assert made["document"]["recipient"]["kind"] == "un-mechanism"
    assert made["share"]["person_ids"] == [person]

    withdrawn = _ok(
        client.post(
            f"{base}/withdraw",
            json={"given_on": TODAY.isoformat(), "method": "written"},
            headers=headers,
        )
    )
    assert [(s["id"], s["to_notify"]) for s in withdrawn["shares"]] == [(made["share"]["id"], True)]
    again = client.post(
        f"/api/projects/{project}/shares", json={**SHARE, "person_ids": [person]}, headers=headers
    )
    assert again.status_code == 403
    assert "withdrawn" in again.json()["errors"][0]["message"]

    _ok(
        client.post(
            f"/api/shares/{made['share']['id']}/notifications",
            json={"how": "letter", "notified_on": TODAY.isoformat(), "notified_by": "Legal team"},
            headers=headers,
        ),
        201,
    )
    (listed,) = _ok(client.get(f"{base}/shares", headers=headers))
    assert listed["to_notify"] is False
    history = _ok(client.get(f"{base}/consents", headers=headers))
    assert [c["action"] for c in history] == ["withdrawn", "given"]


def test_promises_and_the_overdue_list(
    client: TestClient, session: Session, settings: Settings
) -> None:
    project, headers, person = _person(client, session, settings)
    url = f"/api/documentation/persons/{person}/promises"
    late = _ok(
        client.post(
            url,
            json={
                "kind": "referral.medical",
                "due_on": (TODAY - timedelta(days=3)).isoformat(),
                "responsible": "Clinic partner",
                "notes": "Gynaecological care",
            },
            headers=headers,
        ),
        201,
    )
    _ok(
        client.post(
            url,
            json={
                "kind": "copy",
                "due_on": (TODAY + timedelta(days=7)).isoformat(),
                "responsible": "Interviewer",
            },
            headers=headers,
        ),
        201,
    )
    assert [p["overdue"] for p in _ok(client.get(url, headers=headers))] == [True, False]
    overdue = _ok(client.get(f"/api/projects/{project}/promises/overdue", headers=headers))
    assert [o["promise"]["id"] for o in overdue] == [late["id"]]
    assert overdue[0]["code"].startswith("P-")
    done = _ok(
        client.patch(
            f"/api/promises/{late['id']}", json={"status": "done", "notes": "Seen"}, headers=headers
        )
    )
    assert (done["status"], done["overdue"], done["notes"]) == ("done", False, "Seen")
    assert _ok(client.get(f"/api/projects/{project}/promises/overdue", headers=headers)) == []
    bad = client.patch(f"/api/promises/{late['id']}", json={"status": "lost"}, headers=headers)
    assert bad.status_code == 422
    extra = client.post(url, json={"kind": "copy", "owner_id": "x"}, headers=headers)
    assert extra.status_code == 422


def test_other_projects_and_roles_without_need_to_know_get_404(
    client: TestClient, session: Session, settings: Settings
) -> None:
    project, headers, person = _person(client, session, settings)
    promise = _ok(
        client.post(
            f"/api/documentation/persons/{person}/promises",
            json={"kind": "follow-up", "due_on": TODAY.isoformat(), "responsible": "Team"},
            headers=headers,
        ),
        201,
    )
    outsider = reviewer(session, "outsider", team(session, "Other"), Role.INVESTIGATOR)
    other = personal_token(session, settings, outsider, NEED_TO_KNOW)
    project_obj = team(session, "Analysts' project")
    analyst = reviewer(session, "analyst", project_obj, Role.ANALYST)
    reader = personal_token(session, settings, analyst, ("records:read",))
    base = f"/api/documentation/persons/{person}"
    for who in (other, reader):
        for path in ("consents", "shares", "promises"):
            assert client.get(f"{base}/{path}", headers=who).status_code == 404
    assert client.post(f"{base}/consents", json=CONSENT, headers=other).status_code == 404
    assert (
        client.patch(
            f"/api/promises/{promise['id']}", json={"status": "done"}, headers=other
        ).status_code
        == 404
    )
    shared = client.post(
        f"/api/projects/{project}/shares", json={**SHARE, "person_ids": [person]}, headers=other
    )
    assert shared.status_code == 404
