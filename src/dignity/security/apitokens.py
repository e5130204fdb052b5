"""API clients: service accounts with scoped, expiring, revocable bearer tokens.

A token is shown once when issued; the store keeps its keyed hash and its first characters (to tell
tokens apart in lists). Staff can also hold personal tokens, issued only after password and MFA.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.exc import Conflict, FieldError, InvalidInput, NotFound
from dignity.security.authz import Principal
from dignity.security.models import ApiToken, ServiceAccount, User
from dignity.security.permissions import TOKEN_SCOPES, Permission, permissions_for
from dignity.security.tokens import new_token, token_digest
from dignity.settings import Settings

TOKEN_PREFIX = "dgt_"  # noqa: S105 (a public marker, not a secret)
MAX_DAYS = 366
# A personal token may also carry what staff do through the API itself (create projects, export the
# audit log with a fresh MFA code, maintain manual designations); it still never exceeds its
# owner's role (`resolve_token`).
# Service accounts get `TOKEN_SCOPES` only.
PERSONAL_SCOPES = TOKEN_SCOPES | {
    Permission.PROJECTS_MANAGE,
    Permission.REGISTRY_WRITE,
    Permission.RECORDS_WRITE,
    Permission.AUDIT_READ,
    Permission.EXPORT_BULK,
    # Who a person is, for staff whose role has need-to-know (never for service accounts).
    Permission.IDENTITIES_READ,
    Permission.IDENTITIES_WRITE,
}


def _scopes(scopes: list[str], offered: frozenset[Permission]) -> frozenset[Permission]:
    allowed = {scope.value for scope in offered}
    unknown = [scope for scope in scopes if scope not in allowed]
    if unknown or not scopes:
        problem = f"unknown scope {unknown[0]!r}" if unknown else "at least one scope is needed"
        raise InvalidInput(
            f"{problem}; scopes: {', '.join(sorted(allowed))}", [FieldError("scope", problem)]
        )
    return frozenset(Permission(scope) for scope in scopes)


def create_service_account(session: Session, name: str, actor: str) -> ServiceAccount:
    name = name.strip()
    if not 1 <= len(name) <= 150:
        raise InvalidInput("the client needs a name", [FieldError("name", "1 to 150 characters")])
    if session.execute(select(ServiceAccount.id).where(ServiceAccount.name == name)).first():
        raise Conflict(f"an API client named {name!r} already exists")
    account = ServiceAccount(name=name, created_by=actor)
    session.add(account)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="client.created",
        object_type="service_account",
        object_id=account.id,
        details={"name": name},
    )
    return account


def find_service_account(session: Session, name: str) -> ServiceAccount | None:
    return session.execute(
        select(ServiceAccount).where(ServiceAccount.name == name.strip())
    ).scalar_one_or_none()


def issue_token(
    session: Session,
    settings: Settings,
    *,
    scopes: list[str],
    expires_days: int | None,
    actor: str,
    now: datetime,
    service_account: ServiceAccount | None = None,
    user: User | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token for a service account or (personal) a user; returns it and its secret."""
    granted = _scopes(scopes, PERSONAL_SCOPES if user is not None else TOKEN_SCOPES)
    if expires_days is not None and not 1 <= expires_days <= MAX_DAYS:
        raise InvalidInput(
            f"tokens expire after 1 to {MAX_DAYS} days", [FieldError("expires", "out of range")]
        )
    if (service_account is None) == (user is None):
        raise InvalidInput("a token belongs to exactly one client or user")
    secret = new_token(TOKEN_PREFIX)
    token = ApiToken(
        token_hash=token_digest(secret, settings.secret_key.get_secret_value()),
        hint=secret[: len(TOKEN_PREFIX) + 6],
        service_account_id=service_account.id if service_account else None,
        user_id=user.id if user else None,
        scopes=" ".join(sorted(scope.value for scope in granted)),
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    session.add(token)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="token.issued",
        object_type="api_token",
        object_id=token.id,
        details={
            "owner": f"service:{service_account.id}"
            if service_account
            else f"user:{token.user_id}",
            "scopes": token.scopes,
            "expires_at": token.expires_at,
        },
    )
    return token, secret


def resolve_token(
    session: Session, settings: Settings, secret: str, now: datetime
) -> Principal | None:
    """The principal behind a bearer token, or None when unknown, revoked, expired or disabled."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    digest = token_digest(secret, settings.secret_key.get_secret_value())
    token = session.execute(
        select(ApiToken).where(ApiToken.token_hash == digest)
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and now >= token.expires_at:
        return None
    scopes = frozenset(Permission(scope) for scope in token.scope_set)
    if token.service_account_id is not None:
        account = session.get(ServiceAccount, token.service_account_id)
        if account is None or account.disabled_at is not None:
            return None
        return Principal("service", account.id, account.name, None, scopes)
    user = session.get(User, token.user_id) if token.user_id else None
    if user is None or not user.active:
        return None
    # A personal token never grants more than its owner's role allows today.
    return Principal("user", user.id, user.username, user.role, scopes & permissions_for(user.role))


def revoke_token(session: Session, token_id: str, actor: str, now: datetime) -> None:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("no such token")
    if token.revoked_at is None:
        token.revoked_at = now
        record_event(
            session,
            actor=actor,
            action="token.revoked",
            object_type="api_token",
            object_id=token.id,
        )


def list_tokens(session: Session) -> list[tuple[ApiToken, str]]:
    """Every token with the name of its owner, newest first."""
    rows = session.execute(
        select(ApiToken, ServiceAccount.name, User.username)
        .outerjoin(ServiceAccount, ServiceAccount.id == ApiToken.service_account_id)
        .outerjoin(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.created_at.desc())
    ).all()
    return [(token, client or f"{person} (personal)") for token, client, person in rows]
