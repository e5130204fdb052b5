"""The source and intervention forms of an event.

A source (an Information record) is who or what told the organisation about the event: a person
or group chosen by code or described anew, with how they are connected, the material and how far
it can be relied on. An intervention is what someone (the intervening party, chosen or described)
did in response, optionally for one of the event's victims. Each is saved with its new person in
one transaction; after a save the user lands on the event's sources or interventions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dignity.api.auth import LiveSessionDep
from dignity.api.deps import SessionDep
from dignity.documentation import services as docs
from dignity.documentation.fields import RECORD_TYPES, RecordType
from dignity.documentation.models import Act, Event
from dignity.exc import InvalidInput
from dignity.security.authz import Principal
from dignity.security.sessions import LiveSession
from dignity.web.csrf import CsrfDep
from dignity.web.documentation_forms_common import (
    PERSONS,
    FormDep,
    as_invalid,
    choices_for,
    defaults,
    field_errors,
    keyed,
    move_ref_error,
    person_part,
    record_caption,
    save_person_part,
    service_values,
    shown_values,
)
from dignity.web.documentation_shared import RecordId, WriterDep
from dignity.web.templating import render

router = APIRouter(prefix="/records/events", include_in_schema=False)

PARTY_FIELDS = ("kind", "description")


@dataclass(frozen=True)
class EventForm:
    """A record of an event with one person in it, chosen or described."""

    kind: RecordType
    party: str  # the reference to the person: source_id, intervening_party_id
    role: str  # how the form names the person
    prefix: str  # of the person's inputs
    title: str
    anchor: str  # where the event page shows these records
    skip: tuple[str, ...]  # fields the form does not show

    def fields(self) -> list[Any]:
        return [f for f in self.kind.fields if f.name not in (self.party, *self.skip)]


SOURCE = EventForm(
    RECORD_TYPES["information"],
    "source_id",
    "source",
    "source.",
    "Add a source",
    "sources",
    ("event_id", "person_id", "received_at", "monitoring_status"),
)
INTERVENTION = EventForm(
    RECORD_TYPES["interventions"],
    "intervening_party_id",
    "intervening party",
    "party.",
    "Record an intervention",
    "interventions",
    ("event_id", "received_at", "monitoring_status"),
)


def _event(session: Session, principal: Principal, event_id: str) -> Event:
    event = docs.get_record(session, principal, "events", event_id)
    assert isinstance(event, Event)  # noqa: S101 (the events type is the Event table)
    return event


def _victims(session: Session, principal: Principal, event: Event, lang: str) -> list[Any]:
    """(id, caption) of the victims of the event's acts."""
    acts, _ = docs.list_records(
        session,
        principal,
        "acts",
        project_id=event.project_id,
        where={"event_id": event.id},
        limit=docs.LIST_MAX,
    )
    ids = dict.fromkeys(act.victim_id for act in acts if isinstance(act, Act))
    people = [docs.get_record(session, principal, "persons", person_id) for person_id in ids]
    return sorted((person.id, record_caption(person, lang)) for person in people)


def _page(
    request: Request,
    session: Session,
    live: LiveSession,
    principal: Principal,
    spec: EventForm,
    event: Event,
    values: dict[str, Any],
    *,
    errors: dict[str, list[str]] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    lang: str = request.app.state.settings.language
    choices = choices_for(
        session, principal, event.project_id, [spec.kind, PERSONS], lang, ["persons"]
    )
    if spec is INTERVENTION:
        choices["refs"]["persons_victims"] = _victims(session, principal, event, lang)
    return render(
        request,
        "documentation/form_event_part.html",
        status=status,
        live=live,
        spec=spec,
        event=event,
        values=values,
        errors=errors or {},
        error=error,
        persons=PERSONS,
        party_fields=PARTY_FIELDS,
        choices=choices,
        action=f"/records/events/{event.id}/{spec.anchor}/new",
        may_check_earlier=spec is not INTERVENTION and docs.may_see_identities(principal),
    )


def _show(
    spec: EventForm,
    request: Request,
    session: Session,
    live: LiveSession,
    writer: Principal,
    event_id: str,
) -> HTMLResponse:
    event = _event(session, writer, event_id)
    values = {**defaults(spec.kind), spec.prefix + "mode": "new"}
    return _page(request, session, live, writer, spec, event, values)


def _create(
    spec: EventForm,
    request: Request,
    session: Session,
    live: LiveSession,
    writer: Principal,
    form: Any,
    event_id: str,
) -> Response:
    event = _event(session, writer, event_id)
    prefix = spec.prefix
    shown = {**shown_values(spec.kind, form), **person_part(form, prefix, PARTY_FIELDS)}
    try:
        with session.begin_nested():
            errors: dict[str, list[str]] = {}
            party_id = save_person_part(
                session,
                writer,
                event.project_id,
                shown,
                prefix,
                PARTY_FIELDS,
                errors,
                missing=f"choose a person of the project, or describe a new {spec.role}",
            )
            values = service_values(spec.kind, shown, skip=(spec.party, *spec.skip))
            values["event_id"] = event.id
            if party_id:
                values[spec.party] = party_id
            try:
                docs.create_record(session, writer, spec.kind.name, event.project_id, values)
            except InvalidInput as problem:
                found = field_errors(problem)
                chosen = party_id if shown[prefix + "mode"] == "existing" else None
                move_ref_error(found, spec.party, prefix + "existing", chosen)
                errors.update(found)
            if errors:
                raise as_invalid(errors)
    except InvalidInput as problem:
        message = "Nothing was saved: see the fields marked below."
        return _page(
            request,
            session,
            live,
            writer,
            spec,
            event,
            shown,
            errors=keyed(problem),
            error=message,
            status=422,
        )
    session.commit()
    return RedirectResponse(f"/records/events/{event.id}#{spec.anchor}", status_code=303)


@router.get("/{event_id}/sources/new", response_class=HTMLResponse)
def new_source_page(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    event_id: RecordId,
) -> HTMLResponse:
    return _show(SOURCE, request, session, live, writer, event_id)


@router.post("/{event_id}/sources/new", response_class=HTMLResponse)
def create_source(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    form: FormDep,
    event_id: RecordId,
) -> Response:
    return _create(SOURCE, request, session, live, writer, form, event_id)


@router.get("/{event_id}/interventions/new", response_class=HTMLResponse)
def new_intervention_page(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    event_id: RecordId,
) -> HTMLResponse:
    return _show(INTERVENTION, request, session, live, writer, event_id)


@router.post("/{event_id}/interventions/new", response_class=HTMLResponse)
def create_intervention(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    form: FormDep,
    event_id: RecordId,
) -> Response:
    return _create(INTERVENTION, request, session, live, writer, form, event_id)
