"""Exported logs: the file format, offline verification, and tampering with the file."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker

from dignity.audit import maintenance, record_event
from dignity.audit.chain import GENESIS_HASH, Entry, Problem, canonical_json
from dignity.audit.checkpoints import sign_checkpoint
from dignity.audit.merkle import MerkleAccumulator
from dignity.audit.services import (
    EXPORT_FORMAT,
    export_log,
    iter_entries,
    read_export,
    verify_export,
)
from dignity.exc import InvalidInput
from dignity.security.keys import key_id, public_bytes
from dignity.settings import Settings

HEADER = canonical_json({"type": "header", "format": EXPORT_FORMAT})
# Lines of the exported file: 1 is the header, 2-6 are entries 1-5, 7 is the checkpoint.
ENTRY_LINE = {seq: seq + 1 for seq in range(1, 6)}
CHECKPOINT_LINE = 7


def _record(session: Session, n: int) -> None:
    for i in range(1, n + 1):
        record_event(
            session,
            actor=f"operator:user{i}",
            action="case.updated",
            object_type="case",
            object_id=str(i),
            details={"step": i},
        )


@pytest.fixture
def trusted(settings: Settings) -> set[str]:
    return maintenance.trusted_key_ids(settings)


@pytest.fixture
def exported(
    session: Session, settings: Settings, factory: sessionmaker[Session], tmp_path: Path
) -> Path:
    """Five entries and a checkpoint of all five, exported the way `dignity audit export` does."""
    _record(session, 5)
    assert maintenance.checkpoint_now(settings, factory) is not None
    path = tmp_path / "out" / "audit.jsonl"
    assert export_log(session, path) == 5
    return path


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _checkpoint_record(path: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(_lines(path)[CHECKPOINT_LINE - 1])
    return record


def _issued_at(path: Path) -> str:
    return str(_checkpoint_record(path)["issued_at"])


# --- the file --------------------------------------------------------------------------------


def test_the_export_holds_a_header_every_entry_and_the_checkpoints(
    exported: Path, session: Session
) -> None:
    lines = _lines(exported)
    assert len(lines) == 7
    assert lines[0] == HEADER == '{"format":"dignity-audit-export/1","type":"header"}'
    stored = list(iter_entries(session))
    for entry, line in zip(stored, lines[1:6], strict=True):
        expected = {"type": "entry", **entry.payload(), "prev_hash": entry.prev_hash}
        assert line == canonical_json({**expected, "hash": entry.hash})
    checkpoint = json.loads(lines[6])
    assert (checkpoint["type"], checkpoint["tree_size"]) == ("checkpoint", 5)
    assert exported.read_bytes().endswith(b"}\n")
    assert sorted(p.name for p in exported.parent.iterdir()) == ["audit.jsonl"]


def test_read_export_gives_back_the_entries(exported: Path, session: Session) -> None:
    entries, checkpoints = read_export(exported)
    assert entries == list(iter_entries(session))
    assert [c.tree_size for c in checkpoints] == [5]


def test_an_empty_log_exports_and_verifies(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    assert export_log(session, path) == 0
    assert _lines(path) == [HEADER]
    report = verify_export(path, None)
    assert (report.ok, report.entries, report.checkpoints) == (True, 0, 0)


def test_a_newline_in_a_value_stays_on_one_line(session: Session, tmp_path: Path) -> None:
    forged = "alice\nentry 2: forged"
    record_event(session, actor=forged, action="user.signed_in", object_type="user")
    path = tmp_path / "audit.jsonl"
    assert export_log(session, path) == 1
    assert len(_lines(path)) == 2
    entries, _ = read_export(path)
    assert [(e.seq, e.actor) for e in entries] == [(1, forged)]
    assert verify_export(path, None).ok


def test_a_failed_export_keeps_the_previous_file(
    exported: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = exported.read_bytes()

    def crash(*_args: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        export_log(session, exported)
    assert exported.read_bytes() == before
    assert sorted(p.name for p in exported.parent.iterdir()) == ["audit.jsonl"]


# --- offline verification ---------------------------------------------------------------------


def test_an_export_verifies_offline(exported: Path, trusted: set[str]) -> None:
    for keys in (trusted, None, {*trusted, "0" * 64}):
        report = verify_export(exported, keys)
        assert (report.ok, report.entries, report.checkpoints, report.problems) == (True, 5, 1, [])


def test_a_checkpoint_from_another_key_is_untrusted(exported: Path, trusted: set[str]) -> None:
    signer = next(iter(trusted))
    report = verify_export(exported, {"0" * 64})
    assert report.problems == [
        Problem(None, f"checkpoint of 5 entries: it is signed by an untrusted key {signer[:16]}")
    ]


# --- tampering with the file ------------------------------------------------------------------


def _edit_entry(lines: list[str]) -> list[str]:
    record = json.loads(lines[ENTRY_LINE[3] - 1])
    record["actor"] = "operator:mallory"
    return [*lines[:3], canonical_json(record), *lines[4:]]


def _delete_entry(lines: list[str]) -> list[str]:
    return [line for number, line in enumerate(lines, 1) if number != ENTRY_LINE[3]]


def _swap_entries(lines: list[str]) -> list[str]:
    swapped = [*lines]
    a, b = ENTRY_LINE[2] - 1, ENTRY_LINE[4] - 1
    swapped[a], swapped[b] = lines[b], lines[a]
    return swapped


def _drop_tail(lines: list[str]) -> list[str]:
    return [
        line for number, line in enumerate(lines, 1) if number not in (ENTRY_LINE[4], ENTRY_LINE[5])
    ]


def _duplicate_entry(lines: list[str]) -> list[str]:
    return [*lines[:3], lines[2], *lines[3:]]


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_edit_entry, ["entry 3: content does not match its hash (edited)"]),
        (
            _delete_entry,
            [
                "entry 3: missing (entries 3 absent)",
                "entry 5: missing: the log ends at 4 entries but a checkpoint signed {issued} "
                "covers 5 (truncated)",
            ],
        ),
        (
            _swap_entries,
            [
                "entry 2: missing (entries 2-3 absent)",
                "entry 3: out of order after 4",
                "entry 2: out of order after 4",
                "entry 5: entries 1-5 do not match the checkpoint signed {issued} "
                "(history rewritten)",
            ],
        ),
        (
            _drop_tail,
            [
                "entry 4: missing: the log ends at 3 entries but a checkpoint signed {issued} "
                "covers 5 (truncated)"
            ],
        ),
        (
            _duplicate_entry,
            [
                "entry 2: out of order after 2",
                "entry 5: entries 1-5 do not match the checkpoint signed {issued} "
                "(history rewritten)",
            ],
        ),
    ],
    ids=["edited", "deleted", "swapped", "tail-dropped", "duplicated"],
)
def test_tampering_with_the_file_is_detected(
    exported: Path,
    trusted: set[str],
    tamper: Callable[[list[str]], list[str]],
    expected: list[str],
) -> None:
    issued = _issued_at(exported)
    _write(exported, tamper(_lines(exported)))
    report = verify_export(exported, trusted)
    assert [str(p) for p in report.problems] == [e.format(issued=issued) for e in expected]
    assert str(report.first_problem) == expected[0].format(issued=issued)


def _rewrite(lines: list[str], key: Ed25519PrivateKey | None) -> list[str]:
    """Edit entry 2, recompute every hash after it, and (with `key`) sign a new checkpoint."""
    entries = [json.loads(line) for line in lines[1:6]]
    prev_hash = GENESIS_HASH
    accumulator = MerkleAccumulator()
    rewritten: list[str] = []
    for record in entries:
        if record["seq"] == 2:
            record["actor"] = "operator:mallory"
        record["prev_hash"] = prev_hash
        fields = {name: record[name] for name in Entry.__dataclass_fields__ if name != "hash"}
        record["hash"] = Entry(**fields, hash="").expected_hash()
        prev_hash = record["hash"]
        accumulator.append(bytes.fromhex(record["hash"]))
        rewritten.append(canonical_json(record))
    checkpoint = lines[6]
    if key is not None:
        forged = sign_checkpoint(key, 5, accumulator.root().hex(), "2030-01-01T00:00:00.000000Z")
        checkpoint = canonical_json({"type": "checkpoint", **forged.to_dict()})
    return [lines[0], *rewritten, checkpoint]


def test_a_consistently_rewritten_file_fails_the_checkpoint(
    exported: Path, trusted: set[str]
) -> None:
    issued = _issued_at(exported)
    _write(exported, _rewrite(_lines(exported), key=None))
    report = verify_export(exported, trusted)
    assert report.problems == [
        Problem(5, f"entries 1-5 do not match the checkpoint signed {issued} (history rewritten)")
    ]


def test_a_rewritten_file_resigned_by_another_key_needs_the_key_id_to_be_caught(
    exported: Path, trusted: set[str]
) -> None:
    forger = Ed25519PrivateKey.generate()
    _write(exported, _rewrite(_lines(exported), key=forger))
    forger_id = key_id(forger.public_key())
    report = verify_export(exported, trusted)
    assert report.problems == [
        Problem(None, f"checkpoint of 5 entries: it is signed by an untrusted key {forger_id[:16]}")
    ]
    # Without --key-id the forger's own signature is accepted: the file alone proves nothing
    # about who wrote it (docs/audit.md says to always pass the published key id).
    assert verify_export(exported, None).ok


def _flip_base64(value: str) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[-1] ^= 0x01
    return base64.b64encode(bytes(raw)).decode("ascii")


def _other_public_key() -> str:
    public = Ed25519PrivateKey.generate().public_key()
    return base64.b64encode(public_bytes(public)).decode("ascii")


@pytest.mark.parametrize(
    ("field", "change", "problem"),
    [
        ("signature", _flip_base64, "checkpoint of 5 entries: its signature does not verify"),
        (
            "signature",
            lambda _: "not base64!",
            "checkpoint of 5 entries: its signature does not verify",
        ),
        (
            "root_hash",
            lambda _: "ab" * 32,
            "checkpoint of 5 entries: its signature does not verify",
        ),
        ("tree_size", lambda _: 4, "checkpoint of 4 entries: its signature does not verify"),
        (
            "issued_at",
            lambda _: "2020-01-01T00:00:00.000000Z",
            "checkpoint of 5 entries: its signature does not verify",
        ),
        (
            "public_key",
            lambda _: _other_public_key(),
            "checkpoint of 5 entries: its key id does not match its public key",
        ),
        ("public_key", lambda _: "AAAA", "checkpoint of 5 entries: its signature does not verify"),
    ],
    ids=["signature", "signature-garbage", "root", "size", "time", "public-key", "short-key"],
)
def test_a_tampered_checkpoint_is_reported(
    exported: Path,
    trusted: set[str],
    field: str,
    change: Callable[[Any], Any],
    problem: str,
) -> None:
    lines = _lines(exported)
    record = _checkpoint_record(exported)
    record[field] = change(record[field])
    _write(exported, [*lines[:6], canonical_json(record)])
    for keys in (trusted, None):
        assert verify_export(exported, keys).problems == [Problem(None, problem)]


# --- malformed files -------------------------------------------------------------------------


def _replace_line(number: int, text: str) -> Callable[[list[str]], list[str]]:
    def change(lines: list[str]) -> list[str]:
        return [text if n == number else line for n, line in enumerate(lines, 1)]

    return change


def _change_field(number: int, name: str, value: object) -> Callable[[list[str]], list[str]]:
    def change(lines: list[str]) -> list[str]:
        record = json.loads(lines[number - 1])
        if value is KeyError:
            del record[name]
        else:
            record[name] = value
        return [json.dumps(record) if n == number else line for n, line in enumerate(lines, 1)]

    return change


@pytest.mark.parametrize(
    ("change", "line", "message", "field"),
    [
        (_replace_line(1, '{"type":"nonsense"}'), 1, "not a Dignity audit export", "format"),
        (
            _change_field(1, "format", "dignity-audit-export/2"),
            1,
            "not a Dignity audit export",
            "format",
        ),
        (lambda lines: lines[1:], 1, "not a Dignity audit export", "format"),
        (lambda lines: [], 1, "not a Dignity audit export", "format"),
        (_replace_line(4, "not json"), 4, "unreadable audit export", "line"),
        (_replace_line(4, ""), 4, "unreadable audit export", "line"),
        (_replace_line(4, "[1, 2]"), 4, "unknown record in audit export", "type"),
        (_change_field(4, "type", "bogus"), 4, "unknown record in audit export", "type"),
        (_change_field(4, "hash", KeyError), 4, "incomplete audit entry", "hash"),
        (_change_field(4, "seq", "3"), 4, "bad audit entry", "seq"),
        (_change_field(4, "seq", True), 4, "bad audit entry", "seq"),
        (_change_field(4, "actor", None), 4, "bad audit entry", "actor"),
        (_change_field(4, "hash", "zz"), 4, "bad audit entry", "hash"),
        (_change_field(4, "prev_hash", "AB" * 32), 4, "bad audit entry", "prev_hash"),
        (_change_field(7, "tree_size", 0), 7, "bad checkpoint", "tree_size"),
        (_change_field(7, "signature", KeyError), 7, "checkpoint is incomplete", "signature"),
        (_change_field(7, "signature", 5), 7, "bad checkpoint", "signature"),
    ],
    ids=[
        "no-header",
        "other-format",
        "header-removed",
        "empty",
        "not-json",
        "blank-line",
        "not-an-object",
        "unknown-type",
        "entry-incomplete",
        "seq-string",
        "seq-bool",
        "actor-null",
        "hash-not-hex",
        "hash-uppercase",
        "checkpoint-size-zero",
        "checkpoint-incomplete",
        "checkpoint-not-string",
    ],
)
def test_a_malformed_file_names_the_file_and_line(
    exported: Path,
    change: Callable[[list[str]], list[str]],
    line: int,
    message: str,
    field: str,
) -> None:
    _write(exported, change(_lines(exported)))
    with pytest.raises(InvalidInput) as caught:
        verify_export(exported, None)
    error = caught.value
    assert (error.message, error.errors[0].location, error.errors[0].field) == (
        message,
        f"{exported}:{line}",
        field,
    )
    assert str(error).startswith(f"{message}: {exported}:{line}: {field}: ")


def test_a_file_that_is_not_utf8_names_the_line(exported: Path) -> None:
    with exported.open("ab") as handle:
        handle.write(b'{"type": "entry", "actor": "\xff"}\n')
    with pytest.raises(InvalidInput) as caught:
        verify_export(exported, None)
    assert caught.value.message == "unreadable audit export"
    assert caught.value.errors[0].location == f"{exported}:8"
