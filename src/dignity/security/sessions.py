"""Server-side staff sessions (SECURITY.md items 17-21).

The browser holds a 256-bit random token; the store keeps only its keyed hash. A session ends at
sign-out, after `session_idle_minutes` without a request, `session_max_hours` after sign-in, and on
every security event of its user (password or MFA change, reset, role change, disabling), which also
revokes the user's personal API tokens.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.security.models import ApiToken, User, WebSession
from dignity.security.tokens import new_token, token_digest
from dignity.settings import Settings

SETUP = "setup"
ACTIVE = "active"
# Last-seen times are written at most this often, to keep request handling light.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class LiveSession:
    web_session: WebSession
    user: User

    @property
    def fully_signed_in(self) -> bool:
        return self.web_session.state == ACTIVE


def start_session(
    session: Session, settings: Settings, user: User, state: str, now: datetime
) -> tuple[WebSession, str]:
    """A new session for `user` and the token to put in the cookie (shown nowhere else)."""
    token = new_token()
    web_session = WebSession(
        user_id=user.id,
        token_hash=token_digest(token, settings.secret_key.get_secret_value()),
        state=state,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_max_hours),
        mfa_at=now if state == ACTIVE else None,
    )
    session.add(web_session)
    session.flush()
    return web_session, token


def resolve_session(
    session: Session, settings: Settings, token: str, now: datetime
) -> LiveSession | None:
    """The live session for a cookie token, or None when it is unknown, revoked or timed out."""
    if not token or len(token) > 100:
        return None
    digest = token_digest(token, settings.secret_key.get_secret_value())
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == digest)
    ).first()
    if row is None:
        return None
    web_session, user = row
    idle_limit = web_session.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if (
        web_session.revoked_at is not None
        or now >= web_session.expires_at
        or now >= idle_limit
        or not user.active
    ):
        return None
    return LiveSession(web_session, user)


def needs_touch(web_session: WebSession, now: datetime) -> bool:
    return now - web_session.last_seen_at >= TOUCH_EVERY


def touch(session: Session, session_id: str, now: datetime) -> None:
    session.execute(update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now))


def end_session(session: Session, web_session: WebSession, now: datetime, reason: str) -> None:
    web_session.revoked_at = now
    record_event(
        session,
        actor=f"user:{web_session.user_id}",
        action="session.ended",
        object_type="session",
        object_id=web_session.id,
        details={"reason": reason},
    )


def revoke_all(session: Session, user_id: str, *, reason: str, keep: str | None) -> int:
    """End every live session of a user (but `keep`) and revoke their personal API tokens."""
    now = datetime.now(UTC)
    query = update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(WebSession.id != keep)
    ended = session.execute(query.values(revoked_at=now)).rowcount or 0  # type: ignore[attr-defined]
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    record_event(
        session,
        actor="system",
        action="session.revoked_all",
        object_type="user",
        object_id=user_id,
        details={"reason": reason, "sessions": ended},
    )
    return ended


def live_sessions(
    session: Session, settings: Settings, user_id: str, now: datetime
) -> list[WebSession]:
    idle_since = now - timedelta(minutes=settings.session_idle_minutes)
    return list(
        session.execute(
            select(WebSession)
            .where(
                WebSession.user_id == user_id,
                WebSession.revoked_at.is_(None),
                WebSession.expires_at > now,
                WebSession.last_seen_at > idle_since,
            )
            .order_by(WebSession.created_at.desc())
        ).scalars()
    )


def promote(session: Session, web_session: WebSession, settings: Settings, now: datetime) -> str:
    """After setup: replace the setup session by a full one (a new token: rotation at sign-in)."""
    web_session.revoked_at = now
    user = session.get(User, web_session.user_id)
    assert user is not None  # noqa: S101 (sessions belong to users)
    _, token = start_session(session, settings, user, ACTIVE, now)
    return token


def csrf_token(settings: Settings, web_session: WebSession) -> str:
    """The form token bound to this session (derived, so nothing more is stored)."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"csrf|" + web_session.token_hash.encode(), "sha256").hexdigest()
