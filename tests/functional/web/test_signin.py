"""Web sign-in: Argon2id upgrade, MFA on every sign-in, single-use codes, per-account throttling,
identical failures, and no default account (SECURITY.md items 10 and 12-16).

Accounts are made through the real services. `quick_account` stores, as the account's password
hash, a real Argon2id hash of `PASSWORD` computed once for the module: a first password change would
store the same, but costs four Argon2 runs per account.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyotp
import pytest
import time_machine
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from conftest import make_settings
from dignity.api.app import create_app
from dignity.api.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from dignity.cli import app as cli_app
from dignity.cli.context import state
from dignity.security import accounts, passwords
from dignity.security.crypto import Keyring
from dignity.security.models import User, WebSession
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.security import (
    CURRENT_HASH,
    PASSWORD,
    csrf_from,
    disabled_account,
    quick_account,
    spy_on_verification,
    wrong_code,
)

HTML = {"accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
NEW_PASSWORD = "a lantern in the archive, lit at noon"
START = datetime(2025, 6, 2, 9, 0, 10, tzinfo=UTC)


def login(
    client: TestClient, username: str, password: str, code: str = "", **data: str
) -> httpx.Response:
    """Post the sign-in form as a browser would: with the CSRF token of the form and its cookie."""
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": username,
            "password": password,
            "code": code,
            **data,
        },
        headers=HTML,
        follow_redirects=False,
    )


def signed_in(response: httpx.Response, target: str = "/") -> bool:
    return response.status_code == 303 and response.headers["location"] == target


def form_token(html: str, action: str) -> str:
    """The CSRF token a browser would send with the form posting to `action` on this page."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', html, re.DOTALL)
    assert form, f"no form for {action}"
    field = re.search(r'name="csrf_token" value="([^"]*)"', form.group(0))
    assert field, f"the form for {action} has no CSRF field"
    return field.group(1)


# Item 10 ----------------------------------------------------------------------------------------


def test_a_legacy_hash_is_upgraded_at_the_first_successful_sign_in(
    client: TestClient, session: Session, keyring: Keyring
) -> None:
    account = quick_account(session, keyring, "legacy")
    user = session.get(User, account.id)
    assert user is not None
    user.password_hash = PasswordHasher(memory_cost=8192, time_cost=1, parallelism=1).hash(PASSWORD)
    session.commit()
    legacy = user.password_hash
    assert legacy.startswith("$argon2id$v=19$m=8192,t=1,p=1$")

    # A failed sign-in (right password, wrong code) leaves it alone.
    assert login(client, account.username, PASSWORD, wrong_code(account)).status_code == 401
    session.expire_all()
    assert session.get(User, account.id).password_hash == legacy  # type: ignore[union-attr]

    assert signed_in(login(client, account.username, PASSWORD, account.code()))
    session.expire_all()
    upgraded = session.get(User, account.id).password_hash  # type: ignore[union-attr]
    assert CURRENT_HASH.match(upgraded), upgraded
    assert passwords.verify_password(upgraded, PASSWORD)
    assert not passwords.needs_rehash(upgraded)


# Item 12 ----------------------------------------------------------------------------------------


def test_the_right_password_without_the_right_code_does_not_sign_in(
    client: TestClient, session: Session, keyring: Keyring
) -> None:
    account = quick_account(session, keyring, "needs-mfa")
    for code in ("", wrong_code(account)):
        response = login(client, account.username, PASSWORD, code)
        assert response.status_code == 401, code
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
        assert client.get("/account", follow_redirects=False).status_code == 401
    assert session.query(WebSession).filter_by(user_id=account.id).count() == 0
    # The control: with the code it works, so the refusals above are about the code.
    assert signed_in(login(client, account.username, PASSWORD, account.code()))
    assert client.get("/account").status_code == 200


# Item 13 ----------------------------------------------------------------------------------------


def test_a_code_works_once_and_only_one_step_back(
    client: TestClient, session: Session, keyring: Keyring
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        account = quick_account(session, keyring, "one-time")
        clock.shift(300)
        now = datetime.now(UTC)
        two_back, one_back, current = (
            account.code(now - timedelta(seconds=s)) for s in (60, 30, 0)
        )
        assert len({two_back, one_back, current, account.code(now + timedelta(seconds=30))}) == 4

        assert login(client, account.username, PASSWORD, two_back).status_code == 401
        assert signed_in(login(client, account.username, PASSWORD, one_back))
        assert login(client, account.username, PASSWORD, one_back).status_code == 401
        assert signed_in(login(client, account.username, PASSWORD, current))
        assert login(client, account.username, PASSWORD, current).status_code == 401
        # Still refused later within its window.
        clock.shift(20)
        assert login(client, account.username, PASSWORD, current).status_code == 401


# Item 14 ----------------------------------------------------------------------------------------


def test_five_failures_in_a_minute_lock_that_account_only(
    client: TestClient, session: Session, keyring: Keyring, settings: Settings
) -> None:
    assert (settings.login_max_failures, settings.login_window_seconds) == (5, 60)
    with time_machine.travel(START, tick=False) as clock:
        alice = quick_account(session, keyring, "alice")
        bob = quick_account(session, keyring, "bob")
        for _ in range(5):
            assert login(client, "alice", "not " + PASSWORD, alice.code()).status_code == 401

        refused = login(client, "alice", PASSWORD, alice.code())
        assert refused.status_code == 429
        assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
        assert login(client, " ALICE ", PASSWORD, alice.code()).status_code == 429  # same account

        assert signed_in(login(client, "bob", PASSWORD, bob.code()))  # another account is fine

        clock.shift(59)
        assert login(client, "alice", PASSWORD, alice.code()).status_code == 429
        clock.shift(2)
        assert signed_in(login(client, "alice", PASSWORD, alice.code()))


# Item 15 ----------------------------------------------------------------------------------------


def test_every_failure_looks_the_same_and_costs_one_verification(
    client: TestClient, session: Session, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = quick_account(session, keyring, "same-failure")
    disabled = disabled_account(session, keyring, "disabled-one")
    spy = spy_on_verification(monkeypatch)
    arabic_digits = "".join(chr(0x0660 + int(d)) for d in account.code())
    cases = {
        "unknown account": ("no-such-person", PASSWORD, account.code()),
        "wrong password": (account.username, "not " + PASSWORD, account.code()),
        "wrong code": (account.username, PASSWORD, wrong_code(account)),
        "no code": (account.username, PASSWORD, ""),
        "code in another script": (account.username, PASSWORD, arabic_digits),
        "disabled account": (disabled.username, PASSWORD, disabled.code()),
    }
    client.get("/login")  # the form's CSRF cookie, which every page below then reuses
    responses = {}
    for name, (username, password, code) in cases.items():
        before = spy.verified
        responses[name] = login(client, username, password, code)
        assert spy.verified - before == 1, name

    assert {r.status_code for r in responses.values()} == {401}
    assert len({r.text for r in responses.values()}) == 1, "the failure pages differ"
    assert accounts.SIGN_IN_FAILED in responses["unknown account"].text
    assert len({tuple(r.headers.get_list("set-cookie")) for r in responses.values()}) == 1
    # Only the login form's own cookie, never a session.
    for cookie in responses["wrong code"].headers.get_list("set-cookie"):
        assert cookie.startswith(LOGIN_CSRF_COOKIE + "=")

    # The control: the spy counts a successful sign-in too.
    before = spy.verified
    assert signed_in(login(client, account.username, PASSWORD, account.code()))
    assert spy.verified - before == 1


# Item 16 ----------------------------------------------------------------------------------------


runner = CliRunner()


def cli(*args: str) -> str:
    """Run a `dignity` command; returns what it printed (the credential goes to stderr)."""
    result = runner.invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout + result.stderr


def one_time_password(printed: str) -> str:
    match = re.search(r"one-time password:\s+(\S+)", printed)
    assert match, printed
    return match.group(1)


@pytest.fixture
def fresh_app(tmp_path: Path, fresh_store_url: str) -> Iterator[FastAPI]:
    """The app on an empty store of its own, migrated by the CLI, which it shares with the CLI."""
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    state.configure(settings)
    try:
        cli("db", "upgrade")
        yield create_app(settings, state.sessionmaker)
    finally:
        state.configure(None)


def users_in_store() -> int:
    with state.sessionmaker() as session:
        return accounts.count_users(session)


def totp_secret_on(page: str) -> str:
    match = re.search(r"<code>([A-Z2-7]{32})</code>", page)
    assert match, "no MFA key on the page"
    return match.group(1)


def test_no_default_account_the_first_admin_comes_from_the_cli_and_must_set_up(
    fresh_app: FastAPI,
) -> None:
    client = TestClient(fresh_app, base_url="https://testserver", raise_server_exceptions=False)
    assert users_in_store() == 0
    assert login(client, "admin", "admin").status_code == 401

    credential = one_time_password(cli("users", "create-admin"))
    assert users_in_store() == 1
    # The one-time password is no API credential (its account has no MFA yet).
    api = client.post(
        "/api/auth/token",
        json={"username": "admin", "password": credential, "otp": "", "scopes": ["projects:read"]},
    )
    assert api.status_code == 401

    assert signed_in(login(client, "admin", credential), "/account/setup")
    # Until set up, nothing else is reachable.
    for path in ("/", "/account", "/admin/users", "/admin/projects", "/account/step-up"):
        page = client.get(path, headers=HTML, follow_redirects=False)
        assert (page.status_code, page.headers.get("location")) == (303, "/account/setup"), path
        assert client.get(path).json()["code"] == "setup_required", path
    setup = client.get("/account/setup").text
    csrf = form_token(setup, "/account/password")
    assert csrf, "the setup form carries no CSRF token: the first sign-in cannot be completed"
    created = client.post(
        "/admin/users", data={"csrf_token": csrf, "username": "sneaky", "role": "admin"}
    )
    assert created.status_code == 401
    assert users_in_store() == 1
    # Enrolment waits for the new password.
    early = client.post("/account/mfa/start", data={"csrf_token": csrf}, follow_redirects=False)
    assert early.headers["location"] == "/account/setup"
    assert "<code>" not in client.get("/account/setup").text

    changed = client.post(
        "/account/password",
        data={"csrf_token": csrf, "current_password": credential, "new_password": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert changed.headers["location"] == "/account/setup"
    assert client.get("/", headers=HTML, follow_redirects=False).status_code == 303  # still setup
    setup = client.get("/account/setup").text
    client.post("/account/mfa/start", data={"csrf_token": form_token(setup, "/account/mfa/start")})
    setup = client.get("/account/setup").text
    secret = totp_secret_on(setup)
    csrf = form_token(setup, "/account/mfa/confirm")
    moment = datetime.now(UTC)
    refused = client.post(
        "/account/mfa/confirm",
        data={"csrf_token": csrf, "code": pyotp.TOTP(secret).at(moment - timedelta(minutes=5))},
        follow_redirects=False,
    )
    assert refused.status_code != 303
    confirmed = client.post(
        "/account/mfa/confirm",
        data={"csrf_token": csrf, "code": pyotp.TOTP(secret).at(moment)},
        follow_redirects=False,
    )
    assert confirmed.headers["location"] == "/"
    assert client.get("/", headers=HTML).status_code == 200
    assert client.get("/admin/users", headers=HTML).status_code == 200

    # Recovery by the operator: the old session ends, and sign-in demands a new enrolment.
    new_credential = one_time_password(cli("users", "reset", "admin"))
    ended = client.get("/account", headers=HTML, follow_redirects=False)
    assert (ended.status_code, ended.headers["location"]) == (303, "/login?next=/account")
    assert client.get("/account").status_code == 401
    next_code = pyotp.TOTP(secret).at(moment + timedelta(seconds=30))
    assert login(client, "admin", NEW_PASSWORD, next_code).status_code == 401
    assert signed_in(login(client, "admin", new_credential, next_code), "/account/setup")
    home = client.get("/", headers=HTML, follow_redirects=False)
    assert home.headers["location"] == "/account/setup"
    with state.sessionmaker() as session:
        user = accounts.find_user(session, "admin")
        assert user is not None
        assert (user.totp_secret, user.mfa_enrolled_at, user.must_change_password) == (
            None,
            None,
            True,
        )


def test_an_admin_reset_demands_a_new_enrolment(
    app: FastAPI, client: TestClient, session: Session, keyring: Keyring
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        admin = quick_account(session, keyring, "reset-admin", Role.ADMIN)
        victim = quick_account(session, keyring, "reset-victim")
        assert signed_in(login(client, admin.username, PASSWORD, admin.code()))
        csrf = csrf_from(client.get("/account").text)  # the session's token (sign-out form)
        page = client.post(f"/admin/users/{victim.id}/reset", data={"csrf_token": csrf})
        assert page.status_code == 200
        match = re.search(r'<code id="credential">([^<]+)</code>', page.text)
        assert match
        credential = match.group(1)

        browser = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
        clock.shift(30)
        assert login(browser, victim.username, PASSWORD, victim.code()).status_code == 401
        assert signed_in(
            login(browser, victim.username, credential, victim.code()), "/account/setup"
        )
        home = browser.get("/", headers=HTML, follow_redirects=False)
        assert home.headers["location"] == "/account/setup"
        session.expire_all()
        user = session.get(User, victim.id)
        assert user is not None
        assert (user.totp_secret, user.mfa_enrolled_at, user.must_change_password) == (
            None,
            None,
            True,
        )
