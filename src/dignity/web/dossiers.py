"""Perpetrator pages: a project's alleged perpetrators against the registry (the accountability
gap), one perpetrator with each designation, and linking them to registry entities by hand or by
screening them all in one action.

Reading needs `records:read` (and `registry:read`, which every role has); linking `records:write`;
screening `screening:write` and sight of identities, since names come from the identity vault.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dignity.api.auth import LiveSessionDep
from dignity.api.deps import SessionDep
from dignity.documentation import services as docs
from dignity.dossiers import services as dossiers
from dignity.exc import Conflict, InvalidInput
from dignity.screening.score import DEFAULT_THRESHOLD
from dignity.screening.services import IndexCache
from dignity.security.authz import Principal
from dignity.security.permissions import Permission
from dignity.security.projects import visible_projects
from dignity.security.sessions import LiveSession
from dignity.web.csrf import CsrfDep
from dignity.web.documentation_shared import ReaderDep, RecordId, WriterDep
from dignity.web.templating import render

router = APIRouter(prefix="/perpetrators", include_in_schema=False)

SHOWN = ("all", "gap", "nowhere")
NOTICES = {
    "linked": "The link was saved: the perpetrator's designations are shown below.",
    "unlinked": "The link was removed.",
}


def _index(request: Request, session: Session) -> Any:
    cache: IndexCache = request.app.state.screening_index
    return cache.get(session)


def _may_screen(principal: Principal) -> bool:
    return principal.can(Permission.SCREENING_WRITE) and docs.may_see_identities(principal)


def _gap_page(
    request: Request,
    session: Session,
    live: LiveSession,
    principal: Principal,
    project_id: str | None,
    *,
    shown: str = "all",
    screened: list[dossiers.Screened] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> HTMLResponse:
    projects = visible_projects(session, principal)
    if project_id is None and projects:
        project_id = projects[0].id
    gap = dossiers.accountability_gap(session, principal, project_id) if project_id else None
    rows = []
    if gap is not None:
        rows = {
            "all": gap.perpetrators,
            "gap": [p for p in gap.perpetrators if gap.missing(p)],
            "nowhere": gap.designated_nowhere,
        }[shown]
    return render(
        request,
        "dossiers/perpetrators.html",
        live=live,
        projects=projects,
        project_id=project_id,
        gap=gap,
        rows=rows,
        shown=shown,
        screened={s.person.id: s for s in screened or []},
        threshold=threshold,
        may_screen=_may_screen(principal),
    )


@router.get("", response_class=HTMLResponse)
def perpetrators_page(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    project: Annotated[str | None, Query(max_length=64)] = None,
    shown: Annotated[str, Query(pattern="^(all|gap|nowhere)$")] = "all",
) -> HTMLResponse:
    return _gap_page(request, session, live, reader, project, shown=shown)


@router.post("/screen", response_class=HTMLResponse)
def screen_all(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    project: Annotated[str, Form(max_length=64)],
    threshold: Annotated[float, Form(ge=0, le=1)] = DEFAULT_THRESHOLD,
) -> HTMLResponse:
    """Screen every perpetrator of the project; the page lists what each one matched."""
    screened = dossiers.screen_perpetrators(
        session,
        writer,
        request.app.state.keyring,
        _index(request, session),
        project,
        threshold=threshold,
    )
    return _gap_page(
        request, session, live, writer, project, screened=screened, threshold=threshold
    )


def _person_page(
    request: Request,
    session: Session,
    live: LiveSession,
    principal: Principal,
    person_id: str,
    *,
    done: str | None = None,
    error: str | None = None,
    entity_id: str = "",
    screened: dossiers.Screened | None = None,
    status: int = 200,
) -> HTMLResponse:
    found, gap = dossiers.perpetrator(session, principal, person_id)
    return render(
        request,
        "dossiers/perpetrator.html",
        status=status,
        live=live,
        found=found,
        gap=gap,
        notice=NOTICES.get(done or ""),
        error=error,
        entity_id=entity_id,
        screened=screened,
        can_write=principal.can(Permission.RECORDS_WRITE),
        may_screen=_may_screen(principal),
    )


@router.get("/{person_id}", response_class=HTMLResponse)
def perpetrator_page(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    person_id: RecordId,
    done: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    return _person_page(request, session, live, reader, person_id, done=done)


@router.post("/{person_id}/screen", response_class=HTMLResponse)
def screen_one(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    person_id: RecordId,
) -> HTMLResponse:
    person = docs.get_record(session, writer, "persons", person_id)
    screened = dossiers.screen_perpetrators(
        session,
        writer,
        request.app.state.keyring,
        _index(request, session),
        person.project_id,
        person_ids=[person.id],
    )
    return _person_page(
        request, session, live, writer, person_id, screened=screened[0] if screened else None
    )


@router.post("/{person_id}/links", response_class=HTMLResponse)
def add_link(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    person_id: RecordId,
    entity_id: Annotated[str, Form(max_length=200)] = "",
    method: Annotated[str, Form(max_length=16)] = "manual",
    score: Annotated[float | None, Form(ge=0, le=1)] = None,
    note: Annotated[str, Form(max_length=dossiers.NOTE_MAX)] = "",
) -> Response:
    try:
        with session.begin_nested():
            dossiers.link(
                session,
                writer,
                person_id,
                entity_id.strip(),
                method=method,
                score=score,
                note=note,
            )
    except (InvalidInput, Conflict) as problem:
        message = (
            "; ".join(f"{e.message}" for e in problem.errors)
            if isinstance(problem, InvalidInput)
            else str(problem)
        )
        return _person_page(
            request,
            session,
            live,
            writer,
            person_id,
            error=message,
            entity_id=entity_id,
            status=422 if isinstance(problem, InvalidInput) else 409,
        )
    session.commit()
    return RedirectResponse(f"/perpetrators/{person_id}?done=linked", 303)


@router.post("/{person_id}/links/{entity_id}/delete")
def remove_link(
    session: SessionDep,
    writer: WriterDep,
    _csrf: CsrfDep,
    person_id: RecordId,
    entity_id: Annotated[str, RecordId],
) -> Response:
    dossiers.unlink(session, writer, person_id, entity_id)
    session.commit()
    return RedirectResponse(f"/perpetrators/{person_id}?done=unlinked", 303)
