"""Projects (case files) and their members."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.exc import Conflict, FieldError, InvalidInput, NotFound
from dignity.security.authz import Principal, project_filter
from dignity.security.models import Project, ProjectMember, User


def create_project(session: Session, name: str, description: str, actor: str) -> Project:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("the project needs a name", [FieldError("name", "1 to 200 characters")])
    if session.execute(select(Project.id).where(Project.name == name)).first():
        raise Conflict(f"a project named {name!r} already exists")
    project = Project(name=name, description=description.strip(), created_by=actor)
    session.add(project)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="project.created",
        object_type="project",
        object_id=project.id,
        details={"name": name},
    )
    return project


def add_member(session: Session, project: Project, user: User, actor: str) -> None:
    if session.get(ProjectMember, (project.id, user.id)) is not None:
        return
    session.add(ProjectMember(project_id=project.id, user_id=user.id, added_by=actor))
    session.flush()
    record_event(
        session,
        actor=actor,
        action="project.member_added",
        object_type="project",
        object_id=project.id,
        details={"user": user.id},
    )


def remove_member(session: Session, project: Project, user_id: str, actor: str) -> None:
    removed = session.execute(
        delete(ProjectMember).where(
            ProjectMember.project_id == project.id, ProjectMember.user_id == user_id
        )
    ).rowcount  # type: ignore[attr-defined]
    if not removed:
        raise NotFound("that person is not a member of the project")
    record_event(
        session,
        actor=actor,
        action="project.member_removed",
        object_type="project",
        object_id=project.id,
        details={"user": user_id},
    )


def visible_projects(session: Session, principal: Principal) -> list[Project]:
    return list(
        session.execute(
            select(Project).where(project_filter(principal, Project.id)).order_by(Project.name)
        ).scalars()
    )


def count_visible_projects(session: Session, principal: Principal) -> int:
    return session.execute(
        select(func.count()).select_from(Project).where(project_filter(principal, Project.id))
    ).scalar_one()


def members(session: Session, project: Project) -> list[User]:
    return list(
        session.execute(
            select(User)
            .join(ProjectMember, ProjectMember.user_id == User.id)
            .where(ProjectMember.project_id == project.id)
            .order_by(User.username_key)
        ).scalars()
    )
