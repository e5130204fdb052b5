"""The administration pages: people, projects and API clients, each action in the audit log; the
whole area closed to everyone but administrators (items 23-24); the audit log download behind
step-up MFA and the hourly limit (item 27).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conftest import make_settings
from dignity.api.app import create_app
from dignity.audit.models import AuditEvent
from dignity.audit.services import verify_export
from dignity.security import passwords, projects
from dignity.security.authz import user_principal
from dignity.security.crypto import Keyring
from dignity.security.models import ApiToken, Project, ProjectMember, ServiceAccount, User
from dignity.security.permissions import Role
from dignity.security.tokens import token_digest
from dignity.settings import Settings
from dignity.store.types import new_id
from factories.security import Account, quick_account, sign_in

CREDENTIAL = re.compile(r'<code id="credential">([^<]+)</code>')
TOKEN = re.compile(r'<code id="token">([^<]+)</code>')


def new_client(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="https://testserver", raise_server_exceptions=False)


def events(session: Session, action: str, object_id: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    return list(session.execute(query).scalars())


def one_event(session: Session, action: str, object_id: str, actor: str) -> dict[str, object]:
    """The single `action` event about `object_id`, by `actor`; returns its details."""
    [event] = events(session, action, object_id)
    assert event.actor == actor
    details: dict[str, object] = json.loads(event.details)
    return details


@dataclass
class Admin:
    account: Account
    client: TestClient
    csrf: str

    @property
    def actor(self) -> str:
        return f"user:{self.account.id}"

    def post(self, path: str, **data: object) -> tuple[int, str, str]:
        response = self.client.post(
            path, data={"csrf_token": self.csrf, **data}, follow_redirects=False
        )
        return response.status_code, response.headers.get("location", ""), response.text


@pytest.fixture
def admin(app: FastAPI, session: Session, keyring: Keyring) -> Admin:
    account = quick_account(session, keyring, "web-admin", Role.ADMIN)
    session.commit()
    client = new_client(app)
    return Admin(account, client, sign_in(client, account))


# --- people ------------------------------------------------------------------------------------


def test_an_admin_manages_people_and_every_action_is_audited(
    admin: Admin, session: Session
) -> None:
    status, _, page = admin.post(
        "/admin/users", username="new.person", role="analyst", display_name="New Person"
    )
    assert status == 200
    match = CREDENTIAL.search(page)
    assert match
    credential = match.group(1)
    assert re.fullmatch(r"[a-z2-9]{5}(-[a-z2-9]{5}){5}", credential)
    user = session.execute(select(User).where(User.username == "new.person")).scalar_one()
    assert (user.role, user.must_change_password, user.display_name) == (
        "analyst",
        True,
        "New Person",
    )
    assert credential not in user.password_hash
    assert passwords.verify_password(user.password_hash, credential)  # the credential shown works
    assert one_event(session, "user.created", user.id, admin.actor) == {
        "username": "new.person",
        "role": "analyst",
    }
    listing = admin.client.get("/admin/users")
    assert listing.status_code == 200
    assert "new.person" in listing.text
    assert credential not in listing.text  # shown once, never again

    status, location, _ = admin.post(f"/admin/users/{user.id}/role", role="investigator")
    assert (status, location) == (303, "/admin/users")
    session.refresh(user)
    assert user.role == "investigator"
    assert one_event(session, "user.role_changed", user.id, admin.actor) == {
        "from": "analyst",
        "to": "investigator",
    }

    status, location, _ = admin.post(f"/admin/users/{user.id}/disable")
    assert (status, location) == (303, "/admin/users")
    session.refresh(user)
    assert user.disabled_at is not None
    one_event(session, "user.disabled", user.id, admin.actor)
    status, _, _ = admin.post(f"/admin/users/{user.id}/enable")
    assert status == 303
    session.refresh(user)
    assert user.active
    one_event(session, "user.enabled", user.id, admin.actor)

    status, _, page = admin.post(f"/admin/users/{user.id}/reset")
    assert status == 200
    match = CREDENTIAL.search(page)
    assert match
    second = match.group(1)
    assert second != credential
    session.refresh(user)
    assert user.must_change_password
    assert passwords.verify_password(user.password_hash, second)
    assert not passwords.verify_password(user.password_hash, credential)
    one_event(session, "user.reset", user.id, admin.actor)
    listing = admin.client.get("/admin/users")
    assert credential not in listing.text
    assert second not in listing.text


# --- projects ----------------------------------------------------------------------------------


def test_an_admin_manages_projects_and_members_and_every_action_is_audited(
    admin: Admin, session: Session, keyring: Keyring
) -> None:
    member = quick_account(session, keyring, "field-investigator", Role.INVESTIGATOR)
    session.commit()
    user = session.get(User, member.id)
    assert user is not None
    principal = user_principal(user.id, user.username, user.role, None)

    status, location, _ = admin.post("/admin/projects", name="Case 17", description="Testimony")
    assert status == 303
    project = session.execute(select(Project).where(Project.name == "Case 17")).scalar_one()
    assert location == f"/admin/projects/{project.id}"
    assert one_event(session, "project.created", project.id, admin.actor) == {"name": "Case 17"}
    assert projects.visible_projects(session, principal) == []

    status, location, _ = admin.post(f"/admin/projects/{project.id}/members", user_id=member.id)
    assert (status, location) == (303, f"/admin/projects/{project.id}")
    assert session.get(ProjectMember, (project.id, member.id)) is not None
    assert one_event(session, "project.member_added", project.id, admin.actor) == {
        "user": member.id
    }
    page = admin.client.get(f"/admin/projects/{project.id}")
    assert page.status_code == 200
    assert f"/admin/projects/{project.id}/members/{member.id}/remove" in page.text
    assert [p.id for p in projects.visible_projects(session, principal)] == [project.id]

    status, _, _ = admin.post(f"/admin/projects/{project.id}/members/{member.id}/remove")
    assert status == 303
    session.expire_all()
    assert session.get(ProjectMember, (project.id, member.id)) is None
    assert one_event(session, "project.member_removed", project.id, admin.actor) == {
        "user": member.id
    }
    assert projects.visible_projects(session, principal) == []
    # Removing someone who is not a member is "not found", and changes nothing.
    status, _, _ = admin.post(f"/admin/projects/{project.id}/members/{member.id}/remove")
    assert status == 404
    assert len(events(session, "project.member_removed")) == 1


def test_admin_project_pages_answer_404_for_a_missing_id(admin: Admin, session: Session) -> None:
    project = projects.create_project(session, "Case 18", "", "test")
    session.commit()
    assert admin.client.get(f"/admin/projects/{project.id}").status_code == 200
    missing = admin.client.get(f"/admin/projects/{new_id()}")
    assert (missing.status_code, missing.json()["detail"]) == (404, "no such project")


# --- API clients -------------------------------------------------------------------------------


def test_an_admin_issues_and_revokes_a_client_token(
    admin: Admin, session: Session, settings: Settings
) -> None:
    status, _, page = admin.post(
        "/admin/clients",
        name="bank-screening",
        scope=["screening:read", "registry:read"],
        expires_days="30",
    )
    assert status == 200
    match = TOKEN.search(page)
    assert match
    secret = match.group(1)
    assert re.fullmatch(r"dgt_[A-Za-z0-9_-]{43}", secret)

    client_row = session.execute(
        select(ServiceAccount).where(ServiceAccount.name == "bank-screening")
    ).scalar_one()
    token = session.execute(
        select(ApiToken).where(ApiToken.service_account_id == client_row.id)
    ).scalar_one()
    # The store holds a keyed hash and a short hint, never the token itself.
    assert token.token_hash == token_digest(secret, settings.secret_key.get_secret_value())
    assert secret.startswith(token.hint)
    assert len(token.hint) <= 10
    raw = session.execute(sa.text("SELECT * FROM api_tokens")).all()
    assert not [value for row in raw for value in row if isinstance(value, str) and secret in value]
    assert token.scope_set == {"screening:read", "registry:read"}
    one_event(session, "client.created", client_row.id, admin.actor)
    issued = one_event(session, "token.issued", token.id, admin.actor)
    assert issued["owner"] == f"service:{client_row.id}"

    listing = admin.client.get("/admin/clients")
    assert token.hint in listing.text
    assert secret not in listing.text  # shown once, never again

    api = new_client(admin.client.app)  # type: ignore[arg-type]
    me = api.get("/api/me", headers={"authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    assert (me.json()["kind"], me.json()["permissions"]) == (
        "service",
        ["registry:read", "screening:read"],
    )

    status, location, _ = admin.post(f"/admin/tokens/{token.id}/revoke")
    assert (status, location) == (303, "/admin/clients")
    session.refresh(token)
    assert token.revoked_at is not None
    one_event(session, "token.revoked", token.id, admin.actor)
    assert api.get("/api/me", headers={"authorization": f"Bearer {secret}"}).status_code == 401
    assert "revoked" in admin.client.get("/admin/clients").text


def test_a_client_token_cannot_carry_staff_scopes(admin: Admin, session: Session) -> None:
    for scope in ("audit:read", "export:bulk", "projects:manage", "users:manage"):
        status, _, _ = admin.post("/admin/clients", name="greedy", scope=[scope])
        assert status == 422
    assert session.execute(select(ApiToken)).scalars().all() == []


# --- the admin area is for admins only ----------------------------------------------------------


def _admin_routes(app: FastAPI) -> list[tuple[str, str]]:
    routes = []
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        if isinstance(context.original_route, APIRoute) and path.startswith("/admin"):
            routes += [(method, path) for method in sorted(context.methods or ())]
    return routes


@pytest.mark.parametrize(
    "role", [Role.INVESTIGATOR, Role.ANALYST, Role.SCREENING_OFFICER, Role.VIEWER]
)
def test_everyone_but_admins_gets_403_on_every_admin_route(
    app: FastAPI, session: Session, keyring: Keyring, role: Role
) -> None:
    staff = quick_account(session, keyring, f"staff-{role.value}", role)
    other = quick_account(session, keyring, "someone-else", Role.VIEWER)
    project = projects.create_project(session, "Case 19", "", "test")
    session.commit()
    client = new_client(app)
    csrf = sign_in(client, staff)
    before = session.execute(sa.select(sa.func.max(AuditEvent.seq))).scalar_one()
    ids = {"user_id": other.id, "project_id": project.id, "token_id": new_id()}

    routes = _admin_routes(app)
    assert len(routes) >= 15
    answers = {}
    for method, path in routes:
        url = path.format(**ids)
        form = {"csrf_token": csrf, "username": "x-user", "role": "admin", "name": "x"}
        form |= {"user_id": staff.id, "scope": "projects:read"}
        response = client.get(url) if method == "GET" else client.post(url, data=form)
        answers[f"{method} {path}"] = (response.status_code, response.json()["code"])
    assert set(answers.values()) == {(403, "permission_denied")}, answers

    # Whether the project exists or not makes no difference to the answer.
    hidden = client.get(f"/admin/projects/{project.id}")
    missing = client.get(f"/admin/projects/{new_id()}")
    assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content)
    # Nothing was done: not one event after the sign-in.
    session.expire_all()
    after = session.execute(select(AuditEvent).where(AuditEvent.seq > before)).scalars().all()
    assert [event.action for event in after] == []
    assert session.get(User, staff.id).role == role.value  # type: ignore[union-attr]


# --- the audit log download (item 27) ------------------------------------------------------------

START = datetime(2030, 3, 4, 9, 0, 1, tzinfo=UTC)  # one second into a TOTP step


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_the_audit_download_needs_step_up_and_is_limited_logged_and_alerted(
    tmp_path: Path,
    store_url: str,
    factory: sessionmaker[Session],
    session: Session,
    clock: time_machine.Traveller,
) -> None:
    settings = make_settings(tmp_path, database_url=store_url, export_limit_per_hour=2)
    app = create_app(settings, factory)
    account = quick_account(session, app.state.keyring, "audit-admin", Role.ADMIN)
    session.commit()
    client = new_client(app)
    csrf = sign_in(client, account)
    admin = Admin(account, client, csrf)

    # Signing in was a fresh MFA code; minutes later it no longer counts.
    clock.shift(timedelta(minutes=settings.step_up_minutes, seconds=1))
    status, location, _ = admin.post("/admin/audit/export")
    assert (status, location) == (303, "/account/step-up?next=/admin/audit")
    assert len(events(session, "export.refused")) == 1

    form = client.get("/account/step-up?next=/admin/audit")
    assert form.status_code == 200
    status, location, _ = admin.post("/account/step-up", code=account.code(), next="/admin/audit")
    assert (status, location) == (303, "/admin/audit")

    response = client.post("/admin/audit/export", data={"csrf_token": csrf})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["content-disposition"].startswith("attachment;")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert {"auth.stepped_up", "export.bulk"} <= {line.get("action") for line in lines}
    exported = tmp_path / "audit.jsonl"
    exported.write_text(response.text, encoding="utf-8")
    assert verify_export(exported, None).ok  # `dignity audit verify --export` accepts it

    assert admin.post("/admin/audit/export")[0] == 200
    status, _, body = admin.post("/admin/audit/export")
    assert status == 429
    assert json.loads(body)["code"] == "rate_limited"

    actor = admin.actor
    assert [e.actor for e in events(session, "export.bulk")] == [actor, actor]
    [alert] = events(session, "security.alert")
    assert alert.actor == actor


def test_only_admins_may_download_the_audit_log(
    app: FastAPI, session: Session, keyring: Keyring
) -> None:
    # An investigator holds export:bulk, but not audit:read.
    account = quick_account(session, keyring, "exporting-investigator", Role.INVESTIGATOR)
    session.commit()
    client = new_client(app)
    csrf = sign_in(client, account)

    assert client.get("/admin/audit").status_code == 403
    response = client.post("/admin/audit/export", data={"csrf_token": csrf})
    assert response.status_code == 403
    assert events(session, "export.bulk") == []
