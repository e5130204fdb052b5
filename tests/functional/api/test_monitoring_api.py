"""The monitoring API on the real UN consolidated list: teams, subjects, alerts, decisions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from conftest import make_settings
from dignity.api.app import create_app
from dignity.audit.models import AuditEvent
from dignity.registry import services as registry
from dignity.screening.monitoring.models import MonitorRun, Portfolio
from dignity.security.authz import Principal
from dignity.security.models import Project
from dignity.security.permissions import Role
from dignity.settings import Settings
from dignity.sources.services import open_list
from dignity.store import create_engine, make_sessionmaker, migrate
from factories.monitoring import personal_token, reviewer, team
from factories.security import service_token

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
HAMZA = "un-qdi.421"  # HAMZA USAMA MUHAMMAD BIN LADEN, born 1989-05-09
HAMZA_QUERY = {"name": ["Hamza bin Laden"], "birthDate": ["1989-05-09"]}


@pytest.fixture
def owners(session: Session) -> Project:
    registry.import_list(session, open_list(UN_FILE, "un-xml"), actor="test")
    project = team(session, "Trade finance")
    session.commit()
    return project


def _member(
    session: Session, settings: Settings, name: str, project: Project | None
) -> tuple[Principal, dict[str, str]]:
    principal = reviewer(session, name, project, Role.SCREENING_OFFICER)
    return principal, personal_token(session, settings, principal)


def _ok(response, status: int = 200) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def _portfolio(
    client: TestClient, headers: dict[str, str], project: Project, **extra: object
) -> dict:
    body = {"name": "Letters of credit", "team": project.id, **extra}
    return _ok(client.post("/api/monitoring/portfolios", json=body, headers=headers), 201)


def _add(
    client: TestClient, headers: dict[str, str], portfolio: dict, reference: str, **props: object
) -> dict:
    body = {"reference": reference, "schema": "Person", "properties": props or HAMZA_QUERY}
    url = f"/api/monitoring/portfolios/{portfolio['id']}/subjects"
    return _ok(client.post(url, json=body, headers=headers), 201)


def _queue(client: TestClient, headers: dict[str, str], portfolio: dict, **params: object) -> dict:
    url = f"/api/monitoring/portfolios/{portfolio['id']}/alerts"
    return _ok(client.get(url, params=params, headers=headers))


def test_a_registered_subject_is_screened_at_once_and_its_alert_decided(
    client: TestClient, session: Session, settings: Settings, owners: Project
) -> None:
    _, headers = _member(session, settings, "ana", owners)
    portfolio = _portfolio(client, headers, owners)
    subject = _add(client, headers, portfolio, "C-1001")
    assert subject["screening"]["alerts_new"] == 1
    _add(client, headers, portfolio, "C-1002", name=["Maria Quennell Obate"])

    queue = _queue(client, headers, portfolio)
    assert queue["total"] == 1
    row = queue["results"][0]
    assert (row["entity"]["id"], row["subject"]["reference"], row["reason"]) == (
        HAMZA,
        "C-1001",
        "new",
    )
    alert = _ok(client.get(f"/api/monitoring/alerts/{row['id']}", headers=headers))
    assert alert["entity"]["datasets"] == ["un_sc_consolidated"]
    features = {f["name"]: f for f in alert["explanation"]}
    assert features["date_match"]["candidate"] == "1989-05-09"
    assert alert["list_versions"] == {"un_sc_consolidated": 1}

    url = f"/api/monitoring/alerts/{row['id']}/decisions"
    refused = client.post(
        url, json={"decision": "false_positive", "revision": alert["revision"]}, headers=headers
    )
    assert refused.status_code == 422
    assert "reason" in refused.text
    decided = _ok(
        client.post(
            url,
            json={
                "decision": "false_positive",
                "revision": alert["revision"],
                "reason": "dob-differs",
                "note": "customer born 1979",
            },
            headers=headers,
        ),
        201,
    )
    assert decided["status"] == "false_positive"
    assert decided["decisions"][0]["reason"] == "dob-differs"
    stale = client.post(
        url,
        json={"decision": "needs_info", "revision": alert["revision"], "note": "x"},
        headers=headers,
    )
    assert stale.status_code == 409
    assert _queue(client, headers, portfolio)["total"] == 0
    assert _queue(client, headers, portfolio, status="false_positive")["total"] == 1
    event = session.execute(
        select(AuditEvent).where(AuditEvent.action == "alert.decided")
    ).scalar_one()
    assert json.loads(event.details)["suppresses"] is True


def test_other_teams_and_machine_clients_see_nothing(
    client: TestClient, session: Session, settings: Settings, owners: Project
) -> None:
    _, headers = _member(session, settings, "ana", owners)
    portfolio = _portfolio(client, headers, owners)
    subject = _add(client, headers, portfolio, "C-1001")
    alert_id = _queue(client, headers, portfolio)["results"][0]["id"]
    _, outsider = _member(session, settings, "bob", team(session, "Other desk"))
    scopes = ["screening:read", "screening:write"]
    machine = {"Authorization": f"Bearer {service_token(session, settings, 'core', scopes)}"}
    session.commit()
    for headers_of in (outsider, machine):
        assert _ok(client.get("/api/monitoring/portfolios", headers=headers_of)) == []
        for url in (
            f"/api/monitoring/portfolios/{portfolio['id']}",
            f"/api/monitoring/portfolios/{portfolio['id']}/alerts",
            f"/api/monitoring/alerts/{alert_id}",
            f"/api/monitoring/subjects/{subject['id']}",
            "/api/monitoring/alerts/no-such-alert",
        ):
            response = client.get(url, headers=headers_of)
            assert response.status_code == 404, url
            assert response.json()["detail"] in (
                "no such portfolio",
                "no such alert",
                "no such subject",
            )
        decided = client.post(
            f"/api/monitoring/alerts/{alert_id}/decisions",
            json={"decision": "true_match", "revision": 1},
            headers=headers_of,
        )
        assert decided.status_code == 404


def test_four_eyes_needs_a_second_reviewer_to_close_a_true_match(
    client: TestClient, session: Session, settings: Settings, owners: Project
) -> None:
    _, first = _member(session, settings, "ana", owners)
    _, second = _member(session, settings, "carl", owners)
    portfolio = _portfolio(client, first, owners, four_eyes=True)
    _add(client, first, portfolio, "C-1001")
    alert_id = _queue(client, first, portfolio)["results"][0]["id"]
    url = f"/api/monitoring/alerts/{alert_id}/decisions"
    escalated = _ok(
        client.post(url, json={"decision": "true_match", "revision": 1}, headers=first), 201
    )
    assert escalated["status"] == "escalated"
    same = client.post(
        url, json={"decision": "confirm", "revision": escalated["revision"]}, headers=first
    )
    assert same.status_code == 403
    closed = _ok(
        client.post(
            url, json={"decision": "confirm", "revision": escalated["revision"]}, headers=second
        ),
        201,
    )
    assert closed["status"] == "true_match"
    assert closed["closed_at"] is not None
    assert [d["decision"] for d in closed["decisions"]] == ["true_match", "confirm"]


def test_a_false_positive_comes_back_when_the_subject_changes(
    client: TestClient, session: Session, settings: Settings, owners: Project
) -> None:
    _, headers = _member(session, settings, "ana", owners)
    portfolio = _portfolio(client, headers, owners)
    subject = _add(client, headers, portfolio, "C-1001")
    alert_id = _queue(client, headers, portfolio)["results"][0]["id"]
    _ok(
        client.post(
            f"/api/monitoring/alerts/{alert_id}/decisions",
            json={"decision": "false_positive", "revision": 1, "reason": "common-name"},
            headers=headers,
        ),
        201,
    )
    url = f"/api/monitoring/subjects/{subject['id']}"
    body = {
        "reference": "C-1001",
        "schema": "Person",
        "properties": {**HAMZA_QUERY, "nationality": ["sa"]},
        "revision": subject["revision"],
    }
    # Sent again unchanged: nothing to re-screen, nothing comes back.
    same = _ok(client.put(url, json={**body, "properties": HAMZA_QUERY}, headers=headers))
    assert same["screening"] is None
    changed = _ok(client.put(url, json=body, headers=headers))
    assert changed["revision"] == subject["revision"] + 1
    assert changed["screening"]["alerts_changed"] == 1
    stale = client.put(url, json=body, headers=headers)
    assert stale.status_code == 409
    back = _queue(client, headers, portfolio)["results"]
    assert len(back) == 1
    assert back[0]["reason"] == "changed"
    document = _ok(client.get(f"/api/monitoring/alerts/{back[0]['id']}", headers=headers))
    assert document["previous_id"] == alert_id
    assert document["changes"]["subject"] == {"nationality": {"added": ["sa"], "removed": []}}
    assert document["changes"]["entity"] == {}

    history = _ok(client.post(f"{url}/history", headers=headers))
    assert [r["action"] for r in history["revisions"]] == ["created", "updated"]
    assert [a["status"] for a in history["alerts"]] == ["false_positive", "open"]
    assert all(p["rescreened"] for p in history["passes"])
    assert {p["list_versions"]["un_sc_consolidated"] for p in history["passes"]} == {1}


def test_bad_subjects_are_refused_with_the_field_named(
    client: TestClient, session: Session, settings: Settings, owners: Project
) -> None:
    _, headers = _member(session, settings, "ana", owners)
    portfolio = _portfolio(client, headers, owners)
    url = f"/api/monitoring/portfolios/{portfolio['id']}/subjects"
    cases = [
        ({"reference": "C-1", "schema": "Person", "properties": {"imoNumber": ["9"]}}, "imoNumber"),
        ({"reference": "C-1", "schema": "Land", "properties": {"name": ["x"]}}, "schema"),
        ({"reference": " ", "schema": "Person", "properties": {"name": ["x"]}}, "reference"),
        ({"reference": "C-1", "schema": "Person", "properties": {"birthDate": ["1970"]}}, "name"),
    ]
    for body, field in cases:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert field in response.text, body
    _add(client, headers, portfolio, "C-1")
    again = client.post(
        url,
        json={"reference": "C-1", "schema": "Person", "properties": HAMZA_QUERY},
        headers=headers,
    )
    assert again.status_code == 409


@dataclass
class LiveStore:
    """An app on a store of its own: background passes run in threads, on their own connections."""

    factory: sessionmaker[Session]
    app: FastAPI
    client: TestClient
    owners: Project
    headers: dict[str, str]


@pytest.fixture
def live(fresh_store_url: str, tmp_path: Path) -> Iterator[LiveStore]:
    engine = create_engine(fresh_store_url)
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    app = create_app(settings, factory)
    with factory() as session:
        registry.import_list(session, open_list(UN_FILE, "un-xml"), actor="test")
        owners = team(session, "Trade finance")
        principal = reviewer(session, "ana", owners, Role.SCREENING_OFFICER)
        scopes = ("screening:read", "screening:write", "registry:read", "registry:write")
        headers = personal_token(session, settings, principal, scopes)
        session.commit()
    yield LiveStore(factory, app, TestClient(app, base_url="https://testserver"), owners, headers)
    app.state.monitor_jobs.wait(60)
    engine.dispose()


def test_a_new_threshold_re_screens_the_portfolio_once_committed(live: LiveStore) -> None:
    app, client, factory, headers, owners = (
        live.app,
        live.client,
        live.factory,
        live.headers,
        live.owners,
    )
    portfolio = _portfolio(client, headers, owners, threshold=0.8)
    _add(client, headers, portfolio, "C-1001")
    url = f"/api/monitoring/portfolios/{portfolio['id']}"
    body = {"revision": portfolio["revision"], "threshold": 0.95}
    changed = _ok(client.patch(url, json=body, headers=headers))
    app.state.monitor_jobs.wait(60)
    assert changed["threshold"] == 0.95
    with factory() as session:
        run = session.execute(
            select(MonitorRun).where(MonitorRun.portfolio_id == portfolio["id"])
        ).scalar_one()
        assert (run.kind, run.status, run.subjects_rescreened) == ("full", "done", 1)
        stored = session.get(Portfolio, portfolio["id"])
        assert stored is not None
        assert stored.screened_with.endswith("@0.95")
    runs = _ok(client.get("/api/monitoring/runs", headers=headers))
    assert (runs[0]["id"], runs[0]["subjects_total"]) == (run.id, 1)
    # A change that is refused starts nothing.
    stale = client.patch(url, json={"revision": 1, "threshold": 0.9}, headers=headers)
    assert stale.status_code == 409
    app.state.monitor_jobs.wait(60)
    with factory() as session:
        assert session.execute(select(func.count()).select_from(MonitorRun)).scalar_one() == 2


def test_a_designation_entered_by_hand_alerts_the_subjects_it_names(live: LiveStore) -> None:
    client, headers = live.client, live.headers
    portfolio = _portfolio(client, headers, live.owners)
    _add(client, headers, portfolio, "S-77", name=["Kestrel Varga Holmquist"])
    assert _queue(client, headers, portfolio)["total"] == 0
    body = {"name": "us_state_7031c", "title": "7031(c)", "publisher": "us-state"}
    _ok(client.post("/api/registry/manual", json=body, headers=headers), 201)
    designation = {
        "schema": "Person",
        "name": "Kestrel Varga Holmquist",
        "program": "7031C",
        "reason": "Gross violations of human rights.",
        "source_url": "https://www.state.gov/example",
        "source_date": "2026-12-01",
    }
    url = "/api/registry/manual/us_state_7031c/designations"
    _ok(client.post(url, json=designation, headers=headers), 201)
    live.app.state.monitor_jobs.wait(60)
    queue = _queue(client, headers, portfolio)
    assert queue["total"] == 1
    alert = _ok(client.get(f"/api/monitoring/alerts/{queue['results'][0]['id']}", headers=headers))
    assert alert["entity"]["datasets"] == ["us_state_7031c"]
    assert alert["subject"]["reference"] == "S-77"
    runs = _ok(client.get("/api/monitoring/runs", headers=headers))
    assert runs[0]["trigger"] == "new version of us_state_7031c"
    # A pass over every team's portfolios: its counts are not this team's to see.
    assert (runs[0]["status"], runs[0]["progress"]) == ("done", 1.0)
    assert "alerts_new" not in runs[0]
