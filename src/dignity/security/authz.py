"""Authorization: who is asking, what they may do, and which rows they may see (items 23-26).

Deny by default. Every object-level check answers exactly as for a missing id (`NotFound`), and
the same row filter (`project_filter`) serves lists, counts, search and exports, so what a caller
may not see leaves no trace in any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from dignity.exc import NotFound, PermissionDenied
from dignity.security.models import Project, ProjectMember
from dignity.security.permissions import Permission, Role, permissions_for


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a signed-in staff member or an API client."""

    kind: str  # "user", "service", or "operator" (the account running a command on the server)
    id: str
    name: str
    role: str | None
    permissions: frozenset[Permission]
    # Set for web sessions: the session id (for step-up and session-bound checks).
    session_id: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def is_admin(self) -> bool:
        return self.kind in ("user", "operator") and self.role == Role.ADMIN

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise PermissionDenied(f"this needs the {permission.value} permission")


def user_principal(user_id: str, username: str, role: str, session_id: str | None) -> Principal:
    return Principal("user", user_id, username, role, permissions_for(role), session_id)


def operator_principal(name: str) -> Principal:
    """Whoever runs a command on the server: they hold the store and its keys, so every right."""
    return Principal("operator", name, name, Role.ADMIN, permissions_for(Role.ADMIN))


def project_filter(
    principal: Principal, project_column: InstrumentedAttribute[str]
) -> ColumnElement[bool]:
    """The row filter for anything that belongs to a project: the projects the caller is in.

    Admins see every project; staff see the projects they are members of; API clients see none
    (project records are not for machine clients until a capability says otherwise).
    """
    if principal.is_admin:
        return true()
    if principal.kind != "user":
        return false()
    member_of = select(ProjectMember.project_id).where(ProjectMember.user_id == principal.id)
    return project_column.in_(member_of)


def visible_project(session: Session, principal: Principal, project_id: str) -> Project:
    """The project if the caller may see it; otherwise `NotFound`, as for a missing id."""
    project = session.execute(
        select(Project).where(Project.id == project_id, project_filter(principal, Project.id))
    ).scalar_one_or_none()
    if project is None:
        raise NotFound("no such project")
    return project
