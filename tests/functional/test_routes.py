"""The route inventory: deny by default (item 23), no secrets in query strings (item 9), and no GET
route that writes to the store (item 22).

Each check is a function over an app, so every test also runs it against a throwaway app with a bad
route added, to show the check notices it (a check that cannot fail proves nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from dignity.api.app import create_app
from dignity.api.auth import PUBLIC_PATHS
from dignity.api.deps import SessionDep, get_session
from dignity.audit import record_event
from dignity.security import apitokens, projects, sessions
from dignity.security.crypto import Keyring
from dignity.security.models import User, WebSession
from dignity.security.permissions import Role
from dignity.settings import Settings
from dignity.store.base import Base
from dignity.store.types import new_id
from factories.security import quick_account, sign_in

SRC = Path(__file__).resolve().parents[2] / "src" / "dignity"
# The modules of the accounts and access-control surface: the GET walk expects each of their
# routes to answer the signed-in admin with less than 400.
ACCESS_SURFACE = {
    "dignity.api.routers.accounts",
    "dignity.api.routers.health",
    "dignity.web.account",
    "dignity.web.admin",
    "dignity.web.pages",
}


# --- item 23: every route outside the public list declares an authorization dependency ---------


@dataclass(frozen=True)
class Endpoint:
    """A route as the app serves it: full path, methods, and the dependencies that really run."""

    path: str
    methods: frozenset[str]
    route: BaseRoute
    dependant: Dependant | None  # None for what is not an APIRoute (mounted apps, plain routes)

    @property
    def name(self) -> str:
        if self.dependant is None:
            return f"{type(self.route).__name__} {self.path}"
        return f"{','.join(sorted(self.methods))} {self.path}"


def endpoints(routes: list[BaseRoute], prefix: str = "") -> Iterator[Endpoint]:
    """Every route, with included routers resolved (their prefixes and router-level dependencies)
    and mounted apps walked into, unless their mount path is itself public."""
    for context in iter_route_contexts(routes):
        original = context.original_route
        path = prefix + (context.path or "")
        if isinstance(original, APIRoute):
            methods = frozenset(context.methods or ())
            yield Endpoint(path, methods, original, context.dependant)
        elif isinstance(original, Mount) and original.routes and path not in PUBLIC_PATHS:
            yield from endpoints(original.routes, path)
        else:
            methods = frozenset(getattr(original, "methods", None) or ())
            yield Endpoint(path, methods, original, None)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _guarded(endpoint: Endpoint) -> bool:
    if endpoint.dependant is None:
        # A mounted app (static files...) or a plain Starlette route declares no dependencies:
        # it must be public or it is an offender.
        return False
    return any(getattr(call, "__dignity_authz__", False) for call in _calls(endpoint.dependant))


def route_inventory(routes: list[BaseRoute]) -> tuple[list[str], list[str]]:
    """(checked, offenders): every route outside PUBLIC_PATHS, and those without an @authz check."""
    checked = [e for e in endpoints(routes) if e.path not in PUBLIC_PATHS]
    return [e.name for e in checked], [e.name for e in checked if not _guarded(e)]


def test_every_route_outside_the_public_list_declares_an_authz_dependency(app: FastAPI) -> None:
    checked, offenders = route_inventory(app.routes)
    assert offenders == [], f"routes without an @authz dependency: {offenders}"
    # The walk really saw the app: the API, the account pages and the admin area.
    for expected in ("GET /api/projects/{project_id}", "POST /admin/users", "GET /account"):
        assert expected in checked
    assert len(checked) >= 25
    # Every public path still exists (a stale allowlist entry would hide a future route).
    assert {e.path for e in endpoints(app.routes)} >= PUBLIC_PATHS


def test_the_inventory_finds_unprotected_routes(
    settings: Settings, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    fresh = create_app(settings, factory)

    @fresh.get("/api/leak")
    def leak() -> dict[str, str]:
        return {}

    @fresh.get("/api/leak-with-session")
    def leak_with_session(session: SessionDep) -> dict[str, str]:  # a dependency, but not authz
        del session
        return {}

    inner = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @inner.get("/inside")
    def inside() -> dict[str, str]:
        return {}

    fresh.mount("/internal", inner)
    fresh.mount("/uploads", StaticFiles(directory=tmp_path))  # nothing in it to inspect

    _, offenders = route_inventory(fresh.routes)
    assert offenders == [
        "GET /api/leak",
        "GET /api/leak-with-session",
        "GET /internal/inside",
        "Mount /uploads",
    ]


# --- item 9: no route takes a secret in the query string ----------------------------------------

SENSITIVE = re.compile(r"token|key|secret|passw|otp|code|session|auth|credential", re.IGNORECASE)
QUERY_READ = re.compile(r"""query_params(?:\.get\(|\[)\s*["']([^"']+)["']""")


def _query_params(dependant: Dependant) -> Iterator[str]:
    for param in dependant.query_params:
        yield param.alias
        yield param.name
    for dependency in dependant.dependencies:
        yield from _query_params(dependency)


def secret_query_parameters(app: FastAPI, sources: dict[str, str]) -> list[str]:
    """Query parameters named like a secret: in the OpenAPI schema, the dependants, or the code."""
    found: set[str] = set()
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and SENSITIVE.search(parameter["name"]):
                    found.add(f"openapi {method.upper()} {path}?{parameter['name']}")
    for endpoint in endpoints(app.routes):
        if endpoint.dependant is not None:
            for name in _query_params(endpoint.dependant):
                if SENSITIVE.search(name):
                    found.add(f"route {endpoint.name}?{name}")
    for where, text in sources.items():
        for name in QUERY_READ.findall(text):
            if SENSITIVE.search(name):
                found.add(f"code {where}?{name}")
    return sorted(found)


def _sources() -> dict[str, str]:
    return {
        str(path.relative_to(SRC)): path.read_text(encoding="utf-8")
        for path in sorted(SRC.rglob("*.py"))
    }


def test_no_route_takes_a_secret_in_the_query_string(app: FastAPI) -> None:
    sources = _sources()
    assert any("query_params.get(" in text for text in sources.values())  # the scan sees reads
    assert secret_query_parameters(app, sources) == []


def _session_from_query(sid: Annotated[str, Query(alias="session_id")]) -> str:
    """A dependency reading a session id from the query string: what the check must catch."""
    return sid


def test_the_query_string_check_finds_secrets(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    fresh = create_app(settings, factory)

    @fresh.get("/api/leak")
    def leak(api_key: str, page: int = 1) -> dict[str, str]:
        return {"key": api_key, "page": str(page)}

    @fresh.get("/hidden", include_in_schema=False)
    def hidden(sid: Annotated[str, Depends(_session_from_query)]) -> dict[str, str]:
        return {"sid": sid}

    found = secret_query_parameters(
        fresh, {"web/leak.py": 'token = request.query_params.get("reset_token")'}
    )
    assert found == [
        "code web/leak.py?reset_token",
        "openapi GET /api/leak?api_key",
        "route GET /api/leak?api_key",
        "route GET /hidden?session_id",
    ]


# --- item 22: no GET route writes to the store -------------------------------------------------


class WriteRefused(AssertionError):
    """A GET request tried to change the store."""


def read_only_sessions(writes: list[str]) -> Callable[[Request], Iterator[Session]]:
    """A stand-in for `get_session` whose session refuses every write, and notes who tried."""

    def read_only_session(request: Request) -> Iterator[Session]:
        where = f"{request.method} {request.url.path}"

        def refuse(what: str) -> None:
            writes.append(f"{where}: {what}")
            raise WriteRefused(f"{where} tried to write: {what}")

        with request.app.state.sessionmaker() as session, session.begin():

            @event.listens_for(session, "before_flush")
            def before_flush(session: Session, *_: object) -> None:
                changed = [o for o in session.dirty if session.is_modified(o)]
                if session.new or session.deleted or changed:
                    refuse(f"flush of {[*session.new, *changed, *session.deleted]}")

            @event.listens_for(session, "do_orm_execute")
            def do_orm_execute(state: Any) -> None:
                statement = state.statement
                if state.is_insert or state.is_update or state.is_delete:
                    refuse(str(statement).split("\n")[0])
                elif isinstance(statement, sa.TextClause) and not re.match(
                    r"\s*(select|with)\b", statement.text, re.IGNORECASE
                ):
                    refuse(statement.text)

            @event.listens_for(session, "before_commit")
            def before_commit(session: Session) -> None:
                if session.new or session.dirty or session.deleted:
                    refuse("commit after changes")

            yield session

    return read_only_session


def _snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, but the last-seen time of sessions (written apart on purpose)."""
    existing = set(sa.inspect(session.connection()).get_table_names())
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name not in existing:
            continue
        columns = [
            c for c in table.columns if (table.name, c.name) != ("web_sessions", "last_seen_at")
        ]
        rows = session.execute(sa.select(*columns)).all()
        snapshot[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return snapshot


@dataclass
class GetWalk:
    statuses: dict[str, int] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)  # where each route's handler lives
    writes: list[str] = field(default_factory=list)  # refused by the read-only session
    changed: list[str] = field(default_factory=list)  # store differed after the request
    placeholders: list[str] = field(default_factory=list)  # called with a random id


def walk_get_routes(
    app: FastAPI,
    client: TestClient,
    session: Session,
    ids: dict[str, str],
    headers: dict[str, str],
) -> GetWalk:
    """Call every GET route with `ids` for its path parameters, on a read-only store session."""
    walk = GetWalk()
    app.dependency_overrides[get_session] = read_only_sessions(walk.writes)
    try:
        for endpoint in endpoints(app.routes):
            if endpoint.dependant is None or "GET" not in endpoint.methods:
                continue
            params = {param.name for param in endpoint.dependant.path_params}
            if params - ids.keys():
                # No object of that kind in this test: called with a random id, so the handler
                # may stop at "not found"; the route is still held to writing nothing.
                walk.placeholders.append(endpoint.path)
            path = endpoint.path.format(**{name: ids.get(name, new_id()) for name in params})
            before = _snapshot(session)
            response = client.get(path, headers=headers, follow_redirects=False)
            session.expire_all()
            if _snapshot(session) != before:
                walk.changed.append(path)
            walk.statuses[endpoint.path] = response.status_code
            walk.modules[endpoint.path] = getattr(endpoint.route, "endpoint", None).__module__
    finally:
        app.dependency_overrides.pop(get_session, None)
    return walk


def test_no_get_route_writes_to_the_store(
    app: FastAPI, client: TestClient, session: Session, keyring: Keyring, settings: Settings
) -> None:
    admin = quick_account(session, keyring, "inventory-admin", Role.ADMIN)
    user = session.get(User, admin.id)
    assert user is not None
    project = projects.create_project(session, "Inventory", "", "test")
    projects.add_member(session, project, user, "test")
    token, secret = apitokens.issue_token(
        session,
        settings,
        scopes=sorted(scope.value for scope in apitokens.PERSONAL_SCOPES),
        expires_days=1,
        actor="test",
        now=datetime.now(UTC),
        user=user,
    )
    session.commit()
    sign_in(client, admin)  # the sign-in POST writes; it happens before the store turns read-only
    web_session = session.execute(
        sa.select(WebSession).where(WebSession.user_id == admin.id, WebSession.revoked_at.is_(None))
    ).scalar_one()
    # An activity stamp from two minutes ago makes the next request record activity: for a GET
    # that goes through a transaction of its own (api/auth.py `_touch`), on purpose and allowed.
    sessions.touch(session, web_session.id, datetime.now(UTC) - timedelta(minutes=2))
    session.commit()
    ids = {
        "project_id": project.id,
        "user_id": admin.id,
        "token_id": token.id,
        "session_id": web_session.id,
    }

    walk = walk_get_routes(app, client, session, ids, headers={"authorization": f"Bearer {secret}"})

    assert walk.writes == []
    assert walk.changed == []
    # The handlers of the accounts and access surface all ran for the signed-in admin (no 4xx
    # short-cut before the handler). Routes of other capabilities are held to writing nothing.
    ours = [path for path, module in walk.modules.items() if module in ACCESS_SURFACE]
    assert len(ours) >= 12
    assert not set(walk.placeholders) & set(ours)  # ours were all called with real ids
    assert {p: walk.statuses[p] for p in ours if walk.statuses[p] >= 400} == {}
    for expected in ("/api/projects/{project_id}", "/admin/projects/{project_id}", "/admin/users"):
        assert walk.statuses[expected] == 200
    session.expire_all()
    touched = session.get(WebSession, web_session.id)
    assert touched is not None
    assert touched.last_seen_at > datetime.now(UTC) - timedelta(minutes=1)


def test_the_get_walk_finds_writes(
    settings: Settings, factory: sessionmaker[Session], session: Session
) -> None:
    fresh = create_app(settings, factory)

    @fresh.get("/api/write-event")
    def write_event(session: SessionDep) -> dict[str, str]:
        record_event(session, actor="test", action="get.wrote", object_type="test")
        return {}

    @fresh.get("/api/write-row")
    def write_row(session: SessionDep) -> dict[str, str]:
        projects.create_project(session, "Written by a GET", "", "test")
        session.commit()
        return {}

    @fresh.get("/api/write-sql")
    def write_sql(session: SessionDep) -> dict[str, str]:
        session.execute(sa.text("UPDATE projects SET description = 'x'"))
        return {}

    @fresh.get("/api/write-around")
    def write_around(request: Request, session: SessionDep) -> dict[str, str]:
        # Around the request's session: only the before/after comparison of the store sees this.
        with request.app.state.sessionmaker() as other, other.begin():
            projects.create_project(other, "Written around the session", "", "test")
        del session
        return {}

    client = TestClient(fresh, base_url="https://testserver", raise_server_exceptions=False)
    walk = walk_get_routes(fresh, client, session, {}, headers={})

    assert sorted(write.split(":")[0] for write in walk.writes) == [
        "GET /api/write-event",
        "GET /api/write-row",
        "GET /api/write-sql",
    ]
    assert walk.changed == ["/api/write-around"]
    assert {walk.statuses[path] for path in ("/api/write-event", "/api/write-row")} == {500}
