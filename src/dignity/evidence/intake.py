"""Intake: a file streams in, encrypted chunk by chunk, into a blob no reader sees; then its row is
written and, last, the blob committed (the order and what a failure leaves: `services`).

Adding needs `records:write` and membership of the project; a working copy is added the same way,
from an item the caller may see.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from typing import BinaryIO

from sqlalchemy.orm import Session

import dignity.consent.services as consent
import dignity.documentation.services as documentation
from dignity.audit.chain import GENESIS_HASH
from dignity.evidence import mediatypes, metadata, stream
from dignity.evidence.blobs import BlobStore, new_blob_id
from dignity.evidence.custody import TABLE, append_custody
from dignity.evidence.items import (
    SEALED_COLLECTION,
    Collection,
    as_collection,
    collection_of,
    encode_name,
    find_item,
)
from dignity.evidence.models import OPERATIONS, ORIGINAL, STORED, WORKING, EvidenceItem
from dignity.exc import FieldError, InvalidInput, NotFound, TooLarge
from dignity.security.authz import Principal, visible_project
from dignity.security.crypto import Keyring
from dignity.security.permissions import Permission
from dignity.store.types import new_id, utcnow

MAX_FILENAME = 4096
Progress = Callable[[int], None]  # called with the number of bytes taken in so far


class EvidenceTooLarge(TooLarge):
    """The file passed the size limit while it streamed in; nothing was stored."""


def _clean_filename(filename: str) -> str:
    if not filename or len(filename) > MAX_FILENAME:
        raise InvalidInput(
            "the file name is not valid",
            [FieldError("filename", f"between 1 and {MAX_FILENAME} characters")],
        )
    return filename


class _Intake:
    """One file streaming into a partial blob: limit, type check, encryption, digests."""

    def __init__(
        self,
        handle: BinaryIO,
        blob_id: str,
        filename: str,
        *,
        max_bytes: int,
        allow_active: bool,
        second_digest: bool,
        chunk_bytes: int,
        progress: Progress | None,
    ) -> None:
        self.encryptor = stream.Encryptor(
            handle, blob_id, chunk_bytes=chunk_bytes, second_digest=second_digest
        )
        self.filename, self.max_bytes, self.allow_active = filename, max_bytes, allow_active
        self.progress = progress
        self.size = 0
        self.head = bytearray()
        # The plaintext of a small file, held in memory to read its metadata (`metadata`).
        self.kept: list[bytes] | None = [] if max_bytes > 0 else None
        self.decision: mediatypes.Decision | None = None

    def _decide(self) -> None:
        self.decision = mediatypes.check(
            self.filename, bytes(self.head), allow_active=self.allow_active
        )
        self.head = bytearray()
        if self.decision.media_type not in metadata.READABLE:
            self.kept = None  # nothing to read metadata from: hold nothing

    def take(self, chunks: Iterable[bytes]) -> stream.Digests:
        for chunk in chunks:
            if not chunk:
                continue
            if self.size + len(chunk) > self.max_bytes:
                raise EvidenceTooLarge(
                    f"{self.filename!r}: nothing was stored",
                    [FieldError("file", f"larger than the limit of {self.max_bytes:,} bytes")],
                )
            if self.decision is None:
                self.head += chunk[: mediatypes.HEAD_BYTES - len(self.head)]
                if len(self.head) >= mediatypes.HEAD_BYTES:
                    self._decide()
            self.encryptor.write(chunk)
            self.size += len(chunk)
            if self.kept is not None and self.size <= metadata.MAX_BYTES:
                self.kept.append(chunk)
            else:
                self.kept = None
            if self.progress is not None:
                self.progress(self.size)
        if self.decision is None:
            self._decide()
        return self.encryptor.finish()

    def metadata(self) -> dict[str, object]:
        """What the file's own bytes say; nothing for a file too large to hold in memory."""
        if self.kept is None or self.decision is None:
            return {}
        found = metadata.extract(b"".join(self.kept), self.decision.media_type)
        self.kept = None
        return found


def _check_event(session: Session, principal: Principal, project_id: str, event_id: str) -> None:
    event = documentation.get_record(session, principal, "events", event_id)
    if event.project_id != project_id:
        raise NotFound("no such events record")


@dataclass
class Streamed:
    """A file streamed into a partial blob (encrypted, hashed, its type decided), not yet
    recorded: `add_streamed` records it, or `discard` drops it."""

    blob_id: str
    handle: BinaryIO
    intake: _Intake
    digests: stream.Digests
    chunk_bytes: int

    def discard(self, store: BlobStore) -> None:
        self.intake.encryptor.close()
        store.abort(self.blob_id, self.handle)  # the partial file; a committed blob stays


@contextmanager
def _discarded_on_failure(streamed: Streamed, store: BlobStore) -> Iterator[None]:
    try:
        yield
    except BaseException:
        streamed.discard(store)
        raise


def stream_in(
    store: BlobStore,
    chunks: Iterable[bytes],
    *,
    filename: str,
    max_bytes: int,
    allow_active: bool = False,
    second_digest: bool = False,
    chunk_bytes: int = stream.CHUNK_BYTES,
    progress: Progress | None = None,
) -> Streamed:
    """Stream a file into a partial blob of `store`, with no database transaction open: a
    request can take minutes to send its file, and must not hold the write lock while it does.
    Refused with `InvalidInput` (`EvidenceTooLarge` past `max_bytes`), nothing kept."""
    name = _clean_filename(filename)
    blob_id = new_blob_id()
    handle = store.create(blob_id)
    intake: _Intake | None = None
    try:
        intake = _Intake(
            handle,
            blob_id,
            name,
            max_bytes=max_bytes,
            allow_active=allow_active,
            second_digest=second_digest,
            chunk_bytes=chunk_bytes,
            progress=progress,
        )
        digests = intake.take(chunks)
    except BaseException:
        if intake is not None:
            intake.encryptor.close()
        store.abort(blob_id, handle)
        raise
    return Streamed(blob_id, handle, intake, digests, chunk_bytes)


def check_upload(
    session: Session,
    principal: Principal,
    project_id: str,
    *,
    collection: Collection | dict[str, object],
    event_id: str | None = None,
) -> Collection:
    """What `add_streamed` checks before it records a file (the right to write, the project,
    the collection record, the event): worth asking before a file streams in, to refuse early."""
    principal.require(Permission.RECORDS_WRITE)
    project = visible_project(session, principal, project_id)
    found = as_collection(collection)
    if event_id is not None:
        _check_event(session, principal, project.id, event_id)
    return found


def add_streamed(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    store: BlobStore,
    streamed: Streamed,
    project_id: str,
    *,
    collection: Collection | dict[str, object],
    event_id: str | None = None,
) -> EvidenceItem:
    """Record a file that `stream_in` took in, as an original of the project, with its
    collection record; the blob is discarded if it cannot be (`InvalidInput`, `NotFound`)."""
    with _discarded_on_failure(streamed, store):
        found = check_upload(
            session, principal, project_id, collection=collection, event_id=event_id
        )
    return _record(
        session,
        principal,
        keyring,
        store,
        streamed,
        project_id=project_id,
        found=found,
        event_id=event_id,
        derived=None,
    )


def _ingest(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    store: BlobStore,
    chunks: Iterable[bytes],
    *,
    project_id: str,
    filename: str,
    found: Collection,
    event_id: str | None,
    derived: tuple[EvidenceItem, str] | None,
    max_bytes: int,
    allow_active: bool,
    second_digest: bool,
    chunk_bytes: int,
    progress: Progress | None,
) -> EvidenceItem:
    """Stream the file in, then write the row (in a savepoint), then commit the blob."""
    streamed = stream_in(
        store,
        chunks,
        filename=filename,
        max_bytes=max_bytes,
        allow_active=allow_active,
        second_digest=second_digest,
        chunk_bytes=chunk_bytes,
        progress=progress,
    )
    return _record(
        session,
        principal,
        keyring,
        store,
        streamed,
        project_id=project_id,
        found=found,
        event_id=event_id,
        derived=derived,
    )


def _record(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    store: BlobStore,
    streamed: Streamed,
    *,
    project_id: str,
    found: Collection,
    event_id: str | None,
    derived: tuple[EvidenceItem, str] | None,
) -> EvidenceItem:
    """Write the item's row and custody entry (in a savepoint), then commit the blob; the
    partial blob is discarded if that fails."""
    intake, digests, blob_id = streamed.intake, streamed.digests, streamed.blob_id
    assert intake.decision is not None  # noqa: S101 (`take` always decides)
    with _discarded_on_failure(streamed, store), session.begin_nested():
        item = _new_item(
            session, principal, keyring, project_id, blob_id, intake.encryptor.key, digests
        )
        item.media_type = intake.decision.media_type
        item.sealed_filename = _seal(
            session, keyring, item, "filename", encode_name(intake.filename)
        )
        sealed = {name: getattr(found, name) for name in SEALED_COLLECTION}
        item.sealed_collection = _seal(
            session, keyring, item, "collection", json.dumps(sealed).encode("utf-8")
        )
        found_metadata = intake.metadata()
        if found_metadata:
            item.sealed_metadata = _seal(
                session, keyring, item, "metadata", json.dumps(found_metadata).encode("utf-8")
            )
            item.metadata_flags = metadata.sensitive(found_metadata)
        item.collection_method = found.method
        item.collection_tool, item.collection_tool_version = found.tool, found.tool_version
        item.collected_at = found.collected_at.astimezone(UTC)
        item.clock_source = found.clock_source
        item.event_id = event_id
        details: dict[str, object] = {
            "media_type": item.media_type,
            "size": digests.size,
            "blob": blob_id,
            "chunk_bytes": streamed.chunk_bytes,
        }
        if intake.decision.active or intake.decision.mismatch:
            details["allowed"] = "active content or a name that contradicts it"
        if derived is not None:
            source, operation = derived
            item.kind, item.derived_from = WORKING, source.id
            item.operation, item.derived_by = operation, principal.actor
            details.update(derived_from=source.id, operation=operation)
        session.add(item)
        session.flush()
        append_custody(
            session,
            item,
            "ingest",
            actor=principal.actor,
            purpose="working copy" if derived else "intake",
            sha256=digests.sha256,
            details=details,
            at=item.ingested_at,
        )
        store.commit(blob_id, streamed.handle)
    return item


def _new_item(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    project_id: str,
    blob_id: str,
    key: bytes,
    digests: stream.Digests,
) -> EvidenceItem:
    item = EvidenceItem(
        id=new_id(),
        project_id=project_id,
        kind=ORIGINAL,
        blob_id=blob_id,
        size=digests.size,
        sha256=digests.sha256,
        sha3_512=digests.sha3_512,
        ingested_by=principal.actor,
        ingested_at=utcnow(),
        state=STORED,
        custody_seq=0,
        custody_head=GENESIS_HASH,
    )
    cipher = consent.project_cipher(session, keyring, project_id)
    item.wrapped_key = cipher.seal(key, TABLE, item.id, "file_key")
    return item


def _seal(
    session: Session, keyring: Keyring, item: EvidenceItem, field: str, plaintext: bytes
) -> bytes:
    return consent.project_cipher(session, keyring, item.project_id).seal(
        plaintext, TABLE, item.id, field
    )


def add_evidence(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    store: BlobStore,
    project_id: str,
    chunks: Iterable[bytes],
    *,
    filename: str,
    collection: Collection | dict[str, object],
    max_bytes: int,
    event_id: str | None = None,
    second_digest: bool = False,
    allow_active: bool = False,
    chunk_bytes: int = stream.CHUNK_BYTES,
    progress: Progress | None = None,
) -> EvidenceItem:
    """Store a file as an original of the project, with its collection record.

    `chunks` is the file's content in pieces of any size (a request body, a file read in blocks);
    `filename` is kept sealed as data. Refused with `InvalidInput` (`EvidenceTooLarge` past
    `max_bytes`) before anything is stored.
    """
    found = check_upload(session, principal, project_id, collection=collection, event_id=event_id)
    name = _clean_filename(filename)
    return _ingest(
        session,
        principal,
        keyring,
        store,
        chunks,
        project_id=project_id,
        filename=name,
        found=found,
        event_id=event_id,
        derived=None,
        max_bytes=max_bytes,
        allow_active=allow_active,
        second_digest=second_digest,
        chunk_bytes=chunk_bytes,
        progress=progress,
    )


def add_working_copy(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    store: BlobStore,
    source_id: str,
    chunks: Iterable[bytes],
    *,
    filename: str,
    operation: str,
    max_bytes: int,
    second_digest: bool = False,
    allow_active: bool = False,
    chunk_bytes: int = stream.CHUNK_BYTES,
    progress: Progress | None = None,
) -> EvidenceItem:
    """A new item made from `source_id` by `operation` (redaction, crop, transcode, translation,
    ocr); it shares the source's collection record and event. The source is not touched."""
    principal.require(Permission.RECORDS_WRITE)
    if operation not in OPERATIONS:
        raise InvalidInput(
            "unknown operation", [FieldError("operation", "one of " + ", ".join(OPERATIONS))]
        )
    source = find_item(session, principal, source_id)
    name = _clean_filename(filename)
    return _ingest(
        session,
        principal,
        keyring,
        store,
        chunks,
        project_id=source.project_id,
        filename=name,
        found=collection_of(session, keyring, source),
        event_id=source.event_id,
        derived=(source, operation),
        max_bytes=max_bytes,
        allow_active=allow_active,
        second_digest=second_digest,
        chunk_bytes=chunk_bytes,
        progress=progress,
    )
