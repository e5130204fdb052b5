"""The act form: one act of an event with its victim and its alleged perpetrators, in one go.

The victim is a person of the project (chosen by code) or a new one described without a name;
each perpetrator row is a person chosen or described, with the degree of involvement. Everything
is saved in one transaction or nothing is: every problem of every part comes back at once, named
by its input (`victim.age_min`, `perpetrators.1.degree`). "Add another perpetrator" posts the form
back with one more row (documentation.js adds it in the page instead); "Save and add another act"
comes back to an empty form saying which act was saved.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from dignity.api.auth import LiveSessionDep
from dignity.api.deps import SessionDep
from dignity.documentation import services as docs
from dignity.documentation.fields import RECORD_TYPES
from dignity.documentation.models import Event
from dignity.exc import InvalidInput, NotFound
from dignity.security.authz import Principal
from dignity.security.sessions import LiveSession
from dignity.web.csrf import CsrfDep
from dignity.web.documentation_forms_common import (
    PERSONS,
    FormDep,
    add_error,
    as_invalid,
    choices_for,
    defaults,
    field_errors,
    has_values,
    keyed,
    move_ref_error,
    person_part,
    save_person_part,
    service_values,
    shown_values,
    text,
)
from dignity.web.documentation_shared import RecordId, WriterDep
from dignity.web.templating import render

router = APIRouter(prefix="/records/events", include_in_schema=False)

ACTS = RECORD_TYPES["acts"]
INVOLVEMENTS = RECORD_TYPES["involvements"]
# Act fields the form leaves out: set by the form itself, or kept for the record's edit form.
ACT_SKIP = ("event_id", "victim_id", "received_at", "monitoring_status")
VICTIM_FIELDS = (
    "kind",
    "sex",
    "age_min",
    "age_max",
    "occupation",
    "counting_unit",
    "group_size_min",
    "group_size_max",
    "description",
)
PERPETRATOR_FIELDS = (
    "kind",
    "perpetrator_type",
    "counting_unit",
    "group_size_min",
    "group_size_max",
    "description",
)
INVOLVEMENT_FIELDS = ("degree", "latest_status")
ROWS_MAX = 50
ROW = re.compile(r"^perpetrators\.(\d{1,3})\.")


def _rows(form_keys: list[str]) -> list[int]:
    found = sorted({int(m.group(1)) for key in form_keys if (m := ROW.match(key))})
    return found[:ROWS_MAX] or [0]


def _shown(form: FormData) -> tuple[dict[str, Any], list[int]]:
    """The posted act form as typed, and its perpetrator rows."""
    shown = shown_values(ACTS, form)
    shown.update(person_part(form, "victim.", VICTIM_FIELDS))
    rows = _rows(list(form.keys()))
    for row in rows:
        prefix = f"perpetrators.{row}."
        shown.update(person_part(form, prefix, PERPETRATOR_FIELDS))
        shown.update({prefix + name: text(form, prefix + name) for name in INVOLVEMENT_FIELDS})
    return shown, rows


def _row_used(shown: dict[str, Any], row: int) -> bool:
    prefix = f"perpetrators.{row}."
    names = ["existing", *INVOLVEMENT_FIELDS]
    if shown[prefix + "mode"] == "new":
        names += [name for name in PERPETRATOR_FIELDS if name != "kind"]
    return has_values(shown, [prefix + name for name in names])


def _save(
    session: Session, principal: Principal, event: Event, shown: dict[str, Any], rows: list[int]
) -> str:
    """Create the victim (if new), the act, the perpetrators (if new) and their involvements;
    `InvalidInput` with every problem, keyed by input name, when any part cannot be saved."""
    errors: dict[str, list[str]] = {}
    project = event.project_id
    victim_id = save_person_part(
        session,
        principal,
        project,
        shown,
        "victim.",
        VICTIM_FIELDS,
        errors,
        missing="choose a person of the project, or describe a new victim",
    )
    values = service_values(ACTS, shown, skip=ACT_SKIP)
    values["event_id"] = event.id
    if victim_id:
        values["victim_id"] = victim_id
    act_id = None
    act_type = shown.get("act_type", "")
    try:
        act_id = docs.create_record(session, principal, "acts", project, values).id
    except InvalidInput as problem:
        found = field_errors(problem, act_type=act_type)
        chosen = victim_id if shown["victim.mode"] == "existing" else None
        move_ref_error(found, "victim_id", "victim.existing", chosen)
        errors.update(found)
    for row in rows:
        if not _row_used(shown, row):
            continue
        prefix = f"perpetrators.{row}."
        perpetrator_id = save_person_part(
            session,
            principal,
            project,
            shown,
            prefix,
            PERPETRATOR_FIELDS,
            errors,
            missing="choose a person of the project, or describe a new perpetrator",
        )
        involvement: dict[str, Any] = {
            name: shown[prefix + name] for name in INVOLVEMENT_FIELDS if shown[prefix + name]
        }
        if not involvement.get("degree"):
            add_error(errors, prefix + "degree", "required")
            continue
        if act_id is None or perpetrator_id is None:
            continue  # the act or the person is in error: nothing to tie them with
        involvement.update(act_id=act_id, perpetrator_id=perpetrator_id)
        try:
            docs.create_record(session, principal, "involvements", project, involvement)
        except InvalidInput as problem:
            found = field_errors(problem, prefix)
            chosen = perpetrator_id if shown[prefix + "mode"] == "existing" else None
            move_ref_error(found, prefix + "perpetrator_id", prefix + "existing", chosen)
            errors.update(found)
    if errors or act_id is None:
        raise as_invalid(errors)
    return act_id


def _page(
    request: Request,
    session: Session,
    live: LiveSession,
    principal: Principal,
    event: Event,
    shown: dict[str, Any],
    rows: list[int],
    *,
    errors: dict[str, list[str]] | None = None,
    error: str | None = None,
    saved: str | None = None,
    focus_row: int | None = None,
    status: int = 200,
) -> HTMLResponse:
    lang: str = request.app.state.settings.language
    return render(
        request,
        "documentation/form_act.html",
        status=status,
        live=live,
        event=event,
        values=shown,
        rows=rows,
        errors=errors or {},
        error=error,
        saved=saved,
        focus_row=focus_row,
        acts=ACTS,
        act_fields=[f for f in ACTS.fields if f.name not in ACT_SKIP],
        persons=PERSONS,
        involvements=INVOLVEMENTS,
        victim_fields=VICTIM_FIELDS,
        perpetrator_fields=PERPETRATOR_FIELDS,
        choices=choices_for(
            session, principal, event.project_id, [ACTS, PERSONS, INVOLVEMENTS], lang, ["persons"]
        ),
    )


def _event(session: Session, principal: Principal, event_id: str) -> Event:
    event = docs.get_record(session, principal, "events", event_id)
    assert isinstance(event, Event)  # noqa: S101 (the events type is the Event table)
    return event


@router.get("/{event_id}/acts/new", response_class=HTMLResponse)
def new_act_page(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    event_id: RecordId,
    saved: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    event = _event(session, writer, event_id)
    saved_act = None
    if saved:
        try:
            act = docs.get_record(session, writer, "acts", saved)
        except NotFound:
            act = None
        saved_act = act.id if act is not None and getattr(act, "event_id", "") == event.id else None
    shown = {
        **defaults(ACTS),
        "victim.mode": "new",
        "victim.kind": "individual",
        "perpetrators.0.mode": "new",
    }
    return _page(request, session, live, writer, event, shown, [0], saved=saved_act)


@router.post("/{event_id}/acts/new", response_class=HTMLResponse)
def create_act(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    form: FormDep,
    event_id: RecordId,
) -> Response:
    event = _event(session, writer, event_id)
    shown, rows = _shown(form)
    action = text(form, "action")
    if action == "add-perpetrator" and len(rows) < ROWS_MAX:
        added = rows[-1] + 1
        shown[f"perpetrators.{added}.mode"] = "new"
        return _page(request, session, live, writer, event, shown, [*rows, added], focus_row=added)
    try:
        with session.begin_nested():
            act_id = _save(session, writer, event, shown, rows)
    except InvalidInput as problem:
        return _page(
            request,
            session,
            live,
            writer,
            event,
            shown,
            rows,
            errors=keyed(problem),
            error="Nothing was saved: see the fields marked below.",
            status=422,
        )
    session.commit()
    if action == "save-another":
        return RedirectResponse(f"/records/events/{event.id}/acts/new?saved={act_id}", 303)
    return RedirectResponse(f"/records/events/{event.id}#act-{act_id}", 303)
