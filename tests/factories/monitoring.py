"""Teams, reviewers and portfolios for monitoring tests, made through the real services."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from dignity.screening.monitoring.models import Portfolio
from dignity.screening.monitoring.subjects import create_portfolio
from dignity.security import apitokens
from dignity.security.authz import Principal, user_principal
from dignity.security.models import Project, User
from dignity.security.permissions import Role
from dignity.security.projects import add_member, create_project
from dignity.settings import Settings
from factories.security import quick_account


def team(session: Session, name: str) -> Project:
    return create_project(session, name, "", actor="test")


def reviewer(
    session: Session, username: str, project: Project | None, role: Role = Role.SCREENING_OFFICER
) -> Principal:
    """A signed-in staff member of `project` (none: of no team)."""
    account = quick_account(session, None, username, role, mfa=False)  # type: ignore[arg-type]
    user = session.get(User, account.id)
    assert user is not None
    if project is not None:
        add_member(session, project, user, actor="test")
    return user_principal(user.id, user.username, user.role, None)


def portfolio(
    session: Session, principal: Principal, project: Project, name: str = "Customers", **options
) -> Portfolio:
    return create_portfolio(session, principal, name=name, project_id=project.id, **options)


def personal_token(
    session: Session,
    settings: Settings,
    principal: Principal,
    scopes: tuple[str, ...] = ("screening:read", "screening:write"),
) -> dict[str, str]:
    """Headers carrying a personal API token of `principal` with `scopes`."""
    user = session.get(User, principal.id)
    _, secret = apitokens.issue_token(
        session,
        settings,
        scopes=list(scopes),
        expires_days=1,
        actor="test",
        now=datetime.now(UTC),
        user=user,
    )
    session.commit()
    return {"Authorization": f"Bearer {secret}"}
