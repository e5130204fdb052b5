"""Manual list pages: create a manual list, see its designations, add, edit and retire them.

Reading needs `registry:read`; every form needs `registry:write` and the session's CSRF token. A
form that fails the checks comes back with the values as typed and each message next to its field
(status 422); a change made from an outdated page comes back with a message (status 409).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from dignity.api.auth import LiveSessionDep, web_permission
from dignity.api.deps import SessionDep
from dignity.api.routers.manual import rescreen_after
from dignity.exc import Conflict, InvalidInput
from dignity.registry import manual
from dignity.registry.manual_fields import MAX, SCHEMATA
from dignity.registry.models import ManualDesignation, SourceList
from dignity.registry.services import current_version
from dignity.security.authz import Principal
from dignity.security.permissions import Permission
from dignity.security.sessions import LiveSession
from dignity.vocab.programs import vocabulary
from dignity.web.csrf import CsrfDep
from dignity.web.templating import render

router = APIRouter(prefix="/registry/manual", include_in_schema=False)

ReaderDep = Annotated[Principal, Depends(web_permission(Permission.REGISTRY_READ))]
WriterDep = Annotated[Principal, Depends(web_permission(Permission.REGISTRY_WRITE))]
# Room for what people paste; the exact limits and their messages are the service's.
FormText = Annotated[str, Field(max_length=20000)]


class ListForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: FormText = ""
    title: FormText = ""
    publisher: FormText = ""
    source_url: FormText = ""


class DesignationForm(BaseModel):
    """The designation form: lists are typed one value a line."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    schema_: FormText = Field("Person", alias="schema")
    name: FormText = ""
    aliases: FormText = ""
    birth_date: FormText = ""
    nationality: FormText = ""
    country: FormText = ""
    position: FormText = ""
    identifiers: FormText = ""
    program: FormText = ""
    authority: FormText = ""
    reason: FormText = ""
    source_url: FormText = ""
    source_date: FormText = ""
    listing_date: FormText = ""
    revision: int | None = None

    def to_input(self) -> manual.DesignationInput:
        values: dict[str, Any] = self.model_dump(exclude={"revision", "schema_"})
        for name in manual.LIST_FIELDS:
            values[name] = tuple(line for line in values[name].splitlines() if line.strip())
        return manual.DesignationInput(schema=self.schema_, **values)


def _form_values(data: manual.DesignationInput) -> dict[str, str]:
    """What the form's fields show for `data`: lists one value a line."""
    return {
        name: "\n".join(value) if name in manual.LIST_FIELDS else str(value)
        for name in manual.FIELDS
        if (value := getattr(data, name)) is not None
    }


def _errors(error: InvalidInput) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in error.errors:
        found.setdefault(problem.field, []).append(problem.message)
    return found


def _programs(source: SourceList) -> list[tuple[str, str]]:
    entry = vocabulary().publishers.get(source.publisher)
    return sorted((code, p.title) for code, p in entry.programs.items()) if entry else []


def _form_page(
    request: Request,
    live: LiveSession,
    source: SourceList,
    values: dict[str, str],
    *,
    designation: ManualDesignation | None = None,
    errors: dict[str, list[str]] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "registry/manual_form.html",
        status=status,
        live=live,
        source=source,
        designation=designation,
        entity_id=manual.entity_id_of(designation) if designation else None,
        values=values,
        errors=errors or {},
        error=error,
        schemata=SCHEMATA,
        programs=_programs(source),
        default_authority=vocabulary().authority(source.publisher) or "",
        limits=MAX,
    )


def _list_url(list_id: str, saved: str | None = None) -> str:
    return f"/registry/manual/{list_id}" + (f"?saved={saved}" if saved else "")


def _lists_page(
    request: Request,
    session: Session,
    live: LiveSession,
    principal: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    rows = [(s, current_version(session, s.id)) for s in manual.manual_lists(session)]
    return render(
        request,
        "registry/manual_lists.html",
        status=status,
        live=live,
        rows=rows,
        can_write=principal.can(Permission.REGISTRY_WRITE),
        publishers=sorted(vocabulary().publishers),
        values=values or {},
        errors=errors or {},
        error=error,
    )


@router.get("", response_class=HTMLResponse)
def lists_page(
    request: Request, session: SessionDep, reader: ReaderDep, live: LiveSessionDep
) -> HTMLResponse:
    return _lists_page(request, session, live, reader)


@router.post("", response_class=HTMLResponse)
def create_list(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    form: Annotated[ListForm, Form()],
) -> Response:
    try:
        source = manual.create_manual_list(session, **form.model_dump(), actor=writer.actor)
    except InvalidInput as error:
        return _lists_page(
            request,
            session,
            live,
            writer,
            values=form.model_dump(),
            errors=_errors(error),
            error=error.message,
            status=422,
        )
    except Conflict as error:
        errors = {"name": [error.message]}
        return _lists_page(
            request,
            session,
            live,
            writer,
            values=form.model_dump(),
            errors=errors,
            error=error.message,
            status=409,
        )
    session.commit()
    return RedirectResponse(_list_url(source.id), status_code=303)


@router.get("/{list_id}", response_class=HTMLResponse)
def list_page(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    list_id: str,
    saved: Annotated[str | None, Query(max_length=36)] = None,
) -> HTMLResponse:
    source = manual.manual_list(session, list_id)
    designations = manual.list_designations(session, list_id, include_retired=True)
    return render(
        request,
        "registry/manual_list.html",
        live=live,
        source=source,
        list_version=current_version(session, list_id),
        current=[d for d in designations if not d.retired],
        retired=[d for d in designations if d.retired],
        saved=next((d for d in designations if d.id == saved), None),
        entity_id=manual.entity_id_of,
        can_write=reader.can(Permission.REGISTRY_WRITE),
    )


@router.get("/{list_id}/designations/new", response_class=HTMLResponse)
def new_designation_page(
    request: Request, session: SessionDep, _writer: WriterDep, live: LiveSessionDep, list_id: str
) -> HTMLResponse:
    source = manual.manual_list(session, list_id)
    # Most lists hold one program: start from the one used last, or the publisher's only one.
    latest = manual.list_designations(session, list_id, include_retired=True)
    programs = _programs(source)
    program = max(latest, key=lambda d: d.created_at).program if latest else ""
    if not program and len(programs) == 1:
        program = programs[0][0]
    return _form_page(request, live, source, {"schema": "Person", "program": program})


@router.post("/{list_id}/designations", response_class=HTMLResponse)
def add_designation(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    list_id: str,
    form: Annotated[DesignationForm, Form()],
) -> Response:
    source = manual.manual_list(session, list_id)
    data = form.to_input()
    try:
        change = manual.add_designation(session, list_id, data, actor=writer.actor)
    except InvalidInput as error:
        values = _form_values(data)
        return _form_page(
            request, live, source, values, errors=_errors(error), error=error.message, status=422
        )
    rescreen_after(request, session, writer, change)
    session.commit()
    return RedirectResponse(_list_url(list_id, change.designation.id), status_code=303)


@router.get("/{list_id}/designations/{designation_id}", response_class=HTMLResponse)
def designation_page(
    request: Request,
    session: SessionDep,
    _writer: WriterDep,
    live: LiveSessionDep,
    list_id: str,
    designation_id: str,
) -> HTMLResponse:
    source = manual.manual_list(session, list_id)
    designation = manual.get_designation(session, list_id, designation_id)
    values = _form_values(manual.input_of(designation))
    return _form_page(request, live, source, values, designation=designation)


@router.post("/{list_id}/designations/{designation_id}", response_class=HTMLResponse)
def edit_designation(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    list_id: str,
    designation_id: str,
    form: Annotated[DesignationForm, Form()],
) -> Response:
    source = manual.manual_list(session, list_id)
    designation = manual.get_designation(session, list_id, designation_id)
    data = form.to_input()
    try:
        change = manual.edit_designation(
            session, list_id, designation_id, data, actor=writer.actor, revision=form.revision
        )
    except (InvalidInput, Conflict) as error:
        invalid = isinstance(error, InvalidInput)
        values = _form_values(data)
        values["revision"] = str(form.revision or "")  # still the one the page was made from
        return _form_page(
            request,
            live,
            source,
            values,
            designation=designation,
            errors=_errors(error) if isinstance(error, InvalidInput) else None,
            error=error.message,
            status=422 if invalid else 409,
        )
    rescreen_after(request, session, writer, change)
    session.commit()
    return RedirectResponse(_list_url(list_id, designation_id), status_code=303)


@router.post("/{list_id}/designations/{designation_id}/retire", response_class=HTMLResponse)
def retire_designation(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    list_id: str,
    designation_id: str,
    retire_reason: Annotated[str, Form(max_length=20000)] = "",
    revision: Annotated[int | None, Form()] = None,
) -> Response:
    source = manual.manual_list(session, list_id)
    designation = manual.get_designation(session, list_id, designation_id)
    try:
        change = manual.retire_designation(
            session,
            list_id,
            designation_id,
            reason=retire_reason,
            actor=writer.actor,
            revision=revision,
        )
    except (InvalidInput, Conflict) as error:
        invalid = isinstance(error, InvalidInput)
        values = _form_values(manual.input_of(designation))
        values["retire_reason"] = retire_reason
        values["revision"] = str(revision or "")
        return _form_page(
            request,
            live,
            source,
            values,
            designation=designation,
            errors={"retire_reason": [e.message for e in error.errors]}
            if isinstance(error, InvalidInput)
            else None,
            error=error.message,
            status=422 if invalid else 409,
        )
    rescreen_after(request, session, writer, change)
    session.commit()
    return RedirectResponse(_list_url(list_id, designation_id), status_code=303)
