"""Chains of custody: one append-only, hash-chained log per evidence item (SECURITY.md item 45).

    hash(n) = SHA-256( canonical_json({item, seq, action, actor, at, purpose, sha256, details,
                                       prev_hash = hash(n-1)}) ),   hash(0) = 64 zeros

Editing any field of an entry, removing or reordering entries breaks the chain at that entry. The
item row keeps the count and the last hash (`custody_seq`, `custody_head`), so dropping the newest
entries is caught too; and every entry is also an event of the audit log (`evidence.<action>`,
with the entry's hash), whose signed checkpoints pin it outside the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.audit.chain import GENESIS_HASH, canonical_json
from dignity.audit.models import AuditEvent
from dignity.audit.services import utc_timestamp
from dignity.evidence.models import CUSTODY_ACTIONS, CustodyEvent, EvidenceItem
from dignity.store.types import utcnow

TABLE = "evidence_items"


def entry_payload(event: CustodyEvent) -> dict[str, Any]:
    """What an entry's hash covers: every column but the hash itself."""
    return {
        "item": event.item_id,
        "seq": event.seq,
        "action": event.action,
        "actor": event.actor,
        "at": utc_timestamp(event.at),
        "purpose": event.purpose,
        "sha256": event.sha256,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }


def entry_hash(event: CustodyEvent) -> str:
    return hashlib.sha256(canonical_json(entry_payload(event)).encode("utf-8")).hexdigest()


def append_custody(
    session: Session,
    item: EvidenceItem,
    action: str,
    *,
    actor: str,
    purpose: str = "",
    sha256: str | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> CustodyEvent:
    """Add the next entry to the item's chain, and the same fact to the audit log.

    The caller holds the item row (it is updated here, which serialises appenders: a row lock on
    PostgreSQL, the write lock on SQLite), so two entries never claim the same number.
    """
    if action not in CUSTODY_ACTIONS:
        raise ValueError(f"unknown custody action {action!r}")
    event = CustodyEvent(
        item_id=item.id,
        seq=item.custody_seq + 1,
        action=action,
        actor=actor,
        # Microseconds are kept by both stores; anything finer would not survive a round trip.
        at=at or utcnow(),
        purpose=purpose,
        sha256=sha256,
        details=dict(details or {}),
        prev_hash=item.custody_head,
    )
    event.hash = entry_hash(event)
    session.add(event)
    item.custody_seq, item.custody_head = event.seq, event.hash
    session.flush()
    record_event(
        session,
        actor=actor,
        action=f"evidence.{action}",
        object_type=TABLE,
        object_id=item.id,
        details={"project": item.project_id, "seq": event.seq, "custody_hash": event.hash},
    )
    return event


@dataclass(frozen=True)
class ChainReport:
    """Whether an item's chain verifies; if not, the first entry that does not and why."""

    entries: int
    first_bad: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def chain_of(session: Session, item_id: str) -> list[CustodyEvent]:
    return list(
        session.execute(
            select(CustodyEvent).where(CustodyEvent.item_id == item_id).order_by(CustodyEvent.seq)
        ).scalars()
    )


def logged_hashes(session: Session, item_id: str) -> list[str]:
    """The custody hashes the audit log holds for the item, in the order they were logged."""
    details = session.execute(
        select(AuditEvent.details)
        .where(
            AuditEvent.action.in_([f"evidence.{action}" for action in CUSTODY_ACTIONS]),
            AuditEvent.object_type == TABLE,
            AuditEvent.object_id == item_id,
        )
        .order_by(AuditEvent.seq)
    ).scalars()
    return [str(json.loads(text).get("custody_hash", "")) for text in details]


def check_chain(
    item: EvidenceItem, events: list[CustodyEvent], logged: list[str] | None = None
) -> ChainReport:
    """Recompute every hash and link of `events` (the item's whole chain, in order), and compare
    the hashes with those the audit log holds (`logged`), if given."""
    previous = GENESIS_HASH
    for number, event in enumerate(events, start=1):
        if event.seq != number:
            return ChainReport(len(events), number, f"entry {number} is missing")
        if not hmac.compare_digest(event.prev_hash, previous):
            return ChainReport(len(events), number, "does not follow the entry before it")
        if not hmac.compare_digest(event.hash, entry_hash(event)):
            return ChainReport(len(events), number, "was changed after it was written")
        previous = event.hash
    if item.custody_seq > len(events):
        missing = len(events) + 1
        return ChainReport(len(events), missing, f"entries from {missing} on are missing")
    if item.custody_seq < len(events):
        extra = item.custody_seq + 1
        return ChainReport(len(events), extra, "was added behind the item's back")
    if not hmac.compare_digest(item.custody_head, previous):
        return ChainReport(len(events), len(events), "is not the entry the item recorded last")
    if logged is not None:
        for number, event in enumerate(events, start=1):
            if number > len(logged) or not hmac.compare_digest(logged[number - 1], event.hash):
                return ChainReport(len(events), number, "is not the entry the audit log holds")
        if len(logged) > len(events):
            missing = len(events) + 1
            return ChainReport(len(events), missing, "is in the audit log but not in the chain")
    return ChainReport(len(events))
