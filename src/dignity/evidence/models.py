"""Tables of the evidence vault: items (originals and working copies) and their chains of custody.

    Project ──< EvidenceItem (one stored blob: an original, or a working copy made from one)
                EvidenceItem ──< EvidenceItem (working copies, `derived_from` their source)
                EvidenceItem ──< CustodyEvent (append-only, hash-chained: who, when, why)
    Event (documentation) ──< EvidenceItem (the event the item documents, if any)

The bytes live encrypted in the blob store (`blobs.py`, format in `stream.py`) under a random id
and a per-blob file key; the database holds that key only sealed under the project's data key
(`consent`), bound to `evidence_items|<id>|file_key`. The file's name and who and where it was
collected from can identify people, so they are sealed as well; what stays readable is what a
fixity check, a list or a court needs without those keys: size, digests, media type, when and how
it was collected and ingested, and its state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from dignity.store.base import Base
from dignity.store.types import ID, UTCDateTime, new_id, utcnow

ORIGINAL = "original"
WORKING = "working"
KINDS = (ORIGINAL, WORKING)
OPERATIONS = ("redaction", "crop", "transcode", "translation", "ocr")
STORED = "stored"
CORRUPT = "corrupt"
CUSTODY_ACTIONS = (
    "ingest",
    "view",
    "download",
    "export",
    "transfer",
    "verification",
    "deletion_request",
)


class EvidenceItem(Base):
    """One file as it was received (an original) or as derived from one (a working copy)."""

    __tablename__ = "evidence_items"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(
        ID, ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    # The documented event this item is evidence of; the item outlives the event's deletion.
    event_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("doc_events.id", ondelete="SET NULL"), index=True, default=None
    )
    kind: Mapped[str] = mapped_column(String(16))  # original | working
    # A working copy: the item it was made from, how (`OPERATIONS`), and by whom.
    derived_from: Mapped[str | None] = mapped_column(
        ID, ForeignKey("evidence_items.id", ondelete="RESTRICT"), index=True, default=None
    )
    operation: Mapped[str | None] = mapped_column(String(32), default=None)
    derived_by: Mapped[str | None] = mapped_column(String(200), default=None)
    # Where the encrypted bytes are in the blob store (random, never derived from the name).
    blob_id: Mapped[str] = mapped_column(String(32), unique=True)
    # The blob's file key, sealed under the project's data key (`evidence_items|<id>|file_key`).
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    # The file name as received (data, not a path), sealed (`evidence_items|<id>|filename`).
    sealed_filename: Mapped[bytes] = mapped_column(LargeBinary)
    # Detected from the content's first bytes, never from the name (`mediatypes.py`).
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    sha3_512: Mapped[str | None] = mapped_column(String(128), default=None)
    # The collection record. Who collected it, the account or persona used, the source (URL or
    # device) and why it was collected are one sealed JSON document (`..|collection`).
    sealed_collection: Mapped[bytes] = mapped_column(LargeBinary)
    collection_method: Mapped[str] = mapped_column(String(100))
    collection_tool: Mapped[str] = mapped_column(String(200), default="")
    collection_tool_version: Mapped[str] = mapped_column(String(100), default="")
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What the collection time was read from: "device", "ntp", "gps", "stated" ...
    clock_source: Mapped[str] = mapped_column(String(100))
    ingested_by: Mapped[str] = mapped_column(String(200))
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the item's own bytes say (EXIF, PDF document information), sealed: `metadata`.
    sealed_metadata: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Kinds of sensitive data found in it ("location"), shown as a warning beside the item.
    metadata_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default=STORED)  # stored | corrupt
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # How many custody events the item has, and the hash of the last: a deleted tail is caught.
    custody_seq: Mapped[int] = mapped_column(Integer, default=0)
    custody_head: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"EvidenceItem(id={self.id}, project={self.project_id}, kind={self.kind})"


class CustodyEvent(Base):
    """One entry of an item's chain of custody; entries are only ever added.

    `hash` = SHA-256 of the canonical JSON of the entry (`custody.entry_payload`), which includes
    `prev_hash`, the hash of the entry before it (64 zeros for the first).
    """

    __tablename__ = "evidence_custody"

    item_id: Mapped[str] = mapped_column(
        ID, ForeignKey("evidence_items.id", ondelete="RESTRICT"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(32))  # CUSTODY_ACTIONS
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Why: stated by whoever acted (read by auditors; no names of people belong here).
    purpose: Mapped[str] = mapped_column(Text, default="")
    # The item's SHA-256 at that moment (for a failed verification, None: it could not be read).
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    # Structured facts (result, derived item, chunk size ...); never identifying content.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"CustodyEvent(item={self.item_id}, seq={self.seq}, action={self.action})"
