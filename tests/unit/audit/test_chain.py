"""The hash chain: canonical JSON, entry hashes, and the chain check on runs of entries."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path, PurePosixPath
from uuid import UUID

import pytest

from dignity.audit.chain import (
    GENESIS_HASH,
    Entry,
    Problem,
    VerifyReport,
    canonical_json,
    check_chain,
    entry_hash,
)

FORGED_ACTOR = "alice\nentry 2: forged"
# The C0 control characters, including every one that some tool treats as a line break.
C0_CONTROLS = [chr(code) for code in range(0x20)]


# --- canonical JSON ---------------------------------------------------------------------------


def test_key_order_does_not_matter() -> None:
    first = {"b": 1, "a": {"y": [1, 2], "x": None}, "c": "z"}
    second = {"c": "z", "a": {"x": None, "y": [1, 2]}, "b": 1}
    assert canonical_json(first) == canonical_json(second)
    assert canonical_json(first) == '{"a":{"x":null,"y":[1,2]},"b":1,"c":"z"}'


def test_no_whitespace_between_tokens() -> None:
    assert canonical_json({"a": [1, {"b": True}], "c": 1.5}) == '{"a":[1,{"b":true}],"c":1.5}'


@pytest.mark.parametrize(
    "text", ["Ünïcödé", "مرحبا", "שלום", "日本語", "emoji 🙂", "Ωmega"], ids=repr
)
def test_non_ascii_is_kept_as_utf8(text: str) -> None:
    encoded = canonical_json({"name": text})
    assert encoded == '{"name":"' + text + '"}'
    assert json.loads(encoded.encode("utf-8")) == {"name": text}


@pytest.mark.parametrize("control", C0_CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_control_characters_are_escaped(control: str) -> None:
    encoded = canonical_json({"actor": f"a{control}b"})
    assert control not in encoded
    assert encoded.splitlines() == [encoded]
    assert json.loads(encoded) == {"actor": f"a{control}b"}


def test_a_newline_in_a_value_yields_one_line_and_one_record(tmp_path: Path) -> None:
    encoded = canonical_json({"seq": 1, "actor": FORGED_ACTOR})
    assert "\n" not in encoded
    assert encoded.splitlines() == [encoded]
    # Written as a JSON-lines file and read back the way the verifier reads it: one record.
    path = tmp_path / "one.jsonl"
    path.write_text(encoded + "\n", encoding="utf-8")
    with path.open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    assert records == [{"seq": 1, "actor": FORGED_ACTOR}]


def test_equal_values_give_identical_bytes_across_calls() -> None:
    value = {"when": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), "n": [3, 2, 1], "s": "x"}
    assert canonical_json(value) == canonical_json(dict(reversed(list(value.items()))))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(TypeError, match="naive datetimes"):
        canonical_json({"when": datetime(2026, 1, 2, 3, 4, 5)})  # noqa: DTZ001 (the point)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), '"2026-01-02T03:04:05+00:00"'),
        (
            datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=timezone(timedelta(hours=2))),
            '"2026-01-02T03:04:05.123456+02:00"',
        ),
        (date(2026, 1, 2), '"2026-01-02"'),
        (UUID("12345678-1234-5678-1234-567812345678"), '"12345678-1234-5678-1234-567812345678"'),
        (Decimal("10.50"), '"10.50"'),
        (Decimal("-0.000001"), '"-0.000001"'),
        (PurePosixPath("a/b.txt"), '"a/b.txt"'),
        ({"b", "a", "c"}, '["a","b","c"]'),
        (frozenset({2, 1}), "[1,2]"),
    ],
    ids=["utc", "offset", "date", "uuid", "decimal", "small-decimal", "path", "set", "frozenset"],
)
def test_extra_types_are_encoded(value: object, encoded: str) -> None:
    assert canonical_json({"v": value}) == '{"v":' + encoded + "}"


@pytest.mark.parametrize(
    "value", [b"bytes", object(), 1 + 2j, float("nan"), float("inf")], ids=repr
)
def test_values_without_a_canonical_form_are_refused(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        canonical_json({"v": value})


# --- entry hashes -----------------------------------------------------------------------------


def _entry(**changes: object) -> Entry:
    base = Entry(
        seq=1,
        occurred_at="2026-01-02T03:04:05.000006Z",
        actor="operator:alice",
        action="case.created",
        object_type="case",
        object_id="42",
        details='{"title":"x"}',
        prev_hash=GENESIS_HASH,
        hash="",
    )
    return replace(base, **changes)


def test_entry_hash_is_sha256_of_previous_hash_and_canonical_payload() -> None:
    entry = _entry(prev_hash="ab" * 32)
    expected = hashlib.sha256(
        bytes.fromhex("ab" * 32)
        + (
            b'{"action":"case.created","actor":"operator:alice","details":"{\\"title\\":\\"x\\"}",'
            b'"object_id":"42","object_type":"case","occurred_at":"2026-01-02T03:04:05.000006Z",'
            b'"seq":1}'
        )
    ).hexdigest()
    assert entry.expected_hash() == expected
    assert entry_hash(entry.prev_hash, entry.payload()) == expected


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 2},
        {"occurred_at": "2026-01-02T03:04:05.000007Z"},
        {"actor": "operator:mallory"},
        {"action": "case.deleted"},
        {"object_type": "person"},
        {"object_id": "43"},
        {"details": '{"title":"y"}'},
        {"prev_hash": "00" * 31 + "01"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_entry_hash_changes_with_every_field(change: dict[str, object]) -> None:
    assert _entry(**change).expected_hash() != _entry().expected_hash()


def test_the_stored_hash_is_not_part_of_the_payload() -> None:
    assert _entry(hash="ff" * 32).expected_hash() == _entry().expected_hash()


# --- checking a run of entries ----------------------------------------------------------------


def _chain(n: int) -> list[Entry]:
    entries: list[Entry] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        entry = _entry(seq=seq, object_id=str(seq), prev_hash=prev)
        entry = replace(entry, hash=entry.expected_hash())
        entries.append(entry)
        prev = entry.hash
    return entries


def _check(entries: list[Entry]) -> VerifyReport:
    report = VerifyReport()
    passed = list(check_chain(entries, report))
    assert passed == entries  # every entry is passed on, good or bad
    return report


def test_an_intact_chain_has_no_problems() -> None:
    report = _check(_chain(5))
    assert (report.ok, report.entries, report.problems, report.first_problem) == (True, 5, [], None)


def test_an_empty_chain_has_no_problems() -> None:
    assert _check([]).ok


def test_an_edited_entry_is_reported_at_its_position_only() -> None:
    entries = _chain(5)
    entries[2] = replace(entries[2], actor="operator:mallory")
    assert _check(entries).problems == [Problem(3, "content does not match its hash (edited)")]


def test_a_removed_entry_is_reported_where_it_was() -> None:
    entries = _chain(5)
    del entries[2]
    assert _check(entries).problems == [Problem(3, "missing (entries 3 absent)")]


def test_removed_entries_are_reported_as_a_range() -> None:
    entries = _chain(6)
    del entries[1:4]
    assert _check(entries).problems == [Problem(2, "missing (entries 2-4 absent)")]


def test_a_first_entry_that_does_not_start_from_genesis_is_reported() -> None:
    entries = _chain(2)
    entries[0] = replace(entries[0], prev_hash="11" * 32)
    report = _check(entries)
    assert report.first_problem == Problem(
        1, "does not follow the entry before it (removed or reordered)"
    )


def test_renumbered_entries_are_reported_at_the_first_one() -> None:
    # Two entries swap places and numbers: the numbering still runs 1..5 but the links break.
    entries = _chain(5)
    entries[1], entries[3] = replace(entries[3], seq=2), replace(entries[1], seq=4)
    report = _check(entries)
    assert report.first_problem == Problem(
        2, "does not follow the entry before it (removed or reordered)"
    )
    assert [p.seq for p in report.problems] == [2, 3, 4, 5]


def test_swapped_entries_are_reported_at_the_smaller_position() -> None:
    entries = _chain(5)
    entries[1], entries[3] = entries[3], entries[1]
    report = _check(entries)
    assert report.first_problem == Problem(2, "missing (entries 2-3 absent)")
    # Entry 5 is intact and follows entry 4: only the displaced entries are reported.
    assert report.problems == [
        Problem(2, "missing (entries 2-3 absent)"),
        Problem(3, "out of order after 4"),
        Problem(2, "out of order after 4"),
    ]


@pytest.mark.parametrize("position", [2, 3, 4], ids=lambda p: f"copy-at-{p}")
def test_a_duplicated_entry_is_reported_once(position: int) -> None:
    entries = _chain(4)
    entries.insert(position, entries[1])
    after = max(position, 2)
    assert _check(entries).problems == [Problem(2, f"out of order after {after}")]


def test_first_problem_is_the_smallest_located_one() -> None:
    report = VerifyReport(
        problems=[Problem(None, "unlocated"), Problem(7, "late"), Problem(3, "early")]
    )
    assert report.first_problem == Problem(3, "early")
    assert VerifyReport(problems=[Problem(None, "only")]).first_problem == Problem(None, "only")


def test_problem_text_names_the_entry() -> None:
    assert str(Problem(3, "edited")) == "entry 3: edited"
    assert str(Problem(None, "bad checkpoint")) == "bad checkpoint"
