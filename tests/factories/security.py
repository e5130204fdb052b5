"""Accounts for tests: made through the real services, signed in through the real forms."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from unittest import mock

import pyotp
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dignity.api.auth import SESSION_COOKIE
from dignity.security import accounts, apitokens, passwords
from dignity.security.crypto import Keyring
from dignity.security.models import User
from dignity.security.permissions import Role
from dignity.settings import Settings

PASSWORD = "correct horse battery staple, but longer"
# A hash with the current Argon2id parameters (RFC 9106, low memory).
CURRENT_HASH = re.compile(r"^\$argon2id\$v=19\$m=65536,t=3,p=4\$")


@dataclass
class Account:
    id: str
    username: str
    password: str
    totp_secret: str | None

    def code(self, at: datetime | None = None) -> str:
        """The TOTP code of this account at `at` (default now)."""
        assert self.totp_secret is not None
        return pyotp.TOTP(self.totp_secret).at(at or datetime.now(UTC))


def wrong_code(account: Account, at: datetime | None = None) -> str:
    """A well-formed code that is not valid for `account` around `at` (default now)."""
    at = at or datetime.now(UTC)
    valid = {account.code(at + timedelta(seconds=30 * n)) for n in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def make_account(
    session: Session,
    keyring: Keyring,
    username: str,
    role: Role = Role.INVESTIGATOR,
    *,
    password: str = PASSWORD,
    mfa: bool = True,
) -> Account:
    """An account that has set its own password and (by default) enrolled MFA."""
    user, one_time = accounts.create_user(session, username=username, role=role, actor="test")
    accounts.change_password(session, user, current=one_time, new=password, keep_session=None)
    secret = None
    if mfa:
        secret = accounts.begin_mfa(session, user, keyring)
        # Enrol with the code of the previous step, so the current code is still unused.
        earlier = datetime.fromtimestamp(datetime.now(UTC).timestamp() - 30, UTC)
        accounts.confirm_mfa(
            session, user, keyring, pyotp.TOTP(secret).at(earlier), datetime.now(UTC), None
        )
    session.flush()
    return Account(user.id, user.username, password, secret)


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: TestClient, account: Account, code: str | None = None) -> str:
    """Sign in through the real form; returns the CSRF token of the signed-in session."""
    page = client.get("/login")
    token = csrf_from(page.text)
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": account.username,
            "password": account.password,
            "code": code if code is not None else account.code(),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/account").text)


class VerifySpy:
    """Stands in for `passwords.hasher`, counting Argon2 verifications."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.verified = 0

    def verify(self, hash: str, password: str) -> bool:
        self.verified += 1
        return self.real.verify(hash, password)

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


def spy_on_verification(monkeypatch: pytest.MonkeyPatch) -> VerifySpy:
    """Count the Argon2 verifications from here to the end of the test."""
    spy = VerifySpy(passwords.hasher)
    monkeypatch.setattr(passwords, "hasher", spy)
    return spy


@functools.cache
def _password_hash() -> str:
    """One real Argon2id hash of `PASSWORD`, computed once per test process."""
    return passwords.hash_password(PASSWORD)


def quick_account(
    session: Session,
    keyring: Keyring,
    username: str,
    role: Role = Role.INVESTIGATOR,
    *,
    mfa: bool = True,
) -> Account:
    """Like `make_account`, without paying for an Argon2 hash per account.

    The account has its own password (`PASSWORD`, stored as a real Argon2id hash) and, by default,
    MFA enrolled with the previous step's code, so the current code is still unused.
    """
    with mock.patch.object(passwords, "hash_password", return_value=_password_hash()):
        user, _ = accounts.create_user(session, username=username, role=role, actor="test")
    user.must_change_password = False
    secret = None
    if mfa:
        secret = accounts.begin_mfa(session, user, keyring)
        now = datetime.now(UTC)
        earlier = pyotp.TOTP(secret).at(now - timedelta(seconds=30))
        accounts.confirm_mfa(session, user, keyring, earlier, now, None)
    session.commit()
    return Account(user.id, user.username, PASSWORD, secret)


def disabled_account(session: Session, keyring: Keyring, username: str) -> Account:
    """A `quick_account` that an administrator has then disabled."""
    account = quick_account(session, keyring, username)
    user = session.get(User, account.id)
    assert user is not None
    accounts.set_disabled(session, user, True, "test", datetime.now(UTC))
    session.commit()
    return account


def browser(app: FastAPI, token: str | None = None) -> TestClient:
    """A new browser (its own cookie jar), holding the session cookie `token` if given."""
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    if token is not None:
        # The domain the jar gives cookies set by https://testserver, so this one replaces them.
        client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    return client


def service_token(
    session: Session, settings: Settings, name: str, scopes: list[str], expires_days: int = 30
) -> str:
    """The secret of a new API token for a new service account `name` with `scopes`."""
    client = apitokens.create_service_account(session, name, "test")
    _, secret = apitokens.issue_token(
        session,
        settings,
        scopes=scopes,
        expires_days=expires_days,
        actor="test",
        now=datetime.now(UTC),
        service_account=client,
    )
    return secret
