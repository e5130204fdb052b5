"""The hash chain: canonical encoding of events, entry hashes, and checking a run of entries.

    hash(n) = SHA-256( bytes.fromhex(hash(n-1)) ‖ canonical_json(payload(n)) ),  hash(0) = 0…0

Canonical JSON sorts keys, uses no whitespace, keeps non-ASCII as UTF-8 and escapes control
characters, so a value containing a newline can never look like a second entry.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any
from uuid import UUID

GENESIS_HASH = "0" * 64


def _encode_extra(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetimes are ambiguous in the audit log; use UTC-aware ones")
        return value.isoformat()
    if isinstance(value, date | UUID | Decimal | PurePath):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} cannot be written to the audit log")


def canonical_json(value: Any) -> str:
    """One stable text for a JSON-able value: same value, same bytes, on every machine."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_encode_extra,
    )


@dataclass(frozen=True)
class Entry:
    """An audit entry as stored, independent of where it is read from (database or export)."""

    seq: int
    occurred_at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    details: str
    prev_hash: str
    hash: str

    def payload(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "occurred_at": self.occurred_at,
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "details": self.details,
        }

    def expected_hash(self) -> str:
        return entry_hash(self.prev_hash, self.payload())


HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def is_digest(value: object) -> bool:
    """A SHA-256 digest as the log writes it: 64 lowercase hex digits."""
    return isinstance(value, str) and HEX_DIGEST.fullmatch(value) is not None


def entry_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    digest = hashlib.sha256(bytes.fromhex(prev_hash))
    digest.update(canonical_json(payload).encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True)
class Problem:
    """One finding of a verification: `seq` is the first entry it concerns, if any."""

    seq: int | None
    message: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.message}" if self.seq is not None else self.message


@dataclass
class VerifyReport:
    entries: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        located = [p for p in self.problems if p.seq is not None]
        if located:
            return min(located, key=lambda p: p.seq or 0)
        return self.problems[0] if self.problems else None


def check_chain(entries: Iterable[Entry], report: VerifyReport) -> Iterator[Entry]:
    """Check sequence numbers and hashes, adding problems to `report`; yields each entry on.

    Each entry is checked against the stored hash of the one before it, so an edited entry is
    reported once, at its own position, and a removed one at the position it left empty.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    for entry in entries:
        report.entries += 1
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                missing = (
                    f"{expected_seq}"
                    if entry.seq == expected_seq + 1
                    else (f"{expected_seq}-{entry.seq - 1}")
                )
                report.problems.append(Problem(expected_seq, f"missing (entries {missing} absent)"))
            else:
                # Already seen or passed: report it, and keep checking the rest against the
                # entries in order, so intact entries after it are not reported too.
                report.problems.append(Problem(entry.seq, f"out of order after {expected_seq - 1}"))
                yield entry
                continue
        elif not (is_digest(entry.hash) and is_digest(entry.prev_hash)):
            report.problems.append(
                Problem(entry.seq, "its hashes are not SHA-256 digests (edited)")
            )
        elif entry.prev_hash != prev_hash:
            report.problems.append(
                Problem(entry.seq, "does not follow the entry before it (removed or reordered)")
            )
        elif entry.expected_hash() != entry.hash:
            report.problems.append(Problem(entry.seq, "content does not match its hash (edited)"))
        expected_seq = max(expected_seq, entry.seq) + 1
        prev_hash = entry.hash
        yield entry
