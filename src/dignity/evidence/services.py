"""Use cases of the evidence vault: intake, reading originals, working copies, chains of custody.

This is the module surfaces and other capabilities use. Adding lives in `intake.py`, finding
items and opening their sealed fields in `items.py`, the chains in `custody.py`, the fixity pass
in `fixity.py`; reading and custody are here, and the rest is re-exported.

Access follows the project: reading needs `records:read` and membership of the item's project,
adding `records:write` as well; another project's item is "not found", exactly as a wrong id.

Intake (`add_evidence`) streams the file through `stream.Encryptor` into a partial blob that no
reader can see: SHA-256 (and optionally SHA3-512) and size are computed on the way, the size
limit is enforced before a byte past it is written, and the type is detected from the first bytes
(`mediatypes.check`). No plaintext byte is written anywhere. Only then is the row written (in a
savepoint) and, last, the blob committed (fsync and rename). So:

* a refused or interrupted upload leaves neither a row nor a blob (the partial file is removed,
  or quarantined at start-up if the process died);
* a failure between the blob commit and the caller's database commit leaves an *orphan blob*, a
  committed blob that no row names. It holds ciphertext only and is harmless; `fixity.verify_all`
  (`dignity evidence verify`) reports orphans so an operator can look into them. The reverse, a row
  whose blob is missing, cannot be made by this order; if a blob goes missing later, reading and
  fixity treat it as corrupt.

Nothing here changes or deletes a stored blob: originals are write-once, and working copies
(`add_working_copy`) are new items that name the item they derive from.

Reading (`open_original`) verifies the whole blob against its recorded digests before the first
plaintext byte is returned (fail closed). A blob that fails is marked corrupt, with a custody
entry and an `evidence.corrupt` audit event written in the caller's session; the caller commits
that session before reporting the error (as the surfaces do for failed sign-ins), so the alert
survives the failed request.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.evidence import stream
from dignity.evidence.blobs import BlobStore
from dignity.evidence.bundle_verify import BundleReport, verify_bundle
from dignity.evidence.bundles import (
    ExportedBundle,
    WrittenBundle,
    export_bundle,
    record_bundle,
    record_corrupt,
    write_bundle,
)
from dignity.evidence.custody import (
    TABLE,
    ChainReport,
    append_custody,
    chain_of,
    check_chain,
    logged_hashes,
)
from dignity.evidence.intake import (
    EvidenceTooLarge,
    Streamed,
    add_evidence,
    add_streamed,
    add_working_copy,
    check_upload,
    stream_in,
)
from dignity.evidence.items import (
    Collection,
    collection,
    collection_of,
    digests,
    file_key,
    filename_of,
    find_item,
    get_item,
    list_items,
    metadata_of,
)
from dignity.evidence.models import CORRUPT, CustodyEvent, EvidenceItem
from dignity.exc import FieldError, IntegrityError, InvalidInput, NotFound
from dignity.security.authz import Principal
from dignity.security.crypto import Keyring
from dignity.security.permissions import Permission
from dignity.store.types import utcnow

__all__ = [
    "BundleReport",
    "ChainReport",
    "Collection",
    "CorruptEvidence",
    "EvidenceTooLarge",
    "ExportedBundle",
    "Streamed",
    "WrittenBundle",
    "add_evidence",
    "add_streamed",
    "add_working_copy",
    "check_blob",
    "check_upload",
    "collection",
    "collection_of",
    "custody",
    "export_bundle",
    "filename_of",
    "get_item",
    "list_items",
    "mark_corrupt",
    "metadata_of",
    "open_original",
    "record_bundle",
    "record_corrupt",
    "stream_in",
    "verify_bundle",
    "verify_chain",
    "write_bundle",
]


class CorruptEvidence(IntegrityError):
    """The stored blob failed its integrity check; nothing of it was returned. `item_id` and
    `problem` say which and why, for a caller that records it in a transaction of its own."""

    def __init__(self, message: str, *, item_id: str = "", problem: str = "") -> None:
        super().__init__(message)
        self.item_id = item_id
        self.problem = problem


def mark_corrupt(
    session: Session, item: EvidenceItem, *, actor: str, during: str, problem: str
) -> None:
    """Record that the item's blob failed a check: state, a custody entry, an audit alert."""
    item.state = CORRUPT
    item.last_verified_at = utcnow()
    append_custody(
        session,
        item,
        "verification",
        actor=actor,
        purpose=during,
        details={"result": "corrupt", "problem": problem},
    )
    record_event(
        session,
        actor=actor,
        action="evidence.corrupt",
        object_type=TABLE,
        object_id=item.id,
        details={"project": item.project_id, "during": during, "problem": problem},
    )


def check_blob(
    session: Session, keyring: Keyring, store: BlobStore, item: EvidenceItem
) -> tuple[bytes, str | None]:
    """Read and authenticate the item's whole blob against its digests: (file key, problem)."""
    try:
        key = file_key(session, keyring, item)
        with store.open(item.blob_id) as source:
            stream.verify(source, item.blob_id, key, digests(item))
    except (IntegrityError, NotFound) as error:
        return b"", str(error)
    return key, None


def _plaintext(
    store: BlobStore, item: EvidenceItem, key: bytes, expected: stream.Digests
) -> Iterator[bytes]:
    """The blob's plaintext, every chunk authenticated; the digests checked again at the end."""
    hashes = stream._Hashes(expected.sha3_512 is not None)
    with store.open(item.blob_id) as source:
        for chunk in stream.decrypt(source, item.blob_id, key):
            hashes.update(chunk)
            yield chunk
    found = hashes.digests()
    if found.size != expected.size or not hmac.compare_digest(found.sha256, expected.sha256):
        raise CorruptEvidence(f"evidence item {item.id}: the blob changed while it was read")


def open_original(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    store: BlobStore,
    item_id: str,
    *,
    purpose: str,
    action: str = "download",
) -> tuple[EvidenceItem, Iterator[bytes]]:
    """The item and its content, exactly as ingested, after the whole blob has been verified.

    `action` is "download" or "view"; it is logged in the item's custody with `purpose`.
    A blob that fails verification raises `CorruptEvidence` after the item is marked corrupt
    (commit the session before reporting it; see the module docstring).
    """
    principal.require(Permission.RECORDS_READ)
    if action not in ("view", "download"):
        raise ValueError(f"not a reading action: {action!r}")
    if not purpose.strip():
        raise InvalidInput("why is it opened?", [FieldError("purpose", "state the purpose")])
    item = find_item(session, principal, item_id, lock=True)
    key, problem = check_blob(session, keyring, store, item)
    if problem is not None:
        mark_corrupt(session, item, actor=principal.actor, during=action, problem=problem)
        raise CorruptEvidence(
            f"evidence item {item.id}: the stored file fails its integrity check; nothing was "
            "returned and the item is marked corrupt"
        )
    append_custody(
        session, item, action, actor=principal.actor, purpose=purpose.strip(), sha256=item.sha256
    )
    return item, _plaintext(store, item, key, digests(item))


def custody(session: Session, principal: Principal, item_id: str) -> list[CustodyEvent]:
    """The item's chain of custody, oldest entry first."""
    principal.require(Permission.RECORDS_READ)
    return chain_of(session, find_item(session, principal, item_id).id)


def verify_chain(session: Session, principal: Principal, item_id: str) -> ChainReport:
    """Recompute the item's custody chain and compare it with the audit log: whether it is whole
    and unchanged."""
    principal.require(Permission.RECORDS_READ)
    item = find_item(session, principal, item_id)
    return check_chain(item, chain_of(session, item.id), logged_hashes(session, item.id))
