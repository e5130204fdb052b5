"""Who is calling: bearer tokens for the API, session cookies for the web pages.

Every dependency that decides access is marked with `@authz`; `tests/functional/test_routes.py`
walks the app and fails when a route outside `PUBLIC_PATHS` has none (deny by default, item 23).
The API reads only the `Authorization` header and never sets cookies; the web pages read only the
session cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from dignity.api.deps import SAFE_METHODS, SessionDep, SettingsDep
from dignity.exc import NotAuthenticated, PermissionDenied
from dignity.security import apitokens, sessions
from dignity.security.authz import Principal, user_principal
from dignity.security.permissions import Permission
from dignity.security.sessions import LiveSession

SESSION_COOKIE = "__Host-dignity_session"
LOGIN_CSRF_COOKIE = "__Host-dignity_csrf"

# Routes anyone may call. Everything else must declare an @authz dependency.
PUBLIC_PATHS = frozenset(
    {
        "/healthz",
        "/login",
        "/static",
        "/static/swagger",
        "/docs",
        "/openapi.json",
        "/api/auth/token",
    }
)

F = TypeVar("F", bound=Callable[..., Any])


def authz(function: F) -> F:
    """Mark a dependency as an authorization check (for the route inventory test)."""
    function.__dignity_authz__ = True  # type: ignore[attr-defined]
    return function


def now() -> datetime:
    return datetime.now(UTC)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    # `ApiKey` is the scheme yente's clients send; the token is the same.
    return value.strip() if scheme.lower() in ("bearer", "apikey") and value.strip() else None


@authz
def api_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    token = bearer_token(request)
    principal = apitokens.resolve_token(session, settings, token, now()) if token else None
    if principal is None:
        raise NotAuthenticated("a valid API token is needed (Authorization: Bearer ...)")
    return principal


def api_permission(permission: Permission) -> Callable[..., Principal]:
    """A dependency that admits API callers holding `permission` (a token scope)."""

    @authz
    def check(principal: Annotated[Principal, Depends(api_principal)]) -> Principal:
        if not principal.can(permission):
            raise PermissionDenied(f"this needs the {permission.value} scope")
        return principal

    return check


def _touch(request: Request, session: Session, live: LiveSession, moment: datetime) -> None:
    """Record activity: for a GET in a transaction of its own, so that GET handlers write nothing.

    Any other request records it in its own transaction, which writes anyway. A separate write
    there would, on SQLite (WAL), invalidate the snapshot the request has read, and the request's
    own writes would then fail with "database is locked".
    """
    if not sessions.needs_touch(live.web_session, moment):
        return
    if request.method in SAFE_METHODS:
        factory = request.app.state.sessionmaker
        with factory() as own, own.begin():
            sessions.touch(own, live.web_session.id, moment)
    else:
        sessions.touch(session, live.web_session.id, moment)


@authz
def any_web_session(request: Request, session: SessionDep, settings: SettingsDep) -> LiveSession:
    """A live session in any state (setup pages use this)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    moment = now()
    live = sessions.resolve_session(session, settings, token, moment)
    if live is None:
        raise NotAuthenticated("please sign in")
    _touch(request, session, live, moment)
    return live


LiveSessionDep = Annotated[LiveSession, Depends(any_web_session)]


class SetupRequired(NotAuthenticated):
    """A session that still has to change its password or enrol MFA: sent to the setup page."""

    code = "setup_required"


@authz
def web_user(live: LiveSessionDep) -> Principal:
    if not live.fully_signed_in:
        raise SetupRequired("finish setting up your account first")
    user = live.user
    return user_principal(user.id, user.username, user.role, live.web_session.id)


WebUserDep = Annotated[Principal, Depends(web_user)]


def web_permission(permission: Permission) -> Callable[..., Principal]:
    @authz
    def check(principal: WebUserDep) -> Principal:
        principal.require(permission)
        return principal

    return check
