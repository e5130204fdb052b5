"""Fixity: re-read every stored item and check it against the digests taken at intake (item 45).

`verify_all` authenticates and re-hashes each item's whole blob, logs a `verification` entry in
its custody (result `ok` or `corrupt`), marks corrupt ones and raises an `evidence.corrupt` audit
alert for each, and reports orphan blobs (committed blobs no row names; see `services`). Each item
is checked and recorded in a transaction of its own, so a long run keeps what it has done and
holds the database's write lock only for a moment per item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dignity.audit import record_event
from dignity.evidence.blobs import BlobStore
from dignity.evidence.custody import TABLE, append_custody
from dignity.evidence.models import CORRUPT, STORED, EvidenceItem
from dignity.evidence.services import check_blob, mark_corrupt
from dignity.security.crypto import Keyring
from dignity.store.session import write_transaction
from dignity.store.types import utcnow

FixityProgress = Callable[[int, int], None]  # items checked, items in all


class ListableStore(BlobStore, Protocol):
    def ids(self) -> Iterator[str]: ...


@dataclass
class FixityReport:
    checked: int = 0
    ok: int = 0
    corrupt: list[str] = field(default_factory=list)  # item ids
    orphans: list[str] = field(default_factory=list)  # blob ids no row names


def orphans(session: Session, store: ListableStore) -> list[str]:
    """Committed blobs that no item names (left by a failure between blob and row commits)."""
    known = set(session.execute(select(EvidenceItem.blob_id)).scalars())
    return [blob_id for blob_id in store.ids() if blob_id not in known]


def verify_all(
    factory: sessionmaker[Session],
    keyring: Keyring,
    store: ListableStore,
    *,
    actor: str,
    progress: FixityProgress | None = None,
) -> FixityReport:
    """Check every item of every project; what it found is in the report, custody and audit log."""
    report = FixityReport()
    with factory() as session:
        ids = list(
            session.execute(select(EvidenceItem.id).order_by(EvidenceItem.ingested_at)).scalars()
        )
    for item_id in ids:
        with write_transaction(factory) as session:
            item = session.execute(
                select(EvidenceItem).where(EvidenceItem.id == item_id).with_for_update()
            ).scalar_one()
            _, problem = check_blob(session, keyring, store, item)
            if problem is None:
                restored = item.state == CORRUPT  # e.g. the blob came back from a backup
                item.state, item.last_verified_at = STORED, utcnow()
                details: dict[str, object] = {"result": "ok"}
                if restored:
                    details["was"] = CORRUPT
                append_custody(
                    session,
                    item,
                    "verification",
                    actor=actor,
                    purpose="fixity check",
                    sha256=item.sha256,
                    details=details,
                )
                report.ok += 1
            else:
                mark_corrupt(session, item, actor=actor, during="fixity check", problem=problem)
                report.corrupt.append(item.id)
        report.checked += 1
        if progress is not None:
            progress(report.checked, len(ids))
    with write_transaction(factory) as session:
        report.orphans = orphans(session, store)
        record_event(
            session,
            actor=actor,
            action="evidence.fixity-checked",
            object_type=TABLE,
            details={
                "checked": report.checked,
                "ok": report.ok,
                "corrupt": len(report.corrupt),
                "orphans": len(report.orphans),
            },
        )
    return report
