"""Use cases of the audit log: append, checkpoint, verify, export.

`record_event` is called inside the caller's transaction, so an event exists exactly when the change
it describes was committed. Checkpoints are made in a transaction of their own and published to the
witness only after they are committed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dignity.audit.chain import (
    GENESIS_HASH,
    Entry,
    Problem,
    VerifyReport,
    canonical_json,
    check_chain,
    is_digest,
)
from dignity.audit.checkpoints import Checkpoint, DirectoryWitness, sign_checkpoint
from dignity.audit.merkle import MerkleAccumulator
from dignity.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from dignity.exc import FieldError, IntegrityError, InvalidInput
from dignity.store.files import fsync_directory

EXPORT_FORMAT = "dignity-audit-export/1"


def utc_timestamp(moment: datetime | None = None) -> str:
    """UTC time as fixed-width ISO 8601 with microseconds, so text order is time order."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the log within the caller's transaction and return it."""
    # Claiming the next number updates the single head row: this serialises appenders on
    # PostgreSQL (row lock) and SQLite (write lock) until the caller's transaction ends.
    seq = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq)
    ).scalar_one()
    if seq == 1:
        prev_hash = GENESIS_HASH
    else:
        found = session.execute(select(AuditEvent.hash).where(AuditEvent.seq == seq - 1)).scalar()
        if found is None:
            raise IntegrityError(
                f"the audit log is damaged: entry {seq - 1} is missing; run `dignity audit verify`"
            )
        prev_hash = found
    entry = Entry(
        seq=seq,
        occurred_at=utc_timestamp(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=canonical_json(dict(details or {})),
        prev_hash=prev_hash,
        hash="",
    )
    event = AuditEvent(**{**entry.payload(), "prev_hash": prev_hash, "hash": entry.expected_hash()})
    session.add(event)
    session.flush()
    return event


def _entry(event: AuditEvent) -> Entry:
    return Entry(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        details=event.details,
        prev_hash=event.prev_hash,
        hash=event.hash,
    )


def iter_entries(session: Session, batch: int = 2000) -> Iterator[Entry]:
    """Every entry in sequence order, read in batches."""
    rows = session.execute(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    ).scalars()
    for event in rows:
        yield _entry(event)


def log_size(session: Session) -> int:
    return session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def latest_checkpoint(session: Session) -> Checkpoint | None:
    row = session.execute(
        select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)
    ).scalar()
    return _checkpoint(row) if row is not None else None


def _checkpoint(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(
        tree_size=row.tree_size,
        root_hash=row.root_hash,
        issued_at=row.issued_at,
        key_id=row.key_id,
        public_key=row.public_key,
        signature=row.signature,
    )


def stored_checkpoints(session: Session) -> list[Checkpoint]:
    rows = session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)).scalars()
    return [_checkpoint(row) for row in rows]


def make_checkpoint(session: Session, key: Ed25519PrivateKey) -> Checkpoint | None:
    """Sign the root of the whole log as it stands; None when nothing was added since the last."""
    accumulator = MerkleAccumulator()
    for entry in iter_entries(session):
        accumulator.append(bytes.fromhex(entry.hash))
    last = latest_checkpoint(session)
    if accumulator.size == 0 or (last is not None and last.tree_size >= accumulator.size):
        return None
    checkpoint = sign_checkpoint(key, accumulator.size, accumulator.root().hex(), utc_timestamp())
    session.add(AuditCheckpoint(**checkpoint.to_dict()))
    session.flush()
    return checkpoint


def checkpoint_due(session: Session, every: int, max_age: timedelta) -> bool:
    """True when `every` events were added since the last checkpoint, or any were and it is old."""
    size = log_size(session)
    last = latest_checkpoint(session)
    if last is None:
        return size > 0
    new = size - last.tree_size
    if new <= 0:
        return False
    issued = datetime.strptime(last.issued_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return new >= every or datetime.now(UTC) - issued >= max_age


def verify_entries(
    entries: Iterable[Entry],
    checkpoints: Iterable[Checkpoint],
    trusted_key_ids: set[str] | None,
    report: VerifyReport | None = None,
) -> VerifyReport:
    """Check the chain, then every checkpoint's signature, size and Merkle root against it."""
    report = report or VerifyReport()
    by_size: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        report.checkpoints += 1
        problem = checkpoint.signature_problem(trusted_key_ids)
        if problem is not None:
            report.problems.append(
                Problem(None, f"checkpoint of {checkpoint.tree_size} entries: {problem}")
            )
            continue
        by_size.setdefault(checkpoint.tree_size, []).append(checkpoint)
    accumulator = MerkleAccumulator()
    for entry in check_chain(entries, report):
        # A damaged hash was reported by check_chain; it still takes its place in the tree.
        accumulator.append(bytes.fromhex(entry.hash) if is_digest(entry.hash) else b"")
        for checkpoint in by_size.get(accumulator.size, []):
            if accumulator.root().hex() != checkpoint.root_hash:
                report.problems.append(
                    Problem(
                        checkpoint.tree_size,
                        f"entries 1-{checkpoint.tree_size} do not match the checkpoint signed "
                        f"{checkpoint.issued_at} (history rewritten)",
                    )
                )
    beyond = [size for size in by_size if size > accumulator.size]
    if beyond:
        largest = max(beyond)
        issued = by_size[largest][0].issued_at
        report.problems.append(
            Problem(
                accumulator.size + 1,
                f"missing: the log ends at {accumulator.size} entries but a checkpoint signed "
                f"{issued} covers {largest} (truncated)",
            )
        )
    return report


def verify_store(
    session: Session, trusted_key_ids: set[str] | None, witness: DirectoryWitness | None
) -> VerifyReport:
    """Verify the log in the database against its own checkpoints and the witness's copies."""
    report = VerifyReport()
    checkpoints = stored_checkpoints(session)
    if witness is not None:
        witnessed, problems = witness.read()
        report.problems.extend(problems)
        checkpoints.extend(witnessed)
    # The database and the witness usually hold the same checkpoints: check each one once.
    unique = list(dict.fromkeys(checkpoints))
    return verify_entries(iter_entries(session), unique, trusted_key_ids, report)


def _entry_record(entry: Entry) -> str:
    record = {"type": "entry", **entry.payload(), "prev_hash": entry.prev_hash, "hash": entry.hash}
    return canonical_json(record) + "\n"


def export_lines(session: Session, counter: list[int] | None = None) -> Iterator[str]:
    """The export file, line by line: a header, every entry, then the checkpoints they cover.

    Checkpoints signed while the export was being read (covering entries it did not read) are
    left out, so a consistent export never looks truncated. `counter[0]` counts the entries.
    """
    count = 0
    yield canonical_json({"type": "header", "format": EXPORT_FORMAT}) + "\n"
    for entry in iter_entries(session):
        count += 1
        yield _entry_record(entry)
    if counter is not None:
        counter[:] = [count]
    for checkpoint in stored_checkpoints(session):
        if checkpoint.tree_size <= count:
            yield canonical_json({"type": "checkpoint", **checkpoint.to_dict()}) + "\n"


def export_log(session: Session, path: Path) -> int:
    """Write the whole log and its checkpoints as JSON lines; returns the number of entries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    counter = [0]
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(export_lines(session, counter))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)
    return counter[0]


def _wrong_types(record: dict[str, Any], location: str) -> list[FieldError]:
    """The fields of an exported entry that `export_log` could not have written."""
    errors: list[FieldError] = []
    for name in Entry.__dataclass_fields__:
        value = record[name]
        if name == "seq":
            if not isinstance(value, int) or isinstance(value, bool):
                errors.append(FieldError(name, "not an integer", location))
        elif not isinstance(value, str):
            errors.append(FieldError(name, "not a string", location))
        elif name in ("prev_hash", "hash") and not is_digest(value):
            errors.append(FieldError(name, "not a SHA-256 hex digest", location))
    return errors


def read_export(path: Path) -> tuple[list[Entry], list[Checkpoint]]:
    """Parse an export file, naming the line and field of anything malformed."""
    entries: list[Entry] = []
    checkpoints: list[Checkpoint] = []
    fields = (*Entry.__dataclass_fields__,)
    number = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            location = f"{path}:{number}"
            try:
                record = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise InvalidInput(
                    "unreadable audit export", [FieldError("line", str(error), location)]
                ) from error
            kind = record.get("type") if isinstance(record, dict) else None
            if number == 1:
                if kind != "header" or record.get("format") != EXPORT_FORMAT:
                    raise InvalidInput(
                        "not a Dignity audit export",
                        [FieldError("format", f"expected {EXPORT_FORMAT}", location)],
                    )
            elif kind == "entry":
                missing = [
                    FieldError(name, "missing", location) for name in fields if name not in record
                ]
                if missing:
                    raise InvalidInput("incomplete audit entry", missing)
                wrong = _wrong_types(record, location)
                if wrong:
                    raise InvalidInput("bad audit entry", wrong)
                entries.append(Entry(**{name: record[name] for name in fields}))
            elif kind == "checkpoint":
                checkpoints.append(Checkpoint.from_dict(record, location))
            else:
                raise InvalidInput(
                    "unknown record in audit export", [FieldError("type", repr(kind), location)]
                )
    if number == 0:
        raise InvalidInput(
            "not a Dignity audit export",
            [FieldError("format", f"expected {EXPORT_FORMAT}", f"{path}:1")],
        )
    return entries, checkpoints


def verify_export(path: Path, trusted_key_ids: set[str] | None) -> VerifyReport:
    """Verify an exported log offline: no database, only the file (and the keys to trust)."""
    entries, checkpoints = read_export(path)
    return verify_entries(entries, checkpoints, trusted_key_ids)
