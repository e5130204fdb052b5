"""Start-up reconciliation of the blob store with the database (issue 8, SECURITY.md item 42).

After a crash the blob store can hold two kinds of leftovers, and both are moved to
`quarantine/`, never deleted (an operator may want to look at them):

* partial files: uploads the process died writing (`LocalBlobStore.quarantine`);
* orphan blobs: committed blobs that no item row names, left when the process died between the
  blob's commit and the database's. They hold ciphertext whose file key was never stored, so
  nothing can read them.

This runs when no write can be in progress: at server start-up, before the first request. A
command-line intake running at that very moment could have its new blob taken for an orphan; so
each run first moves back from quarantine any blob that an item row names (its digests are
checked on every read, so a wrong file could not pass), which heals that case at the next run.

Only counts are logged and audited, never blob ids or names.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dignity.audit import record_event
from dignity.evidence.blobs import LocalBlobStore
from dignity.evidence.custody import TABLE
from dignity.evidence.fixity import orphans
from dignity.evidence.models import EvidenceItem
from dignity.store.files import fsync_directory
from dignity.store.session import write_transaction

log = logging.getLogger("dignity.evidence")


@dataclass(frozen=True)
class RecoveryReport:
    partial: int  # partial files moved to quarantine
    orphans: int  # committed blobs no item names, moved to quarantine
    reinstated: int  # quarantined blobs an item names, moved back into the store

    @property
    def changed(self) -> bool:
        return bool(self.partial or self.orphans or self.reinstated)


def _reinstate(session: Session, store: LocalBlobStore) -> int:
    quarantine = store.root / "quarantine"
    named = set(session.execute(select(EvidenceItem.blob_id)).scalars())
    moved = 0
    for blob_id in sorted(named):
        held = quarantine / blob_id
        if store.exists(blob_id) or not held.is_file():
            continue
        target = store.path(blob_id)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(held, target)
        fsync_directory(target.parent)
        moved += 1
    return moved


def _quarantine_orphans(session: Session, store: LocalBlobStore) -> int:
    quarantine = store.root / "quarantine"
    found = orphans(session, store)
    for blob_id in found:
        target = quarantine / blob_id
        if target.exists():  # a partial file of the same id was quarantined before
            target = quarantine / f"{blob_id}.orphan"
        os.replace(store.path(blob_id), target)
    if found:
        fsync_directory(quarantine)
    return len(found)


def recover_blobs(
    factory: sessionmaker[Session], store: LocalBlobStore, *, actor: str = "system"
) -> RecoveryReport:
    """Reconcile `store` with the items in the database; what was moved is logged and audited."""
    with write_transaction(factory) as session:
        reinstated = _reinstate(session, store)
        partial = len(store.quarantine())
        orphaned = _quarantine_orphans(session, store)
        report = RecoveryReport(partial, orphaned, reinstated)
        if report.changed:
            record_event(
                session,
                actor=actor,
                action="evidence.recovered",
                object_type=TABLE,
                details={"partial": partial, "orphans": orphaned, "reinstated": reinstated},
            )
    if report.changed:
        log.warning(
            "evidence recovery: %d partial files and %d orphan blobs quarantined, "
            "%d blobs moved back from quarantine",
            partial,
            orphaned,
            reinstated,
        )
    return report
