"""Administration pages: people, projects and API clients. Admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from dignity.api.auth import LiveSessionDep, now, web_permission
from dignity.api.deps import SessionDep, SettingsDep
from dignity.api.streaming import stream_export
from dignity.exc import NotFound
from dignity.security import accounts, apitokens, exports, projects, sessions
from dignity.security.authz import Principal, visible_project
from dignity.security.models import User
from dignity.security.permissions import TOKEN_SCOPES, Permission, Role
from dignity.web.csrf import CsrfDep
from dignity.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)

AdminDep = Annotated[Principal, Depends(web_permission(Permission.USERS_MANAGE))]
ProjectAdminDep = Annotated[Principal, Depends(web_permission(Permission.PROJECTS_MANAGE))]
TokenAdminDep = Annotated[Principal, Depends(web_permission(Permission.TOKENS_MANAGE))]
AuditExportDep = Annotated[Principal, Depends(web_permission(Permission.AUDIT_READ))]


def _user(session: SessionDep, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such account")
    return user


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request, session: SessionDep, _admin: AdminDep, live: LiveSessionDep
) -> HTMLResponse:
    return render(
        request, "admin/users.html", live=live, users=accounts.list_users(session), roles=list(Role)
    )


@router.post("/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    session: SessionDep,
    admin: AdminDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    username: Annotated[str, Form(max_length=200)],
    role: Annotated[Role, Form()],
    display_name: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    user, credential = accounts.create_user(
        session, username=username, role=role, actor=admin.actor, display_name=display_name
    )
    session.commit()
    return render(
        request,
        "admin/credential.html",
        live=live,
        user=user,
        credential=credential,
        reason="created",
    )


@router.post("/users/{user_id}/role")
def change_role(
    session: SessionDep,
    admin: AdminDep,
    _csrf: CsrfDep,
    user_id: str,
    role: Annotated[Role, Form()],
) -> Response:
    accounts.set_role(session, _user(session, user_id), role, admin.actor)
    session.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}/disable")
def disable_user(session: SessionDep, admin: AdminDep, _csrf: CsrfDep, user_id: str) -> Response:
    accounts.set_disabled(session, _user(session, user_id), True, admin.actor, now())
    session.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}/enable")
def enable_user(session: SessionDep, admin: AdminDep, _csrf: CsrfDep, user_id: str) -> Response:
    accounts.set_disabled(session, _user(session, user_id), False, admin.actor, now())
    session.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}/reset", response_class=HTMLResponse)
def reset_user(
    request: Request,
    session: SessionDep,
    admin: AdminDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    user_id: str,
) -> HTMLResponse:
    user = _user(session, user_id)
    credential = accounts.reset_user(session, user, admin.actor)
    session.commit()
    return render(
        request,
        "admin/credential.html",
        live=live,
        user=user,
        credential=credential,
        reason="reset",
    )


@router.post("/users/{user_id}/sessions/end")
def end_user_sessions(
    session: SessionDep, admin: AdminDep, _csrf: CsrfDep, user_id: str
) -> Response:
    sessions.revoke_all(
        session, _user(session, user_id).id, reason="ended by an administrator", keep=None
    )
    session.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/projects", response_class=HTMLResponse)
def projects_page(
    request: Request, session: SessionDep, admin: ProjectAdminDep, live: LiveSessionDep
) -> HTMLResponse:
    return render(
        request,
        "admin/projects.html",
        live=live,
        projects=projects.visible_projects(session, admin),
    )


@router.post("/projects")
def create_project(
    session: SessionDep,
    admin: ProjectAdminDep,
    _csrf: CsrfDep,
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    project = projects.create_project(session, name, description, admin.actor)
    session.commit()
    return RedirectResponse(f"/admin/projects/{project.id}", status_code=303)


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(
    request: Request,
    session: SessionDep,
    admin: ProjectAdminDep,
    live: LiveSessionDep,
    project_id: str,
) -> HTMLResponse:
    project = visible_project(session, admin, project_id)
    return render(
        request,
        "admin/project.html",
        live=live,
        project=project,
        members=projects.members(session, project),
        users=accounts.list_users(session),
    )


@router.post("/projects/{project_id}/members")
def add_member(
    session: SessionDep,
    admin: ProjectAdminDep,
    _csrf: CsrfDep,
    project_id: str,
    user_id: Annotated[str, Form(max_length=36)],
) -> Response:
    project = visible_project(session, admin, project_id)
    projects.add_member(session, project, _user(session, user_id), admin.actor)
    session.commit()
    return RedirectResponse(f"/admin/projects/{project.id}", status_code=303)


@router.post("/projects/{project_id}/members/{user_id}/remove")
def remove_member(
    session: SessionDep, admin: ProjectAdminDep, _csrf: CsrfDep, project_id: str, user_id: str
) -> Response:
    project = visible_project(session, admin, project_id)
    projects.remove_member(session, project, user_id, admin.actor)
    session.commit()
    return RedirectResponse(f"/admin/projects/{project.id}", status_code=303)


@router.get("/clients", response_class=HTMLResponse)
def clients_page(
    request: Request, session: SessionDep, _admin: TokenAdminDep, live: LiveSessionDep
) -> HTMLResponse:
    return render(
        request,
        "admin/clients.html",
        live=live,
        tokens=apitokens.list_tokens(session),
        scopes=sorted(scope.value for scope in TOKEN_SCOPES),
        now=now(),
    )


@router.post("/clients", response_class=HTMLResponse)
def issue_client_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    admin: TokenAdminDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    name: Annotated[str, Form(max_length=150)],
    scope: Annotated[list[str], Form()],
    expires_days: Annotated[int | None, Form(ge=1, le=366)] = 90,
) -> HTMLResponse:
    account = apitokens.find_service_account(session, name) or apitokens.create_service_account(
        session, name, admin.actor
    )
    token, secret = apitokens.issue_token(
        session,
        settings,
        scopes=scope,
        expires_days=expires_days,
        actor=admin.actor,
        now=now(),
        service_account=account,
    )
    session.commit()
    return render(
        request, "admin/token.html", live=live, client=account, token=token, secret=secret
    )


@router.post("/tokens/{token_id}/revoke")
def revoke_token(
    session: SessionDep, admin: TokenAdminDep, _csrf: CsrfDep, token_id: str
) -> Response:
    apitokens.revoke_token(session, token_id, admin.actor, now())
    session.commit()
    return RedirectResponse("/admin/clients", status_code=303)


@router.post("/audit/export", response_model=None)
def export_audit_log(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    admin: AuditExportDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
) -> Response:
    """Download the whole audit log (a bulk export: step-up MFA and the hourly limit apply)."""
    moment = now()
    allowed, reason = exports.authorize_export(
        session, settings, admin, mfa_at=live.web_session.mfa_at, what="audit-log", now=moment
    )
    session.commit()
    if not allowed:
        if reason == "step-up":
            return RedirectResponse("/account/step-up?next=/admin/audit", status_code=303)
        raise exports.refusal_error(reason)
    # Read in a transaction of its own (this one is committed), in the format of the API and of
    # `dignity audit export`, which `dignity audit verify --export` reads.
    return StreamingResponse(
        stream_export(request.app.state.sessionmaker),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": "attachment; filename*=UTF-8''dignity-audit-log.jsonl"},
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, _admin: AuditExportDep, live: LiveSessionDep) -> HTMLResponse:
    return render(request, "admin/audit.html", live=live)
