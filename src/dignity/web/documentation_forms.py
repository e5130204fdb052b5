"""Documentation forms: record an event, its acts with victims and alleged perpetrators, its
sources and interventions, and edit any record. Pages that only read are in `documentation`.

Here: the form of any record type, built from `fields.RECORD_TYPES` (`/records/{type}/new` for a
project, `/records/{type}/{id}/edit`); an event is recorded and changed with it. The act form
(act, victim and perpetrators at once) is in `documentation_forms_acts`, the source and
intervention forms of an event in `documentation_forms_event`.

Every form needs `records:write` and the session's CSRF token. A form that fails the checks comes
back with the values as typed and each message next to its field (422); an edit made from an
outdated revision comes back with the user's values, a message and a link to reload (409), and
changes nothing. After a save the user lands on what they saved.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

import dignity.web.documentation_shared  # noqa: F401 (template globals)
from dignity.api.auth import LiveSessionDep
from dignity.api.deps import SessionDep
from dignity.documentation import services as docs
from dignity.documentation.fields import RecordType
from dignity.documentation.models import Managed
from dignity.exc import Conflict, InvalidInput
from dignity.security.authz import Principal, visible_project
from dignity.security.projects import visible_projects
from dignity.security.sessions import LiveSession
from dignity.web.csrf import CsrfDep
from dignity.web.documentation_forms_common import (
    TYPE_TITLES,
    FormDep,
    choices_for,
    defaults,
    field_errors,
    record_shown,
    service_values,
    shown_values,
    text,
)
from dignity.web.documentation_shared import RecordId, WriterDep, record_url
from dignity.web.templating import render

router = APIRouter(prefix="/records", include_in_schema=False)

ProjectQuery = Annotated[str | None, Query(alias="project", max_length=64)]


def _lang(request: Request) -> str:
    language: str = request.app.state.settings.language
    return language


def _form_page(
    request: Request,
    session: Session,
    live: LiveSession,
    principal: Principal,
    kind: RecordType,
    project_id: str,
    values: dict[str, Any],
    *,
    record: Managed | None = None,
    errors: dict[str, list[str]] | None = None,
    error: str | None = None,
    conflict: bool = False,
    status: int = 200,
) -> HTMLResponse:
    lang = _lang(request)
    return render(
        request,
        "documentation/form.html",
        status=status,
        live=live,
        kind=kind,
        what=TYPE_TITLES.get(kind.name, kind.name),
        project=visible_project(session, principal, project_id),
        record=record,
        values=values,
        errors=errors or {},
        error=error,
        conflict=conflict,
        choices=choices_for(session, principal, project_id, [kind], lang),
        action=(
            f"/records/{kind.name}/{record.id}/edit"
            if record is not None
            else f"/records/{kind.name}/new?project={project_id}"
        ),
        back=record_url(kind.name, record.id) if record is not None else "/records",
    )


@router.get("/{type_name}/new", response_class=HTMLResponse)
def new_record_page(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    type_name: RecordId,
    project: ProjectQuery = None,
) -> HTMLResponse:
    """The empty form; without a project, the projects to choose from. Fields that refer to
    another record may be given in the address (`?event_id=...`) to start from it."""
    kind = docs.record_type(type_name)
    if project is None:
        return render(
            request,
            "documentation/form_project.html",
            live=live,
            kind=kind,
            what=TYPE_TITLES.get(kind.name, kind.name),
            projects=visible_projects(session, writer),
        )
    values: dict[str, Any] = defaults(kind)
    values.update(
        (field.name, request.query_params.get(field.name, "")[:64])
        for field in kind.fields
        if field.kind == "ref"
    )
    return _form_page(request, session, live, writer, kind, project, values)


@router.post("/{type_name}/new", response_class=HTMLResponse)
def create_record(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    form: FormDep,
    type_name: RecordId,
    project: ProjectQuery = None,
) -> Response:
    kind = docs.record_type(type_name)
    project_id = project or text(form, "project")
    visible_project(session, writer, project_id)
    shown = shown_values(kind, form)
    try:
        with session.begin_nested():
            record = docs.create_record(
                session, writer, kind.name, project_id, service_values(kind, shown)
            )
    except InvalidInput as problem:
        errors = field_errors(problem, act_type=shown.get("act_type", ""))
        message = f"The {TYPE_TITLES.get(kind.name, kind.name)} was not saved: see below."
        return _form_page(
            request,
            session,
            live,
            writer,
            kind,
            project_id,
            shown,
            errors=errors,
            error=message,
            status=422,
        )
    session.commit()
    return RedirectResponse(record_url(kind.name, record.id), status_code=303)


@router.get("/{type_name}/{record_id}/edit", response_class=HTMLResponse)
def edit_record_page(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    type_name: RecordId,
    record_id: RecordId,
) -> HTMLResponse:
    kind = docs.record_type(type_name)
    record = docs.get_record(session, writer, kind.name, record_id)
    values = {**record_shown(kind, record), "revision": str(record.revision)}
    return _form_page(
        request, session, live, writer, kind, record.project_id, values, record=record
    )


@router.post("/{type_name}/{record_id}/edit", response_class=HTMLResponse)
def update_record(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    form: FormDep,
    type_name: RecordId,
    record_id: RecordId,
) -> Response:
    kind = docs.record_type(type_name)
    record = docs.get_record(session, writer, kind.name, record_id)
    shown = {**shown_values(kind, form), "revision": text(form, "revision")}
    revision = int(shown["revision"]) if shown["revision"].isdigit() else -1
    try:
        with session.begin_nested():
            docs.update_record(
                session,
                writer,
                kind.name,
                record.id,
                revision=revision,
                values=service_values(kind, shown, creating=False),
            )
    except (InvalidInput, Conflict) as problem:
        record = docs.get_record(session, writer, kind.name, record_id)
        what = TYPE_TITLES.get(kind.name, kind.name)
        if isinstance(problem, Conflict):
            message = (
                f"Not saved: someone else changed this {what} since you opened the form (it is "
                f"now at revision {record.revision}). Your values are below, unsaved; reload the "
                "form to see the current ones, then make your change again."
            )
            errors: dict[str, list[str]] = {}
        else:
            message = f"The {what} was not saved: see below."
            errors = field_errors(problem, act_type=shown.get("act_type", ""))
        return _form_page(
            request,
            session,
            live,
            writer,
            kind,
            record.project_id,
            shown,
            record=record,
            errors=errors,
            error=message,
            conflict=isinstance(problem, Conflict),
            status=409 if isinstance(problem, Conflict) else 422,
        )
    session.commit()
    return RedirectResponse(record_url(kind.name, record.id), status_code=303)
