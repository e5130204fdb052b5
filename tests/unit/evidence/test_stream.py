"""The encrypted blob format and the local blob store (SECURITY.md items 5 and 6): round trips,
and every kind of tampering with stored bytes fails closed: a flipped byte, a truncated blob, a
dropped or appended chunk, swapped chunks, a blob under another id, a wrong key."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dignity.evidence.blobs import LocalBlobStore, new_blob_id, writing
from dignity.evidence.stream import (
    HEADER_BYTES,
    TAG_BYTES,
    Digests,
    Encryptor,
    decrypt,
    verify,
)
from dignity.exc import IntegrityError

CHUNK = 64
BLOB = "0" * 32


def _seal(
    data: bytes, pieces: list[int] | None = None, blob_id: str = BLOB
) -> tuple[bytes, bytes, Digests]:
    sink = io.BytesIO()
    encryptor = Encryptor(sink, blob_id, chunk_bytes=CHUNK, second_digest=True)
    start = 0
    for size in pieces or [len(data)]:
        encryptor.write(data[start : start + size])
        start += size
    encryptor.write(data[start:])
    digests = encryptor.finish()
    return sink.getvalue(), encryptor.key, digests


def _open(sealed: bytes, key: bytes, blob_id: str = BLOB) -> bytes:
    return b"".join(decrypt(io.BytesIO(sealed), blob_id, key))


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=5 * CHUNK + 3), cuts=st.lists(st.integers(0, 3 * CHUNK), max_size=6))
def test_any_content_written_in_any_pieces_round_trips(data: bytes, cuts: list[int]) -> None:
    sealed, key, digests = _seal(data, cuts)
    assert _open(sealed, key) == data
    assert digests.size == len(data)
    assert digests.sha256 == hashlib.sha256(data).hexdigest()
    assert digests.sha3_512 == hashlib.sha3_512(data).hexdigest()
    assert verify(io.BytesIO(sealed), BLOB, key, digests) == digests
    # One chunk per started CHUNK bytes, plus the final one when the content fills its chunks.
    chunks = max(1, -(-len(data) // CHUNK))
    assert len(sealed) == HEADER_BYTES + len(data) + chunks * TAG_BYTES


@settings(max_examples=150, deadline=None)
@given(data=st.binary(min_size=1, max_size=4 * CHUNK), where=st.integers(0), bit=st.integers(0, 7))
def test_any_flipped_bit_fails_closed(data: bytes, where: int, bit: int) -> None:
    sealed, key, _ = _seal(data)
    damaged = bytearray(sealed)
    damaged[where % len(damaged)] ^= 1 << bit
    with pytest.raises(IntegrityError):
        _open(bytes(damaged), key)


def _chunks(sealed: bytes) -> list[bytes]:
    body = sealed[HEADER_BYTES:]
    size = CHUNK + TAG_BYTES
    return [body[i : i + size] for i in range(0, len(body), size)]


def test_truncated_reordered_dropped_or_extended_blobs_fail_closed() -> None:
    data = os.urandom(3 * CHUNK + 10)
    sealed, key, _ = _seal(data)
    header, chunks = sealed[:HEADER_BYTES], _chunks(sealed)
    assert len(chunks) == 4
    broken = {
        "last chunk cut short": sealed[:-5],
        "last chunk dropped": header + b"".join(chunks[:3]),
        "header only": header,
        "first two swapped": header + chunks[1] + chunks[0] + b"".join(chunks[2:]),
        "middle chunk dropped": header + chunks[0] + b"".join(chunks[2:]),
        "chunk repeated": header + chunks[0] + b"".join(chunks),
        "bytes appended": sealed + b"\0" * 20,
        "final chunk appended twice": sealed + chunks[-1],
    }
    for what, damaged in broken.items():
        with pytest.raises(IntegrityError):
            _open(damaged, key)
        assert what  # every case above is refused


def test_a_blob_under_another_id_or_key_does_not_open() -> None:
    sealed, key, _ = _seal(b"testimony")
    with pytest.raises(IntegrityError):
        _open(sealed, key, blob_id="1" * 32)
    with pytest.raises(IntegrityError):
        _open(sealed, os.urandom(32))


def test_verify_compares_the_recorded_digest() -> None:
    sealed, key, digests = _seal(b"original")
    other = Digests(digests.size, hashlib.sha256(b"another!").hexdigest(), None)
    with pytest.raises(IntegrityError, match="SHA-256"):
        verify(io.BytesIO(sealed), BLOB, key, other)


def test_nonce_prefixes_and_keys_never_repeat() -> None:
    seen_prefix, seen_key = set(), set()
    for _ in range(2000):
        sealed, key, _ = _seal(b"same plaintext")
        seen_prefix.add(sealed[4 + 4 : HEADER_BYTES])
        seen_key.add(key)
    assert len(seen_prefix) == len(seen_key) == 2000


def test_the_store_writes_once_and_hides_partial_blobs(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "store")
    canary = b"CANARY-" + os.urandom(8).hex().encode()
    blob_id = new_blob_id()
    with writing(store, blob_id) as handle:
        encryptor = Encryptor(handle, blob_id, chunk_bytes=CHUNK)
        encryptor.write(canary * 50)
        assert not store.exists(blob_id)  # nothing is visible before the commit
        digests = encryptor.finish()
    assert store.exists(blob_id)
    on_disk = b"".join(p.read_bytes() for p in (tmp_path / "store").rglob("*") if p.is_file())
    assert canary not in on_disk
    with store.open(blob_id) as source:
        verify(source, blob_id, encryptor.key, digests)
    with pytest.raises(IntegrityError), writing(store, blob_id):
        pass  # the same id again: refused, the original stays
    with store.open(blob_id) as source:
        verify(source, blob_id, encryptor.key, digests)

    failed = new_blob_id()

    def interrupted() -> None:
        with writing(store, failed) as handle:
            handle.write(b"half")
            raise RuntimeError("upload interrupted")

    with pytest.raises(RuntimeError):
        interrupted()
    assert not store.exists(failed)
    assert list((tmp_path / "store" / "partial").iterdir()) == []


def test_partial_files_left_by_a_crash_are_quarantined(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    left = new_blob_id()
    with store.create(left) as handle:  # closed, but never committed nor aborted
        handle.write(b"left by a crash")
    assert store.quarantine() == [left]
    assert not store.exists(left)
    assert (tmp_path / "quarantine" / left).read_bytes() == b"left by a crash"
    with pytest.raises(ValueError, match="not a blob id"):
        store.path("../../etc/passwd")
