"""Evidence API: streaming upload, metadata, download, chain of custody (issue #8, SECURITY.md
items 5, 24, 30 and 31).

    POST /api/projects/{project}/evidence         upload one file: the request body is the file
    GET  /api/projects/{project}/evidence         the project's items, oldest first
    GET  /api/evidence/{id}                       one item: metadata and collection record
    POST /api/evidence/{id}/content               download the original ({"purpose": "..."})
    GET  /api/evidence/{id}/custody               the chain of custody and whether it verifies

The upload's body is the file itself (any Content-Type), read chunk by chunk from the request
stream and encrypted as it arrives (`evidence.services.add_evidence`): never spooled by Starlette,
never written as plaintext. What describes it travels in headers, percent-encoded UTF-8 (plain
ASCII without `%` is taken as it is), so that no collection detail ends up in an access log's URL:

    X-Evidence-Filename     the file's name (data, never a path)
    X-Evidence-Collection   the collection record as a JSON object (`items.Collection`)
    X-Evidence-Event        optional: the id of the event (of the same project) it documents

A file past `DIGNITY_EVIDENCE_MAX_BYTES` is refused with 413 as soon as the limit is crossed;
nothing is stored. The upload route opens no request-long transaction: the caller is checked in a
short transaction of its own, and the item is written in another once the file is in (a POST's
transaction holds SQLite's write lock, which must not stay held while a file streams in).

A download writes a `download` entry to the item's custody, so it is a POST (no GET route writes,
item 22) and needs a purpose. The whole blob is verified before the first byte is sent; a blob that
fails is marked corrupt and alerted on (committed), and the answer is 409 `evidence_corrupt`.
Downloads are always `attachment` with an RFC 6266 `filename*` and `nosniff`, and typed
`application/octet-stream` unless their detected type is one a browser only displays.

Reading needs `records:read`, uploading `records:write`, and the caller must be a member of the
item's project: another project's item answers 404 exactly as a wrong id.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, unquote

import anyio
import anyio.from_thread
import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from dignity.api.auth import api_permission, api_principal, authz
from dignity.api.deps import SessionDep, SettingsDep
from dignity.evidence import services as evidence
from dignity.evidence.blobs import LocalBlobStore
from dignity.evidence.models import CustodyEvent, EvidenceItem
from dignity.exc import Conflict, DignityError, FieldError, InvalidInput
from dignity.security.authz import Principal
from dignity.security.crypto import Keyring
from dignity.security.permissions import Permission
from dignity.settings import Settings
from dignity.store.engine import WRITE_INTENT

router = APIRouter(tags=["evidence"])

ReaderDep = Annotated[Principal, Depends(api_permission(Permission.RECORDS_READ))]
ItemId = Annotated[str, PathParam(max_length=64)]
ProjectId = Annotated[str, PathParam(max_length=64)]
T = TypeVar("T")

HEADER_MAX = 16 * 1024  # characters of one describing header
DRAIN_BYTES = 8 << 20  # a refused upload is read on (and dropped) this far, so the client hears
# Types a browser only displays (never runs): served as such, still as an attachment.
SAFE_TYPES = frozenset(
    {
        "application/pdf",
        "audio/flac",
        "audio/mp4",
        "audio/mpeg",
        "audio/ogg",
        "audio/wav",
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/webp",
        "video/mp4",
        "video/quicktime",
        "video/webm",
    }
)
OCTET_STREAM = "application/octet-stream"


class CorruptDownload(Conflict):
    """The item's stored file failed its check: nothing was sent, and the item is marked corrupt."""

    code = "evidence_corrupt"


# --- shared with the web pages ------------------------------------------------------------------


def keyring_of(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


def blob_store(request: Request) -> LocalBlobStore:
    """The app's blob store (`DIGNITY_BLOB_DIR`), made on first use."""
    store: LocalBlobStore | None = getattr(request.app.state, "evidence_store", None)
    if store is None:
        settings: Settings = request.app.state.settings
        store = LocalBlobStore(settings.evidence_dir)
        request.app.state.evidence_store = store
    return store


class BodyPipe:
    """The request body as a plain iterator of chunks, for code running in a worker thread
    (`run_with_body`): each chunk is fetched from the event loop as the consumer asks for it, so
    at most one chunk is held and nothing is spooled."""

    def __init__(self, request: Request) -> None:
        self._stream: AsyncIterator[bytes] = request.stream().__aiter__()
        self.received = 0

    async def _next(self) -> bytes | None:
        try:
            return await self._stream.__anext__()
        except StopAsyncIteration:
            return None

    def __iter__(self) -> Iterator[bytes]:
        while (chunk := anyio.from_thread.run(self._next)) is not None:
            if chunk:
                self.received += len(chunk)
                yield chunk

    async def drain(self, limit: int = DRAIN_BYTES) -> None:
        """Read on and drop the rest of a refused body, up to `limit` bytes, so that the client
        gets to read the answer instead of a reset connection."""
        dropped = 0
        while dropped < limit and (chunk := await self._next()) is not None:
            dropped += len(chunk)


async def run_with_body(request: Request, work: Callable[[BodyPipe], T]) -> T:
    """Run `work(pipe)` in a worker thread, `pipe` yielding the request body as it arrives.

    Whatever `work` left unread of the body (it refused the upload, or stopped at a file past the
    limit) is then read and dropped, up to `DRAIN_BYTES`, so that the client gets the answer."""
    pipe = BodyPipe(request)
    try:
        result = await anyio.to_thread.run_sync(work, pipe)
    except DignityError:
        await pipe.drain()
        raise
    await pipe.drain()
    return result


def write_session(request: Request) -> Session:
    """A new session whose transaction takes the write lock at once (SQLite: BEGIN IMMEDIATE)."""
    session: Session = request.app.state.sessionmaker()
    session.begin()
    session.connection(execution_options={WRITE_INTENT: True})
    return session


def header_text(request: Request, name: str, *, required: bool = True) -> str:
    raw = request.headers.get(name, "")
    if len(raw) > HEADER_MAX * 3:
        raise InvalidInput(f"the {name} header is too long", [FieldError(name, "too long")])
    try:
        value = unquote(raw, errors="strict") if "%" in raw else raw
    except UnicodeDecodeError:
        raise InvalidInput(
            f"the {name} header is not valid", [FieldError(name, "percent-encoded UTF-8")]
        ) from None
    if required and not value.strip():
        raise InvalidInput(f"the {name} header is missing", [FieldError(name, "required")])
    return value


def collection_header(request: Request) -> dict[str, object]:
    text = header_text(request, "x-evidence-collection")
    try:
        values = json.loads(text)
    except ValueError:
        values = None
    if not isinstance(values, dict):
        raise InvalidInput(
            "the collection record is not valid",
            [FieldError("x-evidence-collection", "a JSON object, percent-encoded")],
        )
    return values


def download_name(name: str, item_id: str) -> str:
    """The name a download is saved under: the last part of the name as received, without control
    or direction characters (an RTL override cannot disguise the extension), at most 200
    characters; the item id if nothing is left."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(
        c for c in unicodedata.normalize("NFC", last) if unicodedata.category(c)[0] != "C"
    )
    kept = kept.strip().lstrip(".")[:200]
    return kept or f"evidence-{item_id}"


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback and the exact name as RFC 5987 `filename*`."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_response(item: EvidenceItem, name: str, chunks: Iterator[bytes]) -> StreamingResponse:
    media_type = item.media_type if item.media_type in SAFE_TYPES else OCTET_STREAM
    return StreamingResponse(
        chunks,
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(download_name(name, item.id)),
            "Content-Length": str(item.size),
            "X-Content-Type-Options": "nosniff",
            "X-Evidence-SHA256": item.sha256,
        },
    )


def open_for_download(
    session: Session,
    principal: Principal,
    request: Request,
    item_id: str,
    purpose: str,
) -> tuple[EvidenceItem, str, Iterator[bytes]]:
    """Verify and open an original, and COMMIT: the `download` entry before any byte is sent, or
    the corrupt mark and its alert before the error is reported."""
    keyring = keyring_of(request)
    try:
        item, chunks = evidence.open_original(
            session, principal, keyring, blob_store(request), item_id, purpose=purpose
        )
    except evidence.CorruptEvidence as error:
        session.commit()
        raise CorruptDownload(str(error)) from None
    name = evidence.filename_of(session, keyring, item)
    session.commit()
    return item, name, chunks


# --- what an item looks like ------------------------------------------------------------------


class CollectionRead(BaseModel):
    collected_by: str
    method: str
    tool: str
    tool_version: str
    account_or_persona: str
    source: str
    collected_at: datetime
    clock_source: str
    purpose: str


class CustodyHead(BaseModel):
    entries: int
    head: str


class EvidenceRead(BaseModel):
    id: str
    project_id: str
    event_id: str | None
    kind: str
    derived_from: str | None
    operation: str | None
    filename: str
    media_type: str
    size: int
    sha256: str
    sha3_512: str | None
    state: str
    ingested_by: str
    ingested_at: datetime
    last_verified_at: datetime | None
    collection: CollectionRead
    custody: CustodyHead


class CustodyEntryRead(BaseModel):
    seq: int
    action: str
    actor: str
    at: datetime
    purpose: str
    sha256: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class CustodyRead(BaseModel):
    item_id: str
    verified: bool
    entries: int
    first_bad: int | None
    problem: str
    chain: list[CustodyEntryRead]


class DownloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(min_length=1, max_length=2000)


def item_read(session: Session, keyring: Keyring, item: EvidenceItem) -> EvidenceRead:
    found = evidence.collection_of(session, keyring, item)
    return EvidenceRead(
        id=item.id,
        project_id=item.project_id,
        event_id=item.event_id,
        kind=item.kind,
        derived_from=item.derived_from,
        operation=item.operation,
        filename=evidence.filename_of(session, keyring, item),
        media_type=item.media_type,
        size=item.size,
        sha256=item.sha256,
        sha3_512=item.sha3_512,
        state=item.state,
        ingested_by=item.ingested_by,
        ingested_at=item.ingested_at,
        last_verified_at=item.last_verified_at,
        collection=CollectionRead(**found.model_dump()),
        custody=CustodyHead(entries=item.custody_seq, head=item.custody_head),
    )


def custody_entry(event: CustodyEvent) -> CustodyEntryRead:
    return CustodyEntryRead(
        seq=event.seq,
        action=event.action,
        actor=event.actor,
        at=event.at,
        purpose=event.purpose,
        sha256=event.sha256,
        details=event.details,
        prev_hash=event.prev_hash,
        hash=event.hash,
    )


# --- routes -----------------------------------------------------------------------------------


@authz
def api_uploader(request: Request, settings: SettingsDep) -> Principal:
    """The API caller allowed to upload, found in a short transaction of its own (the request's
    would hold SQLite's write lock while the file streams in)."""
    session = write_session(request)
    try:
        principal = api_principal(request, session, settings)
        checked = api_permission(Permission.RECORDS_WRITE)(principal)
        session.commit()
    finally:
        session.close()
    return checked


UploaderDep = Annotated[Principal, Depends(api_uploader)]


@router.post(
    "/api/projects/{project}/evidence",
    status_code=201,
    summary="Upload one file as evidence (the body is the file; see the X-Evidence-* headers)",
)
async def upload_evidence(
    request: Request, project: ProjectId, principal: UploaderDep
) -> EvidenceRead:
    settings: Settings = request.app.state.settings
    keyring, store = keyring_of(request), blob_store(request)

    def store_file(body: BodyPipe) -> EvidenceRead:
        filename = header_text(request, "x-evidence-filename")
        collection = collection_header(request)
        event_id = header_text(request, "x-evidence-event", required=False).strip() or None
        with request.app.state.sessionmaker() as session:  # refused before the file comes in
            evidence.check_upload(
                session, principal, project, collection=collection, event_id=event_id
            )
        # The file streams in before the write transaction begins: it may take minutes, and
        # SQLite's write lock would keep every other writer waiting (then failing) meanwhile.
        streamed = evidence.stream_in(
            store, body, filename=filename, max_bytes=settings.evidence_max_bytes
        )
        with write_session(request) as session:
            item = evidence.add_streamed(
                session,
                principal,
                keyring,
                store,
                streamed,
                project,
                collection=collection,
                event_id=event_id,
            )
            found = item_read(session, keyring, item)
            session.commit()
            return found

    return await run_with_body(request, store_file)


@router.get("/api/projects/{project}/evidence", summary="List a project's evidence items")
def list_evidence(
    request: Request, project: ProjectId, session: SessionDep, principal: ReaderDep
) -> list[EvidenceRead]:
    keyring = keyring_of(request)
    return [
        item_read(session, keyring, i) for i in evidence.list_items(session, principal, project)
    ]


@router.get("/api/evidence/{item_id}", summary="Read an evidence item's metadata")
def read_evidence(
    request: Request, item_id: ItemId, session: SessionDep, principal: ReaderDep
) -> EvidenceRead:
    item = evidence.get_item(session, principal, item_id)
    return item_read(session, keyring_of(request), item)


@router.post(
    "/api/evidence/{item_id}/content",
    summary="Download the original, verified first (logged in its custody with the purpose)",
    response_class=StreamingResponse,
    responses={200: {"content": {OCTET_STREAM: {}}}, 409: {"description": "corrupt"}},
)
def download_evidence(
    request: Request,
    item_id: ItemId,
    body: DownloadRequest,
    session: SessionDep,
    principal: ReaderDep,
) -> StreamingResponse:
    item, name, chunks = open_for_download(session, principal, request, item_id, body.purpose)
    return download_response(item, name, chunks)


@router.get("/api/evidence/{item_id}/custody", summary="Read and verify an item's custody chain")
def read_custody(item_id: ItemId, session: SessionDep, principal: ReaderDep) -> CustodyRead:
    chain = evidence.custody(session, principal, item_id)
    report = evidence.verify_chain(session, principal, item_id)
    return CustodyRead(
        item_id=item_id,
        verified=report.ok,
        entries=report.entries,
        first_bad=report.first_bad,
        problem=report.problem,
        chain=[custody_entry(e) for e in chain],
    )
