"""SECURITY.md item 37: privacy headers on every response, and no third-party resources.

Every route of the app is requested (found by walking `app.routes`, so a new route is covered
without touching this file), plus a static file of each mount, the error responses (404, 405, 422
and an unhandled 500) and the HTML error page. Rendered pages and our own static files are scanned
for absolute URLs: nothing may load from, or link to, another host.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Response
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from starlette.staticfiles import StaticFiles

from conftest import make_settings
from dignity.api.app import create_app
from dignity.api.errors import error_body
from dignity.settings import Settings
from dignity.web.templating import STATIC_DIR

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
EVIL_HOST = "evil.example"
# http://host, https://host, and protocol-relative //host (a dotted name, so `// comment` is not).
ABSOLUTE_URL = re.compile(r"(?i)(?:\bhttps?:)?//[a-z0-9-]+(?:\.[a-z0-9-]+)+|\bhttps?://\S+")
LICENSE_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
ONE_YEAR = 365 * 24 * 3600


# --- what to request ----------------------------------------------------------------------------


def _route_requests(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) for every route of the app, and one real file under each static mount."""
    for route in iter_route_contexts(app.routes):
        target = getattr(route, "app", None)
        path = route.path or ""
        if isinstance(target, StaticFiles) and target.directory is not None:
            files = sorted(p for p in Path(target.directory).iterdir() if p.is_file())
            yield "GET", f"{path}/{files[0].name}"
            continue
        concrete = re.sub(r"\{[^}]+\}", "0", path)
        for method in sorted(route.methods or {"GET"}):
            yield method, concrete


def _with_throwaway_routes(settings: Settings, factory: sessionmaker[Session]) -> FastAPI:
    """A fresh app with one route that fails unexpectedly and one that validates a parameter."""
    app = create_app(settings, factory)
    router = APIRouter()

    @router.get("/explode")
    def explode() -> None:
        raise RuntimeError("the key is in /srv/secret/kek.pem")

    @router.get("/numbers/{number}")
    def number(number: int) -> int:
        return number

    @router.get("/attachment")
    def attachment() -> Response:
        return Response(
            "<script>alert(1)</script>",
            media_type="text/html",
            headers={"Content-Disposition": "attachment; filename*=UTF-8''page.html"},
        )

    app.include_router(router)
    return app


# --- the check ----------------------------------------------------------------------------------


def _csp(value: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in value.split(";"):
        if part.strip():
            name, *sources = part.split()
            directives[name.lower()] = sources
    return directives


def _permissions(value: str) -> dict[str, str]:
    return dict(part.strip().split("=", 1) for part in value.split(",") if "=" in part)


def header_problems(response: httpx.Response, *, https: bool) -> list[str]:
    """What is wrong with the security headers of one response (empty when all is well)."""
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    headers = response.headers
    problems: list[str] = []

    def expect(name: str, value: str) -> None:
        found = headers.get_list(name)
        if found != [value]:
            problems.append(f"{where}: {name} is {found}, expected [{value!r}]")

    expect("cache-control", "no-store")
    expect("referrer-policy", "no-referrer")
    expect("x-content-type-options", "nosniff")
    expect("cross-origin-opener-policy", "same-origin")
    expect("cross-origin-resource-policy", "same-origin")

    policies = headers.get_list("content-security-policy")
    if len(policies) != 1:
        problems.append(f"{where}: expected one Content-Security-Policy, got {policies}")
    else:
        csp = _csp(policies[0])
        for directive, sources in {
            "default-src": ["'self'"],
            "script-src": ["'self'"],  # no 'unsafe-inline', no 'unsafe-eval', no other host
            "object-src": ["'none'"],
            "base-uri": ["'none'"],
            "frame-ancestors": ["'none'"],
        }.items():
            if csp.get(directive) != sources:
                problems.append(f"{where}: CSP {directive} is {csp.get(directive)}")
        download = headers.get("content-disposition", "").lower().startswith("attachment")
        if download != ("sandbox" in csp):  # item 31: downloads, and only they, sandboxed
            problems.append(f"{where}: CSP sandbox is {'sandbox' in csp} for a download {download}")

    permissions = _permissions(headers.get("permissions-policy", ""))
    for feature in ("camera", "microphone", "geolocation"):
        if permissions.get(feature) != "()":
            problems.append(f"{where}: Permissions-Policy leaves {feature} on: {permissions}")

    hsts = headers.get_list("strict-transport-security")
    if not https and hsts:
        problems.append(f"{where}: HSTS sent although the app is not served over HTTPS")
    if https:
        match = re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts[0]) if hsts else None
        if len(hsts) != 1 or match is None or int(match.group(1)) < ONE_YEAR:
            problems.append(f"{where}: HSTS is {hsts}, expected a max-age of a year or more")
    return problems


def _every_response(client: TestClient) -> list[httpx.Response]:
    app = client.app
    assert isinstance(app, FastAPI)
    requests = [
        *_route_requests(app),
        ("GET", "/static/dignity.css"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
        ("GET", "/no/such/route"),
        ("GET", "/static/no-such-file.css"),
        ("DELETE", "/healthz"),
        ("GET", "/numbers/many"),
        ("GET", "/explode"),
        ("GET", "/attachment"),
    ]
    paths = {path for _, path in requests}
    assert {"/", "/docs", "/healthz", "/openapi.json"} <= paths, "the route walk found too little"
    responses = [client.request(method, path) for method, path in requests]
    responses.append(client.get("/no/such/page", headers=HTML))
    statuses = {response.status_code for response in responses}
    assert {200, 404, 405, 422, 500} <= statuses
    assert any("content-disposition" in r.headers for r in responses), "no download requested"
    return responses


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_every_response_carries_the_security_headers(
    https: bool, tmp_path: Path, store_url: str, factory: sessionmaker[Session]
) -> None:
    settings = make_settings(tmp_path, database_url=store_url, https=https)
    client = TestClient(_with_throwaway_routes(settings, factory), raise_server_exceptions=False)
    problems = [
        problem
        for response in _every_response(client)
        for problem in header_problems(response, https=https)
    ]
    assert problems == []


def test_the_api_docs_alone_allow_inline_styles(client: TestClient) -> None:
    """Swagger UI sets style attributes from its scripts; scripts stay 'self' there too."""
    docs = _csp(client.get("/docs").headers["content-security-policy"])
    home = _csp(client.get("/").headers["content-security-policy"])
    assert docs["style-src"] == ["'self'", "'unsafe-inline'"]
    assert docs["script-src"] == ["'self'"]
    assert home["style-src"] == ["'self'"]


def test_an_unhandled_error_is_a_plain_500_with_the_headers(
    settings: Settings, factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(_with_throwaway_routes(settings, factory), raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="dignity.api"):
        response = client.get("/explode")
    assert response.status_code == 500
    assert response.json() == error_body(500, "internal server error")
    for secret in ("/srv/secret", "kek.pem", "RuntimeError", "Traceback"):
        assert secret not in response.text
    assert header_problems(response, https=False) == []
    # The cause goes to the log, not to the client.
    assert "/srv/secret/kek.pem" in caplog.text


# --- no third-party resources --------------------------------------------------------------------


def _absolute_urls(text: str) -> list[str]:
    return ABSOLUTE_URL.findall(text)


def _rendered_pages(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    """The HTML of every page a browser can GET (routes found by the walk), and the 404 page.

    Redirects are not followed: their Location must be root-relative (never built from Host).
    """
    app = client.app
    assert isinstance(app, FastAPI)
    paths = {path for method, path in _route_requests(app) if method == "GET"}
    pages = {}
    for path in sorted(paths | {"/no/such/page"}):
        response = client.get(path, headers={**HTML, **headers}, follow_redirects=False)
        if response.is_redirect:
            location = response.headers["location"]
            assert re.match(r"/(?!/)", location), (path, location)
        elif response.headers.get("content-type", "").startswith("text/html"):
            pages[path] = response.text
    assert {"/", "/docs", "/no/such/page"} <= set(pages)
    return pages


def test_rendered_pages_hold_no_absolute_urls(admin_client: TestClient) -> None:
    client = admin_client
    # Whatever the client claims the host is, no URL in a page is built from it.
    spoofed = {"host": EVIL_HOST, "x-forwarded-host": EVIL_HOST, "x-forwarded-proto": "https"}
    for path, html in _rendered_pages(client, spoofed).items():
        assert _absolute_urls(html) == [], path
        assert EVIL_HOST not in html, path
        for attribute, value in re.findall(r'\b(src|href|action|data-spec-url)="([^"]*)"', html):
            assert value.startswith(("/", "#", "data:")), (path, attribute, value)
            assert not value.startswith("//"), (path, attribute, value)
    openapi = client.get("/openapi.json", headers={"host": EVIL_HOST}).text
    assert EVIL_HOST not in openapi


def test_rendered_pages_have_no_inline_script(admin_client: TestClient) -> None:
    client = admin_client
    for path, html in _rendered_pages(client, {}).items():
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL)
        assert scripts, path
        for attributes, body in scripts:
            assert 'src="/' in attributes, (path, attributes)
            assert body.strip() == "", path
        assert not re.search(r"\son[a-z]+=", html), f"{path} has an inline event handler"


def _own_static_files() -> list[Path]:
    """Our static files; Swagger UI is a third-party package served from its own folder."""
    return sorted(p for p in STATIC_DIR.rglob("*") if p.is_file())


def _is_licence_text(path: Path) -> bool:
    # LICENSES.md says where the third-party files came from; it is text, and loads nothing.
    return path.name.upper().startswith("LICENSE")


@pytest.mark.parametrize(
    "path", [p for p in _own_static_files() if not _is_licence_text(p)], ids=lambda p: p.name
)
def test_static_files_reference_no_other_host(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.suffix in {".js", ".css"}:
        # A URL may only appear in a licence comment.
        text = LICENSE_COMMENT.sub(
            lambda m: "" if re.search(r"(?i)licen[cs]e", m.group(0)) else m.group(0), text
        )
    assert _absolute_urls(text) == []


def test_static_files_are_served_with_the_headers(client: TestClient) -> None:
    for path in _own_static_files():
        response = client.get(f"/static/{path.relative_to(STATIC_DIR).as_posix()}")
        assert response.status_code == 200, path
        assert header_problems(response, https=False) == []


def test_swagger_ui_does_not_call_its_validator() -> None:
    """Swagger UI's default loads a badge from validator.swagger.io: it must be switched off."""
    init = (STATIC_DIR / "swagger-init.js").read_text(encoding="utf-8")
    assert re.search(r"\bvalidatorUrl:\s*null\b", init)
