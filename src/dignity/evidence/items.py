"""Evidence items as their readers see them: finding one (with the project's row filter), listing,
and opening the sealed parts of a row (file name, collection record, file key).

Access follows the project: reading needs `records:read` and membership of the item's project;
another project's item is "not found", exactly as a wrong id.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

import dignity.consent.services as consent
from dignity.evidence import stream
from dignity.evidence.custody import TABLE
from dignity.evidence.models import EvidenceItem
from dignity.exc import FieldError, InvalidInput, NotFound
from dignity.security.authz import Principal, project_filter, visible_project
from dignity.security.crypto import Keyring
from dignity.security.permissions import Permission
from dignity.store.types import utcnow

NOT_FOUND = "no such evidence item"


class Collection(BaseModel):
    """How an item was collected (Berkeley Protocol): who, how, from where, when and why."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    # Who collected it (sealed: a field contact's name can identify them).
    collected_by: str = Field(min_length=1, max_length=200)
    # How: "download", "screenshot", "screen recording", "device copy", "received" ...
    method: str = Field(min_length=1, max_length=100)
    tool: str = Field(default="", max_length=200)
    tool_version: str = Field(default="", max_length=100)
    # The account or persona used to reach the source (sealed).
    account_or_persona: str = Field(default="", max_length=500)
    # Where from: a URL or a device (sealed).
    source: str = Field(min_length=1, max_length=2000)
    collected_at: AwareDatetime
    # What `collected_at` was read from: "device", "ntp", "gps", "stated" ...
    clock_source: str = Field(default="stated", min_length=1, max_length=100)
    # Why it was collected (sealed); the event it documents is `event_id` of the item.
    purpose: str = Field(default="", max_length=4000)

    def __repr__(self) -> str:  # the sealed values stay out of logs and tracebacks
        return f"Collection(method={self.method!r}, collected_at={self.collected_at.isoformat()})"

    __str__ = __repr__


SEALED_COLLECTION = ("collected_by", "account_or_persona", "source", "purpose")


def collection(**values: object) -> Collection:
    """A `Collection` from raw values, or `InvalidInput` naming each bad field (not its value)."""
    try:
        found = Collection.model_validate(values)
    except ValidationError as error:
        problems = [
            FieldError(".".join(str(p) for p in e["loc"]) or "collection", e["msg"])
            for e in error.errors(include_input=False, include_url=False)
        ]
        raise InvalidInput("the collection record is not valid", problems) from None
    if found.collected_at > utcnow() + timedelta(days=1):
        raise InvalidInput(
            "the collection record is not valid",
            [FieldError("collected_at", "is in the future")],
        )
    return found


def as_collection(value: Collection | dict[str, object]) -> Collection:
    return value if isinstance(value, Collection) else collection(**value)


def find_item(
    session: Session, principal: Principal, item_id: str, *, lock: bool = False
) -> EvidenceItem:
    query = select(EvidenceItem).where(
        EvidenceItem.id == item_id, project_filter(principal, EvidenceItem.project_id)
    )
    found = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def get_item(session: Session, principal: Principal, item_id: str) -> EvidenceItem:
    """The item if the caller may see its project; otherwise `NotFound`, as for a wrong id."""
    principal.require(Permission.RECORDS_READ)
    return find_item(session, principal, item_id)


def list_items(session: Session, principal: Principal, project_id: str) -> list[EvidenceItem]:
    """The project's items, oldest first."""
    principal.require(Permission.RECORDS_READ)
    project = visible_project(session, principal, project_id)
    return list(
        session.execute(
            select(EvidenceItem)
            .where(EvidenceItem.project_id == project.id)
            .order_by(EvidenceItem.ingested_at, EvidenceItem.id)
        ).scalars()
    )


def project_cipher(session: Session, keyring: Keyring, project_id: str) -> consent.ProjectCipher:
    return consent.project_cipher(session, keyring, project_id, create=False)


def filename_of(session: Session, keyring: Keyring, item: EvidenceItem) -> str:
    """The file name as received (data, never a path: escape it wherever it is shown)."""
    sealed = project_cipher(session, keyring, item.project_id).open(
        item.sealed_filename, TABLE, item.id, "filename"
    )
    return sealed.decode("utf-8", "surrogateescape")


def collection_of(session: Session, keyring: Keyring, item: EvidenceItem) -> Collection:
    """The item's whole collection record, its sealed part opened."""
    sealed = project_cipher(session, keyring, item.project_id).open(
        item.sealed_collection, TABLE, item.id, "collection"
    )
    return Collection(
        **json.loads(sealed),
        method=item.collection_method,
        tool=item.collection_tool,
        tool_version=item.collection_tool_version,
        collected_at=item.collected_at,
        clock_source=item.clock_source,
    )


def metadata_of(session: Session, keyring: Keyring, item: EvidenceItem) -> dict[str, Any]:
    """What the item's own bytes said at intake (EXIF, PDF information); {} when nothing."""
    if item.sealed_metadata is None:
        return {}
    sealed = project_cipher(session, keyring, item.project_id).open(
        item.sealed_metadata, TABLE, item.id, "metadata"
    )
    found: dict[str, Any] = json.loads(sealed)
    return found


def file_key(session: Session, keyring: Keyring, item: EvidenceItem) -> bytes:
    return project_cipher(session, keyring, item.project_id).open(
        item.wrapped_key, TABLE, item.id, "file_key"
    )


def digests(item: EvidenceItem) -> stream.Digests:
    return stream.Digests(item.size, item.sha256, item.sha3_512)


def encode_name(text: str) -> bytes:
    # A name read from a disk may carry undecodable bytes (surrogate escapes): keep them exactly.
    return text.encode("utf-8", "surrogateescape")
