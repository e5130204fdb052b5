"""Pages of the foundation: the home page with the state of the system, and the API docs."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from dignity.api.auth import LiveSessionDep, WebUserDep
from dignity.api.deps import SessionDep
from dignity.audit.checkpoints import Checkpoint
from dignity.audit.services import latest_checkpoint, log_size
from dignity.security.projects import visible_projects
from dignity.store.migrate import current_revision, head_revision
from dignity.web.templating import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class SystemStatus:
    backend: str
    schema: str | None
    schema_head: str | None
    audit_entries: int
    checkpoint: Checkpoint | None

    @property
    def schema_current(self) -> bool:
        return self.schema == self.schema_head


def system_status(session: Session) -> SystemStatus:
    connection = session.connection()
    return SystemStatus(
        backend=connection.dialect.name,
        schema=current_revision(connection),
        schema_head=head_revision(),
        audit_entries=log_size(session),
        checkpoint=latest_checkpoint(session),
    )


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, session: SessionDep, principal: WebUserDep, live: LiveSessionDep
) -> HTMLResponse:
    return render(
        request,
        "home.html",
        live=live,
        status_info=system_status(session),
        projects=visible_projects(session, principal),
    )


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    return render(request, "docs.html")
