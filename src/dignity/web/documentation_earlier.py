"""Before an interview: look for earlier testimony by the same person (Murad Code: fewer
interviews). Need-to-know only (names come from the identity vault); the name is posted, never put
in an address, and the search is audited without it. Everyone else gets "not found".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

import dignity.documentation.services as docs
from dignity.api.auth import LiveSessionDep
from dignity.api.deps import SessionDep
from dignity.exc import InvalidInput, NotFound
from dignity.security.authz import Principal
from dignity.security.projects import visible_projects
from dignity.security.sessions import LiveSession
from dignity.web.csrf import CsrfDep
from dignity.web.documentation_shared import ReaderDep
from dignity.web.templating import render

router = APIRouter(prefix="/records/interview-check", include_in_schema=False)


def _page(
    request: Request,
    session: Session,
    live: LiveSession,
    reader: Principal,
    *,
    name: str = "",
    project: str = "",
    found: list[docs.Candidate] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    if not docs.may_see_identities(reader):
        raise NotFound("no such page")
    return render(
        request,
        "documentation/interview_check.html",
        status=status,
        live=live,
        projects=visible_projects(session, reader),
        name=name,
        project=project,
        found=found,
        error=error,
        is_testimony=docs.is_testimony,
    )


@router.get("", response_class=HTMLResponse)
def check_form(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
) -> HTMLResponse:
    return _page(request, session, live, reader)


@router.post("", response_class=HTMLResponse)
def check(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    name: Annotated[str, Form(max_length=300)] = "",
    project: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    if not docs.may_see_identities(reader):
        raise NotFound("no such page")
    try:
        found = docs.earlier_testimony(
            session, reader, request.app.state.keyring, name, project_id=project or None
        )
    except InvalidInput:
        return _page(
            request,
            session,
            live,
            reader,
            project=project,
            error="Type the name the person gives.",
            status=422,
        )
    return _page(request, session, live, reader, name=name, project=project, found=found)
