"""The pages: the home page with the state of the system, the API docs, and the HTML error page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from conftest import make_settings
from dignity.api.app import create_app
from dignity.audit import record_event
from dignity.audit.maintenance import checkpoint_now
from dignity.audit.services import log_size
from dignity.settings import Settings
from dignity.store.migrate import head_revision

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


class Page(HTMLParser):
    """The parts of a page the tests look at: the root element, the resources and the text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.root: dict[str, str | None] = {}
        self.resources: list[str] = []  # every src= and href= value, in order
        self.ids: set[str] = set()
        self._text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.root = attributes
        for name in ("src", "href"):
            if attributes.get(name):
                self.resources.append(str(attributes[name]))
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self._text))


def _system_panel(html: str) -> str:
    match = re.search(r'<section aria-labelledby="status-heading".*?</section>', html, re.DOTALL)
    assert match, "the System panel is missing"
    return Page(match.group(0)).text


def _client_in(
    language: str, tmp_path: Path, store_url: str, factory: sessionmaker[Session]
) -> TestClient:
    settings = make_settings(tmp_path, database_url=store_url, language=language)
    return TestClient(create_app(settings, factory), raise_server_exceptions=False)


def test_home_page_needs_sign_in(client: TestClient) -> None:
    response = client.get("/", headers=HTML, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/")
    assert client.get("/").status_code == 401  # an API-style client gets the error body


def test_home_page_is_english_left_to_right_by_default(
    admin_client: TestClient, engine: Engine, session: Session
) -> None:
    response = admin_client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = Page(response.text)
    assert page.root == {"lang": "en", "dir": "ltr"}
    assert {"main", "status-heading"} <= page.ids
    panel = _system_panel(response.text)
    entries = log_size(session)
    assert f"Store {engine.dialect.name} " in panel
    assert f"Schema revision {head_revision()} (current)" in panel
    assert f"Audit log {entries:,} {'entry' if entries == 1 else 'entries'}" in panel
    assert "Last signed checkpoint none yet" in panel


def test_home_page_counts_events_and_shows_the_last_checkpoint(
    admin_client: TestClient, settings: Settings, factory: sessionmaker[Session]
) -> None:
    with factory() as session, session.begin():
        before = log_size(session)
        record_event(session, actor="test", action="test.ran", object_type="test")
    checkpoint = checkpoint_now(settings, factory)
    assert checkpoint is not None

    panel = _system_panel(admin_client.get("/").text)
    size = before + 1
    noun = "entry" if size == 1 else "entries"
    assert f"Audit log {size:,} {noun}" in panel
    day, time = checkpoint.issued_at[:10], checkpoint.issued_at[11:16]
    assert f"Last signed checkpoint {size:,} {noun}, {day} {time} UTC, key" in panel
    assert checkpoint.key_id[:16] in panel


@pytest.mark.parametrize("language", ["ar", "fa", "he"])
def test_right_to_left_languages_flip_the_page(
    language: str, tmp_path: Path, store_url: str, factory: sessionmaker[Session]
) -> None:
    client = _client_in(language, tmp_path, store_url, factory)
    for path in ("/login", "/docs"):
        assert Page(client.get(path).text).root == {"lang": language, "dir": "rtl"}, path
    error = client.get("/no/such/page", headers=HTML)
    assert error.status_code == 404
    assert Page(error.text).root == {"lang": language, "dir": "rtl"}


def test_a_browser_gets_an_html_404_page(client: TestClient) -> None:
    response = client.get("/no/such/page", headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    page = Page(response.text)
    assert page.root == {"lang": "en", "dir": "ltr"}
    assert "404 Not Found" in page.text
    assert "/" in page.resources  # the way back home


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/no/such/page", None),
        ("/no/such/page", "application/json"),
        ("/no/such/page", "*/*"),
        ("/api/no/such/thing", HTML["accept"]),  # the API answers JSON even to a browser
    ],
)
def test_an_api_client_gets_the_json_error_body(
    client: TestClient, path: str, accept: str | None
) -> None:
    response = client.get(path, headers={"accept": accept} if accept else {})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "status": 404,
        "code": "not_found",
        "detail": "Not Found",
        "errors": [],
    }


def test_api_docs_use_only_local_swagger_assets(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    page = Page(response.text)
    swagger = {"/static/swagger/swagger-ui.css", "/static/swagger/swagger-ui-bundle.js"}
    assert swagger | {"/static/swagger-init.js"} <= set(page.resources)
    assert 'data-spec-url="/openapi.json"' in response.text
    for resource in page.resources:
        assert resource.startswith("/") or resource in {"#main", "data:,"}, resource
        assert not resource.startswith("//"), resource
        if resource.startswith("/static/"):
            asset = client.get(resource)
            assert asset.status_code == 200, resource
            assert asset.headers["content-type"].split(";")[0] in {
                "text/css",
                "text/javascript",
                "application/javascript",
            }, resource
    spec = client.get("/openapi.json").json()
    assert "/healthz" in spec["paths"]
