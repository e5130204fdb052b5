"""Staff accounts: creation with a one-time credential, sign-in with MFA, password and MFA changes.

Sign-in failures look the same whatever went wrong (unknown account, wrong password, wrong or
missing code, disabled account), cost one Argon2 verification each, and count against the account
name in a sliding window (SECURITY.md items 12-16).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.exc import Conflict, FieldError, InvalidInput, NotAuthenticated, RateLimited
from dignity.security import passwords, totp
from dignity.security.crypto import Keyring
from dignity.security.models import LoginFailure, User, WebSession
from dignity.security.permissions import Role
from dignity.security.sessions import revoke_all
from dignity.security.tokens import one_time_password
from dignity.settings import Settings
from dignity.store.types import new_id

SIGN_IN_FAILED = "the username, password or code is not right"


def username_key(username: str) -> str:
    return unicodedata.normalize("NFKC", username).casefold().strip()


def _check_username(username: str) -> str:
    cleaned = unicodedata.normalize("NFKC", username).strip()
    if not 3 <= len(cleaned) <= 150 or any(
        unicodedata.category(c)[0] in "CZ" and c != " " for c in cleaned
    ):
        problem = "must be 3 to 150 characters without control characters or line breaks"
        raise InvalidInput(f"the username {problem}", [FieldError("username", problem)])
    return cleaned


def find_user(session: Session, username: str) -> User | None:
    return session.execute(
        select(User).where(User.username_key == username_key(username))
    ).scalar_one_or_none()


def count_users(session: Session) -> int:
    return session.execute(select(func.count()).select_from(User)).scalar_one()


def create_user(
    session: Session, *, username: str, role: Role, actor: str, display_name: str = ""
) -> tuple[User, str]:
    """Create an account with a one-time password that must be changed at first sign-in."""
    username = _check_username(username)
    if find_user(session, username) is not None:
        raise Conflict(f"an account named {username!r} already exists")
    credential = one_time_password()
    user = User(
        id=new_id(),
        username=username,
        username_key=username_key(username),
        display_name=display_name.strip() or username,
        role=Role(role).value,
        password_hash=passwords.hash_password(credential),
        must_change_password=True,
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="user.created",
        object_type="user",
        object_id=user.id,
        details={"username": username, "role": user.role},
    )
    return user, credential


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt.

    A failed attempt is recorded (throttle and audit log) in the caller's transaction, so the caller
    commits first and then calls `raise_for_failure()`: a rollback must not erase the failure.
    """

    user: User | None
    # True while the account still has its one-time password or no MFA: only setup is allowed.
    needs_setup: bool = False
    error: NotAuthenticated | RateLimited | None = None

    def raise_for_failure(self) -> User:
        if self.error is not None:
            raise self.error
        assert self.user is not None  # noqa: S101 (no error means a user)
        return self.user


def _throttled(session: Session, settings: Settings, key: str, now: datetime) -> bool:
    since = now - timedelta(seconds=settings.login_window_seconds)
    failures = session.execute(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username_key == key, LoginFailure.at > since)
    ).scalar_one()
    return failures >= settings.login_max_failures


def authenticate(
    session: Session,
    settings: Settings,
    keyring: Keyring,
    *,
    username: str,
    password: str,
    code: str,
    now: datetime,
) -> SignIn:
    """Check a sign-in. Failures carry `NotAuthenticated` (always the same) or `RateLimited`."""
    key = username_key(username)[:150]
    if _throttled(session, settings, key, now):
        record_event(
            session,
            actor="anonymous",
            action="auth.throttled",
            object_type="user",
            details={"username": username[:150]},
        )
        return SignIn(
            user=None,
            error=RateLimited(
                "too many failed sign-ins for this account; wait a minute and try again",
                retry_after=settings.login_window_seconds,
            ),
        )
    user = session.execute(select(User).where(User.username_key == key)).scalar_one_or_none()
    ok = passwords.verify_password(user.password_hash if user else None, password)
    reason = "password"
    if ok and user is not None and not user.active:
        ok, reason = False, "disabled"
    step = None
    if ok and user is not None and user.mfa_enrolled:
        assert user.totp_secret is not None  # noqa: S101 (mfa_enrolled says so)
        secret = keyring.open(user.totp_secret, "users", user.id, "totp_secret").decode()
        step = totp.accepted_step(secret, code, user.totp_last_step, now)
        if step is None:
            ok, reason = False, "code"
    if not ok or user is None:
        session.add(LoginFailure(username_key=key, at=now))
        record_event(
            session,
            actor="anonymous",
            action="auth.failed",
            object_type="user",
            object_id=user.id if user else "",
            details={"username": username[:150], "reason": reason},
        )
        return SignIn(user=None, error=NotAuthenticated(SIGN_IN_FAILED))
    if step is not None:
        user.totp_last_step = step
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    needs_setup = user.must_change_password or not user.mfa_enrolled
    record_event(
        session,
        actor=f"user:{user.id}",
        action="auth.signed_in",
        object_type="user",
        object_id=user.id,
        details={"setup_required": needs_setup},
    )
    return SignIn(user=user, needs_setup=needs_setup)


def change_password(
    session: Session, user: User, *, current: str, new: str, keep_session: str | None
) -> None:
    """Set a new password (policy checked); every other session and token of the user ends."""
    if not passwords.verify_password(user.password_hash, current):
        problem = "is not your current password"
        raise InvalidInput(
            f"the current password {problem}", [FieldError("current_password", problem)]
        )
    passwords.check_policy(new, "new_password")
    if passwords.verify_password(user.password_hash, new):
        problem = "must differ from the current one"
        raise InvalidInput(f"the new password {problem}", [FieldError("new_password", problem)])
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = False
    revoke_all(session, user.id, reason="password changed", keep=keep_session)
    record_event(
        session,
        actor=f"user:{user.id}",
        action="user.password_changed",
        object_type="user",
        object_id=user.id,
    )


def begin_mfa(session: Session, user: User, keyring: Keyring) -> str:
    """Store a new, not yet confirmed TOTP secret for `user` and return it for the QR code."""
    secret = totp.new_secret()
    user.totp_secret = keyring.seal(secret.encode(), "users", user.id, "totp_secret")
    user.mfa_enrolled_at = None
    user.totp_last_step = None
    session.flush()
    return secret


def pending_mfa_secret(user: User, keyring: Keyring) -> str | None:
    if user.totp_secret is None or user.mfa_enrolled_at is not None:
        return None
    return keyring.open(user.totp_secret, "users", user.id, "totp_secret").decode()


def confirm_mfa(
    session: Session,
    user: User,
    keyring: Keyring,
    code: str,
    now: datetime,
    keep_session: str | None,
) -> None:
    """Finish enrolment when `code` matches the pending secret; other sessions and tokens end."""
    secret = pending_mfa_secret(user, keyring)
    step = totp.accepted_step(secret, code, None, now) if secret else None
    if step is None:
        problem = "does not match; check the time on your device and enter the current code"
        raise InvalidInput(f"the code {problem}", [FieldError("code", problem)])
    user.totp_last_step = step
    user.mfa_enrolled_at = now
    revoke_all(session, user.id, reason="MFA enrolled", keep=keep_session)
    record_event(
        session,
        actor=f"user:{user.id}",
        action="user.mfa_enrolled",
        object_type="user",
        object_id=user.id,
    )


def reset_user(session: Session, user: User, actor: str) -> str:
    """Recovery: a new one-time password, MFA to enrol again, every session and token ended."""
    credential = one_time_password()
    user.password_hash = passwords.hash_password(credential)
    user.must_change_password = True
    user.totp_secret = None
    user.mfa_enrolled_at = None
    user.totp_last_step = None
    revoke_all(session, user.id, reason="account reset", keep=None)
    session.execute(delete(LoginFailure).where(LoginFailure.username_key == user.username_key))
    record_event(session, actor=actor, action="user.reset", object_type="user", object_id=user.id)
    return credential


def set_role(session: Session, user: User, role: Role, actor: str) -> None:
    old = user.role
    user.role = Role(role).value
    if old != user.role:
        revoke_all(session, user.id, reason="role changed", keep=None)
    record_event(
        session,
        actor=actor,
        action="user.role_changed",
        object_type="user",
        object_id=user.id,
        details={"from": old, "to": user.role},
    )


def set_disabled(session: Session, user: User, disabled: bool, actor: str, now: datetime) -> None:
    user.disabled_at = now if disabled else None
    if disabled:
        revoke_all(session, user.id, reason="account disabled", keep=None)
    record_event(
        session,
        actor=actor,
        action="user.disabled" if disabled else "user.enabled",
        object_type="user",
        object_id=user.id,
    )


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.username_key)).scalars())


def fresh_code(
    session: Session, settings: Settings, keyring: Keyring, user: User, code: str, now: datetime
) -> bool:
    """Check a code typed by a signed-in person (step-up), under the sign-in throttle.

    A wrong code counts as a failed sign-in for the account, so a stolen session or token cannot
    guess codes: after `login_max_failures` in the window, even the right code is refused.
    """
    if _throttled(session, settings, user.username_key, now):
        record_event(
            session,
            actor=f"user:{user.id}",
            action="auth.throttled",
            object_type="user",
            object_id=user.id,
            details={"during": "step-up"},
        )
        return False
    secret = (
        keyring.open(user.totp_secret, "users", user.id, "totp_secret").decode()
        if (user.mfa_enrolled and user.totp_secret is not None)
        else None
    )
    step = totp.accepted_step(secret, code, user.totp_last_step, now) if secret else None
    if step is None:
        session.add(LoginFailure(username_key=user.username_key, at=now))
        record_event(
            session,
            actor=f"user:{user.id}",
            action="auth.step_up_failed",
            object_type="user",
            object_id=user.id,
        )
        return False
    user.totp_last_step = step
    return True


def step_up(
    session: Session,
    settings: Settings,
    user: User,
    web_session: WebSession,
    keyring: Keyring,
    code: str,
    now: datetime,
) -> None:
    """A fresh MFA code for a signed-in session: authorises bulk exports for a few minutes."""
    if not fresh_code(session, settings, keyring, user, code, now):
        raise NotAuthenticated(
            "that code is not right, or too many codes were tried; wait a minute"
        )
    web_session.mfa_at = now
    record_event(
        session,
        actor=f"user:{user.id}",
        action="auth.stepped_up",
        object_type="session",
        object_id=web_session.id,
    )
