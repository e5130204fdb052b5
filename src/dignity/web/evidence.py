"""Evidence pages: an event's evidence with its upload panel, an item with its chain of custody.

    GET  /records/events/{id}/evidence         the event's items, and the upload panel
    POST /records/events/{id}/evidence         the form without script: several files, multipart
    POST /records/events/{id}/evidence/file    one file from the page's script (body = the file)
    GET  /evidence/{id}                        an item: metadata, collection record, working
                                               copies, the custody timeline
    POST /evidence/{id}/download               the original, with a purpose (written to custody)

Reading needs `records:read`, uploading `records:write`; an item or event of another project is
"not found", exactly as a wrong id. Every POST checks the origin and the session's CSRF token: the
form sends it as its first field (before any file, or nothing is stored), the script as the
`X-CSRF-Token` header. Uploads are read as they arrive and encrypted before anything is written
(`evidence_form`, `dignity.api.routers.evidence`); they open no request-long transaction (the
caller is checked in a short one, each file is stored in one of its own), so that SQLite's write
lock is not held while a file streams in over a slow line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

import dignity.web.documentation_shared  # noqa: F401 (template globals)
from dignity.api.auth import LiveSessionDep, any_web_session, authz, web_permission, web_user
from dignity.api.deps import SessionDep, SettingsDep
from dignity.api.routers.evidence import (
    BodyPipe,
    blob_store,
    collection_header,
    download_response,
    header_text,
    keyring_of,
    open_for_download,
    run_with_body,
    write_session,
)
from dignity.documentation import services as docs
from dignity.documentation.models import Event
from dignity.evidence import services as evidence
from dignity.evidence.models import CORRUPT, EvidenceItem
from dignity.exc import FieldError, InvalidInput, PermissionDenied
from dignity.security.authz import Principal
from dignity.security.permissions import Permission
from dignity.security.sessions import LiveSession, csrf_token
from dignity.security.tokens import same
from dignity.settings import Settings
from dignity.web.csrf import EXPIRED, CsrfDep, check_origin
from dignity.web.documentation_display import actor_names, common
from dignity.web.documentation_shared import ReaderDep, RecordId
from dignity.web.evidence_form import (
    COLLECTION_FIELDS,
    LABELS,
    FormParts,
    boundary_of,
    collection_from,
    file_bytes,
)
from dignity.web.templating import render

router = APIRouter(include_in_schema=False)

ItemId = Annotated[str, PathParam(max_length=64)]
ACTIONS = {
    "ingest": "Received into the vault",
    "view": "Viewed",
    "download": "Original downloaded",
    "export": "Exported",
    "transfer": "Transferred to another custodian",
    "verification": "Fixity checked",
    "deletion_request": "Deletion requested",
}


@dataclass(frozen=True)
class Uploader:
    principal: Principal
    live: LiveSession
    csrf: str
    event_id: str
    project_id: str


@authz
def uploader(request: Request, settings: SettingsDep, event_id: RecordId) -> Uploader:
    """The signed-in user allowed to add evidence to the event, found in a short transaction of
    its own (a POST's own would hold SQLite's write lock while the files come in)."""
    check_origin(request)
    session = write_session(request)
    try:
        live = any_web_session(request, session, settings)
        principal = web_permission(Permission.RECORDS_WRITE)(web_user(live))
        event = docs.get_record(session, principal, "events", event_id)
        who = Uploader(
            principal, live, csrf_token(settings, live.web_session), event.id, event.project_id
        )
        session.commit()
    finally:
        session.close()
    return who


UploaderDep = Annotated[Uploader, Depends(uploader)]


@dataclass
class Outcome:
    stored: list[tuple[str, str]] = field(default_factory=list)  # (item id, file name)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file name or field, message)
    values: dict[str, str] = field(default_factory=dict)
    status: int = 200


def _store_one(
    request: Request, who: Uploader, name: str, chunks: Any, found: evidence.Collection
) -> EvidenceItem:
    settings: Settings = request.app.state.settings
    store = blob_store(request)
    # streamed before the write transaction begins (see the API's upload route)
    streamed = evidence.stream_in(
        store, chunks, filename=name, max_bytes=settings.evidence_max_bytes
    )
    with write_session(request) as session:
        item = evidence.add_streamed(
            session,
            who.principal,
            keyring_of(request),
            store,
            streamed,
            who.project_id,
            collection=found,
            event_id=who.event_id,
        )
        session.commit()
        return item


def _problem_lines(error: InvalidInput) -> list[str]:
    details = [f"{LABELS.get(e.field, e.field)}: {e.message}" for e in error.errors]
    return details or [error.message]


def _receive_form(request: Request, who: Uploader, body: BodyPipe) -> Outcome:
    """Store each file of the form as it streams in; a refused file does not stop the others,
    but one past the size limit ends the upload (its remaining files are not read)."""
    outcome = Outcome()
    fields: dict[str, str] = {}
    sent_token = request.headers.get("x-csrf-token", "")
    found: evidence.Collection | None = None
    parts = iter(FormParts(body, boundary_of(request.headers.get("content-type"))))
    for part in parts:
        if part.kind == "field":
            fields.setdefault(part.name, part.value)
            continue
        if part.kind != "file":
            continue
        if not same(sent_token or fields.get("csrf_token", ""), who.csrf):
            raise PermissionDenied(EXPIRED)  # the token comes first, or nothing is stored
        if found is None:
            outcome.values = {k: fields.get(k, "") for k in COLLECTION_FIELDS}
            try:
                found = collection_from({k: v for k, v in outcome.values.items() if v})
            except InvalidInput as error:
                outcome.problems = [(LABELS.get(e.field, e.field), e.message) for e in error.errors]
                outcome.status = 422
                return outcome
        data = file_bytes(parts)
        if not part.value:  # an empty file input still sends an empty, nameless part
            if any(data):
                outcome.problems.append(("file", "a file without a name was not stored"))
            continue
        try:
            item = _store_one(request, who, part.value, data, found)
        except evidence.EvidenceTooLarge as error:
            outcome.problems.append((part.value, "; ".join(_problem_lines(error))))
            outcome.status = 413
            return outcome
        except InvalidInput as error:
            outcome.problems.append((part.value, "; ".join(_problem_lines(error))))
            outcome.status = 422
            for _ in data:  # the rest of this file, dropped, to reach the next one
                pass
            continue
        outcome.stored.append((item.id, part.value))
    if not outcome.stored and not outcome.problems:
        outcome.problems.append((LABELS["file"], "choose one or more files"))
        outcome.status = 422
    return outcome


# --- pages ------------------------------------------------------------------------------------


def _items_of_event(session: Session, event: Event) -> list[EvidenceItem]:
    return list(
        session.execute(
            select(EvidenceItem)
            .where(EvidenceItem.event_id == event.id, EvidenceItem.project_id == event.project_id)
            .order_by(EvidenceItem.ingested_at, EvidenceItem.id)
        ).scalars()
    )


def _event_page(
    request: Request,
    session: Session,
    reader: Principal,
    live: LiveSession,
    event_id: str,
    outcome: Outcome | None = None,
) -> HTMLResponse:
    event = docs.get_record(session, reader, "events", event_id)
    assert isinstance(event, Event)  # noqa: S101 (the "events" type is always an Event)
    keyring = keyring_of(request)
    items = _items_of_event(session, event)
    return render(
        request,
        "evidence/event.html",
        status=outcome.status if outcome else 200,
        live=live,
        event=event,
        items=[(i, evidence.filename_of(session, keyring, i)) for i in items],
        can_write=reader.can(Permission.RECORDS_WRITE),
        outcome=outcome,
        values=outcome.values if outcome else {},
        labels=LABELS,
        corrupt=CORRUPT,
        **common(request),
    )


@router.get("/records/events/{event_id}/evidence", response_class=HTMLResponse)
def event_evidence(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    event_id: RecordId,
) -> HTMLResponse:
    return _event_page(request, session, reader, live, event_id)


@router.post("/records/events/{event_id}/evidence", response_class=HTMLResponse)
async def upload_form(request: Request, who: UploaderDep) -> HTMLResponse:
    outcome = await run_with_body(request, lambda body: _receive_form(request, who, body))

    def page() -> HTMLResponse:
        with request.app.state.sessionmaker() as session, session.begin():
            return _event_page(request, session, who.principal, who.live, who.event_id, outcome)

    return await anyio.to_thread.run_sync(page)


@router.post("/records/events/{event_id}/evidence/file")
async def upload_file(request: Request, who: UploaderDep) -> Response:
    """One file from the page's script: the body is the file, described as for the API."""

    def store_file(body: BodyPipe) -> EvidenceItem:
        if not same(request.headers.get("x-csrf-token", ""), who.csrf):
            raise PermissionDenied(EXPIRED)
        name = header_text(request, "x-evidence-filename")
        found = collection_from(collection_header(request))
        return _store_one(request, who, name, body, found)

    item = await run_with_body(request, store_file)
    return JSONResponse(
        {"id": item.id, "url": f"/evidence/{item.id}", "sha256": item.sha256, "size": item.size},
        status_code=201,
    )


def _item_context(
    request: Request, session: Session, reader: Principal, item: EvidenceItem
) -> dict[str, Any]:
    keyring = keyring_of(request)
    chain = evidence.custody(session, reader, item.id)
    report = evidence.verify_chain(session, reader, item.id)
    copies = list(
        session.execute(
            select(EvidenceItem)
            .where(EvidenceItem.derived_from == item.id, EvidenceItem.project_id == item.project_id)
            .order_by(EvidenceItem.ingested_at)
        ).scalars()
    )
    event = None
    if item.event_id is not None:
        event = session.get(Event, item.event_id)
    return {
        "item": item,
        "filename": evidence.filename_of(session, keyring, item),
        "collection": evidence.collection_of(session, keyring, item),
        "metadata": evidence.metadata_of(session, keyring, item),
        "chain": chain,
        "report": report,
        "copies": [(c, evidence.filename_of(session, keyring, c)) for c in copies],
        "event": event if event is not None and event.project_id == item.project_id else None,
        "actors": actor_names(session, [e.actor for e in chain] + [item.ingested_by]),
        "action_labels": ACTIONS,
        "corrupt": CORRUPT,
    }


@router.get("/evidence/{item_id}", response_class=HTMLResponse)
def show_item(
    request: Request, session: SessionDep, reader: ReaderDep, live: LiveSessionDep, item_id: ItemId
) -> HTMLResponse:
    item = evidence.get_item(session, reader, item_id)
    return render(
        request,
        "evidence/item.html",
        live=live,
        **_item_context(request, session, reader, item),
        **common(request),
    )


@router.post("/evidence/{item_id}/download")
async def download_item(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    _csrf: CsrfDep,
    item_id: ItemId,
) -> StreamingResponse:
    form = await request.form()
    purpose = form.get("purpose")
    if not isinstance(purpose, str) or not purpose.strip():
        raise InvalidInput("why is it downloaded?", [FieldError("purpose", "state the purpose")])
    item, name, chunks = await anyio.to_thread.run_sync(
        lambda: open_for_download(session, reader, request, item_id, purpose.strip()[:2000])
    )
    return download_response(item, name, chunks)
