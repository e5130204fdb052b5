"""Personal API tokens: issued only for the password and a current MFA code, with the same throttle
and the same failure answer as the web sign-in; the API never sets or reads cookies
(SECURITY.md items 12-15, 21 and 22).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dignity.api.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from dignity.security import accounts, sessions
from dignity.security.crypto import Keyring
from dignity.security.models import User
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.security import (
    PASSWORD,
    csrf_from,
    disabled_account,
    quick_account,
    spy_on_verification,
    wrong_code,
)

START = datetime(2025, 6, 2, 9, 0, 10, tzinfo=UTC)
TOKEN = re.compile(r"^dgt_[A-Za-z0-9_-]{43}$")


def ask(client: TestClient, username: str, password: str, otp: str | None) -> httpx.Response:
    body: dict[str, Any] = {"username": username, "password": password, "scopes": ["projects:read"]}
    if otp is not None:
        body["otp"] = otp
    return client.post("/api/auth/token", json=body)


def me(client: TestClient, token: str) -> httpx.Response:
    return client.get("/api/me", headers={"authorization": f"Bearer {token}"})


def test_a_token_needs_the_password_and_a_current_code(
    client: TestClient, session: Session, keyring: Keyring
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        account = quick_account(session, keyring, "api-user")
        assert ask(client, "api-user", PASSWORD, None).status_code == 422  # the code is required
        for code in ("", wrong_code(account)):
            refused = ask(client, "api-user", PASSWORD, code)
            assert refused.status_code == 401, code
            assert "token" not in refused.json()

        code = account.code()
        issued = ask(client, "api-user", PASSWORD, code)
        assert issued.status_code == 201, issued.text
        token = issued.json()["token"]
        assert TOKEN.match(token)
        assert issued.json()["scopes"] == ["projects:read"]
        who = me(client, token)
        assert who.status_code == 200
        assert (who.json()["kind"], who.json()["name"]) == ("user", "api-user")
        assert who.json()["permissions"] == ["projects:read"]

        # The code is spent (item 13), here as on the web.
        assert ask(client, "api-user", PASSWORD, code).status_code == 401
        clock.shift(30)
        assert ask(client, "api-user", PASSWORD, account.code()).status_code == 201


def test_an_account_still_being_set_up_gets_no_token(
    client: TestClient, session: Session, keyring: Keyring
) -> None:
    _, one_time = accounts.create_user(session, username="newcomer", role=Role.ADMIN, actor="t")
    session.commit()
    for otp in ("", "123456"):
        refused = ask(client, "newcomer", one_time, otp)
        assert refused.status_code == 401
        assert refused.json()["detail"] == accounts.SIGN_IN_FAILED


def test_token_failures_look_the_same_and_cost_one_verification(
    client: TestClient, session: Session, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = quick_account(session, keyring, "api-same")
    disabled = disabled_account(session, keyring, "api-disabled")
    spy = spy_on_verification(monkeypatch)
    cases = {
        "unknown account": ("nobody-at-all", PASSWORD, account.code()),
        "wrong password": ("api-same", "not " + PASSWORD, account.code()),
        "wrong code": ("api-same", PASSWORD, wrong_code(account)),
        "code in another script": (
            "api-same",
            PASSWORD,
            "".join(chr(0x0660 + int(d)) for d in account.code()),
        ),
        "disabled account": ("api-disabled", PASSWORD, disabled.code()),
    }
    answers = {}
    for name, (username, password, code) in cases.items():
        before = spy.verified
        answers[name] = ask(client, username, password, code)
        assert spy.verified - before == 1, name

    assert {a.status_code for a in answers.values()} == {401}
    assert len({a.content for a in answers.values()}) == 1, "the failure bodies differ"
    assert answers["wrong code"].json() == {
        "status": 401,
        "code": "not_authenticated",
        "detail": accounts.SIGN_IN_FAILED,
        "errors": [],
    }
    assert {a.headers.get("www-authenticate") for a in answers.values()} == {"Bearer"}
    before = spy.verified
    assert ask(client, "api-same", PASSWORD, account.code()).status_code == 201  # the control
    assert spy.verified - before == 1


def test_token_failures_count_against_the_account_on_the_web_too(
    client: TestClient, session: Session, keyring: Keyring
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        account = quick_account(session, keyring, "api-throttled")
        bystander = quick_account(session, keyring, "api-bystander")
        for _ in range(5):
            assert (
                ask(client, "api-throttled", "not " + PASSWORD, account.code()).status_code == 401
            )

        refused = ask(client, "api-throttled", PASSWORD, account.code())
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "60"
        assert "token" not in refused.json()
        # The web sign-in of the same account is closed too.
        form = csrf_from(client.get("/login").text)
        web = client.post(
            "/login",
            data={
                "csrf_token": form,
                "username": "api-throttled",
                "password": PASSWORD,
                "code": account.code(),
            },
            follow_redirects=False,
        )
        assert web.status_code == 429
        assert ask(client, "api-bystander", PASSWORD, bystander.code()).status_code == 201

        clock.shift(61)
        assert ask(client, "api-throttled", PASSWORD, account.code()).status_code == 201


def _call(client: TestClient, path: str, method: str, token: str) -> httpx.Response:
    path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return client.request(method, path, json={}, headers=headers)


def test_the_api_sets_no_cookies_and_reads_none(
    app: FastAPI, session: Session, keyring: Keyring, settings: Settings
) -> None:
    account = quick_account(session, keyring, "api-cookies", Role.ADMIN)
    user = session.get(User, account.id)
    assert user is not None
    _, web_token = sessions.start_session(
        session, settings, user, sessions.ACTIVE, datetime.now(UTC)
    )
    session.commit()
    # A browser that is signed in on the web, and holds the sign-in form's cookie too.
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    client.get("/login")
    client.cookies.set(SESSION_COOKIE, web_token, domain="testserver.local")
    assert client.get("/account").status_code == 200
    assert LOGIN_CSRF_COOKIE in client.cookies

    # The session cookie is no API credential.
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/projects").status_code == 401

    responses = [
        ask(client, "api-cookies", "not " + PASSWORD, account.code()),
        ask(client, "api-cookies", PASSWORD, None),
        issued := ask(client, "api-cookies", PASSWORD, account.code()),
    ]
    token = issued.json()["token"]
    # Every API operation, as the OpenAPI document lists them (the web pages are not in it).
    operations = [
        (path, method.upper())
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/api/")
        for method in item
    ]
    assert len(operations) >= 5
    for path, method in operations:
        responses.append(_call(client, path, method, token))
        responses.append(_call(client, path, method, ""))
    assert {r.status_code for r in responses} >= {200, 201, 401, 422}
    for response in responses:
        assert response.headers.get_list("set-cookie") == [], response.request.url
