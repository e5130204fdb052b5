"""API for API clients: personal tokens (password + MFA), who am I, projects, audit export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from dignity.api.auth import api_permission, api_principal, now
from dignity.api.deps import SessionDep, SettingsDep
from dignity.api.streaming import stream_export
from dignity.exc import NotAuthenticated
from dignity.security import accounts, apitokens, exports, projects
from dignity.security.authz import Principal, visible_project
from dignity.security.models import Project, User
from dignity.security.permissions import Permission

router = APIRouter(prefix="/api", tags=["accounts"])

PrincipalDep = Annotated[Principal, Depends(api_principal)]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=200)
    password: str = Field(max_length=1024)
    otp: str = Field(max_length=16, description="The current code from the authenticator app.")
    scopes: list[str] = Field(min_length=1)
    expires_days: int = Field(default=30, ge=1, le=366)


class TokenRead(BaseModel):
    token: str
    scopes: list[str]
    expires_at: datetime | None


class PrincipalRead(BaseModel):
    kind: str
    id: str
    name: str
    role: str | None
    permissions: list[str]


class ProjectRead(BaseModel):
    id: str
    name: str
    description: str
    created_at: datetime


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)


class StepUp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    otp: str = Field(max_length=16, description="A fresh code from the authenticator app.")


@router.post("/auth/token", response_model=TokenRead, status_code=201, summary="Personal token")
def issue_personal_token(
    body: TokenCreate, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenRead:
    """Exchange username, password and a current MFA code for a personal bearer token."""
    attempt = accounts.authenticate(
        session,
        settings,
        request.app.state.keyring,
        username=body.username,
        password=body.password,
        code=body.otp,
        now=now(),
    )
    if attempt.error is None and attempt.needs_setup:
        attempt = accounts.SignIn(user=None, error=NotAuthenticated(accounts.SIGN_IN_FAILED))
    if attempt.error is not None:
        session.commit()  # the failure counts even though the request fails
    user = attempt.raise_for_failure()
    token, secret = apitokens.issue_token(
        session,
        settings,
        scopes=body.scopes,
        expires_days=body.expires_days,
        actor=f"user:{user.id}",
        now=now(),
        user=user,
    )
    session.commit()
    return TokenRead(token=secret, scopes=sorted(token.scope_set), expires_at=token.expires_at)


@router.get("/me", response_model=PrincipalRead, summary="Who am I")
def me(principal: PrincipalDep) -> PrincipalRead:
    return PrincipalRead(
        kind=principal.kind,
        id=principal.id,
        name=principal.name,
        role=principal.role,
        permissions=sorted(p.value for p in principal.permissions),
    )


ProjectReader = Annotated[Principal, Depends(api_permission(Permission.PROJECTS_READ))]
ProjectManager = Annotated[Principal, Depends(api_permission(Permission.PROJECTS_MANAGE))]


def _project(project: Project) -> ProjectRead:
    return ProjectRead(
        id=project.id,
        name=project.name,
        description=project.description,
        created_at=project.created_at,
    )


@router.get("/projects", response_model=list[ProjectRead], summary="Projects I can see")
def list_projects(session: SessionDep, principal: ProjectReader) -> list[ProjectRead]:
    return [_project(p) for p in projects.visible_projects(session, principal)]


@router.get("/projects/{project_id}", response_model=ProjectRead, summary="One project")
def get_project(session: SessionDep, principal: ProjectReader, project_id: str) -> ProjectRead:
    return _project(visible_project(session, principal, project_id))


@router.post("/projects", response_model=ProjectRead, status_code=201, summary="Create a project")
def create_project(
    body: ProjectCreate, session: SessionDep, principal: ProjectManager
) -> ProjectRead:
    project = projects.create_project(session, body.name, body.description, principal.actor)
    session.commit()
    return _project(project)


@router.post("/audit/export", summary="Export the audit log (bulk: needs a fresh MFA code)")
def export_audit_log(
    body: StepUp,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> StreamingResponse:
    """Stream the whole audit log as JSON lines. Personal tokens only, with a current MFA code."""
    principal.require(Permission.AUDIT_READ)
    moment = now()
    mfa_at = None
    user = session.get(User, principal.id) if principal.kind == "user" else None
    keyring = request.app.state.keyring
    if user is not None and accounts.fresh_code(session, settings, keyring, user, body.otp, moment):
        mfa_at = moment
    allowed, reason = exports.authorize_export(
        session, settings, principal, mfa_at=mfa_at, what="audit-log", now=moment
    )
    session.commit()
    if not allowed:
        raise exports.refusal_error(reason)

    return StreamingResponse(
        stream_export(request.app.state.sessionmaker), media_type="application/x-ndjson"
    )
