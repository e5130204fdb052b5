"""One JSON error body everywhere, and one table from error class to status."""

from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from conftest import make_settings
from dignity import exc
from dignity.api.app import create_app
from dignity.api.errors import STATUS_BY_ERROR
from dignity.settings import Settings
from dignity.store import create_engine, make_sessionmaker

ERROR_KEYS = {"status", "code", "detail", "errors"}


class Thing(BaseModel):
    name: str
    size: int


def _app_raising(
    settings: Settings, factory: sessionmaker[Session], error: Exception
) -> TestClient:
    app = create_app(settings, factory)
    router = APIRouter()

    @router.get("/boom")
    def boom() -> None:
        raise error

    @router.post("/things")
    def make_thing(thing: Thing) -> Thing:
        return thing

    app.include_router(router)
    return TestClient(app, raise_server_exceptions=False)


def test_unknown_route_gets_the_error_body(client: TestClient) -> None:
    response = client.get("/no/such/route")
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "code": "not_found",
        "detail": "Not Found",
        "errors": [],
    }


def test_wrong_method_gets_the_error_body(client: TestClient) -> None:
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert set(response.json()) == ERROR_KEYS


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (
            exc.InvalidInput("bad", [exc.FieldError("name", "too long", "body")]),
            422,
            "invalid_input",
        ),
        (exc.NotFound("no such case"), 404, "not_found"),
        (exc.NotAuthenticated("sign in"), 401, "not_authenticated"),
        (exc.PermissionDenied("not yours"), 403, "permission_denied"),
        (exc.Conflict("changed since you loaded it"), 409, "conflict"),
        (exc.RateLimited("slow down"), 429, "rate_limited"),
        (exc.DignityError("generic"), 400, "error"),
    ],
)
def test_domain_errors_map_to_their_status(
    settings: Settings,
    factory: sessionmaker[Session],
    error: exc.DignityError,
    status: int,
    code: str,
) -> None:
    response = _app_raising(settings, factory, error).get("/boom")
    assert response.status_code == status
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert (body["status"], body["code"], body["detail"]) == (status, code, error.message)


def test_the_table_covers_every_error_class() -> None:
    classes = {
        cls
        for cls in vars(exc).values()
        if isinstance(cls, type) and issubclass(cls, exc.DignityError)
    }
    assert classes == set(STATUS_BY_ERROR)


def test_field_errors_are_listed(settings: Settings, factory: sessionmaker[Session]) -> None:
    error = exc.InvalidInput(
        "the upload is not valid", [exc.FieldError("size", "negative", "row 3")]
    )
    body = _app_raising(settings, factory, error).get("/boom").json()
    assert body["errors"] == [{"field": "size", "message": "negative", "location": "row 3"}]


def test_request_validation_uses_the_same_shape(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    client = _app_raising(settings, factory, RuntimeError())
    response = client.post("/things", json={"name": "x", "size": "large"})
    assert response.status_code == 422
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == "invalid_input"
    assert [(e["field"], e["location"]) for e in body["errors"]] == [("size", "body")]


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("secret path /srv/keys/kek.pem"),
        exc.ConfigurationError("secret path /srv/keys/kek.pem"),
        exc.IntegrityError("secret path /srv/keys/kek.pem"),
    ],
)
def test_server_errors_reveal_no_internals(
    settings: Settings, factory: sessionmaker[Session], error: Exception
) -> None:
    response = _app_raising(settings, factory, error).get("/boom")
    assert response.status_code == 500
    assert set(response.json()) == ERROR_KEYS
    assert "/srv/keys" not in response.text
    assert "Traceback" not in response.text


def test_an_unreachable_store_is_503(tmp_path: Path) -> None:
    # Nothing listens on port 9 of loopback: the connection is refused at once.
    settings = make_settings(tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:9/none")
    factory = make_sessionmaker(create_engine(settings.sqlalchemy_url))
    response = TestClient(create_app(settings, factory)).get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": 503,
        "code": "unavailable",
        "detail": "the store is unavailable",
        "errors": [],
    }
