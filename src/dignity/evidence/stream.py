"""The encrypted blob format: a file is encrypted chunk by chunk as it streams in, and any change
to the stored bytes fails closed on the way out (SECURITY.md items 5 and 6).

    header  = b"DGB1" ‖ chunk size (4 bytes, big-endian) ‖ nonce prefix (7 random bytes)
    chunk i = AES-256-GCM(file key, nonce = prefix ‖ i (4 bytes) ‖ final flag (1 byte),
                          plaintext chunk, associated data = header ‖ blob id)

Every chunk but the last holds exactly `chunk size` bytes of plaintext; the last (possibly empty)
is the only one whose nonce carries the final flag. So flipping a byte fails that chunk's tag,
swapping or reordering chunks fails (the counter is in the nonce), truncation fails (no final
chunk, or a short chunk that is not final), an appended chunk fails (nothing may follow the final
one), and a blob copied under another id fails (the id is authenticated). The plaintext's
SHA-256 (and optionally a SHA3-512, a second digest from another family) is computed while the
bytes stream through; a reader recomputes it and compares.

Each blob has its own random 256-bit file key, returned to the caller to be kept wrapped under the
project's data key; the blob store never sees a key or a plaintext byte.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dignity.exc import IntegrityError

MAGIC = b"DGB1"
PREFIX_BYTES = 7
HEADER_BYTES = len(MAGIC) + 4 + PREFIX_BYTES
TAG_BYTES = 16
KEY_BYTES = 32
CHUNK_BYTES = 1024 * 1024
MAX_CHUNK_BYTES = 64 * 1024 * 1024
MAX_CHUNKS = 2**32 - 1


def _nonce(prefix: bytes, counter: int, final: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if final else 0)


@dataclass(frozen=True)
class Digests:
    size: int
    sha256: str
    sha3_512: str | None = None


class _Hashes:
    def __init__(self, second: bool) -> None:
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.sha3 = hashlib.sha3_512() if second else None

    def update(self, data: bytes | memoryview) -> None:
        self.size += len(data)
        self.sha256.update(data)
        if self.sha3 is not None:
            self.sha3.update(data)

    def digests(self) -> Digests:
        return Digests(
            self.size,
            self.sha256.hexdigest(),
            self.sha3.hexdigest() if self.sha3 is not None else None,
        )


class Encryptor:
    """Encrypt a stream into `sink` as it is written; `finish` writes the final chunk.

    `write` takes any amount of bytes and never holds more than one chunk of plaintext. The
    digests are computed on a second thread while the chunk before is encrypted and written
    (hashlib lets go of the interpreter lock), one piece in flight at a time: a large file is
    hashed and encrypted at the same time on two cores. Each piece given to `write` is copied
    once if it is not immutable `bytes`, so a caller may reuse its buffer.
    """

    def __init__(
        self,
        sink: BinaryIO,
        blob_id: str,
        *,
        key: bytes | None = None,
        chunk_bytes: int = CHUNK_BYTES,
        second_digest: bool = False,
    ) -> None:
        if not 0 < chunk_bytes <= MAX_CHUNK_BYTES:
            raise ValueError(f"chunk size must be between 1 and {MAX_CHUNK_BYTES} bytes")
        self.key = key if key is not None else os.urandom(KEY_BYTES)
        self._aead = AESGCM(self.key)
        self._sink = sink
        self._chunk = chunk_bytes
        self._prefix = os.urandom(PREFIX_BYTES)
        self._header = MAGIC + struct.pack(">I", chunk_bytes) + self._prefix
        self._aad = self._header + blob_id.encode()
        # What is waiting to be encrypted: a view of the caller's bytes (no copy) or a buffer.
        self._held: memoryview | bytearray = bytearray()
        self._sealed = bytearray(chunk_bytes + TAG_BYTES)
        self._counter = 0
        self._hashes = _Hashes(second_digest)
        self._hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidence-hash")
        self._hashing: Future[None] | None = None
        self._done = False
        sink.write(self._header)

    def _emit(self, plaintext: bytes | bytearray | memoryview, final: bool) -> None:
        if self._counter >= MAX_CHUNKS:
            raise ValueError("the file is too large for this chunk size")
        nonce = _nonce(self._prefix, self._counter, final)
        sealed = memoryview(self._sealed)[: len(plaintext) + TAG_BYTES]
        self._aead.encrypt_into(nonce, plaintext, self._aad, sealed)
        self._sink.write(sealed)
        self._counter += 1

    def _hash(self, data: bytes) -> None:
        if self._hashing is not None:
            self._hashing.result()  # one piece in flight: memory stays bounded, order is kept
        self._hashing = self._hasher.submit(self._hashes.update, data)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._done:
            raise ValueError("the blob is finished")
        piece = data if isinstance(data, bytes) else bytes(data)
        if not piece:
            return
        self._hash(piece)
        view = memoryview(piece)
        if len(self._held):
            # A full chunk is only written once more bytes follow: the last chunk is final.
            if len(self._held) == self._chunk:
                self._emit(self._held, final=False)
                self._held = bytearray()
            else:
                held = bytearray(self._held)
                take = self._chunk - len(held)
                held += view[:take]
                view = view[take:]
                self._held = held
                if not len(view):
                    return
                self._emit(held, final=False)
                self._held = bytearray()
        while len(view) > self._chunk:
            self._emit(view[: self._chunk], final=False)
            view = view[self._chunk :]
        self._held = view

    def finish(self) -> Digests:
        """Write the final chunk (what is held, possibly nothing); the digests of it all."""
        if self._done:
            raise ValueError("the blob is finished")
        self._emit(self._held, final=True)
        self._held = bytearray()
        self._done = True
        if self._hashing is not None:
            self._hashing.result()
        self._hasher.shutdown()
        return self._hashes.digests()

    def close(self) -> None:
        """Stop the hashing thread of an encryptor that will not finish (an aborted intake)."""
        self._hasher.shutdown(wait=True, cancel_futures=True)


def decrypt(source: BinaryIO, blob_id: str, key: bytes, *, where: str = "") -> Iterator[bytes]:
    """The plaintext chunks of a blob, each authenticated before it is yielded.

    Raises `IntegrityError` at the first chunk that was altered, moved, added or removed; a
    caller that must not send anything unverified reads the whole blob first (`verify`).
    """
    name = where or blob_id
    header = source.read(HEADER_BYTES)
    if len(header) != HEADER_BYTES or not header.startswith(MAGIC):
        raise IntegrityError(f"{name}: not an encrypted blob")
    (chunk_bytes,) = struct.unpack(">I", header[len(MAGIC) : len(MAGIC) + 4])
    if not 0 < chunk_bytes <= MAX_CHUNK_BYTES:
        raise IntegrityError(f"{name}: the blob header is damaged")
    prefix = header[len(MAGIC) + 4 :]
    aad = header + blob_id.encode()
    aead = AESGCM(key)
    sealed_bytes = chunk_bytes + TAG_BYTES
    counter = 0
    sealed = source.read(sealed_bytes)
    while True:
        following = source.read(sealed_bytes) if len(sealed) == sealed_bytes else b""
        final = not following
        if len(sealed) < TAG_BYTES:
            raise IntegrityError(f"{name}: the blob is truncated (chunk {counter} is missing)")
        try:
            plaintext = aead.decrypt(_nonce(prefix, counter, final), sealed, aad)
        except InvalidTag:
            raise IntegrityError(
                f"{name}: chunk {counter} does not decrypt (the blob was altered, truncated "
                "or reordered)"
            ) from None
        yield plaintext
        if final:
            return
        sealed, counter = following, counter + 1


def verify(source: BinaryIO, blob_id: str, key: bytes, expected: Digests) -> Digests:
    """Read a whole blob, authenticate every chunk and compare its digests with `expected`."""
    hashes = _Hashes(expected.sha3_512 is not None)
    for chunk in decrypt(source, blob_id, key):
        hashes.update(chunk)
    found = hashes.digests()
    if found.size != expected.size or not hmac.compare_digest(found.sha256, expected.sha256):
        raise IntegrityError(f"{blob_id}: the content does not match its recorded SHA-256")
    if expected.sha3_512 is not None and not hmac.compare_digest(
        found.sha3_512 or "", expected.sha3_512
    ):
        raise IntegrityError(f"{blob_id}: the content does not match its recorded SHA3-512")
    return found
