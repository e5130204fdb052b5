"""CSRF protection of every state-changing form (SECURITY.md item 22).

A POST needs the token bound to its session (the sign-in form: the token of its `__Host-` cookie)
and must not come from another site by `Origin` or `Sec-Fetch-Site`. Each refused request is
checked to have changed nothing, and each endpoint has a control: the same request, done right,
gets through.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dignity.api.auth import LOGIN_CSRF_COOKIE
from dignity.security import sessions
from dignity.security.crypto import Keyring
from dignity.security.models import User, WebSession
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.security import PASSWORD, Account, browser, csrf_from, quick_account

SAME_SITE = {"origin": "https://testserver", "sec-fetch-site": "same-origin"}
# What a browser sends with our own forms: `Referrer-Policy: no-referrer` makes the Origin "null".
BROWSER = {"origin": "null", "sec-fetch-site": "same-origin"}


def signed_in(
    app: FastAPI, session: Session, settings: Settings, account: Account, state: str
) -> tuple[TestClient, str]:
    """A browser with a session for `account` started by the service; and its CSRF token."""
    user = session.get(User, account.id)
    assert user is not None
    web_session, token = sessions.start_session(session, settings, user, state, datetime.now(UTC))
    session.commit()
    return browser(app, token), sessions.csrf_token(settings, web_session)


# Each endpoint: the form it takes, what a request that got through answers, and what it changes.
ENDPOINTS: dict[str, tuple[dict[str, str], int]] = {
    "/logout": ({}, 303),
    # A wrong current password: the control is refused by the handler (422), not by the CSRF check.
    "/account/password": (
        {"current_password": "not my password at all", "new_password": "x" * 20},
        422,
    ),
    "/admin/users": ({"username": "made-by-csrf", "role": "admin"}, 200),
}


def attacks(own: str, another_session_s: str) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """Name: (form fields, headers) of requests that must be refused."""
    return {
        "no token": ({}, {}),
        "empty token": ({"csrf_token": ""}, {}),
        "wrong token": ({"csrf_token": "0" * 64}, {}),
        "another session's token": ({"csrf_token": another_session_s}, {}),
        "wrong token in the header": ({"csrf_token": own}, {"x-csrf-token": another_session_s}),
        "cross-site Origin": ({"csrf_token": own}, {"origin": "https://evil.example"}),
        "null Origin": ({"csrf_token": own}, {"origin": "null"}),
        "null Origin, cross-site": (
            {"csrf_token": own},
            {"origin": "null", "sec-fetch-site": "cross-site"},
        ),
        "Origin of a look-alike host": ({"csrf_token": own}, {"origin": "https://testserver.evil"}),
        "cross-site fetch": ({"csrf_token": own}, {"sec-fetch-site": "cross-site"}),
        "same-site fetch (a sibling host)": ({"csrf_token": own}, {"sec-fetch-site": "same-site"}),
    }


def state_of(session: Session, account: Account) -> tuple[Any, ...]:
    session.expire_all()
    users = session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one()
    password_hash = session.execute(
        sa.select(User.password_hash).where(User.id == account.id)
    ).scalar_one()
    revoked = session.execute(
        sa.select(sa.func.count())
        .select_from(WebSession)
        .where(WebSession.user_id == account.id, WebSession.revoked_at.is_not(None))
    ).scalar_one()
    return users, password_hash, revoked


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_post_without_its_session_s_token_or_from_another_site_is_refused(
    path: str, app: FastAPI, session: Session, keyring: Keyring, settings: Settings
) -> None:
    admin = quick_account(session, keyring, "csrf-admin", Role.ADMIN)
    other = quick_account(session, keyring, "csrf-other", Role.VIEWER)
    client, own = signed_in(app, session, settings, admin, sessions.ACTIVE)
    _, others = signed_in(app, session, settings, other, sessions.ACTIVE)
    fields, passed = ENDPOINTS[path]
    before = state_of(session, admin)

    for name, (form, headers) in attacks(own, others).items():
        response = client.post(path, data={**fields, **form}, headers=headers)
        assert response.status_code == 403, name
        assert response.json()["code"] == "permission_denied", name
        assert state_of(session, admin) == before, name
    page = client.post(path, data=fields, headers={"accept": "text/html"})
    assert page.status_code == 403  # a browser gets the same refusal as a page
    assert state_of(session, admin) == before

    # The control: done right, the same request gets through (the token in the form or in the
    # header; same-origin, or "none" for a request the user made by hand).
    controls = [
        ({"csrf_token": own}, BROWSER),
        ({"csrf_token": own}, SAME_SITE),
        ({}, {"x-csrf-token": own, "sec-fetch-site": "none"}),
    ]
    for n, (form, headers) in enumerate(controls[:1] if path == "/logout" else controls):
        data = {**fields, **form}
        if path == "/admin/users":
            data["username"] = f"made-by-csrf-{n}"  # a new one each time
        response = client.post(path, data=data, headers=headers, follow_redirects=False)
        assert response.status_code == passed, (headers, response.text)


def test_the_sign_in_form_needs_its_double_submit_cookie(
    app: FastAPI, session: Session, keyring: Keyring
) -> None:
    account = quick_account(session, keyring, "csrf-login", Role.VIEWER)
    client = browser(app)
    token = csrf_from(client.get("/login").text)
    assert client.cookies[LOGIN_CSRF_COOKIE] == token
    credentials = {"username": account.username, "password": "not " + PASSWORD, "code": ""}

    cookieless = browser(app)
    assert cookieless.post("/login", data={**credentials, "csrf_token": token}).status_code == 403
    refused: dict[str, tuple[dict[str, str], dict[str, str]]] = {
        "no token": ({}, {}),
        "a token other than the cookie's": ({"csrf_token": "A" * 43}, {}),
        "cross-site Origin": ({"csrf_token": token}, {"origin": "https://evil.example"}),
        "cross-site fetch": ({"csrf_token": token}, {"sec-fetch-site": "cross-site"}),
    }
    for name, (form, headers) in refused.items():
        response = client.post("/login", data={**credentials, **form}, headers=headers)
        assert response.status_code == 403, name
    # A refused form is not even a failed sign-in: nothing was counted against the account.
    assert session.execute(sa.text("SELECT count(*) FROM login_failures")).scalar_one() == 0

    # The control: with its cookie and token the form reaches the credential check.
    for headers in (BROWSER, SAME_SITE):
        response = client.post("/login", data={**credentials, "csrf_token": token}, headers=headers)
        assert response.status_code == 401
    assert session.execute(sa.text("SELECT count(*) FROM login_failures")).scalar_one() == 2


def test_a_session_s_token_ends_with_it(
    app: FastAPI, session: Session, keyring: Keyring, settings: Settings
) -> None:
    admin = quick_account(session, keyring, "csrf-rotating", Role.ADMIN)
    first, first_csrf = signed_in(app, session, settings, admin, sessions.ACTIVE)
    second, second_csrf = signed_in(app, session, settings, admin, sessions.ACTIVE)
    assert first_csrf != second_csrf
    assert first.post("/logout", data={"csrf_token": first_csrf}).status_code == 200
    response = second.post("/logout", data={"csrf_token": first_csrf})
    assert response.status_code == 403
    assert second.get("/account").status_code == 200


def _post_forms(html: str) -> list[tuple[str, str | None]]:
    """(action, CSRF field value or None) of every POST form on a page."""
    forms = []
    for form in re.finditer(r"<form[^>]*>.*?</form>", html, re.DOTALL):
        opening = form.group(0).split(">", 1)[0]
        if 'method="post"' not in opening:
            continue
        action = re.search(r'action="([^"]*)"', opening)
        field = re.search(r'name="csrf_token" value="([^"]*)"', form.group(0))
        forms.append((action.group(1) if action else "", field.group(1) if field else None))
    return forms


def test_every_form_carries_its_session_s_token(
    app: FastAPI, session: Session, keyring: Keyring, settings: Settings
) -> None:
    admin = quick_account(session, keyring, "csrf-forms", Role.ADMIN)
    newcomer = quick_account(session, keyring, "csrf-newcomer", Role.VIEWER, mfa=False)
    client, own = signed_in(app, session, settings, admin, sessions.ACTIVE)
    setup, setup_own = signed_in(app, session, settings, newcomer, sessions.SETUP)
    setup.post("/account/mfa/start", data={"csrf_token": setup_own})

    pages = [
        (client, own, path)
        for path in (
            "/",
            "/account",
            "/account/step-up",
            "/admin/users",
            "/admin/projects",
            "/admin/clients",
            "/admin/audit",
        )
    ]
    pages.append((setup, setup_own, "/account/setup"))
    checked: list[str] = []
    wrong: list[str] = []
    for browser_, token, path in pages:
        response = browser_.get(path)
        assert response.status_code == 200, path
        for action, value in _post_forms(response.text):
            checked.append(f"{path} -> {action}")
            if value != token:
                wrong.append(f"{path}: the form posting to {action} carries {value!r}")
    assert len(checked) >= 8
    assert wrong == [], "\n".join(wrong)
