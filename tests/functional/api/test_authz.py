"""Authorization through the API: object-level checks that answer like a missing id (item 24),
request models that refuse unknown fields (item 25), one row filter for lists and counts (item 26)
and bulk export behind step-up MFA, a rate limit, the audit log and an alert (item 27).

Tokens are personal tokens from `POST /api/auth/token` (password and MFA) unless a test is about
service accounts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from conftest import make_settings
from dignity.api.app import create_app
from dignity.audit.models import AuditEvent
from dignity.audit.services import verify_export
from dignity.exc import InvalidInput
from dignity.security import apitokens, exports, projects
from dignity.security.authz import Principal, user_principal
from dignity.security.crypto import Keyring
from dignity.security.models import ApiToken, Project, ServiceAccount, User
from dignity.security.permissions import Role
from dignity.security.tokens import token_digest
from dignity.settings import Settings
from dignity.store.types import new_id
from factories.security import Account, quick_account

NO_TOKEN = {
    "status": 401,
    "code": "not_authenticated",
    "detail": "a valid API token is needed (Authorization: Bearer ...)",
    "errors": [],
}


def personal_token(
    client: TestClient,
    account: Account,
    scopes: list[str],
    *,
    code: str | None = None,
    expires_days: int = 30,
) -> str:
    response = client.post(
        "/api/auth/token",
        json={
            "username": account.username,
            "password": account.password,
            "otp": code or account.code(),
            "scopes": scopes,
            "expires_days": expires_days,
        },
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def service_token(
    session: Session, settings: Settings, name: str, scopes: list[str]
) -> tuple[ServiceAccount, str]:
    account = apitokens.create_service_account(session, name, "test")
    _, secret = apitokens.issue_token(
        session,
        settings,
        scopes=scopes,
        expires_days=30,
        actor="test",
        now=datetime.now(UTC),
        service_account=account,
    )
    session.commit()
    return account, secret


def events(session: Session, action: str, actor: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    return list(session.execute(query).scalars())


@dataclass
class World:
    a: Account  # investigator, member of P
    b: Account  # investigator, not a member of P
    p: Project


@pytest.fixture
def world(session: Session, keyring: Keyring) -> World:
    a = quick_account(session, keyring, "investigator-a", Role.INVESTIGATOR)
    b = quick_account(session, keyring, "investigator-b", Role.INVESTIGATOR)
    p = projects.create_project(session, "Project P", "A's case file", "test")
    user_a = session.get(User, a.id)
    assert user_a is not None
    projects.add_member(session, p, user_a, "test")
    session.commit()
    return World(a, b, p)


# --- item 24: object-level checks answer exactly like a missing id ------------------------------


def test_an_outsider_gets_the_same_404_for_a_project_as_for_a_missing_id(
    client: TestClient, world: World
) -> None:
    token_a = personal_token(client, world.a, ["projects:read"])
    token_b = personal_token(client, world.b, ["projects:read"])

    seen = client.get(f"/api/projects/{world.p.id}", headers=bearer(token_a))
    assert seen.status_code == 200
    assert seen.json()["name"] == "Project P"

    hidden = client.get(f"/api/projects/{world.p.id}", headers=bearer(token_b))
    missing = client.get(f"/api/projects/{new_id()}", headers=bearer(token_b))
    missing_for_a = client.get(f"/api/projects/{new_id()}", headers=bearer(token_a))
    not_an_id = client.get("/api/projects/not-an-id", headers=bearer(token_b))
    assert hidden.status_code == 404
    for other in (missing, missing_for_a, not_an_id):
        assert (other.status_code, other.content) == (hidden.status_code, hidden.content)
        assert other.headers.get("content-type") == hidden.headers.get("content-type")
    assert hidden.json() == {
        "status": 404,
        "code": "not_found",
        "detail": "no such project",
        "errors": [],
    }
    assert "Project P" not in hidden.text


def test_service_account_tokens_see_no_projects(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    _, secret = service_token(session, settings, "integration", ["projects:read"])

    listed = client.get("/api/projects", headers=bearer(secret))
    assert (listed.status_code, listed.json()) == (200, [])
    hidden = client.get(f"/api/projects/{world.p.id}", headers=bearer(secret))
    missing = client.get(f"/api/projects/{new_id()}", headers=bearer(secret))
    assert hidden.status_code == 404
    assert hidden.content == missing.content


def test_a_token_without_the_scope_gets_403(client: TestClient, world: World) -> None:
    token = personal_token(client, world.a, ["registry:read"])

    assert client.get("/api/me", headers=bearer(token)).status_code == 200  # the token is good
    for path in ("/api/projects", f"/api/projects/{world.p.id}"):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 403
        assert response.json() == {
            "status": 403,
            "code": "permission_denied",
            "detail": "this needs the projects:read scope",
            "errors": [],
        }


def test_a_personal_token_never_grants_more_than_the_role(client: TestClient, world: World) -> None:
    # An investigator may ask for projects:manage, but the role does not have it.
    token = personal_token(client, world.a, ["projects:read", "projects:manage"])

    me = client.get("/api/me", headers=bearer(token)).json()
    assert me["permissions"] == ["projects:read"]
    response = client.post("/api/projects", json={"name": "Mine"}, headers=bearer(token))
    assert response.status_code == 403


def _assert_no_token(response_status: int, body: object, headers: dict[str, str]) -> None:
    assert (response_status, body) == (401, NO_TOKEN)
    assert headers.get("www-authenticate") == "Bearer"
    assert "set-cookie" not in headers


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer dgt_" + "A" * 43,
        "Bearer not-a-dignity-token",
        "Bearer dgt_" + "A" * 200,
    ],
)
def test_a_missing_or_unknown_token_gets_401(client: TestClient, authorization: str | None) -> None:
    headers = {"authorization": authorization} if authorization is not None else {}
    response = client.get("/api/projects", headers=headers)
    _assert_no_token(response.status_code, response.json(), dict(response.headers))


def test_a_revoked_token_gets_401(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    token = personal_token(client, world.a, ["projects:read"])
    assert client.get("/api/projects", headers=bearer(token)).status_code == 200
    digest = token_digest(token, settings.secret_key.get_secret_value())
    stored = session.execute(select(ApiToken).where(ApiToken.token_hash == digest)).scalar_one()

    apitokens.revoke_token(session, stored.id, "test", datetime.now(UTC))
    session.commit()

    response = client.get("/api/projects", headers=bearer(token))
    _assert_no_token(response.status_code, response.json(), dict(response.headers))


def test_an_expired_token_gets_401(client: TestClient, world: World) -> None:
    issued = datetime.now(UTC)
    token = personal_token(client, world.a, ["projects:read"], expires_days=1)

    with time_machine.travel(issued + timedelta(days=1) - timedelta(minutes=1)):
        assert client.get("/api/projects", headers=bearer(token)).status_code == 200
    with time_machine.travel(issued + timedelta(days=1, seconds=5)):
        response = client.get("/api/projects", headers=bearer(token))
    _assert_no_token(response.status_code, response.json(), dict(response.headers))


def test_a_token_of_a_disabled_service_account_gets_401(
    client: TestClient, session: Session, settings: Settings
) -> None:
    account, secret = service_token(session, settings, "bank-screening", ["screening:read"])
    me = client.get("/api/me", headers=bearer(secret))
    assert (me.status_code, me.json()["kind"]) == (200, "service")

    account.disabled_at = datetime.now(UTC)
    session.commit()

    response = client.get("/api/me", headers=bearer(secret))
    _assert_no_token(response.status_code, response.json(), dict(response.headers))


def test_a_token_of_a_disabled_user_gets_401(
    client: TestClient, session: Session, world: World
) -> None:
    token = personal_token(client, world.a, ["projects:read"])
    user = session.get(User, world.a.id)
    assert user is not None
    # Directly in the store, so the token is not revoked as `set_disabled` would: the check at
    # use must refuse it by itself.
    user.disabled_at = datetime.now(UTC)
    session.commit()

    response = client.get("/api/projects", headers=bearer(token))
    _assert_no_token(response.status_code, response.json(), dict(response.headers))


# --- item 25: request models refuse unknown fields ----------------------------------------------


@pytest.mark.parametrize("extra", [{"owner_id": "someone"}, {"role": "admin"}])
def test_creating_a_project_with_an_unknown_field_gets_422(
    client: TestClient, session: Session, keyring: Keyring, extra: dict[str, str]
) -> None:
    admin = quick_account(session, keyring, "api-admin", Role.ADMIN)
    session.commit()
    token = personal_token(client, admin, ["projects:manage"])

    refused = client.post("/api/projects", json={"name": "X", **extra}, headers=bearer(token))
    assert refused.status_code == 422
    [field] = extra
    assert [(e["field"], e["location"]) for e in refused.json()["errors"]] == [(field, "body")]
    assert session.execute(select(func.count()).select_from(Project)).scalar_one() == 0

    accepted = client.post("/api/projects", json={"name": "X"}, headers=bearer(token))
    assert accepted.status_code == 201  # the same call without the extra field is fine


def test_asking_for_a_token_with_a_role_gets_422(
    client: TestClient, session: Session, world: World
) -> None:
    body = {
        "username": world.a.username,
        "password": world.a.password,
        "otp": world.a.code(),
        "scopes": ["projects:read"],
    }
    refused = client.post("/api/auth/token", json={**body, "role": "admin"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["role"]
    assert events(session, "auth.signed_in") == []  # refused before any credential was looked at

    assert client.post("/api/auth/token", json=body).status_code == 201


# --- item 26: lists and counts use the same row filter ------------------------------------------


def test_lists_and_counts_agree_and_hide_other_projects(
    client: TestClient, session: Session, settings: Settings, keyring: Keyring, world: World
) -> None:
    admin = quick_account(session, keyring, "list-admin", Role.ADMIN)
    q = projects.create_project(session, "Project Q", "B's case file", "test")
    projects.create_project(session, "Project R", "nobody's", "test")
    user_b = session.get(User, world.b.id)
    assert user_b is not None
    projects.add_member(session, q, user_b, "test")
    session.commit()
    _, service_secret = service_token(session, settings, "integration", ["projects:read"])
    tokens = {
        "a": personal_token(client, world.a, ["projects:read"]),
        "b": personal_token(client, world.b, ["projects:read"]),
        "admin": personal_token(client, admin, ["projects:read"]),
        "service": service_secret,
    }

    listed = {
        who: client.get("/api/projects", headers=bearer(token)) for who, token in tokens.items()
    }
    names = {who: [p["name"] for p in response.json()] for who, response in listed.items()}
    assert names == {
        "a": ["Project P"],
        "b": ["Project Q"],
        "admin": ["Project P", "Project Q", "Project R"],
        "service": [],
    }
    # B's answer carries nothing of P: not its id, its name, or a count that includes it.
    assert world.p.id not in listed["b"].text
    assert "Project P" not in listed["b"].text
    assert not {"x-total-count", "content-range"} & set(listed["b"].headers)

    principals: dict[str, Principal] = {}
    for who, token in tokens.items():
        principal = apitokens.resolve_token(session, settings, token, datetime.now(UTC))
        assert principal is not None
        principals[who] = principal
    # The same people as web users (full role permissions rather than token scopes).
    for who, account in (("web a", world.a), ("web b", world.b), ("web admin", admin)):
        user = session.get(User, account.id)
        assert user is not None
        principals[who] = user_principal(user.id, user.username, user.role, None)
    for who, principal in principals.items():
        visible = projects.visible_projects(session, principal)
        count = projects.count_visible_projects(session, principal)
        assert count == len(visible), who
        assert [p.name for p in visible] == names[who.removeprefix("web ")], who


# --- item 27: bulk export needs step-up, is rate-limited, logged and alerted --------------------

START = datetime(2030, 3, 4, 9, 0, 1, tzinfo=UTC)  # one second into a TOTP step


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def limited_app(tmp_path: Path, store_url: str, factory: sessionmaker[Session]) -> FastAPI:
    """The app with at most two bulk exports per account and hour."""
    settings = make_settings(tmp_path, database_url=store_url, export_limit_per_hour=2)
    return create_app(settings, factory)


def _export(client: TestClient, token: str, otp: str) -> tuple[int, str, dict[str, str]]:
    response = client.post("/api/audit/export", json={"otp": otp}, headers=bearer(token))
    return response.status_code, response.text, dict(response.headers)


def test_bulk_export_needs_step_up_and_is_limited_logged_and_alerted(
    limited_app: FastAPI, session: Session, clock: time_machine.Traveller, tmp_path: Path
) -> None:
    client = TestClient(limited_app, base_url="https://testserver", raise_server_exceptions=False)
    admin = quick_account(session, limited_app.state.keyring, "export-admin", Role.ADMIN)
    session.commit()
    actor = f"user:{admin.id}"
    token = personal_token(client, admin, ["audit:read", "export:bulk"])  # uses this step's code

    # Without a fresh code: no code, or the code already spent on the token.
    for otp in ("", admin.code()):
        status, text, _ = _export(client, token, otp)
        assert status == 401
        assert json.loads(text) == {
            "status": 401,
            "code": "not_authenticated",
            "detail": "bulk export needs a fresh MFA code (step-up)",
            "errors": [],
        }
    assert len(events(session, "export.refused", actor)) == 2
    assert events(session, exports.EXPORT_ACTION) == []

    # With step-up: twice (the limit), each with a new code.
    status, text, headers = _export(client, token, admin.code(START + timedelta(seconds=30)))
    assert status == 200, text
    assert headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["type"] == "header"
    assert {"export.refused", "token.issued"} <= {r.get("action") for r in lines}
    exported = tmp_path / "export.jsonl"
    exported.write_text(text, encoding="utf-8")
    assert verify_export(exported, None).ok  # the file verifies offline
    clock.shift(60)
    status, text, _ = _export(client, token, admin.code())
    assert status == 200, text

    # The third within the hour: refused even with a good code, and reported.
    clock.shift(30)
    status, text, headers = _export(client, token, admin.code())
    assert status == 429
    assert json.loads(text)["code"] == "rate_limited"
    assert headers["retry-after"] == "3600"

    assert len(events(session, exports.EXPORT_ACTION, actor)) == 2
    [alert] = events(session, exports.ALERT_ACTION)
    assert alert.actor == actor
    assert json.loads(alert.details)["reason"] == "bulk export limit exceeded"

    # An hour after the first export, one more is allowed again.
    clock.shift(timedelta(hours=1))
    status, _, _ = _export(client, token, admin.code())
    assert status == 200


def test_only_admins_may_export(
    client: TestClient, session: Session, settings: Settings, keyring: Keyring, world: World
) -> None:
    admin = quick_account(session, keyring, "scoped-admin", Role.ADMIN)
    session.commit()
    # An investigator holds export:bulk but not audit:read: a token asking for both gets neither
    # more than the role, and a good MFA code does not help.
    investigator = personal_token(client, world.a, ["audit:read", "export:bulk"])
    assert client.get("/api/me", headers=bearer(investigator)).json()["permissions"] == [
        "export:bulk"
    ]
    later = datetime.now(UTC) + timedelta(seconds=30)
    status, text, _ = _export(client, investigator, world.a.code(later))
    assert status == 403, text
    # An admin's token without the audit scope is refused the same way.
    narrow = personal_token(client, admin, ["projects:read"])
    status, _, _ = _export(client, narrow, admin.code(later))
    assert status == 403
    # A service account cannot even be given the scopes.
    account = apitokens.create_service_account(session, "exporter", "test")
    for scope in ("audit:read", "export:bulk"):
        with pytest.raises(InvalidInput, match="unknown scope"):
            apitokens.issue_token(
                session,
                settings,
                scopes=[scope],
                expires_days=1,
                actor="test",
                now=datetime.now(UTC),
                service_account=account,
            )
    assert events(session, exports.EXPORT_ACTION) == []
